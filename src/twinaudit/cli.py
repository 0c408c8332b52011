"""The command line: ``twinaudit audit``, ``demo``, ``generate``, ``validate``.

Heavy imports (pandas, Mimesis, AIF360, Fairlearn, skops) happen inside the
commands, so ``twinaudit --help`` stays fast.

Exit codes, for CI:

- 0: success (for ``audit --policy``: the verdict is ``pass``);
- 1: ``audit --policy``: the verdict is ``fail``;
- 2: usage or input error: a bad option, a missing, malformed or refused file, an
  output that cannot be written, any twinaudit error (one line on stderr says what
  was wrong and how to fix it);
- 3: ``audit --policy``: the verdict is ``inconclusive`` (an interval straddles a
  threshold, a cell is too small: audit more pairs);
- 70: internal error, a bug in twinaudit (``EX_SOFTWARE`` of ``sysexits.h``):
  please report it;
- 130: interrupted (Ctrl-C);
- 143: terminated (SIGTERM); like Ctrl-C, it removes the temporary file of a write.

No traceback is shown unless ``twinaudit --debug ...`` or the environment variable
``TWINAUDIT_DEBUG=1`` asks for it.

All of this is handled once, by the command group (:class:`TwinauditGroup`), for
every command, including those defined in other modules and attached at the end of
this file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

import typer
from typer.core import TyperArgument, TyperGroup
from typer.exceptions import TyperException

if TYPE_CHECKING:
    import pandas as pd


EXIT_OK = 0
EXIT_FAIL = 1
EXIT_INPUT = 2
EXIT_INCONCLUSIVE = 3
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

ReportFormat = Literal["console", "json", "md", "html"]
DEBUG_KEY = "twinaudit.debug"


class CommandLineError(Exception):
    """Options that do not fit together (exit code 2); raised by the commands and
    printed like every input error."""


def _console(stderr: bool = False) -> Any:
    """A Rich console; wide enough for the tables when writing to a file or pipe."""
    from rich.console import Console

    console = Console(stderr=stderr)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console = Console(stderr=stderr, width=140)
    return console


def _error(message: str, prefix: str = "error") -> None:
    """One message on stderr, never wrapped (CI logs keep it whole)."""
    label = typer.style(f"{prefix}:", fg="red", bold=True)
    typer.echo(f"{label} {' '.join(message.split())}", err=True)


def _input_error_types() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "a user file is wrong", from the modules already loaded
    (the safety net behind the commands' own checks)."""
    import tomllib

    kinds: list[type[BaseException]] = [
        OSError,
        UnicodeDecodeError,
        tomllib.TOMLDecodeError,
    ]
    if "yaml" in sys.modules:
        kinds.append(sys.modules["yaml"].YAMLError)
    if "pandas" in sys.modules:
        errors = sys.modules["pandas"].errors
        kinds += [errors.ParserError, errors.EmptyDataError]
    return tuple(kinds)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror and exc.filename is not None:
        return f"{exc.strerror}: {str(exc.filename)!r}."
    return str(exc) or type(exc).__name__


def _show_warnings(caught: Sequence[warnings.WarningMessage]) -> None:
    """Each warning once, as one ``warning:`` line (no source line, no path)."""
    from twinaudit.exceptions import TwinauditWarning

    seen: set[str] = set()
    for record in caught:
        message = str(record.message)
        if not issubclass(record.category, TwinauditWarning):
            message = f"{record.category.__name__}: {message}"
        if message not in seen:
            seen.add(message)
            label = typer.style("warning:", fg="yellow", bold=True)
            typer.echo(f"{label} {' '.join(message.split())}", err=True)


def _debug(ctx: Any) -> bool:
    return bool(ctx.meta.get(DEBUG_KEY)) or os.environ.get("TWINAUDIT_DEBUG") == "1"


