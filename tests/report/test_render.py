"""Renderers of the report dict (HTML, Markdown, Rich), its JSON Schema and figures.

The report dicts are hand-built (tests/report/fixtures.py), so these tests hold
whatever state the audit is in; one test checks that a real audit's dict follows the
schema and renders too.
"""

import base64
import copy
import importlib.util
import io
import json
import re
import struct
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, get_args

import pytest
from jsonschema import Draft202012Validator
from rich.console import Console

from twinaudit.exceptions import DataError
from twinaudit.metrics import POPULATIONS, REGISTRY
from twinaudit.metrics._registry import Direction
from twinaudit.report import _figures
from twinaudit.report._render import (
    REPORT_SCHEMA_PATH,
    report_schema,
    report_to_html,
    report_to_markdown,
    rich_renderables,
    validate_report,
)


def _load_fixtures() -> Any:
    """tests/report/fixtures.py by path (tests are not a package here)."""
    name = "twinaudit_test_report_fixtures"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).with_name("fixtures.py")
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


fixtures = _load_fixtures()
FIXTURES = fixtures.FIXTURES
PAYLOAD = "<script>alert('x')</script>"
IMG_PAYLOAD = '<img src=x onerror="alert(1)">'


@pytest.fixture(params=sorted(FIXTURES))
def report(request) -> dict:
    return FIXTURES[request.param]()


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    """Each fixture rendered to HTML once (figures take a fraction of a second)."""
    return {name: report_to_html(build()) for name, build in FIXTURES.items()}


class _Page(HTMLParser):
    """Element ids in document order, <img> attributes, and the visible text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.images: list[dict[str, str]] = []
        self.titles: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append(tag)
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if "title" in attributes:
            self.titles.append(attributes["title"])
        if tag == "img":
            self.images.append(attributes)

    def handle_data(self, data):
        self.text.append(data)


def _png_size(uri: str) -> tuple[int, int]:
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    data = base64.b64decode(uri[len(prefix) :])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    return width, height


# -- the schema -----------------------------------------------------------------------
def test_every_fixture_follows_the_schema(report):
    validate_report(report)
    errors = list(Draft202012Validator(report_schema()).iter_errors(report))
    assert errors == []
    json.dumps(report, allow_nan=False)  # strict JSON: no nan, no inf


def test_the_schema_ships_with_the_package_and_is_valid():
    from importlib.resources import files

    shipped = files("twinaudit.report") / "schema" / "report-1.schema.json"
    assert json.loads(shipped.read_text(encoding="utf-8")) == report_schema()
    assert json.loads(REPORT_SCHEMA_PATH.read_text(encoding="utf-8")) == report_schema()
    Draft202012Validator.check_schema(report_schema())
    assert report_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    schema = report_schema()
    schema["properties"].clear()  # a copy: the next call is whole again
    assert "pairs" in report_schema()["properties"]


def _properties(node: Any, path: str = "$") -> list[tuple[str, dict]]:
    out = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            out.append((f"{path}.{name}", sub))
        for key, sub in node.items():
            out += _properties(sub, f"{path}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            out += _properties(sub, f"{path}[{i}]")
    return out


def test_every_property_of_the_schema_is_documented():
    properties = _properties(report_schema())
    assert len(properties) > 120  # every key of the report, nested ones too
    missing = [path for path, sub in properties if not sub.get("description")]
    assert missing == []


def test_every_object_of_the_schema_is_closed():
    """Unknown keys are errors everywhere except the features of a gap's profile."""
    open_objects = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if "properties" in node and node.get("additionalProperties") is not False:
                open_objects.append(path)
            for key, sub in node.items():
                walk(sub, f"{path}/{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{path}[{i}]")

    walk(report_schema(), "$")
    assert open_objects == []


def test_the_schema_knows_every_population_metric_direction_and_status():
    from twinaudit.report._policy import STATUSES

    schema = report_schema()
    defs = schema["$defs"]
    assert set(defs["population"]["enum"]) == set(POPULATIONS)
    assert set(defs["status"]["enum"]) == set(STATUSES)
    registry = schema["properties"]["registry"]["additionalProperties"]
    assert set(registry["properties"]["direction"]["enum"]) == set(get_args(Direction))
    pattern = re.compile(defs["name"]["pattern"])
    assert all(pattern.fullmatch(name) for name in REGISTRY)


