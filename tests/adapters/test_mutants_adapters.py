"""Adapter details that the broader adapter tests leave open (found by mutmut).

Each test pins one behaviour a one-line change in ``twinaudit.adapters`` would
break: the missing-dependency messages, the AIF360 logging filter, the codes of
protected attributes, feature encodings, label checks, and the AIF360/Fairlearn
numbers computed on count tables. Expected values are hand counts or the libraries
run here on the raw rows.
"""

from __future__ import annotations

import logging
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from twinaudit.adapters import Encoding, attribute_codes
from twinaudit.adapters._encoding import encode_features, real_rows, true_labels
from twinaudit.adapters._lazy import (
    _OptionalPackageFilter,
    import_aif360,
    import_fairlearn,
)
from twinaudit.exceptions import DataError, MissingDependencyError
from twinaudit.spec import ProtectedAttribute

# -- lazy imports -------------------------------------------------------------------


def test_import_fairlearn_returns_the_named_module():
    import fairlearn.metrics
    import fairlearn.postprocessing

    assert import_fairlearn() is fairlearn.metrics
    assert import_fairlearn("fairlearn.postprocessing") is fairlearn.postprocessing


def test_import_aif360_returns_the_named_module():
    import aif360
    import aif360.metrics

    assert import_aif360() is aif360
    assert import_aif360("aif360.metrics") is aif360.metrics


def test_missing_fairlearn_module_names_the_package_to_install():
    message = (
        "fairlearn.no_such_module is needed for this; install it with "
        "`pip install 'fairlearn>=0.15.0'` (a dependency of twinaudit)."
    )
    with pytest.raises(MissingDependencyError, match=re.escape(message)) as info:
        import_fairlearn("fairlearn.no_such_module")
    assert isinstance(info.value.__cause__, ImportError)


def test_missing_aif360_module_names_the_package_to_install():
    message = (
        "aif360.no_such_module is needed for this; install it with "
        "`pip install 'aif360>=0.6.1'` (a dependency of twinaudit)."
    )
    with pytest.raises(MissingDependencyError, match=re.escape(message)) as info:
        import_aif360("aif360.no_such_module")
    assert isinstance(info.value.__cause__, ImportError)


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("root", logging.WARNING, __file__, 1, message, None, None)


@pytest.mark.parametrize(
    ("message", "kept"),
    [
        # AIF360's notice for a missing optional package: swallowed.
        (
            "No module named 'tensorflow': AdversarialDebiasing will be unavailable. "
            "To install, run:\npip install 'aif360[AdversarialDebiasing]'",
            False,
        ),
        # Only one of the two marks: someone else's record, kept.
        ("The cache will be unavailable until restart.", True),
        ("Run pip install --upgrade to update.", True),
        ("An ordinary warning.", True),
    ],
)
def test_the_aif360_filter_drops_only_optional_package_notices(message, kept):
    assert _OptionalPackageFilter().filter(_record(message)) is kept


# -- encodings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "privileged", "expected"),
    [
        (["F", "M"], "M", {"M": 1.0, "F": 0.0}),
        (["M", "F"], "M", {"M": 1.0, "F": 0.0}),
        (
            ["black", "white", "asian"],
            "white",
            {"white": 1.0, "black": 0.0, "asian": 2.0},
        ),
        (["a", "b", "c", "d"], "a", {"a": 1.0, "b": 0.0, "c": 2.0, "d": 3.0}),
        (["a", "b", "c", "d"], "d", {"d": 1.0, "a": 0.0, "b": 2.0, "c": 3.0}),
    ],
)
def test_attribute_codes_put_the_privileged_value_at_one(values, privileged, expected):
    codes = attribute_codes(ProtectedAttribute("x", values, privileged=privileged))
    assert codes == expected


def test_encoding_decodes_protected_and_feature_codes():
    encoding = Encoding(
        protected={"race": {1.0: "white", 0.0: "black", 2.0: "asian"}},
        features={"job": {0.0: "clerk", 1.0: "nurse"}},
    )
    assert encoding.decode("race", [2, 1.0, 0]) == ["asian", "white", "black"]
    assert encoding.decode("job", np.array([1.0, 0.0])) == ["nurse", "clerk"]
    assert encoding.decode("income", (3.5, 4.0)) == [3.5, 4.0]


