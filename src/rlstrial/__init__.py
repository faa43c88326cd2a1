"""rlstrial: analysis pipeline for a 2x2 factorial randomized trial in RLS."""

from importlib.metadata import version as _version

from rlstrial.mmrm import fit_mmrm

__version__ = _version("rlstrial")
__all__ = ["fit_mmrm"]
