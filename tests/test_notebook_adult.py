"""The Adult notebook finds its data wherever it runs, and says where it looked when
the data is not there (tests/test_notebooks.py runs the whole notebook)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

import twinaudit as ta

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "02_audit_your_model.ipynb"


def find_data_cell() -> str:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    (source,) = (
        cell.source
        for cell in notebook.cells
        if cell.cell_type == "code" and "def find_data" in cell.source
    )
    return source


def run_find_data() -> Path:
    namespace = {"os": os, "Path": Path, "ta": ta}
    exec(find_data_cell(), namespace)
    return namespace["DATA"]


def test_a_data_folder_without_adult_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TWINAUDIT_DATA", str(tmp_path))
    message = (
        "UCI Adult not found: looked for adult/adult.data and adult/adult.test in "
        f"[{str(tmp_path)!r}]. Set TWINAUDIT_DATA to the folder holding adult/ "
        "(see ../shared/data/README.md)."
    )
    with pytest.raises(FileNotFoundError, match=re.escape(message)):
        run_find_data()


def test_twinaudit_data_is_used_from_any_folder(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("TWINAUDIT_DATA", str(shared_data))
    monkeypatch.chdir(tmp_path)
    assert run_find_data() == shared_data.resolve()


def test_without_the_variable_the_folder_beside_the_checkout(tmp_path, monkeypatch):
    beside = ROOT.parent / "shared" / "data"
    if not (beside / "adult" / "adult.test").is_file():
        pytest.skip(f"no Adult data beside the checkout ({beside})")
    monkeypatch.delenv("TWINAUDIT_DATA", raising=False)
    monkeypatch.chdir(tmp_path)  # where tests/test_notebooks.py runs the notebook
    assert run_find_data() == beside.resolve()
