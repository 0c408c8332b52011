import datetime as dt
import re

import pytest

from twinaudit.exceptions import OutputExistsError, SpecError
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
    spec_to_dict,
)


def rich_spec() -> TwinSpec:
    return TwinSpec(
        fields=[
            Identifier("id", format="uuid"),
            Integer("age", 18, 75),
            Float("income", 20_000.5, 150_000.25, round=-3),
            Normal("score", 650.5, 80.0, low=300, high=850, integer=True),
            LogNormal("savings", 8.0, 1.5, high=1e6, round=2),
            Categorical("housing", ["own", "rent", "free"], weights=[0.6, 0.3, 0.1]),
            Categorical("children", [0, 1, 2, 3]),
            Provider("job", "person.occupation"),
            Provider("city", "address.city", locale="de"),
            Provider("surname", "person.surname", kwargs={"gender": "female"}),
            Date("birth", dt.date(1950, 1, 1), dt.date(2005, 12, 31)),
            Derived("years", "years_between(birth, '2026-01-01')"),
            Derived("ratio", "savings / income", round=4),
            Constant("country", "DE"),
        ],
        protected=[
            ProtectedAttribute(
                "gender",
                ["male", "female"],
                "male",
                weights=[0.5, 0.5],
                model_column="Gender_Code",
                encoding={"male": 1, "female": 0},
            ),
            ProtectedAttribute("age_group", [0, 1], 1),
        ],
        proxies=[
            Proxy.gendered(
                "first_name",
                "gender",
                {"male": "male", "female": "female"},
                locale="de",
            ),
            Proxy("pronoun", "gender", {"male": "he", "female": "she"}),
            Proxy(
                "title", "gender", {"male": ["Mr", "Dr"], "female": {"Ms": 3, "Dr": 1}}
            ),
        ],
        seed=7,
        locale="en",
        mode="proxy",
        vary=["gender"],
        pair_column="pair",
    )


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".toml"])
def test_round_trip_through_files_gives_an_equal_spec(tmp_path, suffix):
    spec = rich_spec()
    path = save_spec(spec, tmp_path / f"spec{suffix}")
    assert load_spec(path) == spec


def test_round_trip_through_dict():
    spec = rich_spec()
    assert spec_from_dict(spec_to_dict(spec)) == spec


def test_a_yaml_file_written_by_hand_loads(tmp_path):
    path = tmp_path / "loan.yaml"
    path.write_text(
        "seed: 42\n"
        "protected:\n"
        "  - {name: gender, values: [male, female], privileged: male}\n"
        "fields:\n"
        "  - {kind: integer, name: income, low: 30000, high: 120000}\n"
        "  - {kind: provider, name: job, provider: person.occupation}\n"
        "proxies:\n"
        "  - name: first_name\n"
        "    attribute: gender\n"
        "    provider: person.first_name\n"
        "    by_value: {male: {gender: male}, female: {gender: female}}\n"
    )
    spec = load_spec(path)
    assert spec.columns == ("pair_id", "gender", "income", "job", "first_name")


def test_a_toml_file_written_by_hand_loads(tmp_path):
    path = tmp_path / "loan.toml"
    path.write_text(
        'seed = 1\n\n[[protected]]\nname = "flag"\nvalues = [0, 1]\nprivileged = 1\n\n'
        '[[fields]]\nkind = "date"\nname = "day"\nstart = 2020-01-01\nend = 2020-12-31\n'
        '\n[[proxies]]\nname = "word"\nattribute = "flag"\n'
        '[proxies.by_value]\n"0" = "no"\n"1" = "yes"\n'
    )
    spec = load_spec(path)
    assert dict(spec.proxies[0].by_value) == {0: "no", 1: "yes"}
    assert spec.fields[0].start == dt.date(2020, 1, 1)


BAD_FILES = [
    (
        "seed: 1\nprotected: []\nfeilds: []\n",
        "bad.yaml: unknown key 'feilds'. Did you mean 'fields'?",
    ),
    (
        "protected:\n  - {name: g, values: [a, b], privileged: a}\n"
        "fields:\n  - {kind: integr, name: x}\n",
        "bad.yaml.fields[0].kind: unknown field kind 'integr'. Did you mean 'integer'?",
    ),
    (
        "protected:\n  - {name: g, values: [a, b], privileged: a}\n"
        "fields:\n  - {kind: integer, name: x, low: 5, high: 1}\n",
        "bad.yaml.fields[0]: field 'x': 'low' must be at most 'high'. Got low=5, high=1",
    ),
    (
        "protected:\n  - {name: g, values: [a, b], privileged: a}\n"
        "fields:\n  - {kind: integer, name: x, lo: 5}\n",
        "bad.yaml.fields[0]: unknown key 'lo'. Did you mean 'low'?",
    ),
    (
        "protected:\n  - {name: g, values: [a, b]}\n",
        "bad.yaml.protected[0]: missing required key 'privileged'.",
    ),
    (
        "protected:\n  - {name: g, values: [a, b], privileged: c}\n",
        "bad.yaml.protected[0]: The 'privileged' value of protected attribute 'g' must be "
        "one of ['a', 'b']. Got 'c' instead.",
    ),
    ("fields: []\n", "bad.yaml: missing required key 'protected'."),
    ("protected: {name: g}\n", "bad.yaml.protected: expected a list."),
    ("protected: [\n", "Spec file"),
    ("", "is empty."),
]


@pytest.mark.parametrize("text, message", BAD_FILES)
def test_bad_spec_files_point_at_the_offending_key(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(SpecError, match=re.escape(message)):
        load_spec(path)


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(SpecError, match="does not exist"):
        load_spec(tmp_path / "nope.yaml")
    with pytest.raises(SpecError, match=re.escape("name it .yaml, .yml or .toml")):
        load_spec(tmp_path / "spec.json")
    binary = tmp_path / "spec.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SpecError, match="Cannot read spec file"):
        load_spec(binary)


def test_save_never_overwrites_unless_asked(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("precious")
    with pytest.raises(OutputExistsError, match="already exists"):
        save_spec(rich_spec(), path)
    assert path.read_text() == "precious"
    save_spec(rich_spec(), path, overwrite=True)
    assert load_spec(path) == rich_spec()


def test_a_callable_derived_field_cannot_be_saved(tmp_path):
    spec = TwinSpec(
        protected=[ProtectedAttribute("g", ["a", "b"], "a")],
        fields=[
            Integer("x", 1, 2),
            Derived("y", lambda env: env["x"] * 2, columns=["x"]),
        ],
    )
    with pytest.raises(SpecError, match="cannot be saved to a spec file"):
        save_spec(spec, tmp_path / "s.yaml")
    assert not (tmp_path / "s.yaml").exists()
