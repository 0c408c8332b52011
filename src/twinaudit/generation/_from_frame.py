"""Twins of real rows: audit a model on its own test set."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from twinaudit.exceptions import DataError, did_you_mean
from twinaudit.generation._engine import _proxy_by_value, check_rows_memory
from twinaudit.generation._sampling import Context
from twinaudit.generation._streams import Streams
from twinaudit.generation._twins import ProtectedLike, Twins, _attributes, value_codes
from twinaudit.spec import Mode, Proxy
from twinaudit.spec._providers import check_locale

__all__ = ["from_frame"]


def from_frame(
    data: pd.DataFrame,
    protected: ProtectedLike,
    *,
    proxies: Sequence[Proxy] = (),
    mode: Mode = "strict",
    vary: Sequence[str] | None = None,
    seed: int = 0,
    locale: str = "en",
    pair_column: str = "pair_id",
) -> Twins:
    """Clone every row of ``data`` across the values of its protected attributes.

    Row ``i`` of ``data`` becomes pair ``i``; its own (factual) twin is the row
    itself, marked in :attr:`Twins.factual`. Every other column, labels included, is
    copied unchanged to all twins.

    Parameters
    ----------
    data : DataFrame
        Real rows (a test set, say).
    protected : sequence of ProtectedAttribute, or mapping
        The attributes to vary, or ``{column: privileged value}``: the values are
        then read from the column, which must hold the privileged value and at
        least one other value. Declare a :class:`ProtectedAttribute` to make twins
        with a value the data lacks, or to give the model's column and codes
        (``model_column=``, ``encoding=``) when the model reads the attribute under
        another name, as the tutorial's ``Gender_Code``.
    proxies : sequence of Proxy
        Proxy columns to regenerate. In ``proxy`` mode each counterfactual twin gets
        a value generated for its own attribute value and the factual twin keeps the
        real one; in ``strict`` mode every twin keeps the real value (a proxy missing
        from ``data`` is generated for the row's own value).
    mode : {"strict", "proxy"}
    vary : sequence of str, optional
        Attributes to vary (all by default).
    seed, locale
        For regenerated proxies.
    pair_column : str
        Name of the new pair column; must not exist in ``data``.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"sex": ["F", "M"], "income": [40_000, 95_000]})
    >>> twins = from_frame(rows, protected={"sex": "M"})
    >>> twins.frame[["pair_id", "sex", "income"]].values.tolist()
    [[0, 'M', 40000], [0, 'F', 40000], [1, 'M', 95000], [1, 'F', 95000]]
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(
            f"from_frame needs a pandas DataFrame. Got {type(data).__name__}."
        )
    if len(data) == 0:
        raise DataError("from_frame got an empty DataFrame; pass at least one row.")
    if mode not in ("strict", "proxy"):
        raise DataError(f"mode must be 'strict' or 'proxy'. Got {mode!r}.")
    check_locale(locale, "from_frame")
    if pair_column in data.columns:
        raise DataError(
            f"The data already has a column {pair_column!r}; pass another "
            "pair_column=... name for the pair id."
        )
    frame = data.reset_index(drop=True)
    attributes = _attributes(protected, frame, where="data")
    names = [p.name for p in attributes]
    varied_names = list(names if vary is None else vary)
    for name in varied_names:
        if name not in names:
            raise DataError(
                f"'vary' names {name!r}, which is not a protected attribute."
                f"{did_you_mean(name, names)}"
            )
    varied = [p for p in attributes if p.name in varied_names]
    codes = {p.name: value_codes(frame[p.name], p, where="data") for p in attributes}

    n = len(frame)
    grid = np.array(
        list(itertools.product(*(range(len(p.values)) for p in varied))), dtype=np.int64
    ).reshape(-1, len(varied))
    m = len(grid)
    per_row = int(frame.memory_usage(index=False, deep=False).sum()) // n + 8 + 1
    check_rows_memory(
        n * m,
        per_row,
        f"from_frame({n:,} rows x {m:,} twins each)",
        "Pass the rows in slices (from_frame(data.iloc[i:j], ...)) and audit or "
        "write each slice in turn.",
    )
    pair_index = np.repeat(np.arange(n), m)
    out = frame.take(pair_index).reset_index(drop=True)
    out.insert(0, pair_column, pair_index)
    row_codes = dict(codes)
    for j, attribute in enumerate(varied):
        row_codes[attribute.name] = np.tile(grid[:, j], n)
        out[attribute.name] = _values_like(
            frame[attribute.name], attribute.values, row_codes[attribute.name]
        )
    combo = np.zeros(n, dtype=np.int64)
    for attribute in varied:
        combo = combo * len(attribute.values) + codes[attribute.name]
    factual = np.tile(np.arange(m), n) == np.repeat(combo, m)

    proxy_names = []
    if proxies:
        streams = Streams(seed, n_total=n)
        ctx = Context(streams, 0, n, locale)
        by_name = {p.name: p for p in attributes}
        for proxy in proxies:
            if not isinstance(proxy, Proxy):
                raise DataError(f"'proxies' must be Proxy objects. Got {proxy!r}.")
            followed = by_name.get(proxy.attribute)
            if followed is None:
                raise DataError(
                    f"proxy {proxy.name!r} follows {proxy.attribute!r}, which is not "
                    "a protected attribute here."
                    f"{did_you_mean(proxy.attribute, by_name)}"
                )
            proxy = Proxy(
                proxy.name,
                proxy.attribute,
                {
                    followed.match_value(k, f"proxy {proxy.name!r}"): v
                    for k, v in proxy.by_value.items()
                },
                provider=proxy.provider,
                locale=proxy.locale,
            )
            missing = [v for v in followed.values if v not in proxy.by_value]
            if missing:
                raise DataError(
                    f"proxy {proxy.name!r}: 'by_value' has no entry for {missing}."
                )
            stacked, dtype = _proxy_by_value(proxy, followed, ctx)
            if dtype is not None:  # categorical codes -> their values
                stacked = np.asarray(dtype.categories, dtype=object)[stacked]
            stacked = stacked.astype(object)
            out[proxy.name] = _proxy_values(
                stacked,
                frame,
                proxy.name,
                codes[followed.name],
                row_codes[followed.name],
                pair_index,
                regenerate=mode == "proxy" and followed in varied,
            )
            proxy_names.append(proxy.name)
    return Twins(
        out,
        attributes,
        proxies=proxy_names,
        pair_column=pair_column,
        varied=[p.name for p in varied],
        factual=factual,
        validate=False,
    )


