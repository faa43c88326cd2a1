"""The trial's model-based analyses: MMRM by outcome, factorial and vs-control contrasts.

For one outcome (a PARAMCD of ``adqs``) and one analysis of the plan
(:class:`rlstrial.plan.Plan`), :func:`analyse_outcome` fits the MMRM and returns one tidy
table (:data:`RESULT_COLUMNS`) with, at every post-baseline visit:

- the LS-mean of each arm;
- each active arm versus control ("inside the table");
- the massager main effect and the heat main effect, each averaged over the levels of
  the other factor ("at the margins"), and the massager x heat interaction
  ((combined - heat) - (massager - control)).

Baseline handling (``baseline``): ``covariate`` models the change from baseline with
the baseline value as a covariate (ANCOVA-style); ``none`` models the post-baseline
value without it; ``clda`` (constrained longitudinal data analysis) models the value
at every visit, baseline included, with one baseline mean shared by all arms.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from rlstrial.mmrm import fit_mmrm
from rlstrial.mmrm.fit import MMRMResult
from rlstrial.plan import Analysis, Design, Multiplicity, Plan

log = logging.getLogger("rlstrial")

RESULT_COLUMNS = [
    "outcome",
    "analysis",
    "population",
    "visit",
    "kind",
    "effect",
    "arm",
    "active",
    "reference",
    "contrast",
    "estimate",
    "std_error",
    "df",
    "df_method",
    "vcov",
    "ci_level",
    "ci_lower",
    "ci_upper",
    "p_value",
    "p_adjusted",
    "adjustment",
    "n",
    "note",
]


def analysis_rows(
    adqs: pd.DataFrame, adsl: pd.DataFrame, paramcd: str, analysis: Analysis
) -> pd.DataFrame:
    """Every record of one outcome that the analysis could model (the post-baseline
    visits, and for cLDA the baseline too), with the analysis' covariates that adqs
    lacks joined from adsl, and ``reason``: why the record is not analysed, or blank.

    Reasons: not in the analysis population; no analysable value (missing, or outside
    its visit window when ``out_of_window: exclude``: ANL01FL blank); no baseline value
    (when the baseline is a covariate).

    Examples
    --------
    >>> adqs = pd.DataFrame({"USUBJID": ["a", "a", "b", "c"], "PARAMCD": "X",
    ...     "ABLFL": ["Y", "", "", ""], "ANL01FL": ["Y", "Y", "", "Y"],
    ...     "AVAL": [10.0, 8.0, None, 7.0], "BASE": [10.0, 10.0, None, None]})
    >>> adsl = pd.DataFrame({"USUBJID": ["a", "b", "c"], "ITTFL": "Y"})
    >>> from rlstrial.plan import Analysis
    >>> analysis_rows(adqs, adsl, "X", Analysis("t", "covariate", "mmrm", "ITTFL", ()))[
    ...     ["USUBJID", "reason"]]
      USUBJID                      reason
    0       a
    1       b  no analysable value (ANL01FL blank)
    2       c            no baseline value
    """
    flags = adsl.set_index("USUBJID")[analysis.population]
    selected = (adqs["PARAMCD"] == paramcd).to_numpy()
    if analysis.baseline in ("covariate", "none"):
        selected = selected & (adqs["ABLFL"] != "Y").to_numpy()
    rows = adqs[selected].copy()
    for column in analysis.covariates:
        if column not in rows:
            rows[column] = rows["USUBJID"].map(adsl.set_index("USUBJID")[column])
    reasons = [
        (~rows["USUBJID"].map(flags).eq("Y"), f"not in the population ({analysis.population})"),
        (rows["ANL01FL"] != "Y", "no analysable value (ANL01FL blank)"),
    ]
    if analysis.baseline == "covariate":
        reasons.append((rows["BASE"].isna(), "no baseline value"))
    rows["reason"] = ""
    for excluded, reason in reversed(reasons):  # the first reason that applies is named
        mask = excluded.to_numpy()
        if mask.any():
            rows.loc[mask, "reason"] = reason
    return rows.reset_index(drop=True)


def analysis_data(
    adqs: pd.DataFrame, adsl: pd.DataFrame, paramcd: str, analysis: Analysis
) -> pd.DataFrame:
    """The rows of one outcome used by an analysis: those of :func:`analysis_rows`
    without a reason (ANL01FL = Y, population flag = Y, baseline when needed)."""
    rows = analysis_rows(adqs, adsl, paramcd, analysis)
    return rows[rows["reason"] == ""].drop(columns="reason").reset_index(drop=True)


def _cell_rows(fit: MMRMResult, design: Design, visits: list[str], baseline: str) -> dict:
    """Coefficient rows L with L @ beta = LS-mean of each (arm, visit), over all the
    design's columns (aliased ones included, so that estimability can be checked)."""
    if baseline != "clda":
        cells, matrix = fit.lsmeans_matrix(["TRT01P", "AVISIT"], full=True)
        return {
            (a, v): matrix[k]
            for k, (a, v) in enumerate(zip(cells["TRT01P"], cells["AVISIT"], strict=True))
        }
    cells, matrix = fit.lsmeans_matrix(["AVISIT"], full=True)
    base = {v: matrix[k] for k, v in enumerate(cells["AVISIT"])}
    rows = {}
    for arm in design.arm_codes:
        for visit in visits:
            row = base[visit].copy()
            column = _clda_column(arm, visit)
            if arm != design.control and column in fit.design.all_columns:
                row[fit.design.all_columns.index(column)] += 1.0
            rows[(arm, visit)] = row
    return rows


