"""The fetch_* loaders: published row counts, where files are looked up, downloads
from a local mirror (never from outside the machine), corrupt files refused."""

from __future__ import annotations

import functools
import hashlib
import http.server
import re
import threading
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twinaudit.datasets import (
    LOADERS,
    REMOTE_FILES,
    RemoteFile,
    _files,
    data_file,
    fetch_adult,
    fetch_bank_marketing,
    fetch_compas,
    fetch_german_credit,
    fetch_loan,
    get_data_home,
    loan_applications,
)
from twinaudit.exceptions import ChecksumError, DataError

REAL = {
    "adult": (fetch_adult, 45_222, {"sex": "Male", "race": "White"}),
    "german_credit": (
        fetch_german_credit,
        1_000,
        {"age": "25 or older", "sex": "male"},
    ),
    "compas": (fetch_compas, 6_167, {"race": "Caucasian", "sex": "Female"}),
    "bank_marketing": (fetch_bank_marketing, 41_188, {"age": "25 or older"}),
}
FILES = {
    "adult": ["adult/adult.data", "adult/adult.test"],
    "german_credit": ["german/german.data"],
    "compas": ["compas/compas-scores-two-years.csv"],
    "bank_marketing": ["bank/bank-additional-full.csv"],
}


@pytest.fixture(scope="module")
def loaded(shared_data):
    return {name: fetch(data_home=shared_data) for name, (fetch, _, _) in REAL.items()}


@pytest.mark.parametrize("name", sorted(REAL))
def test_published_row_counts_and_the_bunch(loaded, name):
    bunch = loaded[name]
    _, rows, privileged = REAL[name]
    assert len(bunch.data) == len(bunch.target) == len(bunch.frame) == rows
    assert bunch.privileged == privileged
    assert list(bunch.sensitive_features.columns) == list(privileged)
    pd.testing.assert_frame_equal(
        bunch.sensitive_features, bunch.data[list(privileged)]
    )
    for attribute, value in privileged.items():
        assert value in set(bunch.sensitive_features[attribute])
    assert set(bunch.target.unique()) == {0, 1} and bunch.favorable_label == 1
    assert list(bunch.frame.columns) == [*bunch.data.columns, bunch.target_name]
    assert not bunch.data.isna().any().any()
    # Text columns are pandas category, never object or pandas' str (AIF360-clean).
    for column in bunch.data.columns:
        dtype = bunch.data[column].dtype
        assert isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_numeric_dtype(
            dtype
        ), (column, dtype)
    assert "Preprocessing, in order:" in bunch.DESCR
    assert f"{rows:,} rows" in bunch.DESCR


def test_adult_counts_from_the_raw_file(loaded, shared_data):
    """Another route: count the raw lines by hand (no pandas)."""
    totals: dict[tuple[str, bool], int] = {}
    for name, skip in (("adult.data", 0), ("adult.test", 1)):
        lines = (shared_data / "adult" / name).read_text().splitlines()[skip:]
        for line in lines:
            fields = [f.strip() for f in line.split(",")]
            if len(fields) != 15 or "?" in fields:
                continue
            key = (fields[9], fields[14].rstrip(".") == ">50K")
            totals[key] = totals.get(key, 0) + 1
    adult = loaded["adult"]
    counted = pd.crosstab(adult.data["sex"], adult.target).stack().to_dict()
    assert {(s, bool(t)): int(n) for (s, t), n in counted.items()} == totals
    assert "fnlwgt" not in adult.data.columns


def test_german_known_answer_of_aif360s_tutorial(loaded):
    """AIF360's tutorial: np.random.seed(0), 70% training split, age >= 25
    privileged: mean difference of the labels -0.169905."""
    german = loaded["german_credit"]
    train = np.random.RandomState(0).permutation(1000)[:700]
    y = german.target.to_numpy()[train]
    old = german.data["age"].to_numpy()[train] == "25 or older"
    assert y[~old].mean() - y[old].mean() == pytest.approx(-0.169905, abs=5e-7)
    assert german.target.sum() == 700  # 700 good, 300 bad (UCI)
    assert german.data["sex"].value_counts().to_dict() == {"male": 690, "female": 310}
    assert "personal_status" not in german.data.columns


def test_compas_favourable_is_no_recidivism(loaded, shared_data):
    compas = loaded["compas"]
    # ProPublica: 2,809 of the 6,172 filtered defendants reoffended; the 5 rows
    # without a charge description are dropped.
    assert (compas.target == 0).sum() in range(2_809 - 5, 2_810)
    assert compas.data["c_charge_desc"].notna().all()


def test_bank_keeps_unknowns_and_drops_duration(loaded):
    bank = loaded["bank_marketing"]
    assert bank.target.sum() == 4_640
    assert "duration" not in bank.data.columns
    assert "unknown" in set(bank.data["default"])
    assert "emp_var_rate" in bank.data.columns


def test_loan_scenario_in_the_same_shape():
    loan = fetch_loan(300, seed=7)
    history = loan_applications(300, seed=7)
    assert loan.privileged == {"Gender": "Male"}
    assert loan.data["Gender"].astype(str).tolist() == history["Gender"].tolist()
    assert loan.target.tolist() == history["Approved"].tolist()
    assert list(loan.data.columns) == ["Gender", "Income"]
    assert isinstance(loan.data["Gender"].dtype, pd.CategoricalDtype)
    assert set(LOADERS) == {*REAL, "loan"}


