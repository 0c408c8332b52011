"""The benchmark's equal tuning budget: the option checked with exact messages and
hashed only when on, candidates from each strategy's declared range, the selection
rule by hand (on a strategy whose validation numbers are known), the chosen model's
validation metric recomputed without the benchmark, determinism, resuming and the
reports."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import shutil
import warnings
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

import twinaudit.mitigation as mitigation
from twinaudit.benchmark import (
    COLUMNS,
    ESTIMATORS,
    TIMING_COLUMNS,
    TUNING_COLUMNS,
    BenchmarkConfig,
    TuningConfig,
    benchmark_markdown,
    choose_candidate,
    load_config,
    load_results,
    run_benchmark,
    write_report,
)
from twinaudit.datasets import fetch_loan
from twinaudit.exceptions import ConfigError, DataError, TwinauditWarning
from twinaudit.mitigation import STRATEGIES, FairnessStrategy
from twinaudit.mitigation._tuning import TuningParameter

#: The loan scenario's 600 applicants, one seed; reject option and correlation
#: remover tuned with 3 values each, reweighing fitted once.
REJECT_OPTION = {"cv": 3, "num_class_thresh": 20, "num_ROC_margin": 10}
TUNED = {
    "datasets": [{"name": "loan", "max_rows": 600}],
    "estimators": ["logistic_regression"],
    "strategies": ["reweighing", "reject_option", "correlation_remover"],
    "strategy_params": {"reject_option": REJECT_OPTION},
    "seeds": [0],
    "tuning": {"budget": 3, "max_violation": 0.2},
}


def make(**changes):
    base = {"datasets": ["loan"], "estimators": ["logistic_regression"]}
    return BenchmarkConfig.from_dict({**base, **changes})


def untimed(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=list(TIMING_COLUMNS))


def loan_split(seed: int = 0):
    """The benchmark's split of the 600 loan applicants, by scikit-learn: 30% test,
    then 20% of all rows for validation, both stratified by the label; each part in
    the rows' order."""
    loan = fetch_loan(600, seed=42)
    X, y = loan.data, loan.target.to_numpy()
    rest, test = train_test_split(
        np.arange(600), test_size=180, stratify=y, random_state=seed
    )
    train, val = train_test_split(
        rest, test_size=120, stratify=y[rest], random_state=seed
    )
    return X, y, np.sort(train), np.sort(val), np.sort(test)


def parity_gap(decisions: np.ndarray, X: pd.DataFrame) -> float:
    """Statistical parity difference by counting: P(approved | woman) -
    P(approved | man)."""
    women = (X["Gender"] == "Female").to_numpy()
    return float(decisions[women].mean() - decisions[~women].mean())


