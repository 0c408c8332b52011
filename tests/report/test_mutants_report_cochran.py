"""Cochran's Q of a three-valued attribute declared after another attribute,
against statsmodels on the decisions by hand: with ``sex`` first, the ``race``
twins of one ``sex`` sit at a stride in the decision patterns, and reading the
columns below the base instead of above it took the other sex's twins (mutation
testing found no test with the many-valued attribute anywhere but first)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.contingency_tables import cochrans_q

from twinaudit.generation import generate
from twinaudit.report import audit
from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec

SEX = ProtectedAttribute("sex", ["F", "M"], privileged="M")
RACE = ProtectedAttribute("race", ["a", "b", "c"], privileged="a")


def model(frame: pd.DataFrame) -> np.ndarray:
    """Race b is approved from 20, and women of race c from 10; others from 40."""
    x, race = frame["x"].to_numpy(), frame["race"].to_numpy()
    female = frame["sex"].to_numpy() == "F"
    favoured = (race == "b") & (x > 20) | female & (race == "c") & (x > 10)
    return (favoured | (x > 40)).astype(int)


@pytest.mark.parametrize(
    "order", [(SEX, RACE), (RACE, SEX)], ids=["sex-first", "race-first"]
)
def test_cochran_q_of_each_setting_equals_statsmodels_by_hand(order):
    spec = TwinSpec(fields=[Integer("x", 0, 99)], protected=list(order), seed=4)
    twins = generate(spec, 300)
    report = audit(model, twins, n_boot=0)
    frame = twins.frame.assign(decision=model(twins.frame))
    for sex in ("F", "M"):
        rows = frame[frame["sex"] == sex]
        table = rows.pivot(index="pair_id", columns="race", values="decision")
        expected = cochrans_q(table[["a", "b", "c"]].to_numpy())
        found = report.cochran.set_index("setting").loc[f"sex={sex}"]
        assert found["attribute"] == "race"
        assert found["cochran_q"] == pytest.approx(expected.statistic, rel=1e-12)
        assert found["p_value"] == pytest.approx(expected.pvalue, rel=1e-9)
