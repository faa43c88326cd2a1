"""The inference methods of the MMRM engine and which combinations are valid.

Kept apart from the engine (no imports), so that the analysis plan can check a
configuration without loading it.
"""

from __future__ import annotations

DF_METHODS = (
    "satterthwaite",
    "kenward-roger",
    "kenward-roger-linear",
    "between-within",
    "residual",
)
VCOV_METHODS = ("model", "empirical", "empirical-jackknife", "empirical-bias-reduced")


def check_methods(df: str | None, vcov: str, method: str) -> str:
    """The df method to use (the default follows the covariance, as SAS: Satterthwaite
    for the model-based one, between-within for the empirical ones), or an error."""
    if vcov not in VCOV_METHODS:
        raise ValueError(f"vcov must be one of {', '.join(VCOV_METHODS)}, not {vcov!r}")
    if df is None:
        df = "satterthwaite" if vcov == "model" else "between-within"
    if df not in DF_METHODS:
        raise ValueError(f"df must be one of {', '.join(DF_METHODS)}, not {df!r}")
    if df.startswith("kenward-roger"):
        if method != "reml":
            raise ValueError("Kenward-Roger needs REML estimation (method='reml'), not ML")
        if vcov != "model":
            raise ValueError(
                f"Kenward-Roger adjusts the model-based covariance; it cannot be combined"
                f" with vcov={vcov!r} (use df='between-within' or 'residual')"
            )
    if df == "satterthwaite" and vcov != "model":
        raise ValueError(
            f"Satterthwaite df are for the model-based covariance; with vcov={vcov!r} use"
            " df='between-within' (SAS's default with EMPIRICAL) or 'residual'"
        )
    return df