# -- the option ------------------------------------------------------------------
@pytest.mark.parametrize(
    "changes, message",
    [
        (
            {"tuning": 5},
            "tuning must be a mapping with 'budget' (and optionally 'metric' and "
            "'max_violation'), or left out. Got 5.",
        ),
        (
            {"tuning": {"budjet": 5}},
            "tuning: unknown key 'budjet'. Did you mean 'budget'? Known: budget, "
            "metric, max_violation.",
        ),
        (
            {"tuning": {"metric": "disparate_impact"}},
            "tuning: 'budget' is required (the candidate values of each tunable "
            "strategy, e.g. 5).",
        ),
        (
            {"tuning": {"budget": 1}},
            "tuning.budget must be a whole number >= 2 (the candidate values of each "
            "tunable strategy). Got 1.",
        ),
        (
            {"tuning": {"budget": 2.5}},
            "tuning.budget must be a whole number >= 2 (the candidate values of each "
            "tunable strategy). Got 2.5.",
        ),
        (
            {"tuning": {"budget": True}},
            "tuning.budget must be a whole number >= 2 (the candidate values of each "
            "tunable strategy). Got True.",
        ),
        (
            {"tuning": {"budget": 3, "metric": "disparate_impakt"}},
            "tuning.metric: unknown fairness metric 'disparate_impakt'. Did you mean "
            "'disparate_impact'? Known: statistical_parity_difference, "
            "disparate_impact, equal_opportunity_difference, average_odds_difference, "
            "equalized_odds_difference.",
        ),
        (
            {"tuning": {"budget": 3, "metric": "flip_rate"}},
            "tuning.metric: 'flip_rate' is measured on twins of the rows, not on the "
            "validation rows; choose one of statistical_parity_difference, "
            "disparate_impact, equal_opportunity_difference, average_odds_difference, "
            "equalized_odds_difference.",
        ),
        (
            {"rank_by": "flip_rate", "tuning": {"budget": 3}},
            "tuning.metric defaults to rank_by ('flip_rate'), which is measured on "
            "twins of the rows, not on the validation rows; set tuning.metric to one "
            "of statistical_parity_difference, disparate_impact, "
            "equal_opportunity_difference, average_odds_difference, "
            "equalized_odds_difference.",
        ),
        (
            {"tuning": {"budget": 3, "max_violation": -0.1}},
            "tuning.max_violation must be a number >= 0 (the largest distance from "
            "parity accepted on the validation rows, e.g. 0.05). Got -0.1.",
        ),
        (
            {"tuning": {"budget": 3, "max_violation": "5%"}},
            "tuning.max_violation must be a number >= 0 (the largest distance from "
            "parity accepted on the validation rows, e.g. 0.05). Got '5%'.",
        ),
        (
            {"tuning": {"budget": 3, "max_violation": float("nan")}},
            "tuning.max_violation must be a number >= 0 (the largest distance from "
            "parity accepted on the validation rows, e.g. 0.05). Got nan.",
        ),
        (
            {"validation_size": 0, "tuning": {"budget": 3}},
            "tuning chooses on the validation rows, and validation_size is 0. Set "
            "validation_size above 0 (e.g. 0.2), or leave tuning out.",
        ),
        (
            {
                "strategies": ["exponentiated_gradient"],
                "strategy_params": {"exponentiated_gradient": {"eps": 0.02}},
                "tuning": {"budget": 4},
            },
            "strategy_params.exponentiated_gradient.eps conflicts with tuning, which "
            "gives exponentiated_gradient 4 values of eps from 0.001 to 0.1. Remove "
            "eps from strategy_params.exponentiated_gradient, or leave tuning out.",
        ),
        (
            {
                "strategies": ["reject_option"],
                "strategy_params": {"reject_option": {"metric_lb": -0.1}},
                "tuning": {"budget": 3},
            },
            "strategy_params.reject_option.metric_lb conflicts with tuning, which "
            "gives reject_option 3 values of metric_ub from 0.005 to 0.5. Remove "
            "metric_lb from strategy_params.reject_option, or leave tuning out.",
        ),
        (
            {
                "strategies": ["threshold_optimizer"],
                "strategy_params": {
                    "threshold_optimizer": {"constraints": "equalized_odds"}
                },
                "tuning": {"budget": 3},
            },
            "strategy_params.threshold_optimizer.constraints: 'equalized_odds' cannot "
            "be tuned, because Fairlearn's ThresholdOptimizer has no tolerance (tol) "
            "for equalized odds. Choose another constraint, or leave "
            "threshold_optimizer or tuning out.",
        ),
    ],
)
def test_bad_tuning_is_refused_with_the_key_the_value_and_the_fix(changes, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        make(**changes)


def test_the_tuned_parameter_of_an_untuned_strategy_may_be_given():
    """Without tuning, strategy_params set the parameter as before; with it, a
    strategy that has no main parameter keeps its parameters."""
    make(
        strategies=["exponentiated_gradient"],
        strategy_params={"exponentiated_gradient": {"eps": 0.02}},
    )
    make(
        strategies=["augmentation"],
        strategy_params={"augmentation": {"mode": "proxy"}},
        tuning={"budget": 3},
    )


def test_tuning_is_hashed_when_on_and_left_out_when_off():
    plain = make()
    # The hash of this configuration before tuning existed (twinaudit at 097b187):
    # results directories written then are still resumed.
    assert plain.hash == (
        "b2908573b2221a6896275c496d5696643cac0b587d83ad62a729597f261a9e99"
    )
    assert "tuning" not in plain.to_dict()
    tuned = make(tuning={"budget": 3})
    assert tuned.tuning == TuningConfig(3, "statistical_parity_difference", 0.05)
    assert tuned.to_dict()["tuning"] == {
        "budget": 3,
        "metric": "statistical_parity_difference",
        "max_violation": 0.05,
    }
    # The default metric is written out: naming it changes nothing.
    assert (
        make(tuning={"budget": 3, "metric": "statistical_parity_difference"}).hash
        == tuned.hash
    )
    hashes = {
        plain.hash,
        tuned.hash,
        make(tuning={"budget": 4}).hash,
        make(tuning={"budget": 3, "max_violation": 0.1}).hash,
        make(tuning={"budget": 3, "metric": "disparate_impact"}).hash,
        make(rank_by="disparate_impact", tuning={"budget": 3}).hash,
    }
    assert len(hashes) == 6
    assert BenchmarkConfig.from_dict(tuned.to_dict()) == tuned
    assert dataclasses.replace(tuned, data_home="/elsewhere").hash == tuned.hash
    assert make(rank_by="disparate_impact", tuning={"budget": 3}).tuning.metric == (
        "disparate_impact"
    )


def test_a_run_with_other_tuning_in_the_same_directory_is_refused(tmp_path):
    from twinaudit.exceptions import OutputExistsError

    config = {
        "datasets": [{"name": "loan", "max_rows": 100}],
        "estimators": ["logistic_regression"],
        "seeds": [0],
    }
    run_benchmark(config, tmp_path / "out", progress=False)
    with pytest.raises(OutputExistsError, match="holds the results of another"):
        run_benchmark({**config, "tuning": {"budget": 2}}, tmp_path / "out")


# -- candidates -------------------------------------------------------------------
#: What each registered strategy tunes (None: fitted once).
DECLARED = {
    "reweighing": None,
    "unawareness": None,
    "augmentation": None,
    "correlation_remover": ("alpha", 0.0, 1.0, "linear"),
    "exponentiated_gradient": ("eps", 0.001, 0.1, "log"),
    "grid_search": ("constraint_weight", 0.0, 1.0, "linear"),
    "threshold_optimizer": ("tol", 0.0, 0.1, "linear"),
    "eq_odds": None,
    "calibrated_eq_odds": None,
    "reject_option": ("metric_ub", 0.005, 0.5, "log"),
    "lfr": ("Az", 1.0, 2500.0, "log"),
}


def test_every_strategy_declares_its_main_parameter_or_none():
    assert set(DECLARED) == set(STRATEGIES)
    for name, cls in STRATEGIES.items():
        parameter = cls.tuning_parameter
        if DECLARED[name] is None:
            assert parameter is None, name
            continue
        assert (parameter.name, parameter.low, parameter.high, parameter.scale) == (
            DECLARED[name]
        )
        # A parameter of the constructor, whose default is inside the range.
        default = cls(None).get_params()[parameter.name]
        assert default is None or parameter.low <= default <= parameter.high, name
    assert STRATEGIES["reject_option"].tuning_parameter.params(0.05) == {
        "metric_ub": 0.05,
        "metric_lb": -0.05,
    }


@pytest.mark.parametrize("budget", [2, 3, 5])
@pytest.mark.parametrize("name", [n for n, d in DECLARED.items() if d is not None])
def test_candidates_are_evenly_spaced_over_the_range(name, budget):
    _, low, high, scale = DECLARED[name]
    values = STRATEGIES[name].tuning_parameter.candidates(budget)
    assert len(values) == budget
    if scale == "log":
        expected = [low * (high / low) ** (i / (budget - 1)) for i in range(budget)]
    else:
        expected = [low + (high - low) * i / (budget - 1) for i in range(budget)]
    assert values == pytest.approx(expected, rel=1e-11, abs=1e-15)
    assert values[0] == low and values[-1] == high


def test_log_candidates_read_as_written():
    assert TuningParameter("eps", 0.001, 0.1, "log").candidates(3) == (
        0.001,
        0.01,
        0.1,
    )
    assert TuningParameter("Az", 1.0, 2500.0, "log").candidates(3) == (1.0, 50.0, 2500)
    assert TuningParameter("tol", 0.0, 0.1).candidates(5) == (
        0.0,
        0.025,
        0.05,
        0.075,
        0.1,
    )
    assert TuningParameter("eps", 0.001, 0.1, "log").candidates(1) == (0.01,)


# -- the rule ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "distances, accuracies, max_violation, expected",
    [
        # Two within 0.05: the more accurate of them, not the most accurate overall.
        ([0.30, 0.04, 0.01, 0.05], [0.90, 0.85, 0.80, 0.70], 0.05, 1),
        # The bound is inclusive.
        ([0.30, 0.05], [0.90, 0.80], 0.05, 1),
        # Equal accuracy within the bound: the first.
        ([0.03, 0.01, 0.02], [0.80, 0.80, 0.70], 0.05, 0),
        # None within: the closest to parity, however inaccurate.
        ([0.30, 0.20, 0.10], [0.90, 0.85, 0.60], 0.05, 2),
        # None within, equally close: the more accurate, then the first.
        ([0.30, 0.10, 0.10, 0.10], [0.90, 0.70, 0.75, 0.75], 0.05, 2),
        # An undefined metric never qualifies and is the farthest.
        ([math.nan, 0.20], [0.99, 0.50], 0.05, 1),
        ([math.nan, math.nan], [0.60, 0.70], 0.05, 1),
        # max_violation 0: only exact parity qualifies.
        ([0.0, 0.001], [0.5, 0.9], 0.0, 0),
    ],
)
def test_choose_candidate(distances, accuracies, max_violation, expected):
    assert choose_candidate(distances, accuracies, max_violation) == expected


