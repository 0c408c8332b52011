"""``twinaudit demo``: the tutorial's story, end to end, with every number measured."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from twinaudit.datasets import LOAN_FEATURES as FEATURES
from twinaudit.datasets import loan_applications, loan_model, loan_twin_spec
from twinaudit.generation import Twins, generate
from twinaudit.mitigation import MitigationReport, mitigate
from twinaudit.report import AuditReport, audit

THRESHOLD = 80_000


@dataclass(frozen=True, eq=False)
class DemoResult:
    history: Any
    held_out: Any
    model: Any
    twins: Twins
    report: AuditReport
    mitigation: MitigationReport
    seconds: float

    def flips_by_income(self) -> dict[str, tuple[int, int]]:
        """(flipped pairs, pairs) below and at-or-above the threshold."""
        decisions = self.report.scored.decision_matrix()
        income = self.twins.frame["Income"].to_numpy()[:: self.twins.n_variants]
        flipped = decisions[:, 0] != decisions[:, 1]
        below = income < THRESHOLD
        return {
            "below": (int(flipped[below].sum()), int(below.sum())),
            "above": (int(flipped[~below].sum()), int((~below).sum())),
        }


def run_demo(n_history: int = 1000, n_pairs: int = 1000, seed: int = 42) -> DemoResult:
    start = time.perf_counter()
    history = loan_applications(n_history, seed=seed)
    held_out = loan_applications(n_history, seed=seed + 1)
    model = loan_model(history, seed=seed)
    twins = generate(loan_twin_spec(seed), n_pairs)
    report = audit(model, twins)
    mitigation = mitigate(
        model,
        history[FEATURES],
        history["Approved"],
        twins=twins,
        X_test=held_out[FEATURES],
        y_test=held_out["Approved"],
    )
    return DemoResult(
        history, held_out, model, twins, report, mitigation, time.perf_counter() - start
    )


def _tree_split(model: Any) -> float | None:
    tree = getattr(model, "tree_", None)
    if tree is None:
        return None
    income = FEATURES.index("Income")
    splits = [
        t for f, t in zip(tree.feature, tree.threshold, strict=True) if f == income
    ]
    return float(min(splits, key=lambda t: abs(t - THRESHOLD))) if splits else None


def render_demo(result: DemoResult, console: Any, show_pairs: int = 10) -> None:
    from rich.panel import Panel
    from rich.rule import Rule

    history = result.history
    men = history["Gender"] == "Male"
    console.print(Rule("[bold]twinaudit demo: the tutorial's loan audit[/bold]"))
    console.print(
        f"[bold]1. Biased history.[/bold] {len(history):,} loan applications (seed "
        f"{result.twins.spec.seed if result.twins.spec else ''}): "
        "incomes 30,000-120,000; "
        f"men approved {history.loc[men, 'Approved'].mean():.0%}, women "
        f"{history.loc[~men, 'Approved'].mean():.0%} (only above 80,000). A "
        f"{type(result.model).__name__} is trained on {FEATURES}."
    )
    console.print(
        f"[bold]2. Counterfactual twins.[/bold] Mimesis generates "
        f"{result.twins.n_pairs:,} applicant profiles; each is cloned into a male "
        "and a female twin with the same ID and income. The audit uses [bold]strict"
        "[/bold] mode: the twins also share the profile's first name, so only the "
        "gender differs, even where the name reads as the other gender's. In "
        "[bold]proxy[/bold] mode each twin gets a name of its own gender, as a real "
        "applicant would (twinaudit generate --mode proxy)."
    )
    console.print(decision_table(result.report, show_pairs))
    if show_pairs:
        console.print(mode_table(result.twins, min(show_pairs, 3)))
    console.print("[bold]3. Audit.[/bold]")
    console.print(result.report)
    flips = result.flips_by_income()
    (fb, nb), (fa, na) = flips["below"], flips["above"]
    split = _tree_split(result.model)
    split_text = (
        f" (the tree splits at income {split:,.1f})" if split is not None else ""
    )
    console.print(
        f"Where the flips are: {fb:,} of {nb:,} pairs with income below 80,000 flip "
        f"(male approved, female denied); {fa:,} of {na:,} at or above 80,000 do"
        f"{split_text}."
    )
    console.print(
        "[bold]4. Mitigate and re-audit.[/bold] Each strategy retrains the "
        "tree; accuracy is against a held-out history with the same bias."
    )
    console.print(result.mitigation)
    console.print(
        Panel.fit("\n".join(interpretation(result)), title="What the numbers say")
    )
    console.print(f"[dim]Ran in {result.seconds:.1f} s.[/dim]")


def interpretation(result: DemoResult) -> list[str]:
    """Plain-language reading of the measured before/after numbers."""
    mitigation = result.mitigation
    before = float(mitigation.before.flip(mitigation.attribute)["flip_rate"])
    lines = []
    for r in mitigation:
        after = float(r.report.flip(mitigation.attribute)["flip_rate"])
        if np.isclose(after, before):
            change = f"left the flip rate at {after:.3f}"
        else:
            change = f"moved the flip rate from {before:.3f} to {after:.3f}"
        line = (
            f"{r.label} {change}; {mitigation.accuracy_on} accuracy "
            f"{mitigation.before_accuracy:.3f} -> {r.accuracy:.3f}."
        )
        if np.isclose(after, before) and any("cannot balance" in n for n in r.notes):
            line += (
                " A (group, label) cell of the history is empty, so the weights "
                "cannot hide the attribute from the model."
            )
        if after < before and r.accuracy < mitigation.before_accuracy:
            line += (
                " The accuracy drop is measured against labels that carry the "
                "same bias."
            )
        lines.append(line)
    return lines


def decision_table(report: Any, n_pairs: int = 10) -> Any:
    """The tutorial's table: a few pairs, each twin with its decision."""
    from rich.table import Table

    scored = report.scored
    twins = scored.twins
    frame = report.decisions(n_pairs)
    mode = twins.spec.mode if twins.spec is not None else None
    meaning = {
        "strict": " (strict mode: twins share every column but the attribute)",
        "proxy": " (proxy mode: names follow each twin's own attribute)",
    }.get(str(mode), "")
    table = Table(
        title=f"First {min(n_pairs, twins.n_pairs)} twin pairs and the "
        f"model's decisions{meaning}",
        header_style="bold",
    )
    shown = [c for c in frame.columns if c not in ("decision", "decision_score")]
    for column in shown:
        table.add_column(str(column), overflow="fold")
    table.add_column("decision")
    if scored.scores is not None:
        table.add_column("score", justify="right")
    y_pred = scored.y_pred[: len(frame)]
    for i, values in enumerate(frame.to_dict("records")):
        cells = [_cell(values[c]) for c in shown]
        style = "green" if y_pred[i] else "red"
        verdict = "favourable" if y_pred[i] else "unfavourable"
        cells.append(f"[{style}]{values['decision']} ({verdict})[/{style}]")
        if scored.scores is not None:
            cells.append(f"{values['decision_score']:.2f}")
        end_section = (i + 1) % twins.n_variants == 0
        table.add_row(*cells, end_section=end_section)
    return table