def _drop(*keys):
    def mutate(d):
        node = d
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]

    return mutate


def _set(value, *keys):
    def mutate(d):
        node = d
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return mutate


MUTATIONS = [
    # missing keys
    (_drop("headline", "low"), "$.headline: 'low' is a required property"),
    (_drop("pairs"), "$: 'pairs' is a required property"),
    (
        _drop("metrics", 3, "undefined"),
        "$.metrics[3]: 'undefined' is a required property",
    ),
    (_drop("where", "rules"), "$.where: 'rules' is a required property"),
    # wrong types
    (_set("400", "pairs"), "$.pairs: '400' is not of type 'integer'"),
    (
        _set("0.5", "metrics", 3, "value"),
        "$.metrics[3].value: '0.5' is not of type 'number', 'null'",
    ),
    (
        _set(["F"], "groups", 1, "group"),
        "$.groups[1].group: ['F'] is not of type 'string', 'number', 'boolean'",
    ),
    (
        _set("ok", "verdict", "rules", 0, "checks", 1, "status"),
        "$.verdict.rules[0].checks[1].status: 'ok' is not one of ['pass', 'fail', "
        "'inconclusive']",
    ),
    (
        _set(1.5, "groups", 0, "selection_rate"),
        "$.groups[0].selection_rate: 1.5 is greater than the maximum of 1",
    ),
    (
        _set(-1, "where", "bins", 2, "flips"),
        "$.where.bins[2].flips: -1 is less than the minimum of 0",
    ),
    (_set(2.5, "pairs"), "$.pairs: 2.5 is not of type 'integer'"),
    (
        _set("people", "groups", 0, "population"),
        "$.groups[0].population: 'people' is not one of ['twins', 'observed']",
    ),
    # unknown keys
    (
        _set("red", "model", "colour"),
        "$.model: Additional properties are not allowed ('colour' was unexpected)",
    ),
    (
        _set(1, "counterfactual", 0, "flip_count"),
        "$.counterfactual[0]: Additional properties are not allowed ('flip_count' "
        "was unexpected)",
    ),
    (
        _set([], "extra"),
        "$: Additional properties are not allowed ('extra' was unexpected)",
    ),
    (
        _set(
            {"label": "x", "definition": "x", "parity": 0, "direction": "up"},
            "registry",
            "Flip Rate",
        ),
        "$.registry: 'Flip Rate' does not match '^[a-z][a-z0-9_]*$'",
    ),
    # not expressible in JSON Schema: one more edge than counts
    (
        lambda d: d["score_gaps"][0]["counts"].append(3),
        "$.score_gaps[0]: needs one more edge than counts. Got 7 edges and 7 counts",
    ),
]


@pytest.mark.parametrize(("mutate", "message"), MUTATIONS)
def test_a_broken_report_names_the_path_of_the_problem(mutate, message):
    d = fixtures.two_valued_report()
    mutate(d)
    with pytest.raises(DataError, match=re.escape(message)):
        validate_report(d)
    # every renderer validates first
    with pytest.raises(DataError, match=re.escape(message)):
        report_to_markdown(d)


@pytest.mark.parametrize("name", sorted(FIXTURES))
@pytest.mark.parametrize("key", ["headline", "verdict", "where", "registry", "notes"])
def test_a_missing_top_level_key_fails_in_every_fixture(name, key):
    d = FIXTURES[name]()
    del d[key]
    with pytest.raises(
        DataError, match=re.escape(f"$: '{key}' is a required property")
    ):
        validate_report(d)


def test_many_problems_list_the_first_five_and_count_the_rest():
    d = fixtures.three_valued_report()
    for i in range(7):
        d["metrics"][i]["value"] = "x"
    with pytest.raises(DataError) as caught:
        validate_report(d)
    message = str(caught.value)
    assert message.startswith(
        "The report dict does not follow the report schema (version 1): 7 problems.\n"
        "  $.metrics[0].value: 'x' is not of type 'number', 'null'\n"
        "  $.metrics[1].value: 'x' is not of type 'number', 'null'\n"
    )
    assert "$.metrics[4].value" in message and "$.metrics[5].value" not in message
    assert "  ... and 2 more\n" in message
    assert message.endswith(
        "Build it with AuditReport.to_dict() (or to_json()), or fix the keys listed "
        "(the schema ships as twinaudit/report/schema/report-1.schema.json)."
    )


