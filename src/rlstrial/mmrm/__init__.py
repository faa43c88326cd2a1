"""Mixed models for repeated measures (MMRM), validated against SAS PROC MIXED.

>>> from rlstrial.mmrm import fit_mmrm, STRUCTURES
>>> STRUCTURES
('us', 'cs', 'csh', 'ar1', 'ar1h', 'toeph', 'adh')
"""

from rlstrial.mmrm.covariance import STRUCTURES
from rlstrial.mmrm.design import MMRMDataError
from rlstrial.mmrm.fit import DEFAULT_FALLBACK, MMRMConvergenceError, MMRMResult, fit_mmrm


def __getattr__(name: str):
    # the random-effects wrapper imports statsmodels' formula API: only on first use
    if name == "fit_random_effects":
        from rlstrial.mmrm.random_effects import fit_random_effects

        return fit_random_effects
    raise AttributeError(f"module 'rlstrial.mmrm' has no attribute {name!r}")


__all__ = [
    "DEFAULT_FALLBACK",
    "MMRMConvergenceError",
    "MMRMDataError",
    "MMRMResult",
    "STRUCTURES",
    "fit_mmrm",
    "fit_random_effects",
]
