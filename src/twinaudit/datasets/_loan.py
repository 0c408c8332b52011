"""The tutorial's loan scenario: biased history, a model trained on it, twins.

History: applicants with incomes drawn uniformly from 30,000 to 120,000; men are
always approved, women only when their income is above 80,000. A decision tree
trained on ``Gender_Code`` (1 = male, 0 = female) and ``Income`` learns the rule.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from twinaudit.exceptions import DataError
from twinaudit.spec import (
    Identifier,
    Integer,
    Mode,
    ProtectedAttribute,
    Proxy,
    TwinSpec,
)

__all__ = ["loan_applications", "loan_model", "loan_twin_spec"]

#: The columns the tutorial's model is trained on.
FEATURES = ["Gender_Code", "Income"]

Rule = Callable[[pd.DataFrame], np.ndarray]


def tutorial_rule(threshold: float = 80_000) -> Rule:
    """Men approved; women approved only with income above ``threshold``."""

    def rule(frame: pd.DataFrame) -> np.ndarray:
        male = frame["Gender"].to_numpy() == "Male"
        return (male | (frame["Income"].to_numpy() > threshold)).astype(np.int64)

    return rule


def _name_pool(gender: str) -> tuple[np.ndarray, tuple[str, ...]]:
    from mimesis.enums import Gender

    from twinaudit.generation._mimesis import choice_pool

    pool = choice_pool("person", "first_name", {"gender": Gender(gender)}, "en")
    assert pool is not None  # first_name given a gender is a choice from a list
    categories, index_map = pool
    return index_map, categories


def loan_applications(
    n: int = 1000,
    seed: int = 42,
    *,
    income_range: tuple[int, int] = (30_000, 120_000),
    income_step: int = 1,
    threshold: float = 80_000,
    rule: Rule | None = None,
) -> pd.DataFrame:
    """Historical loan decisions, drawn exactly as the tutorial draws them.

    The tutorial seeds numpy's legacy generator with ``seed`` and draws genders with
    ``choice(["Male", "Female"], n)``, then incomes with ``randint(low, high, n)``;
    this function makes the same draws from a private ``RandomState(seed)`` (the
    global numpy state is left alone), so the default arguments give the tutorial's
    own 1,000 applicants. Names are drawn afterwards from Mimesis's gendered lists
    with a separate generator, so they do not disturb those draws.

    Parameters
    ----------
    n : int
        Applicants.
    seed : int
        Same seed, same applicants.
    income_range : (int, int)
        Incomes are uniform in ``[low, high)``, as ``randint`` draws them.
    income_step : int
        Incomes are multiples of this. A tree splits halfway between neighbouring
        incomes it has seen: with the tutorial's data (seed 42) it splits women at
        79,997, so a woman earning 79,998 is approved. With ``income_step=1000``
        the split lands at 80,000 or above for every seed.
    threshold : float
        Women are approved only with an income above it (the tutorial's bias).
    rule : callable, optional
        Replaces the tutorial's rule: ``frame -> 0/1 approvals`` given the columns
        ``Gender`` and ``Income``.

    Returns
    -------
    DataFrame
        ``Name``, ``Gender`` (``"Male"``/``"Female"``), ``Gender_Code`` (1/0),
        ``Income``, ``Approved`` (1/0).

    Examples
    --------
    >>> history = loan_applications(1000, seed=42)
    >>> bool(history.loc[history["Gender"] == "Male", "Approved"].all())
    True
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise DataError(f"n must be an integer of at least 2. Got {n!r}.")
    low, high = income_range
    if low >= high:
        raise DataError(
            f"income_range must be (low, high) with low < high. Got {income_range!r}."
        )
    if (
        isinstance(income_step, bool)
        or not isinstance(income_step, int)
        or income_step < 1
    ):
        raise DataError(f"income_step must be a positive integer. Got {income_step!r}.")
    first, stop = -(-low // income_step), -(-high // income_step)
    if first >= stop:
        raise DataError(
            f"No multiple of income_step={income_step} lies in "
            f"income_range={income_range}."
        )
    legacy = np.random.RandomState(seed)  # the tutorial's np.random.seed(seed)
    gender = legacy.choice(["Male", "Female"], n)
    income = legacy.randint(first, stop, n).astype(np.int64) * income_step
    male = gender == "Male"
    names = np.empty(n, dtype=object)
    rng = np.random.default_rng(seed)
    for name_gender, mask in (("male", male), ("female", ~male)):
        index_map, categories = _name_pool(name_gender)
        picks = index_map[rng.integers(0, len(index_map), size=int(mask.sum()))]
        names[mask] = np.asarray(categories, dtype=object)[picks]
    frame = pd.DataFrame(
        {
            "Name": names,
            "Gender": gender.astype(object),
            "Gender_Code": male.astype(np.int64),
            "Income": income,
        }
    )
    approve = rule or tutorial_rule(threshold)
    frame["Approved"] = np.asarray(approve(frame), dtype=np.int64)
    if set(np.unique(frame["Approved"])) - {0, 1}:
        raise DataError("The approval rule must return 0/1 decisions.")
    return frame


def loan_model(history: pd.DataFrame | None = None, seed: int = 42) -> object:
    """The tutorial's model: a decision tree on ``Gender_Code`` and ``Income``."""
    from sklearn.tree import DecisionTreeClassifier

    history = loan_applications(seed=seed) if history is None else history
    missing = [c for c in [*FEATURES, "Approved"] if c not in history.columns]
    if missing:
        raise DataError(
            f"The loan history needs columns {missing}; build it with "
            "loan_applications()."
        )
    return DecisionTreeClassifier(random_state=seed).fit(
        history[FEATURES], history["Approved"]
    )


def loan_twin_spec(
    seed: int = 42,
    *,
    income_range: tuple[int, int] = (30_000, 120_000),
    mode: Mode = "strict",
) -> TwinSpec:
    """The tutorial's twins: an ID and an income per applicant, cloned into a male
    and a female twin; a first name follows the gender (held fixed in ``strict``
    mode). ``Gender`` maps to the model's ``Gender_Code`` (Male 1, Female 0)."""
    low, high = income_range
    return TwinSpec(
        fields=[Identifier("ID", format="uuid"), Integer("Income", low, high)],
        protected=[
            ProtectedAttribute(
                "Gender",
                ["Male", "Female"],
                privileged="Male",
                model_column="Gender_Code",
                encoding={"Male": 1, "Female": 0},
            )
        ],
        proxies=[
            Proxy.gendered("Name", "Gender", {"Male": "male", "Female": "female"})
        ],
        seed=seed,
        mode=mode,
    )
