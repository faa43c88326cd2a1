"""Sensitivity analyses of the primary contrast at the primary visit.

``rerandomization_test``
    Re-randomizes as the trial did (``analysis.rerandomization.scheme``):
    ``stratified_permutation`` permutes the two arms of the primary contrast within
    strata, keeping each stratum's arm counts (exact over every allocation when there
    are few enough, Monte Carlo with a seed otherwise); ``stratified_blocks`` draws
    new permuted-block sequences over all arms within each stratum, in randomization
    order (Monte Carlo).
``multiple_imputation``
    Multiple imputation under MAR (sequential regression imputation per arm, as
    SAS PROC MI MONOTONE REG) with Rubin's rules, and a delta-adjusted series in
    which imputed values of the active arm are made worse by delta (tipping point).

Both use the ANCOVA of the primary-visit change on arm and baseline.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import replace
from math import comb, prod

import numpy as np
import pandas as pd
from scipy import stats

from rlstrial.effects import primary_visit_changes
from rlstrial.plan import Imputation, Plan, Rerandomization

log = logging.getLogger("rlstrial")


def _primary_contrast(plan: Plan) -> tuple[str, str]:
    """The active and the control arm of the primary contrast."""
    contrast = plan.primary_contrast
    return contrast.active, contrast.reference


def _ancova_effects(y: np.ndarray, base: np.ndarray, allocations: np.ndarray) -> np.ndarray:
    """Arm coefficients of y ~ 1 + arm + base for many 0/1 allocation columns at once
    (Frisch-Waugh: residualize y and each allocation on [1, base])."""
    u, singular, _ = np.linalg.svd(np.column_stack([np.ones(len(y)), base]), full_matrices=False)
    q = u[:, singular > 1e-10 * singular.max()]  # a constant baseline adds nothing
    y_res = y - q @ (q.T @ y)
    a_res = allocations - q @ (q.T @ allocations)
    return (a_res.T @ y_res) / np.einsum("ij,ij->j", a_res, a_res)


def _block_sequence(rng: np.random.Generator, n: int, arms: list[str], sizes: list[int]):
    sequence: list[str] = []
    while len(sequence) < n:
        size = int(rng.choice(sizes))
        sequence.extend(rng.permutation(np.repeat(arms, size // len(arms))).tolist())
    return sequence[:n]


def _blocks_test(adqs, adsl, plan: Plan, settings: Rerandomization) -> pd.DataFrame:
    """Monte Carlo re-randomization by permuted blocks within strata; the statistic is
    the active-vs-control coefficient of the ANCOVA over all arms."""
    active, control = _primary_contrast(plan)
    arms = plan.design.arm_codes
    changes = primary_visit_changes(adqs, adsl, plan).set_index("USUBJID")["CHG"]
    outcome = plan.primary.outcome
    base = adqs[(adqs["PARAMCD"] == outcome) & (adqs["ABLFL"] == "Y")].set_index("USUBJID")["AVAL"]
    members = adsl[adsl[plan.population] == "Y"]
    members = members.sort_values(["STRATUM", "RANDDT", "USUBJID"], kind="stable")
    strata = [
        np.flatnonzero(members["STRATUM"].to_numpy() == s) for s in members["STRATUM"].unique()
    ]
    y = members["USUBJID"].map(changes).to_numpy(float)
    z = members["USUBJID"].map(base).to_numpy(float)
    usable = ~np.isnan(y) & ~np.isnan(z)

    def statistic(allocation: np.ndarray) -> float:
        dummies = np.column_stack([allocation == arm for arm in arms if arm != control]).astype(
            float
        )
        x = np.column_stack([np.ones(len(y)), z, dummies])[usable]
        beta, *_ = np.linalg.lstsq(x, y[usable], rcond=None)
        return float(beta[2 + [a for a in arms if a != control].index(active)])

    observed = statistic(members["TRT01P"].to_numpy())
    rng = np.random.default_rng(settings.seed)
    extreme = 0
    sizes = list(settings.block_sizes)
    for _ in range(settings.draws):
        allocation = np.empty(len(members), dtype=object)
        for idx in strata:
            allocation[idx] = _block_sequence(rng, len(idx), arms, sizes)
        extreme += abs(statistic(allocation)) >= abs(observed) - 1e-12
    draws = settings.draws
    return pd.DataFrame(
        [
            {
                "contrast": f"{active} vs {control}",
                "estimate": observed,
                "p_value": (1 + extreme) / (1 + draws),
                "method": (
                    f"re-randomization by permuted blocks of {sizes} within"
                    f" strata (Monte Carlo, {draws} draws, seed {settings.seed})"
                ),
                "allocations": draws,
                "n": int(usable.sum()),
            }
        ]
    )


def rerandomization_test(
    adqs: pd.DataFrame,
    adsl: pd.DataFrame,
    plan: Plan,
    max_exact: int | None = None,
    draws: int | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """Re-randomization test of the primary contrast (``plan.primary.contrast``), with
    the settings of ``plan.rerandomization`` (the keyword arguments override them).

    Returns
    -------
    DataFrame
        One row: contrast, estimate (ANCOVA arm effect on the primary-visit change),
        p_value (two-sided: share of allocations with an effect at least as large in
        absolute value, the observed one included), method, allocations, n.

    Examples
    --------
    The statistic is the arm coefficient of an ANCOVA; with a constant baseline it is
    the difference in means:

    >>> y = np.array([1.0, 2.0, 3.0, 6.0])
    >>> _ancova_effects(y, np.zeros(4), np.array([[0, 0, 1, 1]], dtype=float).T).tolist()
    [3.0]
    """
    settings = plan.rerandomization or Rerandomization()
    overrides = {"max_exact": max_exact, "draws": draws, "seed": seed}
    settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    if settings.scheme == "stratified_blocks":
        return _blocks_test(adqs, adsl, plan, settings)
    max_exact, draws, seed = settings.max_exact, settings.draws, settings.seed
    active, control = _primary_contrast(plan)
    changes = primary_visit_changes(adqs, adsl, plan)
    base = adqs[(adqs["PARAMCD"] == plan.primary.outcome) & (adqs["ABLFL"] == "Y")]
    data = changes[changes["TRT01P"].isin([active, control])].merge(
        base[["USUBJID", "AVAL"]].rename(columns={"AVAL": "BASE"}), on="USUBJID"
    )
    data = data.merge(adsl[["USUBJID", "STRATUM"]], on="USUBJID").sort_values("USUBJID")
    y, z = data["CHG"].to_numpy(float), data["BASE"].to_numpy(float)
    observed_allocation = (data["TRT01P"] == active).to_numpy(float)
    strata = [
        np.flatnonzero(data["STRATUM"].to_numpy() == s) for s in sorted(data["STRATUM"].unique())
    ]
    counts = [int(observed_allocation[idx].sum()) for idx in strata]
    total = prod(comb(len(idx), k) for idx, k in zip(strata, counts, strict=True))
    observed = float(_ancova_effects(y, z, observed_allocation[:, None])[0])
    if total <= max_exact:
        per_stratum = [
            [np.array(choice) for choice in itertools.combinations(idx, k)]
            for idx, k in zip(strata, counts, strict=True)
        ]
        allocations = np.zeros((len(y), total))
        for column, combo in enumerate(itertools.product(*per_stratum)):
            for chosen in combo:
                allocations[chosen, column] = 1.0
        effects = _ancova_effects(y, z, allocations)
        p_value = float(np.mean(np.abs(effects) >= abs(observed) - 1e-12))
        method, allocations_used = f"exact, all {total} allocations", total
    else:
        rng = np.random.default_rng(seed)
        allocations = np.zeros((len(y), draws))
        for column in range(draws):
            for idx, k in zip(strata, counts, strict=True):
                allocations[rng.choice(idx, size=k, replace=False), column] = 1.0
        effects = _ancova_effects(y, z, allocations)
        extreme = int(np.sum(np.abs(effects) >= abs(observed) - 1e-12))
        p_value = (1 + extreme) / (1 + draws)
        method, allocations_used = f"Monte Carlo, {draws} draws, seed {seed}", draws
    return pd.DataFrame(
        [
            {
                "contrast": f"{active} vs {control}",
                "estimate": observed,
                "p_value": p_value,
                "method": f"re-randomization within strata ({method})",
                "allocations": allocations_used,
                "n": len(y),
            }
        ]
    )


IMPUTATION_COLUMNS = [
    "contrast",
    "delta",
    "estimate",
    "std_error",
    "df",
    "ci_lower",
    "ci_upper",
    "p_value",
    "m",
    "n",
    "n_imputed",
    "tipping_point",
    "note",
]


class NotImputable(ValueError):
    """An arm has too few observed values at a visit to impute it."""


def _impute_arm(wide: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sequential regression imputation of the columns after the first (baseline),
    each on all earlier columns, with draws of the regression parameters (proper MI)."""
    out = wide.copy()
    for v in range(1, wide.shape[1]):
        missing = np.isnan(out[:, v])
        if not missing.any():
            continue
        x = np.column_stack([np.ones(len(out)), out[:, :v]])
        seen = ~missing
        if seen.sum() <= x.shape[1] + 1:
            raise NotImputable(
                f"too few observed values to impute visit {v + 1} of {wide.shape[1]}"
            )
        xo, yo = x[seen], out[seen, v]
        beta, *_ = np.linalg.lstsq(xo, yo, rcond=None)
        df = len(yo) - x.shape[1]
        sigma2 = float(np.sum((yo - xo @ beta) ** 2)) / rng.chisquare(df)
        draw = rng.multivariate_normal(beta, sigma2 * np.linalg.inv(xo.T @ xo))
        out[missing, v] = x[missing] @ draw + rng.normal(0, np.sqrt(sigma2), missing.sum())
    return out


