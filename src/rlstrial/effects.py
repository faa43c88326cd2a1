"""Effect sizes, responders and non-model checks at the primary visit.

Each function takes ``adqs``/``adsl`` and the analysis plan (:class:`rlstrial.plan.Plan`:
its design, primary, model and responder sections) and returns a tidy DataFrame; none
reads or writes files. Control is the plan's control arm (neither factor).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rlstrial.plan import Plan


def primary_visit_changes(
    adqs: pd.DataFrame, adsl: pd.DataFrame, plan: Plan, paramcd: str | None = None
) -> pd.DataFrame:
    """Observed change from baseline at the primary visit, population members only:
    USUBJID, TRT01P, CHG."""
    paramcd = paramcd or plan.primary.outcome
    label = plan.primary_visit.label
    members = set(adsl.loc[adsl[plan.population] == "Y", "USUBJID"])
    rows = adqs[
        (adqs["PARAMCD"] == paramcd)
        & (adqs["AVISIT"] == label)
        & (adqs["ANL01FL"] == "Y")
        & adqs["USUBJID"].isin(members)
        & adqs["CHG"].notna()
    ]
    return rows[["USUBJID", "TRT01P", "CHG"]].reset_index(drop=True)


def hedges_g(adqs: pd.DataFrame, adsl: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Hedges' g of the change from baseline, each active arm versus control.

    Returns
    -------
    DataFrame
        contrast, n_active, n_control, estimate (g, bias-corrected; negative = the
        active arm improved more when lower scores are better), ci_lower, ci_upper
        (95%, pingouin's compute_esci), note (why g is NA when an arm has fewer than
        two values at the primary visit).
    """
    import pingouin as pg

    changes = primary_visit_changes(adqs, adsl, plan)
    reference = plan.design.control
    control = changes.loc[changes["TRT01P"] == reference, "CHG"].to_numpy()
    visit = plan.primary_visit.label
    rows = []
    for arm in plan.design.active_arms:
        active = changes.loc[changes["TRT01P"] == arm, "CHG"].to_numpy()
        row = {
            "contrast": f"{arm} vs {reference}",
            "n_active": len(active),
            "n_control": len(control),
            "estimate": np.nan,
            "ci_lower": np.nan,
            "ci_upper": np.nan,
            "note": "",
        }
        short = [a for a, values in ((arm, active), (reference, control)) if len(values) < 2]
        if short:
            row["note"] = f"not estimable: fewer than 2 {', '.join(short)} values at {visit}"
        else:
            g = float(pg.compute_effsize(active, control, eftype="hedges"))
            low, high = pg.compute_esci(
                g, nx=len(active), ny=len(control), eftype="hedges", decimals=12
            )
            row |= {"estimate": g, "ci_lower": float(low), "ci_upper": float(high)}
        rows.append(row)
    return pd.DataFrame(rows)


