"""Seeded, vectorised generation of counterfactual twins."""

from twinaudit.generate._engine import generate, iter_twins
from twinaudit.generate._from_frame import from_frame
from twinaudit.generate._streams import BLOCK
from twinaudit.generate._twins import Twins, check_twins

__all__ = ["BLOCK", "Twins", "check_twins", "from_frame", "generate", "iter_twins"]
