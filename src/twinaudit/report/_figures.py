"""Figures of a report dict, as inline images (``data:`` URIs) for the HTML report.

matplotlib is imported lazily, and only its object-oriented API is used: each figure
is a :class:`matplotlib.figure.Figure` drawn by the Agg renderer (PNG) or the SVG
one, so no pyplot state and no backend of the user's session is touched. Mathtext is
off, so a group called ``$5k`` is drawn as written.
"""

from __future__ import annotations

import base64
import io
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal, cast

__all__ = [
    "MAX_PANELS",
    "flip_rate_by_bin_figure",
    "score_gap_figure",
    "selection_rate_figure",
]

ImageFormat = Literal["png", "svg"]

#: At most this many panels in one figure (the tables list everything).
MAX_PANELS = 12
_LABEL_CHARS = 32
_DPI = 96
_BLUE = "#2b6cb0"
_GREY = "#718096"
_LIGHT = "#a0aec0"
_RC = {
    "text.parse_math": False,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "twinaudit",
    "svg.fonttype": "none",
}


def _label(value: Any) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def _tick(row: Mapping[str, Any]) -> str:
    label = _label(row["group"])
    if row.get("privileged"):
        label += " (ref.)"
    if row.get("too_small"):
        label += " (small)"
    return label


def _float(value: Any) -> float | None:
    """``value`` as a float, or None when it is missing, nan or infinite."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if number and math.isfinite(value) else None


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(cast(Any, _RC)), warnings.catch_warnings():
        # A value in a script DejaVu Sans lacks is drawn as boxes, not an error.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from")
        warnings.filterwarnings("ignore", message=r"Matplotlib currently does not")
        yield


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    # No layout engine: margins are set by hand (constrained layout measures every
    # text twice and doubles the time of a figure).
    return Figure(figsize=(width, height), dpi=_DPI)


def _margins(figure: Any, *, left: float, bottom: float, top: float) -> None:
    """Margins in inches."""
    width, height = figure.get_size_inches()
    figure.subplots_adjust(
        left=left / width,
        right=1 - 0.25 / width,
        bottom=bottom / height,
        top=1 - top / height,
    )


def _encode(figure: Any, fmt: ImageFormat) -> str:
    buffer = io.BytesIO()
    if fmt == "png":
        figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
        mime = "image/png"
    elif fmt == "svg":
        figure.savefig(buffer, format="svg", metadata={"Date": None})
        mime = "image/svg+xml"
    else:
        raise ValueError(f"fmt must be 'png' or 'svg'. Got {fmt!r} instead.")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:{mime};base64,{data}"


def _grid(figure: Any, n: int, ncols: int, *, hspace: float) -> list[Any]:
    """``n`` panels in ``ncols`` columns; ``hspace`` in inches between rows."""
    nrows = math.ceil(n / ncols)
    height = figure.get_size_inches()[1]
    axes = (
        figure.subplots(
            nrows,
            ncols,
            squeeze=False,
            gridspec_kw={
                "hspace": hspace * nrows / height,
                "wspace": 0.3,
            },
        )
        .ravel()
        .tolist()
    )
    for ax in axes[n:]:
        ax.set_visible(False)
    return axes[:n]


def selection_rate_figure(
    groups: Sequence[Mapping[str, Any]], *, fmt: ImageFormat = "png"
) -> str | None:
    """Selection rate by group with its interval, one panel per attribute.

    Parameters
    ----------
    groups : sequence of mapping
        Rows of the report's ``groups`` for one population (keys ``attribute``,
        ``group``, ``privileged``, ``selection_rate``, ``selection_rate_low``,
        ``selection_rate_high``, ``n``, ``too_small``).
    fmt : {"png", "svg"}
        Image format of the data URI.

    Returns
    -------
    str or None
        A ``data:`` URI, or None when there is no group.
    """
    by_attribute: dict[str, list[Mapping[str, Any]]] = {}
    for row in groups:
        by_attribute.setdefault(str(row["attribute"]), []).append(row)
    if not by_attribute:
        return None
    panels = list(by_attribute.items())[:MAX_PANELS]
    sizes = [len(rows) for _, rows in panels]
    longest = max(len(_tick(row)) for _, rows in panels for row in rows)
    with _style():
        height = 0.75 + sum(0.28 * s + 0.55 for s in sizes)
        figure = _figure(6.4, height)
        axes = figure.subplots(
            len(panels),
            1,
            squeeze=False,
            sharex=True,
            gridspec_kw={"height_ratios": sizes, "hspace": 0.55 * len(panels) / height},
        )[:, 0]
        _margins(figure, left=0.25 + 0.068 * longest, bottom=0.5, top=0.3)
        for ax, (attribute, rows) in zip(axes, panels, strict=True):
            _selection_panel(ax, attribute, rows)
        axes[-1].set_xlabel("selection rate (favourable decisions / rows)")
        axes[-1].set_xlim(0, 1.08)
        return _encode(figure, fmt)


def _selection_panel(
    ax: Any, attribute: str, rows: Sequence[Mapping[str, Any]]
) -> None:
    ys = list(range(len(rows)))[::-1]
    # One bar and one error-bar call per panel (an artist per row is slow).
    bar_y, bar_w, colours, err_y, err_x, err_lo, err_hi = [], [], [], [], [], [], []
    for y, row in zip(ys, rows, strict=True):
        rate = _float(row.get("selection_rate"))
        if rate is None:
            ax.text(0.01, y, "undefined", va="center", fontsize=8, color=_GREY)
            continue
        bar_y.append(y)
        bar_w.append(rate)
        colours.append(
            _LIGHT
            if row.get("too_small")
            else _GREY
            if row.get("privileged")
            else _BLUE
        )
        low = _float(row.get("selection_rate_low"))
        high = _float(row.get("selection_rate_high"))
        end = rate
        if low is not None and high is not None:
            err_y.append(y)
            err_x.append(rate)
            err_lo.append(max(rate - low, 0.0))
            err_hi.append(max(high - rate, 0.0))
            end = max(high, rate)
        ax.text(min(end + 0.01, 1.0), y, f"{rate:.3f}", va="center", fontsize=8)
    ax.barh(bar_y, bar_w, height=0.6, color=colours, alpha=0.85)
    if err_y:
        ax.errorbar(
            err_x,
            err_y,
            xerr=[err_lo, err_hi],
            fmt="none",
            ecolor="black",
            elinewidth=1,
            capsize=3,
        )
    ax.set_yticks(ys, [_tick(row) for row in rows])
    ax.set_title(_label(attribute), loc="left")
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.grid(axis="x", alpha=0.3)


def flip_rate_by_bin_figure(
    bins: Sequence[Mapping[str, Any]], *, fmt: ImageFormat = "png"
) -> str | None:
    """Flip rate by bin of each feature (the report's ``where.bins``), one panel
    per feature, bins in the order given.

    Returns
    -------
    str or None
        A ``data:`` URI, or None when there is no bin.
    """
    by_feature: dict[str, list[Mapping[str, Any]]] = {}
    for row in bins:
        by_feature.setdefault(str(row["feature"]), []).append(row)
    if not by_feature:
        return None
    panels = list(by_feature.items())[:MAX_PANELS]
    sizes = [len(rows) for _, rows in panels]
    longest = max(len(_label(r["bin"])) for _, rows in panels for r in rows)
    rates = [_float(r.get("flip_rate")) for _, rows in panels for r in rows]
    top = max([r for r in rates if r is not None], default=0.0)
    with _style():
        height = 0.75 + sum(0.26 * s + 0.55 for s in sizes)
        figure = _figure(6.4, height)
        axes = figure.subplots(
            len(panels),
            1,
            squeeze=False,
            sharex=True,
            gridspec_kw={"height_ratios": sizes, "hspace": 0.55 * len(panels) / height},
        )[:, 0]
        _margins(figure, left=0.25 + 0.068 * longest, bottom=0.5, top=0.3)
        for ax, (feature, rows) in zip(axes, panels, strict=True):
            ys = list(range(len(rows)))[::-1]
            for y, row in zip(ys, rows, strict=True):
                rate = _float(row.get("flip_rate"))
                if rate is not None:
                    ax.barh(y, rate, height=0.6, color=_BLUE, alpha=0.85)
                    text = f"{rate:.3f} ({row['flips']}/{row['profiles']})"
                else:
                    text = "empty bin" if not row.get("profiles") else "undefined"
                x = (rate or 0.0) + 0.01 * (top or 1)
                ax.text(x, y, text, va="center", fontsize=8)
            ax.set_yticks(ys, [_label(r["bin"]) for r in rows])
            ax.set_ylim(-0.6, len(rows) - 0.4)
            ax.set_title(_label(feature), loc="left")
            ax.grid(axis="x", alpha=0.3)
        axes[-1].set_xlim(0, (top or 0.1) * 1.35)
        axes[-1].set_xlabel("flip rate (profiles whose twins get different decisions)")
        return _encode(figure, fmt)


def score_gap_figure(
    score_gaps: Sequence[Mapping[str, Any]], *, fmt: ImageFormat = "png"
) -> str | None:
    """Histograms of the within-profile score gap (the report's ``score_gaps``),
    one panel per attribute and group, with a line at 0 (no gap).

    Returns
    -------
    str or None
        A ``data:`` URI, or None when there is no histogram.
    """
    panels = [
        h
        for h in score_gaps
        if len(h.get("edges", ())) == len(h.get("counts", ())) + 1 and h["counts"]
    ][:MAX_PANELS]
    if not panels:
        return None
    ncols = 1 if len(panels) == 1 else 2
    with _style():
        nrows = math.ceil(len(panels) / ncols)
        figure = _figure(6.4 if ncols == 1 else 8.0, 0.3 + 2.5 * nrows)
        axes = _grid(figure, len(panels), ncols, hspace=0.8)
        _margins(figure, left=0.65, bottom=0.5, top=0.3)
        for ax, histogram in zip(axes, panels, strict=True):
            edges = [float(e) for e in histogram["edges"]]
            ax.stairs(histogram["counts"], edges, fill=True, color=_BLUE, alpha=0.8)
            ax.axvline(0.0, color="black", linewidth=0.8, linestyle="--")
            ax.set_title(
                f"{_label(histogram['attribute'])} = {_label(histogram['group'])}",
                loc="left",
            )
            ax.set_xlabel("score(group twin) - score(reference twin)")
            ax.set_ylabel("profiles")
            ax.grid(axis="y", alpha=0.3)
        return _encode(figure, fmt)