def contrast_rows(fit: MMRMResult, plan: Plan, visit: str, baseline: str) -> dict:
    """Each contrast of the design at one visit as a coefficient row over all the
    design's columns (contrast name -> row; see :meth:`MMRMResult.contrast`)."""
    design = plan.design
    cells = _cell_rows(fit, design, [visit], baseline)
    return {
        c.name: sum(
            w * cells[(arm, visit)] for arm, w in zip(design.arm_codes, c.weights, strict=True) if w
        )
        for c in design.contrasts
    }


def _clda_column(arm: str, visit: str) -> str:
    return f"TRT_{arm}_{visit}".replace(" ", "_")


def fit_outcome(
    data: pd.DataFrame, plan: Plan, analysis: Analysis, *, threads: int | None = 1
) -> MMRMResult:
    """Fit the model of one outcome under one analysis: the MMRM (``model="mmrm"``)
    or the random-intercept model on MixedLM (``"random_intercept"``, a sensitivity
    analysis) with the same fixed effects. Control (the arm with neither factor) is
    the reference level, whatever the order of the arms in the configuration."""
    design = plan.design
    covariates = [c for c in analysis.covariates if data[c].nunique() > 1]  # e.g. one site
    visits = [v.label for v in design.visits if analysis.baseline == "clda" or not v.baseline]
    seen = set(data["AVISIT"].unique())
    visits = [v for v in visits if v in seen]
    data = data.assign(AVISIT=pd.Categorical(data["AVISIT"], categories=visits))
    reference = {"AVISIT": visits[0]}
    if analysis.baseline == "clda":
        extra = []
        for arm in design.active_arms:
            for visit in visits[1:]:
                column = _clda_column(arm, visit)
                data[column] = ((data["TRT01P"] == arm) & (data["AVISIT"] == visit)).astype(float)
                extra.append(column)
        terms = ["AVISIT", *extra, *covariates]
        response = "AVAL"
    else:
        data = data.assign(TRT01P=pd.Categorical(data["TRT01P"], categories=design.arm_codes))
        reference["TRT01P"] = design.control
        terms = [
            "TRT01P * AVISIT",
            *(["BASE"] if analysis.baseline == "covariate" else []),
            *covariates,
        ]
        response = "CHG" if analysis.baseline == "covariate" else "AVAL"
    formula = f"{response} ~ " + " + ".join(terms)
    if analysis.model == "random_intercept":
        from rlstrial.mmrm.random_effects import random_intercept_fit

        return random_intercept_fit(
            data,
            formula,
            "USUBJID",
            "AVISIT",
            reference=reference,
            visit_levels=visits,
            df=analysis.df_method,
            vcov=analysis.vcov,
        )
    return fit_mmrm(
        data,
        formula,
        subject="USUBJID",
        visit="AVISIT",
        covariance=plan.model.covariance,
        fallback=plan.model.fallback,
        reference=reference,
        visit_levels=visits,
        threads=threads,
        df=analysis.df_method,
        vcov=analysis.vcov,
    )


