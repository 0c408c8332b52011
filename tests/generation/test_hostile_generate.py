"""What generate is called with: a spec, a size that fits in memory (issue 7)."""

import re

import pandas as pd
import pytest

from twinaudit.exceptions import DataError, MemoryLimitError, SpecError
from twinaudit.generation import from_frame, generate, iter_twins
from twinaudit.generation._engine import available_memory, row_bytes
from twinaudit.spec import (
    Categorical,
    Identifier,
    Integer,
    ProtectedAttribute,
    Provider,
    TwinSpec,
)

SPEC = TwinSpec(
    protected=[ProtectedAttribute("gender", ["male", "female"], "male")],
    fields=[Integer("income", 1, 9), Provider("job", "person.occupation")],
)


@pytest.mark.parametrize(
    "value, shown",
    [(None, "NoneType None"), ({"protected": []}, "dict {'protected': []}")],
)
@pytest.mark.parametrize("call", ["generate", "iter_twins"])
def test_generate_needs_a_spec(value, shown, call):
    function = {"generate": generate, "iter_twins": iter_twins}[call]
    message = (
        f"{call} needs a TwinSpec as its first argument. Got {shown}; build one with "
        "TwinSpec(...), load_spec('spec.yaml') or spec_from_dict({...})."
    )
    with pytest.raises(SpecError, match=re.escape(message)):
        function(value, 3)


def test_iter_twins_checks_its_arguments_when_called():
    with pytest.raises(SpecError, match=re.escape("chunk_size must be a positive")):
        iter_twins(SPEC, 10, chunk_size=0)  # no next(): checked at the call


def test_row_bytes_from_the_column_kinds():
    # pair id 8 + factual 1 + one category code per attribute 1 + int 8 +
    # text provider 4 + 8 + 64 + categorical code 1 + uuid 36 + 8.
    spec = TwinSpec(
        protected=SPEC.protected,
        fields=[
            Integer("income", 1, 9),
            Provider("job", "person.occupation"),
            Categorical("c", ["a", "b"]),
            Identifier("id", format="uuid"),
        ],
    )
    assert row_bytes(spec) == 8 + 1 + 1 + 8 + 76 + 1 + 44


def test_available_memory_is_positive_and_below_physical_memory():
    import os

    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    available = available_memory()
    assert available is not None and 0 < available <= physical


def test_a_request_that_cannot_fit_is_refused_up_front():
    available = available_memory()
    need = 10**13 * 2 * row_bytes(SPEC) * 2
    assert need > available
    message = (
        f"generate(spec, 10,000,000,000,000) would build 20,000,000,000,000 rows of "
        f"about {row_bytes(SPEC)} bytes each, needing about 3.8 PB of memory while "
        "generating; about "
    )
    fix = (
        "Generate in chunks instead: iter_twins(spec, n_pairs, chunk_size=100_000) "
        "yields tables of bounded size to audit or write one by one, and `twinaudit "
        "generate SPEC -n N -o FILE` writes chunks to a file."
    )
    with pytest.raises(MemoryLimitError) as info:
        generate(SPEC, 10**13)
    assert str(info.value).startswith(message)
    assert str(info.value).endswith(fix)
    assert isinstance(info.value, MemoryError)


def test_chunks_that_cannot_fit_ask_for_a_smaller_chunk_size():
    message = "Pass a smaller chunk_size (100,000 pairs is the default)."
    with pytest.raises(MemoryLimitError, match=re.escape(message)):
        iter_twins(SPEC, 10**13, chunk_size=10**12)
    # The same request in small chunks is accepted (and generated lazily).
    chunks = iter_twins(SPEC, 10**13, chunk_size=1_000)
    assert len(next(chunks)) == 2_000


def test_from_frame_with_no_protected_attribute():
    rows = pd.DataFrame({"sex": ["F", "M"], "income": [1, 2]})
    message = "'protected' must name at least one protected attribute."
    with pytest.raises(DataError, match=re.escape(message)):
        from_frame(rows, protected={})


def test_from_frame_refuses_a_table_that_cannot_fit(monkeypatch):
    import twinaudit.generation._engine as engine

    monkeypatch.setattr(engine, "available_memory", lambda: 10_000)
    rows = pd.DataFrame({"sex": [0, 1] * 50, "income": range(100)})
    message = (
        "from_frame(100 rows x 2 twins each) would build 200 rows of about 25 bytes "
        "each, needing about 10.0 kB of memory while generating; about 10.0 kB is "
        "available. Pass the rows in slices (from_frame(data.iloc[i:j], ...)) and "
        "audit or write each slice in turn."
    )
    # 200 rows * (16 bytes of data + 9) * 2 = 10,000 bytes: exactly what is free.
    assert from_frame(rows, protected={"sex": 1}).frame.shape == (200, 3)
    monkeypatch.setattr(engine, "available_memory", lambda: 9_999)
    with pytest.raises(MemoryLimitError, match=re.escape(message)):
        from_frame(rows, protected={"sex": 1})


def test_numpy_integers_as_sizes_and_seeds():
    import numpy as np

    a = generate(SPEC, np.int64(3), seed=np.int64(5)).frame
    b = generate(SPEC, 3, seed=5).frame
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(SpecError, match=re.escape("seed must be a non-negative")):
        generate(SPEC, 3, seed=np.True_)


def test_spec_size_limits():
    from twinaudit.spec import Constant

    with pytest.raises(
        SpecError,
        match=re.escape(
            "TwinSpec: 10,001 columns; a spec may have at most 10,000. Split it into "
            "several specs."
        ),
    ):
        TwinSpec(
            protected=SPEC.protected,
            fields=[Constant(f"c{i}", 1) for i in range(10_000)],
        )
    many = [
        ProtectedAttribute(f"a{i}", [f"v{j}" for j in range(50)], "v0")
        for i in range(3)
    ]
    message = (
        "TwinSpec: each pair would have 125,000 twins (50 x 50 x 50 values); the limit "
        "is 100,000. Vary fewer attributes at once with vary=[...], or use fewer values."
    )
    with pytest.raises(SpecError, match=re.escape(message)):
        TwinSpec(protected=many)
    assert TwinSpec(protected=many, vary=["a0", "a1"]).n_variants == 2_500


def test_attributes_with_many_values_get_wide_codes():
    attribute = ProtectedAttribute("g", [f"v{j}" for j in range(300)], "v0")
    twins = generate(TwinSpec(protected=[attribute]), 2)
    assert twins.frame["g"].tolist() == [f"v{j}" for j in range(300)] * 2