def _exit_code_of(exc: Exception, debug: bool) -> int:
    """Print ``exc`` as one line on stderr and return its exit code (2 input error,
    70 bug)."""
    from twinaudit.exceptions import TwinauditError

    if debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, TwinauditError | CommandLineError):
        _error(str(exc))
        return EXIT_INPUT
    if isinstance(exc, _input_error_types()):
        _error(_describe(exc))
        return EXIT_INPUT
    _error(
        f"{type(exc).__name__}: {exc}. This is a bug in twinaudit; please report it "
        "with the command you ran (twinaudit --debug ... shows the traceback).",
        prefix="internal error",
    )
    return EXIT_INTERNAL


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM raises :class:`~twinaudit._files.Terminated` while a command runs, so
    a write in progress removes its temporary file (as on Ctrl-C)."""
    from twinaudit._files import _raise_terminated

    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _metavar(param: Any) -> str | None:
    """What help shows after an option: its metavar, its choices, its name."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return None
    if isinstance(param, TyperArgument):
        return None  # the name column already shows it
    if param.metavar:
        return str(param.metavar)
    described = getattr(param, "type_descriptor", None)
    if described is not None and described.is_choice and described.choices:
        return "|".join(str(getattr(c, "value", c)) for c in described.choices)
    return str(param.name).upper()


def _plain_help(command: Any) -> None:
    """Help without typer's type placeholders (``<bool>``, ``<int range>``,
    ``{spec}``): an option shows its metavar or its choices, a flag nothing, an
    argument its name."""
    if getattr(command, "_twinaudit_plain_help", False):
        return
    get_help_option = command.get_help_option

    def help_option(ctx: Any) -> Any:
        option = get_help_option(ctx)
        if option is not None:
            setattr(option, "display_type_rich", lambda ctx: None)  # noqa: B010
        return option

    setattr(command, "get_help_option", help_option)  # noqa: B010
    for param in command.params:
        label = _metavar(param)
        # typer draws these two from the parameter; set them per instance.
        setattr(param, "display_type_rich", lambda ctx, label=label: label)  # noqa: B010
        if isinstance(param, TyperArgument):
            name = param.metavar = str(param.metavar or param.name).upper()
            usage = name if param.required else f"[{name}]"
            setattr(param, "_usage_display_name", lambda usage=usage: usage)  # noqa: B010
    command._twinaudit_plain_help = True


class TwinauditGroup(TyperGroup):
    """The ``twinaudit`` command group: the one place where every command's errors,
    warnings, exit codes, signals and help formatting are handled.

    - a twinaudit error, a refused or unwritable file: one line on stderr and exit
      2; a usage error: one line naming the option and ``--help``, exit 2;
    - any other exception is a bug: one line, exit 70;
    - Ctrl-C: exit 130; SIGTERM: exit 143 (temporary files removed on both);
    - ``--debug`` (or ``TWINAUDIT_DEBUG=1``) also prints the traceback;
    - warnings are printed as one ``warning:`` line each;
    - messages about existing files name ``--force``.
    """

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _plain_help(command)
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _plain_help(self)
        super().format_help(ctx, formatter)

    def invoke(self, ctx: Any) -> Any:
        from twinaudit.exceptions import TwinauditWarning

        try:
            with warnings.catch_warnings(record=True) as caught:
                # twinaudit's own warnings are part of the output; others follow
                # the filters in force (shown by default, errors in the test suite).
                warnings.simplefilter("always", TwinauditWarning)
                try:
                    return super().invoke(ctx)
                finally:
                    _show_warnings(caught)  # before the error, in the order raised
        except (typer.Exit, typer.Abort, TyperException):
            raise  # an exit code already chosen, or a usage error (see main)
        except KeyboardInterrupt as exc:
            _error("interrupted.")
            raise typer.Exit(EXIT_INTERRUPTED) from exc
        except Exception as exc:
            raise typer.Exit(_exit_code_of(exc, _debug(ctx))) from exc

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        from twinaudit._files import OVERWRITE_HINT, Terminated

        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        hint = OVERWRITE_HINT.set("use --force")
        try:
            with _sigterm_raises():
                result = super().main(args, prog_name, complete_var, False, **extra)
            code = result if isinstance(result, int) else EXIT_OK
        except Terminated as exc:
            _error("terminated.")
            code = int(exc.code) if isinstance(exc.code, int) else EXIT_TERMINATED
        except typer.Abort:
            _error("interrupted.")
            code = EXIT_INTERRUPTED
        except TyperException as exc:
            code = _usage_error(exc)
        except BrokenPipeError:  # `twinaudit ... | head`: the reader has gone
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (flushed at exit)
            code = EXIT_FAIL
        except Exception as exc:  # raised while parsing, outside any command
            code = _exit_code_of(exc, os.environ.get("TWINAUDIT_DEBUG") == "1")
        finally:
            OVERWRITE_HINT.reset(hint)
        sys.exit(code)


