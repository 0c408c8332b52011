"""``twinaudit audit``: model files, twins from a spec or a CSV, reports, exit codes.

Expected numbers come from a hand count: the model's own ``predict`` on the twins
(or on the CSV rows with the protected column set to each value), never from the
report code under test.
"""

import errno
import fractions
import json
import os
import pathlib
import pickle
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier
from typer.testing import CliRunner

import twinaudit._models
import twinaudit.report
from twinaudit.cli import app
from twinaudit.datasets import (
    LOAN_FEATURES,
    loan_applications,
    loan_model,
    loan_twin_spec,
)
from twinaudit.generation import generate
from twinaudit.report._report import AuditReport
from twinaudit.spec import load_spec, save_spec

SRC = pathlib.Path(__file__).resolve().parents[1] / "src"
TREE = "sklearn.tree._tree.Tree"
WIDE = {"COLUMNS": "250"}  # usage errors are boxed by Rich: keep them on one line


def run(*args, env=None):
    runner = CliRunner()
    return runner.invoke(app, ["audit", *map(str, args)], env={**WIDE, **(env or {})})


def one_line(text):
    return " ".join(text.split())


# -- files --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Models, a spec, CSVs and policies, written once for the module."""
    root = tmp_path_factory.mktemp("audit")
    history = loan_applications(1000, seed=42)
    tree = loan_model(history)  # reads Gender_Code and Income; biased against women
    linear = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        history[LOAN_FEATURES], history["Approved"]
    )
    fair_history = loan_applications(
        1000, seed=5, rule=lambda f: (f["Income"] > 60_000).astype(np.int64)
    )
    fair = DecisionTreeClassifier(random_state=0).fit(
        fair_history[LOAN_FEATURES], fair_history["Approved"]
    )
    assert fair.feature_importances_[0] == 0  # reads Gender_Code, never splits on it
    noted = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        history[LOAN_FEATURES], history["Approved"]
    )
    noted.note = fractions.Fraction(1, 3)  # a type skops does not trust by default
    worded = DecisionTreeClassifier(random_state=0).fit(
        history[LOAN_FEATURES], history["Approved"].map({1: "approved", 0: "denied"})
    )
    leaky = DecisionTreeClassifier(random_state=0).fit(
        history[[*LOAN_FEATURES, "Approved"]], history["Approved"]
    )
    for name, model in [
        ("tree", tree),
        ("linear", linear),
        ("fair", fair),
        ("noted", noted),
        ("worded", worded),
        ("leaky", leaky),
    ]:
        sio.dump(model, root / f"{name}.skops")
    (root / "tree.pkl").write_bytes(pickle.dumps(tree))
    assert sio.get_untrusted_types(file=root / "linear.skops") == []
    save_spec(loan_twin_spec(seed=42), root / "loan.yaml")

    # Real rows to audit: other applicants, with 15% of their labels flipped so the
    # true-label metrics are not trivially perfect.
    rows = loan_applications(300, seed=7)
    noise = np.random.default_rng(7).random(len(rows)) < 0.15
    rows["Approved"] = np.where(noise, 1 - rows["Approved"], rows["Approved"])
    rows.to_csv(root / "rows.csv", index=False)

    # Two protected attributes in the model's own columns (one with three values).
    rng = np.random.default_rng(11)
    regional = loan_applications(600, seed=11)
    regional["Region"] = rng.choice(["north", "south", "west"], len(regional))
    west_penalty = (regional["Region"] == "west") & (regional["Income"] < 70_000)
    regional["Approved"] = np.where(west_penalty, 0, regional["Approved"])
    text_model = make_pipeline(
        ColumnTransformer(
            [
                ("codes", OneHotEncoder(), ["Gender", "Region"]),
                ("income", StandardScaler(), ["Income"]),
            ]
        ),
        LogisticRegression(max_iter=1000),
    ).fit(regional[["Gender", "Region", "Income"]], regional["Approved"])
    sio.dump(text_model, root / "regional.skops")
    assert sio.get_untrusted_types(file=root / "regional.skops") == []
    regional.iloc[:250].to_csv(root / "regional.csv", index=False)

    (root / "four_fifths.yaml").write_text(
        "rules:\n  - {metric: disparate_impact, min: 0.8}\n"
    )
    (root / "half.yaml").write_text(
        "rules:\n  - {metric: disparate_impact, min: 0.5}\n"
    )
    (root / "strict.yaml").write_text(
        "rules:\n"
        "  - {metric: disparate_impact, min: 0.8}\n"
        "  - {metric: flip_rate, max: 0.05}\n"
    )
    return root


@pytest.fixture(scope="module")
def models(files):
    return {
        "tree": sio.load(files / "tree.skops", trusted=[TREE]),
        "linear": sio.load(files / "linear.skops"),
        "regional": sio.load(files / "regional.skops"),
    }


