import dataclasses
import datetime as dt
import re

import pytest

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
)

GENDER = ProtectedAttribute("gender", ["male", "female"], privileged="male")
RACE = ProtectedAttribute("race", ["white", "black", "asian"], privileged="white")


def spec(**kwargs):
    kwargs.setdefault("protected", [GENDER])
    return TwinSpec(**kwargs)


# -- valid specs --------------------------------------------------------------------
def test_columns_are_pair_protected_fields_proxies():
    s = spec(
        fields=[Integer("income", 1, 2), Provider("job", "person.occupation")],
        proxies=[
            Proxy.gendered("first_name", "gender", {"male": "male", "female": "female"})
        ],
    )
    assert s.columns == ("pair_id", "gender", "income", "job", "first_name")
    assert s.moving_columns == ("gender", "first_name")
    assert s.proxy_columns == ("first_name",)
    assert s.n_variants == 2


def test_intersectional_variants_and_vary_subset():
    s = spec(protected=[GENDER, RACE])
    assert s.n_variants == 6
    assert list(s.combinations())[:3] == [
        ("male", "white"),
        ("male", "black"),
        ("male", "asian"),
    ]
    only_race = spec(protected=[GENDER, RACE], vary=["race"])
    assert only_race.n_variants == 3
    assert only_race.moving_columns == ("race",)


def test_derived_fields_that_use_protected_or_proxies_move():
    s = spec(
        fields=[
            Integer("income", 1, 10),
            Derived("is_male", "gender == 'male'"),
            Derived("double", "income * 2"),
            Derived("greeting", "first_name + '!'"),
        ],
        proxies=[Proxy("first_name", "gender", {"male": "Tom", "female": "Ann"})],
    )
    assert set(s.moving_columns) == {"gender", "is_male", "first_name", "greeting"}
    assert sorted(s.derived_order) == ["double", "greeting", "is_male"]


@pytest.mark.parametrize("listed", [("a", "b", "c"), ("c", "b", "a"), ("b", "c", "a")])
def test_derived_fields_come_after_the_derived_fields_they_use(listed):
    """c uses b, which uses a: that order whatever order the spec lists them in."""
    formulas = {"a": "income * 2", "b": "a + 1", "c": "b + a"}
    s = spec(
        fields=[Integer("income", 1, 10)] + [Derived(n, formulas[n]) for n in listed]
    )
    assert s.derived_order == ("a", "b", "c")


def test_protected_attribute_properties():
    a = ProtectedAttribute(
        "gender",
        ["male", "female"],
        "male",
        model_column="Gender_Code",
        encoding={"male": 1, "female": 0},
    )
    assert a.unprivileged == ("female",)
    assert a.column == "Gender_Code"
    assert a.code("female") == 0
    assert ProtectedAttribute("sex", ["M", "F"], "M").column == "sex"


def test_encoding_keys_may_be_strings_of_values():
    a = ProtectedAttribute("flag", [0, 1], 1, encoding={"0": "no", "1": "yes"})
    assert a.code(0) == "no"
    assert a.code(1) == "yes"


def test_proxy_by_value_keys_match_values_given_as_strings():
    a = ProtectedAttribute("flag", [0, 1], 1)
    s = TwinSpec(protected=[a], proxies=[Proxy("p", "flag", {"0": "zero", "1": "one"})])
    assert dict(s.proxies[0].by_value) == {0: "zero", 1: "one"}


def test_specs_are_frozen_and_hashable():
    s = spec(fields=[Provider("job", "person.occupation")])
    with pytest.raises(
        dataclasses.FrozenInstanceError,
        match=re.escape("cannot assign to field 'seed'"),
    ):
        s.seed = 3  # type: ignore[misc]
    same = spec(fields=[Provider("job", "person.occupation")])
    assert same == s and hash(same) == hash(s)
    assert spec(fields=[Provider("job", "person.occupation")], seed=4) != s


def test_provider_converts_enum_strings():
    from mimesis.enums import Gender

    p = Provider("name", "person.first_name", kwargs={"gender": "female"})
    assert p.kwargs["gender"] is Gender.FEMALE
    assert (
        Provider("name", "person.first_name", kwargs={"gender": "MALE"}).kwargs[
            "gender"
        ]
        is Gender.MALE
    )


def test_date_accepts_iso_strings():
    d = Date("birth", "1960-01-01", "1999-12-31")
    assert d.start == dt.date(1960, 1, 1)


