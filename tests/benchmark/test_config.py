"""BenchmarkConfig: names checked with the closest suggested, files, the hash."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from twinaudit.benchmark import (
    BenchmarkConfig,
    DatasetConfig,
    default_config,
    load_config,
)
from twinaudit.exceptions import ConfigError
from twinaudit.mitigation import STRATEGIES

ROOT = Path(__file__).resolve().parents[2]


def make(**changes):
    base = {"datasets": ["loan"], "estimators": ["logistic_regression"]}
    return BenchmarkConfig.from_dict({**base, **changes})


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            {"datasets": ["german"]},
            "datasets: unknown data set 'german'. Did you mean 'german_credit'?",
        ),
        (
            {"datasets": [{"name": "adult", "attributes": ["gender"]}]},
            "datasets['adult'].attributes: unknown protected attribute 'gender'. "
            "Known: sex, race.",
        ),
        (
            {"datasets": [{"name": "adult", "atributes": ["sex"]}]},
            "datasets[0]: unknown key 'atributes'. Did you mean 'attributes'?",
        ),
        (
            {"datasets": [{"name": "loan", "max_rows": 5}]},
            "datasets['loan'].max_rows must be a whole number >= 20. Got 5.",
        ),
        (
            {"estimators": ["gradient_bosting"]},
            "estimators: unknown estimator 'gradient_bosting'. Did you mean "
            "'gradient_boosting'?",
        ),
        (
            {"strategies": ["Reweighing"]},
            "strategies: unknown strategy 'Reweighing'. Did you mean 'reweighing'?",
        ),
        (
            {"strategies": ["unmitigated"]},
            "strategies: 'unmitigated' (the plain estimator) always runs; leave it "
            "out of the list.",
        ),
        (
            {"strategies": ["reweighing"], "strategy_params": {"unawareness": {}}},
            "strategy_params: unknown strategy 'unawareness'.",
        ),
        (
            {
                "strategies": ["augmentation"],
                "strategy_params": {"augmentation": {"mod": "proxy"}},
            },
            "strategy_params.augmentation: unknown parameter 'mod'. Did you mean "
            "'mode'?",
        ),
        ({"seeds": []}, "seeds must be a non-empty list of whole numbers >= 0."),
        ({"seeds": [1, 1]}, "seeds: a seed is repeated. Got [1, 1]."),
        ({"test_size": 0}, "test_size must be a share of the rows, above 0"),
        (
            {"test_size": 0.5, "validation_size": 0.4},
            "test_size + validation_size must leave at least 20% of the rows",
        ),
        (
            {"split": "random"},
            "split: unknown split method 'random'.",
        ),
        (
            {"rank_by": "disparate_impakt"},
            "rank_by: unknown fairness metric 'disparate_impakt'. Did you mean "
            "'disparate_impact'?",
        ),
        ({"n_jobs": 2}, "config: unknown key 'n_jobs'."),
    ],
)
def test_bad_configurations_name_the_key_and_the_fix(changes, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        make(**changes)


def test_all_strategies_are_written_out_and_hashed():
    config = make(strategies="all")
    assert config.strategies == tuple(STRATEGIES)
    assert config.to_dict()["strategies"] == list(STRATEGIES)
    assert make(strategies=["reweighing"]).hash != config.hash


def test_cells_in_order_and_defaults():
    config = make(
        datasets=[{"name": "adult", "attributes": ["race"]}, "loan"],
        strategies=["reweighing"],
        seeds=[3, 1],
    )
    assert config.datasets == (
        DatasetConfig("adult", ("race",)),
        DatasetConfig("loan", ("Gender",)),
    )
    assert config.cells() == [
        (d, a, "logistic_regression", s, seed)
        for d, a in (("adult", "race"), ("loan", "Gender"))
        for s in ("unmitigated", "reweighing")
        for seed in (3, 1)
    ]


def test_hash_ignores_where_the_data_lives_and_nothing_else():
    a = make(data_home="/one")
    assert a.hash == make(data_home="/two").hash == make().hash
    assert a.hash != make(seeds=[0, 1]).hash
    assert a.hash != make(confidence=0.9).hash
    assert BenchmarkConfig.from_dict(a.to_dict()) == a


@pytest.mark.parametrize("suffix", [".yaml", ".toml"])
def test_configuration_files(tmp_path, suffix):
    path = tmp_path / f"bench{suffix}"
    if suffix == ".yaml":
        path.write_text(
            "datasets:\n  - {name: adult, attributes: [sex], max_rows: 500}\n"
            "estimators: [logistic_regression]\n"
            "strategies: [reweighing, augmentation]\n"
            "strategy_params:\n  augmentation: {mode: proxy}\n"
            "seeds: [0, 1]\n"
        )
    else:
        path.write_text(
            'estimators = ["logistic_regression"]\n'
            'strategies = ["reweighing", "augmentation"]\n'
            "seeds = [0, 1]\n"
            '[[datasets]]\nname = "adult"\nattributes = ["sex"]\nmax_rows = 500\n'
            '[strategy_params.augmentation]\nmode = "proxy"\n'
        )
    assert load_config(path) == BenchmarkConfig(
        datasets=(DatasetConfig("adult", ("sex",), 500),),
        estimators=("logistic_regression",),
        strategies=("reweighing", "augmentation"),
        strategy_params={"augmentation": {"mode": "proxy"}},
        seeds=(0, 1),
    )


def test_bad_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("datasets: [loan\n")
    with pytest.raises(ConfigError, match=re.escape(f"{str(bad)!r} is not valid YAML")):
        load_config(bad)
    other = tmp_path / "bench.json"
    other.write_text("{}")
    with pytest.raises(ConfigError, match=re.escape("ends in .yaml, .yml or .toml")):
        load_config(other)
    typo = tmp_path / "typo.yaml"
    typo.write_text("datasets: [loan]\nseed: [1]\n")
    with pytest.raises(
        ConfigError,
        match=re.escape("typo.yaml: unknown key 'seed'. Did you mean 'seeds'?"),
    ):
        load_config(typo)


def test_default_configuration_file_is_the_default(shared_data):
    """benchmarks/bench_mitigation.yaml is what `twinaudit bench` runs by default
    (with every real data set present)."""
    written = load_config(ROOT / "benchmarks" / "bench_mitigation.yaml")
    default = default_config(str(shared_data))
    assert written.hash == default.hash
    assert [d.name for d in default.datasets] == [
        "adult",
        "german_credit",
        "compas",
        "bank_marketing",
        "loan",
    ]
    assert default.seeds == (0, 1, 2, 3, 4)
    assert default.strategies == tuple(STRATEGIES)
    assert default.estimators == ("logistic_regression", "gradient_boosting")


def test_default_configuration_leaves_out_missing_data_sets(tmp_path):
    assert [d.name for d in default_config(str(tmp_path)).datasets] == ["loan"]


def test_the_readmes_benchmark_configuration_is_valid(tmp_path):
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Benchmarking mitigation strategies") :]
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    path = tmp_path / "readme.yaml"
    path.write_text(block)
    config = load_config(path)
    assert [d.name for d in config.datasets] == ["adult", "german_credit"]
    assert config.datasets[0].max_rows == 5000
    assert config.strategy_params == {"exponentiated_gradient": {"max_iter": 5}}
