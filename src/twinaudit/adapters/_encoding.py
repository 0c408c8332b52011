"""Numeric encodings of twin tables for AIF360 (which needs all-numeric frames).

Protected attributes are coded the AIF360 way: the privileged value is ``1.0`` and
the unprivileged values ``0.0``, then ``2.0``, ``3.0``, ... in the attribute's order.
Text and categorical features become integer codes; every mapping is recorded so
the conversion loses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from twinaudit.exceptions import DataError, did_you_mean
from twinaudit.spec import ProtectedAttribute


def attribute_codes(attribute: ProtectedAttribute) -> dict[Any, float]:
    """``{value: code}`` with the privileged value at ``1.0``."""
    codes: dict[Any, float] = {attribute.privileged: 1.0}
    next_code = 0.0
    for value in attribute.unprivileged:
        codes[value] = next_code
        next_code = 2.0 if next_code == 0.0 else next_code + 1.0
    return codes


@dataclass
class Encoding:
    """How each column of an encoded frame maps back to the original values."""

    protected: dict[str, dict[float, Any]] = field(default_factory=dict)
    features: dict[str, dict[float, Any]] = field(default_factory=dict)
    dates: list[str] = field(default_factory=list)

    def decode(self, column: str, codes: Sequence[float]) -> list[Any]:
        """Original values of ``codes`` in ``column``."""
        mapping = self.protected.get(column) or self.features.get(column)
        if mapping is None:
            return list(codes)
        return [mapping[float(c)] for c in codes]


def encode_features(
    frame: pd.DataFrame, exclude: Sequence[str]
) -> tuple[dict[str, np.ndarray], Encoding]:
    """Every column except ``exclude`` as float64, with the code maps."""
    encoding = Encoding()
    out: dict[str, np.ndarray] = {}
    for column in frame.columns:
        if column in exclude:
            continue
        series = frame[column]
        if series.isna().any():
            raise DataError(
                f"Column {column!r} has {int(series.isna().sum())} missing value(s); "
                "AIF360 needs complete data. Fill or drop them first."
            )
        kind = (
            series.dtype.kind
            if not isinstance(series.dtype, pd.CategoricalDtype)
            else "c"
        )
        if kind in "biuf":
            out[str(column)] = series.to_numpy(dtype=np.float64)
        elif kind == "M":
            out[str(column)] = (
                series.to_numpy().astype("datetime64[D]").astype(np.int64).astype(float)
            )
            encoding.dates.append(str(column))
        else:
            codes, uniques = pd.factorize(series, sort=False)
            out[str(column)] = codes.astype(np.float64)
            encoding.features[str(column)] = {
                float(i): (u.item() if hasattr(u, "item") else u)
                for i, u in enumerate(uniques)
            }
    return out, encoding


def true_labels(frame: pd.DataFrame, label_column: str, favorable: Any) -> np.ndarray:
    """``label_column`` as 0/1 (1 = ``favorable``), after checking it exists, is
    complete and holds at most two values."""
    if label_column not in frame.columns:
        raise DataError(
            f"Label column {label_column!r} is not in the twins."
            f"{did_you_mean(label_column, map(str, frame.columns))}"
        )
    truth = frame[label_column]
    if truth.isna().any():
        raise DataError(f"Label column {label_column!r} has missing values.")
    observed = set(pd.unique(truth).tolist())
    if len(observed - {favorable}) > 1:
        raise DataError(
            f"Label column {label_column!r} is not binary: it holds "
            f"{sorted(map(str, observed))[:6]}; map it to two values first."
        )
    return (truth.to_numpy() == favorable).astype(np.int8)


def real_rows(twins: Any) -> np.ndarray | None:
    """The factual-row mask of twins of real rows (``from_frame``, or twins built
    with ``factual=``), or ``None`` for generated twins, whose "factual" twin is a
    generated profile and whose label columns are no real outcome."""
    if twins.factual is None or twins.spec is not None:
        return None
    return np.asarray(twins.factual, dtype=bool)


def attribute_names(twins: Any, attributes: str | Sequence[str] | None) -> list[str]:
    """The protected attributes an adapter groups by: all varied ones by default.

    One name may be given as a plain string (``attributes="sex"``); anything else
    must be a list of names, which are checked against the twins (an unknown name
    lists the choices)."""
    if attributes is None:
        return list(twins.varied)
    if isinstance(attributes, str):
        attributes = [attributes]
    elif not isinstance(attributes, Sequence) or not all(
        isinstance(a, str) for a in attributes
    ):
        raise DataError(
            f"attributes must be a protected attribute's name or a list of names. "
            f"Got {attributes!r}. Protected: {list(twins.varied)}."
        )
    names = list(attributes)
    if not names:
        raise DataError(
            f"attributes is empty: name at least one of {list(twins.varied)}, or "
            "leave it out for all of them."
        )
    for name in names:
        twins.attribute(name)
    return names