# -- hand counts --------------------------------------------------------------------
def spec_flips(model, spec_path, n_pairs, seed=None):
    """Profiles whose twins get different decisions, counted with predict()."""
    frame = generate(load_spec(spec_path), n_pairs, seed=seed).frame
    X = pd.DataFrame(
        {
            "Gender_Code": (frame["Gender"].astype(str) == "Male").astype(int),
            "Income": frame["Income"],
        }
    )
    decisions = pd.Series(model.predict(X)).groupby(frame["pair_id"].to_numpy())
    return int((decisions.nunique() > 1).sum())


def row_flips(model, rows, settings):
    """Rows whose decision changes across ``settings`` ({column: value} each)."""
    features = list(model.feature_names_in_)
    decisions = []
    for setting in settings:
        X = rows.assign(**setting)[features]
        decisions.append(model.predict(X))
    stacked = np.column_stack(decisions)
    return int((stacked != stacked[:, :1]).any(axis=1).sum())


# -- audits from a spec -------------------------------------------------------------
@pytest.mark.parametrize("seed", [None, 7])
def test_a_spec_audit_counts_the_flips_predict_gives(files, models, seed):
    args = ["--model", files / "linear.skops", "--spec", files / "loan.yaml"]
    args += ["-n", 300, "--format", "json"]
    if seed is not None:
        args += ["--seed", seed]
    result = run(*args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    expected = spec_flips(models["linear"], files / "loan.yaml", 300, seed)
    assert report["pairs"] == 300
    assert report["headline"]["profiles"] == 300
    assert report["headline"]["flipped_profiles"] == expected
    assert report["model"]["name"] == "Pipeline"
    assert report["verdict"] is None
    assert result.stderr == ""


def test_seeds_change_the_twins(files, models):
    counts = {
        seed: spec_flips(models["linear"], files / "loan.yaml", 300, seed)
        for seed in (None, 7)
    }
    assert counts[None] != counts[7]  # so the seeded test above can tell them apart


def test_a_decision_tree_loads_once_its_tree_type_is_trusted(files, models):
    path = files / "tree.skops"
    refused = run("--model", path, "--spec", files / "loan.yaml", "-f", "json")
    assert refused.exit_code == 2
    assert refused.stdout == ""
    assert refused.stderr == (
        f"error: {str(path)!r} holds types that skops does not trust by default: "
        "'sklearn.tree._tree.Tree'. Loading an untrusted type can run code or crash "
        "the process, so check where the file comes from. To load it, trust each "
        "type by name: --trust sklearn.tree._tree.Tree on the command line, or "
        "load_model(..., trusted=['sklearn.tree._tree.Tree']) in Python.\n"
    )
    trusted = run(
        *("--model", path, "--trust", TREE, "--spec", files / "loan.yaml"),
        *("-n", 200, "-f", "json"),
    )
    assert trusted.exit_code == 0, trusted.output
    flips = json.loads(trusted.stdout)["headline"]["flipped_profiles"]
    assert flips == spec_flips(models["tree"], files / "loan.yaml", 200)


def test_untrusted_skops_types_are_listed_and_trusted_one_by_one(files):
    path = files / "noted.skops"
    refused = run("--model", path, "--spec", files / "loan.yaml", "-f", "json")
    assert refused.exit_code == 2
    assert refused.stderr == (
        f"error: {str(path)!r} holds types that skops does not trust by default: "
        "'fractions.Fraction'. Loading an untrusted type can run code or crash the "
        "process, so check where the file comes from. To load it, trust each type by "
        "name: --trust fractions.Fraction on the command line, or "
        "load_model(..., trusted=['fractions.Fraction']) in Python.\n"
    )
    trusted = run(
        *("--model", path, "--trust", "fractions.Fraction", "--trust", TREE),
        *("--spec", files / "loan.yaml", "-n", 100, "-f", "json"),
    )
    assert trusted.exit_code == 0, trusted.output


def test_a_pickle_is_refused_without_trust_pickle_and_loaded_with_it(files, models):
    path = files / "tree.pkl"
    refused = run("--model", path, "--spec", files / "loan.yaml", "-f", "json")
    assert refused.exit_code == 2
    assert refused.stdout == ""
    assert refused.stderr == (
        f"error: Refusing to load {str(path)!r}: loading a pickle runs code from the "
        "file, so a malicious file can do anything you can. Load it only if you made "
        "it yourself or fully trust its source: pass trust_pickle=True "
        "(--trust-pickle on the command line). Safer: save the model with skops "
        "(skops.io.dump(model, 'model.skops')) and load that.\n"
    )
    loaded = run(
        *("--model", path, "--trust-pickle", "--spec", files / "loan.yaml"),
        *("-n", 200, "-f", "json"),
    )
    assert loaded.exit_code == 0, loaded.output
    flips = json.loads(loaded.stdout)["headline"]["flipped_profiles"]
    assert flips == spec_flips(models["tree"], files / "loan.yaml", 200)


def test_a_corrupt_model_file_exits_2(files, tmp_path):
    path = tmp_path / "broken.skops"
    path.write_bytes(sio.dumps(sio.load(files / "linear.skops"))[:200])
    result = run("--model", path, "--spec", files / "loan.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: {str(path)!r} is not a readable skops file (BadZipFile: "
    )
    assert result.stderr.endswith(
        "; it may be corrupt or truncated. Save the model again with "
        "skops.io.dump(model, 'model.skops').\n"
    )
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("option", "name", "kind"),
    [
        ("--model", "gone.skops", "Model"),
        ("--spec", "gone.yaml", "Spec"),
        ("--data", "gone.csv", "Data"),
        ("--policy", "gone.yaml", "Policy"),
    ],
)
def test_a_missing_file_exits_2_and_names_it(files, tmp_path, option, name, kind):
    missing = str(tmp_path / name)
    given = {
        "--model": files / "linear.skops",
        "--spec": files / "loan.yaml",
        "--data": files / "rows.csv",
        option: missing,
    }
    args = ["--model", given["--model"]]
    if option == "--data":
        args += ["--data", given["--data"], "--protected", "Gender_Code=1"]
    else:
        args += ["--spec", given["--spec"]]
    if option == "--policy":
        args += ["--policy", missing]
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {kind} file {missing!r} does not exist.\n"


