"""Mixed models for repeated measures (MMRM), validated against SAS PROC MIXED.

>>> from rlstrial.mmrm import fit_mmrm, STRUCTURES
>>> STRUCTURES
('us', 'cs', 'csh', 'ar1', 'ar1h', 'toeph', 'adh')
"""

from rlstrial.mmrm.covariance import STRUCTURES
from rlstrial.mmrm.design import MMRMDataError
from rlstrial.mmrm.fit import DEFAULT_FALLBACK, MMRMConvergenceError, MMRMResult, fit_mmrm
from rlstrial.mmrm.random_effects import fit_random_effects

__all__ = [
    "DEFAULT_FALLBACK",
    "MMRMConvergenceError",
    "MMRMDataError",
    "MMRMResult",
    "STRUCTURES",
    "fit_mmrm",
    "fit_random_effects",
]