def fit_analysis(
    adqs: pd.DataFrame,
    adsl: pd.DataFrame,
    plan: Plan,
    paramcd: str,
    analysis: Analysis,
    *,
    threads: int | None = 1,
) -> tuple[pd.DataFrame, MMRMResult]:
    """The analysis data and the fitted model of one outcome under one analysis (BLAS
    limited to ``threads`` during the MMRM fit, see :func:`rlstrial.mmrm.fit_mmrm`).
    The data carry, in ``data.attrs["excluded"]``, the number of records of the outcome
    left out, by reason (:func:`analysis_rows`)."""
    rows = analysis_rows(adqs, adsl, paramcd, analysis)
    data = rows[rows["reason"] == ""].drop(columns="reason").reset_index(drop=True)
    if data.empty:
        raise ValueError(f"no analysable {paramcd} records in population {analysis.population}")
    data.attrs["excluded"] = rows.loc[rows["reason"] != "", "reason"].value_counts().to_dict()
    return data, fit_outcome(data, plan, analysis, threads=threads)


def analyse_outcome(
    adqs: pd.DataFrame, adsl: pd.DataFrame, plan: Plan, paramcd: str, analysis: Analysis
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit one outcome under one analysis of the plan; return results and fit statistics.

    Parameters
    ----------
    adqs, adsl
        The analysis datasets.
    plan
        The analysis plan (:func:`rlstrial.plan.build_plan`); its ``design``,
        ``alpha``, ``multiplicity`` and ``model`` sections are used.
    paramcd
        The outcome.
    analysis
        One analysis of the plan (``plan.analysis(name)``): name, baseline handling,
        model (``mmrm`` or ``random_intercept``), population and covariates.

    Returns
    -------
    results : DataFrame
        Columns :data:`RESULT_COLUMNS`, one row per visit and LS-mean or contrast.
        ``kind`` is ``lsmean`` (``arm`` names the arm) or ``contrast`` (``effect`` is
        ``vs control``, ``main effect`` or ``interaction``; ``active`` and
        ``reference`` name what is compared, see :class:`rlstrial.plan.Contrast`);
        ``contrast`` is the display label (``"LS-mean <arm>"`` or the contrast's
        name). ``df_method`` and ``vcov`` name the degrees of freedom and the
        covariance of the estimates (:func:`rlstrial.mmrm.fit_mmrm`). ``ci_level`` is
        the confidence level of ``ci_lower`` and ``ci_upper``
        (1 - ``plan.alpha``). ``p_adjusted`` is adjusted within each visit over the
        contrasts of the multiplicity family (``adjustment`` names the method; others
        carry their unadjusted p and ``"none"``). A row the data cannot estimate (an arm with no
        data at a visit, and every contrast involving it) has NaN estimates and says
        why in ``note``; the family is then adjusted over its estimable members and
        their ``note`` says so. Otherwise ``note`` is blank.
    fit_statistics : DataFrame
        The MMRM's fit statistics (structure used, convergence, -2LL, ...), labelled
        with outcome and analysis.
    """
    data, fit = fit_analysis(adqs, adsl, plan, paramcd, analysis)
    return summarize_analysis(data, fit, plan, paramcd, analysis)


def summarize_analysis(
    data: pd.DataFrame, fit: MMRMResult, plan: Plan, paramcd: str, analysis: Analysis
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The result table and fit statistics of a fitted analysis (see analyse_outcome)."""
    design = plan.design
    arms = design.arm_codes
    post = [v.label for v in design.post_baseline_visits if (data["AVISIT"] == v.label).any()]
    cells = _cell_rows(fit, design, post, analysis.baseline)
    absent = np.full(len(fit.design.all_columns), np.nan)  # an arm not in the data at all
    cells = {(arm, visit): cells.get((arm, visit), absent) for arm in arms for visit in post}
    used = data.loc[fit.design.data.index]  # the rows the model kept (covariates present)
    counts = used[used["ABLFL"] != "Y"].groupby(["AVISIT", "TRT01P"], observed=True).size()
    rows, meta = [], []
    for visit in post:
        for arm in arms:
            rows.append(cells[(arm, visit)])
            n = int(counts.get((visit, arm), 0))
            meta.append((visit, "lsmean", "", arm, "", "", f"LS-mean {arm}", n))
        for c in design.contrasts:
            rows.append(
                sum(w * cells[(arm, visit)] for arm, w in zip(arms, c.weights, strict=True) if w)
            )
            involved = [arm for arm, w in zip(arms, c.weights, strict=True) if w != 0]
            n = int(sum(counts.get((visit, arm), 0) for arm in involved))
            meta.append((visit, "contrast", c.kind, "", c.active, c.reference, c.name, n))
    matrix = np.array(rows)
    labels = [m[6] for m in meta]
    table = fit.contrast(matrix, names=labels, level=1 - plan.alpha).drop(columns="t_value")
    described = pd.DataFrame(
        meta, columns=["visit", "kind", "effect", "arm", "active", "reference", "contrast", "n"]
    )
    table = pd.concat([described.drop(columns="contrast"), table], axis=1)
    table["ci_level"] = 1 - plan.alpha
    table["df_method"] = fit.df_method
    table["vcov"] = fit.vcov_method
    table["note"] = _estimability_notes(fit.estimable(matrix), design, meta, counts)
    table = _adjust(table, plan.multiplicity, fit, fit.kept_columns(matrix))
    for note in sorted(set(table["note"]) - {""}):
        log.warning("%s %s: %s", paramcd, analysis.name, note)
    table.insert(0, "population", analysis.population)
    table.insert(0, "analysis", analysis.name)
    table.insert(0, "outcome", paramcd)
    excluded = pd.DataFrame(
        [
            {"statistic": f"excluded: {reason}", "value": n}
            for reason, n in sorted(data.attrs.get("excluded", {}).items())
        ],
        columns=["statistic", "value"],
    )
    statistics = pd.concat([fit.fit_statistics, excluded], ignore_index=True)
    statistics = statistics.assign(outcome=paramcd, analysis=analysis.name)
    return table[RESULT_COLUMNS], statistics[["outcome", "analysis", "statistic", "value"]]


def _estimability_notes(estimable, design: Design, meta, counts) -> list[str]:
    """Why each row that is not estimable is not (the arms without data at its visit)."""
    notes = []
    weights = {c.name: c.weights for c in design.contrasts}
    for ok, (visit, kind, _, arm, _, _, label, _) in zip(estimable, meta, strict=True):
        if ok:
            notes.append("")
            continue
        involved = (
            [arm]
            if kind == "lsmean"
            else [a for a, w in zip(design.arm_codes, weights[label], strict=True) if w != 0]
        )
        empty = [a for a in involved if counts.get((visit, a), 0) == 0]
        why = f"no {', '.join(empty)} data at {visit}" if empty else "aliased in the model"
        notes.append(f"not estimable: {why}")
    return notes


def model_diagnostics(data: pd.DataFrame, fit: MMRMResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Residuals and the estimated within-participant correlation of a fitted analysis.

    Returns
    -------
    residuals : DataFrame
        USUBJID, TRT01P, AVISIT, fitted, residual, normalized (see
        :meth:`rlstrial.mmrm.MMRMResult.residuals`).
    correlation : DataFrame
        The estimated correlation matrix between visits (first covariance group),
        with a ``visit`` column.
    """
    residuals = fit.residuals()
    residuals = pd.concat(
        [
            data.loc[residuals["row"], ["USUBJID", "TRT01P", "AVISIT"]].reset_index(drop=True),
            residuals.drop(columns="row").reset_index(drop=True),
        ],
        axis=1,
    )
    sigma = next(iter(fit.covariance_matrix.values()))
    sd = np.sqrt(np.diag(sigma))
    correlation = (sigma / np.outer(sd, sd)).rename_axis("visit").reset_index()
    return residuals, correlation


def _adjust(
    table: pd.DataFrame, multiplicity: Multiplicity, fit: MMRMResult, matrix
) -> pd.DataFrame:
    """Adjust the p-values of the family at each visit, over its estimable members; the
    note of each adjusted contrast says when some members were not estimable."""
    family = set(multiplicity.family)
    method = multiplicity.method
    table = table.copy()
    table["p_adjusted"] = table["p_value"]
    table["adjustment"] = "none"
    if method == "none":
        return table
    for visit in table["visit"].unique():
        in_family = (table["visit"] == visit) & table["contrast"].isin(family)
        member = in_family & table["estimate"].notna()
        left_out = table.loc[in_family & ~member, "contrast"].tolist()
        if left_out:
            table.loc[member, "note"] = (
                f"adjusted over {int(member.sum())} of {int(in_family.sum())} contrasts of the"
                f" family ({', '.join(left_out)} not estimable)"
            )
        if member.sum() < 2:
            continue
        if method == "dunnett":
            adjusted = dunnett_adjusted(fit, matrix[member.to_numpy()])
        else:
            adjusted = multipletests(table.loc[member, "p_value"], method=method)[1]
        table.loc[member, "p_adjusted"] = adjusted
        table.loc[member, "adjustment"] = method
    return table


def dunnett_adjusted(fit: MMRMResult, matrix: np.ndarray, seed: int = 20260101) -> np.ndarray:
    """Model-based Dunnett-type adjusted p-values of the contrasts ``matrix @ beta``.

    The contrasts' t statistics are taken as jointly multivariate t with the
    correlation of their estimates (from the covariance the fit's inference uses) and
    the smallest of their df (by the fit's df method); the adjusted p of contrast i
    is P(max_j |T_j| >= |t_i|). The
    multivariate t probabilities are computed by scipy's randomised quasi-Monte Carlo
    integration with a fixed seed (reproducible; absolute error about 1e-4).

    Examples
    --------
    With independent contrasts the adjustment is Sidak's, 1 - (1 - p)^k:

    >>> from types import SimpleNamespace
    >>> from scipy import stats
    >>> fit = SimpleNamespace(beta=np.array([2.0, 0.5]), beta_covariance=np.eye(2),
    ...                       row_df=lambda row: 1e6)
    >>> p = 2 * stats.norm.sf([2.0, 0.5])
    >>> sidak = 1 - (1 - p) ** 2
    >>> bool(np.allclose(dunnett_adjusted(fit, np.eye(2)), sidak, atol=1e-3))
    True
    """
    from scipy import stats

    estimate = matrix @ fit.beta
    covariance = matrix @ fit.beta_covariance @ matrix.T
    se = np.sqrt(np.diag(covariance))
    correlation = covariance / np.outer(se, se)
    df = min(fit.row_df(row) for row in matrix)
    t_values = np.abs(estimate / se)
    k = len(t_values)
    adjusted = []
    for t in t_values:
        inside = stats.multivariate_t.cdf(
            np.full(k, t),
            shape=correlation,
            df=df,
            lower_limit=np.full(k, -t),
            maxpts=200_000 * k,
            random_state=seed,
        )
        adjusted.append(float(np.clip(1 - inside, 0.0, 1.0)))
    return np.array(adjusted)


def compare_published(results: pd.DataFrame, published: list[dict]) -> pd.DataFrame:
    """Set our estimates beside published ones, and flag published numbers that
    disagree with themselves.

    Parameters
    ----------
    results
        Result tables (:data:`RESULT_COLUMNS`), concatenated.
    published
        Entries with outcome, analysis, visit, contrast, estimate, ci_lower, ci_upper
        (and optionally p_value), as printed in the publication.

    Returns
    -------
    DataFrame
        One row per published entry: the published and our estimate, CI and p, the
        differences, and ``note``: where the published estimate is more than 0.15 from
        the midpoint of its own (symmetric) CI, the note says so and gives the midpoint;
        a published result this run did not analyse is noted as such.

    Examples
    --------
    >>> ours = pd.DataFrame({"outcome": ["X"], "analysis": ["a"], "visit": ["Week 4"],
    ...     "contrast": ["heat vs control"], "estimate": [-3.95], "ci_lower": [-11.79],
    ...     "ci_upper": [3.89], "p_value": [0.31]})
    >>> paper = [{"outcome": "X", "analysis": "a", "visit": "Week 4",
    ...           "contrast": "heat vs control", "estimate": -3.6, "ci_lower": -11.8,
    ...           "ci_upper": 3.9}]
    >>> compare_published(ours, paper)["note"].item()
    'published estimate -3.6 disagrees with its own 95% CI (-11.8, 3.9), whose midpoint is -3.95'
    """
    keys = ["outcome", "analysis", "visit", "contrast"]
    paper = pd.DataFrame(published)
    for column in ("p_value",):
        if column not in paper:
            paper[column] = np.nan
    merged = paper.merge(
        results[keys + ["estimate", "ci_lower", "ci_upper", "p_value"]],
        on=keys,
        how="left",
        suffixes=("_published", "_ours"),
    )
    for column in ("estimate", "ci_lower", "ci_upper"):
        merged[f"{column}_difference"] = merged[f"{column}_ours"] - merged[f"{column}_published"]
    midpoint = (merged["ci_lower_published"] + merged["ci_upper_published"]) / 2
    inconsistent = (merged["estimate_published"] - midpoint).abs() > 0.15
    merged["note"] = [
        (
            f"published estimate {e:g} disagrees with its own 95% CI ({lo:g}, {hi:g}),"
            f" whose midpoint is {m:.3g}"
        )
        if flag
        else ""
        for e, lo, hi, m, flag in zip(
            merged["estimate_published"],
            merged["ci_lower_published"],
            merged["ci_upper_published"],
            midpoint,
            inconsistent,
            strict=True,
        )
    ]
    missing = merged["estimate_ours"].isna()
    merged.loc[missing, "note"] = "not analysed in this run"
    return merged
