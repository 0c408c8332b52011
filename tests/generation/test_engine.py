import hashlib
import re
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from twinaudit.exceptions import SpecError
from twinaudit.generation import BLOCK, Twins, generate, iter_twins
from twinaudit.spec import (
    Categorical,
    Constant,
    Date,
    Derived,
    Float,
    Identifier,
    Integer,
    LogNormal,
    Normal,
    ProtectedAttribute,
    Provider,
    Proxy,
    TwinSpec,
    supported_locales,
)

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parents[1]
GENDER = ProtectedAttribute("gender", ["male", "female"], "male")
NAMES = Proxy.gendered("first_name", "gender", {"male": "male", "female": "female"})


def assert_identical(a: pd.DataFrame, b: pd.DataFrame, **kwargs) -> None:
    """Same columns, dtypes and values, exactly: the same seed gives the same twins
    bit for bit (and check_exact skips pandas' slow approximate path for
    categoricals: 0.2 s instead of 8 s on 80,000 rows)."""
    pd.testing.assert_frame_equal(a, b, check_exact=True, **kwargs)


def text_spec(**kwargs) -> TwinSpec:
    defaults = dict(
        fields=[
            Identifier("id"),
            Integer("income", 30_000, 120_000),
            Provider("job", "person.occupation"),
            Provider("city", "address.city"),
        ],
        protected=[GENDER],
        proxies=[NAMES],
        seed=3,
    )
    defaults.update(kwargs)
    return TwinSpec(**defaults)


def test_layout_is_pair_major_with_variants_in_product_order():
    race = ProtectedAttribute("race", ["white", "black", "asian"], "white")
    twins = generate(text_spec(protected=[GENDER, race], proxies=[]), 4)
    frame = twins.frame
    assert len(frame) == 4 * 6
    assert frame["pair_id"].tolist() == [p for p in range(4) for _ in range(6)]
    combos = list(zip(frame["gender"].head(6), frame["race"].head(6), strict=True))
    assert combos == twins.combinations()
    assert twins.n_pairs == 4 and twins.n_variants == 6


def test_same_seed_gives_identical_twins_and_another_seed_does_not():
    a = generate(text_spec(), 500).frame
    b = generate(text_spec(), 500).frame
    assert_identical(a, b)
    c = generate(text_spec(), 500, seed=4).frame
    assert not a["income"].equals(c["income"])
    assert not a["first_name"].equals(c["first_name"])


def test_twins_are_byte_identical_in_a_fresh_interpreter(checkout_env):
    """Guards against anything seeded from Python's salted hash or set order."""
    code = (
        "import hashlib, twinaudit\n"
        "from test_engine import text_spec\n"
        "from twinaudit.generation import generate\n"
        "csv = generate(text_spec(), 300).frame.to_csv(index=False).encode()\n"
        "print(twinaudit.__file__)\n"
        "print(hashlib.sha256(csv).hexdigest())"
    )
    # Both interpreters at once: each spends seconds importing pandas and Mimesis.
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=checkout_env(HERE, inherit=False, PYTHONHASHSEED=seed),
        )
        for seed in ("1", "2")
    ]
    runs = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        runs.append(out.splitlines())
    for imported, _ in runs:
        assert Path(imported).is_relative_to(CHECKOUT / "src")
    here = hashlib.sha256(generate(text_spec(), 300).frame.to_csv(index=False).encode())
    assert {digest for _, digest in runs} == {here.hexdigest()}


def test_numeric_twins_match_the_recorded_values():
    """Numbers come from numpy's PCG64 and SeedSequence, which numpy keeps stable
    across versions and machines: these values must never change."""
    spec = TwinSpec(
        fields=[Integer("age", 18, 75), Float("rate", 0, 1, round=6)],
        protected=[GENDER],
        seed=42,
    )
    frame = generate(spec, 3).frame
    assert frame["age"].tolist()[::2] == RECORDED_AGES
    assert frame["rate"].tolist()[::2] == RECORDED_RATES
    assert frame["gender"].tolist() == ["male", "female"] * 3


RECORDED_AGES = [54, 57, 32]
RECORDED_RATES = [0.690904, 0.897802, 0.656389]


def chunking_spec() -> TwinSpec:
    return text_spec(
        fields=[
            *text_spec().fields,
            Provider("zip", "address.postal_code"),
            Normal("score", 600, 50, low=500, high=700),
            Derived("k", "income // 1000"),
        ]
    )