def responders(adqs: pd.DataFrame, adsl: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Responder analysis at the primary visit (``plan.responder``).

    A responder improves by at least ``threshold`` points (change <= -threshold).
    Participants without a primary-visit value count as non-responders
    (``missing: nonresponder``) or are left out (``missing: exclude``).

    Returns
    -------
    DataFrame
        One row per arm (contrast ``"responders <arm>"``: n, responders, proportion with
        Wilson 95% CI) and per active arm versus control (risk difference with
        Newcombe score CI, and odds ratio with its Wald CI on the log scale).
    """
    from statsmodels.stats.contingency_tables import Table2x2
    from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

    rule = plan.responder
    reference = plan.design.control
    members = adsl[adsl[plan.population] == "Y"][["USUBJID", "TRT01P"]]
    changes = primary_visit_changes(adqs, adsl, plan, rule.outcome).set_index("USUBJID")["CHG"]
    members = members.assign(CHG=members["USUBJID"].map(changes))
    if rule.missing == "exclude":
        members = members[members["CHG"].notna()]
    members = members.assign(responder=members["CHG"].le(-rule.threshold))
    counts = members.groupby("TRT01P")["responder"].agg(["sum", "size"])
    rows = []
    for arm in plan.design.arm_codes:
        k, n = int(counts.loc[arm, "sum"]), int(counts.loc[arm, "size"])
        low, high = proportion_confint(k, n, method="wilson")
        rows.append(
            {
                "contrast": f"responders {arm}",
                "measure": "proportion",
                "n": n,
                "responders": k,
                "estimate": k / n,
                "ci_lower": low,
                "ci_upper": high,
            }
        )
    k0, n0 = int(counts.loc[reference, "sum"]), int(counts.loc[reference, "size"])
    for arm in plan.design.active_arms:
        k1, n1 = int(counts.loc[arm, "sum"]), int(counts.loc[arm, "size"])
        low, high = confint_proportions_2indep(k1, n1, k0, n0, method="newcomb")
        rows.append(
            {
                "contrast": f"{arm} vs {reference}",
                "measure": "risk difference",
                "n": n1 + n0,
                "responders": k1 + k0,
                "estimate": k1 / n1 - k0 / n0,
                "ci_lower": low,
                "ci_upper": high,
            }
        )
        table = Table2x2(np.array([[k1, n1 - k1], [k0, n0 - k0]]), shift_zeros=True)
        low, high = table.oddsratio_confint()
        rows.append(
            {
                "contrast": f"{arm} vs {reference}",
                "measure": "odds ratio",
                "n": n1 + n0,
                "responders": k1 + k0,
                "estimate": table.oddsratio,
                "ci_lower": low,
                "ci_upper": high,
            }
        )
    return pd.DataFrame(rows)


def rank_test(adqs: pd.DataFrame, adsl: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Kruskal-Wallis test of the change at the primary visit across arms, and
    Mann-Whitney tests of each active arm versus control (a rank-based check).

    Returns contrast, statistic, p_value, n, note (why a test is NA, or over which arms
    the Kruskal-Wallis test ran when an arm has no values).
    """
    from scipy import stats

    changes = primary_visit_changes(adqs, adsl, plan)
    arms = plan.design.arm_codes  # control first
    groups = [changes.loc[changes["TRT01P"] == arm, "CHG"].to_numpy() for arm in arms]
    visit = plan.primary_visit.label
    empty = [arm for arm, group in zip(arms, groups, strict=True) if len(group) == 0]
    kept = [group for group in groups if len(group)]
    statistic, p_value = stats.kruskal(*kept) if len(kept) > 1 else (np.nan, np.nan)
    rows = [
        {
            "contrast": "all arms (Kruskal-Wallis)",
            "statistic": float(statistic),
            "p_value": float(p_value),
            "n": len(changes),
            "note": f"over the arms with data (no {', '.join(empty)} values at {visit})"
            if empty
            else "",
        }
    ]
    for arm, group in zip(arms[1:], groups[1:], strict=True):
        row = {
            "contrast": f"{arm} vs {plan.design.control} (Mann-Whitney)",
            "statistic": np.nan,
            "p_value": np.nan,
            "n": len(group) + len(groups[0]),
            "note": "",
        }
        missing = [a for a in (arm, plan.design.control) if a in empty]
        if missing:
            row["note"] = f"not estimable: no {', '.join(missing)} values at {visit}"
        else:
            result = stats.mannwhitneyu(group, groups[0], alternative="two-sided")
            row |= {"statistic": float(result.statistic), "p_value": float(result.pvalue)}
        rows.append(row)
    return pd.DataFrame(rows)


def completers_anova(
    adqs: pd.DataFrame, adsl: pd.DataFrame, plan: Plan, paramcd: str | None = None
) -> pd.DataFrame:
    """Completers-only mixed ANOVA (pingouin): arm (between) x visit (within) on the
    post-baseline values of participants with every post-baseline visit (a one-way
    ANOVA when there is a single post-baseline visit).

    Returns pingouin's table (Source, SS, DF1, DF2, MS, F, p_unc, np2) with the
    analysis labelled ``completers only`` and the number of completers ``n``.
    """
    import pingouin as pg

    paramcd = paramcd or plan.primary.outcome
    members = set(adsl.loc[adsl[plan.population] == "Y", "USUBJID"])
    rows = adqs[
        (adqs["PARAMCD"] == paramcd)
        & (adqs["ABLFL"] != "Y")
        & (adqs["ANL01FL"] == "Y")
        & adqs["USUBJID"].isin(members)
        & adqs["AVAL"].notna()
    ]
    n_visits = rows["AVISIT"].nunique()
    complete = rows.groupby("USUBJID")["AVISIT"].transform("nunique") == n_visits
    rows = rows[complete]
    if n_visits > 1:
        table = pg.mixed_anova(
            data=rows, dv="AVAL", within="AVISIT", between="TRT01P", subject="USUBJID"
        )
    else:  # one post-baseline visit: a one-way ANOVA of it
        table = pg.anova(data=rows, dv="AVAL", between="TRT01P", detailed=True)
    table = table.rename(columns={"p-unc": "p_unc", "DF": "DF1"})
    keep = [c for c in ("Source", "SS", "DF1", "DF2", "MS", "F", "p_unc", "np2") if c in table]
    table = table[keep].assign(analysis="completers only", n=rows["USUBJID"].nunique())
    return table
