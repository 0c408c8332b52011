"""Values where they enter a spec: YAML scalars, numpy scalars, int64 bounds,
required parameters, colliding values, provider arguments, hashing (issues 7, 13)."""

import datetime as dt
import random
import re

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from twinaudit.exceptions import SpecError
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
    load_spec,
    save_spec,
    spec_from_dict,
)
from twinaudit.spec._frozen import FrozenDict
from twinaudit.spec._io import SpecLoader

GENDER = ProtectedAttribute("gender", ["male", "female"], "male")


def write(tmp_path, text, name="spec.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- YAML scalars: what the user wrote stays -------------------------------------------
def test_yaml_yes_no_and_country_codes_stay_text(tmp_path):
    path = write(
        tmp_path,
        "protected:\n"
        "  - {name: smoker, values: [yes, no], privileged: no}\n"
        "  - {name: country, values: [NO, SE, DK], privileged: SE}\n"
        "fields:\n  - {kind: categorical, name: switch, choices: [on, off, y, n]}\n",
    )
    spec = load_spec(path)
    assert spec.protected[0].values == ("yes", "no")
    assert spec.protected[0].privileged == "no"
    assert spec.protected[1].values == ("NO", "SE", "DK")
    assert spec.fields[0].choices == ("on", "off", "y", "n")


@pytest.mark.parametrize(
    "text, value",
    [
        ("yes", "yes"),
        ("No", "No"),
        ("OFF", "OFF"),
        ("true", True),
        ("False", False),
        ("TRUE", True),
        ("01234", "01234"),  # a postcode, not the octal number 668
        ("1:30", "1:30"),  # not the sexagesimal 90
        ("30_000", 30000),
        ("-5", -5),
        ("0x1F", 31),
        ("1e3", 1000.0),
        ("2.5", 2.5),
        ("2020-02-29", dt.date(2020, 2, 29)),
        ("2020-02-30", "2020-02-30"),  # no such day: left for the field to report
        ("~", None),
    ],
)
def test_spec_loader_scalars(text, value):
    loaded = yaml.load(f"value: {text}", Loader=SpecLoader)["value"]
    assert loaded == value
    assert type(loaded) is type(value)


@given(st.text(alphabet="yesnoYESNOtrufalTRUFAL", min_size=1, max_size=5))
def test_only_true_and_false_are_booleans(word):
    loaded = yaml.load(f"value: {word}", Loader=SpecLoader)["value"]
    if word in ("true", "True", "TRUE", "false", "False", "FALSE"):
        assert loaded is (word.lower() == "true")
    elif word in ("null", "Null", "NULL"):
        assert loaded is None
    else:
        assert loaded == word


def test_impossible_date_in_a_spec_file_names_the_field(tmp_path):
    path = write(
        tmp_path,
        "protected: [{name: g, values: [a, b], privileged: a}]\n"
        "fields:\n  - {kind: date, name: birth, start: 2020-02-30, end: 2021-01-01}\n",
    )
    message = (
        "spec.yaml.fields[0]: field 'birth': 'start' must be a date (YYYY-MM-DD). "
        "Got '2020-02-30'. (day is out of range for month; write a date that exists, "
        "e.g. 2020-02-29.)"
    )
    with pytest.raises(SpecError, match=re.escape(message)):
        load_spec(path)


@pytest.mark.parametrize("value", [None, 3, {"protected": []}, ["spec.yaml"]])
def test_load_spec_needs_a_path(value):
    message = (
        "load_spec needs the path of a spec file (.yaml, .yml or .toml). Got "
        f"{value!r} instead; to build a spec from a dict use spec_from_dict."
    )
    with pytest.raises(SpecError, match=re.escape(message)):
        load_spec(value)


def test_yaml_alias_bomb_is_refused_before_it_is_walked(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(
            f"{chr(97 + i)}: &{chr(97 + i)} [{', '.join(['*' + chr(96 + i)] * 10)}]"
        )
    lines.append("protected: [{name: g, values: *i, privileged: x}]")
    path = write(tmp_path, "\n".join(lines) + "\n")
    message = (
        f"Spec file {str(path)!r} holds more than 500,000 values once its YAML aliases (*name) "
        "are expanded"
    )
    with pytest.raises(SpecError, match=re.escape(message)):
        load_spec(path)


def test_deep_nesting_is_refused(tmp_path):
    path = write(tmp_path, "protected: " + "[" * 200 + "]" * 200 + "\n")
    message = f"Spec file {str(path)!r} nests lists or mappings more than 50 levels"
    with pytest.raises(SpecError, match=re.escape(message)):
        load_spec(path)


NESTED_PAST_THE_PARSER = {
    # libyaml 0.2.5 (PyYAML >= 6.0.4) stops at 1,000 levels; older PyYAML recursed.
    "flow": "protected: " + "[" * 1200 + "]" * 1200 + "\n",
    "block": "protected:\n" + "".join(" " * i + "-\n" for i in range(1, 1200)),
}


@pytest.mark.parametrize("style", sorted(NESTED_PAST_THE_PARSER))
def test_nesting_past_the_yaml_parser_limit_is_refused_as_nesting(tmp_path, style):
    path = write(tmp_path, NESTED_PAST_THE_PARSER[style])
    message = (
        f"Spec file {str(path)!r} nests lists or mappings more than 50 levels deep; "
        "a spec needs a few levels at most."
    )
    with pytest.raises(SpecError, match=re.escape(message)):
        load_spec(path)


def test_huge_integer_literal_is_a_spec_error(tmp_path):
    path = write(tmp_path, "seed: " + "9" * 5000 + "\nprotected: []\n")
    with pytest.raises(SpecError, match=re.escape("is not valid YAML")):
        load_spec(path)


def test_oversized_spec_file_is_refused_unread(tmp_path):
    path = write(tmp_path, "# " + "x" * 1_000_000 + "\n")
    message = (
        f"Spec file {str(path)!r} is 1,000,003 bytes; twinaudit reads spec files of "
        "at most 1,000,000 bytes."
    )
    with pytest.raises(SpecError, match=re.escape(message)):
        load_spec(path)


# -- required parameters ------------------------------------------------------------------
@pytest.mark.parametrize(
    "field, message",
    [
        (
            {"kind": "integer", "name": "income", "low": 30000},
            "field 'income': 'high' is required. Give the smallest and largest value.",
        ),
        (
            {"kind": "float", "name": "rate", "high": 1.0},
            "field 'rate': 'low' is required. Give the range's two ends.",
        ),
        (
            {"kind": "normal", "name": "score", "std": 3},
            "field 'score': 'mean' is required. Give the distribution's mean and std.",
        ),
        (
            {"kind": "lognormal", "name": "savings", "mean": 3},
            "field 'savings': 'std' is required. Give the mean and std of the "
            "logarithm (numpy's parameters).",
        ),
        (
            {"kind": "date", "name": "birth", "start": "2000-01-01"},
            "field 'birth': 'end' is required. Give the first and last date.",
        ),
        (
            {"kind": "categorical", "name": "c"},
            "field 'c': 'choices' is required. List the values to draw from.",
        ),
        (
            {"kind": "provider", "name": "job"},
            "field 'job': 'provider' is required. Name it as 'group.method'.",
        ),
        (
            {"kind": "derived", "name": "d"},
            "field 'd': 'expression' is required. Write it over column names, e.g. "
            "'a + b'.",
        ),
        (
            {"kind": "constant", "name": "k"},
            "field 'k': a constant field needs a 'value'.",
        ),
    ],
)
def test_required_parameters_are_required(field, message):
    data = {"protected": [{"name": "g", "values": ["a", "b"], "privileged": "a"}]}
    data["fields"] = [field]
    with pytest.raises(SpecError, match=re.escape("spec.fields[0]: " + message)):
        spec_from_dict(data)


def test_normal_without_parameters_in_python():
    with pytest.raises(SpecError, match=re.escape("field 'z': 'mean' is required.")):
        Normal("z")


# -- numpy scalars and int64 -------------------------------------------------------------
def test_numpy_scalars_are_accepted_as_python_numbers():
    field = Integer("x", np.int64(1), np.int32(5))
    assert (field.low, field.high) == (1, 5)
    assert type(field.low) is int
    f = Float("f", np.float32(0.5), np.float64(2.0), round=np.int8(2))
    assert (f.low, f.high, f.round) == (0.5, 2.0, 2)
    n = Normal("n", np.float64(1), np.int64(2), integer=np.bool_(True))
    assert n.integer is True
    assert Categorical("c", np.array([1, 2, 3])).choices == (1, 2, 3)
    attribute = ProtectedAttribute("s", [np.int64(0), np.int64(1)], np.int64(1))
    assert attribute.values == (0, 1) and type(attribute.privileged) is int
    assert Identifier("id", start=np.uint8(7)).start == 7
    spec = TwinSpec(protected=[GENDER], seed=np.int64(3))
    assert spec.seed == 3 and type(spec.seed) is int


@pytest.mark.parametrize(
    "build, message",
    [
        (
            lambda: Integer("x", 0, 2**70),
            "field 'x': 'high' of an integer field must fit in a 64-bit integer "
            "(-9,223,372,036,854,775,808 to 9,223,372,036,854,775,807). "
            "Got 1180591620717411303424.",
        ),
        (
            lambda: Integer("x", -(2**63) - 1, 0),
            "field 'x': 'low' of an integer field must fit in a 64-bit integer",
        ),
        (
            lambda: Float("x", 0, 2**64),
            "field 'x': 'high' must fit in a 64-bit integer",
        ),
        (
            lambda: Float("x", -1e308, 1e308),
            "field 'x': the range from -1e+308 to 1e+308 is too wide for 64-bit "
            "floats; narrow it.",
        ),
        (
            lambda: Normal("x", 0, 1e308),
            "field 'x': draws with mean=0 and std=1e+308 overflow 64-bit floats",
        ),
        (
            lambda: Normal("x", 0, 1e18, integer=True),
            "field 'x': an integer field's values must fit in a 64-bit integer, but "
            "draws reach -1e+19 to 1e+19",
        ),
        (
            lambda: LogNormal("x", 40, 2, integer=True),
            "field 'x': an integer field's values must fit in a 64-bit integer",
        ),
        (
            lambda: Categorical("x", [1, 2**64]),
            "field 'x': every value of 'choices' must fit in a 64-bit integer",
        ),
        (
            lambda: ProtectedAttribute("s", [0, 2**63], 0),
            "protected attribute 's': every value of 'values' must fit in a 64-bit "
            "integer",
        ),
        (
            lambda: Constant("k", 2**63),
            "field 'k': 'value' must fit in a 64-bit integer",
        ),
        (
            lambda: Identifier("id", start=2**63),
            "field 'id': 'start' must fit in a 64-bit integer",
        ),
        (
            lambda: Integer("x", np.float64(1.0), 3),
            "field 'x': 'low' of an integer field must be an integer. Got "
            "np.float64(1.0) instead; use Float for decimals.",
        ),
        (
            lambda: Integer("x", np.True_, 3),
            "field 'x': 'low' of an integer field must be an integer.",
        ),
        (
            lambda: Float("x", 0, 1, round=10**6),
            "field 'x': 'round' is a number of decimals (an integer from -20 to 20",
        ),
        (
            lambda: TwinSpec(protected=[GENDER], seed=2**200),
            "TwinSpec: 'seed' must be below 2**128.",
        ),
    ],
)
def test_numbers_outside_int64_or_float64_are_refused(build, message):
    with pytest.raises(SpecError, match=re.escape(message)):
        build()


# -- values that collide -------------------------------------------------------------------
@pytest.mark.parametrize(
    "values, first, second",
    [([1, True], "1", "True"), ([1, 1.0], "1", "1.0"), ([0, False], "0", "False")],
)
def test_protected_values_that_compare_equal_are_refused(values, first, second):
    message = (
        f"protected attribute 's': 'values' holds {first} and {second}, which are "
        f"equal in Python, numpy and pandas ({first} == {second}) and would be merged. "
        "Use values that differ, for example text ('1', 'True')."
    )
    with pytest.raises(SpecError, match=re.escape(message)):
        ProtectedAttribute("s", values, values[0])
    with pytest.raises(
        SpecError,
        match=re.escape(
            message.replace(
                "protected attribute 's': 'values'", "field 'c': 'choices"
            ).replace("'choices holds", "'choices' holds")
        ),
    ):
        Categorical("c", values)


def test_privileged_value_of_another_type_is_refused():
    message = (
        "The 'privileged' value of protected attribute 's' must be one of [1, 0]. "
        "Got True instead."
    )
    with pytest.raises(SpecError, match=re.escape(message)):
        ProtectedAttribute("s", [1, 0], True)
    assert ProtectedAttribute("s", [1, 0], 1.0).privileged == 1


# -- names -------------------------------------------------------------------------------
def test_very_long_names_are_refused_with_a_short_message():
    with pytest.raises(SpecError) as info:
        Integer("x" * 100_000, 0, 1)
    message = str(info.value)
    assert message.startswith(
        "A field name may be at most 200 characters long. Got 'xxxxx"
    )
    assert message.endswith("...(100,002 characters); use a shorter name.")
    assert len(message) < 200


# -- provider arguments ------------------------------------------------------------------
def test_provider_kwargs_lists_are_frozen_and_generate():
    from twinaudit.generation import generate

    field = Provider("email", "person.email", kwargs={"domains": ["x.org"]})
    assert field.kwargs == {"domains": ("x.org",)}
    hash(field)
    spec = TwinSpec(protected=[GENDER], fields=[field], seed=1)
    emails = generate(spec, 5).frame["email"]
    assert emails.str.endswith("@x.org").all()


def test_provider_kwargs_lists_round_trip_through_yaml(tmp_path):
    spec = TwinSpec(
        protected=[GENDER],
        fields=[Provider("email", "person.email", kwargs={"domains": ["x.org"]})],
    )
    path = save_spec(spec, tmp_path / "s.yaml")
    assert "domains:\n    - x.org" in path.read_text()
    assert load_spec(path) == spec


@pytest.mark.parametrize(
    "provider, kwargs, message",
    [
        (
            "numeric.integers",
            {"n": 10**8},
            "argument 'n' of 'numeric.integers' sets the size of each value and must "
            "be an integer from 0 to 1,000. Got 100000000",
        ),
        (
            "numeric.integers",
            {"n": 1e8},
            "argument 'n' of 'numeric.integers' sets the size of each value and must "
            "be an integer from 0 to 1,000. Got 100000000.0",
        ),
        (
            "cryptographic.token_hex",
            {"entropy": 3 * 10**9},
            "argument 'entropy' of 'cryptographic.token_hex' sets the size of each "
            "value and must be an integer from 0 to 1,024. Got 3000000000",
        ),
        (
            "text.text",
            {"quantity": 101},
            "argument 'quantity' of 'text.text' sets the size of each value and must "
            "be an integer from 0 to 100. Got 101",
        ),
        (
            "numeric.matrix",
            {"m": 10**6},
            "argument 'm' of 'numeric.matrix' sets the size of each value",
        ),
    ],
)
def test_provider_arguments_that_grow_values_are_refused(provider, kwargs, message):
    with pytest.raises(SpecError, match=re.escape("field 'big': " + message)):
        Provider("big", provider, kwargs=kwargs)


def test_provider_arguments_at_the_limit_validate_quickly():
    import time

    start = time.perf_counter()
    TwinSpec(
        protected=[GENDER],
        fields=[
            Provider("a", "numeric.integers", kwargs={"n": 1000}),
            Provider("b", "cryptographic.token_hex", kwargs={"entropy": 1024}),
            Provider("c", "text.text", kwargs={"quantity": 100}),
        ],
    )
    assert time.perf_counter() - start < 2


# -- hashing -------------------------------------------------------------------------------
@given(
    st.dictionaries(
        st.text(max_size=4),
        st.one_of(
            st.integers(),
            st.text(max_size=4),
            st.lists(st.integers(), max_size=3),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=3),
        ),
        max_size=6,
    ),
    st.randoms(use_true_random=False),
)
def test_equal_frozen_dicts_hash_equally_whatever_the_key_order(data, rnd):
    def shuffled(mapping):
        items = list(mapping.items())
        rnd.shuffle(items)
        return {k: shuffled(v) if isinstance(v, dict) else v for k, v in items}

    a, b = FrozenDict(data), FrozenDict(shuffled(data))
    assert a == b
    assert hash(a) == hash(b)


def test_equal_proxies_are_one_set_member():
    a = Proxy("pronoun", "gender", {"male": "he", "female": "she"})
    b = Proxy("pronoun", "gender", {"female": "she", "male": "he"})
    assert a == b and len({a, b}) == 1
    p = Proxy.gendered("first", "gender", {"male": "male", "female": "female"})
    q = Proxy.gendered("first", "gender", {"female": "female", "male": "male"})
    assert len({p, q}) == 1
    items = list({"x": 1, "y": [1, 2], "z": {"a": 1, "b": 2}}.items())
    random.Random(0).shuffle(items)
    assert hash(FrozenDict(dict(items))) == hash(
        FrozenDict({"x": 1, "y": [1, 2], "z": {"b": 2, "a": 1}})
    )


def test_derived_with_constant_date_value_is_unchanged():
    # A Constant keeps a date; the YAML loader gives dates for real dates.
    assert Constant("d", dt.date(2020, 1, 1)).value == dt.date(2020, 1, 1)
    assert Derived("x", "a + 1").depends_on == ("a",)
    assert Date("d", "2020-01-01", "2020-12-31").start == dt.date(2020, 1, 1)


scalars = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["yes", "no", "NO", "on", "01234", "1e3", "1:30", "0x1F", "null"]),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)


@given(
    st.lists(scalars, min_size=2, max_size=5, unique_by=lambda v: (type(v), v)),
    st.sampled_from(["yaml", "toml"]),
)
def test_any_scalar_round_trips_through_a_spec_file_as_written(values, fmt):
    import tempfile
    from pathlib import Path

    try:
        field = Categorical("c", values)
        spec = TwinSpec(protected=[GENDER], fields=[field, Constant("k", values[0])])
    except SpecError:
        return  # values that collide (1 and True) are refused, tested above
    with tempfile.TemporaryDirectory() as folder:
        path = save_spec(spec, Path(folder) / f"s.{fmt}")
        loaded = load_spec(path)
    assert loaded == spec
    assert [type(v) for v in loaded.fields[0].choices] == [type(v) for v in values]
    assert type(loaded.fields[1].value) is type(values[0])
