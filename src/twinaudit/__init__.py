"""twinaudit: audit machine-learning models for bias with counterfactual twins.

Public names are loaded on first use, so ``import twinaudit`` stays fast and never
imports AIF360 or Fairlearn.

>>> import twinaudit as ta
>>> from twinaudit.datasets import loan_applications, loan_model, loan_twin_spec
>>> model = loan_model(loan_applications(seed=42))
>>> twins = ta.generate(loan_twin_spec(seed=42), n_pairs=100)
>>> report = ta.audit(model, twins)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    # spec
    "TwinSpec": "twinaudit.spec",
    "ProtectedAttribute": "twinaudit.spec",
    "Proxy": "twinaudit.spec",
    "Field": "twinaudit.spec",
    "Integer": "twinaudit.spec",
    "Float": "twinaudit.spec",
    "Normal": "twinaudit.spec",
    "LogNormal": "twinaudit.spec",
    "Categorical": "twinaudit.spec",
    "Provider": "twinaudit.spec",
    "Date": "twinaudit.spec",
    "Derived": "twinaudit.spec",
    "Constant": "twinaudit.spec",
    "Identifier": "twinaudit.spec",
    "load_spec": "twinaudit.spec",
    "save_spec": "twinaudit.spec",
    # generate
    "Twins": "twinaudit.generation",
    "check_twins": "twinaudit.generation",
    "from_frame": "twinaudit.generation",
    "generate": "twinaudit.generation",
    "iter_twins": "twinaudit.generation",
    # scoring
    "ScoredTwins": "twinaudit.scoring",
    "score": "twinaudit.scoring",
    # adapters
    "to_binary_label_dataset": "twinaudit.adapters",
    "to_metric_frame": "twinaudit.adapters",
    # report
    "AuditReport": "twinaudit.report",
    "Policy": "twinaudit.report",
    "Rule": "twinaudit.report",
    "Verdict": "twinaudit.report",
    "load_policy": "twinaudit.report",
    "save_policy": "twinaudit.report",
    "audit": "twinaudit.report",
    # mitigation
    "CounterfactualAugmentation": "twinaudit.mitigation",
    "Reweighing": "twinaudit.mitigation",
    "mitigate": "twinaudit.mitigation",
    # benchmark
    "BenchmarkConfig": "twinaudit.benchmark",
    "run_benchmark": "twinaudit.benchmark",
    # files
    "load_model": "twinaudit._models",
    "write_twins": "twinaudit._io",
}

__all__ = [
    "AuditReport",
    "BenchmarkConfig",
    "Categorical",
    "Constant",
    "CounterfactualAugmentation",
    "Date",
    "Derived",
    "Field",
    "Float",
    "Identifier",
    "Integer",
    "LogNormal",
    "Normal",
    "Policy",
    "ProtectedAttribute",
    "Provider",
    "Proxy",
    "Reweighing",
    "Rule",
    "ScoredTwins",
    "TwinSpec",
    "Twins",
    "Verdict",
    "audit",
    "check_twins",
    "from_frame",
    "generate",
    "iter_twins",
    "load_model",
    "load_policy",
    "load_spec",
    "mitigate",
    "run_benchmark",
    "save_policy",
    "save_spec",
    "score",
    "to_binary_label_dataset",
    "to_metric_frame",
    "write_twins",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'twinaudit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from twinaudit._io import write_twins
    from twinaudit._models import load_model
    from twinaudit.adapters import to_binary_label_dataset, to_metric_frame
    from twinaudit.benchmark import BenchmarkConfig, run_benchmark
    from twinaudit.generation import (
        Twins,
        check_twins,
        from_frame,
        generate,
        iter_twins,
    )
    from twinaudit.mitigation import CounterfactualAugmentation, Reweighing, mitigate
    from twinaudit.report import (
        AuditReport,
        Policy,
        Rule,
        Verdict,
        audit,
        load_policy,
        save_policy,
    )
    from twinaudit.scoring import ScoredTwins, score
    from twinaudit.spec import (
        Categorical,
        Constant,
        Date,
        Derived,
        Field,
        Float,
        Identifier,
        Integer,
        LogNormal,
        Normal,
        ProtectedAttribute,
        Provider,
        Proxy,
        TwinSpec,
        load_spec,
        save_spec,
    )
