"""Power and sample size by simulation, with the analysis the plan will run.

The data-generating model (config ``power.generate``) gives each participant a baseline
value and a change from baseline at every post-baseline visit of the design:

    CHG_ij = mu_a(j) + slope (BASE_i - baseline mean) + site_s + e_ij,   e_i ~ N(0, Sigma)

with the arm means mu_a(j) built from the factorial effects at the primary visit
(control change, massager and heat effects, their interaction), scaled linearly in
the visit's week (0 at baseline); Sigma from per-visit SDs and a correlation structure
(``cs``, ``ar1`` or ``us`` with a given matrix); monotone dropout, MCAR with a hazard
per visit and MAR with a logistic hazard in the last observed change; site effects
N(0, site_sd^2); arms allocated by ratio. Each replicate is analysed by the plan's
analysis (:func:`rlstrial.analysis.fit_outcome`, the production MMRM with its fallback
chain, covariates and df method), and the contrasts of the design at the primary
visit are estimated, the multiplicity family adjusted by the plan's method.

Seeds: every replicate's generator comes from ``numpy.random.SeedSequence(root,
spawn_key=(scenario, n, replicate))``, so a replicate can be regenerated from the root
seed and its key alone (:func:`replicate_data`), and results do not depend on how the
replicates are batched or where they run.

Two closed forms check the simulation (tests/test_power.py): :func:`ancova_power` (one
visit, complete data) and :func:`lu_luo_chen_power` with its inverse
:func:`lu_luo_chen_sample_size` (Lu, Luo & Chen 2008: the difference between two arms at
the last visit of an MMRM with monotone dropout, R's ``longpower::power.mmrm``). Since
the errors are independent of the baseline, the covariance of CHG given BASE is Sigma,
the one those formulas take.

The summary follows the ADEMP reporting of Morris, White & Crowther (2019, Stat Med
38:2074): for each scenario, sample size and estimand, power (or type I error under a
null effect), bias, empirical and model SE, CI coverage, convergence and fallback
rates, each with its Monte Carlo SE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from rlstrial.plan import Plan

ESTIMAND_COLUMNS = [
    "scenario",
    "n_per_arm",
    "replicate",
    "seed",
    "estimand",
    "true",
    "estimate",
    "std_error",
    "df",
    "p_value",
    "p_adjusted",
    "ci_lower",
    "ci_upper",
    "converged",
    "structure",
    "fallback",
]


@dataclass(frozen=True)
class Scenario:
    """One data-generating scenario: its name and its generating settings."""

    name: str
    generate: dict


def scenarios(power: dict[str, Any]) -> list[Scenario]:
    """The scenarios of config ``power``: each ``scenarios`` entry overrides the keys of
    ``generate`` it names (nested one level), in the order given.

    Examples
    --------
    >>> power = {"generate": {"effects": {"massager": -5.0, "heat": -2.0}, "site_sd": 1.0},
    ...          "scenarios": [{"name": "planned"},
    ...                        {"name": "null", "effects": {"massager": 0.0, "heat": 0.0}}]}
    >>> [(s.name, s.generate["effects"]["massager"]) for s in scenarios(power)]
    [('planned', -5.0), ('null', 0.0)]
    """
    out = []
    for entry in power["scenarios"]:
        generate = {key: (dict(value) if isinstance(value, dict) else value)
                    for key, value in power["generate"].items()}  # fmt: skip
        for key, value in entry.items():
            if key == "name":
                continue
            if isinstance(value, dict):
                generate[key] = {**generate.get(key, {}), **value}
            else:
                generate[key] = value
        out.append(Scenario(entry["name"], generate))
    return out


def _correlation(generate: dict, weeks: np.ndarray) -> np.ndarray:
    t = len(weeks)
    kind = generate.get("correlation", "cs")
    rho = float(generate.get("rho", 0.5))
    if kind == "cs":
        return np.full((t, t), rho) + (1 - rho) * np.eye(t)
    if kind == "ar1":
        return rho ** np.abs(np.subtract.outer(np.arange(t), np.arange(t)))
    matrix = np.asarray(generate["matrix"], dtype=float)  # us
    if matrix.shape != (t, t):
        raise ValueError(f"power.generate.matrix must be {t} x {t} (the post-baseline visits)")
    return matrix


def arm_means(plan: Plan, generate: dict) -> pd.DataFrame:
    """The mean change from baseline of each arm at each post-baseline visit: the
    factorial effects at the primary visit, scaled linearly in weeks.

    Examples
    --------
    >>> from rlstrial.config import load_config
    >>> from rlstrial.plan import build_plan
    >>> plan = build_plan(load_config("config/config.yaml"))
    >>> generate = {"effects": {"control": -1.0, "massager": -6.0, "heat": -3.0,
    ...                         "interaction": 2.0}}
    >>> means = arm_means(plan, generate)
    >>> means.loc["Week 4"].to_dict()
    {'control': -1.0, 'massager': -7.0, 'heat': -4.0, 'combined': -8.0}
    """
    visits = plan.design.post_baseline_visits
    return pd.DataFrame(
        _arm_mean_array(plan, generate),
        index=[visit.label for visit in visits],
        columns=plan.design.arm_codes,
    )


def _arm_mean_array(plan: Plan, generate: dict) -> np.ndarray:
    """:func:`arm_means` as an array: post-baseline visits x arms, in design order."""
    effects = generate["effects"]
    last = plan.primary_visit.week
    return np.array(
        [
            [
                visit.week
                / last
                * (
                    effects.get("control", 0.0)
                    + arm.massager * effects.get("massager", 0.0)
                    + arm.heat * effects.get("heat", 0.0)
                    + (arm.massager and arm.heat) * effects.get("interaction", 0.0)
                )
                for arm in plan.design.arms
            ]
            for visit in plan.design.post_baseline_visits
        ],
        dtype=float,
    )


def true_contrasts(plan: Plan, generate: dict) -> dict[str, float]:
    """The value of each contrast of the design at the primary visit under the model."""
    means = arm_means(plan, generate).loc[plan.primary_visit.label]
    design = plan.design
    return {
        c.name: float(sum(w * means[a] for a, w in zip(design.arm_codes, c.weights, strict=True)))
        for c in design.contrasts
    }


def replicate_seed(
    root: int, scenario: int, n_per_arm: int, replicate: int
) -> np.random.SeedSequence:
    """The seed sequence of one replicate, from the root seed and its coordinates."""
    return np.random.SeedSequence(root, spawn_key=(scenario, n_per_arm, replicate))


def replicate_data(
    plan: Plan, generate: dict, n_per_arm: int, seed: np.random.SeedSequence
) -> pd.DataFrame:
    """One simulated trial as the analysis reads it: one row per participant and
    post-baseline visit with a value (USUBJID, SITEID, TRT01P, AVISIT, BASE, AVAL, CHG,
    ABLFL, ANL01FL), plus the baseline rows (ABLFL = Y), which come first."""
    rng = np.random.default_rng(seed)
    design = plan.design
    ratio = generate.get("allocation", {})
    sizes = [int(round(n_per_arm * ratio.get(a, 1))) for a in design.arm_codes]
    arm = np.repeat(np.arange(len(sizes)), sizes)
    n = len(arm)
    n_sites = int(generate.get("sites", 4))
    site = rng.integers(0, n_sites, n)
    site_effect = rng.normal(0.0, float(generate.get("site_sd", 0.0)), n_sites)[site]
    baseline = generate.get("baseline", {"mean": 22.0, "sd": 5.0})
    base = rng.normal(baseline["mean"], baseline["sd"], n)
    weeks = np.array([v.week for v in design.post_baseline_visits], dtype=float)
    sd = np.broadcast_to(np.asarray(generate.get("sd", 5.0), dtype=float), weeks.shape)
    sigma = _correlation(generate, weeks) * np.outer(sd, sd)
    errors = rng.multivariate_normal(np.zeros(len(weeks)), sigma, n, method="cholesky")
    change = (
        _arm_mean_array(plan, generate).T[arm]  # (n, T)
        + float(generate.get("baseline_slope", 0.0)) * (base - baseline["mean"])[:, None]
        + site_effect[:, None]
        + errors
    )
    who, when = np.nonzero(_dropout(rng, change, generate.get("dropout", {})))
    row = np.concatenate([np.arange(n), who])  # each row's participant
    labels = [v.label for v in design.post_baseline_visits]
    follow_up = change[who, when]
    return pd.DataFrame(
        {
            "USUBJID": np.array([f"P{k:04d}" for k in range(n)])[row],
            "SITEID": np.array([f"S{k + 1:02d}" for k in range(n_sites)])[site[row]],
            "TRT01P": np.array(design.arm_codes)[arm[row]],
            "AVISIT": np.array([design.visits[0].label, *labels])[
                np.concatenate([np.zeros(n, dtype=int), when + 1])
            ],
            "BASE": base[row],
            "AVAL": np.concatenate([base, base[who] + follow_up]),
            "CHG": np.concatenate([np.zeros(n), follow_up]),
            "ABLFL": np.repeat(["Y", ""], [n, len(who)]),
            "ANL01FL": "Y",
        }
    )


def _dropout(rng: np.random.Generator, change: np.ndarray, dropout: dict) -> np.ndarray:
    """Which values are observed under monotone dropout: before each post-baseline
    visit a participant leaves with probability ``mcar`` plus, for MAR, the logistic
    hazard expit(intercept + slope x last observed change)."""
    n, t = change.shape
    mcar = float(dropout.get("mcar", 0.0))
    mar = dropout.get("mar")
    observed = np.ones((n, t), dtype=bool)
    present = np.ones(n, dtype=bool)
    last = np.zeros(n)
    for j in range(t):
        hazard = np.full(n, mcar)
        if mar:
            hazard = hazard + (1 - mcar) / (1 + np.exp(-(mar["intercept"] + mar["slope"] * last)))
        present &= rng.random(n) >= hazard
        observed[:, j] = present
        last = np.where(present, change[:, j], last)
    return observed


def analyse_replicate(data: pd.DataFrame, plan: Plan, analysis_name: str) -> pd.DataFrame:
    """Fit the plan's analysis to one replicate and estimate every contrast of the
    design at the primary visit: estimand, estimate, std_error, df, p_value, p_adjusted
    (the multiplicity family adjusted by the plan's method; others unadjusted),
    ci_lower, ci_upper, converged, structure, fallback."""
    from rlstrial.analysis import analysis_rows, contrast_rows, fit_outcome

    analysis = plan.analysis(analysis_name)
    # every simulated participant is in the population; the covariates are in the data
    adsl = pd.DataFrame({"USUBJID": data["USUBJID"].unique(), analysis.population: "Y"})
    rows = analysis_rows(data.assign(PARAMCD="SIM"), adsl, "SIM", analysis)
    used = rows[rows["reason"] == ""].drop(columns="reason").reset_index(drop=True)
    names = [c.name for c in plan.design.contrasts]
    try:
        fit = fit_outcome(used, plan, analysis)
    except Exception:  # noqa: BLE001 (no structure of the chain converged)
        numbers = ["estimate", "std_error", "df", "p_value", "p_adjusted", "ci_lower", "ci_upper"]
        return pd.DataFrame(
            {
                "estimand": names,
                **dict.fromkeys(numbers, np.nan),
                "converged": False,
                "structure": "",
                "fallback": False,
            }
        )
    contrasts = contrast_rows(fit, plan, plan.primary_visit.label, analysis.baseline)
    table = fit.contrast(np.array(list(contrasts.values())), names=names, level=1 - plan.alpha)
    p_value = table["p_value"].to_numpy()
    return pd.DataFrame(
        {
            "estimand": names,
            **{c: table[c].to_numpy() for c in ("estimate", "std_error", "df", "p_value")},
            "p_adjusted": _family_adjusted(fit, plan, contrasts, p_value),
            "ci_lower": table["ci_lower"].to_numpy(),
            "ci_upper": table["ci_upper"].to_numpy(),
            "converged": fit.converged,
            "structure": fit.structure,
            "fallback": len(fit.attempts) > 1,
        }
    )


def _family_adjusted(fit, plan: Plan, contrasts: dict, p_value: np.ndarray) -> np.ndarray:
    """The p-values with those of the multiplicity family adjusted by the plan's method
    (when the family has two or more members, all estimated)."""
    from rlstrial.analysis import dunnett_adjusted

    adjusted = p_value.copy()
    names = list(contrasts)
    family = np.isin(names, plan.multiplicity.family)
    method = plan.multiplicity.method
    if method == "none" or family.sum() < 2 or np.isnan(p_value[family]).any():
        return adjusted
    if method == "dunnett":
        members = [contrasts[name] for name, member in zip(names, family, strict=True) if member]
        adjusted[family] = dunnett_adjusted(fit, fit.kept_columns(np.array(members)))
    else:
        adjusted[family] = adjust_p_values(p_value[family], method)
    return adjusted


def adjust_p_values(p_values: np.ndarray, method: str) -> np.ndarray:
    """Multiplicity-adjusted p-values of one family: ``holm`` (Holm's step-down) and
    ``bonferroni`` computed here, as statsmodels' ``multipletests`` computes them (which
    calls ``gc.collect()`` for Holm: 2 ms a replicate), others by ``multipletests``.

    Examples
    --------
    >>> adjust_p_values(np.array([0.01, 0.04, 0.03]), "holm").round(4).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_p_values(np.array([0.01, 0.4]), "bonferroni").tolist()
    [0.02, 0.8]
    """
    p_values = np.asarray(p_values, dtype=float)
    k = len(p_values)
    if method == "bonferroni":
        return np.minimum(p_values * float(k), 1.0)
    if method != "holm":
        from statsmodels.stats.multitest import multipletests

        return multipletests(p_values, method=method)[1]
    order = np.argsort(p_values)
    adjusted = np.empty(k)
    adjusted[order] = np.minimum(np.maximum.accumulate(p_values[order] * np.arange(k, 0, -1)), 1.0)
    return adjusted


def run_replicates(
    plan: Plan,
    power: dict[str, Any],
    scenario: int,
    n_per_arm: int,
    replicates: range,
) -> pd.DataFrame:
    """Simulate and analyse the given replicates of one scenario and sample size."""
    chosen = scenarios(power)[scenario]
    truth = true_contrasts(plan, chosen.generate)
    root = int(power["seed"])
    analysis = power.get("analysis", plan.primary.analysis)
    tables = []
    for replicate in replicates:
        seed = replicate_seed(root, scenario, n_per_arm, replicate)
        data = replicate_data(plan, chosen.generate, n_per_arm, seed)
        tables.append(analyse_replicate(data, plan, analysis))
    table = pd.concat(tables, ignore_index=True)
    sizes = [len(t) for t in tables]
    table["scenario"] = chosen.name
    table["n_per_arm"] = n_per_arm
    table["replicate"] = np.repeat(list(replicates), sizes)
    table["seed"] = np.repeat([f"{root}:{scenario}:{n_per_arm}:{r}" for r in replicates], sizes)
    table["true"] = table["estimand"].map(truth)
    return table[ESTIMAND_COLUMNS]


def summarize(replicates: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """ADEMP performance measures with Monte Carlo SEs, per scenario, sample size and
    estimand: rejections (power, or type I error where the true value is 0) of the
    adjusted p-value at ``alpha``, bias, empirical SE, model SE, coverage, convergence
    and fallback rates.

    Examples
    --------
    >>> table = pd.DataFrame({"scenario": "s", "n_per_arm": 10, "estimand": "e",
    ...     "true": 1.0, "estimate": [0.5, 1.5, 1.0, 1.0], "std_error": 0.5,
    ...     "p_adjusted": [0.01, 0.2, 0.03, 0.04], "ci_lower": [0.0, 0.6, 0.1, 0.1],
    ...     "ci_upper": [1.0, 2.4, 1.9, 1.9], "converged": True, "fallback": False})
    >>> row = summarize(table, 0.05).iloc[0]
    >>> [float(row[k]) for k in ("rejection", "rejection_mcse", "bias", "coverage")]
    [0.75, 0.2165, 0.0, 1.0]
    """
    out = []
    for (scenario, n, estimand), group in replicates.groupby(
        ["scenario", "n_per_arm", "estimand"], sort=False
    ):
        ok = group[group["converged"].astype(bool) & group["estimate"].notna()]
        r = len(ok)
        truth = float(group["true"].iloc[0])
        reject = (ok["p_adjusted"] < alpha).mean() if r else np.nan
        estimates = ok["estimate"].to_numpy(float)
        empirical = estimates.std(ddof=1) if r > 1 else np.nan
        model = float(np.sqrt(np.mean(ok["std_error"].to_numpy(float) ** 2))) if r else np.nan
        covered = ((ok["ci_lower"] <= truth) & (truth <= ok["ci_upper"])).mean() if r else np.nan
        converged = group["converged"].astype(bool).mean()
        fallback = group["fallback"].astype(bool).mean()
        out.append(
            {
                "scenario": scenario,
                "n_per_arm": n,
                "estimand": estimand,
                "true": truth,
                "replicates": len(group),
                "analysed": r,
                "rejection": reject,
                "rejection_mcse": round(float(np.sqrt(reject * (1 - reject) / r)), 4)
                if r
                else np.nan,
                "bias": round(float(estimates.mean() - truth), 10) if r else np.nan,
                "bias_mcse": empirical / np.sqrt(r) if r > 1 else np.nan,
                "empirical_se": empirical,
                "empirical_se_mcse": empirical / np.sqrt(2 * (r - 1)) if r > 1 else np.nan,
                "model_se": model,
                "model_se_mcse": float(
                    np.sqrt(np.var(ok["std_error"].to_numpy(float) ** 2, ddof=1) / (4 * r)) / model
                )
                if r > 1
                else np.nan,
                "coverage": covered,
                "coverage_mcse": float(np.sqrt(covered * (1 - covered) / r)) if r else np.nan,
                "convergence": converged,
                "convergence_mcse": float(np.sqrt(converged * (1 - converged) / len(group))),
                "fallback": fallback,
                "fallback_mcse": float(np.sqrt(fallback * (1 - fallback) / len(group))),
            }
        )
    return pd.DataFrame(out)


def smallest_n(summary: pd.DataFrame, scenario: str, estimand: str, target: float) -> float:
    """The smallest sample size per arm whose power for ``estimand`` reaches
    ``target`` in ``scenario`` (NaN when none of the grid does)."""
    rows = summary[(summary["scenario"] == scenario) & (summary["estimand"] == estimand)]
    reached = rows.loc[rows["rejection"] >= target, "n_per_arm"]
    return float(reached.min()) if len(reached) else float("nan")


def ancova_power(delta: float, sd: float, n_per_arm: int, n_arms: int, alpha: float) -> float:
    """Power of the two-sided t test of one difference of arm means in an ANCOVA with
    ``n_arms`` arms and one covariate, residual SD ``sd``: the non-central t
    distribution with N - n_arms - 1 df and non-centrality delta / (sd sqrt(2 / n)).

    Examples
    --------
    >>> round(ancova_power(5.0, 5.0, 20, 4, 0.05), 3)
    0.877
    """
    df = n_arms * n_per_arm - n_arms - 1
    ncp = delta / (sd * np.sqrt(2 / n_per_arm))
    critical = stats.t.ppf(1 - alpha / 2, df)
    return float(stats.nct.sf(critical, df, ncp) + stats.nct.cdf(-critical, df, ncp))


def lu_luo_chen_phi(correlation: np.ndarray, retention) -> float:
    """The variance factor phi of one arm in Lu, Luo & Chen's (2008) sample size for an
    MMRM with monotone dropout: Var(mean at the last visit) = phi sigma^2 / n.

    Parameters
    ----------
    correlation
        The J x J correlation matrix of the post-baseline visits.
    retention
        r_1 >= ... >= r_J > 0: the fraction of the arm still observed at each visit
        (monotone dropout, missing at random).

    Returns
    -------
    float
        phi = [(sum_j (r_j - r_{j+1}) I_j)^-1]_JJ, with r_{J+1} = 0 and I_j the J x J
        matrix holding the inverse of the upper-left j x j block of ``correlation`` and
        zeros elsewhere: 1 with complete data, 1 / r_J with uncorrelated visits.

    Notes
    -----
    Lu, K., Luo, X. & Chen, P.-Y. (2008). Sample size estimation for repeated measures
    analysis in randomized clinical trials with missing data. International Journal of
    Biostatistics 4(1), formula (3); R's ``longpower::power.mmrm``. Each dropout
    pattern (last seen at visit j, a fraction r_j - r_{j+1} of the arm) contributes the
    generalised least squares information of its j visits. With visit SDs sd_j the
    correlation is that of the covariance, and sigma the SD at the last visit.

    Examples
    --------
    Compound symmetry (0.25) over four visits, 30% lost by the last one:

    >>> cs = np.full((4, 4), 0.25) + 0.75 * np.eye(4)
    >>> round(lu_luo_chen_phi(cs, [1.0, 0.9, 0.8, 0.7]), 6)
    1.385417
    >>> lu_luo_chen_phi(np.eye(2), [1.0, 0.5])
    2.0
    """
    correlation = np.asarray(correlation, dtype=float)
    retention = np.asarray(retention, dtype=float)
    j = len(retention)
    if correlation.shape != (j, j):
        raise ValueError(f"correlation must be {j} x {j}, as many visits as retention values")
    if not (0 < retention[-1] and retention[0] <= 1 and np.all(np.diff(retention) <= 0)):
        raise ValueError(
            f"retention must be non-increasing, at most 1 and positive at the last visit,"
            f" not {retention.tolist()}"
        )
    leaving = retention - np.append(retention[1:], 0.0)  # r_j - r_{j+1}
    information = np.zeros((j, j))
    for k in range(1, j + 1):
        information[:k, :k] += leaving[k - 1] * np.linalg.inv(correlation[:k, :k])
    return float(np.linalg.inv(information)[-1, -1])


def lu_luo_chen_power(
    delta: float,
    sd: float,
    correlation: np.ndarray,
    retention_active,
    n_active: float,
    *,
    retention_control=None,
    allocation: float = 1.0,
    alpha: float = 0.05,
    df: float | None = None,
) -> float:
    """Power of the two-sided test of the difference between two arms at the last visit
    of an MMRM with monotone dropout (Lu, Luo & Chen 2008, see :func:`lu_luo_chen_phi`).

    Parameters
    ----------
    delta
        The true difference of the arm means at the last visit.
    sd
        The outcome's SD at the last visit (the same in both arms).
    correlation
        The J x J correlation matrix of the post-baseline visits (both arms).
    retention_active
        The active arm's retention at each visit.
    n_active
        Participants randomized to the active arm.
    retention_control
        The control arm's retention (default: the active arm's).
    allocation
        n_active / n_control (longpower's ``lambda``).
    alpha
        Two-sided significance level.
    df
        None: the normal approximation, Phi(|delta| / se - z_{1 - alpha / 2}), as
        ``longpower::power.mmrm`` computes it; a number: the two-sided non-central t
        test with these degrees of freedom.

    Returns
    -------
    float
        The power, with se = sd sqrt(phi_active / n_active + phi_control / n_control).

    Examples
    --------
    longpower's ``power.mmrm(N = 174, Ra, ra, sigmaa = 1, delta = 0.5)`` example,
    printed power 0.8000372:

    >>> cs = np.full((4, 4), 0.25) + 0.75 * np.eye(4)
    >>> round(lu_luo_chen_power(0.5, 1.0, cs, [1.0, 0.9, 0.8, 0.7], 87), 7)
    0.8000372
    """
    retention_control = retention_active if retention_control is None else retention_control
    phi_active = lu_luo_chen_phi(correlation, retention_active)
    phi_control = lu_luo_chen_phi(correlation, retention_control)
    n_control = n_active / allocation
    ncp = abs(delta) / (sd * np.sqrt(phi_active / n_active + phi_control / n_control))
    if df is None:
        return float(stats.norm.cdf(ncp - stats.norm.ppf(1 - alpha / 2)))
    critical = stats.t.ppf(1 - alpha / 2, df)
    return float(stats.nct.sf(critical, df, ncp) + stats.nct.cdf(-critical, df, ncp))


def lu_luo_chen_sample_size(
    delta: float,
    sd: float,
    correlation: np.ndarray,
    retention_active,
    *,
    retention_control=None,
    allocation: float = 1.0,
    power: float = 0.8,
    alpha: float = 0.05,
    test: str = "z",
) -> tuple[float, float]:
    """Participants to randomize to the active and the control arm for a given power of
    the two-sided test at the last visit of an MMRM with monotone dropout (the inverse
    of :func:`lu_luo_chen_power`; Lu, Luo & Chen 2008, formula (3)).

    Parameters
    ----------
    delta, sd, correlation, retention_active, retention_control, allocation, alpha
        As :func:`lu_luo_chen_power`.
    power
        The power wanted.
    test
        ``"z"``: n_active = (phi_active + lambda phi_control) (z_{1 - alpha / 2} +
        z_power)^2 sd^2 / delta^2 and n_control = n_active / lambda (lambda =
        ``allocation``), as ``longpower::power.mmrm``; ``"t"``: the same with t
        quantiles on n_active + n_control - 2 df of the z answer (one correction step,
        the "t-test" column of Lu, Luo & Chen's Table 1).

    Returns
    -------
    tuple of float
        (n_active, n_control), not rounded.

    Examples
    --------
    longpower's ``power.mmrm(Ra, ra, sigmaa = 1, delta = 0.5, power = 0.80)`` example,
    printed n1 = n2 = 86.99175:

    >>> cs = np.full((4, 4), 0.25) + 0.75 * np.eye(4)
    >>> n = lu_luo_chen_sample_size(0.5, 1.0, cs, [1.0, 0.9, 0.8, 0.7], power=0.8)
    >>> [round(x, 5) for x in n]
    [86.99175, 86.99175]
    """
    if test not in ("z", "t"):
        raise ValueError(f"test must be 'z' or 't', not {test!r}")
    retention_control = retention_active if retention_control is None else retention_control
    phi_active = lu_luo_chen_phi(correlation, retention_active)
    phi_control = lu_luo_chen_phi(correlation, retention_control)
    scale = (phi_active + allocation * phi_control) * sd**2 / delta**2
    n_active = scale * (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) ** 2
    if test == "t":
        df = n_active + n_active / allocation - 2
        n_active = scale * (stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)) ** 2
    return float(n_active), float(n_active / allocation)
