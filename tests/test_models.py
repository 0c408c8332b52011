"""Loading model files: skops safely, pickles only when trusted, clear errors."""

import fractions
import pathlib
import pickle
import re
import zipfile

import joblib
import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from twinaudit._models import load_model
from twinaudit.datasets import LOAN_FEATURES, loan_applications, loan_model
from twinaudit.exceptions import DataError, ModelError, TwinauditError

TREE = "sklearn.tree._tree.Tree"


@pytest.fixture(scope="module")
def history():
    return loan_applications(400, seed=3)


@pytest.fixture(scope="module")
def tree(history):
    return loan_model(history)


@pytest.fixture(scope="module")
def linear(history):
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(
        history[LOAN_FEATURES], history["Approved"]
    )


def same_predictions(a, b, history):
    X = history[LOAN_FEATURES]
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_a_skops_file_of_trusted_types_loads_without_options(tmp_path, linear, history):
    path = tmp_path / "linear.skops"
    sio.dump(linear, path)
    assert sio.get_untrusted_types(file=path) == []  # the premise of this test
    loaded = load_model(path)
    assert type(loaded).__name__ == "Pipeline"
    same_predictions(loaded, linear, history)
    assert load_model(str(path)).steps[-1][0] == "logisticregression"  # str paths


def test_a_decision_tree_needs_its_tree_type_trusted(tmp_path, tree, history):
    path = tmp_path / "tree.skops"
    sio.dump(tree, path)
    message = (
        f"{str(path)!r} holds types that skops does not trust by default: "
        "'sklearn.tree._tree.Tree'. Loading an untrusted type can run code or crash "
        "the process, so check where the file comes from. To load it, trust each "
        "type by name: --trust sklearn.tree._tree.Tree on the command line, or "
        "load_model(..., trusted=['sklearn.tree._tree.Tree']) in Python."
    )
    with pytest.raises(ModelError, match=re.escape(message)):
        load_model(path)
    with pytest.raises(ModelError, match=re.escape(message)):
        load_model(path, trusted=["fractions.Fraction"])  # another type is no help
    with pytest.raises(ModelError, match=re.escape(message)):
        load_model(path, trust_pickle=True)  # trusting pickles is not trusting types
    same_predictions(load_model(path, trusted=[TREE]), tree, history)
    same_predictions(load_model(path, trusted=TREE), tree, history)  # one name


def test_every_untrusted_type_is_listed_and_each_must_be_trusted(tmp_path, history):
    model = loan_model(history)
    model.note = fractions.Fraction(1, 3)  # an attribute of a type skops refuses
    path = tmp_path / "noted.skops"
    sio.dump(model, path)
    both = ["fractions.Fraction", TREE]
    assert sorted(sio.get_untrusted_types(file=path)) == both
    for trusted, refused in [
        ((), both),
        ([TREE], ["fractions.Fraction"]),
        (["fractions.Fraction"], [TREE]),
    ]:
        with pytest.raises(ModelError) as info:
            load_model(path, trusted=trusted)
        listed = ", ".join(repr(t) for t in refused)
        flags = " ".join(f"--trust {t}" for t in refused)
        message = (
            f"{str(path)!r} holds types that skops does not trust by default: "
            f"{listed}. Loading an untrusted type can run code or crash the process, "
            "so check where the file comes from. To load it, trust each type by "
            f"name: {flags} on the command line, or load_model(..., "
            f"trusted={refused!r}) in Python."
        )
        assert str(info.value) == message
    loaded = load_model(path, trusted=both)
    assert loaded.note == fractions.Fraction(1, 3)


@pytest.mark.parametrize("suffix", [".pkl", ".pickle", ".joblib", ".PKL"])
def test_a_pickle_is_refused_unless_trusted(tmp_path, tree, history, suffix):
    path = tmp_path / f"model{suffix}"
    if suffix == ".joblib":
        joblib.dump(tree, path)
    else:
        path.write_bytes(pickle.dumps(tree))
    message = (
        f"Refusing to load {str(path)!r}: loading a pickle runs code from the file, "
        "so a malicious file can do anything you can. Load it only if you made it "
        "yourself or fully trust its source: pass trust_pickle=True (--trust-pickle "
        "on the command line). Safer: save the model with skops "
        "(skops.io.dump(model, 'model.skops')) and load that."
    )
    with pytest.raises(ModelError, match=re.escape(message)):
        load_model(path)
    with pytest.raises(ModelError, match=re.escape(message)):
        load_model(path, trusted=[TREE])  # skops trust does not cover pickles
    same_predictions(load_model(path, trust_pickle=True), tree, history)