def test_encode_features_codes_each_kind():
    frame = pd.DataFrame(
        {
            "pair": [0, 0, 1],
            "n": np.array([3, 4, 5], dtype=np.int16),
            "ok": [True, False, True],
            "x": [0.5, 1.5, 2.5],
            "job": ["nurse", "clerk", "nurse"],
            "day": pd.to_datetime(["1970-01-02", "1970-01-11", "2000-01-01"]),
            "size": pd.Categorical(["L", "S", "L"], categories=["S", "L"]),
        }
    )
    out, encoding = encode_features(frame, ["pair"])
    assert list(out) == ["n", "ok", "x", "job", "day", "size"]
    assert all(v.dtype == np.float64 for v in out.values())
    assert out["n"].tolist() == [3.0, 4.0, 5.0]
    assert out["ok"].tolist() == [1.0, 0.0, 1.0]
    assert out["x"].tolist() == [0.5, 1.5, 2.5]
    # Text: codes in order of first appearance.
    assert out["job"].tolist() == [0.0, 1.0, 0.0]
    assert encoding.features["job"] == {0.0: "nurse", 1.0: "clerk"}
    # Dates: days since 1970-01-01 (10957 days to 2000-01-01).
    assert out["day"].tolist() == [1.0, 10.0, 10957.0]
    assert encoding.dates == ["day"]
    assert out["size"].tolist() == [0.0, 1.0, 0.0]
    assert encoding.features["size"] == {0.0: "L", 1.0: "S"}
    assert set(encoding.features) == {"job", "size"}


def test_encode_features_refuses_missing_values():
    frame = pd.DataFrame({"x": [1.0, np.nan, np.nan], "y": [1, 2, 3]})
    message = (
        "Column 'x' has 2 missing value(s); AIF360 needs complete data. Fill or "
        "drop them first."
    )
    with pytest.raises(DataError, match=re.escape(message)):
        encode_features(frame, [])
    out, _ = encode_features(frame, ["x"])
    assert list(out) == ["y"]


def test_true_labels_mark_the_favourable_value():
    frame = pd.DataFrame({"y": ["no", "yes", "yes", "no"]})
    labels = true_labels(frame, "y", "yes")
    assert labels.dtype == np.int8
    assert labels.tolist() == [0, 1, 1, 0]
    # One value only is binary too.
    assert true_labels(frame.iloc[:1], "y", "yes").tolist() == [0]


def test_true_labels_errors_name_the_column_and_values():
    frame = pd.DataFrame({"outcome": ["a", "b", "c"], "gap": [1.0, None, 0.0]})
    with pytest.raises(
        DataError,
        match=re.escape(
            "Label column 'Outcome' is not in the twins. Did you mean 'outcome'?"
        ),
    ):
        true_labels(frame, "Outcome", "a")
    with pytest.raises(
        DataError, match=re.escape("Label column 'gap' has missing values.")
    ):
        true_labels(frame, "gap", 1.0)
    with pytest.raises(
        DataError,
        match=re.escape(
            "Label column 'outcome' is not binary: it holds ['a', 'b', 'c']; map it "
            "to two values first."
        ),
    ):
        true_labels(frame, "outcome", "a")


def test_encode_features_unwraps_numpy_values_of_text_columns():
    frame = pd.DataFrame(
        {"mixed": pd.Series([np.int64(5), "a", np.int64(5)], dtype=object)}
    )
    out, encoding = encode_features(frame, [])
    assert out["mixed"].tolist() == [0.0, 1.0, 0.0]
    assert encoding.features["mixed"] == {0.0: 5, 1.0: "a"}
    assert type(encoding.features["mixed"][0.0]) is int


def test_true_labels_show_at_most_six_values():
    frame = pd.DataFrame({"y": list("abcdefgh")})
    message = (
        "Label column 'y' is not binary: it holds ['a', 'b', 'c', 'd', 'e', 'f']; "
        "map it to two values first."
    )
    with pytest.raises(DataError, match=re.escape(message)):
        true_labels(frame, "y", "a")


def test_real_rows_only_for_twins_of_real_rows():
    mask = real_rows(SimpleNamespace(factual=[1, 0, 1], spec=None))
    assert mask.dtype == bool and mask.tolist() == [True, False, True]
    # Generated twins (a spec) or no factual mask: no real rows.
    assert real_rows(SimpleNamespace(factual=[1, 0], spec="spec")) is None
    assert real_rows(SimpleNamespace(factual=None, spec=None)) is None
    assert real_rows(SimpleNamespace(factual=None, spec="spec")) is None
