"""The README's audit of labelled rows and its policy file work as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _block(language: str, containing: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", README, re.S)
    return next(b for b in blocks if containing in b)


def test_the_labelled_rows_example_runs_and_fails_its_policy(capsys):
    from twinaudit.exceptions import UndefinedMetricWarning

    namespace: dict = {}
    code = compile(_block("python", "from_frame(test.drop"), "README", "exec")
    # No man in the history is ever denied: his false positive rate is undefined.
    with pytest.warns(UndefinedMetricWarning, match="false positive rate of Gender"):
        exec(code, namespace)
    report = namespace["report"]
    verdict = report.verdict()
    assert verdict.status == "fail"
    assert report.populations == ("twins", "observed")
    # By hand: the tree approves every man, and a woman only above its split.
    test = namespace["test"]
    women = test[test["Gender"] == "Female"]
    flips = report.flip()
    assert flips["profiles"] == len(test)
    assert 0.5 < flips["flip_rate"] < 0.65
    tpr_women = report.metric("true_positive_rate", group="Female")
    approved = women[women["Approved"] == 1]
    decided = namespace["model"].predict(
        approved.assign(Gender_Code=0)[["Gender_Code", "Income"]]
    )
    assert float(tpr_women) == pytest.approx(decided.mean(), abs=1e-12)
    assert "fail" in capsys.readouterr().out


def test_the_policy_file_in_the_readme_loads(tmp_path):
    from twinaudit.report import load_policy

    text = _block("yaml", "rules:")
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    policy = load_policy(path)
    assert policy.name == "lending" and len(policy.rules) == 3
    assert yaml.safe_load(text)["rules"][0] == {
        "metric": "disparate_impact",
        "min": 0.8,
    }
