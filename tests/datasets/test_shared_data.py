"""The real data sets in ../shared/data are the documented files, read correctly.

Expected numbers are the published ones: the checksums and row counts of
../shared/data/README.md, UCI's class counts, and ProPublica's compas-analysis
notebook (6,172 defendants after its filters; AIF360 keeps 6,167).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

SHA256 = {
    "adult/adult.data": (
        "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d"
    ),
    "adult/adult.test": (
        "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05"
    ),
    "bank/bank-additional-full.csv": (
        "74adfc578bf77a7ff4bb1ba4a9f8709d9e3c6907342959c2c8416847e0afb4d8"
    ),
    "compas/compas-scores-two-years.csv": (
        "c451db85908b2f7fef1d83203bedf6b71ecda0d5af468d82ae62178f91d0cc7d"
    ),
    "german/german.data": (
        "b21f3d81db8071257d5ff1deaeba1fd4303b62712e6fcc9715c7a86202cb5871"
    ),
}

ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]


def read_adult(path: Path, *, skiprows: int = 0) -> pd.DataFrame:
    return pd.read_csv(
        path,
        header=None,
        names=ADULT_COLUMNS,
        skipinitialspace=True,
        na_values="?",
        skiprows=skiprows,
    )


@pytest.mark.parametrize("name", sorted(SHA256))
def test_the_files_are_the_documented_ones(shared_data, name):
    digest = hashlib.sha256((shared_data / name).read_bytes()).hexdigest()
    assert digest == SHA256[name]


def test_adult_rows_and_the_income_split_by_sex(shared_data):
    train = read_adult(shared_data / "adult" / "adult.data")
    # adult.test opens with a "|1x3 Cross validator" line; its labels end in ".".
    test = read_adult(shared_data / "adult" / "adult.test", skiprows=1)
    assert (len(train), len(test)) == (32_561, 16_281)
    assert len(pd.concat([train, test]).dropna()) == 45_222
    assert set(test["income"]) == {"<=50K.", ">50K."}
    counts = pd.crosstab(train["sex"], train["income"])
    assert counts.to_dict("index") == {
        "Female": {"<=50K": 9_592, ">50K": 1_179},
        "Male": {"<=50K": 15_128, ">50K": 6_662},
    }
    assert train["race"].value_counts().to_dict() == {
        "White": 27_816,
        "Black": 3_124,
        "Asian-Pac-Islander": 1_039,
        "Amer-Indian-Eskimo": 311,
        "Other": 271,
    }


def test_compas_propublica_filters(shared_data):
    raw = pd.read_csv(shared_data / "compas" / "compas-scores-two-years.csv")
    assert len(raw) == 7_214
    kept = raw[
        raw["days_b_screening_arrest"].between(-30, 30)
        & (raw["is_recid"] != -1)
        & (raw["c_charge_degree"] != "O")
        & (raw["score_text"] != "N/A")
    ]
    assert len(kept) == 6_172
    assert len(kept.dropna(subset=["c_charge_desc"])) == 6_167
    assert kept["race"].value_counts().to_dict() == {
        "African-American": 3_175,
        "Caucasian": 2_103,
        "Hispanic": 509,
        "Other": 343,
        "Asian": 31,
        "Native American": 11,
    }
    assert kept["sex"].value_counts().to_dict() == {"Male": 4_997, "Female": 1_175}
    assert kept["score_text"].value_counts().to_dict() == {
        "Low": 3_421,
        "Medium": 1_607,
        "High": 1_144,
    }
    assert kept["two_year_recid"].sum() == 2_809


def test_bank_marketing_rows_and_outcome(shared_data):
    bank = pd.read_csv(shared_data / "bank" / "bank-additional-full.csv", sep=";")
    assert bank.shape == (41_188, 21)
    assert bank["y"].value_counts().to_dict() == {"no": 36_548, "yes": 4_640}
    assert bank["age"].between(17, 98).all()


CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


@pytest.mark.parametrize(
    "ci, outcome",
    [("true", {"errors": 1}), ("", {"skipped": 1}), ("false", {"skipped": 1})],
)
def test_missing_data_fails_under_ci_and_skips_elsewhere(
    pytester, monkeypatch, ci, outcome
):
    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("TWINAUDIT_DATA", str(pytester.path / "nowhere"))
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile("def test_needs_data(shared_data):\n    pass\n")
    result = pytester.runpytest("-rs")
    result.assert_outcomes(**outcome)
    result.stdout.fnmatch_lines(["*real data sets not found at *nowhere*"])
    if ci:
        assert ("CI=true but" in result.stdout.str()) == (ci == "true")


def test_complete_data_folder_is_used(pytester, monkeypatch, shared_data):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("TWINAUDIT_DATA", str(shared_data))
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(
        "def test_needs_data(shared_data):\n"
        f"    assert str(shared_data) == {str(shared_data)!r}\n"
    )
    pytester.runpytest().assert_outcomes(passed=1)
