"""rlstrial: analysis pipeline for a 2x2 factorial randomized trial in RLS."""

from importlib.metadata import version as _version

__version__ = _version("rlstrial")
__all__ = ["fit_mmrm"]


def __getattr__(name: str):
    # fit_mmrm is imported on first use, so that the data stages (which do not fit
    # models) do not pay for importing scipy.optimize and statsmodels
    if name == "fit_mmrm":
        from rlstrial.mmrm import fit_mmrm

        return fit_mmrm
    raise AttributeError(f"module 'rlstrial' has no attribute {name!r}")
