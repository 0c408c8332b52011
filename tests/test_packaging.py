"""Honest packaging (issue 13): a build requirement that builds, declared
dependencies that are used (and used ones declared), and the Mimesis internals
twinaudit relies on, checked so that a new Mimesis fails here, loudly, rather than
generating wrong twins.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]

#: Test-extra packages used as programs or plugins, never imported by a test.
TOOLS = {
    "ruff": "lint and format (.ci/run)",
    "mypy": "type checks (.ci/run)",
    "pandas-stubs": "types for mypy",
    "types-pyyaml": "types for mypy",
    "types-jsonschema": "types for mypy",
    "ipykernel": "the kernel that runs the notebooks",
}


def requirement(name: str, requirements: list[str]) -> Requirement:
    for text in requirements:
        parsed = Requirement(text)
        if parsed.name.lower() == name:
            return parsed
    raise AssertionError(f"{name} is not in {requirements}")


@functools.cache
def imported_top_level(folder: Path) -> frozenset[str]:
    """The top-level module of every absolute import in ``folder``'s Python files,
    including lazy ones (``importlib.import_module("x.y")``, ``import_aif360(...)``).
    """
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.Call) and "import" in ast.unparse(node.func):
                for arg in node.args[:1]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        names.add(arg.value.split(".")[0])
    return frozenset(names)


@functools.cache
def _packages_distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def distributions_of(modules: set[str]) -> set[str]:
    """The installed distributions that provide ``modules`` (lower-case names)."""
    provided = _packages_distributions()
    return {
        canonicalize_name(dist)
        for module in modules
        for dist in provided.get(module, ())
    }


def names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def brought_by_extras(req: Requirement) -> set[str]:
    """The distributions ``req``'s extras add to it (``distributed`` for
    ``dask[distributed]``)."""
    brought = set()
    for text in importlib.metadata.requires(req.name) or []:
        sub = Requirement(text)
        if "extra" in str(sub.marker) and any(
            sub.marker.evaluate({"extra": extra}) for extra in req.extras
        ):
            brought.add(canonicalize_name(sub.name))
    return brought


def with_requirements(requirements: list[str]) -> set[str]:
    """``requirements`` and what they require, installed (an optional extra such as
    ``dask[distributed]`` declares what it brings)."""
    found: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in found:
            continue
        found.add(name)
        try:
            requires = importlib.metadata.requires(req.name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for text in requires:
            sub = Requirement(text)
            env = {"extra": next(iter(req.extras), "")}
            if sub.marker is None or sub.marker.evaluate(env):
                todo.append(sub)
    return found


# -- the build --------------------------------------------------------------------------
def test_the_build_requirement_reads_the_spdx_license():
    """``license = "MIT"`` (PEP 639) needs setuptools 77: on 68 the build fails
    with "`project.license` must be valid exactly by one definition"."""
    assert isinstance(PROJECT["license"], str)
    build = requirement("setuptools", PYPROJECT["build-system"]["requires"])
    lowest = min(
        Version(spec.version) for spec in build.specifier if spec.operator == ">="
    )
    assert lowest >= Version("77")
    assert all(
        Requirement(r).name != "wheel" for r in PYPROJECT["build-system"]["requires"]
    )


# -- dependencies -----------------------------------------------------------------------
def test_every_runtime_dependency_is_imported_and_every_import_declared():
    declared = names(PROJECT["dependencies"])
    third_party = (
        imported_top_level(ROOT / "src" / "twinaudit")
        - set(sys.stdlib_module_names)
        - {"twinaudit", "__future__"}
    )
    used = distributions_of(third_party)
    # What a declared dependency brings is installed with it (joblib and
    # threadpoolctl come with scikit-learn); optional extras are imported lazily
    # and named in the error when missing.
    installed_with = with_requirements(list(PROJECT["dependencies"]))
    extras = with_requirements(
        [
            r
            for extra, reqs in PROJECT["optional-dependencies"].items()
            if extra != "test"
            for r in reqs
        ]
    )
    assert declared - used == set(), "declared but never imported by twinaudit"
    assert used - installed_with - extras == set(), "imported, not declared"


def test_statsmodels_is_a_test_reference_only():
    """scipy gives the Wilson interval, Cochran's Q and Benjamini-Hochberg; the tests
    compare them with statsmodels, another implementation."""
    assert "statsmodels" not in names(PROJECT["dependencies"])
    assert "statsmodels" not in imported_top_level(ROOT / "src" / "twinaudit")
    assert "statsmodels" in names(PROJECT["optional-dependencies"]["test"])
    assert "statsmodels" in imported_top_level(ROOT / "tests")


def test_every_test_dependency_is_used():
    test_extra = names(PROJECT["optional-dependencies"]["test"])
    imported = imported_top_level(ROOT / "tests") | imported_top_level(
        ROOT / "src" / "twinaudit"
    )
    notebooks = " ".join(p.read_text() for p in (ROOT / "notebooks").glob("*.ipynb"))
    imported |= set(re.findall(r"(?:import|from) (\w+)", notebooks))
    used = distributions_of(imported) | {"pytest", "hypothesis"} & test_extra
    # A requirement with extras (dask[distributed]) is there for what they bring.
    for text in PROJECT["optional-dependencies"]["test"]:
        req = Requirement(text)
        if req.extras and brought_by_extras(req) & used:
            used.add(canonicalize_name(req.name))
    assert test_extra - used - set(TOOLS) == set(), "in the test extra, never used"


def test_every_mypy_override_names_an_imported_module():
    imported = imported_top_level(ROOT / "src" / "twinaudit")
    for override in PYPROJECT["tool"]["mypy"]["overrides"]:
        for module in override["module"]:
            top = module.split(".")[0]
            assert top in imported, (
                f"mypy override for {module}, which src never imports"
            )


# -- Mimesis ----------------------------------------------------------------------------
MIMESIS_CHANGED = (
    "Mimesis {version} changed an internal twinaudit relies on: {what}. Update "
    "twinaudit/spec/_providers.py and twinaudit/generation/_mimesis.py, then the "
    "upper bound in pyproject.toml."
)


def mimesis_changed(what: str) -> str:
    return MIMESIS_CHANGED.format(
        version=importlib.metadata.version("mimesis"), what=what
    )


def test_mimesis_is_bounded_below_its_next_major_version():
    bound = requirement("mimesis", PROJECT["dependencies"])
    installed = Version(importlib.metadata.version("mimesis"))
    assert installed in bound.specifier
    uppers = [Version(s.version) for s in bound.specifier if s.operator == "<"]
    assert uppers == [Version(f"{installed.major + 1}")]


def test_mimesis_provider_registry():
    from mimesis.providers.base import BaseDataProvider, BaseProvider, ProviderRegistry

    registry = ProviderRegistry.get_all()
    assert isinstance(registry, dict), mimesis_changed("ProviderRegistry.get_all()")
    for group in ("person", "address", "internet", "payment", "datetime", "text"):
        assert group in registry, mimesis_changed(f"no provider {group!r} registered")
        assert issubclass(registry[group], BaseProvider), mimesis_changed(group)
    assert issubclass(registry["person"], BaseDataProvider), mimesis_changed(
        "person is not a BaseDataProvider (locale data)"
    )


def test_mimesis_providers_draw_from_their_random_attribute():
    from mimesis.random import Random

    from twinaudit.spec._providers import provider_instance

    person = provider_instance("person", "en")
    assert isinstance(person.random, Random), mimesis_changed("provider.random")
    person.random.seed(7)
    first = [person.first_name() for _ in range(5)]
    person.random = Random(7)
    assert [person.first_name() for _ in range(5)] == first, mimesis_changed(
        "reseeding provider.random does not give Random(seed)'s sequence"
    )
    payment = provider_instance("payment", "en")
    payment.random.seed(3)
    owner = payment.credit_card_owner()
    payment.random.seed(3)
    assert payment.credit_card_owner() == owner, mimesis_changed(
        "a provider that holds another (payment -> person) does not share its random"
    )


@pytest.mark.parametrize(
    ("group", "method", "kwargs"),
    [
        ("person", "first_name", {"gender": "male"}),
        ("person", "first_name", {"gender": "female"}),
        ("person", "occupation", {}),
        ("address", "city", {}),
    ],
)
def test_mimesis_word_lists_are_one_uniform_choice(group, method, kwargs):
    """The fast path samples a word list with numpy: it relies on the method making
    exactly one ``random.choice`` over a list of strings, and returning its pick."""
    from mimesis.enums import Gender
    from mimesis.random import Random

    from twinaudit.generation._mimesis import choice_pool
    from twinaudit.spec._providers import provider_instance

    instance = provider_instance(group, "en")
    seen: list[list[str]] = []

    class Recording(Random):
        def choice(self, seq):
            seen.append(list(seq))
            return super().choice(seq)

    instance.random = Recording(1)
    kwargs = {k: Gender(v) if k == "gender" else v for k, v in kwargs.items()}
    value = getattr(instance, method)(**kwargs)
    assert len(seen) == 1, mimesis_changed(f"{group}.{method} is not one choice")
    assert value in seen[0] and all(isinstance(v, str) for v in seen[0])
    pool = choice_pool(group, method, kwargs, "en")
    assert pool is not None, mimesis_changed(f"{group}.{method} is not pooled")
    categories, index = pool
    assert sorted(categories[i] for i in index) == sorted(seen[0])