def test_paths_sort_by_index_not_as_text():
    d = fixtures.three_valued_report()
    for i in (2, 10):
        d["metrics"][i]["value"] = "x"
    with pytest.raises(DataError) as caught:
        validate_report(d)
    text = str(caught.value)
    assert text.index("$.metrics[2]") < text.index("$.metrics[10]")


def test_another_schema_version_is_refused_with_the_writer_named():
    d = fixtures.two_valued_report()
    d["schema_version"] = 2
    d["twinaudit_version"] = "9.0"
    with pytest.raises(
        DataError,
        match=re.escape(
            "This report has schema_version 2; this twinaudit reads version 1. Render "
            "it with the twinaudit version that wrote it (twinaudit_version '9.0')."
        ),
    ):
        report_to_html(d)


def test_the_report_object_instead_of_its_dict_says_what_to_pass():
    class Report:
        def to_dict(self):
            return {}

    with pytest.raises(
        DataError,
        match=re.escape(
            "A report dict is needed (AuditReport.to_dict(), or json.load() of a "
            "report file). Got Report. Pass report.to_dict() instead of the report "
            "object."
        ),
    ):
        validate_report(Report())
    with pytest.raises(DataError, match=re.escape("Got list.")):
        validate_report([])


def test_a_report_read_back_from_json_renders_the_same(tmp_path):
    d = fixtures.two_valued_report()
    path = tmp_path / "report.json"
    path.write_text(json.dumps(d, allow_nan=False))
    loaded = json.loads(path.read_text())
    assert report_to_markdown(loaded) == report_to_markdown(d)
    assert report_to_html(loaded, figures=False) == report_to_html(d, figures=False)


# -- HTML -----------------------------------------------------------------------------
EXPECTED_IDS = {
    "two_valued": [
        "verdict",
        "verdict-status",
        "verdict-checks",
        "headline",
        "metrics-twins",
        "metrics-observed",
        "fig-selection-twins",
        "fig-selection-observed",
        "groups-twins",
        "groups-observed",
        "rates-observed",
        "fig-score-gaps",
        "counterfactual",
        "mcnemar",
        "score-gaps",
        "section-cochran",
        "fig-flip-bins",
        "where-bins",
        "where-rules",
        "where-gaps",
        "section-notes",
        "definitions",
    ],
    "three_valued": [
        "verdict-omitted",
        "headline",
        "metrics-twins",
        "metrics-observed",
        "fig-selection-twins",
        "fig-selection-observed",
        "groups-twins",
        "groups-observed",
        "counterfactual",
        "mcnemar",
        "cochran",
        "section-where",
        "section-notes",
        "definitions",
    ],
    "undefined": [
        "verdict",
        "verdict-checks",
        "headline",
        "metrics-observed",
        "fig-selection-observed",
        "rates-observed",
        "fig-score-gaps",
        "score-gaps",
        "cochran",
        "fig-flip-bins",
        "where-bins",
        "definitions",
    ],
}
ABSENT_IDS = {
    "two_valued": ["verdict-omitted", "cochran"],
    "three_valued": [
        "verdict",
        "verdict-checks",
        "rates-observed",
        "rates-twins",
        "score-gaps",
        "fig-score-gaps",
        "where-bins",
        "where-rules",
        "where-gaps",
        "fig-flip-bins",
    ],
    "undefined": ["verdict-omitted", "where-rules", "where-gaps", "rates-twins"],
}
SECTIONS = [
    "section-metrics",
    "section-groups",
    "section-counterfactual",
    "section-cochran",
    "section-where",
    "section-notes",
    "section-definitions",
]


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_html_has_each_section_in_order_and_omits_absent_ones(pages, name):
    page = _Page(pages[name])
    expected = EXPECTED_IDS[name]
    assert all(i in page.ids for i in expected), set(expected) - set(page.ids)
    positions = [page.ids.index(i) for i in expected]
    assert positions == sorted(positions), "sections out of order"
    assert not set(ABSENT_IDS[name]) & set(page.ids)
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"
    assert [i for i in page.ids if i in SECTIONS] == SECTIONS