def _usage_error(exc: Any) -> int:
    """A usage error as one line, with where to read the usage."""
    if type(exc).__name__ == "NoArgsIsHelpError":
        return EXIT_INPUT  # the help was printed
    ctx = getattr(exc, "ctx", None)
    where = f" See '{ctx.command_path} --help'." if ctx is not None else ""
    # typer words a choice error "Value error, 'x' is not one of ...".
    message = exc.format_message().rstrip().replace(": Value error, ", ": ")
    if message and message[-1] not in ".?!":
        message += "."
    _error(f"{message}{where}")
    return int(getattr(exc, "exit_code", EXIT_INPUT))


app = typer.Typer(
    name="twinaudit",
    cls=TwinauditGroup,
    help="Audit machine-learning models for bias with counterfactual twins.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"twinaudit {version('twinaudit')}")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="Show the traceback of an error (also TWINAUDIT_DEBUG=1).",
        ),
    ] = False,
) -> None:
    """Audit machine-learning models for bias with counterfactual twins."""
    ctx.meta[DEBUG_KEY] = debug


# -- audit ---------------------------------------------------------------------------
def _parse_protected(items: Sequence[str]) -> dict[str, str]:
    """``["sex=Male", ...]`` as ``{"sex": "Male"}`` (split at the first ``=``)."""
    parsed: dict[str, str] = {}
    for item in items:
        column, sep, value = item.partition("=")
        if not sep or not column or not value:
            raise CommandLineError(
                "--protected must be COLUMN=PRIVILEGED, e.g. --protected sex=Male. "
                f"Got {item!r}."
            )
        if column in parsed:
            raise CommandLineError(
                f"--protected names column {column!r} twice ({parsed[column]!r} and "
                f"{value!r}); give each protected column once, with its privileged "
                "value."
            )
        parsed[column] = value
    return parsed


def _read_data(path: Path) -> pd.DataFrame:
    """The rows of a CSV (or Parquet) file, each failure a :class:`DataError`."""
    import pandas as pd

    from twinaudit.exceptions import DataError

    if not path.exists():
        raise DataError(f"Data file {str(path)!r} does not exist.")
    if path.is_dir():
        raise DataError(f"Data file {str(path)!r} is a directory, not a file.")
    parquet = path.suffix.lower() == ".parquet"
    try:
        return pd.read_parquet(path) if parquet else pd.read_csv(path)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"Data file {str(path)!r} is empty.") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as exc:
        kind = "Parquet" if parquet else "CSV"
        reason = str(exc).strip().rstrip(".")
        raise DataError(
            f"Cannot read data file {str(path)!r} as {kind}: {reason}."
        ) from exc


def _shown(values: Sequence[str], limit: int = 10) -> str:
    listed = ", ".join(repr(v) for v in values[:limit])
    more = f", ... ({len(values)} values)" if len(values) > limit else ""
    return f"[{listed}{more}]"


