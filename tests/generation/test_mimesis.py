import numpy as np
import pytest
from mimesis import Address, Person
from mimesis.enums import Gender
from mimesis.locales import Locale
from scipy import stats

from twinaudit.generation._mimesis import call_provider, choice_pool


@pytest.mark.parametrize("locale", ["en", "de", "ja", "pt-br"])
def test_first_name_given_a_gender_is_a_uniform_choice_over_the_locale_list(locale):
    categories, index_map = choice_pool(
        "person", "first_name", {"gender": Gender.FEMALE}, locale
    )
    names = Person(Locale(locale))._dataset["names"]["female"]
    assert [categories[i] for i in index_map] == list(names)


def test_city_pool_is_the_locale_list():
    categories, index_map = choice_pool("address", "city", {}, "de")
    assert [categories[i] for i in index_map] == list(
        Address(Locale.DE)._dataset["city"]
    )


def test_providers_with_other_randomness_are_not_pooled():
    assert choice_pool("person", "first_name", {}, "en") is None  # random gender first
    assert choice_pool("address", "postal_code", {}, "en") is None
    assert choice_pool("person", "full_name", {"gender": Gender.MALE}, "en") is None


def test_pooled_sampling_matches_mimesis_frequencies():
    """Sampling the pool reproduces the provider's distribution (duplicates in the
    list keep their weight)."""
    categories, index_map = choice_pool("person", "occupation", {}, "en")
    rng = np.random.default_rng(0)
    draws = index_map[rng.integers(0, len(index_map), 200_000)]
    observed = np.bincount(draws, minlength=len(categories))
    expected = (
        np.bincount(index_map, minlength=len(categories)) / len(index_map) * 200_000
    )
    assert stats.chisquare(observed, expected).pvalue > 1e-4


def test_per_row_calls_are_seeded_from_the_stream():
    a = call_provider("address", "postal_code", {}, "en", np.random.default_rng(5), 20)
    b = call_provider("address", "postal_code", {}, "en", np.random.default_rng(5), 20)
    assert a.tolist() == b.tolist()
    c = call_provider("address", "postal_code", {}, "en", np.random.default_rng(6), 20)
    assert a.tolist() != c.tolist()
