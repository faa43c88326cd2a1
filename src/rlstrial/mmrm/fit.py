"""Fitting an MMRM: optimisation, the fallback chain, and the result object."""

from __future__ import annotations

import contextlib
import functools
import itertools
import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import patsy
from scipy import optimize, stats
from threadpoolctl import get_cached_controller  # reused until a module is imported

from rlstrial.mmrm.covariance import BY_SUBJECT, STRUCTURES, Structure
from rlstrial.mmrm.design import Design, MMRMDataError, model_matrix, patterns, prepare
from rlstrial.mmrm.inference import (
    KenwardRoger,
    between_within_df,
    check_methods,
    empirical_covariance,
    kenward_roger,
)
from rlstrial.mmrm.likelihood import Likelihood, NotPositiveDefinite
from rlstrial.mmrm.summary import MMRMSummary, describe, glance, tidy

DEFAULT_FALLBACK = ("toeph", "ar1h", "csh", "cs")
CONTRAST_COLUMNS = [
    "contrast",
    "estimate",
    "std_error",
    "df",
    "t_value",
    "p_value",
    "ci_lower",
    "ci_upper",
]


def _thread_limit(threads: int | None) -> contextlib.AbstractContextManager:
    """A context limiting BLAS/OpenMP thread pools to ``threads`` (None: no change).

    The same as ``threadpoolctl.threadpool_limits(limits=threads)``, but on a cached
    controller: ``threadpool_limits`` scans the loaded libraries (/proc/self/maps)
    each time, 2 ms on a quiet machine and up to 10 ms on a loaded one, against
    0.03 s for a whole fit of 400 subjects x 5 visits."""
    if threads is None:
        return contextlib.nullcontext()
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 1:
        raise ValueError(f"threads must be a positive integer or None, not {threads!r}")
    return get_cached_controller().limit(limits=int(threads))


class MMRMConvergenceError(RuntimeError):
    """No covariance structure of the chain could be fitted."""


@dataclass
class Attempt:
    structure: str
    converged: bool
    message: str
    iterations: int = 0


def _empirical_covariance(design: Design, residual: np.ndarray, group: int) -> np.ndarray:
    t = len(design.visits)
    rows = design.group_index == group
    wide = np.full((design.subject_index.max() + 1, t), np.nan)
    wide[design.subject_index[rows], design.visit_index[rows]] = residual[rows]
    frame = pd.DataFrame(wide[~np.isnan(wide).all(axis=1)])  # subjects with a residual
    empirical = frame.cov(min_periods=2).to_numpy()
    variances = np.nanvar(wide, axis=0)
    variances = np.where(np.isnan(variances) | (variances <= 0), np.nanmean(variances), variances)
    empirical = np.where(np.isnan(empirical), 0.0, empirical)
    np.fill_diagonal(empirical, variances)
    return empirical


def _newton(likelihood: Likelihood, start: np.ndarray, max_iter: int = 40):
    """Damped Newton steps on the analytic Hessian (its eigenvalues floored, so that
    every step descends), with backtracking. Returns (theta, iterations) at a point
    where the gradient vanishes, or None when it does not get there."""
    theta = np.asarray(start, dtype=float)
    try:
        current = likelihood.evaluate(theta)
    except NotPositiveDefinite:
        return None
    for iteration in range(1, max_iter + 1):
        if np.max(np.abs(current.gradient)) < 1e-7:
            return theta, iteration - 1
        try:
            values, vectors = np.linalg.eigh(likelihood.hessian(theta))
        except (NotPositiveDefinite, np.linalg.LinAlgError):
            return None
        floor = 1e-6 * max(1.0, float(np.abs(values).max()))
        step = vectors @ ((vectors.T @ current.gradient) / np.maximum(np.abs(values), floor))
        for shrink in (1.0, 0.5, 0.25, 0.125, 0.0625):
            candidate = theta - shrink * step
            try:
                trial = likelihood.evaluate(candidate)
            except NotPositiveDefinite:
                continue
            if trial.value <= current.value + 1e-12:
                theta, current = candidate, trial
                break
        else:
            return None
    return None


def _optimise(likelihood: Likelihood, start: np.ndarray, max_iter: int) -> tuple[np.ndarray, int]:
    """Newton's method on the analytic Hessian from the start; where it does not
    converge, L-BFGS and then Newton steps to polish."""
    newton = _newton(likelihood, start)
    if newton is not None:
        return newton
    return _lbfgs_then_polish(likelihood, start, max_iter)


def _lbfgs_then_polish(likelihood: Likelihood, start: np.ndarray, max_iter: int):
    """L-BFGS from the start, then Newton steps that reuse a Hessian while it works."""

    def objective(theta):
        try:
            evaluation = likelihood.evaluate(theta)
        except NotPositiveDefinite:
            return np.inf, np.zeros_like(theta)
        return evaluation.value, evaluation.gradient

    result = optimize.minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-9, "maxcor": 30},
    )
    theta, iterations = result.x, int(result.nit)
    # Newton steps polish the optimum. A Hessian is reused while its steps succeed
    # and shrink the gradient fast, and recomputed otherwise, so that near the
    # optimum few Hessians (2 x n_theta gradients each) are needed.
    hessian, fresh, previous = None, False, np.inf
    for _ in range(60):
        evaluation = likelihood.evaluate(theta)
        largest = np.max(np.abs(evaluation.gradient))
        if largest < 1e-7:
            break
        if largest > 0.25 * previous:
            hessian = None  # slow progress: the Hessian is stale
        previous = largest
        if hessian is None:
            hessian, fresh = likelihood.hessian(theta), True
        try:
            step = np.linalg.solve(hessian, evaluation.gradient)
        except np.linalg.LinAlgError:
            break
        for shrink in (1.0, 0.5, 0.25, 0.1):
            candidate = theta - shrink * step
            try:
                if likelihood.evaluate(candidate, gradient=False).value <= evaluation.value + 1e-10:
                    theta = candidate
                    fresh = False
                    break
            except NotPositiveDefinite:
                continue
        else:
            if fresh:
                break
            hessian = None  # stale: recompute at the current point and try again
        iterations += 1
    return theta, iterations


def _fit_structure(design, pats, name, reml, start_residual, max_iter):
    structure = Structure(name, len(design.visits))
    likelihood = Likelihood(pats, structure, len(design.groups), reml, len(design.y))
    start = np.concatenate(
        [
            structure.start(_empirical_covariance(design, start_residual, g), pats.points)
            for g in range(len(design.groups))
        ]
    )
    theta, iterations = _optimise(likelihood, start, max_iter)
    evaluation = likelihood.evaluate(theta)
    gradient = np.max(np.abs(evaluation.gradient))
    if not np.isfinite(evaluation.value):
        raise ArithmeticError("the likelihood is not finite at the optimum")
    hessian = likelihood.hessian(theta)
    eigen = np.linalg.eigvalsh(hessian)
    if eigen.min() <= 1e-8 * max(1.0, eigen.max()):
        raise ArithmeticError(
            "the Hessian of the likelihood is not positive definite at the optimum"
            " (a variance or correlation is on its boundary)"
        )
    if gradient > 1e-3:
        raise ArithmeticError(f"the gradient did not vanish (max |gradient| = {gradient:.2g})")
    return likelihood, theta, evaluation, hessian, iterations