def _values_like(
    original: pd.Series, values: Sequence[object], codes: np.ndarray
) -> pd.Series:
    """The attribute values for ``codes``, in the original column's dtype."""
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    dtype = original.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        # Declared values the data's categories lack become categories too (a
        # cast would turn them into NaN).
        extra = [v for v in values if v not in set(dtype.categories.tolist())]
        if extra:
            dtype = pd.CategoricalDtype(
                [*dtype.categories.tolist(), *extra], ordered=dtype.ordered
            )
        return pd.Series(
            pd.Categorical.from_codes(
                dtype.categories.get_indexer(pd.Index(array))[codes], dtype=dtype
            )
        )
    series = pd.Series(array[codes])
    try:
        return series.astype(dtype)
    except (TypeError, ValueError):
        return series.infer_objects()


def _proxy_values(
    stacked: np.ndarray,
    frame: pd.DataFrame,
    name: str,
    own_codes: np.ndarray,
    row_codes: np.ndarray,
    pair_index: np.ndarray,
    *,
    regenerate: bool,
) -> np.ndarray:
    """The row's own value (real if the column exists) where the twin has the
    row's own attribute value or proxies are held; a generated one otherwise."""
    n = len(frame)
    if name in frame.columns:
        base = np.asarray(frame[name], dtype=object)
    else:
        base = stacked[own_codes, np.arange(n)]
    values = base[pair_index]
    if regenerate:
        generated = stacked[row_codes, pair_index]
        own = row_codes == own_codes[pair_index]
        values = np.where(own, values, generated)
    return values