@pytest.fixture(scope="module")
def one_shot():
    """generate(chunking_spec(), n) once per n for all chunk sizes (40,000 pairs
    take seconds)."""
    made: dict[int, Twins] = {}

    def get(n: int) -> Twins:
        if n not in made:
            made[n] = generate(chunking_spec(), n, mode="proxy")
        return made[n]

    return get


@pytest.mark.parametrize(
    "chunk_size", [1, 7, 1000, BLOCK - 1, BLOCK, BLOCK + 3, 40_000]
)
def test_chunks_concatenate_to_the_one_shot_result(one_shot, chunk_size):
    n = 40_000 if chunk_size >= 1000 else 60
    whole = one_shot(n)
    parts = list(iter_twins(chunking_spec(), n, chunk_size, mode="proxy"))
    assert sum(p.n_pairs for p in parts) == n
    joined = Twins.concat(parts)
    assert_identical(joined.frame, whole.frame)
    np.testing.assert_array_equal(joined.factual, whole.factual)


def test_a_prefix_of_pairs_does_not_depend_on_how_many_are_generated():
    small = generate(text_spec(), 100).frame
    large = generate(text_spec(), BLOCK + 100).frame
    assert_identical(small, large.iloc[:200].reset_index(drop=True))


def test_adding_a_column_leaves_the_others_unchanged():
    base = generate(text_spec(), 300).frame
    more = generate(
        text_spec(fields=[*text_spec().fields, Integer("extra", 0, 9)]), 300
    ).frame
    assert_identical(base, more.drop(columns="extra"))


def test_columns_with_identical_definitions_are_independent():
    """A seeded Mimesis Generic gives every provider the same stream, so two equal
    providers return equal columns; twinaudit's per-column streams do not."""
    spec = TwinSpec(
        fields=[Float(f"u{i}", 0, 1) for i in range(5)]
        + [Integer(f"k{i}", 0, 1000) for i in range(3)],
        protected=[GENDER],
        seed=0,
    )
    n = 20_000
    frame = generate(spec, n).frame.iloc[::2]
    corr = frame.drop(columns=["pair_id", "gender"]).corr().to_numpy()
    off_diagonal = corr[~np.eye(len(corr), dtype=bool)]
    assert np.abs(off_diagonal).max() < 4 / np.sqrt(n)


def test_seeded_mimesis_generic_would_plant_that_correlation():
    """The problem the per-column streams avoid, measured on Mimesis itself."""
    from mimesis import Generic

    g = Generic(seed=0)
    a = [g.numeric.integer_number(0, 1000) for _ in range(500)]
    g2 = Generic(seed=0)
    b = [g2.person.weight(0, 1000) for _ in range(500)]
    assert np.corrcoef(a, b)[0, 1] > 0.99


def test_strict_mode_holds_proxies_and_proxy_mode_moves_them():
    strict = generate(text_spec(), 2000, mode="strict")
    proxy = generate(text_spec(), 2000, mode="proxy")
    s_names = strict.frame["first_name"].to_numpy().reshape(-1, 2)
    assert (s_names[:, 0] == s_names[:, 1]).all()
    p_names = proxy.frame["first_name"].to_numpy().reshape(-1, 2)
    assert (p_names[:, 0] != p_names[:, 1]).mean() > 0.95
    # Same base profiles in both modes; the factual twin keeps the base name.
    assert_identical(
        strict.frame.drop(columns="first_name"), proxy.frame.drop(columns="first_name")
    )
    np.testing.assert_array_equal(
        strict.frame["first_name"][strict.factual],
        proxy.frame["first_name"][proxy.factual],
    )


def _name_pools(locale):
    from mimesis import Person
    from mimesis.locales import Locale

    names = Person(Locale(locale))._dataset["names"]
    return set(names["male"]), set(names["female"])


@pytest.mark.parametrize("locale", supported_locales())
def test_gendered_names_follow_each_twins_gender_in_every_locale(locale):
    spec = text_spec(fields=[Integer("x", 0, 9)], locale=locale, mode="proxy")
    frame = generate(spec, 300).frame
    male, female = _name_pools(locale)
    is_male = frame["gender"].to_numpy() == "male"
    names = frame["first_name"].astype(str).to_numpy()
    assert all(n in male for n in names[is_male])
    assert all(n in female for n in names[~is_male])
    strict = (
        generate(spec, 300, mode="strict").frame["first_name"].to_numpy().reshape(-1, 2)
    )
    assert (strict[:, 0] == strict[:, 1]).all()


