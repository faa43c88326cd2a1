"""Mixed models for repeated measures (MMRM), validated against SAS PROC MIXED.

>>> from rlstrial.mmrm import fit_mmrm, STRUCTURES
>>> STRUCTURES
('us', 'cs', 'csh', 'ar1', 'ar1h', 'toep', 'toeph', 'adh', 'sp_exp', 'rs')

The names are imported on first use, so that ``rlstrial.mmrm.options`` (the method
names the analysis plan checks) loads without the engine and its dependencies.
"""


def __getattr__(name: str):
    if name == "STRUCTURES":
        from rlstrial.mmrm.covariance import STRUCTURES

        return STRUCTURES
    if name == "MMRMDataError":
        from rlstrial.mmrm.design import MMRMDataError

        return MMRMDataError
    if name in ("DEFAULT_FALLBACK", "MMRMConvergenceError", "MMRMResult", "fit_mmrm"):
        from rlstrial.mmrm import fit

        return getattr(fit, name)
    if name == "fit_random_effects":
        # the random-effects wrapper imports statsmodels' formula API
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
