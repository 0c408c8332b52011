"""``twinaudit mitigate``: train each strategy on a CSV, re-audit on twins of the
held-out rows, write the models and the before/after report into a fresh folder.

Heavy imports happen inside the command so that ``twinaudit --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

ESTIMATORS = ("logistic", "tree", "gbm")


def _estimator(name: str, frame: Any, seed: int) -> Any:
    """A named estimator (one-hot encoding text columns) or one loaded from a file."""
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    from twinaudit.exceptions import DataError, did_you_mean

    if name not in ESTIMATORS:
        path = Path(name)
        if path.suffix.lower() in (".skops", ".pkl", ".pickle", ".joblib"):
            from twinaudit._models import load_model

            return load_model(path)
        raise DataError(
            f"--estimator {name}: not one of {list(ESTIMATORS)} nor a .skops model "
            f"file.{did_you_mean(name, ESTIMATORS)}"
        )
    # Columns chosen by type when fitted, so a strategy that drops the protected
    # column (unawareness) gets a pipeline that still fits.
    encode = make_column_transformer(
        (
            OneHotEncoder(handle_unknown="ignore"),
            make_column_selector(dtype_exclude="number"),
        ),
        (StandardScaler(), make_column_selector(dtype_include="number")),
    )
    final: Any = {
        "logistic": LogisticRegression(max_iter=1000),
        "tree": DecisionTreeClassifier(min_samples_leaf=5, random_state=seed),
        "gbm": HistGradientBoostingClassifier(random_state=seed),
    }[name]
    return make_pipeline(encode, final)


def _labels(frame: Any, target: str, favorable: str | None, source: str) -> Any:
    """The target as 0/1 (1 favourable): as is for 0/1 columns, else ``--favorable``
    names the favourable value."""
    import numpy as np

    from twinaudit.exceptions import DataError

    values = frame[target]
    if favorable is None:
        return values
    texts = sorted({str(v) for v in values.dropna().unique()})
    if favorable not in texts:
        raise DataError(
            f"--favorable {favorable}: column {target!r} of {source} holds "
            f"{texts[:10]}, not {favorable!r}."
        )
    return (values.astype(str) == favorable).astype(np.int64)


def _html(summary: Any, compare: Any, notes: list[str]) -> str:
    import html

    note_items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<title>twinaudit mitigation</title></head><body>"
        "<h1>Before and after mitigation</h1>"
        "<p>Every model re-audited on the same twins; accuracy on the held-out "
        "rows.</p>"
        f"{summary.to_html(float_format=lambda v: f'{v:.3f}', na_rep='undefined')}"
        "<h2>Every metric, per strategy and group</h2>"
        f"{compare.to_html(float_format=lambda v: f'{v:.4f}', na_rep='undefined')}"
        f"<h2>Notes</h2><ul>{note_items}</ul></body></html>"
    )


def mitigate_command(
    data: Annotated[
        Path,
        typer.Option(
            metavar="CSV", help="Training rows (CSV or Parquet).", show_default=False
        ),
    ],
    target: Annotated[
        str,
        typer.Option(
            metavar="COLUMN", help="Column of true labels.", show_default=False
        ),
    ],
    protected: Annotated[
        list[str],
        typer.Option(
            "--protected",
            "-p",
            metavar="COLUMN=PRIVILEGED",
            help="A protected column and its privileged value (repeatable).",
            show_default=False,
        ),
    ],
    strategy: Annotated[
        list[str],
        typer.Option(
            "--strategy",
            "-s",
            metavar="NAME",
            help="A strategy of twinaudit.mitigation.STRATEGIES (repeatable).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            metavar="DIR",
            help="A new folder for the models and the report.",
            show_default=False,
        ),
    ],
    test: Annotated[
        Path | None,
        typer.Option(
            metavar="CSV",
            help="Held-out rows: twins and accuracy (default: the training rows' "
            "twins, accuracy not measured).",
        ),
    ] = None,
    estimator: Annotated[
        str,
        typer.Option(metavar="logistic|tree|gbm|FILE", help="The model to mitigate."),
    ] = "logistic",
    favorable: Annotated[
        str | None,
        typer.Option(
            metavar="LABEL",
            help="The favourable value of --target when it is not 0/1.",
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(min=0, metavar="SEED", help="Seed of every strategy.")
    ] = 0,
) -> None:
    """Mitigate a model with each strategy, re-audit on the same twins, and write the
    models (.skops) and the before/after report (HTML, JSON) into a new folder."""
    from twinaudit.cli import (
        _check_target,
        _console,
        _parse_protected,
        _privileged_values,
        _read_data,
    )

    # Options first, before anything slow runs.
    from twinaudit.exceptions import DataError, OutputExistsError
    from twinaudit.mitigation import STRATEGIES, make_strategy

    if out.exists():
        raise OutputExistsError(
            f"--out {out}: it already exists; give a new folder (twinaudit never "
            "writes into or over an existing one)."
        )
    if not out.parent.is_dir():
        raise DataError(f"--out {out}: the folder {str(out.parent)!r} does not exist.")
    for name in strategy:
        if name not in STRATEGIES:
            make_strategy(name, None)  # unknown: raises, naming the closest
    wanted = _parse_protected(protected)

    import pandas as pd

    from twinaudit.generation import from_frame
    from twinaudit.mitigation import mitigate

    frame = _read_data(data)
    privileged = _privileged_values(frame, wanted, str(data))
    _check_target(frame, target, privileged, str(data))
    y = _labels(frame, target, favorable, str(data))
    X = frame.drop(columns=[target])
    X_test = y_test = None
    rows = frame
    if test is not None:
        held_out = _read_data(test)
        _check_target(held_out, target, privileged, str(test))
        y_test = _labels(held_out, target, favorable, str(test))
        X_test = held_out.drop(columns=[target])
        rows = held_out
    twin_rows = rows.drop(columns=[target]).assign(
        **{target: y_test if y_test is not None else y}
    )
    twins = from_frame(twin_rows, protected=privileged, seed=seed)
    model = _estimator(estimator, X, seed)
    result = mitigate(
        model,
        X,
        y,
        twins=twins,
        sensitive_features=list(privileged),
        strategies=list(strategy),
        X_test=X_test,
        y_test=y_test,
        y_true=target,
        random_state=seed,
    )

    # Everything rendered, then written into a temporary folder beside --out and
    # renamed: a failure (or a kill) never leaves a half-written --out.
    summary = result.summary()
    compare = result.compare()
    notes = [*result.before.notes]
    for r in result:
        notes += [f"{r.strategy}: {n}" for n in (*r.notes, *r.report.notes)]
    records = []
    for index, values in zip(compare.index, compare.to_numpy(), strict=True):
        record: dict[str, Any] = {
            "strategy": index[0],
            "attribute": index[1],
            "group": str(index[2]),
        }
        keys: list[Any] = list(compare.columns)
        for key, x in zip(keys, values, strict=True):
            record[f"{key[0]}.{key[1]}"] = None if pd.isna(x) else x
        records.append(record)
    document = {
        "sensitive_features": list(result.sensitive_features),
        "accuracy_on": result.accuracy_on,
        "summary": json.loads(summary.reset_index().to_json(orient="records")),
        "compare": json.loads(json.dumps(records, default=_plain)),
        "before": result.before.to_dict(),
        "after": {r.strategy: r.report.to_dict() for r in result},
        "notes": notes,
    }
    from twinaudit._files import terminate_as_exception

    # SIGTERM raises here, so the temporary directory is removed as on any error.
    with terminate_as_exception():
        _publish(result, document, _html(summary, compare, notes), out)
    console = _console()
    console.print(result)
    console.print(
        f"Wrote {len(result)} model(s) and report.html, report.json to {out}. Load a "
        "model with twinaudit.load_model(path, trusted=[...]) after checking its "
        "types (skops.io.get_untrusted_types)."
    )


def _publish(result: Any, document: dict[str, Any], html: str, out: Path) -> None:
    """Write every file into a fresh hidden directory beside ``out``, then rename it
    to ``out``: a failure, Ctrl-C or SIGTERM removes it and leaves no ``out``."""
    import skops.io as sio  # type: ignore[import-untyped]

    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for r in result:
            sio.dump(r.model, tmp / f"{r.strategy}.skops")
        (tmp / "report.json").write_text(
            json.dumps(document, indent=2, default=_plain, allow_nan=False),
            encoding="utf-8",
        )
        (tmp / "report.html").write_text(html, encoding="utf-8")
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _plain(value: Any) -> Any:
    import math

    import numpy as np

    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)