def fit_mmrm(
    data: pd.DataFrame,
    formula: str,
    subject: str,
    visit: str,
    covariance: str = "us",
    method: str = "reml",
    *,
    group: str | None = None,
    weights: str | None = None,
    reference: dict | None = None,
    visit_levels: list | None = None,
    fallback: tuple[str, ...] = DEFAULT_FALLBACK,
    max_iter: int = 500,
    covariance_parameters: dict[str, float] | list[dict[str, float]] | None = None,
    threads: int | None = 1,
    df: str | None = None,
    vcov: str = "model",
    information: str = "observed",
    coordinates: list[str] | None = None,
) -> MMRMResult:
    """Fit a mixed model for repeated measures (a GLS model with structured covariance).

    Parameters
    ----------
    data
        Long data: one row per subject and visit. Rows with a missing outcome or
        covariate are dropped (and counted in ``n_dropped``); no imputation.
    formula
        Fixed effects in patsy syntax, e.g. ``"FEV1 ~ ARMCD * AVISIT + RACE"``. Text
        columns are categorical, coded against a reference level (the first level,
        or the one given in ``reference``).
    subject, visit
        Column names of the subject identifier and the visit.
    covariance
        Within-subject covariance structure: ``us`` (unstructured), ``cs``, ``csh``,
        ``ar1``, ``ar1h``, ``toep``, ``toeph``, ``adh`` (SAS ANTE(1)), ``sp_exp``
        (SAS SP(EXP)(c-list): s2 exp(-d / range) with d the Euclidean distance between
        a subject's observations in ``coordinates``) or ``rs`` (a random intercept and
        slope in the first coordinate, as SAS ``RANDOM int t / TYPE=UN``: the marginal
        covariance Z G Z' + s2 I of the linear mixed model).
    method
        ``"reml"`` or ``"ml"``.
    group
        A column whose levels get separate covariance matrices (e.g. the arm).
    weights
        A column of positive observation weights: subject i's covariance is
        W^-1/2 Sigma W^-1/2 (the SAS WEIGHT statement).
    reference
        Reference levels, ``{"ARMCD": "PBO", ...}``.
    visit_levels
        Visit order (matters for ``ar1``, ``ar1h``, ``toeph``, ``adh``); defaults
        to the categorical order or the sorted values.
    fallback
        Structures tried in order when ``covariance`` fails to converge; ``()``
        disables the fallback.
    max_iter
        Iteration limit of the optimiser.
    covariance_parameters
        Evaluate the model at these covariance parameters instead of estimating them
        (SAS ``PARMS ... / NOITER``): a dict of SAS-named values (``{"UN(1,1)": ...}``),
        or one dict per group. Fixed effects, standard errors and degrees of freedom
        are then computed at that point.
    threads
        The number of threads the BLAS and OpenMP libraries (OpenBLAS, MKL, ...) may
        use during the fit: the optimisation, every structure of the fallback chain,
        the Hessian and the derivatives behind the Satterthwaite degrees of freedom.
        The limit is set with threadpoolctl on entry and the previous setting
        restored on return; ``None`` leaves the process's setting alone. The
        default, 1, is the fastest: the matrices are small (visits x visits,
        coefficients x coefficients), so extra threads cost more in start-up and
        synchronisation than they save, and workflow jobs running in parallel never
        oversubscribe the cores. On 2 cores, one of them kept busy by another
        process, fit and df of 400 subjects x 5 visits took 0.03 s with 1 and
        0.13 s with ``None`` (``benchmarks/bench_mmrm.py``). The methods of the
        result (tables, LS-means, contrasts, tests) need no limit: their products
        are too small for BLAS to use its threads. The setting is process-wide, so
        it also holds for other Python threads while the fit runs.
    df
        Degrees of freedom of every t and F test: ``"satterthwaite"`` (the default
        with the model-based covariance; SAS ``DDFM=SATTERTHWAITE``),
        ``"kenward-roger"`` (SAS ``DDFM=KR``: the adjusted covariance, its df and the
        scaled F; REML only), ``"kenward-roger-linear"`` (SAS ``DDFM=KR(LINEAR)``),
        ``"between-within"`` (SAS ``DDFM=BW``, the default with an empirical
        covariance) or ``"residual"`` (observations minus the rank of X).
    vcov
        Covariance of the fixed effects: ``"model"`` (model-based, or the
        Kenward-Roger adjusted one with those df), ``"empirical"`` (the sandwich,
        SAS ``EMPIRICAL``), ``"empirical-jackknife"`` (CR3) or
        ``"empirical-bias-reduced"`` (Bell-McCaffrey, CR2). Every table, LS-mean,
        contrast and test of the result uses the chosen covariance and df, and
        ``fit_statistics`` records both.
    information
        The information matrix of the covariance parameters whose inverse weighs the
        Kenward-Roger adjustment: ``"observed"`` (SAS, R's mmrm) or ``"expected"``
        (Kenward & Roger 1997, R's pbkrtest).
    coordinates
        The columns of the coordinates a per-subject structure uses: their Euclidean
        distances for ``sp_exp``, the first of them as the time for ``rs``; required
        with those structures, and only with them. Each subject then has its own
        covariance matrix.

    Returns
    -------
    MMRMResult

    Raises
    ------
    MMRMDataError
        For unusable data (two rows for one subject and visit, a visit with no
        data, a non-numeric outcome, ...).
    MMRMConvergenceError
        When no structure of the chain converges; the message lists each failure.

    Notes
    -----
    REML or ML estimation of the covariance parameters, generalised least squares
    for the fixed effects with model-based standard errors, and Satterthwaite
    degrees of freedom from the Hessian of the objective (as SAS PROC MIXED
    ``ddfm=satterthwaite`` and R's mmrm). Rank-deficient designs drop aliased
    columns, with a warning naming them.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> n = 60
    >>> data = pd.DataFrame({"id": np.repeat(np.arange(n), 3),
    ...                      "visit": np.tile(["V1", "V2", "V3"], n),
    ...                      "arm": np.repeat(rng.choice(["A", "B"], n), 3)})
    >>> data["y"] = (np.repeat(rng.normal(0, 1, n), 3) + (data["arm"] == "B") * 0.5
    ...              + rng.normal(0, 1, 3 * n))
    >>> fit = fit_mmrm(data, "y ~ arm * visit", subject="id", visit="visit")
    >>> fit.structure, fit.coefficients.shape
    ('us', (6, 8))
    >>> list(fit.coefficients.columns)
    ['term', 'estimate', 'std_error', 'df', 't_value', 'p_value', 'ci_lower', 'ci_upper']
    """
    if method not in ("reml", "ml"):
        raise ValueError(f"method must be 'reml' or 'ml', not {method!r}")
    if information not in ("observed", "expected"):
        raise ValueError(f"information must be 'observed' or 'expected', not {information!r}")
    inference = {
        "df_method": check_methods(df, vcov, method),
        "vcov_method": vcov,
        "information": information,
    }
    chain = [covariance, *[name for name in fallback if name != covariance]]
    spatial = covariance in BY_SUBJECT
    if spatial and not coordinates:
        raise ValueError(f"covariance {covariance!r} needs coordinates=[columns]")
    if coordinates and not spatial:
        raise ValueError(
            f"coordinates are for a per-subject structure ({BY_SUBJECT}), not {covariance!r}"
        )
    if any(name in BY_SUBJECT for name in chain[1:]):
        raise ValueError("a per-subject structure can only be the first of the chain")
    for name in chain:
        if name not in STRUCTURES:
            raise ValueError(f"unknown covariance structure {name!r}; choose from {STRUCTURES}")
    attempts: list[Attempt] = []
    with _thread_limit(threads):
        design = prepare(
            data, formula, subject, visit, group, weights, reference, visit_levels, coordinates
        )
        ols, *_ = np.linalg.lstsq(design.x, design.y, rcond=None)
        residual = design.y - design.x @ ols
        pats = patterns(design, residual)  # centred outcome: better numerics, same model
        if covariance_parameters is not None:
            result = _fixed(design, pats, covariance, method, covariance_parameters, ols)
            return result._prepare(**inference)
        for name in chain:
            try:
                likelihood, theta, evaluation, hessian, iterations = _fit_structure(
                    design, pats, name, method == "reml", residual, max_iter
                )
            except (ArithmeticError, np.linalg.LinAlgError, ValueError) as error:
                attempts.append(Attempt(name, False, str(error) or type(error).__name__))
                continue
            attempts.append(Attempt(name, True, "converged", iterations))
            result = _result(design, likelihood, theta, evaluation, hessian, method, attempts, ols)
            return result._prepare(**inference)
    details = "; ".join(f"{a.structure}: {a.message}" for a in attempts)
    raise MMRMConvergenceError(
        f"no covariance structure converged ({details}). Try a simpler structure, check"
        " visits with very few observations, or rescale the outcome."
    )