def _privileged_values(
    frame: pd.DataFrame, protected: Mapping[str, str], source: str
) -> dict[str, Any]:
    """Each ``--protected`` text as the value of its column it spells (CSV values are
    read as numbers where they look like numbers, the options are text)."""
    from twinaudit.exceptions import DataError, did_you_mean

    columns = [str(c) for c in frame.columns]
    out: dict[str, Any] = {}
    for column, text in protected.items():
        if column not in frame.columns:
            raise DataError(
                f"--protected {column}={text}: {source} has no column {column!r}."
                f"{did_you_mean(column, columns)} Columns: {columns}."
            )
        values = frame[column].dropna().unique().tolist()
        matches = [v for v in values if str(v) == text]
        if not matches and frame[column].dtype.kind in "iuf":
            try:
                number = float(text)
            except ValueError:
                number = None
            matches = [v for v in values if number is not None and v == number]
        if not matches:
            texts = [str(v) for v in sorted(values, key=lambda v: (str(type(v)), v))]
            raise DataError(
                f"--protected {column}={text}: {text!r} is not a value of column "
                f"{column!r} in {source}, which holds {_shown(texts)}."
                f"{did_you_mean(text, texts)}"
            )
        out[column] = matches[0]
    return out


def _favorable_label(model: Any, text: str) -> Any:
    """The model's class spelled ``text`` (a number for a model without
    ``classes_``, where ``text`` reads as one)."""
    from twinaudit.exceptions import ModelError, did_you_mean

    classes = getattr(model, "classes_", None)
    if classes is not None:
        labels = list(classes.tolist() if hasattr(classes, "tolist") else classes)
        for label in labels:
            if str(label) == text:
                return label
        texts = [str(label) for label in labels]
        raise ModelError(
            f"--favorable {text}: the model predicts {texts}, not {text!r}."
            f"{did_you_mean(text, texts)}"
        )
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _check_target(
    frame: pd.DataFrame, target: str, protected: Mapping[str, Any], source: str
) -> None:
    from twinaudit.exceptions import DataError, did_you_mean

    columns = [str(c) for c in frame.columns]
    if target not in frame.columns:
        raise DataError(
            f"--target {target}: {source} has no column {target!r}."
            f"{did_you_mean(target, columns)} Columns: {columns}."
        )
    if target in protected:
        raise DataError(
            f"--target {target}: the label column cannot also be a --protected "
            "attribute; name the column of true labels."
        )


def _features(model: Any, frame: pd.DataFrame, target: str) -> list[str] | None:
    """The columns to feed the model: its ``feature_names_in_`` (None here), never
    the label column; every other column for a model that does not name them."""
    from twinaudit.exceptions import DataError

    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        if target in [str(n) for n in names]:
            raise DataError(
                f"--target {target}: the model reads {target!r} as a feature, so it "
                "would see the true label. Name the label column the model was not "
                "trained on, or retrain the model without it."
            )
        return None
    if hasattr(model, "n_features_in_"):
        return None  # fitted on an array: score() asks for the columns
    return [str(c) for c in frame.columns if c != target]


def _render(report: Any, fmt: ReportFormat, *, to_file: bool) -> str | None:
    """The report as text in ``fmt``; None for the console on a terminal (printed
    directly, with colours)."""
    if fmt == "json":
        return cast(str, report.to_json())
    if fmt == "md":
        return cast(str, report.to_markdown())
    if fmt == "html":
        return cast(str, report.to_html())
    if not to_file:
        return None
    import io

    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, width=120, color_system=None).print(report)
    return buffer.getvalue()


