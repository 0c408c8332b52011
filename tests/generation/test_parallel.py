"""Every generation path gives the same twins serially, in threads and in processes
(Dask workers are processes too: tests/test_dask.py)."""

import itertools
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinaudit.generation import BLOCK, Twins, generate
from twinaudit.generation._mimesis import call_provider
from twinaudit.generation._ranges import generate_range
from twinaudit.spec import (
    Identifier,
    Integer,
    ProtectedAttribute,
    Provider,
    Proxy,
    TwinSpec,
)

GENDER = ProtectedAttribute("gender", ["male", "female"], "male")

#: One field per kind of provider path: a uniform choice from a word list (numpy),
#: per-row Mimesis calls, per-row calls through a nested provider (payment holds a
#: Person, internet a Text), UUID identifiers, gendered proxies.
KINDS = {
    "pooled": Provider("job", "person.occupation"),
    "per_row": Provider("email", "person.email"),
    "nested_person": Provider("owner", "payment.credit_card_owner"),
    "nested_text": Provider("slug", "internet.slug"),
    "uuid": Identifier("id", format="uuid"),
}


def spec_for(kind: str, mode: str = "strict") -> TwinSpec:
    return TwinSpec(
        fields=[KINDS[kind], Integer("income", 0, 10)],
        protected=[GENDER],
        proxies=[
            Proxy.gendered("name", "gender", {"male": "male", "female": "female"})
        ],
        mode=mode,
        seed=7,
    )


def chunks(n: int, size: int) -> list[tuple[int, int]]:
    return [(s, min(s + size, n)) for s in range(0, n, size)]


def concat(parts: list[Twins]) -> pd.DataFrame:
    return Twins.concat(parts).frame


def assert_identical(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)


@pytest.mark.parametrize(
    ("kind", "mode"), [*((k, "strict") for k in sorted(KINDS)), ("per_row", "proxy")]
)
def test_threads_equal_serial(kind, mode):
    spec = spec_for(kind, mode)
    # numpy paths: two blocks, the last one partial, chunks cut across them; per-row
    # Mimesis calls (slow): ranges inside one block
    n, size = (BLOCK + 300, 3_000) if kind in ("pooled", "uuid") else (2_000, 500)
    serial = generate(spec, n).frame
    ranges = chunks(n, size)
    with ThreadPoolExecutor(max_workers=4) as pool:
        parts = list(pool.map(lambda r: generate_range(spec, *r, n), ranges))
    assert_identical(concat(parts), serial)
    # the same chunks, generated in reverse order
    backwards = [generate_range(spec, *r, n) for r in reversed(ranges)][::-1]
    assert_identical(concat(backwards), serial)


def test_processes_equal_serial():
    """Fresh processes (forkserver: nothing inherited) build their own provider
    instances and give the same values, for every provider kind at once."""
    spec = TwinSpec(
        fields=[*KINDS.values(), Integer("income", 0, 10)],
        protected=[GENDER],
        proxies=[
            Proxy.gendered("name", "gender", {"male": "male", "female": "female"})
        ],
        mode="proxy",
        seed=11,
    )
    n = 1_500
    serial = generate(spec, n).frame
    context = multiprocessing.get_context("forkserver")
    ranges = chunks(n, 400)
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        futures = [pool.submit(generate_range, spec, s, e, n) for s, e in ranges]
        parts = [f.result() for f in futures]
    assert_identical(concat(parts), serial)


def test_per_row_provider_threads_do_not_share_a_generator():
    """Four threads drawing ``person.email`` at once each get exactly what the
    serial call gives for their seed (the provider instance is per thread)."""
    seeds = list(range(8))

    def draw(seed):
        rng = np.random.Generator(np.random.PCG64(seed))
        return call_provider("person", "email", {}, "en", rng, 3000)

    serial = [draw(s).tolist() for s in seeds]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = [a.tolist() for a in pool.map(draw, seeds)]
    assert threaded == serial


def test_nested_provider_is_seeded():
    """A provider whose method goes through a provider it holds (payment's
    Person) is reproducible: the nested one shares the reseeded generator."""
    spec = spec_for("nested_person")
    a = generate(spec, 300).frame["owner"].tolist()
    b = generate(spec, 300).frame["owner"].tolist()
    assert a == b
    assert len({row["owner"] for row in a}) > 100  # not one repeated value


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(1, 3 * BLOCK),
    cuts=st.lists(st.integers(1, 3 * BLOCK), max_size=4),
    kind=st.sampled_from(["pooled", "uuid", "per_row"]),
)
def test_any_ranges_equal_one_shot(n, cuts, kind):
    """Ranges cut anywhere, generated in threads, concatenate to the one-shot
    twins."""
    if kind == "per_row":
        n = min(n, 600)
    spec = spec_for(kind)
    edges = sorted({0, n, *(c for c in cuts if c < n)})
    ranges = list(itertools.pairwise(edges))
    with ThreadPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(lambda r: generate_range(spec, *r, n), ranges))
    assert_identical(concat(parts), generate(spec, n).frame)


def test_range_is_checked():
    spec = spec_for("pooled")
    # A DataError, which is a ValueError: the message names both arguments.
    with pytest.raises(
        ValueError,
        match=r"needs 0 <= start < stop <= n_pairs \(10\)\. Got start=5, stop=5\.",
    ):
        generate_range(spec, 5, 5, 10)


def test_generate_range_checks_its_arguments_like_generate(monkeypatch):
    import re

    import twinaudit.generation._engine as engine
    from twinaudit.datasets import loan_twin_spec
    from twinaudit.exceptions import DataError, MemoryLimitError, SpecError

    with pytest.raises(SpecError, match=re.escape("generate_range needs a TwinSpec")):
        generate_range({"fields": []}, 0, 10, 10)
    with pytest.raises(
        DataError,
        match=re.escape(
            "generate_range needs 0 <= start < stop <= n_pairs (10). Got start=5, "
            "stop=5."
        ),
    ):
        generate_range(loan_twin_spec(), 5, 5, 10)
    monkeypatch.setattr(engine, "available_memory", lambda: 1_000)
    with pytest.raises(MemoryLimitError, match=re.escape("Pass a smaller chunk_size")):
        generate_range(loan_twin_spec(), 0, 1_000, 10_000)