# -- where files are looked up -------------------------------------------------------
def test_data_home_argument_then_environment_then_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("TWINAUDIT_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert get_data_home(tmp_path / "arg") == tmp_path / "arg"
    assert get_data_home() == tmp_path / "env"
    monkeypatch.delenv("TWINAUDIT_DATA")
    assert get_data_home() == tmp_path / "cache" / "twinaudit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert get_data_home() == tmp_path / "home" / ".cache" / "twinaudit"


def test_environment_variable_is_read(monkeypatch, shared_data):
    monkeypatch.setenv("TWINAUDIT_DATA", str(shared_data))
    assert len(fetch_german_credit().data) == 1_000


@pytest.mark.parametrize("name", sorted(REAL))
def test_missing_file_is_an_error_naming_it(tmp_path, name):
    fetch = REAL[name][0]
    first = FILES[name][0]
    message = f"Data file {first!r} not found in {str(tmp_path)!r}."
    with pytest.raises(DataError, match=re.escape(message)):
        fetch(data_home=tmp_path)


def test_corrupt_file_is_refused_naming_it(tmp_path, shared_data):
    target = tmp_path / "german" / "german.data"
    target.parent.mkdir()
    data = (shared_data / "german" / "german.data").read_bytes()
    target.write_bytes(data.replace(b"A11", b"A12", 1))
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    message = (
        f"Data file {str(target)!r} has sha256 {digest}, expected "
        f"{REMOTE_FILES['german/german.data'].sha256}: it is corrupt"
    )
    with pytest.raises(ChecksumError, match=re.escape(message)):
        fetch_german_credit(data_home=tmp_path)
    # Also refused when downloading is allowed: the file exists, so it is checked.
    with pytest.raises(ChecksumError, match=re.escape(message)):
        fetch_german_credit(data_home=tmp_path, download_if_missing=True)


# -- downloads from a local mirror ----------------------------------------------------
class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def serve():
    """Serve a folder on 127.0.0.1 (a thread); yields a function folder -> URL."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(_Quiet, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("name", sorted(REAL))
def test_download_from_a_mirror_checks_and_keeps_the_files(
    serve, shared_data, tmp_path, name, loaded
):
    url = serve(shared_data)
    home = tmp_path / "home"
    if name in ("german_credit", "compas"):
        bunch = REAL[name][0](data_home=home, download_if_missing=True, base_url=url)
        pd.testing.assert_frame_equal(bunch.frame, loaded[name].frame)
    else:  # the large ones: the same download, without parsing them again
        for path in FILES[name]:
            data_file(path, data_home=home, download_if_missing=True, base_url=url)
    for path in FILES[name]:
        assert (home / path).read_bytes() == (shared_data / path).read_bytes()
    assert sorted(p.name for p in home.rglob("*") if p.is_file()) == sorted(
        Path(p).name for p in FILES[name]
    )


def test_mirror_from_the_environment(serve, shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("TWINAUDIT_DATA_URL", serve(shared_data) + "/")
    german = fetch_german_credit(data_home=tmp_path, download_if_missing=True)
    assert len(german.data) == 1_000


def test_corrupt_download_is_refused_and_not_kept(serve, shared_data, tmp_path):
    mirror = tmp_path / "mirror" / "german"
    mirror.mkdir(parents=True)
    good = (shared_data / "german" / "german.data").read_bytes()
    (mirror / "german.data").write_bytes(good[:-100])  # truncated
    url = serve(mirror.parent)
    home = tmp_path / "home"
    message = (
        f"The file downloaded from {url}/german/german.data for 'german/german.data' "
        f"has sha256 {hashlib.sha256(good[:-100]).hexdigest()}, expected"
    )
    with pytest.raises(ChecksumError, match=re.escape(message)):
        fetch_german_credit(data_home=home, download_if_missing=True, base_url=url)
    assert [p for p in home.rglob("*") if p.is_file()] == []


def test_unreachable_source_is_a_data_error(serve, tmp_path):
    (tmp_path / "empty").mkdir()
    url = serve(tmp_path / "empty")  # answers 404 for every file
    with pytest.raises(
        DataError, match=re.escape("Could not download 'german/german.data'")
    ):
        fetch_german_credit(
            data_home=tmp_path / "home", download_if_missing=True, base_url=url
        )
    assert not (tmp_path / "home" / "german" / "german.data").exists()


def test_canonical_zip_archive_is_extracted(serve, shared_data, tmp_path, monkeypatch):
    """UCI ships Bank marketing as bank-additional.zip: the member is extracted and
    its own sha256 checked (the canonical URL pointed at a local copy)."""
    site = tmp_path / "site"
    site.mkdir()
    with zipfile.ZipFile(site / "bank-additional.zip", "w") as archive:
        archive.write(
            shared_data / "bank" / "bank-additional-full.csv",
            "bank-additional/bank-additional-full.csv",
        )
    url = serve(site)
    original = REMOTE_FILES["bank/bank-additional-full.csv"]
    monkeypatch.setitem(
        _files.REMOTE_FILES,
        original.path,
        RemoteFile(
            original.path,
            f"{url}/bank-additional.zip",
            original.sha256,
            original.member,
        ),
    )
    monkeypatch.delenv("TWINAUDIT_DATA_URL", raising=False)
    home = tmp_path / "home"
    bank = fetch_bank_marketing(data_home=home, download_if_missing=True)
    assert len(bank.data) == 41_188
    assert (home / original.path).read_bytes() == (
        shared_data / original.path
    ).read_bytes()