@app.command("audit")
def audit_command(
    model: Annotated[
        Path,
        typer.Option(
            "--model",
            "-m",
            metavar="FILE",
            help="Fitted model: .skops (loaded safely), or .pkl/.pickle/.joblib "
            "with --trust-pickle.",
            show_default=False,
        ),
    ],
    spec: Annotated[
        Path | None,
        typer.Option(
            metavar="SPEC",
            help="Spec file (.yaml, .yml, .toml) to generate twins from.",
        ),
    ] = None,
    pairs: Annotated[
        int | None,
        typer.Option(
            "--pairs",
            "-n",
            min=1,
            metavar="PAIRS",
            help="Pairs to generate from --spec (default 1,000).",
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            metavar="CSV",
            help="CSV (or Parquet) of real rows; each row gets its twins.",
        ),
    ] = None,
    protected: Annotated[
        list[str] | None,
        typer.Option(
            "--protected",
            "-p",
            metavar="COLUMN=PRIVILEGED",
            help="A protected column of --data and its privileged value, as written "
            "in the file (repeatable).",
        ),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            metavar="COLUMN",
            help="Column of --data with the true labels (never fed to the model).",
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Policy file (.yaml, .yml, .toml); sets the exit code."
        ),
    ] = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="Report format.")
    ] = "console",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE",
            help="Write the report here (default: stdout).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the --out file if it exists.")
    ] = False,
    trust_pickle: Annotated[
        bool,
        typer.Option(
            "--trust-pickle",
            help="Load a pickle/joblib model. Loading a pickle runs code from the "
            "file: only for files you trust.",
        ),
    ] = False,
    trust: Annotated[
        list[str] | None,
        typer.Option(
            metavar="TYPE",
            help="A type to trust in a .skops file, e.g. sklearn.tree._tree.Tree "
            "(repeatable).",
        ),
    ] = None,
    favorable: Annotated[
        str | None,
        typer.Option(
            metavar="LABEL",
            help="The favourable decision (default 1 for 0/1 models).",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            min=0,
            metavar="SEED",
            help="Seed of the twins (overrides the spec's) and the intervals.",
        ),
    ] = None,
    confidence: Annotated[
        float | None,
        typer.Option(
            metavar="C", help="Level of the intervals (default 0.95, or the policy's)."
        ),
    ] = None,
    allow_unread: Annotated[
        bool,
        typer.Option(
            "--allow-unread",
            help="Audit a protected attribute the model does not read (warns "
            "instead of stopping). To audit the column the model does read, protect "
            "that one, e.g. --protected Gender_Code=1.",
        ),
    ] = False,
    chunk_size: Annotated[
        int | None,
        typer.Option(
            "--chunk-size",
            min=1,
            metavar="PAIRS",
            help="Stream the audit this many pairs at a time, in bounded memory "
            "(same report; automatic above 1,000,000 pairs of a spec).",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            min=1,
            metavar="N",
            help="Threads scoring the chunks of a streamed audit (default: one "
            "per core).",
        ),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="SCHEDULER",
            help="Run the audit on a Dask cluster: a scheduler address such as "
            "tcp://10.0.0.5:8786, or 'local' for a 2-worker local cluster "
            "(needs twinaudit[dask]).",
        ),
    ] = None,
) -> None:
    """Audit a model on counterfactual twins; the exit code is the policy's verdict.

    Twins come from a spec (--spec) or from your rows (--data with --protected).
    Exit codes: 0 pass (or no policy), 1 fail, 3 inconclusive, 2 usage or input
    error, 70 internal error.
    """

    # Options first, before anything slow runs.
    if (spec is None) == (data is None):
        raise CommandLineError(
            "Give either --spec SPEC (twins generated from a spec) or --data CSV "
            "with --protected COLUMN=PRIVILEGED (twins of your rows), not "
            f"{'both' if spec is not None else 'neither'}."
        )
    wanted: dict[str, str] = {}
    if spec is not None:
        if protected:
            raise CommandLineError(
                "--protected is only used with --data; a spec file declares its "
                "protected attributes."
            )
        if target is not None:
            raise CommandLineError(
                "--target needs --data: twins generated from a spec have no true "
                "labels."
            )
    else:
        if pairs is not None:
            raise CommandLineError(
                "--pairs is only used with --spec; --data gives every row its twins."
            )
        if not protected:
            raise CommandLineError(
                "--data needs at least one --protected COLUMN=PRIVILEGED, e.g. "
                "--protected sex=Male."
            )
        wanted = _parse_protected(protected)
    if jobs is not None and chunk_size is None and dask is None:
        raise CommandLineError(
            "--jobs scores the chunks of a streamed audit: add --chunk-size PAIRS "
            "(or --dask SCHEDULER)."
        )
    stream: dict[str, Any] = {"chunk_size": chunk_size, "n_jobs": jobs}
    if dask is not None:
        stream["backend"] = "dask"
        if dask != "local":
            stream["client"] = dask
    if out is not None:
        from twinaudit._files import check_output

        check_output(out, overwrite=force)  # before anything slow runs

    # Inputs.
    from twinaudit._models import load_model
    from twinaudit.report import audit

    loaded_policy = None
    if policy is not None:
        from twinaudit.report._policy import load_policy

        loaded_policy = load_policy(policy)
    fitted = load_model(model, trust_pickle=trust_pickle, trusted=trust or ())
    favorable_label = None if favorable is None else _favorable_label(fitted, favorable)
    options: dict[str, Any] = {}
    if spec is not None:
        import dataclasses

        from twinaudit.spec import load_spec

        twin_spec = load_spec(spec)
        if seed is not None:
            twin_spec = dataclasses.replace(twin_spec, seed=seed)
        twins: Any = twin_spec
        options["n_pairs"] = pairs
    else:
        from twinaudit.generation import from_frame

        assert data is not None
        frame = _read_data(data)
        privileged = _privileged_values(frame, wanted, str(data))
        if target is not None:
            _check_target(frame, target, privileged, str(data))
            options["y_true"] = target
            options["features"] = _features(fitted, frame, target)
        twins = from_frame(frame, protected=privileged, seed=seed or 0)
    report = audit(
        fitted,
        twins,
        favorable_label=favorable_label,
        confidence=confidence,
        policy=loaded_policy,
        random_state=seed or 0,
        allow_unread=allow_unread,
        **options,
        **stream,
    )

    # Output: rendered in full before a file is touched, written atomically.
    text = _render(report, fmt, to_file=out is not None)
    if out is not None:
        from twinaudit._files import write_text

        assert text is not None
        write_text(out, text, overwrite=force)
        typer.echo(f"Wrote the {fmt} report to {out}.", err=True)
    elif text is None:
        _console().print(report)
    else:
        typer.echo(text, nl=not text.endswith("\n"))
    if loaded_policy is None:
        return
    verdict = report.verdict()
    if out is not None or fmt != "console":
        typer.echo(str(verdict), err=True)
    raise typer.Exit(verdict.exit_code)