def test_titles_and_pronouns_follow_gender():
    from mimesis import Person

    titles = Person()._dataset["title"]
    spec = text_spec(
        fields=[Integer("x", 0, 1)],
        mode="proxy",
        proxies=[
            Proxy.gendered(
                "title",
                "gender",
                {"male": "male", "female": "female"},
                provider="person.title",
                title_type="typical",
            ),
            Proxy.gendered(
                "any_title",
                "gender",
                {"male": "male", "female": "female"},
                provider="person.title",
            ),
            Proxy("pronoun", "gender", {"male": "he", "female": "she"}),
        ],
    )
    frame = generate(spec, 300).frame
    male = frame["gender"] == "male"
    assert set(frame.loc[male, "title"]) <= set(titles["male"]["typical"])
    assert set(frame.loc[~male, "title"]) <= set(titles["female"]["typical"])
    every_male = set(titles["male"]["typical"]) | set(titles["male"]["academic"])
    assert set(frame.loc[male, "any_title"]) <= every_male
    assert (frame["pronoun"] == np.where(male, "he", "she")).all()


def test_strict_proxies_follow_the_base_profiles_own_value():
    spec = text_spec(
        protected=[
            ProtectedAttribute("gender", ["male", "female"], "male", weights=[1, 0])
        ]
    )
    frame = generate(spec, 500).frame
    male, _ = _name_pools("en")
    assert set(frame["first_name"].astype(str)) <= male


def test_protected_weights_set_the_base_population():
    spec = text_spec(
        protected=[
            ProtectedAttribute("gender", ["male", "female"], "male", weights=[0.8, 0.2])
        ]
    )
    twins = generate(spec, 20_000)
    base = twins.frame["gender"][twins.factual]
    share = (base == "male").mean()
    assert abs(share - 0.8) < 4 * np.sqrt(0.8 * 0.2 / 20_000)


def test_vary_holds_the_other_attributes_at_the_base_value():
    race = ProtectedAttribute("race", ["white", "black"], "white")
    twins = generate(
        text_spec(protected=[GENDER, race], vary=["gender"], proxies=[]), 200
    )
    race_pairs = twins.frame["race"].to_numpy().reshape(-1, 2)
    assert (race_pairs[:, 0] == race_pairs[:, 1]).all()
    assert set(twins.frame["race"]) == {"white", "black"}
    twins.check()


def test_numeric_distributions_respect_their_parameters():
    spec = TwinSpec(
        fields=[
            Integer("i", -3, 3),
            Float("f", 10, 20, round=1),
            Normal("n", 100, 15),
            Normal("t", 600, 100, low=550, high=620, integer=True),
            LogNormal("l", 10, 0.5, low=5_000, high=50_000, round=-2),
            Date("d", "2000-02-28", "2000-03-01"),
        ],
        protected=[GENDER],
        seed=1,
    )
    frame = generate(spec, 20_000).frame.iloc[::2]
    n = len(frame)
    assert set(frame["i"]) == set(range(-3, 4))
    assert frame["f"].between(10, 20).all()
    assert (frame["f"] * 10 == (frame["f"] * 10).round()).all()
    # Within 4 standard errors: the mean's is std / sqrt(n), the standard
    # deviation's about std / sqrt(2 n) for a normal sample.
    assert abs(frame["n"].mean() - 100) < 4 * 15 / np.sqrt(n)
    assert abs(frame["n"].std() - 15) < 4 * 15 / np.sqrt(2 * n)
    assert frame["t"].between(550, 620).all() and frame["t"].dtype == np.int64
    truncated = stats.truncnorm((550 - 600) / 100, (620 - 600) / 100, 600, 100)
    assert abs(frame["t"].mean() - truncated.mean()) < 4 * truncated.std() / np.sqrt(n)
    assert frame["l"].between(5_000, 50_000).all()
    assert (frame["l"] % 100 == 0).all()
    assert set(frame["d"].dt.strftime("%m-%d")) == {"02-28", "02-29", "03-01"}


def test_categorical_weights_give_the_expected_frequencies():
    spec = TwinSpec(
        fields=[Categorical("housing", ["own", "rent", "free"], weights=[6, 3, 1])],
        protected=[GENDER],
        seed=9,
    )
    counts = generate(spec, 30_000).frame["housing"].iloc[::2].value_counts()
    observed = [counts["own"], counts["rent"], counts["free"]]
    assert stats.chisquare(observed, [18_000, 9_000, 3_000]).pvalue > 1e-3
    assert generate(spec, 10).frame["housing"].dtype == "category"


