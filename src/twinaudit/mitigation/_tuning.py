"""The main parameter of a strategy, for tuning every strategy with the same budget.

A strategy with a fairness tolerance or one main trade-off parameter declares it as
the class attribute ``tuning_parameter``: the constructor parameter and the range
from which the benchmark's ``tuning`` option takes ``budget`` candidate values,
evenly spaced (geometrically for a ``"log"`` range). Strategies without one
(``tuning_parameter = None``) are fitted once. Cruz and Hardt (ICLR 2024) showed
that comparisons which give methods unequal constraint slack rank them wrongly.

=======================  =====================  ================  =======
strategy                 parameter              range             scale
=======================  =====================  ================  =======
correlation_remover      ``alpha``              0 to 1            linear
exponentiated_gradient   ``eps``                0.001 to 0.1      log
grid_search              ``constraint_weight``  0 to 1            linear
threshold_optimizer      ``tol``                0 to 0.1          linear
reject_option            ``metric_ub`` (and     0.005 to 0.5      log
                         ``metric_lb = -ub``)
lfr                      ``Az``                 1 to 2,500        log
=======================  =====================  ================  =======

The middle of each log range is the strategy's default (0.01, 0.05, 50).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from twinaudit.exceptions import ConfigError

__all__ = ["TuningParameter", "tuning_parameter_of"]


@dataclass(frozen=True)
class TuningParameter:
    """A strategy's main parameter and the range its candidate values come from.

    Parameters
    ----------
    name : str
        The constructor parameter.
    low, high : float
        Ends of the range, both included (``low < high``; above 0 for ``"log"``).
    scale : {"linear", "log"}
        Candidates evenly spaced on this scale.
    mirror : str, optional
        A parameter set to ``-value`` with it (the lower end of a symmetric bound).

    Examples
    --------
    >>> TuningParameter("eps", 0.001, 0.1, "log").candidates(3)
    (0.001, 0.01, 0.1)
    >>> TuningParameter("metric_ub", 0.005, 0.5, "log", mirror="metric_lb").params(0.05)
    {'metric_ub': 0.05, 'metric_lb': -0.05}
    """

    name: str
    low: float
    high: float
    scale: Literal["linear", "log"] = "linear"
    mirror: str | None = None

    def __post_init__(self) -> None:
        if self.scale not in ("linear", "log"):
            raise ConfigError(f"scale must be 'linear' or 'log'. Got {self.scale!r}.")
        if not self.low < self.high or (self.scale == "log" and self.low <= 0):
            raise ConfigError(
                f"The range of {self.name!r} must have low < high (and low > 0 on a "
                f"log scale). Got [{self.low}, {self.high}] ({self.scale})."
            )

    @property
    def parameters(self) -> tuple[str, ...]:
        """The constructor parameters tuning sets."""
        return (self.name,) if self.mirror is None else (self.name, self.mirror)

    def candidates(self, budget: int) -> tuple[float, ...]:
        """``budget`` values from ``low`` to ``high``, evenly spaced on the scale
        (rounded to 12 significant digits, so that they read as written); one
        value is the middle of the range."""
        if budget < 1:
            raise ConfigError(f"budget must be at least 1. Got {budget!r}.")
        if budget == 1:
            middle = (
                math.sqrt(self.low * self.high)
                if self.scale == "log"
                else (self.low + self.high) / 2
            )
            return (float(f"{middle:.12g}"),)
        space = np.geomspace if self.scale == "log" else np.linspace
        return tuple(float(f"{v:.12g}") for v in space(self.low, self.high, budget))

    def params(self, value: float) -> dict[str, float]:
        """The constructor keywords for one candidate value."""
        out = {self.name: float(value)}
        if self.mirror is not None:
            out[self.mirror] = -float(value)
        return out


def tuning_parameter_of(strategy: Any) -> TuningParameter | None:
    """The ``tuning_parameter`` a strategy class (or instance) declares, or None."""
    value = getattr(strategy, "tuning_parameter", None)
    return value if isinstance(value, TuningParameter) else None
