"""Statistics of the comparison (by hand on a small table) and the reports."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from twinaudit.benchmark import (
    COLUMNS,
    benchmark_html,
    benchmark_markdown,
    pareto_front,
    rank_strategies,
    summarize,
    write_report,
)


def table_of(rows):
    """A benchmark table from (estimator, strategy, seed, accuracy, spd) rows."""
    records = []
    for estimator, strategy, seed, accuracy, spd in rows:
        record = dict.fromkeys(COLUMNS, math.nan)
        record.update(
            dataset="d",
            attribute="a",
            estimator=estimator,
            strategy=strategy,
            seed=seed,
            status="ok" if accuracy is not None else "failed",
            error=None if accuracy is not None else "ValueError: <b>no</b>",
            warnings=None,
            accuracy=math.nan if accuracy is None else accuracy,
            statistical_parity_difference=math.nan if spd is None else spd,
            disparate_impact=math.nan if spd is None else 1 + spd,
            flip_rate=0.1,
        )
        records.append(record)
    return pd.DataFrame(records, columns=list(COLUMNS))


ROWS = [
    ("lr", "unmitigated", 0, 0.80, -0.30),
    ("lr", "unmitigated", 1, 0.82, -0.20),
    ("lr", "unmitigated", 2, 0.78, -0.25),
    ("lr", "reweighing", 0, 0.79, -0.05),
    ("lr", "reweighing", 1, 0.80, 0.02),
    ("lr", "reweighing", 2, 0.76, -0.03),
    ("lr", "worse", 0, 0.70, -0.40),
    ("lr", "worse", 1, 0.71, -0.41),
    ("lr", "worse", 2, None, None),
]


def test_summary_mean_and_student_t_interval_across_seeds():
    summary = summarize(table_of(ROWS), confidence=0.9).set_index("strategy")
    values = np.array([0.80, 0.82, 0.78])
    half = stats.t.ppf(0.95, 2) * values.std(ddof=1) / np.sqrt(3)
    row = summary.loc["unmitigated"]
    assert row["accuracy"] == pytest.approx(0.8)
    assert (row["accuracy_low"], row["accuracy_high"]) == pytest.approx(
        (0.8 - half, 0.8 + half)
    )
    assert (summary.loc["worse", "seeds"], summary.loc["worse", "failed"]) == (2, 1)
    assert summary.loc["worse", "accuracy"] == pytest.approx(0.705)


def test_ranking_with_a_paired_test_against_unmitigated():
    ranking = rank_strategies(table_of(ROWS)).set_index("strategy")
    assert ranking["rank"].to_dict() == {"reweighing": 1, "unmitigated": 2, "worse": 3}
    rw = ranking.loc["reweighing"]
    assert rw["unfairness"] == pytest.approx((0.05 + 0.02 + 0.03) / 3)
    assert rw["accuracy_change"] == pytest.approx(-0.05 / 3)
    expected = stats.ttest_rel([0.79, 0.80, 0.76], [0.80, 0.82, 0.78]).pvalue
    assert rw["accuracy_p"] == pytest.approx(expected)
    unfair_p = stats.ttest_rel([0.05, 0.02, 0.03], [0.30, 0.20, 0.25]).pvalue
    assert rw["unfairness_p"] == pytest.approx(unfair_p)
    # Paired on the seeds both finished: seed 2 of "worse" failed.
    worse = ranking.loc["worse"]
    assert worse["accuracy_change"] == pytest.approx(
        ((0.70 - 0.80) + (0.71 - 0.82)) / 2
    )
    assert math.isnan(ranking.loc["unmitigated", "accuracy_p"])


def test_pareto_front_by_hand():
    rows = [
        ("lr", "a", 0, 0.90, -0.30),  # most accurate: on the front
        ("lr", "b", 0, 0.85, -0.10),  # on the front
        ("lr", "c", 0, 0.84, -0.20),  # dominated by b
        ("lr", "d", 0, 0.70, 0.00),  # fairest: on the front
        ("gb", "e", 0, 0.85, -0.10),  # ties b: neither dominates
        ("gb", "f", 0, None, None),  # failed: never on the front
    ]
    summary = summarize(table_of(rows))
    front = pareto_front(summary, "statistical_parity_difference")
    assert dict(zip(front["strategy"], front["on_front"], strict=True)) == {
        "a": True,
        "b": True,
        "c": False,
        "d": True,
        "e": True,
        "f": False,
    }
    # Disparate impact's parity is 1: the same points, distance |DI - 1|.
    di = pareto_front(summary, "disparate_impact")
    assert di["on_front"].tolist() == front["on_front"].tolist()


def test_markdown_and_html_reports(tmp_path):
    table = table_of(ROWS)
    markdown = benchmark_markdown(table)
    assert "## d, a" in markdown
    assert "| lr | reweighing ◆ | 3 |" in markdown
    assert "| lr | worse | 2 (1 failed) |" in markdown
    assert "| d | a | lr | worse | 2 | ValueError: <b>no</b> |" in markdown
    assert "9 cells (8 finished, 1 failed)" in markdown
    html = benchmark_html(table)
    assert html.count('src="data:image/svg+xml;base64,') == 1
    assert "ValueError: &lt;b&gt;no&lt;/b&gt;" in html  # escaped
    # Self-contained: nothing loaded from elsewhere.
    assert not re.search(r"(src|href)=\"(?!data:)", html)
    written = write_report(table, tmp_path)
    assert [p.name for p in written] == ["report.md", "report.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.md"]
    assert (tmp_path / "report.md").read_text() == markdown


def test_tradeoff_figure_one_panel_per_fairness_metric():
    from matplotlib.figure import Figure

    from twinaudit.benchmark import FAIRNESS_METRICS, tradeoff_figure
    from twinaudit.exceptions import DataError

    figure = tradeoff_figure(table_of(ROWS), "d", "a")
    assert isinstance(figure, Figure)
    titles = [ax.get_title() for ax in figure.axes]
    assert len(titles) == len(FAIRNESS_METRICS) and titles[0] == "SPD"
    with pytest.raises(
        DataError,
        match=re.escape(
            "The table has no results for data set 'd' and attribute 'sex'; it has "
            "[('d', 'a')]."
        ),
    ):
        tradeoff_figure(table_of(ROWS), "d", "sex")
