"""Loaders of the standard fairness data sets, in scikit-learn's ``fetch_*`` style.

Each returns a :class:`sklearn.utils.Bunch` with

- ``data``: the features (a DataFrame; text columns are pandas ``category``),
  including the protected attributes in the form the model reads them;
- ``target``: the label as a 0/1 Series, **1 the favourable outcome**;
- ``sensitive_features``: the protected columns of ``data`` (a DataFrame);
- ``privileged``: ``{attribute: privileged value}``;
- ``frame``: ``data`` and ``target`` side by side;
- ``target_name``, ``favorable_label`` (always 1), ``feature_names``;
- ``DESCR``: the source, and every preprocessing step, in order.

The row counts after preprocessing are the published ones: Adult 45,222, German
credit 1,000, COMPAS 6,167 (AIF360's count), Bank marketing 41,188.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from twinaudit.datasets._files import data_file

__all__ = [
    "fetch_adult",
    "fetch_bank_marketing",
    "fetch_compas",
    "fetch_german_credit",
    "fetch_loan",
]

PathLike = str | os.PathLike[str] | None


def _categorical(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as pandas ``category`` (sorted categories): clean for pandas 3,
    AIF360 and every encoder."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            values = out[column].astype(str)
            out[column] = pd.Categorical(values, categories=sorted(values.unique()))
    return out


def _bunch(
    data: pd.DataFrame,
    target: pd.Series,
    privileged: dict[str, Any],
    descr: str,
    name: str,
) -> Any:
    from sklearn.utils import Bunch

    data = _categorical(data).reset_index(drop=True)
    target = pd.Series(
        np.asarray(target, dtype=np.int64), name=target.name, index=data.index
    )
    frame = pd.concat([data, target], axis=1)
    return Bunch(
        data=data,
        target=target,
        sensitive_features=data[list(privileged)].copy(),
        privileged=dict(privileged),
        frame=frame,
        target_name=str(target.name),
        favorable_label=1,
        feature_names=list(data.columns),
        name=name,
        DESCR=descr,
    )


def _file(path: str, data_home: PathLike, download: bool, base_url: str | None) -> Any:
    return data_file(
        path, data_home=data_home, download_if_missing=download, base_url=base_url
    )


# -- Adult ---------------------------------------------------------------------------
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

ADULT_DESCR = """\
Adult (census income), UCI Machine Learning Repository (Becker & Kohavi, 1996),
original files adult.data (32,561 rows) and adult.test (16,281 rows).

Preprocessing, in order:
1. Read both files (adult.test: its first line, "|1x3 Cross validator", skipped);
   leading spaces stripped; "?" read as missing.