# -- options that do not fit together -------------------------------------------------
USAGE = [
    (
        ["--spec", "S"],
        ["--data", "D"],
        "Give either --spec SPEC (twins generated from a spec) or --data CSV with "
        "--protected COLUMN=PRIVILEGED (twins of your rows), not both.",
    ),
    (
        [],
        [],
        "Give either --spec SPEC (twins generated from a spec) or --data CSV with "
        "--protected COLUMN=PRIVILEGED (twins of your rows), not neither.",
    ),
    (
        ["--spec", "S"],
        ["--protected", "Gender=Male"],
        "--protected is only used with --data; a spec file declares its protected "
        "attributes.",
    ),
    (
        ["--spec", "S"],
        ["--target", "Approved"],
        "--target needs --data: twins generated from a spec have no true labels.",
    ),
    (
        ["--data", "D", "--protected", "Gender_Code=1"],
        ["-n", "10"],
        "--pairs is only used with --spec; --data gives every row its twins.",
    ),
    (
        ["--data", "D"],
        [],
        "--data needs at least one --protected COLUMN=PRIVILEGED, e.g. --protected "
        "sex=Male.",
    ),
]


@pytest.mark.parametrize(("source", "extra", "message"), USAGE)
def test_options_that_do_not_fit_exit_2_before_loading_anything(
    files, monkeypatch, source, extra, message
):
    def never(*args, **kwargs):
        raise AssertionError("the model must not be loaded")

    monkeypatch.setattr(twinaudit._models, "load_model", never)
    paths = {"S": files / "loan.yaml", "D": files / "rows.csv"}
    args = [paths.get(a, a) for a in [*source, *extra]]
    result = run("--model", files / "linear.skops", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {message}\n"


@pytest.mark.parametrize(
    "item", ["Gender", "=Male", "Gender=", "", "Gender:Male"], ids=repr
)
def test_bad_protected_syntax_exits_2(files, item):
    result = run(
        *("--model", files / "linear.skops", "--data", files / "rows.csv"),
        *("--protected", item),
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --protected must be COLUMN=PRIVILEGED, e.g. --protected sex=Male. "
        f"Got {item!r}.\n"
    )


def test_a_protected_column_given_twice_exits_2(files):
    result = run(
        *("--model", files / "linear.skops", "--data", files / "rows.csv"),
        *("-p", "Gender_Code=1", "-p", "Gender_Code=0"),
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --protected names column 'Gender_Code' twice ('1' and '0'); give "
        "each protected column once, with its privileged value.\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        [],  # no --model at all
        ["--model", "m.skops", "--spec", "s.yaml", "--format", "pdf"],
        ["--model", "m.skops", "--spec", "s.yaml", "-n", "0"],
        ["--model", "m.skops", "--spec", "s.yaml", "--seed", "-1"],
        ["--model", "m.skops", "--spec", "s.yaml", "--no-such-option"],
    ],
    ids=["no model", "format", "pairs", "seed", "unknown option"],
)
def test_typer_usage_errors_exit_2(args):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ")
    assert line.endswith(" See 'twinaudit audit --help'.")