def test_numeric_choices_stay_numeric():
    spec = TwinSpec(fields=[Categorical("children", [0, 1, 2])], protected=[GENDER])
    assert generate(spec, 50).frame["children"].dtype.kind == "i"


def test_identifiers_are_shared_by_twins_and_unique_across_pairs():
    spec = text_spec(
        fields=[Identifier("n", start=100), Identifier("u", format="uuid")]
    )
    frame = generate(spec, 5000).frame
    assert frame["n"].tolist()[:4] == [100, 100, 101, 101]
    ids = frame["u"].to_numpy().reshape(-1, 2)
    assert (ids[:, 0] == ids[:, 1]).all()
    assert len(set(ids[:, 0])) == 5000
    assert all(uuid.UUID(u).version == 4 for u in ids[:50, 0])
    assert all(
        re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", u
        )
        for u in ids[:, 0]
    )


def test_derived_fields_compute_from_other_columns():
    spec = text_spec(
        fields=[
            Integer("debt", 0, 100),
            Integer("income", 100, 200),
            Derived("ratio", "debt / income", round=3),
            Derived("high", "ratio > 0.5"),
            Derived("code", lambda env: env["debt"] % 7, columns=["debt"]),
        ]
    )
    frame = generate(spec, 300).frame
    np.testing.assert_allclose(
        frame["ratio"], (frame["debt"] / frame["income"]).round(3)
    )
    assert (frame["high"] == (frame["ratio"] > 0.5)).all()
    assert (frame["code"] == frame["debt"] % 7).all()


def test_derived_fields_of_the_attribute_move_only_in_proxy_mode():
    spec = text_spec(
        fields=[
            Integer("x", 0, 1),
            Derived("is_male", "gender == 'male'"),
            Derived("hello", "'Hi ' + first_name"),
        ]
    )
    strict = generate(spec, 200, mode="strict")
    proxy = generate(spec, 200, mode="proxy")
    strict.check()
    assert (
        strict.frame["is_male"].to_numpy().reshape(-1, 2).sum(axis=1) % 2 == 0
    ).all()
    assert (proxy.frame["is_male"] == (proxy.frame["gender"] == "male")).all()
    assert (proxy.frame["hello"] == "Hi " + proxy.frame["first_name"].astype(str)).all()


def test_constants_and_locales():
    spec = text_spec(
        fields=[
            Constant("country", "DE"),
            Provider("city", "address.city", locale="de"),
        ]
    )
    frame = generate(spec, 100).frame
    assert set(frame["country"]) == {"DE"}
    from mimesis import Address
    from mimesis.locales import Locale

    assert set(frame["city"].astype(str)) <= set(Address(Locale.DE)._dataset["city"])


def test_providers_that_are_not_a_choice_are_called_per_row_reproducibly():
    spec = text_spec(
        fields=[
            Provider("zip", "address.postal_code"),
            Provider("born", "datetime.date", kwargs={"start": 1950, "end": 2000}),
        ]
    )
    a = generate(spec, 50).frame
    b = generate(spec, 50).frame
    assert_identical(a, b)
    assert a["zip"].nunique() > 40


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n_pairs=0), "n_pairs must be a positive integer. Got 0."),
        (dict(n_pairs=2.5), "n_pairs must be a positive integer. Got 2.5."),
        (dict(n_pairs=2, mode="lax"), "mode must be 'strict' or 'proxy'. Got 'lax'."),
        (dict(n_pairs=2, seed=-1), "seed must be a non-negative integer. Got -1."),
    ],
)
def test_bad_generation_requests(kwargs, message):
    with pytest.raises(SpecError, match=re.escape(message)):
        generate(text_spec(), **kwargs)


def test_bad_chunk_size():
    with pytest.raises(
        SpecError, match=re.escape("chunk_size must be a positive integer. Got 0.")
    ):
        next(iter_twins(text_spec(), 10, 0))


def test_uuid_text_matches_pythons_uuid_module():
    from twinaudit.generation._sampling import uuid4_text

    raw = np.frombuffer(np.random.default_rng(1).bytes(16 * 3000), dtype=np.uint8)
    raw = raw.reshape(-1, 16)
    expected = [str(uuid.UUID(bytes=bytes(r), version=4)) for r in raw]
    assert uuid4_text(raw).to_numpy().tolist() == expected
