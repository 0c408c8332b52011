"""The :class:`Twins` table and its invariant."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from twinaudit.exceptions import DataError, TwinsInvariantError, did_you_mean
from twinaudit.spec import ProtectedAttribute

if TYPE_CHECKING:
    from twinaudit.spec import TwinSpec

ProtectedLike = Sequence[ProtectedAttribute] | Mapping[str, Any]

_SHOWN = 5  # examples shown in an invariant error


def _attributes(
    protected: ProtectedLike, frame: pd.DataFrame, where: str = "twins"
) -> tuple[ProtectedAttribute, ...]:
    """Accept ProtectedAttribute objects, or ``{column: privileged value}`` with the
    values read from the data (``where`` says which: "twins" or "data")."""
    if isinstance(protected, Mapping):
        attributes = tuple(
            _attribute_from_column(frame, name, privileged, where)
            for name, privileged in protected.items()
        )
    elif isinstance(protected, str) or not isinstance(protected, Iterable):
        raise DataError(
            "'protected' must be ProtectedAttribute objects or a mapping "
            f"{{column: privileged value}}. Got {protected!r}."
        )
    else:
        attributes = tuple(protected)
    for p in attributes:
        if not isinstance(p, ProtectedAttribute):
            raise DataError(
                "'protected' must be ProtectedAttribute objects or a mapping "
                f"{{column: privileged value}}. Got {p!r}."
            )
    if not attributes:
        raise DataError("'protected' must name at least one protected attribute.")
    return attributes


def _attribute_from_column(
    frame: pd.DataFrame, name: str, privileged: Any, where: str
) -> ProtectedAttribute:
    """The attribute ``name`` with the values its column holds, privileged first."""
    _require_columns(frame, [name], "protected attribute")
    column = frame[name]
    missing = int(column.isna().sum())
    if missing:
        raise DataError(
            f"Protected column {name!r} in the {where} has {missing} missing "
            "value(s); fill or drop them first."
        )
    present = column.unique()
    if isinstance(column.dtype, pd.CategoricalDtype):  # the categories' order
        seen = set(present.tolist())
        values = [v for v in column.cat.categories.tolist() if v in seen]
    else:
        values = sorted(pd.Series(present).tolist(), key=lambda v: (str(type(v)), v))
    values = [v.item() if isinstance(v, np.generic) else v for v in values]
    declare = f"ProtectedAttribute({name!r}, values=[...], privileged=...)"
    if len(values) < 2:
        if where == "data":
            shown = [privileged, *values] if not _contains(values, privileged) else []
            listed = (
                ", ".join(map(_show, shown)) if shown else f"{_show(values[0])}, ..."
            )
            declare = (
                f"ProtectedAttribute({name!r}, values=[{listed}], "
                f"privileged={_show(privileged)})"
            )
        raise DataError(
            f"Protected column {name!r} holds only one value in the {where} "
            f"({_show(values[0])}); an attribute needs at least two values to "
            f"compare. Declare its values with {declare}."
        )
    matches = [v for v in values if _same(privileged, v)]
    if not matches:
        holds = "holds" if where == "data" else "hold"
        fix = (
            f", or declare the values with {declare} to make twins with a value the "
            "data lacks."
            if where == "data"
            else "."
        )
        raise DataError(
            f"The privileged value {_show(privileged)} of protected attribute "
            f"{name!r} does not occur in the {where}, which {holds} {values}."
            f"{suggest_value(privileged, values)} Pass one of those values{fix}"
        )
    privileged = matches[0]
    values.remove(privileged)
    return ProtectedAttribute(name, [privileged, *values], privileged)


def _contains(values: Sequence[Any], value: Any) -> bool:
    return any(_same(value, v) for v in values)


def suggest_value(value: Any, values: Sequence[Any]) -> str:
    """``" Did you mean X?"`` for the value of ``values`` that ``value`` most likely
    meant (the same text in another case or type, a close spelling, or an
    abbreviation), or ``""``."""
    text = str(value).lower()
    for v in values:
        loose = False
        try:
            loose = bool(v == value) and not isinstance(value, str)
        except Exception:  # pragma: no cover - exotic objects
            loose = False
        if loose or str(v).lower() == text:
            return f" Did you mean {_show(v)}?"
    strings = [v for v in values if isinstance(v, str)]
    hint = did_you_mean(str(value), strings)
    if hint:
        return hint
    if isinstance(value, str) and value:
        prefixes = [
            v
            for v in strings
            if v and (text.startswith(v.lower()) or v.lower().startswith(text))
        ]
        if len(prefixes) == 1:
            return f" Did you mean {prefixes[0]!r}?"
    return ""


def _require_columns(frame: pd.DataFrame, names: Iterable[str], what: str) -> None:
    columns = [str(c) for c in frame.columns]
    for name in names:
        if name not in frame.columns:
            raise DataError(
                f"The {what} column {name!r} is not in the data."
                f"{did_you_mean(name, columns)} "
                f"Columns: {columns}."
            )


def value_codes(
    column: pd.Series | pd.Categorical,
    attribute: ProtectedAttribute,
    where: str = "twins",
) -> np.ndarray:
    """Position of each row's value in ``attribute.values``; a clear error for
    missing or undeclared values."""
    values = list(attribute.values)
    categorical = column.array if isinstance(column, pd.Series) else column
    if isinstance(categorical, pd.Categorical) and _same_values(
        categorical.categories, values
    ):
        codes = np.asarray(categorical.codes, dtype=np.int64)
        if (codes < 0).any():
            raise DataError(
                f"Protected column {attribute.name!r} in the {where} has "
                f"{int((codes < 0).sum())} missing value(s); fill or drop them first."
            )
    else:
        series = pd.Series(column, copy=False)
        if series.isna().any():
            raise DataError(
                f"Protected column {attribute.name!r} in the {where} has "
                f"{int(series.isna().sum())} missing value(s); fill or drop them first."
            )
        uniques, inverse = _factorize(series)
        lookup = np.full(len(uniques), -1, dtype=np.int64)
        unknown = []
        for i, u in enumerate(uniques):
            matches = [j for j, v in enumerate(values) if _same(u, v)]
            if matches:
                lookup[i] = matches[0]
            else:
                unknown.append(u)
        if unknown:
            raise DataError(
                f"Protected column {attribute.name!r} in the {where} holds values "
                f"{unknown[:_SHOWN]} that are not declared; declared values are "
                f"{values}. Add them to the attribute's values or map them first."
            )
        codes = lookup[inverse]
    if (codes < 0).any():
        raise DataError(
            f"Protected column {attribute.name!r} in the {where} holds values that are "
            f"not among {values}, or missing values; fix them first."
        )
    return codes


def _same_values(categories: pd.Index, values: Sequence[Any]) -> bool:
    """Whether categories are exactly ``values``, in order and of the same types."""
    return len(categories) == len(values) and all(
        _same(c, v) for c, v in zip(categories.tolist(), values, strict=True)
    )


def _show(value: Any) -> str:
    """repr() of a value as the user wrote it (``0``, not ``np.int64(0)``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool | np.bool_) != isinstance(b, bool | np.bool_):
        return False
    try:
        return bool(a == b)
    except Exception:  # pragma: no cover - exotic objects
        return False