# -- malformed specs ----------------------------------------------------------------
BAD = [
    (
        lambda: ProtectedAttribute("sex", ["F", "M"], privileged="male"),
        "The 'privileged' value of protected attribute 'sex' must be one of ['F', 'M']. "
        "Got 'male' instead.",
    ),
    (
        lambda: ProtectedAttribute("sex", ["F"], privileged="F"),
        "protected attribute 'sex': needs at least two values to make twins. Got ['F']; "
        "add the values to compare.",
    ),
    (
        lambda: ProtectedAttribute("sex", ["F", "F"], privileged="F"),
        "protected attribute 'sex': 'values' has duplicates: ['F', 'F'].",
    ),
    (
        lambda: ProtectedAttribute("sex", "MF", privileged="M"),
        "protected attribute 'sex': 'values' must be a list of at least two values. Got 'MF'.",
    ),
    (
        lambda: ProtectedAttribute("sex", ["M", "F"], "M", weights=[1.0]),
        "protected attribute 'sex': 'weights' needs one weight per value (2). Got 1: [1.0].",
    ),
    (
        lambda: ProtectedAttribute("sex", ["M", "F"], "M", encoding={"M": 1}),
        "protected attribute 'sex': 'encoding' has no code for ['F']; give one code per "
        "value.",
    ),
    (
        lambda: ProtectedAttribute("sex", ["M", "F"], "M", encoding={"M": 1, "F": 1}),
        "protected attribute 'sex': 'encoding' maps two values to the same code.",
    ),
    (
        lambda: Integer("age", 80, 18),
        "field 'age': 'low' must be at most 'high'. Got low=80, high=18; swap them or "
        "widen the range.",
    ),
    (
        lambda: Integer("age", 18.5, 80),
        "field 'age': 'low' of an integer field must be an integer. Got 18.5 instead; use "
        "Float for decimals.",
    ),
    (
        lambda: Float("rate", 1.0, 1.0),
        "field 'rate': 'low' must be below 'high'. Got low=1.0, high=1.0; swap them or "
        "widen the range.",
    ),
    (
        lambda: Float("rate", 0.0, float("inf")),
        "field 'rate': 'high' must be finite. Got inf instead.",
    ),
    (
        lambda: Float("rate", 0, 1, round=1.5),
        "field 'rate': 'round' is a number of decimals (an integer from -20 to 20; "
        "-3 rounds to thousands). Got 1.5 instead.",
    ),
    (
        lambda: Normal("score", 600, -5),
        "field 'score': 'std' must be positive. Got -5.",
    ),
    (
        lambda: LogNormal("income", 10, 1, low=0),
        "field 'income': 'low' of a log-normal field must be positive. Got 0.",
    ),
    (
        lambda: Categorical("housing", []),
        "field 'housing': 'choices' must be a non-empty list of values. Got [].",
    ),
    (
        lambda: Categorical("housing", ["own", "rent"], weights=[1, -1]),
        "field 'housing': weights must be non-negative. Got -1.",
    ),
    (
        lambda: Provider("job", "persn.occupation"),
        "field 'job': unknown Mimesis provider group 'persn' in 'persn.occupation'. Did "
        "you mean 'person'?",
    ),
    (
        lambda: Provider("job", "person.occupaton"),
        "field 'job': Mimesis provider 'person' has no method 'occupaton'. Did you mean "
        "'occupation'?",
    ),
    (
        lambda: Provider("job", "occupation"),
        "field 'job': provider must be written 'group.method' (for example "
        "'person.occupation'). Got 'occupation' instead.",
    ),
    (
        lambda: Provider("name", "person.first_name", kwargs={"sex": "male"}),
        "field 'name': 'person.first_name' takes no argument 'sex'.",
    ),
    (
        lambda: Provider("name", "person.first_name", kwargs={"gender": "other"}),
        "field 'name': argument 'gender' of 'person.first_name' must be one of ['male', "
        "'female']. Got 'other' instead.",
    ),
    (
        lambda: Provider("city", "address.city", locale="xx"),
        "field 'city': unknown locale 'xx'.",
    ),
    (
        lambda: Date("birth", "2000-01-01", "1990-01-01"),
        "field 'birth': 'start' must not be after 'end'. Got start=2000-01-01, "
        "end=1990-01-01.",
    ),
    (
        lambda: Date("birth", "yesterday", "1990-01-01"),
        "field 'birth': 'start' must be a date (YYYY-MM-DD). Got 'yesterday'.",
    ),
    (
        lambda: Constant("country", None),
        "field 'country': a constant field needs a 'value'.",
    ),
    (
        lambda: Identifier("id", format="serial"),
        "field 'id': 'format' must be 'int' or 'uuid'. Got 'serial'.",
    ),
    (
        lambda: Derived("ratio", "debt / "),
        "field 'ratio': the expression 'debt / ' is not valid: invalid syntax",
    ),
    (
        lambda: Derived("ratio", "os.system('ls')"),
        "field 'ratio': 'os.system' is not a function expressions may use.",
    ),
    (
        lambda: Derived("ratio", "income[0]"),
        "field 'ratio': subscript is not allowed in an expression ('income[0]').",
    ),
    (
        lambda: Derived("ratio", lambda env: env["a"]),
        "field 'ratio': a derived field computed by a Python function must list the "
        "columns it reads in 'columns' (a list).",
    ),
    (
        lambda: Integer("", 1, 2),
        "A field needs a non-empty string name. Got '' instead.",
    ),
    (
        lambda: spec(fields=[Integer("income", 1, 2), Float("income", 0, 1)]),
        "TwinSpec: column 'income' is defined twice (as an integer field and as a float "
        "field); rename one of them.",
    ),
    (
        lambda: spec(fields=[Integer("gender", 1, 2)]),
        "TwinSpec: column 'gender' is defined twice (as a protected attribute and as an "
        "integer field); rename one of them.",
    ),
    (
        lambda: spec(fields=[Derived("a", "b + 1"), Derived("b", "a + 1")]),
        "derived fields form a cycle",
    ),
    (
        lambda: spec(fields=[Derived("a", "incme + 1"), Integer("income", 1, 2)]),
        "field 'a': uses column 'incme', which the spec does not define. Did you mean "
        "'income'?",
    ),
    (lambda: spec(locale="english"), "TwinSpec: unknown locale 'english'."),
    (lambda: spec(seed=-1), "TwinSpec: 'seed' must be a non-negative integer. Got -1."),
    (
        lambda: spec(mode="loose"),
        "TwinSpec: 'mode' must be 'strict' or 'proxy'. Got 'loose'.",
    ),
    (
        lambda: spec(vary=["gendr"]),
        "TwinSpec: 'vary' names 'gendr', which is not a protected attribute. Did you mean "
        "'gender'?",
    ),
    (
        lambda: spec(protected=[]),
        "TwinSpec: needs at least one protected attribute to make twins",
    ),
    (
        lambda: spec(proxies=[Proxy("title", "sex", {"male": "Mr", "female": "Ms"})]),
        "proxy 'title': 'attribute' 'sex' is not a protected attribute.",
    ),
    (
        lambda: spec(proxies=[Proxy("title", "gender", {"male": "Mr"})]),
        "proxy 'title': 'by_value' has no entry for ['female'] of 'gender'; give one entry "
        "per value.",
    ),
    (
        lambda: spec(proxies=[Proxy("title", "gender", {"male": "Mr", "other": "Mx"})]),
        "proxy 'title': 'other' is not a value of protected attribute 'gender'",
    ),
    (
        lambda: Proxy("title", "gender", {}),
        "proxy 'title': 'by_value' must map each value of 'gender' to the proxy's value "
        "for it. Got {}.",
    ),
    (
        lambda: Proxy("name", "gender", {"male": "x"}, provider="person.first_name"),
        "proxy 'name': with a provider, each 'by_value' entry is the provider's keyword "
        "arguments. Got 'x' for 'male'.",
    ),
    (
        lambda: spec(
            protected=[
                GENDER,
                ProtectedAttribute("g2", ["a", "b"], "a", model_column="gender"),
            ]
        ),
        "protected attribute 'g2': its model_column 'gender' is also a protected "
        "attribute; rename one.",
    ),
]


@pytest.mark.parametrize("build, message", BAD, ids=[m[:50] for _, m in BAD])
def test_malformed_specs_raise_spec_error_naming_the_fix(build, message):
    with pytest.raises(SpecError, match=re.escape(message)):
        build()


def test_spec_error_is_a_value_error():
    assert issubclass(SpecError, ValueError)
    with pytest.raises(
        ValueError, match=re.escape("field 'age': 'low' must be at most")
    ):
        Integer("age", 5, 1)


def test_provider_arguments_mimesis_rejects_fail_at_spec_time():
    with pytest.raises(
        SpecError,
        match=re.escape("field 'age': Mimesis could not generate 'person.birthdate'"),
    ):
        spec(
            fields=[
                Provider(
                    "age",
                    "person.birthdate",
                    kwargs={"min_year": 2000, "max_year": 1990},
                )
            ]
        )