2. Concatenated (train first), the test labels' trailing "." removed.
3. Rows with any missing value dropped (as AIF360's AdultDataset): 45,222 rows.
4. fnlwgt dropped: it is the census sampling weight, not a person's attribute.
5. Target income: 1 (favourable) for ">50K", 0 for "<=50K".
6. Text columns as pandas category.

Protected attributes: sex (privileged "Male"), race (privileged "White"; 5 values).
"""


def fetch_adult(
    *,
    data_home: PathLike = None,
    download_if_missing: bool = False,
    base_url: str | None = None,
) -> Any:
    """UCI Adult: will a person earn more than 50,000 dollars a year?

    Parameters
    ----------
    data_home : str or path, optional
        Folder holding ``adult/adult.data`` and ``adult/adult.test`` (default:
        ``$TWINAUDIT_DATA``, then ``~/.cache/twinaudit``).
    download_if_missing : bool
        Fetch missing files from UCI, checking their sha256, before reading them.
    base_url : str, optional
        A mirror laid out like the data folder (``{base_url}/adult/adult.data``);
        default ``$TWINAUDIT_DATA_URL``, else the canonical UCI address.

    Returns
    -------
    Bunch
        45,222 rows; see the module's docstring for the fields and ``DESCR`` for
        the preprocessing.

    Examples
    --------
    >>> adult = fetch_adult()  # doctest: +SKIP
    >>> adult.data.shape, adult.privileged  # doctest: +SKIP
    ((45222, 13), {'sex': 'Male', 'race': 'White'})
    """
    paths = [
        _file(p, data_home, download_if_missing, base_url)
        for p in ("adult/adult.data", "adult/adult.test")
    ]
    parts = [
        pd.read_csv(
            path,
            header=None,
            names=ADULT_COLUMNS,
            skipinitialspace=True,
            na_values="?",
            skiprows=skip,
        )
        for path, skip in zip(paths, (0, 1), strict=True)
    ]
    raw = pd.concat(parts, ignore_index=True).dropna()
    income = raw["income"].astype(str).str.rstrip(".")
    target = pd.Series((income == ">50K").astype(np.int64), name="income")
    data = raw.drop(columns=["income", "fnlwgt"])
    return _bunch(data, target, {"sex": "Male", "race": "White"}, ADULT_DESCR, "adult")


# -- German credit -------------------------------------------------------------------
GERMAN_COLUMNS = [
    "status",
    "duration",
    "credit_history",
    "purpose",
    "credit_amount",
    "savings",
    "employment",
    "installment_rate",
    "personal_status",
    "other_debtors",
    "residence_since",
    "property",
    "age",
    "installment_plans",
    "housing",
    "number_of_credits",
    "job",
    "people_liable",
    "telephone",
    "foreign_worker",
    "credit",
]

#: Attribute 9 (personal status and sex) of the UCI documentation.
GERMAN_SEX = {
    "A91": "male",
    "A92": "female",
    "A93": "male",
    "A94": "male",
    "A95": "female",
}

GERMAN_DESCR = """\
Statlog (German credit data), UCI Machine Learning Repository (Hofmann, 1994),
original file german.data (1,000 rows, 20 attributes, space separated, no header).

Preprocessing, in order:
1. Columns named after the UCI documentation (status, duration, ..., credit);
   categorical attributes keep their UCI codes (A11, A12, ...).
2. sex derived from attribute 9, personal_status (A91, A93, A94 male; A92, A95
   female), then personal_status dropped (as AIF360's GermanDataset).
3. age binarised as in AIF360's tutorial: "25 or older" (privileged) or
   "under 25"; the numeric age is not kept.
4. Target credit: 1 (favourable) for good credit (code 1), 0 for bad (code 2).
5. Text columns as pandas category.

Protected attributes: age (privileged "25 or older"), sex (privileged "male").
"""


def fetch_german_credit(
    *,
    data_home: PathLike = None,
    download_if_missing: bool = False,
    base_url: str | None = None,
) -> Any:
    """UCI Statlog German credit: is an applicant a good credit risk?

    Parameters and return value as :func:`fetch_adult` (file
    ``german/german.data``); 1,000 rows.

    Examples
    --------
    >>> german = fetch_german_credit()  # doctest: +SKIP
    >>> german.privileged  # doctest: +SKIP
    {'age': '25 or older', 'sex': 'male'}
    """
    path = _file("german/german.data", data_home, download_if_missing, base_url)
    raw = pd.read_csv(path, sep=" ", header=None, names=GERMAN_COLUMNS)
    data = raw.drop(columns=["credit", "personal_status", "age"])
    data.insert(0, "sex", raw["personal_status"].map(GERMAN_SEX))
    data.insert(0, "age", np.where(raw["age"] >= 25, "25 or older", "under 25"))
    target = pd.Series((raw["credit"] == 1).astype(np.int64), name="credit")
    privileged = {"age": "25 or older", "sex": "male"}
    return _bunch(data, target, privileged, GERMAN_DESCR, "german_credit")


# -- COMPAS --------------------------------------------------------------------------
COMPAS_FEATURES = [
    "sex",
    "age",
    "age_cat",
    "race",
    "juv_fel_count",
    "juv_misd_count",
    "juv_other_count",
    "priors_count",
    "c_charge_degree",
    "c_charge_desc",
]

COMPAS_DESCR = """\
COMPAS recidivism, ProPublica's compas-analysis repository (Angwin et al., 2016),
original file compas-scores-two-years.csv (7,214 rows).

Preprocessing, in order:
1. ProPublica's filters: days_b_screening_arrest within [-30, 30], is_recid not
   -1, c_charge_degree not "O", score_text not "N/A": 6,172 rows.
2. The features of AIF360's CompasDataset kept: sex, age, age_cat, race,
   juv_fel_count, juv_misd_count, juv_other_count, priors_count, c_charge_degree,
   c_charge_desc; rows with a missing charge description dropped: 6,167 rows
   (AIF360's count).
3. Target two_year_recid inverted so that 1 is the favourable outcome: 1 when the
   defendant did not reoffend within two years, 0 when they did.
4. Text columns as pandas category.

Protected attributes: race (privileged "Caucasian"; 6 values), sex (privileged
"Female", as in AIF360).
"""


def fetch_compas(
    *,
    data_home: PathLike = None,
    download_if_missing: bool = False,
    base_url: str | None = None,
) -> Any:
    """ProPublica's COMPAS data: will a defendant not reoffend within two years?

    Parameters and return value as :func:`fetch_adult` (file
    ``compas/compas-scores-two-years.csv``); 6,167 rows.
    """
    path = _file(
        "compas/compas-scores-two-years.csv", data_home, download_if_missing, base_url
    )
    raw = pd.read_csv(path)
    kept = raw[
        raw["days_b_screening_arrest"].between(-30, 30)
        & (raw["is_recid"] != -1)
        & (raw["c_charge_degree"] != "O")
        & (raw["score_text"] != "N/A")
    ]
    kept = kept[[*COMPAS_FEATURES, "two_year_recid"]].dropna()
    target = pd.Series(
        (kept["two_year_recid"] == 0).astype(np.int64), name="no_recidivism"
    )
    data = kept[COMPAS_FEATURES]
    privileged = {"race": "Caucasian", "sex": "Female"}
    return _bunch(data, target, privileged, COMPAS_DESCR, "compas")


# -- Bank marketing ------------------------------------------------------------------
BANK_DESCR = """\
Bank marketing, UCI Machine Learning Repository (Moro, Cortez & Rita, 2014; cite
when used), original file bank-additional-full.csv (41,188 rows, ";" separated).

Preprocessing, in order:
1. Column names with "." written with "_" (emp.var.rate -> emp_var_rate).
2. duration dropped: it is only known after the call, and UCI's documentation says
   it should be discarded for a realistic predictive model.
3. age binarised as in AIF360's BankDataset: "25 or older" (privileged) or
   "under 25"; the numeric age is not kept. "unknown" values stay a category of
   their own, so every row is kept: 41,188 rows.
4. Target y: 1 (favourable) when the client subscribed a term deposit ("yes").
5. Text columns as pandas category.

Protected attribute: age (privileged "25 or older").
"""


def fetch_bank_marketing(
    *,
    data_home: PathLike = None,
    download_if_missing: bool = False,
    base_url: str | None = None,
) -> Any:
    """UCI Bank marketing: will a client subscribe a term deposit?

    Parameters and return value as :func:`fetch_adult` (file
    ``bank/bank-additional-full.csv``; the canonical source is UCI's
    ``bank-additional.zip``, from which the file is extracted); 41,188 rows.
    """
    path = _file(
        "bank/bank-additional-full.csv", data_home, download_if_missing, base_url
    )
    raw = pd.read_csv(path, sep=";")
    raw.columns = [c.replace(".", "_") for c in raw.columns]
    data = raw.drop(columns=["y", "duration", "age"])
    data.insert(0, "age", np.where(raw["age"] >= 25, "25 or older", "under 25"))
    target = pd.Series((raw["y"] == "yes").astype(np.int64), name="y")
    return _bunch(data, target, {"age": "25 or older"}, BANK_DESCR, "bank_marketing")


# -- the tutorial's loan scenario ----------------------------------------------------
LOAN_DESCR = """\
The tutorial's loan scenario ("Auditing Model Bias with Balanced Datasets with
Mimesis"): synthetic applicants drawn by twinaudit.datasets.loan_applications,
exactly as the tutorial draws them (numpy's legacy RandomState(seed): genders with
choice(["Male", "Female"]), incomes uniform in [30,000, 120,000)). Men are always
approved; women only with an income above 80,000.

Preprocessing, in order:
1. Name dropped (a first name drawn for the gender: a proxy, not a feature) and
   Gender_Code dropped (the same information as Gender).
2. Target Approved: 1 (favourable) approved, 0 denied.
3. Gender as pandas category.

Protected attribute: Gender (privileged "Male").
"""


def fetch_loan(n: int = 1000, seed: int = 42) -> Any:
    """The tutorial's biased loan history as a Bunch, like the real data sets.

    Nothing is read from disk; ``n`` applicants are drawn with ``seed`` (the
    defaults give the tutorial's own 1,000 applicants).

    Examples
    --------
    >>> loan = fetch_loan()
    >>> loan.data.shape, loan.privileged
    ((1000, 2), {'Gender': 'Male'})
    """
    from twinaudit.datasets._loan import loan_applications

    history = loan_applications(n, seed=seed)
    data = history[["Gender", "Income"]]
    target = history["Approved"].rename("Approved")
    return _bunch(data, target, {"Gender": "Male"}, LOAN_DESCR, "loan")


#: The files each loader reads (paths in the data folder); the loan scenario reads none.
FILES: dict[str, tuple[str, ...]] = {
    "adult": ("adult/adult.data", "adult/adult.test"),
    "german_credit": ("german/german.data",),
    "compas": ("compas/compas-scores-two-years.csv",),
    "bank_marketing": ("bank/bank-additional-full.csv",),
    "loan": (),
}

#: Each data set's protected attributes and their privileged values.
PROTECTED: dict[str, dict[str, str]] = {
    "adult": {"sex": "Male", "race": "White"},
    "german_credit": {"age": "25 or older", "sex": "male"},
    "compas": {"race": "Caucasian", "sex": "Female"},
    "bank_marketing": {"age": "25 or older"},
    "loan": {"Gender": "Male"},
}

#: Every loader by the name a benchmark configuration uses.
LOADERS: dict[str, Callable[..., Any]] = {
    "adult": fetch_adult,
    "german_credit": fetch_german_credit,
    "compas": fetch_compas,
    "bank_marketing": fetch_bank_marketing,
    "loan": fetch_loan,
}