def mode_table(twins: Twins, n_pairs: int) -> Any:
    """The first pairs' proxies in both modes: the same base profiles, with the
    proxy held fixed (strict) or drawn for each twin's own value (proxy)."""
    from rich.table import Table

    spec = twins.spec
    if spec is None or not spec.proxies:
        return Table(title="(these twins declare no proxy)")
    strict = generate(spec, n_pairs, mode="strict").frame
    proxy = generate(spec, n_pairs, mode="proxy").frame
    table = Table(
        title="What the two modes do to the proxies of the same profiles",
        caption="strict isolates the attribute; proxy shows the applicant as a "
        "member of each group would look. The tree reads only "
        f"{', '.join(FEATURES)}, so its decisions are the same in both.",
        header_style="bold",
    )
    names = [p.name for p in spec.proxies]
    attributes = [a.name for a in spec.protected]
    for column in ["pair", *attributes]:
        table.add_column(column)
    for name in names:
        table.add_column(f"{name} (strict)")
        table.add_column(f"{name} (proxy)")
    pair = spec.pair_column
    for i in range(len(strict)):
        cells = [str(strict[pair].iat[i]), *(str(strict[a].iat[i]) for a in attributes)]
        for name in names:
            cells += [str(strict[name].iat[i]), str(proxy[name].iat[i])]
        table.add_row(*cells, end_section=(i + 1) % twins.n_variants == 0)
    return table


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return f"{value:,}" if abs(int(value)) >= 10_000 else str(value)
    text = str(value)
    return text if len(text) <= 24 else text[:8] + "…"