class Thresholds(FairnessStrategy):
    """Approves by income, with one income threshold for women and one for men per
    candidate ``shift`` (a table, nothing learnt): what each candidate decides on
    the validation rows can be counted by hand."""

    strategy_name = "thresholds"
    tuning_parameter = TuningParameter("shift", 0.0, 1.0, "linear")
    #: shift -> (women's threshold, men's threshold)
    TABLE: ClassVar[dict[float, tuple[int, int]]] = {
        0.0: (80_000, 0),
        0.25: (45_000, 60_000),
        0.5: (50_000, 60_000),
        0.75: (35_000, 0),
        1.0: (55_000, 70_000),
    }

    def __init__(self, estimator, *, shift=0.0):
        self.estimator = estimator
        self.shift = shift

    def _fit(self, X, y, y01, sensitive, groups):
        self.women_, self.men_ = self.TABLE[self.shift]

    def _predict(self, X, groups):
        return decide_by_table(X, self.shift)


def decide_by_table(X: pd.DataFrame, shift: float) -> np.ndarray:
    women, men = Thresholds.TABLE[shift]
    income = X["Income"].to_numpy()
    cut = np.where((X["Gender"] == "Female").to_numpy(), women, men)
    return (income >= cut).astype(int)


@pytest.mark.parametrize(
    "max_violation, expected",
    [
        # |SPD| on validation (counted below): 0.597, 0.017, 0.048, 0.065, 0.008;
        # accuracy 1.0, 0.692, 0.725, 0.725, 0.708. Within 0.05: shifts 0.25, 0.5
        # and 1.0, of which 0.5 is the most accurate.
        (0.05, 0.5),
        # 0.75 joins at 0.07 with the same accuracy as 0.5: the first, 0.5, stays.
        (0.07, 0.5),
        # None within 0.005: the closest, 1.0.
        (0.005, 1.0),
        # Everything within 0.6: the most accurate, 0.0.
        (0.6, 0.0),
    ],
)
def test_the_rule_on_a_strategy_with_known_validation_numbers(
    tmp_path, monkeypatch, max_violation, expected
):
    monkeypatch.setattr(
        mitigation,
        "STRATEGIES",
        MappingProxyType({**STRATEGIES, "thresholds": Thresholds}),
    )
    X, y, _, val, test = loan_split(0)
    X_val, y_val = X.iloc[val], y[val]
    gaps, accuracies = {}, {}
    for shift in Thresholds.TABLE:
        decided = decide_by_table(X_val, shift)
        gaps[shift] = abs(parity_gap(decided, X_val))
        accuracies[shift] = float((decided == y_val).mean())
    within = [s for s in Thresholds.TABLE if gaps[s] <= max_violation]
    # The fixture must tell the rule from its plausible mistakes.
    most_accurate = max(Thresholds.TABLE, key=lambda s: accuracies[s])
    fairest = min(Thresholds.TABLE, key=lambda s: gaps[s])
    assert most_accurate == 0.0 and fairest == 1.0
    assert len(within) != 2
    if within:
        best = max(accuracies[s] for s in within)
        assert expected == next(s for s in within if accuracies[s] == best)
    else:
        assert expected == fairest

    table = run_benchmark(
        {
            "datasets": [{"name": "loan", "max_rows": 600}],
            "estimators": ["logistic_regression"],
            "strategies": ["thresholds"],
            "seeds": [0],
            "tuning": {"budget": 5, "max_violation": max_violation},
        },
        tmp_path / "out",
        progress=False,
    )
    row = table[table["strategy"] == "thresholds"].iloc[0]
    assert row["status"] == "ok", row["error"]
    assert (row["tuned_parameter"], row["tuned_value"], row["n_candidates"]) == (
        "shift",
        expected,
        5,
    )
    assert row["validation_accuracy"] == pytest.approx(accuracies[expected])
    # The chosen model is the one measured on the test rows.
    decided = decide_by_table(X.iloc[test], expected)
    assert row["accuracy"] == pytest.approx(float((decided == y[test]).mean()))
    assert row["statistical_parity_difference"] == pytest.approx(
        parity_gap(decided, X.iloc[test])
    )


