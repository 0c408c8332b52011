"""The README's first commands are the ones CI runs."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Quick start.*?```bash\n(.*?)```", text, re.S)
    assert block, "README must open with a Quick start bash block"
    return [
        line
        for line in block.group(1).splitlines()
        if line and not line.startswith("#")
    ]


def test_readme_opens_with_the_demo_and_the_test_command():
    demo, tests = _commands()
    assert demo.endswith("twinaudit demo")
    assert "pytest" in tests


def test_ci_runs_the_readmes_test_command_verbatim():
    _, tests = _commands()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert tests in ci


def _blocks(language: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def test_the_python_tour_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(_blocks("python")[0], "README tour", "exec"), namespace)
    report = namespace["report"]
    assert report.n_pairs == 10_000
    # By hand on the twins: the tree approves every man and a woman above 79,997
    # (its split, as the README says), so a pair flips exactly when its income is
    # at most 79,997; with seed 42 that is 5,524 of the 10,000 pairs.
    incomes = namespace["twins"].frame["Income"].to_numpy()[::2]
    flips = int((incomes <= 79_997).sum())
    assert flips == 5_524
    assert report.flip_rate == pytest.approx(flips / 10_000, abs=1e-12)
    assert namespace["result"].summary().index[0] == "original model"


def test_the_yaml_example_is_a_valid_spec():
    import yaml

    from twinaudit.generation import generate
    from twinaudit.spec import spec_from_dict

    spec = spec_from_dict(yaml.safe_load(_blocks("yaml")[0]))
    frame = generate(spec, 50).frame
    assert frame["age"].between(20, 76).all()
    assert list(frame.columns) == [
        "pair_id",
        "gender",
        "income",
        "job",
        "birth_date",
        "age",
        "first_name",
    ]