def _factorize(values: Any) -> tuple[list[Any], np.ndarray]:
    codes, uniques = pd.factorize(pd.Series(values, copy=False), use_na_sentinel=True)
    return list(uniques), np.asarray(codes, dtype=np.int64)


class Twins:
    """The long table of twins: one row per (pair, variant).

    Within a pair only the varied protected columns and the declared proxy columns
    may differ, and every pair holds each combination of the varied attributes'
    values exactly once. Rows are ordered pair by pair, variants in the order of
    :meth:`combinations`.

    Parameters
    ----------
    frame : DataFrame
        The twins. Rows are put in canonical order (and the index reset) whenever
        they are not already in it, with or without ``validate``.
    protected : sequence of ProtectedAttribute, or mapping
        The protected attributes, or ``{column: privileged value}``: the values are
        read from the column, which must hold the privileged value and at least one
        other, and no missing value.
    proxies : sequence of str
        Columns allowed to differ within a pair besides the protected ones.
    pair_column : str
        The column identifying a pair.
    varied : sequence of str, optional
        Protected attributes that vary within pairs (all by default); the others
        must be constant within a pair.
    validate : bool
        Check that only the varied attributes and the proxies differ within a pair
        (the default). Twins made by :func:`generate` are correct by construction
        and skip it; call :meth:`check` to run it anyway. Either way the rows are
        put in pair order, and a pair that misses or repeats a combination is
        refused: every statistic reads the rows pair by pair.

    Raises
    ------
    TwinsInvariantError
        When a pair differs in an undeclared column, or misses or repeats a
        combination.
    DataError
        An empty table, a missing column, a missing or undeclared protected value,
        or a privileged value the column does not hold.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"pair_id": [0, 0, 1, 1], "sex": ["M", "F", "M", "F"],
    ...                       "income": [50, 50, 90, 90]})
    >>> Twins(frame, protected={"sex": "M"}).n_pairs
    2
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        protected: ProtectedLike,
        *,
        proxies: Sequence[str] = (),
        pair_column: str = "pair_id",
        varied: Sequence[str] | None = None,
        spec: TwinSpec | None = None,
        factual: np.ndarray | None = None,
        validate: bool = True,
    ) -> None:
        if not isinstance(frame, pd.DataFrame):
            raise DataError(
                f"Twins need a pandas DataFrame. Got {type(frame).__name__}."
            )
        self.protected = _attributes(protected, frame)
        names = [p.name for p in self.protected]
        self.varied = tuple(names if varied is None else varied)
        for name in self.varied:
            if name not in names:
                raise DataError(
                    f"'varied' names {name!r}, which is not a protected attribute."
                    f"{did_you_mean(name, names)}"
                )
        self.proxies = tuple(proxies)
        self.pair_column = pair_column
        self.spec = spec
        _require_columns(frame, [pair_column], "pair")
        _require_columns(frame, names, "protected attribute")
        _require_columns(frame, self.proxies, "proxy")
        if len(frame) == 0:
            raise DataError("The twins table is empty; generate at least one pair.")
        if factual is not None:
            factual = np.asarray(factual, dtype=bool)
            if factual.shape != (len(frame),):
                raise DataError(
                    f"'factual' must hold one flag per row ({len(frame)}). Got shape "
                    f"{factual.shape}."
                )
        self.frame = frame
        self.factual = factual
        # Every metric reads the rows pair by pair: put them in that order on every
        # path. Checking the order is cheap (one pass); twins built in order, as
        # generate() and from_frame() build them, are kept as they are.
        if not self._in_pair_order():
            self._canonicalise()
            self._check_combinations()
        elif not _is_default_index(self.frame.index):
            self.frame = self.frame.reset_index(drop=True)
        if validate:
            self.check()

    # -- shape ---------------------------------------------------------------------
    @property
    def varied_attributes(self) -> tuple[ProtectedAttribute, ...]:
        return tuple(p for p in self.protected if p.name in self.varied)

    def combinations(self) -> list[tuple[Any, ...]]:
        """The varied attributes' value combinations, in row order within a pair."""
        return list(itertools.product(*(p.values for p in self.varied_attributes)))

    @property
    def n_variants(self) -> int:
        return len(self.combinations())

    @property
    def n_pairs(self) -> int:
        return len(self.frame) // self.n_variants

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        return (
            f"Twins({self.n_pairs} pairs x {self.n_variants} variants, "
            f"protected={list(self.varied)}, proxies={list(self.proxies)})"
        )

    def attribute(self, name: str) -> ProtectedAttribute:
        for p in self.protected:
            if p.name == name:
                return p
        names = [p.name for p in self.protected]
        raise DataError(
            f"{name!r} is not a protected attribute of these twins."
            f"{did_you_mean(name, names)} Protected: {names}."
        )

    def codes(self, name: str) -> np.ndarray:
        """Per row, the position of its value of ``name`` in the attribute's values."""
        return value_codes(self.frame[name], self.attribute(name))

    @property
    def moving_columns(self) -> tuple[str, ...]:
        return (*self.varied, *self.proxies)

    # -- invariant -----------------------------------------------------------------
    def _combo_index(self) -> np.ndarray:
        combo = np.zeros(len(self.frame), dtype=np.int64)
        for p in self.varied_attributes:
            combo = combo * len(p.values) + self.codes(p.name)
        return combo

    def _in_pair_order(self) -> bool:
        """Whether rows are already in canonical order: blocks of ``n_variants``
        rows, one pair per block, each pair once, combinations in order. One
        vectorised pass over the pair column and the varied attributes' codes."""
        n, m = len(self.frame), self.n_variants
        if n % m:
            return False
        grid = np.array(
            list(
                itertools.product(
                    *(range(len(p.values)) for p in self.varied_attributes)
                )
            ),
            dtype=np.int64,
        ).reshape(m, -1)
        for j, attribute in enumerate(self.varied_attributes):
            codes = self._raw_codes(attribute)
            expected = np.tile(grid[:, j].astype(codes.dtype), n // m)
            if not np.array_equal(codes, expected):
                return False
        pairs = self.frame[self.pair_column].to_numpy()
        if pairs.dtype.kind == "f" and np.isnan(pairs).any():
            return False
        firsts = pairs[::m]
        # contiguous-stride comparisons (a broadcast compare is ten times slower)
        for k in range(1, m):
            if not np.array_equal(pairs[k::m], firsts):
                return False
        if firsts.dtype.kind in "iu" and (
            len(firsts) < 2 or (firsts[1:] > firsts[:-1]).all()
        ):
            return True  # increasing ids (generate, from_frame): each pair once
        return bool(pd.Index(firsts).is_unique) and not pd.isna(firsts).any()

    def _raw_codes(self, attribute: ProtectedAttribute) -> np.ndarray:
        """Like :meth:`codes`, in the categorical's own small integer type when the
        column is a categorical of exactly the attribute's values (no copy)."""
        column = self.frame[attribute.name]
        array = column.array
        if isinstance(array, pd.Categorical) and _same_values(
            array.categories, attribute.values
        ):
            codes = np.asarray(array.codes)
            if codes.min(initial=0) < 0:
                return value_codes(column, attribute)  # names the missing values
            return codes
        return value_codes(column, attribute)

    def _canonicalise(self) -> None:
        """Sort rows into pair-major, combination order (stable)."""
        pair_codes, _ = pd.factorize(self.frame[self.pair_column], sort=False)
        if (pair_codes < 0).any():
            raise DataError(
                f"The pair column {self.pair_column!r} has "
                f"{int((pair_codes < 0).sum())} missing value(s); give every row "
                "its pair's id."
            )
        combo = self._combo_index()
        order = np.lexsort((combo, pair_codes))
        self.frame = self.frame.iloc[order].reset_index(drop=True)
        if self.factual is not None:
            self.factual = self.factual[order]

    def check(self) -> Twins:
        """Check the invariant; return ``self`` or raise :class:`TwinsInvariantError`.

        Assumes canonical order (as after construction).
        """
        self._check_combinations()
        self._check_columns()
        return self

    def _check_combinations(self) -> None:
        """Each pair holds each combination of the varied values exactly once."""
        frame = self.frame
        m = self.n_variants
        names = self.combinations()
        pair_codes, pair_values = pd.factorize(frame[self.pair_column], sort=False)
        combo = self._combo_index()
        counts = np.bincount(pair_codes, minlength=len(pair_values))
        bad = np.flatnonzero(counts != m)
        expected_combo = np.tile(np.arange(m), max(len(frame) // m, 1))[: len(frame)]
        if not len(bad) and len(frame) % m == 0:
            starts = np.arange(0, len(frame), m)
            same_pair = (pair_codes.reshape(-1, m) == pair_codes[starts, None]).all()
            if not same_pair or not np.array_equal(combo, expected_combo):
                bad = np.unique(pair_codes[combo != expected_combo])
        if len(bad):
            pair = pair_values[bad[0]]
            rows = frame.loc[pair_codes == bad[0], list(self.varied)]
            raise TwinsInvariantError(
                f"{len(bad)} pair(s) do not hold each combination of "
                f"{list(self.varied)} exactly once (each pair needs {m} rows: "
                f"{names}). Pair {_show(pair)} has "
                f"{rows.astype(object).to_dict('records')}. Drop incomplete pairs or "
                "add the missing twins."
            )

    def _check_columns(self) -> None:
        """Only the varied attributes and the proxies differ within a pair."""
        frame = self.frame
        m = self.n_variants
        moving = set(self.moving_columns) | {self.pair_column}
        problems = []
        for column in frame.columns:
            if column in moving:
                continue
            differs = _differs_within_pairs(frame[column], m)
            if differs.any():
                problems.append((column, np.flatnonzero(differs)))
        if problems:
            lines = []
            for column, pairs in problems[:_SHOWN]:
                row = pairs[0] * m
                shown = frame[column].iloc[row : row + m].astype(object).tolist()
                lines.append(
                    f"  {column!r}: {len(pairs)} pair(s), e.g. pair "
                    f"{_show(frame[self.pair_column].iloc[row])} has {shown}"
                )
            raise TwinsInvariantError(
                "Twins must differ only in protected and declared proxy columns, but "
                f"{len(problems)} other column(s) differ within pairs:\n"
                + "\n".join(lines)
                + "\nDeclare them as proxies (proxies=[...]) if they should follow the "
                "protected attribute, or make them equal within each pair."
            )

    # -- combining -----------------------------------------------------------------
    @classmethod
    def concat(cls, parts: Sequence[Twins]) -> Twins:
        """Join chunks (as from :func:`iter_twins`) into one table."""
        if not parts:
            raise DataError("Nothing to concatenate: the list of twins is empty.")
        first = parts[0]
        frame = pd.concat([p.frame for p in parts], ignore_index=True)
        factual = None
        if all(p.factual is not None for p in parts):
            factual = np.concatenate(
                [p.factual for p in parts if p.factual is not None]
            )
        return cls(
            frame,
            first.protected,
            proxies=first.proxies,
            pair_column=first.pair_column,
            varied=first.varied,
            spec=first.spec,
            factual=factual,
            validate=False,
        )


def _is_default_index(index: pd.Index) -> bool:
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def _differs_within_pairs(column: pd.Series, m: int) -> np.ndarray:
    """Per pair, whether the column takes more than one value (NaN equals NaN)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = np.asarray(column.cat.codes)
    elif column.dtype.kind in "biufcmM":
        values = column.to_numpy()
        if values.dtype.kind in "fc":
            nan = np.isnan(values)
            block = values.reshape(-1, m)
            nan_block = nan.reshape(-1, m)
            same = (block == block[:, :1]) | (nan_block & nan_block[:, :1])
            return ~same.all(axis=1)
        codes = values.view(np.int64) if values.dtype.kind in "mM" else values
    else:
        codes, _ = pd.factorize(column, use_na_sentinel=True)
    block = np.asarray(codes).reshape(-1, m)
    return ~(block == block[:, :1]).all(axis=1)


def check_twins(
    frame: pd.DataFrame,
    protected: ProtectedLike,
    *,
    proxies: Sequence[str] = (),
    pair_column: str = "pair_id",
    varied: Sequence[str] | None = None,
) -> Twins:
    """Check twins you built yourself and return them as :class:`Twins`.

    Raises :class:`~twinaudit.exceptions.TwinsInvariantError` naming the columns and
    pairs that break the invariant.
    """
    return Twins(
        frame, protected, proxies=proxies, pair_column=pair_column, varied=varied
    )
