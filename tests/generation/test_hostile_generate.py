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