# -- runs --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tuned_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("tuned") / "out"
    return out, run_benchmark(TUNED, out, progress=False)


def test_the_tuned_columns(tuned_run):
    _, table = tuned_run
    assert list(table.columns) == list(COLUMNS)
    assert set(TUNING_COLUMNS) <= set(COLUMNS)
    assert (table["status"] == "ok").all(), table["error"].tolist()
    rows = table.set_index("strategy")
    assert rows.loc["unmitigated", "tuned_parameter"] is None
    assert rows.loc["reweighing", "tuned_parameter"] is None
    assert np.isnan(rows.loc[["unmitigated", "reweighing"], "tuned_value"]).all()
    assert rows["n_candidates"].to_dict() == {
        "unmitigated": 1,
        "reweighing": 1,
        "reject_option": 3,
        "correlation_remover": 3,
    }
    assert rows.loc["reject_option", "tuned_parameter"] == "metric_ub"
    assert rows.loc["reject_option", "tuned_value"] in (0.005, 0.05, 0.5)
    assert rows.loc["correlation_remover", "tuned_parameter"] == "alpha"
    assert rows.loc["correlation_remover", "tuned_value"] in (0.0, 0.5, 1.0)


def test_the_chosen_model_meets_max_violation_on_validation(tuned_run):
    """Reject option refitted here with each candidate bound on the benchmark's split
    (by scikit-learn) and the same seeded estimator: the most accurate candidate
    breaks the 0.2 bound on the validation rows, two meet it, and the benchmark kept
    the more accurate of those two; its test numbers are the benchmark's."""
    _, table = tuned_run
    X, y, train, val, test = loan_split(0)
    X_train = X.iloc[train].reset_index(drop=True)
    X_val = X.iloc[val].reset_index(drop=True)
    X_test = X.iloc[test].reset_index(drop=True)
    fitted, gaps, accuracies = {}, {}, {}
    for bound in (0.005, 0.05, 0.5):
        model = STRATEGIES["reject_option"](
            ESTIMATORS["logistic_regression"](0),
            **REJECT_OPTION,
            metric_ub=bound,
            metric_lb=-bound,
            random_state=0,
        )
        with warnings.catch_warnings():
            # The tightest bound may be out of reach on the training scores.
            warnings.simplefilter("ignore", TwinauditWarning)
            model.fit(X_train, y[train], sensitive_features=X_train[["Gender"]])
        decided = model.predict(X_val, sensitive_features=X_val[["Gender"]])
        fitted[bound] = model
        gaps[bound] = abs(parity_gap(decided, X_val))
        accuracies[bound] = float((decided == y[val]).mean())
    within = [b for b in fitted if gaps[b] <= 0.2]
    assert len(within) == 2  # the bound decides, and accuracy among those within
    assert max(fitted, key=lambda b: accuracies[b]) not in within
    row = table[table["strategy"] == "reject_option"].iloc[0]
    chosen = row["tuned_value"]
    assert gaps[chosen] <= 0.2
    assert accuracies[chosen] == max(accuracies[b] for b in within)
    assert row["validation_accuracy"] == pytest.approx(accuracies[chosen])
    decided = fitted[chosen].predict(X_test, sensitive_features=X_test[["Gender"]])
    assert row["accuracy"] == pytest.approx(float((decided == y[test]).mean()))
    assert row["statistical_parity_difference"] == pytest.approx(
        parity_gap(decided, X_test)
    )