def _rubin(estimates: np.ndarray, variances: np.ndarray, df_complete: float):
    """Rubin's rules with the Barnard-Rubin degrees of freedom."""
    m = len(estimates)
    estimate = estimates.mean()
    within, between = variances.mean(), estimates.var(ddof=1)
    total = within + (1 + 1 / m) * between
    fraction = (1 + 1 / m) * between / total
    df_old = (m - 1) / max(fraction, 1e-12) ** 2
    df_observed = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - fraction)
    df = 1 / (1 / df_old + 1 / df_observed)
    return estimate, np.sqrt(total), df


def multiple_imputation(adqs: pd.DataFrame, adsl: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """MI under MAR and a delta-adjusted tipping-point series for the primary contrast.

    Settings in ``plan.imputation``: ``m`` imputations, ``seed``,
    and ``deltas`` (points added to imputed primary-visit values of the active arm;
    0 is MAR; for outcomes where lower is better a positive delta is worse).

    Returns
    -------
    DataFrame
        One row per delta: contrast, delta, estimate, std_error, df (Barnard-Rubin),
        ci_lower, ci_upper, p_value, m, n, and ``tipping_point`` (True on the first
        delta whose p-value reaches alpha), note (why the series is NA when an arm of
        the primary contrast has too few values to impute).
    """
    settings = plan.imputation or Imputation()
    active, control = _primary_contrast(plan)
    outcome = plan.primary.outcome
    visits = [v.label for v in plan.design.visits]
    primary_label = plan.primary_visit.label
    members = adsl[(adsl[plan.population] == "Y") & adsl["TRT01P"].isin([active, control])]
    rows = adqs[(adqs["PARAMCD"] == outcome) & (adqs["ANL01FL"] == "Y")]
    wide = rows.pivot_table(index="USUBJID", columns="AVISIT", values="AVAL").reindex(
        index=members["USUBJID"], columns=visits
    )
    wide = wide.loc[:, :primary_label]
    wide = wide[wide[visits[0]].notna()]  # baseline is needed to impute and to adjust
    arms = members.set_index("USUBJID").loc[wide.index, "TRT01P"].to_numpy()
    missing_primary = wide[primary_label].isna().to_numpy()
    rng = np.random.default_rng(settings.seed)
    imputations = []
    try:
        for _ in range(settings.m):
            filled = wide.to_numpy(float).copy()
            for arm in (active, control):
                member = arms == arm
                filled[member] = _impute_arm(filled[member], rng)
            imputations.append(filled)
    except NotImputable as error:  # e.g. an arm with no values at the primary visit
        note = f"not estimable: {error} in arm {arm} ({int(member.sum())} participants)"
        log.warning("multiple imputation: %s", note)
        table = pd.DataFrame(
            [
                {"contrast": f"{active} vs {control}", "delta": float(d), "note": note}
                for d in settings.deltas
            ]
        )
        return table.reindex(columns=IMPUTATION_COLUMNS).assign(tipping_point=False)
    allocation = (arms == active).astype(float)
    results = []
    for delta in settings.deltas:
        estimates, variances = [], []
        for filled in imputations:
            y = filled[:, -1] + delta * (missing_primary & (arms == active))
            base = filled[:, 0]
            x = np.column_stack([np.ones(len(y)), allocation, base])
            beta, *_ = np.linalg.lstsq(x, y - base, rcond=None)  # change on arm + baseline
            residual = (y - base) - x @ beta
            sigma2 = residual @ residual / (len(y) - 3)
            estimates.append(beta[1])
            variances.append(sigma2 * np.linalg.inv(x.T @ x)[1, 1])
        estimate, se, df = _rubin(np.array(estimates), np.array(variances), len(wide) - 3)
        quantile = stats.t.ppf(1 - plan.alpha / 2, df)
        results.append(
            {
                "contrast": f"{active} vs {control}",
                "delta": float(delta),
                "estimate": estimate,
                "std_error": se,
                "df": df,
                "ci_lower": estimate - quantile * se,
                "ci_upper": estimate + quantile * se,
                "p_value": float(2 * stats.t.sf(abs(estimate / se), df)),
                "m": settings.m,
                "n": len(wide),
                "n_imputed": int(missing_primary.sum()),
            }
        )
    table = pd.DataFrame(results)
    reached = table["p_value"] >= plan.alpha
    table["tipping_point"] = False
    if reached.any() and not reached.iloc[0]:
        table.loc[reached.idxmax(), "tipping_point"] = True
    table["note"] = ""
    return table[IMPUTATION_COLUMNS]