def _fixed(design, pats, name, method, parameters, ols) -> MMRMResult:
    structure = Structure(name, len(design.visits))
    groups = parameters if isinstance(parameters, list) else [parameters]
    if len(groups) != len(design.groups):
        raise ValueError(f"give one dict of covariance parameters per group ({design.groups})")
    theta = np.concatenate([structure.theta_from_parameters(g) for g in groups])
    likelihood = Likelihood(pats, structure, len(design.groups), method == "reml", len(design.y))
    evaluation = likelihood.evaluate(theta)
    attempts = [Attempt(name, True, "covariance parameters fixed, not estimated")]
    hessian = likelihood.hessian(theta)
    return _result(design, likelihood, theta, evaluation, hessian, method, attempts, ols)


def _result(design, likelihood, theta, evaluation, hessian, method, attempts, ols) -> MMRMResult:
    """The result at theta; the fit used the outcome centred on its OLS fit, so the
    OLS coefficients are added back.

    The derivatives of the coefficients' covariance (for the Satterthwaite df of
    every later table) are computed here, under the fit's thread limit: their one
    sizeable matrix product would otherwise run on every BLAS thread, and OpenBLAS
    threads then spin for a while, slowing the next fit when the cores are busy."""
    result = MMRMResult(
        design=design,
        likelihood=likelihood,
        theta=theta,
        beta=evaluation.beta + ols,
        vcov=evaluation.covariance,
        hessian=hessian,
        value=evaluation.value,
        method=method,
        attempts=attempts,
    )
    return result


