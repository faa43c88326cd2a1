"""Random-effects models for sensitivity analyses, as :class:`MMRMResult` objects.

A random intercept: statsmodels' MixedLM estimates the two variances; the marginal
covariance is compound symmetry (tau^2 J + sigma^2 I), so standard errors, df and
every table come from the MMRM engine at MixedLM's estimates (as lmerTest does for
lme4). A random intercept and slope: the engine fits the marginal covariance
Z G Z' + sigma^2 I itself (structure ``rs``; REML estimates equal lme4's, checked in
tests/results/orthodont_random_slope.R), with the same df and covariance options.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from rlstrial.mmrm.fit import MMRMResult, fit_mmrm


def _with_reference(data: pd.DataFrame, reference: dict | None) -> pd.DataFrame:
    """A copy of ``data`` whose reference columns are categorical, reference first."""
    frame = data.copy()
    for column, level in (reference or {}).items():
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            others = [v for v in frame[column].cat.categories if v != level]
        else:
            others = sorted(v for v in frame[column].dropna().unique() if v != level)
        frame[column] = pd.Categorical(frame[column], categories=[level, *others])
    return frame


def _mixedlm(frame: pd.DataFrame, formula: str, subject: str, reml: bool, slope: str | None):
    """Fit statsmodels' MixedLM on the rows with an outcome (warnings silenced)."""
    outcome = formula.split("~")[0].strip()
    used = frame.dropna(subset=[outcome])
    model = smf.mixedlm(
        formula, used, groups=used[subject], re_formula=f"~{slope}" if slope else None
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(reml=reml, method=["lbfgs", "bfgs", "nm"])


def random_intercept_fit(
    data: pd.DataFrame,
    formula: str,
    subject: str,
    visit: str,
    *,
    reference: dict | None = None,
    visit_levels: list | None = None,
    reml: bool = True,
    df: str | None = None,
    vcov: str = "model",
    information: str = "observed",
) -> MMRMResult:
    """A random-intercept model fitted by MixedLM, as an :class:`MMRMResult`.

    MixedLM estimates the variances; the marginal model (compound symmetry with
    those variances) gives GLS estimates, standard errors, df, LS-means and
    contrasts through the MMRM engine, as lmerTest does for lme4. ``df``, ``vcov``
    and ``information`` are those of :func:`rlstrial.mmrm.fit_mmrm`: Kenward-Roger
    is computed on the implied marginal covariance, as pbkrtest does for lme4 (with
    the expected information).
    """
    frame = _with_reference(data, reference)
    outcome = formula.split("~")[0].strip()
    try:
        result = _mixedlm(frame, formula, subject, reml, None)
        between, residual = float(np.asarray(result.cov_re)[0, 0]), float(result.scale)
    except np.linalg.LinAlgError:
        # MixedLM fails when the intercept variance is on its boundary (0): the
        # model is then ordinary least squares with independent errors
        ols = smf.ols(formula, frame.dropna(subset=[outcome])).fit()
        between = 0.0
        residual = float(ols.ssr / (ols.df_resid if reml else ols.nobs))
        warnings.warn(
            f"random-intercept variance estimated at 0 for {outcome!r}; fitted as"
            " independent errors",
            stacklevel=2,
        )
    return fit_mmrm(
        frame,
        formula,
        subject=subject,
        visit=visit,
        covariance="cs",
        method="reml" if reml else "ml",
        reference=reference,
        visit_levels=visit_levels,
        covariance_parameters={"CS": between, "Residual": residual},
        df=df,
        vcov=vcov,
        information=information,
    )


def random_slope_fit(
    data: pd.DataFrame,
    formula: str,
    subject: str,
    visit: str,
    slope: str,
    *,
    reference: dict | None = None,
    visit_levels: list | None = None,
    reml: bool = True,
    df: str | None = None,
    vcov: str = "model",
    information: str = "observed",
) -> MMRMResult:
    """A random intercept and slope (in the numeric column ``slope``, e.g. weeks) with
    unstructured G and independent residuals, as an :class:`MMRMResult`.

    The engine fits the model's marginal covariance Z G Z' + s2 I (covariance
    structure ``rs``, SAS ``RANDOM int slope / TYPE=UN SUBJECT=...``) by REML or ML,
    so every table, df method (Satterthwaite, Kenward-Roger, ...) and LS-mean of the
    MMRM applies; the covariance parameters are G's UN(1,1), UN(2,1), UN(2,2) and the
    Residual.
    """
    return fit_mmrm(
        data,
        formula,
        subject=subject,
        visit=visit,
        covariance="rs",
        method="reml" if reml else "ml",
        reference=reference,
        visit_levels=visit_levels,
        fallback=(),
        coordinates=[slope],
        df=df,
        vcov=vcov,
        information=information,
    )


def fit_random_effects(
    data: pd.DataFrame,
    formula: str,
    subject: str,
    visit: str,
    *,
    slope: str | None = None,
    reference: dict | None = None,
    reml: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit a linear mixed model with a random intercept (and optionally a random slope).

    Parameters
    ----------
    data, formula, subject, visit, reference
        As for :func:`rlstrial.mmrm.fit_mmrm` (``visit`` identifies the repeated
        measurement for the random-intercept inference).
    slope
        A numeric column (e.g. weeks) for a random slope; ``None`` for a random
        intercept only.
    reml
        REML (default) or ML.

    Returns
    -------
    coefficients : DataFrame
        term, estimate, std_error, df (Satterthwaite), t_value, p_value, ci_lower,
        ci_upper.
    variances : DataFrame
        component (``subject`` intercept, slope, covariance, ``Residual``) and estimate.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> data = pd.DataFrame({"id": np.repeat(np.arange(40), 3),
    ...                      "visit": np.tile(["a", "b", "c"], 40)})
    >>> data["y"] = np.repeat(rng.normal(0, 2, 40), 3) + rng.normal(0, 1, 120)
    >>> table, variances = fit_random_effects(data, "y ~ visit", "id", "visit")
    >>> list(table["term"])
    ['Intercept', 'visit[T.b]', 'visit[T.c]']
    """
    if slope is None:
        fit = random_intercept_fit(data, formula, subject, visit, reference=reference, reml=reml)
        parameters = dict(
            zip(
                fit.covariance_parameters["parameter"],
                fit.covariance_parameters["estimate"],
                strict=True,
            )
        )
        variances = pd.DataFrame(
            {
                "component": [subject, "Residual"],
                "estimate": [parameters["CS"], parameters["Residual"]],
            }
        )
        return fit.coefficients, variances
    fit = random_slope_fit(data, formula, subject, visit, slope, reference=reference, reml=reml)
    g = fit.covariance_parameters.set_index("parameter")["estimate"]
    variances = pd.DataFrame(
        {
            "component": [subject, slope, f"{subject}:{slope}", "Residual"],
            "estimate": [g["UN(1,1)"], g["UN(2,2)"], g["UN(2,1)"], g["Residual"]],
        }
    )
    return fit.coefficients, variances