def test_html_verdict_is_on_top_with_each_rules_reason(pages):
    page = _Page(pages["two_valued"])
    assert page.ids.index("verdict") < page.ids.index("headline")
    text = " ".join(page.text)
    assert text.index("fail") < text.index("Causal discrimination score")
    for reason in (
        "sex=F on observed: 0.765 < 0.8 with its interval",
        "every interval lies below 0.2",
    ):
        assert reason in text
    assert 'class="verdict verdict-fail"' in pages["two_valued"]
    assert 'class="verdict verdict-inconclusive"' in pages["undefined"]


def test_html_headline(pages):
    text = " ".join(_Page(pages["two_valued"]).text)
    assert "10.0%" in text  # 40 of 400
    assert "95% interval 7.4% – 13.3%" in text  # Wilson (statsmodels: 0.0743, 0.1333)
    assert "40 of 400 base profiles (10.0%)" in text
    assert "GradientBoostingClassifier" in text
    text = " ".join(_Page(pages["three_valued"]).text)
    assert "90% interval 15.9% – 24.9%" in text  # 60 of 300 at 90%
    assert "differ only in sex and race" in text


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_html_is_one_self_contained_file(pages, name):
    html = pages[name]
    assert html.startswith("<!DOCTYPE html>")
    for forbidden in ("<script", "<link", "@import", "url(", "://", "<iframe"):
        assert forbidden not in html, forbidden
    # the only URL: none; every image is inline
    page = _Page(html)
    assert page.images
    assert all(img["src"].startswith("data:image/png;base64,") for img in page.images)
    assert all(img.get("alt") for img in page.images)
    assert "default-src 'none'; img-src data:" in html


def test_html_figures_are_real_pngs_sized_by_content(pages):
    images = {img["id"]: img["src"] for img in _Page(pages["three_valued"]).images}
    assert set(images) == {"fig-selection-twins", "fig-selection-observed"}
    twins = _png_size(images["fig-selection-twins"])
    observed = _png_size(images["fig-selection-observed"])
    assert twins[0] == observed[0] > 400
    # twins: 11 groups in 3 panels; observed rows: 5 groups in 2 panels
    assert twins[1] > observed[1] > 200


def test_html_without_figures_has_tables_only():
    html = report_to_html(fixtures.two_valued_report(), figures=False)
    page = _Page(html)
    assert page.images == []
    assert "metrics-twins" in page.ids and "where-bins" in page.ids


def test_html_figures_as_svg():
    html = report_to_html(fixtures.undefined_report(), image_format="svg")
    images = _Page(html).images
    assert len(images) == 4  # selection rate (twins, observed), score gaps, bins
    for img in images:
        prefix = "data:image/svg+xml;base64,"
        assert img["src"].startswith(prefix)
        svg = base64.b64decode(img["src"][len(prefix) :]).decode()
        assert "<svg" in svg and "<script" not in svg
    with pytest.raises(
        DataError, match=re.escape("image_format must be 'png' or 'svg'. Got 'gif'")
    ):
        report_to_html(fixtures.undefined_report(), image_format="gif")


def test_html_undefined_values_say_why(pages):
    html = pages["undefined"]
    page = _Page(html)
    assert "the privileged group is never favoured" in page.titles
    assert "no group is ever favoured" in page.titles
    assert (
        '<span class="undefined" title="the privileged group is never favoured">'
        "undefined</span>" in html
    )
    # numbered footnotes under the table, linked from the cell
    assert (
        '<li id="metrics-twins-note-1">the privileged group is never favoured</li>'
        in (html)
    )
    assert '<a href="#metrics-twins-note-1">1</a>' in html
    # Cochran's Q on constant decisions: undefined with its reason
    assert "every profile gets the same decision for every value" in page.titles
    # an empty bin
    assert "the bin is empty" in page.titles
    # a rate of the groups table says why in the registry's words
    assert "no favourable decision in the group" in page.titles


def _inject(d: dict, old: str, new: str) -> dict:
    return fixtures.replace_value(d, old, new)


