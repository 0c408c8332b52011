"""The HTML report opened in headless Chromium: it renders, with its figures.

Needs Debian's ``chromium`` (or ``chromium-browser``) on PATH; .ci/run installs it.
Without it the tests skip with the reason, except under CI=true, where they fail:
CI always has the browser, and a silent skip would hide that nothing was checked.
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from twinaudit.report._render import report_to_html

TIMEOUT = 30  # seconds per browser run
PWNED = 'data-pwned="1"'
SCRIPT_PAYLOAD = "<script>document.body.setAttribute('data-pwned','1')</script>"
IMG_PAYLOAD = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"

# Written into the page after it has loaded (and its images with it): each image's
# id and natural size, so the dumped DOM says whether the figures decoded.
PROBE = """<script>
window.addEventListener('load', function () {
  var sizes = Array.prototype.map.call(document.images, function (img) {
    return img.id + ':' + img.naturalWidth + 'x' + img.naturalHeight;
  });
  var out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = sizes.join(' ');
  document.body.appendChild(out);
});
</script>
"""


def _load_fixtures() -> Any:
    name = "twinaudit_test_report_fixtures"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).with_name("fixtures.py")
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="module")
def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    message = (
        "headless Chromium not found on PATH (chromium or chromium-browser); "
        "install Debian's chromium package (apt-get install chromium), as .ci/run "
        "does"
    )
    if _on_ci():
        pytest.fail(f"CI=true but {message}", pytrace=False)
    pytest.skip(message)


def _run(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish within {TIMEOUT} s: {command}")
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> dict[str, Path]:
    """The two-valued report with hostile values, as rendered, and a test copy
    whose security policy lets the probe script run."""
    fixtures = _load_fixtures()
    d = fixtures.two_valued_report()
    d = fixtures.replace_value(d, "F", SCRIPT_PAYLOAD)
    d = fixtures.replace_value(d, "income", IMG_PAYLOAD)
    d["notes"].append(IMG_PAYLOAD)
    html = report_to_html(d)
    folder = tmp_path_factory.mktemp("html")
    original = folder / "report.html"
    original.write_text(html, encoding="utf-8")
    # The test copy: no Content-Security-Policy (it would block the probe, and
    # also any script the escaping let through: without it, the page itself has
    # to keep the payloads inert), and the probe before </body>.
    probe = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    assert probe != html
    probe = probe.replace("</body>", PROBE + "</body>")
    probed = folder / "probe.html"
    probed.write_text(probe, encoding="utf-8")
    return {"original": original, "probe": probed, "folder": folder}


@pytest.fixture(scope="module")
def dom(chromium, page) -> str:
    result = _run(
        chromium,
        page["folder"] / "profile-dom",
        "--dump-dom",
        page["probe"].as_uri(),
    )
    return result.stdout


def test_the_page_shows_the_verdict_and_the_tables(dom):
    assert re.search(r'id="verdict-status"[^>]*>fail<', dom)
    for reason in (
        "sex=F on observed: 0.765 &lt; 0.8 with its interval",
        "every interval lies below 0.2",
    ):
        assert reason in dom
    for table in (
        "verdict-checks",
        "metrics-twins",
        "metrics-observed",
        "groups-twins",
        "rates-observed",
        "counterfactual",
        "mcnemar",
        "score-gaps",
        "where-bins",
        "where-rules",
        "where-gaps",
        "definitions",
    ):
        assert re.search(rf'<table id="{table}">\s*<thead>', dom), table
    assert dom.index('id="verdict"') < dom.index('id="headline"')


def test_every_figure_decodes_with_a_natural_size(dom):
    match = re.search(r'<pre id="probe">([^<]*)</pre>', dom)
    assert match, "the probe script did not run"
    sizes = dict(item.split(":") for item in match.group(1).split())
    assert set(sizes) == {
        "fig-selection-twins",
        "fig-selection-observed",
        "fig-score-gaps",
        "fig-flip-bins",
    }
    for name, size in sizes.items():
        width, height = (int(n) for n in size.split("x"))
        assert width > 300 and height > 100, (name, size)


def test_hostile_values_stay_text(dom):
    assert PWNED not in dom
    # shown as text, escaped
    assert (
        "&lt;script&gt;document.body.setAttribute('data-pwned','1')&lt;/script&gt;"
        in (dom)
    )
    assert "&lt;img src=x onerror=" in dom


def test_the_screenshot_of_the_page_as_shipped_is_not_blank(chromium, page):
    """The page as rendered (security policy on): the figures must show under it."""
    from PIL import Image

    shot = page["folder"] / "shot.png"
    _run(
        chromium,
        page["folder"] / "profile-shot",
        f"--screenshot={shot}",
        "--window-size=1280,6000",
        page["original"].as_uri(),
    )
    image = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert image.shape == (6000, 1280, 3)
    white = (image.min(axis=2) >= 245).mean()
    assert white < 0.97, "the page is blank"
    colours = np.unique(image[::7, ::7].reshape(-1, 3), axis=0)
    assert len(colours) > 50, "the page has almost no colours"

    def near(pixels: np.ndarray, rgb: tuple[int, int, int]) -> int:
        return int((np.abs(pixels - np.array(rgb)).sum(axis=2) < 12).sum())

    # The bars of the figures (#2b6cb0 at 85% over white) are drawn.
    assert near(image, (75, 130, 188)) > 5000
    # The red frame of the failing verdict (#9b2c2c) is at the top of the page.
    assert near(image[:400], (0x9B, 0x2C, 0x2C)) > 500