@dataclass(repr=False)
class MMRMResult:
    """A fitted MMRM. Tables are DataFrames, computed once and kept; nothing is
    printed. ``repr`` is a three-line description, :meth:`summary` the printable (and
    notebook-rendered) summary, :meth:`tidy` and :meth:`glance` the broom-style tables.
    """

    design: Design
    likelihood: Likelihood
    theta: np.ndarray
    beta: np.ndarray
    vcov: np.ndarray
    hessian: np.ndarray
    value: float
    method: str
    attempts: list[Attempt]
    df_method: str = "satterthwaite"
    vcov_method: str = "model"
    information: str = "observed"

    def _prepare(self, df_method: str, vcov_method: str, information: str) -> MMRMResult:
        """Set the inference methods and compute what every later table needs (the
        derivatives behind the df, the adjusted or empirical covariance), under the
        fit's thread limit: their one sizeable matrix product would otherwise run on
        every BLAS thread, and OpenBLAS threads then spin for a while, slowing the
        next fit when the cores are busy."""
        self.df_method, self.vcov_method = df_method, vcov_method
        self.information = information
        if df_method == "satterthwaite":
            self._jacobian()
        self.beta_covariance  # noqa: B018 (computed now, cached)
        return self

    @property
    def beta_covariance(self) -> np.ndarray:
        """The covariance of the kept coefficients that inference uses: model-based,
        Kenward-Roger adjusted or empirical, as ``df_method`` and ``vcov_method`` say
        (``vcov`` is always the model-based one)."""
        if not hasattr(self, "_beta_covariance"):
            if self.df_method.startswith("kenward-roger"):
                self._beta_covariance = self._kenward_roger().adjusted
            elif self.vcov_method != "model":
                sigmas = self.likelihood.pattern_sigmas(self.theta)[
                    self.likelihood.patterns.subject_pattern
                ]
                self._beta_covariance = empirical_covariance(
                    self.design, sigmas, self.beta, self.vcov, self.vcov_method
                )
            else:
                self._beta_covariance = self.vcov
        return self._beta_covariance

    def _kenward_roger(self) -> KenwardRoger:
        if not hasattr(self, "_kr"):
            self._kr = kenward_roger(
                self.likelihood,
                self.theta,
                self.vcov,
                self.theta_covariance,
                linear=self.df_method == "kenward-roger-linear",
                information=self.information,
            )
        return self._kr

    def _residual_df(self) -> np.ndarray:
        if not hasattr(self, "_column_df"):
            if self.df_method == "between-within":
                self._column_df = between_within_df(self.design)
            else:
                rank = np.linalg.matrix_rank(self.design.x)
                self._column_df = np.full(self.design.x.shape[1], len(self.design.y) - rank)
        return self._column_df

    def row_df(self, row: np.ndarray) -> float:
        """Degrees of freedom of the estimate row @ beta (kept coefficients) by the
        fit's df method; for between-within the smallest df of the columns it
        involves, as R's mmrm."""
        if self.df_method == "satterthwaite":
            return self.satterthwaite_df(row)
        if self.df_method.startswith("kenward-roger"):
            return self._kenward_roger().df(self.vcov, row[None, :])[0]
        involved = np.abs(row) > 1e-12 * max(1.0, float(np.abs(row).max()))
        column_df = self._residual_df()
        return float(column_df[involved].min()) if involved.any() else float(column_df.min())

    def __repr__(self) -> str:
        return "\n".join(describe(self))

    @property
    def structure(self) -> str:
        """The covariance structure actually used."""
        return self.likelihood.structure.name

    # --- scalars ---------------------------------------------------------------------

    @property
    def minus2_log_likelihood(self) -> float:
        """-2 log-likelihood (REML or ML, as fitted)."""
        return self.value

    @property
    def n_parameters(self) -> int:
        """Parameters the information criteria count: the covariance parameters
        (REML), plus the fixed effects (ML), as SAS."""
        n_theta = len(self.theta)
        return n_theta if self.method == "reml" else n_theta + len(self.beta)

    @property
    def aic(self) -> float:
        return self.value + 2 * self.n_parameters

    @property
    def aicc(self) -> float:
        n_obs = len(self.design.y)
        n_eff = n_obs - len(self.beta) if self.method == "reml" else n_obs
        d = self.n_parameters
        return self.value + 2 * d * n_eff / (n_eff - d - 1)

    @property
    def bic(self) -> float:
        return self.value + self.n_parameters * np.log(self.design.n_subjects)

    # --- presentation ----------------------------------------------------------------

    def summary(self) -> MMRMSummary:
        """Description, coefficients, covariance parameters and fit statistics, as one
        object that prints as text and renders as tables in a notebook."""
        return MMRMSummary(
            describe(self), self.coefficients, self.covariance_parameters, self.fit_statistics
        )

    def tidy(self) -> pd.DataFrame:
        """The coefficients with broom's column names (term, estimate, std.error,
        statistic, df, p.value, conf.low, conf.high)."""
        return tidy(self)

    def glance(self) -> pd.DataFrame:
        """One row describing the fit: structure, methods, counts, logLik, deviance,
        AIC, AICc, BIC, convergence (broom's ``glance``)."""
        return glance(self)

    @property
    def converged(self) -> bool:
        return self.attempts[-1].converged

    @property
    def theta_covariance(self) -> np.ndarray:
        """Asymptotic covariance of theta: inverse of half the Hessian of -2 l.

        When the Hessian is singular (a variance on its boundary, e.g. a random
        intercept estimated as 0) the pseudo-inverse is used, which treats that
        direction as known."""
        try:
            return np.linalg.inv(self.hessian / 2)
        except np.linalg.LinAlgError:
            return np.linalg.pinv(self.hessian / 2)

    @property
    def n_dropped(self) -> int:
        """Rows dropped for a missing outcome or covariate."""
        return self.design.n_dropped

    # --- tables -----------------------------------------------------------------------

    @property
    def coefficients(self) -> pd.DataFrame:
        """Fixed effects: term, estimate, std_error, df, t_value, p_value, ci_lower,
        ci_upper (95%), by the fit's df and vcov methods. Aliased terms have NaN
        everywhere."""
        return self._coefficients.copy()  # computed once; a copy, which callers may alter

    @functools.cached_property
    def _coefficients(self) -> pd.DataFrame:
        table = self.contrast(np.eye(len(self.beta)), names=self.design.columns, check=False)
        table = table.rename(columns={"contrast": "term"})
        if self.design.aliased:
            table = (
                table.set_index("term")
                .reindex(self.design.all_columns)
                .reset_index()
                .rename(columns={"index": "term"})
            )
        return table

    @property
    def covariance_parameters(self) -> pd.DataFrame:
        """Covariance parameters as SAS names them: group, parameter, estimate."""
        return self._covariance_parameters.copy()  # computed once; a copy, which callers may alter

    @functools.cached_property
    def _covariance_parameters(self) -> pd.DataFrame:
        rows = []
        for group, part in zip(self.design.groups, self.likelihood.split(self.theta), strict=True):
            for name, value in self.likelihood.structure.report(part, self.design.visits):
                rows.append({"group": group, "parameter": name, "estimate": value})
        return pd.DataFrame(rows)

    @property
    def covariance_matrix(self) -> dict[str, pd.DataFrame]:
        """The estimated within-subject covariance matrix per group, visits labelled.
        For a spatial structure, whose matrices differ between subjects, that of the
        group's first subject over its visits (as SAS prints R for the first subject)."""
        visits = self.design.visits
        if not self.likelihood.structure.by_subject:
            return {
                group: pd.DataFrame(sigma, index=visits, columns=visits)
                for group, sigma in zip(
                    self.design.groups, self.likelihood.sigmas(self.theta), strict=True
                )
            }
        patterns = self.likelihood.patterns
        sigmas = self.likelihood.pattern_sigmas(self.theta)
        out = {}
        for code, group in enumerate(self.design.groups):
            first = np.flatnonzero(patterns.group == code)[0]
            seen = np.flatnonzero(patterns.observed[first])
            labels = [visits[k] for k in seen]
            matrix = sigmas[first][np.ix_(seen, seen)]
            out[group] = pd.DataFrame(matrix, index=labels, columns=labels)
        return out

    def _rows_covariance(self, rows: np.ndarray, visit, group, coordinates, weights):
        """The model covariance of some rows of one subject (in their order)."""
        structure = self.likelihood.structure
        part = self.likelihood.split(self.theta)[group[rows[0]]]
        if structure.by_subject:
            sigma = structure.matrix(part, coordinates[rows])
        else:
            sigma = structure.matrix(part)[np.ix_(visit[rows], visit[rows])]
        return sigma / np.sqrt(np.outer(weights[rows], weights[rows]))

    @property
    def fit_statistics(self) -> pd.DataFrame:
        """-2 log-likelihood, AIC, AICC, BIC (as SAS computes them), with the
        structure, convergence and counts."""
        return self._fit_statistics.copy()  # computed once; a copy, which callers may alter

    @functools.cached_property
    def _fit_statistics(self) -> pd.DataFrame:
        rows = {
            "minus2_log_likelihood": self.value,
            "aic": self.aic,
            "aicc": self.aicc,
            "bic": self.bic,
            "n_parameters": self.n_parameters,
            "n_observations": len(self.design.y),
            "n_subjects": self.design.n_subjects,
            "n_dropped": self.design.n_dropped,
            "structure": self.structure,
            "method": self.method,
            "converged": self.converged,
            "iterations": self.attempts[-1].iterations,
            "fallback_reason": "; ".join(f"{a.structure}: {a.message}" for a in self.attempts[:-1]),
            "df_method": self.df_method,
            "vcov": self.vcov_method,
            "information": self.information if self.df_method.startswith("kenward") else "",
        }
        return pd.DataFrame({"statistic": list(rows), "value": list(rows.values())})

    def residuals(self, kind: str | None = None) -> pd.DataFrame | pd.Series:
        """Marginal residuals of the rows used.

        With ``kind=None`` a DataFrame: row (index in the input data), fitted,
        residual (raw: y - X beta), pearson (raw over its model standard deviation)
        and normalized (each subject's raw residuals multiplied by the inverse
        Cholesky factor of its covariance: independent N(0, 1) under the model). With
        ``kind="raw"``, ``"pearson"`` or ``"normalized"`` that column alone, as a
        Series indexed by row.
        """
        kinds = {"raw": "residual", "pearson": "pearson", "normalized": "normalized"}
        if kind is not None and kind not in kinds:
            raise ValueError(f"kind must be one of {', '.join(kinds)} or None, not {kind!r}")
        design = self.design
        fitted = design.x @ self.beta
        residual = design.y - fitted
        normalized = np.empty_like(residual)
        variance = np.empty_like(residual)
        order = np.lexsort((design.visit_index, design.subject_index))
        boundaries = np.flatnonzero(np.diff(design.subject_index[order])) + 1
        for rows in np.split(order, boundaries):
            sigma = self._rows_covariance(
                rows, design.visit_index, design.group_index, design.coordinates, design.weights
            )
            variance[rows] = np.diag(sigma)
            lower = np.linalg.cholesky(sigma)
            normalized[rows] = np.linalg.solve(lower, residual[rows])
        table = pd.DataFrame(
            {
                "row": design.data.index,
                "fitted": fitted,
                "residual": residual,
                "pearson": residual / np.sqrt(variance),
                "normalized": normalized,
            }
        )
        if kind is None:
            return table
        return table.set_index("row")[kinds[kind]]

    def predict(self, data: pd.DataFrame | None = None, conditional: bool = True) -> pd.DataFrame:
        """Predictions with standard errors, for the fit's data or new rows.

        Parameters
        ----------
        data
            Rows with the model's covariates, subject and visit (and group and
            weights columns if the fit had them); the outcome may be missing. Defaults
            to the rows the fit used.
        conditional
            ``True``: each row given the same subject's observed outcomes in ``data``
            (an observed row is predicted by its own value; a missing one by
            x beta + Sigma_jo Sigma_oo^-1 (y_o - X_o beta)), as R mmrm's ``predict``.
            ``False``: the marginal mean x beta.

        Returns
        -------
        DataFrame
            row (index of ``data``), prediction, std_error (of the predicted mean,
            from the covariance of the estimates the fit's inference uses, the
            covariance parameters taken as known) and prediction_sd (for a new
            observation: adds the residual variance left by the conditioning).
        """
        design = self.design
        frame = design.data if data is None else data
        x, y, subject, visit, group, weights, coordinates = self._new_rows(frame)
        phi = self.beta_covariance
        mean = x @ self.beta
        prediction = mean.copy()
        std_error = np.sqrt(np.einsum("ij,jk,ik->i", x, phi, x))
        spread = np.array(
            [
                self._rows_covariance(np.array([k]), visit, group, coordinates, weights)[0, 0]
                for k in range(len(x))
            ]
        )
        prediction_sd = np.sqrt(spread + std_error**2)
        if conditional:
            order = np.lexsort((visit, subject))
            boundaries = np.flatnonzero(np.diff(subject[order])) + 1
            for rows in np.split(order, boundaries):
                seen = rows[~np.isnan(y[rows])]
                unseen = rows[np.isnan(y[rows])]
                prediction[seen], std_error[seen], prediction_sd[seen] = y[seen], 0.0, 0.0
                if len(unseen) == 0 or len(seen) == 0:
                    continue
                both = np.concatenate([seen, unseen])
                sigma = self._rows_covariance(both, visit, group, coordinates, weights)
                k = len(seen)
                s_oo, s_uo, s_uu = sigma[:k, :k], sigma[k:, :k], sigma[k:, k:]
                c = np.linalg.solve(s_oo, s_uo.T).T  # Sigma_uo Sigma_oo^-1
                prediction[unseen] = mean[unseen] + c @ (y[seen] - mean[seen])
                a = x[unseen] - c @ x[seen]
                std_error[unseen] = np.sqrt(np.einsum("ij,jk,ik->i", a, phi, a))
                left = np.diag(s_uu - c @ s_uo.T)
                prediction_sd[unseen] = np.sqrt(left + std_error[unseen] ** 2)
        return pd.DataFrame(
            {
                "row": frame.index,
                "prediction": prediction,
                "std_error": std_error,
                "prediction_sd": prediction_sd,
            }
        )

    def _new_rows(self, frame: pd.DataFrame):
        """Kept design columns, outcome (NaN where missing), subject, visit and group
        codes and weights of ``frame``, checked against the fit."""
        design = self.design
        outcome = design.formula.split("~")[0].strip()
        needed = [
            *design.variables,
            design.subject,
            design.visit,
            *([design.group] if design.group else []),
            *([design.weights_column] if design.weights_column else []),
            *design.coordinate_columns,
        ]
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise MMRMDataError(f"columns {missing} are missing from the data to predict")
        data = frame.copy()
        for v in design.variables:
            if isinstance(design.data[v].dtype, pd.CategoricalDtype):
                categories = design.data[v].cat.categories
                values = data[v].astype(categories.dtype) if len(data) else data[v]
                unknown = sorted(set(values.dropna()) - set(categories), key=str)
                if unknown:
                    raise MMRMDataError(
                        f"{v}: levels {unknown} were not in the fitted data ({list(categories)})"
                    )
                data[v] = pd.Categorical(values, categories=categories)
        absent = data[design.variables].isna().any(axis=1)
        if absent.any():
            row = data.index[absent][0]
            raise MMRMDataError(f"row {row!r}: a covariate is missing; predictions need them all")
        x_all = model_matrix(design.design_info, data, na_action="raise")
        x = self.kept_columns(x_all)
        y = (
            pd.to_numeric(data[outcome], errors="coerce").to_numpy(float)
            if outcome in data
            else np.full(len(data), np.nan)
        )
        visits = pd.Categorical(data[design.visit].astype(str), categories=design.visits)
        if (visits.codes < 0).any():
            row = data.index[visits.codes < 0][0]
            raise MMRMDataError(
                f"row {row!r}: visit {data.loc[row, design.visit]!r} was not in the fitted data"
            )
        if design.group:
            groups = pd.Categorical(data[design.group].astype(str), categories=design.groups)
            group = np.asarray(groups.codes, dtype=int)
        else:
            group = np.zeros(len(data), dtype=int)
        weights = (
            data[design.weights_column].to_numpy(float)
            if design.weights_column
            else np.ones(len(data))
        )
        subject = pd.factorize(data[design.subject])[0]
        coordinates = (
            data[list(design.coordinate_columns)].to_numpy(float)
            if design.coordinate_columns
            else None
        )
        visit = np.asarray(visits.codes, dtype=int)
        return x, y, subject, visit, group, weights, coordinates

    # --- inference --------------------------------------------------------------------

    def _jacobian(self) -> np.ndarray:
        if not hasattr(self, "_dcov"):
            self._dcov = self.likelihood.covariance_jacobian(self.theta, self.vcov)
        return self._dcov

    def satterthwaite_df(self, row: np.ndarray) -> float:
        """Satterthwaite degrees of freedom of the estimate row @ beta."""
        variance = row @ self.vcov @ row
        gradient = np.einsum("a,kab,b->k", row, self._jacobian(), row)
        denominator = gradient @ self.theta_covariance @ gradient
        return float(2 * variance**2 / denominator) if denominator > 0 else np.inf

    def contrast(self, matrix, names=None, level: float = 0.95, check: bool = True) -> pd.DataFrame:
        """Estimate each row L of ``matrix`` as L @ beta, one-df tests.

        Parameters
        ----------
        Standard errors and df follow the fit's ``vcov`` and ``df`` methods.

        matrix
            Rows over all the design's columns (aliased ones included, as
            :meth:`lsmeans_matrix` gives with ``full=True``), whose estimability is
            checked; or over the kept coefficients only, computed as given (such rows
            cannot say what they put on an aliased column, so they cannot be checked:
            use full rows when the design has aliased columns); or a DataFrame whose
            columns are coefficient names (missing ones count as 0; checked).
        names
            A label per row (defaults to the DataFrame index, or 0, 1, ...).
        check
            Check the estimability of full rows (default). ``False`` computes every
            row as given, as the coefficients table does (the solution with aliased
            columns at 0, as SAS prints it).

        Returns
        -------
        DataFrame
            contrast, estimate, std_error, df (Satterthwaite), t_value, p_value,
            ci_lower, ci_upper. A row that is not estimable (:meth:`estimable`: it
            involves an aliased column, e.g. the LS-mean of an arm with no data at a
            visit, which SAS prints as "Non-est") has NaN in every number.
        """
        if isinstance(matrix, pd.DataFrame):
            names = list(matrix.index) if names is None else names
            unknown = [c for c in matrix.columns if c not in self.design.all_columns]
            if unknown:
                raise ValueError(f"{unknown} are not coefficients of the model")
            matrix = matrix.reindex(columns=self.design.all_columns, fill_value=0.0)
            matrix = matrix.to_numpy(float)
        matrix = np.atleast_2d(np.asarray(matrix, dtype=float))
        estimable = np.isfinite(matrix).all(axis=1) | (not check)
        if matrix.shape[1] == len(self.design.all_columns):
            if check:
                estimable &= self.estimable(matrix)
            matrix = self.kept_columns(matrix)
        names = list(range(len(matrix))) if names is None else list(names)
        if len(names) != len(matrix):
            raise ValueError(f"{len(names)} names for {len(matrix)} rows")
        estimate, se, df = np.full((3, len(matrix)), np.nan)
        for k in np.flatnonzero(estimable):
            row = matrix[k]
            estimate[k] = float(row @ self.beta)
            se[k] = float(np.sqrt(row @ self.beta_covariance @ row))
            df[k] = self.row_df(row)
        with np.errstate(invalid="ignore", divide="ignore"):
            t_value = estimate / se
        quantile = stats.t.ppf((1 + level) / 2, df)  # one call for all rows: NaN stays NaN
        return pd.DataFrame(
            {
                "contrast": names,
                "estimate": estimate,
                "std_error": se,
                "df": df,
                "t_value": t_value,
                "p_value": 2 * stats.t.sf(np.abs(t_value), df),
                "ci_lower": estimate - quantile * se,
                "ci_upper": estimate + quantile * se,
            },
            columns=CONTRAST_COLUMNS,
        )

    def estimable(self, matrix: np.ndarray) -> np.ndarray:
        """Whether each row L of ``matrix`` (over all the design's columns, aliased
        ones included) is an estimable function: L is orthogonal to the null space of
        the design, i.e. for every aliased column a, L[a] = L[kept] @ alias[a]. (SAS
        prints non-estimable LS-means and contrasts as "Non-est".)

        Examples
        --------
        Arm b has no data at visit 2: its LS-mean there is not estimable (and
        neither is any difference with it), while the rest are:

        >>> import warnings
        >>> data = pd.DataFrame({
        ...     "id": [1, 1, 2, 2, 3, 3, 4, 5, 6],
        ...     "visit": ["v1", "v2", "v1", "v2", "v1", "v2", "v1", "v1", "v1"],
        ...     "arm": ["a"] * 6 + ["b"] * 3,
        ...     "y": [1.0, 2.0, 2.0, 3.5, 3.0, 3.5, 4.0, 5.0, 6.5]})
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")  # the aliased column is announced
        ...     fit = fit_mmrm(data, "y ~ arm * visit", "id", "visit", covariance="cs",
        ...                    fallback=())
        >>> fit.design.aliased
        ['arm[T.b]:visit[T.v2]']
        >>> cells, rows = fit.lsmeans_matrix(["arm", "visit"], full=True)
        >>> fit.estimable(rows).tolist()  # a v1, a v2, b v1, b v2
        [True, True, True, False]
        >>> fit.lsmeans(["arm", "visit"])["estimate"].round(2).tolist()
        [2.0, 3.0, 5.17, nan]
        """
        matrix = np.atleast_2d(np.asarray(matrix, dtype=float))
        if not self.design.aliased:
            return np.isfinite(matrix).all(axis=1)
        aliased = [self.design.all_columns.index(c) for c in self.design.aliased]
        kept = self.kept_columns(matrix)
        defect = matrix[:, aliased] - kept @ self.design.alias.T
        # relative to the size of the terms that must cancel, for each aliased column
        scale = 1.0 + np.abs(matrix[:, aliased]) + np.abs(kept) @ np.abs(self.design.alias.T)
        return np.all(np.abs(defect) <= 1e-8 * scale, axis=1)

    def kept_columns(self, matrix: np.ndarray) -> np.ndarray:
        """The columns of a full-width ``matrix`` that the fit kept."""
        keep = [self.design.all_columns.index(c) for c in self.design.columns]
        return np.asarray(matrix)[:, keep]

    def estimable_part(self, matrix: np.ndarray) -> np.ndarray:
        """The estimable part of a hypothesis: rows spanning every combination of
        the rows of ``matrix`` (over all the design's columns) that is an estimable
        function. With no aliased column this is ``matrix`` itself; when a cell has no
        data (an arm missing at a visit) the hypothesis loses the dimensions that
        involve it, and may become empty (no rows).

        Examples
        --------
        With arm b missing at visit 2, "no arm difference at any visit" keeps only
        the difference at visit 1 (one of its two rows):

        >>> import warnings
        >>> data = pd.DataFrame({
        ...     "id": [1, 1, 2, 2, 3, 3, 4, 5, 6],
        ...     "visit": ["v1", "v2", "v1", "v2", "v1", "v2", "v1", "v1", "v1"],
        ...     "arm": ["a"] * 6 + ["b"] * 3,
        ...     "y": [1.0, 2.0, 2.0, 3.5, 3.0, 3.5, 4.0, 5.0, 6.5]})
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")  # the aliased column is announced
        ...     fit = fit_mmrm(data, "y ~ arm * visit", "id", "visit", covariance="cs",
        ...                    fallback=())
        >>> cells, rows = fit.lsmeans_matrix(["arm", "visit"], full=True)
        >>> hypothesis = rows[[2, 3]] - rows[[0, 1]]  # b - a at v1, at v2
        >>> fit.estimable_part(hypothesis).shape[0]
        1
        """
        matrix = np.atleast_2d(np.asarray(matrix, dtype=float))
        if not self.design.aliased:
            return matrix
        # the null space of the design: for each aliased column a, e_a - alias[a]
        columns = self.design.all_columns
        null = np.zeros((len(columns), len(self.design.aliased)))
        kept = [columns.index(c) for c in self.design.columns]
        for j, name in enumerate(self.design.aliased):
            null[columns.index(name), j] = 1.0
            null[kept, j] = -self.design.alias[j]
        # combinations c with c @ matrix @ null = 0, orthonormal, so the F test of the
        # estimable part does not depend on how the remaining rows are chosen
        u, singular, vt = np.linalg.svd(matrix @ null, full_matrices=True)
        scale = max(1.0, float(np.abs(matrix).max()))
        rank = int(np.sum(singular > 1e-8 * scale))
        combinations = u[:, rank:].T
        part = combinations @ matrix
        # drop combinations that vanish (rows of matrix that were dependent)
        strength = np.linalg.norm(part, axis=1)
        return part[strength > 1e-8 * scale]

    def f_test(self, matrix: np.ndarray) -> dict:
        """Joint test of L @ beta = 0 by the fit's df method: Satterthwaite by the
        eigen-decomposition method of SAS PROC MIXED and lmerTest; Kenward-Roger with
        its scaled F (lambda) and df; between-within or residual df.

        ``matrix`` is over the kept coefficients, or over all the design's columns
        (aliased ones included), in which case only its estimable part
        (:meth:`estimable_part`) is tested and the note says so.

        Returns a dict: num_df, den_df, f_value, p_value, note ("" when the whole
        hypothesis was tested; NaN numbers when no part of it is estimable).
        """
        matrix = np.atleast_2d(np.asarray(matrix, dtype=float))
        note = ""
        if matrix.shape[1] == len(self.design.all_columns) and self.design.aliased:
            rank = np.linalg.matrix_rank(matrix)
            part = self.estimable_part(matrix)
            if len(part) == 0:
                return {
                    "num_df": np.nan,
                    "den_df": np.nan,
                    "f_value": np.nan,
                    "p_value": np.nan,
                    "note": "not estimable: it involves cells without data",
                }
            if len(part) < rank:
                note = (
                    f"estimable part only ({len(part)} of {rank} df): cells without data"
                    " are left out"
                )
            matrix = self.kept_columns(part)
        elif matrix.shape[1] == len(self.design.all_columns):
            matrix = self.kept_columns(matrix)
        # an orthonormal basis of the hypothesis, by the covariance's eigenvectors
        covariance = matrix @ self.beta_covariance @ matrix.T
        values, vectors = np.linalg.eigh(covariance)
        keep = values > 1e-10 * values.max()
        values, vectors = values[keep], vectors[:, keep]
        rank = int(keep.sum())
        rotated = vectors.T @ matrix
        f_value = float(np.sum((rotated @ self.beta) ** 2 / values) / rank)
        if self.df_method == "satterthwaite":
            nu = np.array([self.satterthwaite_df(row) for row in rotated])
            if rank == 1:
                den_df = float(nu[0])
            else:
                e = np.sum(np.where(nu > 2, nu / (nu - 2), 0.0))
                den_df = float(2 * e / (e - rank)) if e > rank else float(np.min(nu))
        elif self.df_method.startswith("kenward-roger"):
            den_df, scale = self._kenward_roger().df(self.vcov, rotated)
            f_value *= scale
        else:
            den_df = min(self.row_df(row) for row in rotated)
        return {
            "num_df": rank,
            "den_df": den_df,
            "f_value": f_value,
            "p_value": float(stats.f.sf(f_value, rank, den_df)),
            "note": note,
        }

    # --- least-squares means ----------------------------------------------------------

    def _grid(self) -> tuple[pd.DataFrame, list[str], list[str]]:
        """All combinations of the categorical variables; numeric ones at their mean."""
        data = self.design.data
        categorical = [
            v for v in self.design.variables if isinstance(data[v].dtype, pd.CategoricalDtype)
        ]
        numeric = [v for v in self.design.variables if v not in categorical]
        categories = [data[v].cat.categories for v in categorical]
        # the codes of every combination, the first variable varying slowest
        sizes = [len(c) for c in categories]
        size = int(np.prod(sizes))  # 1 without categorical variables
        codes = np.indices(sizes).reshape(len(sizes), size)
        grid = pd.DataFrame(
            {
                **{
                    v: pd.Categorical.from_codes(c, categories=levels)
                    for v, c, levels in zip(categorical, codes, categories, strict=True)
                },
                **{v: np.full(size, float(data[v].mean())) for v in numeric},
            },
            index=pd.RangeIndex(size),
        )
        return grid, categorical, numeric

    def lsmeans_matrix(
        self, specs: list[str] | str, weights: str = "equal", full: bool = False
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """The LS-means' cells and their coefficient rows L (LS-mean = L @ beta).

        ``weights="equal"`` averages over the levels of the other factors equally (the
        SAS default); ``"proportional"`` weights their combinations by their frequency
        in the analysis data (SAS OM). The rows are over the kept coefficients, or
        with ``full=True`` over all the design's columns, aliased ones included, so
        that :meth:`estimable` can tell which LS-means (and which combinations of
        them) the data identify; :meth:`contrast` takes either.
        """
        specs = [specs] if isinstance(specs, str) else list(specs)
        grid, categorical, _ = self._grid()
        unknown = [s for s in specs if s not in categorical]
        if unknown:
            raise ValueError(
                f"{unknown} are not categorical variables of the model ({categorical})"
            )
        matrix = model_matrix(self.design.design_info, grid)
        rows = matrix if full else self.kept_columns(matrix)
        others = [v for v in categorical if v not in specs]
        if weights == "equal":
            w = np.ones(len(grid))
        elif weights == "proportional":
            if others:
                counts = (
                    self.design.data[others].astype(str).value_counts().rename("n").reset_index()
                )
                merged = grid[others].astype(str).merge(counts, on=others, how="left")
                w = merged["n"].fillna(0).to_numpy(float)
            else:
                w = np.ones(len(grid))
        else:
            raise ValueError(f"weights must be 'equal' or 'proportional', not {weights!r}")
        cells = pd.DataFrame(
            list(itertools.product(*(self.design.data[s].cat.categories for s in specs))),
            columns=specs,
        )
        # each grid row's cell, as its index in the product of the specs' categories
        # (the order of ``cells``), then the weighted mean of the rows of each cell
        sizes = [len(self.design.data[s].cat.categories) for s in specs]
        codes = [grid[s].cat.codes.to_numpy() for s in specs]
        index = np.ravel_multi_index(codes, sizes) if specs else np.zeros(len(grid), int)
        totals = np.zeros((len(cells), rows.shape[1]))
        np.add.at(totals, index, rows * w[:, None])
        mass = np.bincount(index, weights=w, minlength=len(cells))
        for s in specs:
            cells[s] = cells[s].astype(str)
        with np.errstate(invalid="ignore", divide="ignore"):
            return cells, totals / mass[:, None]

    def lsmeans(self, specs: list[str] | str, weights: str = "equal") -> pd.DataFrame:
        """Least-squares means for every combination of ``specs`` levels.

        Returns the cells' columns, then estimate, std_error, df, t_value, p_value,
        ci_lower, ci_upper (NaN for a cell that is not estimable, such as an arm with
        no data at a visit).
        """
        cells, matrix = self.lsmeans_matrix(specs, weights, full=True)
        table = self.contrast(matrix).drop(columns="contrast")
        return pd.concat([cells, table], axis=1)

    def lsmeans_differences(self, specs: list[str] | str, weights: str = "equal") -> pd.DataFrame:
        """All pairwise differences of the LS-means (cell i minus cell j, i before j);
        NaN where one of them is not estimable."""
        cells, matrix = self.lsmeans_matrix(specs, weights, full=True)
        labels = [" ".join(map(str, row)) for row in cells.itertuples(index=False)]
        pairs = list(itertools.combinations(range(len(cells)), 2))
        table = self.contrast(
            np.array([matrix[i] - matrix[j] for i, j in pairs]),
            names=[f"{labels[i]} - {labels[j]}" for i, j in pairs],
        )
        table.insert(1, "level_1", [labels[i] for i, _ in pairs])
        table.insert(2, "level_2", [labels[j] for _, j in pairs])
        return table

    def _term_hypothesis(self, term: patsy.Term, covariates: str) -> np.ndarray:
        """The Type III hypothesis of ``term``, full width (aliased columns included).

        The linear predictor is evaluated on the grid of every combination of the
        class variables, with the numeric variables at 0 (``covariates="zero"``, as
        SAS) or at their means (``"mean"``). The term's numeric variables are then
        differentiated away (a mixed difference between 1 and 0: a slope), the other
        class variables averaged with equal weights, and the cells of the term's own
        class variables compared, each level with the first, crossed over variables.
        """
        data = self.design.data
        grid, categorical, numeric = self._grid()
        names = [_factor_variable(f.code, self.design.variables) for f in term.factors]
        classes = [n for n in dict.fromkeys(names) if n in categorical]
        slopes = [n for n in dict.fromkeys(names) if n in numeric]
        if covariates == "zero":
            for v in numeric:
                grid[v] = 0.0
        elif covariates != "mean":
            raise ValueError(f"covariates must be 'zero' or 'mean', not {covariates!r}")
        rows = np.zeros((len(grid), len(self.design.all_columns)))
        for subset in itertools.chain.from_iterable(
            itertools.combinations(slopes, k) for k in range(len(slopes) + 1)
        ):
            point = grid.copy()
            for v in slopes:
                point[v] = 1.0 if v in subset else 0.0
            matrix = model_matrix(self.design.design_info, point)
            rows += (-1.0) ** (len(slopes) - len(subset)) * matrix
        if not classes:
            return rows.mean(axis=0, keepdims=True)
        cells = list(itertools.product(*(data[n].cat.categories for n in classes)))
        labels = grid[classes].astype(object).to_numpy()
        means = np.array(
            [
                rows[(labels == np.array(cell, dtype=object)).all(axis=1)].mean(axis=0)
                for cell in cells
            ]
        )
        versus_first = [
            np.eye(len(levels))[1:] - np.eye(len(levels))[0]
            for levels in (data[n].cat.categories for n in classes)
        ]
        hypothesis = versus_first[0]
        for d in versus_first[1:]:
            hypothesis = np.kron(hypothesis, d)
        return hypothesis @ means

    def type3(self, covariates: str = "zero") -> pd.DataFrame:
        """Type III F tests of every model term (Satterthwaite denominator df), as
        SAS PROC MIXED defines them.

        Each term is tested on the equal-weight cell means of the class variables:

        * a class term (``arm``, ``arm:visit``): no main effect or interaction of its
          cells, averaged over the other class variables, with numeric covariates at
          0 (SAS). Where a covariate interacts with a class variable (``base:visit``)
          this tests the class effect at covariate 0; ``covariates="mean"`` tests it
          at the covariates' means instead (a "balanced at the mean" variant);
        * a numeric term (``base``): its slope averaged over the cells of the class
          variables it interacts with (the equal-weight average of the class-specific
          slopes), 0;
        * a numeric-by-class term (``base:visit``): the class-specific slopes equal.

        Returns term, num_df, den_df, f_value, p_value, note. When cells have no data
        (an arm missing at a visit) only the estimable part of a hypothesis is
        tested and the note says so (:meth:`f_test`).
        """
        rows = []
        for term in self.design.design_info.terms:
            if not term.factors:
                continue
            test = self.f_test(self._term_hypothesis(term, covariates))
            rows.append({"term": term.name(), **test})
        return pd.DataFrame(rows)

    def slices(self, specs: list[str], by: str, weights: str = "equal") -> pd.DataFrame:
        """Tests of the ``specs`` effect within each level of ``by`` (SAS SLICE=).

        At a level where some cells have no data, the differences among the other
        cells are tested and the note says so; NaN when none is estimable.
        """
        specs = [specs] if isinstance(specs, str) else list(specs)
        cells, matrix = self.lsmeans_matrix(
            [*specs, by] if by not in specs else specs, weights, full=True
        )
        rows = []
        for level in cells[by].unique():
            member = np.flatnonzero(cells[by] == level)
            hypothesis = np.diff(matrix[member], axis=0)
            rows.append({by: level, **self.f_test(hypothesis)})
        return pd.DataFrame(rows)


def _factor_variable(code: str, variables: list[str]) -> str:
    matches = [v for v in variables if v in code]
    return max(matches, key=len) if matches else code


warnings.filterwarnings("default", category=UserWarning, module="rlstrial.mmrm")