def _hostile_two_valued() -> dict:
    d = fixtures.two_valued_report()
    d = _inject(d, "F", PAYLOAD)  # a group value: tables, figures, verdict
    d = _inject(d, "income", IMG_PAYLOAD)  # a feature name and a where bin
    d["model"]["name"] = "<b>Model</b> & co"
    d["notes"].append('note with "quotes" and <em>markup</em>')
    d["where"]["rules"][0]["rule"] = "income <= 3 | age > 2 <script>"
    d["verdict"]["rules"][0]["reason"] = '" onmouseover="alert(1)'
    d["metrics"][4]["value"] = None
    d["metrics"][4]["undefined"] = '"><script>alert(2)</script>'
    return d


def test_html_escapes_every_user_value():
    d = _hostile_two_valued()
    validate_report(d)
    html = report_to_html(d)
    assert "<script" not in html and "<em>" not in html and "<b>" not in html
    assert IMG_PAYLOAD not in html and 'onerror="alert' not in html
    assert '" onmouseover="' not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;b&gt;Model&lt;/b&gt; &amp; co" in html
    # the escaped reason sits inside the tooltip attribute, quotes included
    assert 'title="&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"' in html
    page = _Page(html)
    assert PAYLOAD in " ".join(page.text)  # shown as text
    assert '"><script>alert(2)</script>' in page.titles


def test_markdown_escapes_every_user_value():
    md = report_to_markdown(_hostile_two_valued())
    assert "<script" not in md and "<em>" not in md and "<b>" not in md
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in md
    assert "income &lt;= 3 \\| age &gt; 2 &lt;script&gt;" in md
    _check_markdown_tables(md)


def test_console_shows_markup_in_values_literally():
    d = fixtures.two_valued_report()
    d = _inject(d, "F", "[bold red]F[/bold red]")
    text = _console_text(d)
    assert "[bold red]F[/bold red]" in text


# -- Markdown -------------------------------------------------------------------------
def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def _check_markdown_tables(md: str) -> int:
    """Every row of every table has as many cells as its header; returns the number
    of tables."""
    tables = 0
    width = None
    for line in md.splitlines():
        if not line.startswith("|"):
            width = None
            continue
        cells = _cells(line)
        if width is None:
            width = len(cells)
            tables += 1
        assert len(cells) == width, line
    return tables


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_markdown_tables_are_well_formed(name):
    md = report_to_markdown(FIXTURES[name]())
    assert _check_markdown_tables(md) >= 5


def _row(md: str, *first: str) -> list[str]:
    rows = [
        _cells(line)
        for line in md.splitlines()
        if line.startswith("|") and _cells(line)[: len(first)] == list(first)
    ]
    assert rows, first
    return rows[0]


def test_markdown_numbers():
    md = report_to_markdown(fixtures.two_valued_report())
    assert md.startswith("# Counterfactual twin audit of GradientBoostingClassifier\n")
    assert "## Verdict: FAIL" in md
    assert "- **FAIL** disparate_impact ≥ 0.8: sex=F on observed" in md
    assert "**Causal discrimination score: 10.0%** (95% interval 7.4% – 13.3%)" in md
    # flips: 38 towards M, 2 towards F, of 400 profiles; Wilson 0.0743-0.1333
    assert _row(md, "sex", "F vs M", "400") == [
        "sex",
        "F vs M",
        "400",
        "40",
        "0.100",
        "[0.074, 0.133]",
        "38",
        "2",
    ]
    # twins: F 204/400 = 0.510, M 240/400 = 0.600 (Wilson 0.4611-0.5587)
    assert _row(md, "sex", "F", "400") == [
        "sex",
        "F",
        "400",
        "204",
        "0.510",
        "[0.461, 0.559]",
    ]
    # disparate impact 0.51 / 0.6 = 0.85 beside AIF360's; Fairlearn has none
    assert _row(md, "disparate impact", "sex", "F vs M")[3:] == [
        "0.850",
        "[0.727, 0.994]",
        "0.850",
        "–",
    ]
    # observed error rates: F TP 80 of 110 positives, FP 10 of 80 negatives
    assert _row(md, "sex", "F", "190", "110") == [
        "sex",
        "F",
        "190",
        "110",
        "0.727",
        "0.125",
        "0.889",
        "0.789",
    ]
    # the verdict's checks, each with its population
    assert _row(md, "disparate_impact ≥ 0.8", "observed") == [
        "disparate_impact ≥ 0.8",
        "observed",
        "sex",
        "F",
        "0.765",
        "[0.745, 0.790]",
        "fail",
        "the interval lies below 0.8",
    ]
    assert _row(md, "flip_rate ≤ 0.2 (twins)")[1:4] == ["–", "sex", "F"]
    # p-values below 0.001 in scientific notation
    assert _row(md, "sex", "F vs M", "400", "38 / 2")[-2:] == ["1.49e-09", "1.49e-09"]
    # a library's number that is 0 by construction still shows as a number
    assert "| Theil index | – | – | 0.123 | – | 0.123 | – |" in md


