import json
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from twinaudit.cli import app
from twinaudit.datasets import loan_twin_spec
from twinaudit.generation import generate
from twinaudit.spec import load_spec

runner = CliRunner()

SPEC = """\
seed: 5
protected:
  - {name: gender, values: [male, female], privileged: male}
fields:
  - {kind: id, name: id}
  - {kind: integer, name: income, low: 30000, high: 120000}
  - {kind: provider, name: job, provider: person.occupation}
proxies:
  - name: first_name
    attribute: gender
    provider: person.first_name
    by_value: {male: {gender: male}, female: {gender: female}}
"""


@pytest.fixture
def spec_file(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return path


def test_demo_tells_the_whole_story(tmp_path):
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["demo", "--json", str(out)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "546 of 546 pairs with income below 80,000 flip" in text
    assert "disparate impact" in text and "AIF360 reweighing" in text
    assert "counterfactual augmentation" in text
    data = json.loads(out.read_text())
    assert data["pairs"] == 1000 and data["headline"]["flipped_profiles"] == 546
    assert "0 of 454 at or above 80,000 do (the tree splits at income 79,997.0)" in text
    # The strict table says what strict means, and the proxy mode is shown beside it.
    assert "(strict mode: twins share every column but the attribute)" in text
    assert "What the two modes do to the proxies of the same profiles" in text
    strict = generate(loan_twin_spec(42), 3).frame
    proxy = generate(loan_twin_spec(42), 3, mode="proxy").frame
    assert (strict["Name"].to_numpy()[::2] == strict["Name"].to_numpy()[1::2]).all()
    assert (proxy["Name"].to_numpy()[::2] != proxy["Name"].to_numpy()[1::2]).any()
    for a, b in zip(strict["Name"], proxy["Name"], strict=True):
        assert f"│ {a} " in result.output and f"│ {b} " in result.output
    again = runner.invoke(app, ["demo", "--json", str(out)])
    assert again.exit_code == 2
    assert again.stderr == (
        f"error: {str(out)!r} already exists; use --force to replace it.\n"
    )


def test_generate_writes_csv_equal_to_the_api(spec_file, tmp_path):
    out = tmp_path / "twins.csv"
    result = runner.invoke(
        app,
        ["generate", str(spec_file), "-n", "500", "-o", str(out), "--chunk-size", "77"],
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 1,000 twins (500 pairs)" in result.output
    written = pd.read_csv(out)
    expected = generate(load_spec(spec_file), 500).frame
    assert written["income"].tolist() == expected["income"].tolist()
    assert written["first_name"].tolist() == expected["first_name"].astype(str).tolist()


def test_generate_writes_parquet_with_overrides(spec_file, tmp_path):
    out = tmp_path / "twins.parquet"
    result = runner.invoke(
        app,
        [
            "generate",
            str(spec_file),
            "-n",
            "300",
            "-o",
            str(out),
            "--mode",
            "proxy",
            "--seed",
            "9",
            "--chunk-size",
            "100",
        ],
    )
    assert result.exit_code == 0, result.output
    written = pd.read_parquet(out)
    expected = generate(load_spec(spec_file), 300, mode="proxy", seed=9).frame
    pd.testing.assert_frame_equal(written, expected, check_categorical=False)


def test_generate_never_overwrites_and_leaves_no_partial_file(spec_file, tmp_path):
    out = tmp_path / "twins.csv"
    out.write_text("my data")
    result = runner.invoke(app, ["generate", str(spec_file), "-o", str(out)])
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert out.read_text() == "my data"
    assert (
        runner.invoke(
            app, ["generate", str(spec_file), "-o", str(out), "--force"]
        ).exit_code
        == 0
    )
    assert list(tmp_path.glob(".*partial")) == []


def test_bad_specs_and_options_exit_with_a_message(tmp_path, spec_file):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.replace("high: 120000", "high: 1"))
    result = runner.invoke(app, ["generate", str(bad), "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "'low' must be at most 'high'" in result.stderr
    result = runner.invoke(
        app, ["generate", str(spec_file), "-o", str(tmp_path / "x.txt")]
    )
    assert result.exit_code == 2 and "use a .csv or .parquet file name" in result.stderr
    result = runner.invoke(
        app,
        ["generate", str(spec_file), "-o", str(tmp_path / "x.csv"), "--mode", "loose"],
    )
    assert result.exit_code == 2


def test_validate_lists_the_columns(spec_file):
    result = runner.invoke(app, ["validate", str(spec_file)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "first_name" in result.output and "proxy of gender" in result.output
    assert "2 twins per pair" in result.output


def test_validate_exits_2_on_a_missing_or_malformed_spec(tmp_path):
    missing = tmp_path / "missing.yaml"
    result = runner.invoke(app, ["validate", str(missing)])
    assert result.exit_code == 2
    assert result.stderr == f"error: Spec file {str(missing)!r} does not exist.\n"
    broken = tmp_path / "broken.yaml"
    broken.write_text("protected: [\n")
    result = runner.invoke(app, ["validate", str(broken)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: Spec file {str(broken)!r} is not valid")
    assert "Traceback" not in result.output


def test_a_bug_in_any_command_exits_70(monkeypatch, spec_file):
    import twinaudit.spec

    def buggy(path):
        raise KeyError("oops")

    monkeypatch.setattr(twinaudit.spec, "load_spec", buggy)
    result = runner.invoke(app, ["validate", str(spec_file)])
    assert result.exit_code == 70
    assert result.stderr == (
        "internal error: KeyError: 'oops'. This is a bug in twinaudit; please report "
        "it with the command you ran (twinaudit --debug ... shows the traceback).\n"
    )


def test_the_docstring_documents_the_exit_codes():
    import twinaudit.cli as cli

    for code, meaning in [
        (cli.EXIT_OK, "0: success"),
        (cli.EXIT_FAIL, "1: ``audit --policy``: the verdict is ``fail``"),
        (cli.EXIT_INPUT, "2: usage or input error"),
        (cli.EXIT_INCONCLUSIVE, "3: ``audit --policy``: the verdict is"),
        (cli.EXIT_INTERNAL, "70: internal error"),
        (cli.EXIT_INTERRUPTED, "130: interrupted"),
        (cli.EXIT_TERMINATED, "143: terminated (SIGTERM)"),
    ]:
        assert f"- {code}: " in cli.__doc__ and meaning in " ".join(cli.__doc__.split())
    from twinaudit.report._policy import EXIT_CODES

    assert dict(EXIT_CODES) == {
        "pass": cli.EXIT_OK,
        "fail": cli.EXIT_FAIL,
        "inconclusive": cli.EXIT_INCONCLUSIVE,
    }


def test_version_and_help():
    assert runner.invoke(app, ["--version"]).output.startswith("twinaudit 0.1.0")
    listing = runner.invoke(app, ["--help"]).output
    assert "demo" in listing and "audit" in listing


@pytest.mark.parametrize("command", [[], ["audit"]])
def test_help_is_fast_and_imports_nothing_heavy(command):
    code = (
        f"import sys, runpy\nsys.argv = ['twinaudit', *{command!r}, '--help']\n"
        "try:\n    runpy.run_module('twinaudit.cli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('pandas', 'aif360', 'fairlearn', 'mimesis', 'sklearn', "
        "'skops') "
        "if m in sys.modules]\nprint('HEAVY', heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "HEAVY []" in out.stdout


def test_validate_summarises_thousands_of_fields_and_values(tmp_path):
    from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec, save_spec

    spec = TwinSpec(
        fields=[Integer(f"f{i}", 0, 9) for i in range(500)],
        protected=[
            ProtectedAttribute("group", [f"g{i}" for i in range(30)], privileged="g0")
        ],
    )
    path = tmp_path / "wide.yaml"
    save_spec(spec, path)
    result = runner.invoke(app, ["validate", str(path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # pair id and the protected column, then the first 58 fields, then a summary.
    assert sum(line.startswith("│ f") for line in lines) == 58
    assert "│ f57 " in result.output and "│ f58 " not in result.output
    assert "… 442 more" in result.output
    first = ", ".join(repr(f"g{i}") for i in range(20))
    assert f"protected [{first}, … (30 values)], privileged 'g0'" in result.output
    assert "30 twins per pair" in result.output
