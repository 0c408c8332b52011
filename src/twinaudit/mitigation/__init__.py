"""Mitigation strategies, and mitigate-and-re-audit."""

from twinaudit.mitigation._mitigate import MitigationReport, MitigationResult, mitigate
from twinaudit.mitigation._strategies import (
    CounterfactualAugmentation,
    Mitigated,
    MitigationStrategy,
    Reweighing,
)

__all__ = [
    "CounterfactualAugmentation",
    "Mitigated",
    "MitigationReport",
    "MitigationResult",
    "MitigationStrategy",
    "Reweighing",
    "mitigate",
]
