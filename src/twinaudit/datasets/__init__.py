"""Data sets: the tutorial's loan scenario, and loaders of real fairness data sets
in scikit-learn's ``fetch_*`` style (files checked against their sha256)."""

from twinaudit.datasets._fetch import (
    FILES,
    LOADERS,
    PROTECTED,
    fetch_adult,
    fetch_bank_marketing,
    fetch_compas,
    fetch_german_credit,
    fetch_loan,
)
from twinaudit.datasets._files import (
    REMOTE_FILES,
    RemoteFile,
    data_file,
    get_data_home,
)
from twinaudit.datasets._loan import FEATURES as LOAN_FEATURES
from twinaudit.datasets._loan import (
    loan_applications,
    loan_model,
    loan_twin_spec,
    tutorial_rule,
)

__all__ = [
    "FILES",
    "LOADERS",
    "LOAN_FEATURES",
    "PROTECTED",
    "REMOTE_FILES",
    "RemoteFile",
    "data_file",
    "fetch_adult",
    "fetch_bank_marketing",
    "fetch_compas",
    "fetch_german_credit",
    "fetch_loan",
    "get_data_home",
    "loan_applications",
    "loan_model",
    "loan_twin_spec",
    "tutorial_rule",
]