@app.command()
def demo(
    pairs: Annotated[
        int, typer.Option(min=1, metavar="PAIRS", help="Twin pairs to audit.")
    ] = 1000,
    history: Annotated[
        int,
        typer.Option(min=10, metavar="N", help="Historical applications to train on."),
    ] = 1000,
    seed: Annotated[
        int,
        typer.Option(min=0, metavar="SEED", help="Seed of the history and the twins."),
    ] = 42,
    show: Annotated[
        int, typer.Option(min=0, metavar="K", help="Twin pairs to print.")
    ] = 10,
    json_out: Annotated[
        Path | None,
        typer.Option(
            "--json",
            metavar="FILE",
            help="Also write the audit report as JSON here.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the --json file if it exists.")
    ] = False,
) -> None:
    """Run the tutorial's audit end to end: history, model, twins, mitigation."""
    if json_out is not None:
        from twinaudit._files import check_output

        check_output(json_out, overwrite=force)  # before the demo runs

    from twinaudit._demo import render_demo, run_demo

    result = run_demo(n_history=history, n_pairs=pairs, seed=seed)
    render_demo(result, _console(), show_pairs=show)
    if json_out is not None:
        result.report.to_json(json_out, overwrite=force)
        _console().print(f"Wrote the audit report to {json_out}.")


