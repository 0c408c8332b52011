"""Every notebook in notebooks/ runs top to bottom (its cells assert the story), and
the walkthrough prints the numbers a hand count on the same twins gives."""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
WALKTHROUGH = "01_tutorial_walkthrough.ipynb"


def run(path: Path, tmp_path: Path, env: dict) -> nbformat.NotebookNode:
    """Execute a notebook (a cell that raises fails the test inside execute()) in a
    kernel importing this checkout's twinaudit; a last cell added here says which
    twinaudit that was."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(
        nbformat.v4.new_code_cell("import twinaudit; print(twinaudit.__file__)")
    )
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute(env=env)
    imported = notebook.cells.pop().outputs[0]["text"].strip()
    assert Path(imported).is_relative_to(ROOT / "src")
    return notebook


def streams(notebook: nbformat.NotebookNode, name: str) -> str:
    return "".join(
        output["text"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("output_type") == "stream" and output.get("name") == name
    )


@pytest.fixture(scope="module")
def executed(tmp_path_factory, checkout_env) -> dict[str, nbformat.NotebookNode]:
    return {
        p.name: run(p, tmp_path_factory.mktemp(p.stem), checkout_env())
        for p in NOTEBOOKS
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_notebook_runs_without_warnings(executed, name):
    """execute() already fails on an exception; a warning a reader would see in the
    notebook (printed to stderr) is a defect too."""
    assert streams(executed[name], "stderr") == ""


@pytest.mark.slow
def test_the_walkthrough_prints_the_hand_counted_numbers(executed, loan_twins):
    # The tree approves every man and a woman above 79,997 (its split), so on the
    # notebook's twins (loan_twin_spec(42), 1,000 pairs) a pair flips exactly when
    # its income is at most 79,997; every man is approved.
    incomes = loan_twins.frame["Income"].to_numpy()[::2]
    flip_rate = (incomes <= 79_997).mean()
    out = streams(executed[WALKTHROUGH], "stdout")
    strict, proxy = re.search(
        r"flip rate, strict: ([\d.]+); proxy: ([\d.]+)", out
    ).groups()
    assert float(strict) == float(proxy) == round(flip_rate, 3)
    spd = re.search(r"AIF360 statistical parity difference: (\S+)", out).group(1)
    di = re.search(r"AIF360 disparate impact: +(\S+)", out).group(1)
    assert float(spd) == pytest.approx(-flip_rate)
    assert float(di) == pytest.approx(1 - flip_rate)


def test_there_is_a_walkthrough():
    assert WALKTHROUGH in [p.name for p in NOTEBOOKS]
