"""Seeded, vectorised generation of counterfactual twins."""

from twinaudit.generation._engine import generate, iter_twins
from twinaudit.generation._from_frame import from_frame
from twinaudit.generation._streams import BLOCK
from twinaudit.generation._twins import Twins, check_twins

__all__ = ["BLOCK", "Twins", "check_twins", "from_frame", "generate", "iter_twins"]