def test_markdown_undefined_with_reason_as_footnote():
    md = report_to_markdown(fixtures.undefined_report())
    assert _row(md, "disparate impact", "group", "0 vs 1") == [
        "disparate impact",
        "group",
        "0 vs 1",
        "undefined¹",
        "–",
        "undefined¹",
        "–",
    ]
    assert "¹ the privileged group is never favoured" in md
    assert "² no group is ever favoured" in md
    cochran = _row(md, "group", "–", "3", "200")
    assert cochran[4:] == ["undefined¹", "undefined¹", "undefined¹"]
    assert "¹ every profile gets the same decision for every value" in md
    # a group below the minimum cell size is flagged, its number still shown
    assert "| selection rate | group | 2 | 0.000¹ | [0.000, 0.161] | – | 0.000 |" in md
    assert "¹ below the minimum cell size: shown, not to be relied on" in md


def test_markdown_omits_absent_sections_with_a_note():
    md = report_to_markdown(fixtures.three_valued_report())
    for note in (
        "_No policy was given, so there is no verdict",
        "_No true labels: true/false positive rates, precision and accuracy are "
        "omitted",
        "_The model gives no scores (no predict_proba or decision_function): score "
        "gaps are omitted._",
        "_Where the bias lives: not computed for this audit",
        "_No notes._",
    ):
        assert note in md
    assert "TPR" not in md and "mean gap" not in md
    # intersections and Cochran's Q per setting of the other attribute
    assert _row(md, "sex & race", "F & black vs M & white")[2:5] == [
        "300",
        "48",
        "0.160",
    ]
    assert _row(md, "race", "sex=M") == [
        "race",
        "sex=M",
        "3",
        "300",
        "18.200",
        "1.10e-04",
        "2.20e-04",
    ]


def test_markdown_two_valued_has_no_cochran_and_says_so():
    md = report_to_markdown(fixtures.two_valued_report())
    assert "_Cochran's Q: no attribute with three or more values was varied._" in md


# -- console --------------------------------------------------------------------------
def _console_text(d: dict, width: int = 100) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(*rich_renderables(d))
    return console.export_text()


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_console_fits_100_columns(name):
    text = _console_text(FIXTURES[name]())
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert len(lines) > 40


def test_console_verdict_panel_headline_and_tables():
    text = _console_text(fixtures.two_valued_report())
    assert text.index("Verdict: FAIL") < text.index(
        "Causal discrimination score: 10.0%"
    )
    assert "FAIL        disparate_impact ≥ 0.8: sex=F on observed" in text
    assert "significance 0.05" in text
    for title in (
        "On the twins (the balanced counterfactual population)",
        "Counterfactual flips",
        "McNemar tests",
        "Flip rate by feature bin",
        "Metric definitions",
    ):
        assert title in text
    assert re.search(r"sex\s+F vs M\s+400\s+40\s+0\.100\s+\[0\.074, 0\.133\]", text)
    undefined = _console_text(fixtures.undefined_report())
    assert "undefined¹" in undefined
    assert "¹ the privileged group is never favoured" in undefined
    assert "Verdict: INCONCLUSIVE" in undefined
    three = _console_text(fixtures.three_valued_report())
    assert "No policy was given, so there is no verdict" in three


# -- absent data never crashes ----------------------------------------------------------
def _bare() -> dict:
    """The smallest report: no pairs, nothing computed."""
    d = fixtures.three_valued_report()
    d.update(
        pairs=0,
        groups=[],
        metrics=[],
        counterfactual=[],
        cochran=[],
        score_gaps=[],
        registry={},
        notes=[],
        where=None,
        verdict=None,
        headline={
            "causal_discrimination_score": None,
            "low": None,
            "high": None,
            "flipped_profiles": 0,
            "profiles": 0,
        },
    )
    d["populations"] = {"twins": {"rows": 0, "profiles": 0}, "observed": None}
    d["model"]["features"] = []
    return d


