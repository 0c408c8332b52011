"""Arbitrary model outputs: a typed error or the right decisions, never a wrong
result (Hypothesis)."""

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from twinaudit.exceptions import ModelError
from twinaudit.generation import generate
from twinaudit.scoring import score
from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec

TWINS = generate(
    TwinSpec(
        fields=[Integer("x", 0, 9)],
        protected=[ProtectedAttribute("g", ["a", "b", "c"], "c")],
        seed=2,
    ),
    10,
)
N = len(TWINS)  # 30 rows

POOLS = {
    "int": [0, 1, 2, 5],
    "bool": [False, True],
    "float": [0.0, 1.0, 0.5, 2.0],
    "str": ["approved", "denied", "maybe"],
}


@st.composite
def outputs(draw):
    pool = POOLS[draw(st.sampled_from(sorted(POOLS)))]
    labels = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
    values = draw(st.lists(st.sampled_from(labels), min_size=N, max_size=N))
    array = np.asarray(values, dtype=object if isinstance(pool[0], str) else None)
    if draw(st.booleans()) and array.dtype.kind in "fO":
        array = array.copy()
        array[draw(st.integers(0, N - 1))] = None if array.dtype.kind == "O" else np.nan
    favourable = draw(st.none() | st.sampled_from([*pool, 5, "approved", True]))
    return array, favourable


def is_label(value):
    return not (isinstance(value, float) and np.isnan(value)) and value is not None


@given(outputs(), st.booleans())
def test_any_output_gives_a_model_error_or_the_right_decisions(case, as_series):
    array, favourable = case
    if as_series:  # a Series in shuffled order, matched on its index

        def model(frame):
            series = pd.Series(array, index=frame.index)
            return series.iloc[np.random.default_rng(0).permutation(N)]
    else:

        def model(frame):
            return array

    try:
        scored = score(model, TWINS, favorable_label=favourable)
    except ModelError:
        return
    produced = {v for v in array.tolist()}
    assert all(is_label(v) for v in produced)  # missing decisions are refused
    assert len(produced) <= 2  # so are more than two labels
    chosen = scored.favorable_label
    # the favourable label is one the model gave, or the other side of 0/1 output
    zero_one = produced <= {0, 1}
    assert chosen in produced or (zero_one and chosen in (0, 1))
    assert isinstance(chosen, str) == any(isinstance(v, str) for v in produced)
    if favourable is not None:
        assert chosen == favourable
    expected = [int(v == chosen) for v in array.tolist()]
    assert scored.y_pred.tolist() == expected
    assert scored.scores is None and scored.score_source is None