def test_an_unknown_format_names_the_choices():
    result = run("--model", "m.skops", "--spec", "s.yaml", "--format", "pdf")
    assert "'pdf' is not one of 'console', 'json', 'md', 'html'" in one_line(
        result.output
    )


# -- twins of the rows of a CSV ------------------------------------------------------
def test_an_unknown_protected_column_suggests_the_closest(files):
    path = files / "rows.csv"
    result = run("--model", files / "linear.skops", "--data", path, "-p", "Gendre=Male")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --protected Gendre=Male: {path} has no column 'Gendre'. Did you mean "
        "'Gender'? Columns: ['Name', 'Gender', 'Gender_Code', 'Income', 'Approved'].\n"
    )


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            "Gender=male",
            "'male' is not a value of column 'Gender' in {path}, which holds "
            "['Female', 'Male']. Did you mean 'Male'?",
        ),
        (
            "Gender_Code=2",
            "'2' is not a value of column 'Gender_Code' in {path}, which holds "
            "['0', '1'].",
        ),
        (
            "Income=1",
            "'1' is not a value of column 'Income' in {path}, which holds "
            "{smallest}, ... (300 values)].",  # numbers in numeric order
        ),
    ],
)
def test_a_privileged_value_not_in_the_csv_exits_2(files, item, message):
    path = files / "rows.csv"
    result = run("--model", files / "linear.skops", "--data", path, "-p", item)
    assert result.exit_code == 2
    incomes = sorted(pd.read_csv(path)["Income"].unique())
    smallest = "[" + ", ".join(repr(str(v)) for v in incomes[:10])
    expected = message.format(path=path, smallest=smallest)
    assert result.stderr == f"error: --protected {item}: {expected}\n"


