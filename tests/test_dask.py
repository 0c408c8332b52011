"""The Dask backend: the same report as the local audit, on a 2-worker
LocalCluster; a closed or unreachable cluster, an unpicklable model and a missing
dask are refused before any work."""

import re
import sys
import threading

import pandas as pd
import pytest

from twinaudit.datasets import loan_applications, loan_model, loan_twin_spec
from twinaudit.exceptions import (
    DataError,
    MissingDependencyError,
    ModelError,
    UndefinedMetricWarning,
)
from twinaudit.generation import from_frame
from twinaudit.report import audit
from twinaudit.spec import Integer, ProtectedAttribute, Provider, TwinSpec

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def tree():
    return loan_model(loan_applications(1000, seed=42))


def assert_same_report(a, b):
    for name in ("metrics", "groups", "counterfactual", "cochran"):
        pd.testing.assert_frame_equal(
            getattr(a, name), getattr(b, name), check_exact=True
        )
    for name in ("bins", "rules", "largest_gaps"):
        pd.testing.assert_frame_equal(getattr(a.where, name), getattr(b.where, name))
    assert a.score_gaps == b.score_gaps
    assert (a.flipped_pairs, a.n_pairs) == (b.flipped_pairs, b.n_pairs)


def test_dask_report_equals_the_local_one(client, tree):
    local = audit(tree, loan_twin_spec(), n_pairs=2_000, n_boot=100)
    on_dask = audit(
        tree,
        loan_twin_spec(),
        n_pairs=2_000,
        n_boot=100,
        chunk_size=450,
        backend="dask",
        client=client,
    )
    assert_same_report(local, on_dask)
    assert client.status == "running"  # a client we were given stays open


def test_dask_workers_generate_per_row_providers_like_the_driver(client):
    """Workers generate their chunks' Mimesis per-row values themselves (two
    worker threads here): the same twins, so the same report."""
    spec = TwinSpec(
        fields=[Integer("x", 0, 99), Provider("email", "person.email")],
        protected=[ProtectedAttribute("g", [0, 1], privileged=1)],
        seed=5,
    )

    def model(frame):
        return ((frame["x"] + 30 * frame["g"] + frame["email"].str.len()) > 70).astype(
            int
        )

    local = audit(model, spec, n_pairs=1_200, n_boot=0, features=["x", "g", "email"])
    on_dask = audit(
        model,
        spec,
        n_pairs=1_200,
        n_boot=0,
        features=["x", "g", "email"],
        chunk_size=250,
        backend="dask",
        client=client,
    )
    assert_same_report(local, on_dask)
    assert 0 < local.flip_rate < 1


def test_dask_audit_of_real_rows_with_labels(client):
    train, test = loan_applications(1500, seed=1), loan_applications(800, seed=3)
    model = loan_model(train)
    gender = ProtectedAttribute(
        "Gender",
        ["Male", "Female"],
        privileged="Male",
        model_column="Gender_Code",
        encoding={"Male": 1, "Female": 0},
    )
    twins = from_frame(test.drop(columns="Gender_Code"), protected=[gender])
    options = {"y_true": "Approved", "n_boot": 0, "libraries": False}
    with pytest.warns(UndefinedMetricWarning, match="no unfavourable labels"):
        local = audit(model, twins, **options)
    with pytest.warns(UndefinedMetricWarning, match="no unfavourable labels"):
        on_dask = audit(
            model, twins, chunk_size=300, backend="dask", client=client, **options
        )
    assert_same_report(local, on_dask)
    assert on_dask.observed_rows == 800


def never(frame):
    raise AssertionError("no work may start")


def test_a_closed_client_is_refused_before_any_work(client):
    closed = distributed.Client(client.cluster, set_as_default=False)
    closed.close()
    message = (
        "The Dask client is closed, not running: create a new one (Client(address)) "
        "or pass client=None for a local cluster."
    )
    with pytest.raises(DataError, match=re.escape(message)):
        audit(never, loan_twin_spec(), n_pairs=100, backend="dask", client=closed)


def test_an_unreachable_scheduler_is_refused(monkeypatch):
    import twinaudit.report._streaming as streaming

    monkeypatch.setattr(streaming, "_CONNECT_TIMEOUT", "0.5s")
    with pytest.raises(
        DataError, match=r"Cannot reach the Dask scheduler at 'tcp://127\.0\.0\.1:9'"
    ):
        audit(
            never,
            loan_twin_spec(),
            n_pairs=100,
            backend="dask",
            client="tcp://127.0.0.1:9",
        )


class LockedModel:
    """A model holding a lock: it cannot be pickled for the workers."""

    def __init__(self):
        self.lock = threading.Lock()

    def predict(self, frame):
        raise AssertionError("no work may start")


def test_an_unpicklable_model_is_refused_before_any_work(client):
    with pytest.raises(
        ModelError,
        match=r"The model LockedModel cannot be pickled \(TypeError: cannot pickle '_thread\.lock' object\), so it cannot be sent to the Dask workers\.",
    ):
        audit(
            LockedModel(), loan_twin_spec(), n_pairs=100, backend="dask", client=client
        )


def test_a_missing_dask_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    message = (
        "backend='dask' needs dask.distributed, which is not installed. Install the "
        "extra: pip install 'twinaudit[dask]'."
    )
    with pytest.raises(MissingDependencyError, match=re.escape(message)):
        audit(never, loan_twin_spec(), n_pairs=100, backend="dask")


def test_not_a_client_is_refused():
    with pytest.raises(
        DataError,
        match=re.escape(
            "client must be a dask.distributed Client or a scheduler address. Got dict."
        ),
    ):
        audit(never, loan_twin_spec(), n_pairs=100, backend="dask", client={})