class _TouchOnLoad:
    """Unpickling this calls Path.touch: the code a pickle runs when loaded."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def test_a_refused_pickle_never_runs(tmp_path):
    marker = tmp_path / "the pickle ran"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(_TouchOnLoad(marker)))
    with pytest.raises(ModelError, match="Refusing to load"):
        load_model(path)
    assert not marker.exists()
    # Trusted, it runs (that is the danger) and holds no model (Path.touch -> None).
    with pytest.raises(
        ModelError,
        match=re.escape(
            f"{str(path)!r} holds a NoneType, not a model: it has no predict method "
            "and is not callable. Save the fitted estimator itself."
        ),
    ):
        load_model(path, trust_pickle=True)
    assert marker.exists()


def test_missing_files_and_directories_are_data_errors(tmp_path):
    missing = tmp_path / "nope.skops"
    with pytest.raises(
        DataError, match=re.escape(f"Model file {str(missing)!r} does not exist.")
    ):
        load_model(missing)
    folder = tmp_path / "dir.skops"
    folder.mkdir()
    with pytest.raises(
        DataError,
        match=re.escape(f"Model file {str(folder)!r} is a directory, not a file."),
    ):
        load_model(folder)


def test_corrupt_skops_files_are_data_errors(tmp_path, linear):
    garbage = tmp_path / "garbage.skops"
    garbage.write_bytes(b"this is not a zip file")
    with pytest.raises(
        DataError,
        match=re.escape(
            f"{str(garbage)!r} is not a readable skops file (BadZipFile: File is not "
            "a zip file); it may be corrupt or truncated. Save the model again with "
            "skops.io.dump(model, 'model.skops')."
        ),
    ):
        load_model(garbage)
    truncated = tmp_path / "truncated.skops"
    truncated.write_bytes(sio.dumps(linear)[:300])
    with pytest.raises(DataError, match="is not a readable skops file"):
        load_model(truncated)
    schemaless = tmp_path / "schemaless.skops"
    with zipfile.ZipFile(schemaless, "w") as archive:
        archive.writestr("other.txt", "hello")
    with pytest.raises(
        DataError,
        match=re.escape(
            f'{str(schemaless)!r} is not a readable skops file (KeyError: "There is '
            "no item named 'schema.json' in the archive\")"
        ),
    ):
        load_model(schemaless)
    pickled = tmp_path / "pickled.skops"  # a pickle under a skops name
    pickled.write_bytes(pickle.dumps(linear))
    with pytest.raises(DataError, match="is not a readable skops file"):
        load_model(pickled)


def test_corrupt_pickles_are_data_errors_even_when_trusted(tmp_path, tree):
    path = tmp_path / "cut.pkl"
    path.write_bytes(pickle.dumps(tree)[:100])
    with pytest.raises(
        DataError,
        match=re.escape(f"Cannot load the pickle {str(path)!r} (")
        + ".*"
        + re.escape(
            "). It may be corrupt, truncated, or need a module that is not installed."
        ),
    ):
        load_model(path, trust_pickle=True)


def test_unknown_file_types_and_non_models_are_model_errors(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"x")
    with pytest.raises(
        ModelError,
        match=re.escape(
            f"Model file {str(path)!r} has an unknown type ('.bin'). Save the model "
            "with skops (skops.io.dump(model, 'model.skops')), or, for a pickle you "
            "trust, name it .pkl, .pickle or .joblib and pass trust_pickle=True "
            "(--trust-pickle on the command line)."
        ),
    ):
        load_model(path)
    bare = tmp_path / "model"
    bare.write_bytes(b"x")
    with pytest.raises(
        ModelError, match=re.escape("has an unknown type ('no suffix')")
    ):
        load_model(bare)
    table = tmp_path / "table.skops"
    sio.dump({"weights": [1, 2]}, table)
    with pytest.raises(
        ModelError,
        match=re.escape(
            f"{str(table)!r} holds a dict, not a model: it has no predict method and "
            "is not callable. Save the fitted estimator itself."
        ),
    ):
        load_model(table)


@pytest.mark.parametrize("bad", [[""], [3], ["  "]])
def test_trusted_must_name_types(tmp_path, linear, bad):
    path = tmp_path / "linear.skops"
    sio.dump(linear, path)
    with pytest.raises(
        ModelError,
        match=re.escape(
            "trusted must be a list of type names such as "
            f"['sklearn.tree._tree.Tree']. Got {bad[0]!r} in it."
        ),
    ):
        load_model(path, trusted=bad)


def test_errors_are_twinaudit_errors_and_the_fitting_builtins():
    assert issubclass(DataError, TwinauditError) and issubclass(DataError, ValueError)
    assert issubclass(ModelError, TwinauditError) and issubclass(ModelError, TypeError)


def test_twinaudits_own_strategies_need_no_trust_but_what_they_hold_does(
    tmp_path, history
):
    from sklearn.tree import DecisionTreeClassifier

    from twinaudit.mitigation import Reweighing

    X = history[LOAN_FEATURES]
    model = Reweighing(DecisionTreeClassifier(max_depth=3, random_state=0)).fit(
        X, history["Approved"], sensitive_features=history[["Gender"]]
    )
    path = tmp_path / "reweighed.skops"
    sio.dump(model, path)
    untrusted = sorted(sio.get_untrusted_types(file=path))
    # The premise: skops itself trusts neither type.
    assert untrusted == [TREE, "twinaudit.mitigation._preprocessing.Reweighing"]
    # Only the tree inside is named; twinaudit's own class is not.
    with pytest.raises(ModelError, match=re.escape(f"--trust {TREE} on the command")):
        load_model(path)
    loaded = load_model(path, trusted=[TREE])
    assert type(loaded) is Reweighing
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