def test_the_same_tuned_configuration_gives_the_same_table(tuned_run, tmp_path):
    _, first = tuned_run
    again = run_benchmark(TUNED, tmp_path / "again", progress=False)
    pd.testing.assert_frame_equal(untimed(again), untimed(first))


def test_a_tuned_run_resumes(tuned_run, tmp_path):
    out, first = tuned_run
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    lines = (copy / "cells.jsonl").read_text().splitlines(keepends=True)
    (copy / "cells.jsonl").write_text("".join(lines[:2]))  # two cells left to run
    resumed = run_benchmark(TUNED, copy, progress=False)
    pd.testing.assert_frame_equal(untimed(resumed), untimed(first))
    pd.testing.assert_frame_equal(untimed(load_results(copy)), untimed(first))
    text = (copy / "results.jsonl").read_text()
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["tuned_parameter"] for r in records] == [
        None,
        None,
        "metric_ub",
        "alpha",
    ]


def test_cells_recorded_before_tuning_read_as_fitted_once(small_run, tmp_path):
    """A results directory of an earlier version (no tuning columns in its lines)
    loads, and its cells count one candidate each."""
    out, table = small_run
    copy = tmp_path / "old"
    shutil.copytree(out, copy)
    lines = []
    for line in (copy / "cells.jsonl").read_text().splitlines():
        record = json.loads(line)
        for column in TUNING_COLUMNS:
            del record[column]
        lines.append(json.dumps(record, sort_keys=True) + "\n")
    (copy / "cells.jsonl").write_text("".join(lines))
    old = load_results(copy)
    pd.testing.assert_frame_equal(untimed(old), untimed(table))
    assert (old["n_candidates"] == 1).all()
    assert old["tuned_parameter"].isna().all()