@app.command()
def generate(
    spec: Annotated[
        Path,
        typer.Argument(
            metavar="SPEC", help="Spec file (.yaml, .yml or .toml).", show_default=False
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE",
            help="Output file: .csv or .parquet.",
            show_default=False,
        ),
    ],
    pairs: Annotated[
        int,
        typer.Option(
            "--pairs",
            "-n",
            min=1,
            metavar="PAIRS",
            help="Pairs to generate (each pair is one base profile and its twins).",
        ),
    ] = 1000,
    mode: Annotated[
        Literal["strict", "proxy"] | None,
        typer.Option(
            help="Override the spec's mode: strict holds proxies fixed within a "
            "pair, proxy moves them with the attribute.",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(min=0, metavar="SEED", help="Override the spec's seed."),
    ] = None,
    chunk_size: Annotated[
        int,
        typer.Option(min=1, metavar="PAIRS", help="Pairs per chunk (bounds memory)."),
    ] = 100_000,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the output file if it exists.")
    ] = False,
) -> None:
    """Generate twins from a spec file and write them to CSV or Parquet, in chunks."""
    from twinaudit._files import check_output
    from twinaudit._io import twins_format

    twins_format(out)
    check_output(out, overwrite=force)  # before the spec is even read

    from twinaudit._io import write_twins
    from twinaudit.spec import load_spec

    loaded = load_spec(spec)
    rows = write_twins(
        loaded,
        pairs,
        out,
        mode=mode,
        seed=seed,
        chunk_size=chunk_size,
        overwrite=force,
        progress=_console(stderr=True),
    )
    _console().print(f"Wrote {rows:,} twins ({pairs:,} pairs) to {out}.")


#: ``twinaudit validate`` lists at most this many columns (all that move within a
#: pair, then the first others) and this many values of a protected attribute.
VALIDATE_ROWS = 60
VALIDATE_VALUES = 20


@app.command()
def validate(
    spec: Annotated[
        Path,
        typer.Argument(
            metavar="SPEC", help="Spec file (.yaml, .yml or .toml).", show_default=False
        ),
    ],
) -> None:
    """Check a spec file and show the columns it generates."""
    from rich.table import Table

    from twinaudit.spec import load_spec

    loaded = load_spec(spec)
    table = Table(title=f"{spec}: valid", header_style="bold")
    for name in ("column", "role", "moves within a pair"):
        table.add_column(name)
    moving = set(loaded.moving_columns)
    roles = {loaded.pair_column: "pair id"}
    for attribute in loaded.protected:
        values = list(attribute.values)
        shown = repr(values)
        if len(values) > VALIDATE_VALUES:
            first = ", ".join(map(repr, values[:VALIDATE_VALUES]))
            shown = f"[{first}, … ({len(values):,} values)]"
        roles[attribute.name] = (
            f"protected {shown}, privileged {attribute.privileged!r}"
        )
    for f in loaded.fields:
        roles[f.name] = f"{f.kind} field"
    for proxy in loaded.proxies:
        roles[proxy.name] = f"proxy of {proxy.attribute}"
    # Every column that moves within a pair, then the others up to a bound: a spec
    # of thousands of fields is summarised, not printed row by row.
    columns = list(loaded.columns)
    important = [c for c in columns if c in moving or c == loaded.pair_column]
    rest = [c for c in columns if c not in important]
    room = max(VALIDATE_ROWS - len(important), 0)
    shown_columns = set(important + rest[:room])
    for column in columns:
        if column in shown_columns:
            table.add_row(column, roles[column], "yes" if column in moving else "")
    hidden = len(rest) - min(room, len(rest))
    if hidden:
        table.add_row(f"… {hidden:,} more", "fields that do not move", "")
    console = _console()
    console.print(table)
    console.print(
        f"{loaded.n_variants} twins per pair; mode {loaded.mode}; seed {loaded.seed}; "
        f"locale {loaded.locale}."
    )


# -- commands defined in other modules ------------------------------------------------
# Attach each with one line, e.g. ``app.command("bench")(bench_command)``; keep the
# module's heavy imports inside its functions so that ``twinaudit --help`` stays fast.
# Errors, warnings, exit codes, --debug, SIGTERM and help come from TwinauditGroup.
from twinaudit._cli_bench import bench_command  # noqa: E402

app.command("bench")(bench_command)
from twinaudit._cli_mitigate import mitigate_command  # noqa: E402

app.command("mitigate")(mitigate_command)


def main() -> None:
    """Entry point of the ``twinaudit`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
