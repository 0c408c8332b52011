"""The command line: ``twinaudit demo``, ``twinaudit generate``, ``twinaudit validate``.

Heavy imports (pandas, Mimesis, AIF360, Fairlearn) happen inside the commands, so
``twinaudit --help`` stays fast.

Exit codes: 0 success, 1 bad input (a twinaudit error, message on stderr), 2 usage.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import typer

if TYPE_CHECKING:
    from twinaudit.spec import Mode

app = typer.Typer(
    name="twinaudit",
    help="Audit machine-learning models for bias with counterfactual twins.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])


def _console(stderr: bool = False) -> Any:
    """A Rich console; wide enough for the tables when writing to a file or pipe."""
    from rich.console import Console

    console = Console(stderr=stderr)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console = Console(stderr=stderr, width=140)
    return console


def _friendly_errors(func: F) -> F:
    """Print twinaudit errors as one clear message and exit with status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from twinaudit.exceptions import TwinauditError

        try:
            return func(*args, **kwargs)
        except TwinauditError as exc:
            from rich.markup import escape

            _console(stderr=True).print(
                f"[bold red]error:[/bold red] {escape(str(exc))}"
            )
            raise typer.Exit(1) from exc

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"twinaudit {version('twinaudit')}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = False,
) -> None:
    """Audit machine-learning models for bias with counterfactual twins."""


@app.command()
@_friendly_errors
def demo(
    pairs: Annotated[int, typer.Option(min=1, help="Twin pairs to audit.")] = 1000,
    history: Annotated[
        int, typer.Option(min=10, help="Historical applications to train on.")
    ] = 1000,
    seed: Annotated[
        int, typer.Option(min=0, help="Seed of the history and the twins.")
    ] = 42,
    show: Annotated[int, typer.Option(min=0, help="Twin pairs to print.")] = 10,
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Also write the audit report as JSON here."),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Overwrite the --json file if it exists.")
    ] = False,
) -> None:
    """Run the tutorial's audit end to end: history, model, twins, mitigation."""
    from twinaudit._demo import render_demo, run_demo

    if json_out is not None:
        from twinaudit._files import refuse_overwrite

        refuse_overwrite(json_out, force)  # before the demo runs
    result = run_demo(n_history=history, n_pairs=pairs, seed=seed)
    render_demo(result, _console(), show_pairs=show)
    if json_out is not None:
        result.report.to_json(json_out, overwrite=force)
        _console().print(f"Wrote the audit report to {json_out}.")


@app.command()
@_friendly_errors
def generate(
    spec: Annotated[Path, typer.Argument(help="Spec file (.yaml, .yml or .toml).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output file: .csv or .parquet.")
    ],
    pairs: Annotated[
        int, typer.Option("--pairs", "-n", min=1, help="Base profiles to generate.")
    ] = 1000,
    mode: Annotated[
        str | None, typer.Option(help="Override the spec's mode: strict or proxy.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Override the spec's seed.")
    ] = None,
    chunk_size: Annotated[
        int, typer.Option(min=1, help="Pairs per chunk (bounds memory).")
    ] = 100_000,
    force: Annotated[
        bool, typer.Option(help="Overwrite the output file if it exists.")
    ] = False,
) -> None:
    """Generate twins from a spec file and write them to CSV or Parquet, in chunks."""
    from twinaudit._io import write_twins
    from twinaudit.spec import load_spec

    loaded = load_spec(spec)
    if mode is not None and mode not in ("strict", "proxy"):
        raise typer.BadParameter(
            "mode must be 'strict' or 'proxy'.", param_hint="--mode"
        )
    rows = write_twins(
        loaded,
        pairs,
        out,
        mode=cast("Mode | None", mode),
        seed=seed,
        chunk_size=chunk_size,
        overwrite=force,
        progress=_console(stderr=True),
    )
    _console().print(f"Wrote {rows:,} twins ({pairs:,} pairs) to {out}.")


@app.command()
@_friendly_errors
def validate(
    spec: Annotated[Path, typer.Argument(help="Spec file (.yaml, .yml or .toml).")],
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
        roles[attribute.name] = (
            f"protected {list(attribute.values)}, privileged {attribute.privileged!r}"
        )
    for f in loaded.fields:
        roles[f.name] = f"{f.kind} field"
    for proxy in loaded.proxies:
        roles[proxy.name] = f"proxy of {proxy.attribute}"
    for column in loaded.columns:
        table.add_row(column, roles[column], "yes" if column in moving else "")
    console = _console()
    console.print(table)
    console.print(
        f"{loaded.n_variants} twins per pair; mode {loaded.mode}; seed {loaded.seed}; "
        f"locale {loaded.locale}."
    )


def main() -> None:
    """Entry point of the ``twinaudit`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