def test_reports_say_how_strategies_were_tuned(tuned_run, tmp_path):
    _, table = tuned_run
    markdown = benchmark_markdown(table)
    assert (
        "Tuning: each strategy with a main parameter was fitted with 3 values of it "
        "and kept the most accurate on the validation rows among those with "
        "|statistical_parity_difference − parity| ≤ 0.2 there (else the closest "
        "to parity); the chosen values are the table's tuned_value."
    ) in markdown
    written = write_report(table, tmp_path)
    assert "Tuning: each strategy" in written[1].read_text()
    untuned = table.copy()
    config = {k: v for k, v in table.attrs["config"].items() if k != "tuning"}
    untuned.attrs = {**table.attrs, "config": config}
    assert "Tuning" not in benchmark_markdown(untuned)


def test_the_readmes_tuning_example_is_valid(tmp_path):
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = text[text.index("**Equal tuning budget**") :]
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    path = tmp_path / "tuning.yaml"
    path.write_text(block)
    config = load_config(path)
    assert config.tuning == TuningConfig(5, "statistical_parity_difference", 0.05)
    for name in config.strategies:
        parameter = STRATEGIES[name].tuning_parameter
        row = f"| `{name}` | `{parameter.name}`" if parameter else f"`{name}`"
        assert row in section, name


def test_choose_candidate_without_candidates_is_a_typed_error():
    with pytest.raises(DataError) as caught:
        choose_candidate([0.1, 0.2], [0.9], 0.05)
    assert str(caught.value) == (
        "choose_candidate needs one accuracy per distance, and at least one "
        "candidate. Got 2 distances, 1 accuracies."
    )
    with pytest.raises(DataError, match="Got 0 distances, 0 accuracies"):
        choose_candidate([], [], 0.05)