def _empty_where() -> dict:
    d = fixtures.two_valued_report()
    d["where"] = {"bins": [], "rules": [], "largest_gaps": []}
    d["score_gaps"] = []
    d["verdict"]["rules"] = []
    return d


@pytest.mark.parametrize("build", [_bare, _empty_where])
def test_reports_with_nothing_in_them_render(build):
    d = build()
    validate_report(d)
    html = report_to_html(d)
    md = report_to_markdown(d)
    text = _console_text(d)
    if build is _bare:
        assert "The causal discrimination score is undefined (no pairs)." in md
        assert "The report holds no metric." in text
        assert "No counterfactual comparison" in html
        assert _Page(html).images == []
    else:
        assert "No feature bins." in md and "No rule:" in md
        assert "fig-flip-bins" not in html and "fig-score-gaps" not in html


# -- figures --------------------------------------------------------------------------
def _groups(values: list[Any], reference: Any) -> list[dict]:
    return [
        {
            "attribute": "a",
            "group": v,
            "privileged": v == reference,
            "n": 100,
            "favourable": 50,
            "selection_rate": 0.5,
            "selection_rate_low": 0.4,
            "selection_rate_high": 0.6,
            "too_small": False,
        }
        for v in values
    ]


def test_figures_return_none_without_data():
    assert _figures.selection_rate_figure([]) is None
    assert _figures.flip_rate_by_bin_figure([]) is None
    assert _figures.score_gap_figure([]) is None
    # a histogram whose edges do not fit its counts is skipped, not drawn wrong
    bad = [{"attribute": "a", "group": 1, "edges": [0.0, 1.0], "counts": [1, 2]}]
    assert _figures.score_gap_figure(bad) is None


def test_figure_height_grows_with_groups_and_width_stays():
    two = _png_size(_figures.selection_rate_figure(_groups(["x", "y"], "x")))
    four = _png_size(_figures.selection_rate_figure(_groups([1, 2, 3, 4], 3)))
    assert two[0] == four[0]
    assert four[1] > two[1]


def test_figures_draw_odd_labels_as_written():
    import matplotlib

    odd = ["$x^2$", "$5", "<b>", "a_b", "x" * 200, True, 2.5, "ünï €"]
    rows = _groups(odd, "$5")
    rows[0]["selection_rate"] = None  # undefined: drawn as a word, not a bar
    rows[1]["too_small"] = True
    assert _figures.selection_rate_figure(rows, fmt="svg").startswith(
        "data:image/svg+xml;base64,"
    )
    bins = [
        {"feature": f, "bin": b, "profiles": 10, "flips": 1, "flip_rate": 0.1}
        for f, b in (("$f", "$[0, 1)"), ("$f", True), ("g", 3))
    ] + [
        {"feature": "g", "bin": "[1, 2]", "profiles": 0, "flips": 0, "flip_rate": None}
    ]
    _png_size(_figures.flip_rate_by_bin_figure(bins))
    # mathtext stays on for the user's own plots
    assert matplotlib.rcParams["text.parse_math"] is True


def test_figures_cap_the_panels(monkeypatch):
    monkeypatch.setattr(_figures, "MAX_PANELS", 2)
    rows = [dict(r, attribute=f"a{i}") for i in range(3) for r in _groups([0, 1], 1)]
    capped = _png_size(_figures.selection_rate_figure(rows))
    assert _png_size(_figures.selection_rate_figure(rows[:4])) == capped
    assert _png_size(_figures.selection_rate_figure(rows[:2]))[1] < capped[1]


# -- a real audit ---------------------------------------------------------------------
def test_a_real_audit_follows_the_schema_and_renders(loan_report):
    d = loan_report.to_dict()
    validate_report(d)
    loaded = json.loads(json.dumps(d, allow_nan=False))
    html = report_to_html(loaded)
    page = _Page(html)
    assert {"headline", "metrics-twins", "counterfactual"} <= set(page.ids)
    assert page.images
    md = report_to_markdown(copy.deepcopy(loaded))
    assert _check_markdown_tables(md) >= 4
