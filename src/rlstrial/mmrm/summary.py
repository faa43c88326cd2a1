"""How a fitted MMRM presents itself: a one-screen summary for consoles and notebooks,
and the broom-style ``tidy`` / ``glance`` tables."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from rlstrial.mmrm.fit import MMRMResult

STRUCTURE_NAMES = {
    "us": "unstructured",
    "cs": "compound symmetry",
    "csh": "heterogeneous compound symmetry",
    "ar1": "AR(1)",
    "ar1h": "heterogeneous AR(1)",
    "toep": "Toeplitz",
    "toeph": "heterogeneous Toeplitz",
    "adh": "ante-dependence ANTE(1)",
    "sp_exp": "spatial exponential SP(EXP)",
    "rs": "random intercept and slope",
}
DF_NAMES = {
    "satterthwaite": "Satterthwaite",
    "kenward-roger": "Kenward-Roger",
    "kenward-roger-linear": "Kenward-Roger (linear)",
    "between-within": "between-within",
    "residual": "residual",
}
VCOV_NAMES = {
    "model": "model-based",
    "empirical": "empirical (sandwich)",
    "empirical-jackknife": "empirical jackknife (CR3)",
    "empirical-bias-reduced": "empirical bias-reduced (CR2)",
}


def describe(fit: MMRMResult) -> list[str]:
    """The lines of the short description: formula; structure, method and inference;
    counts, -2 log-likelihood and convergence."""
    design = fit.design
    vcov = (
        "Kenward-Roger adjusted"
        if fit.df_method.startswith("kenward-roger")
        else VCOV_NAMES[fit.vcov_method]
    )
    dropped = f" ({design.n_dropped} dropped)" if design.n_dropped else ""
    state = "converged" if fit.converged else "NOT converged"
    return [
        f"MMRM  {design.formula}",
        f"  covariance {STRUCTURE_NAMES[fit.structure]} ({fit.structure}), {fit.method.upper()},"
        f" {DF_NAMES[fit.df_method]} df, {vcov} covariance of the estimates",
        f"  {design.n_subjects} subjects, {len(design.y)} observations{dropped};"
        f" -2 log-likelihood {fit.value:.4f}; {state}",
    ]


@dataclass
class MMRMSummary:
    """The summary of a fit: description, coefficients, covariance parameters and fit
    statistics. Prints as text; renders as HTML tables in a notebook."""

    description: list[str]
    coefficients: pd.DataFrame
    covariance_parameters: pd.DataFrame
    fit_statistics: pd.DataFrame

    def __repr__(self) -> str:
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            parts = [
                "\n".join(self.description),
                "Coefficients",
                self.coefficients.to_string(index=False, float_format=_number),
                "Covariance parameters",
                self.covariance_parameters.to_string(index=False, float_format=_number),
                "Fit statistics",
                self.fit_statistics.to_string(index=False),
            ]
        return "\n\n".join(parts)

    def _repr_html_(self) -> str:
        tables = [
            (title, table.to_html(index=False, border=0, float_format=_number, na_rep=""))
            for title, table in (
                ("Coefficients", self.coefficients),
                ("Covariance parameters", self.covariance_parameters),
                ("Fit statistics", self.fit_statistics),
            )
        ]
        head = "<br>".join(html.escape(line) for line in self.description)
        body = "".join(f"<h4>{title}</h4>{table}" for title, table in tables)
        return f"<div><p><code>{head}</code></p>{body}</div>"


def _number(value: float) -> str:
    return "" if pd.isna(value) else f"{value:.4g}" if abs(value) < 1e-3 else f"{value:.4f}"


def tidy(fit: MMRMResult) -> pd.DataFrame:
    """The coefficients under broom's column names: term, estimate, std.error,
    statistic, df, p.value, conf.low, conf.high."""
    table = fit.coefficients
    return pd.DataFrame(
        {
            "term": table["term"],
            "estimate": table["estimate"],
            "std.error": table["std_error"],
            "statistic": table["t_value"],
            "df": table["df"],
            "p.value": table["p_value"],
            "conf.low": table["ci_lower"],
            "conf.high": table["ci_upper"],
        }
    )


def glance(fit: MMRMResult) -> pd.DataFrame:
    """One row describing the fit (broom's ``glance``)."""
    design = fit.design
    return pd.DataFrame(
        [
            {
                "structure": fit.structure,
                "method": fit.method,
                "df_method": fit.df_method,
                "vcov": fit.vcov_method,
                "n_subjects": design.n_subjects,
                "n_observations": len(design.y),
                "n_dropped": design.n_dropped,
                "logLik": -fit.value / 2,
                "deviance": fit.value,
                "AIC": fit.aic,
                "AICc": fit.aicc,
                "BIC": fit.bic,
                "converged": fit.converged,
            }
        ]
    )