@pytest.mark.parametrize("privileged", [1, 0], ids=["privileged-last", "first"])
def test_a_csv_audit_matches_a_hand_count(files, models, privileged):
    # The CSV holds 0/1: pandas reads numbers, the option text "1" matches 1.
    rows = pd.read_csv(files / "rows.csv")
    result = run(
        *("--model", files / "linear.skops", "--data", files / "rows.csv"),
        *("--protected", f"Gender_Code={privileged}", "-f", "json"),
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    expected = row_flips(models["linear"], rows, [{"Gender_Code": v} for v in (0, 1)])
    assert 0 < expected < len(rows)
    assert report["headline"]["flipped_profiles"] == expected
    assert report["headline"]["profiles"] == len(rows) == 300
    [attribute] = report["attributes"]
    assert attribute["name"] == "Gender_Code"
    assert attribute["privileged"] == privileged
    assert isinstance(attribute["privileged"], int)
    assert sorted(attribute["values"]) == [0, 1]
    assert {r["reference"] for r in report["counterfactual"]} == {privileged}
    assert {r["group"] for r in report["counterfactual"]} == {1 - privileged}


@pytest.mark.parametrize(
    ("gender", "region"), [("Male", "north"), ("Female", "west")], ids=["a", "b"]
)
def test_two_protected_columns_of_text_at_once(files, models, gender, region):
    rows = pd.read_csv(files / "regional.csv")
    result = run(
        *("--model", files / "regional.skops", "--data", files / "regional.csv"),
        *("-p", f"Gender={gender}", "-p", f"Region={region}", "-f", "json"),
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    settings = [
        {"Gender": g, "Region": r}
        for g in ("Male", "Female")
        for r in ("north", "south", "west")
    ]
    expected = row_flips(models["regional"], rows, settings)
    assert 0 < expected < len(rows)
    assert report["headline"]["flipped_profiles"] == expected
    attributes = {a["name"]: a for a in report["attributes"]}
    assert attributes["Gender"]["privileged"] == gender
    assert attributes["Region"]["privileged"] == region
    assert sorted(attributes["Region"]["values"]) == ["north", "south", "west"]
    references = {
        (r["attribute"], r["reference"])
        for r in report["counterfactual"]
        if r["attribute"] in ("Gender", "Region")
    }
    assert references == {("Gender", gender), ("Region", region)}


def test_target_gives_true_label_metrics_on_the_real_rows(files, models):
    rows = pd.read_csv(files / "rows.csv")
    result = run(
        *("--model", files / "linear.skops", "--data", files / "rows.csv"),
        *("-p", "Gender_Code=1", "--target", "Approved", "-f", "json"),
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["populations"]["observed"] == {"rows": 300, "labels": True}
    predicted = models["linear"].predict(rows[LOAN_FEATURES])
    for code in (0, 1):
        mine = rows["Gender_Code"].to_numpy() == code
        y, p = rows["Approved"].to_numpy()[mine], predicted[mine]
        [group] = [
            g
            for g in report["groups"]
            if g["population"] == "observed" and g["group"] == code
        ]
        assert group["n"] == mine.sum()
        assert group["favourable"] == p.sum()
        assert group["true_positive_rate"] == pytest.approx(
            ((p == 1) & (y == 1)).sum() / (y == 1).sum(), abs=1e-12
        )
        assert group["accuracy"] == pytest.approx((p == y).mean(), abs=1e-12)


def test_the_target_column_is_checked(files):
    path = files / "rows.csv"
    base = ("--model", files / "linear.skops", "--data", path, "-p", "Gender_Code=1")
    unknown = run(*base, "--target", "approved")
    assert unknown.exit_code == 2
    assert unknown.stderr == (
        f"error: --target approved: {path} has no column 'approved'. Did you mean "
        "'Approved'? Columns: ['Name', 'Gender', 'Gender_Code', 'Income', "
        "'Approved'].\n"
    )
    protected = run(*base, "--target", "Gender_Code")
    assert protected.exit_code == 2
    assert protected.stderr == (
        "error: --target Gender_Code: the label column cannot also be a --protected "
        "attribute; name the column of true labels.\n"
    )
    leaky = run(
        *("--model", files / "leaky.skops", "--trust", TREE, "--data", path),
        *("-p", "Gender_Code=1", "--target", "Approved"),
    )
    assert leaky.exit_code == 2
    assert leaky.stderr == (
        "error: --target Approved: the model reads 'Approved' as a feature, so it "
        "would see the true label. Name the label column the model was not trained "
        "on, or retrain the model without it.\n"
    )


def test_unreadable_csvs_exit_2(files, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3,4,5\n")
    model = ("--model", files / "linear.skops")
    result = run(*model, "--data", empty, "-p", "a=1")
    assert result.exit_code == 2
    assert result.stderr == f"error: Data file {str(empty)!r} is empty.\n"
    result = run(*model, "--data", ragged, "-p", "a=1")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: Cannot read data file {str(ragged)!r} as CSV: Error tokenizing "
        "data. C error: Expected 2 fields in line 3, saw 3.\n"
    )


def test_a_varied_column_the_model_never_reads_exits_2(files):
    # The tree reads Gender_Code; varying Gender alone would never reach it.
    result = run(
        *("--model", files / "tree.skops", "--trust", TREE),
        *("--data", files / "rows.csv", "-p", "Gender=Male"),
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        "error: The model DecisionTreeClassifier does not read protected attribute "
        "'Gender'"
    )
    # Protecting the column the model does read audits it for real; insisting on
    # the unread one gives a flip rate of 0 with a warning.
    read = run(
        *("--model", files / "tree.skops", "--trust", TREE),
        *("--data", files / "rows.csv", "-p", "Gender_Code=1", "-f", "json"),
    )
    assert read.exit_code == 0, read.output
    assert json.loads(read.stdout)["headline"]["causal_discrimination_score"] > 0.3
    insisted = run(
        *("--model", files / "tree.skops", "--trust", TREE),
        *("--data", files / "rows.csv", "-p", "Gender=Male", "-f", "json"),
        "--allow-unread",
    )
    assert insisted.exit_code == 0, insisted.output
    assert json.loads(insisted.stdout)["headline"]["causal_discrimination_score"] == 0
    assert "warning: The model DecisionTreeClassifier does not read" in (
        insisted.stderr
    )


# -- favourable label, confidence -------------------------------------------------------
def test_favorable_picks_one_of_the_models_labels(files):
    base = ("--model", files / "worded.skops", "--trust", TREE)
    base += ("--spec", files / "loan.yaml", "-n", "100", "-f", "json")
    chosen = run(*base, "--favorable", "approved")
    assert chosen.exit_code == 0, chosen.output
    assert json.loads(chosen.stdout)["model"]["favorable_label"] == "approved"
    wrong = run(*base, "--favorable", "aproved")
    assert wrong.exit_code == 2
    assert wrong.stderr == (
        "error: --favorable aproved: the model predicts ['approved', 'denied'], not "
        "'aproved'. Did you mean 'approved'?\n"
    )
    missing = run(*base)
    assert missing.exit_code == 2
    assert missing.stderr.startswith(
        "error: Cannot tell which of the model's labels ['approved', 'denied'] is "
        "the favourable decision"
    )


def test_confidence_sets_the_interval_level(files):
    base = ("--model", files / "linear.skops", "--spec", files / "loan.yaml")
    result = run(*base, "-n", 100, "-f", "json", "--confidence", "0.9")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["confidence"] == 0.9
    bad = run(*base, "-n", 100, "--confidence", "1.5")
    assert bad.exit_code == 2
    assert bad.stderr == (
        "error: confidence must be a number between 0 and 1 (e.g. 0.95). Got 1.5.\n"
    )


# -- policies and exit codes ------------------------------------------------------------
@pytest.mark.parametrize(
    ("model", "policy", "status", "code"),
    [
        ("tree", "four_fifths.yaml", "fail", 1),  # disparate impact about 0.5
        ("tree", "half.yaml", "inconclusive", 3),  # its interval straddles 0.5
        ("fair", "strict.yaml", "pass", 0),  # no flips, equal selection rates
    ],
)
def test_the_exit_code_is_the_verdict(files, model, policy, status, code):
    result = run(
        *("--model", files / f"{model}.skops", "--trust", TREE),
        *("--spec", files / "loan.yaml", "-n", 200, "--policy", files / policy),
        *("-f", "json"),
    )
    assert result.exit_code == code, result.output
    report = json.loads(result.stdout)
    assert report["verdict"]["status"] == status
    assert report["confidence"] == 0.95  # 1 - the policy's significance
    assert result.stderr.startswith(f"Verdict: {status.upper()} (")


def test_a_malformed_policy_exits_2(files, tmp_path):
    base = ("--model", files / "linear.skops", "--spec", files / "loan.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [\n")
    result = run(*base, "--policy", broken)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: Policy file {str(broken)!r} is not valid YAML: "
    )
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("rules:\n  - {metric: disparate_impakt, min: 0.8}\n")
    result = run(*base, "--policy", unknown)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown.yaml.rules[0].metric: ")
    assert "Did you mean 'disparate_impact'?" in result.stderr


# -- output files ------------------------------------------------------------------
def audit_to(files, out, *extra):
    return run(
        *("--model", files / "linear.skops", "--spec", files / "loan.yaml"),
        *("-n", 100, "-f", "json", "--out", out, *extra),
    )


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if "partial" in p.name)


def test_out_writes_the_report_and_never_overwrites_without_force(
    files, tmp_path, monkeypatch
):
    out = tmp_path / "report.json"
    result = audit_to(files, out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"Wrote the json report to {out}.\n"
    assert json.loads(out.read_text())["pairs"] == 100

    out.write_text("my notes")

    def never(*args, **kwargs):
        raise AssertionError("the audit must not run when the file exists")

    with monkeypatch.context() as patch:
        patch.setattr(twinaudit.report, "audit", never)
        again = audit_to(files, out)
    assert again.exit_code == 2
    assert again.stderr == (
        f"error: {str(out)!r} already exists; use --force to replace it.\n"
    )
    assert out.read_text() == "my notes"
    forced = audit_to(files, out, "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads(out.read_text())["pairs"] == 100
    assert leftovers(tmp_path) == []


def test_out_in_a_missing_folder_exits_2(files, tmp_path):
    out = tmp_path / "nowhere" / "report.json"
    result = audit_to(files, out)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: Cannot write {str(out)!r}: the directory {str(out.parent)!r} does "
        "not exist. Create it first, or choose another output path.\n"
    )


@pytest.mark.parametrize("existing", [False, True], ids=["new", "forced"])
def test_a_failing_renderer_leaves_no_file(files, tmp_path, monkeypatch, existing):
    out = tmp_path / "report.json"
    if existing:
        out.write_text("the old report")

    def broken(self, *args, **kwargs):
        raise RuntimeError("renderer broke")

    monkeypatch.setattr(AuditReport, "to_json", broken)
    result = audit_to(files, out, "--force")
    assert result.exit_code == 70
    assert result.stderr == (
        "internal error: RuntimeError: renderer broke. This is a bug in twinaudit; "
        "please report it with the command you ran (twinaudit --debug ... shows the "
        "traceback).\n"
    )
    if existing:
        assert out.read_text() == "the old report"
    else:
        assert not out.exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("existing", [False, True], ids=["new", "forced"])
def test_a_write_failing_halfway_leaves_no_partial_file(
    files, tmp_path, monkeypatch, existing
):
    out = tmp_path / "report.json"
    if existing:
        out.write_text("the old report")
    real_write_text = pathlib.Path.write_text
    started = []

    def half_then_full_disk(self, text, *args, **kwargs):
        if not self.name.endswith(".partial"):
            return real_write_text(self, text, *args, **kwargs)
        real_write_text(self, text[: len(text) // 2], *args, **kwargs)
        started.append(self)
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(pathlib.Path, "write_text", half_then_full_disk)
    result = audit_to(files, out, "--force")
    assert started, "the injected failure must happen during the write"
    assert result.exit_code == 2, result.output
    kept = "The existing file is unchanged" if existing else "Nothing was written"
    assert result.stderr == (
        f"error: Cannot write {str(out)!r}: No space left on device. {kept}.\n"
    )
    if existing:
        assert out.read_text() == "the old report"
    else:
        assert not out.exists()
    assert leftovers(tmp_path) == []


# -- formats (the lead's renderers) ---------------------------------------------------
def test_markdown_goes_to_stdout(files):
    result = run(
        *("--model", files / "linear.skops", "--spec", files / "loan.yaml"),
        *("-n", 100, "-f", "md"),
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.lstrip().startswith("#")
    assert "disparate" in result.stdout.lower()


def test_html_is_written_whole_to_out(files, tmp_path):
    out = tmp_path / "report.html"
    result = run(
        *("--model", files / "linear.skops", "--spec", files / "loan.yaml"),
        *("-n", 100, "-f", "html", "-o", out),
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.lstrip().lower().startswith("<!doctype html")
    assert text.rstrip().lower().endswith("</html>")


def test_the_console_report_is_the_default(files, tmp_path):
    result = run(
        *("--model", files / "linear.skops", "--spec", files / "loan.yaml"),
        *("-n", 100, "--policy", files / "four_fifths.yaml"),
    )
    assert result.exit_code in (0, 1, 3), result.output
    assert "Pipeline" in result.stdout
    out = tmp_path / "report.txt"
    written = run(
        *("--model", files / "linear.skops", "--spec", files / "loan.yaml"),
        *("-n", 100, "-o", out),
    )
    assert written.exit_code == 0, written.output
    assert "Pipeline" in out.read_text()
    assert "\x1b[" not in out.read_text()  # plain text, no colour codes


# -- errors that are not the user's -----------------------------------------------------
def test_a_bug_is_an_internal_error_with_exit_70_and_no_traceback(files, monkeypatch):
    def buggy(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(twinaudit._models, "load_model", buggy)
    args = ("--model", files / "linear.skops", "--spec", files / "loan.yaml")
    result = run(*args)
    assert result.exit_code == 70
    assert result.stderr == (
        "internal error: ZeroDivisionError: division by zero. This is a bug in "
        "twinaudit; please report it with the command you ran (twinaudit --debug "
        "... shows the traceback).\n"
    )
    debug = run(*args, env={"TWINAUDIT_DEBUG": "1"})
    assert debug.exit_code == 70
    assert debug.stderr.startswith("Traceback (most recent call last):")
    assert 'raise ZeroDivisionError("division by zero")' in debug.stderr


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (
            PermissionError(errno.EACCES, "Permission denied", "model.skops"),
            "Permission denied: 'model.skops'.",
        ),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), None),
    ],
    ids=["oserror", "unicode"],
)
def test_unexpected_errors_from_user_files_exit_2(files, monkeypatch, error, line):
    def unreadable(*args, **kwargs):
        raise error

    monkeypatch.setattr(twinaudit._models, "load_model", unreadable)
    result = run("--model", files / "linear.skops", "--spec", files / "loan.yaml")
    assert result.exit_code == 2
    assert result.stderr == f"error: {line or error}\n"


def test_ctrl_c_exits_130(files, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(twinaudit._models, "load_model", interrupted)
    result = run("--model", files / "linear.skops", "--spec", files / "loan.yaml")
    assert result.exit_code == 130
    assert result.stderr == "error: interrupted.\n"


def test_warnings_are_one_line_each(files, tmp_path):
    # Every man of the tutorial's history is approved: false positive rates are
    # undefined for men (no unfavourable label), which twinaudit warns about.
    path = tmp_path / "history.csv"
    loan_applications(200, seed=3).to_csv(path, index=False)
    result = run(
        *("--model", files / "tree.skops", "--trust", TREE),
        *("--data", path, "-p", "Gender_Code=1", "--target", "Approved", "-f", "json"),
    )
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("warning: ")
    assert "undefined on this data" in lines[0]
    json.loads(result.stdout)  # the report is still whole on stdout


# -- a real process ----------------------------------------------------------------
def test_a_real_process_gives_the_codes_ci_reads(files):
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "250"}
    env.pop("TWINAUDIT_DEBUG", None)
    command = [sys.executable, "-m", "twinaudit.cli", "audit"]
    spec = ("--spec", str(files / "loan.yaml"))

    refused = subprocess.run(
        [*command, "--model", str(files / "tree.pkl"), *spec],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr.startswith(
        f"error: Refusing to load {str(files / 'tree.pkl')!r}: loading a pickle runs "
        "code from the file"
    )
    assert "Traceback" not in refused.stderr

    failed = subprocess.run(
        [
            *command,
            *("--model", str(files / "tree.pkl"), "--trust-pickle", *spec),
            *("-n", "200", "--policy", str(files / "four_fifths.yaml"), "-f", "json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert failed.returncode == 1, failed.stderr
    report = json.loads(failed.stdout)
    assert report["verdict"]["status"] == "fail"
    assert report["pairs"] == 200
    assert failed.stderr.startswith("Verdict: FAIL (1 rule: 1 fail; significance 0.05)")
    # The checkout was tested, not an installed copy.
    where = subprocess.run(
        [sys.executable, "-c", "import twinaudit.cli as c; print(c.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert where.stdout.strip() == str(SRC / "twinaudit" / "cli.py")


# -- the README says what the command does ----------------------------------------------
def readme_section():
    text = (SRC.parent / "README.md").read_text()
    return text.split("## Auditing from the command line", 1)[1].split("\n## ", 1)[0]


def test_the_readme_names_only_real_options():
    section = readme_section()
    options = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", section))
    assert {"--model", "--spec", "--data", "--protected", "--trust-pickle"} <= options
    root = CliRunner().invoke(app, ["--help"], env=WIDE).output  # --debug
    listed = " ".join((run("--help").output + root).split())
    missing = [o for o in sorted(options) if o not in listed]
    assert missing == []


def test_the_readme_table_of_exit_codes_matches_the_code():
    import twinaudit.cli as cli

    rows = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", readme_section(), re.M))
    assert sorted(map(int, rows)) == sorted(
        [
            cli.EXIT_OK,
            cli.EXIT_FAIL,
            cli.EXIT_INPUT,
            cli.EXIT_INCONCLUSIVE,
            cli.EXIT_INTERNAL,
            cli.EXIT_INTERRUPTED,
            cli.EXIT_TERMINATED,
        ]
    )
    assert "`fail`" in rows[str(cli.EXIT_FAIL)]
    assert "`inconclusive`" in rows[str(cli.EXIT_INCONCLUSIVE)]
    assert "`pass`" in rows[str(cli.EXIT_OK)]


def test_a_mcnemar_p_that_underflows_prints_below_1e_300():
    """3,000 pairs of the tutorial's tree: about 1,640 discordant pairs, all one way,
    so the exact p (2 ** (1 - n)) underflows to 0; every renderer says < 1e-300."""
    history = loan_applications(1000, seed=42)
    model = loan_model(history)
    twins = generate(loan_twin_spec(seed=42), 3000)
    frame = twins.frame.assign(
        Gender_Code=(twins.frame["Gender"] == "Male").astype(int)
    )
    decisions = model.predict(frame[LOAN_FEATURES]).reshape(-1, 2)
    discordant = int((decisions[:, 0] != decisions[:, 1]).sum())
    assert discordant > 1075  # 2 ** (1 - 1075) is below the smallest double
    import io

    from rich.console import Console

    report = twinaudit.report.audit(model, twins, n_boot=20)
    console = io.StringIO()
    Console(file=console, width=200, color_system=None).print(report)
    for fmt, text, marker in [
        ("md", report.to_markdown(), "&lt; 1e-300"),  # tables escape < as HTML does
        ("html", report.to_html(), "&lt; 1e-300"),
        ("console", console.getvalue(), "< 1e-300"),
    ]:
        assert text.count(marker) >= 3, fmt  # the metric, its p and adjusted p
        assert "0.00e+00" not in text
        rows = [
            line
            for line in text.splitlines()
            if "McNemar p (BH-adjusted)" in line and "Female" in line
        ]
        assert rows and all(marker in line for line in rows), (fmt, rows)


# -- streaming options ----------------------------------------------------------------
def test_a_streamed_cli_audit_gives_the_same_report(files):
    args = ["--model", files / "linear.skops", "--spec", files / "loan.yaml"]
    args += ["-n", 900, "--format", "json"]
    whole = run(*args)
    streamed = run(*args, "--chunk-size", 250, "--jobs", 2)
    assert whole.exit_code == 0 and streamed.exit_code == 0, streamed.output
    a, b = json.loads(whole.stdout), json.loads(streamed.stdout)
    assert a["pairs"] == b["pairs"] == 900
    for key in ("headline", "metrics", "counterfactual"):
        assert a[key] == b[key]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--jobs", "2"],
            "--jobs scores the chunks of a streamed audit: add --chunk-size PAIRS "
            "(or --dask SCHEDULER).",
        ),
    ],
)
def test_streaming_options_that_do_not_fit_exit_2(files, extra, message):
    args = ["--model", files / "linear.skops", "--spec", files / "loan.yaml"]
    result = run(*args, *extra)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {message}\n"


@pytest.mark.parametrize("value", ["0", "-3"])
def test_a_chunk_size_below_one_is_a_usage_error(files, value):
    args = ["--model", files / "linear.skops", "--spec", files / "loan.yaml"]
    result = run(*args, "--chunk-size", value)
    assert result.exit_code == 2
    assert "--chunk-size" in result.stderr and "Traceback" not in result.output
