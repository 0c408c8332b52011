"""Twin specifications: fields, protected attributes, proxies, spec files."""

from twinaudit.spec._expressions import FUNCTIONS as EXPRESSION_FUNCTIONS
from twinaudit.spec._fields import (
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
    Provider,
)
from twinaudit.spec._io import (
    SpecLoader,
    load_spec,
    save_spec,
    spec_from_dict,
    spec_to_dict,
)
from twinaudit.spec._providers import supported_locales
from twinaudit.spec._spec import Mode, ProtectedAttribute, Proxy, TwinSpec

__all__ = [
    "EXPRESSION_FUNCTIONS",
    "Categorical",
    "Constant",
    "Date",
    "Derived",
    "Field",
    "Float",
    "Identifier",
    "Integer",
    "LogNormal",
    "Mode",
    "Normal",
    "ProtectedAttribute",
    "Provider",
    "Proxy",
    "SpecLoader",
    "TwinSpec",
    "load_spec",
    "save_spec",
    "spec_from_dict",
    "spec_to_dict",
    "supported_locales",
]
