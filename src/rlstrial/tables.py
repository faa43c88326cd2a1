"""Publication tables, built from the analysis datasets and result tables, in the form
a journal takes them.

Each ``table_*`` function returns a DataFrame of display strings, labelled in words
(arm, comparison and outcome labels of the plan, never their codes); the CSV is the
data. :func:`outcome_notes` and :func:`table_notes` give each table's footnotes, and
:func:`write_table_formats` writes a table with its title and footnotes as CSV,
Markdown, HTML, DOCX (a three-line table) and LaTeX (booktabs).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from rlstrial.io import write_table
from rlstrial.plan import Analysis, Design, Multiplicity, Plan, ci_label, inference_label


def _number(value: float, digits: int = 2) -> str:
    """A number rounded for print, never "-0.00".

    Examples
    --------
    >>> _number(-0.001), _number(-0.04, 1), _number(2.345, 1)
    ('0.00', '0.0', '2.3')
    """
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _mean_sd(values: pd.Series) -> str:
    values = values.dropna()
    return f"{_number(values.mean(), 1)} ({_number(values.std(), 1)})" if len(values) > 1 else "-"


def _n_percent(count: int, total: int) -> str:
    return f"{count} ({100 * count / total:.0f}%)" if total else "0"


def table_baseline(
    adsl: pd.DataFrame,
    arms: list[str],
    labels: dict[str, str],
    adqs: pd.DataFrame | None = None,
    outcomes: Sequence[str] = (),
) -> pd.DataFrame:
    """Baseline characteristics by arm and overall (no P values, as CONSORT asks).

    Demographics, site, RLS history and medication from ``adsl``; with ``adqs``, the
    baseline value (ABLFL = Y) of each outcome in ``outcomes``, labelled by its PARAM.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRT01P": ["a", "a", "b"],
    ...     "AGE": [50, 60, 70], "SEX": ["F", "M", "F"], "RACE": ["White"] * 3,
    ...     "SITEID": ["S1", "S2", "S2"], "RLSDUR": [1.0, 3.0, 5.0],
    ...     "RLSMEDFL": ["Y", "N", "Y"]})
    >>> adqs = pd.DataFrame({"USUBJID": ["1", "2", "3"], "PARAMCD": "IRLS",
    ...     "PARAM": "IRLS total", "ABLFL": "Y", "AVAL": [20.0, 24.0, 30.0]})
    >>> table = table_baseline(adsl, ["a", "b"], {"a": "A", "b": "B"}, adqs, ["IRLS"])
    >>> table.iloc[[0, 1, 3, 7]]
                    Characteristic   A (n = 2)  B (n = 1) Total (n = 3)
    0        Age, years, mean (SD)  55.0 (7.1)          -   60.0 (10.0)
    1                Female, n (%)     1 (50%)   1 (100%)       2 (67%)
    3              Site S1, n (%)     1 (50%)     0 (0%)       1 (33%)
    7  IRLS total, mean (SD)  22.0 (2.8)          -    24.7 (5.0)
    """
    if outcomes and adqs is None:
        raise ValueError("table_baseline: baseline values of outcomes need adqs")
    groups = [(labels[arm], adsl[adsl["TRT01P"] == arm]) for arm in arms] + [("Total", adsl)]
    columns = {f"{name} (n = {len(group)})": group for name, group in groups}

    def share(column: str, value: str):
        return lambda g: _n_percent(int((g[column] == value).sum()), len(g))

    rows = [("Age, years, mean (SD)", lambda g: _mean_sd(g["AGE"]))]
    rows.append(("Female, n (%)", share("SEX", "F")))
    for race in sorted(adsl["RACE"].dropna().unique()):
        rows.append((f"Race: {race}, n (%)", share("RACE", race)))
    for site in sorted(adsl["SITEID"].dropna().unique()):
        rows.append((f"Site {site}, n (%)", share("SITEID", site)))
    rows.append(("Years with RLS, mean (SD)", lambda g: _mean_sd(g["RLSDUR"])))
    rows.append(("On RLS medication, n (%)", share("RLSMEDFL", "Y")))
    for paramcd in outcomes:
        at_baseline = adqs[(adqs["PARAMCD"] == paramcd) & (adqs["ABLFL"] == "Y")]
        values = at_baseline.set_index("USUBJID")["AVAL"]
        label = at_baseline["PARAM"].iloc[0] if len(at_baseline) else paramcd
        rows.append(
            (
                f"{label}, mean (SD)",
                lambda g, v=values: _mean_sd(v.reindex(g["USUBJID"])),
            )
        )
    table = pd.DataFrame({"Characteristic": [label for label, _ in rows]})
    for name, group in columns.items():
        table[name] = [function(group) for _, function in rows]
    return table


def table_comparisons(design: Design, multiplicity: Multiplicity) -> pd.DataFrame:
    """The comparisons of the factorial plan, in words: the groups that form each one,
    its weights on the arm means, and its multiplicity adjustment (the method for the
    members of the family, else "None").

    Main effects compare the arms with a factor against the arms without it, each
    side the equally weighted mean over the other factor (at the margins); the
    interaction is the difference of the two simple effects of massager.

    Examples
    --------
    >>> from rlstrial.plan import Design, Multiplicity, ci_label
    >>> design = Design.from_config([
    ...     {"code": "control", "label": "None", "massager": False, "heat": False},
    ...     {"code": "massager", "label": "M", "massager": True, "heat": False},
    ...     {"code": "heat", "label": "H", "massager": False, "heat": True},
    ...     {"code": "combined", "label": "M+H", "massager": True, "heat": True}], [])
    >>> table = table_comparisons(design, Multiplicity("holm", ("heat vs control",)))
    >>> rows = table.set_index("Comparison")
    >>> rows.loc["H vs none", ["Groups compared", "M+H", "Multiplicity adjustment"]].tolist()
    ['H - None', '0', 'Holm']
    >>> columns = ["Groups compared", "M+H", "None", "Multiplicity adjustment"]
    >>> rows.loc["M (main effect)", columns].tolist()
    ['mean(M, M+H) - mean(None, H)', '+1/2', '-1/2', 'None']
    >>> rows.loc["M x h (interaction)", ["Groups compared", "M"]].tolist()
    ['(M+H - H) - (M - None)', '-1']
    """
    label = design.arm_labels
    by_levels = {(arm.massager, arm.heat): arm.label for arm in design.arms}

    def text(contrast) -> str:
        weights = dict(zip(design.arm_codes, contrast.weights, strict=True))
        plus = [label[c] for c, w in weights.items() if w > 0]
        minus = [label[c] for c, w in weights.items() if w < 0]
        if contrast.kind == "interaction":
            return (
                f"({by_levels[True, True]} - {by_levels[False, True]}) - "
                f"({by_levels[True, False]} - {by_levels[False, False]})"
            )
        if len(plus) == 1:
            return f"{plus[0]} - {minus[0]}"
        return f"mean({', '.join(plus)}) - mean({', '.join(minus)})"

    fraction = {0.5: "+1/2", -0.5: "-1/2", 1.0: "+1", -1.0: "-1", 0.0: "0"}
    method = multiplicity.method
    rows = []
    for contrast in design.contrasts:
        rows.append(
            {
                "Comparison": design.contrast_label(contrast.name),
                "Groups compared": text(contrast),
                **{
                    label[code]: fraction[weight]
                    for code, weight in zip(design.arm_codes, contrast.weights, strict=True)
                },
                "Multiplicity adjustment": (
                    MULTIPLICITY_NAMES.get(method, (method,) * 2)[1]
                    if contrast.name in multiplicity.family
                    else "None"
                ),
            }
        )
    return pd.DataFrame(rows)


def table_recruitment(adsl: pd.DataFrame, arms: list[str], labels: dict) -> pd.DataFrame:
    """Dates of recruitment and follow-up by arm and overall: first and last
    randomization, last end-of-study date, and follow-up in days (median (IQR)).

    Examples
    --------
    >>> adsl = pd.DataFrame({"TRT01P": ["a", "a", "b"],
    ...     "RANDDT": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-02-01"]),
    ...     "EOSDT": pd.to_datetime(["2024-01-29", "2024-03-20", "2024-02-29"])})
    >>> table = table_recruitment(adsl, ["a", "b"], {"a": "A", "b": "B"})
    >>> table["Measure"].tolist()[1:]
    ['First randomization', 'Last randomization', 'Last end of study', \
'Follow-up, days, median (IQR)']
    >>> table["A"].tolist()
    ['2', '2024-01-01', '2024-03-01', '2024-03-20', '23.5 (21.2-25.8)']
    >>> table["Total"].tolist()
    ['3', '2024-01-01', '2024-03-01', '2024-03-20', '28.0 (23.5-28.0)']
    """
    measures = [
        "Randomized",
        "First randomization",
        "Last randomization",
        "Last end of study",
        "Follow-up, days, median (IQR)",
    ]
    table = {"Measure": measures}
    groups = [(labels[arm], adsl[adsl["TRT01P"] == arm]) for arm in arms] + [("Total", adsl)]
    for name, group in groups:
        days = (group["EOSDT"] - group["RANDDT"]).dt.days.dropna()
        q1, median, q3 = (days.quantile(q) for q in (0.25, 0.5, 0.75))

        def day(value):
            return "-" if pd.isna(value) else value.strftime("%Y-%m-%d")

        table[name] = [
            str(len(group)),
            day(group["RANDDT"].min()),
            day(group["RANDDT"].max()),
            day(group["EOSDT"].max()),
            f"{median:.1f} ({q1:.1f}-{q3:.1f})" if len(days) else "-",
        ]
    return pd.DataFrame(table)


def table_harms(
    adae: pd.DataFrame, adsl: pd.DataFrame, arms: list[str], labels: dict
) -> pd.DataFrame:
    """Participants with adverse events by arm (safety population), with denominators.

    Rows: any adverse event, serious, device-related, severe, and withdrawal due to an
    adverse event; each n (%) of the arm's safety population.
    """
    safety = adsl[adsl["SAFFL"] == "Y"]
    table = {
        "Adverse events": [
            "Any adverse event",
            "Serious adverse event",
            "Device-related adverse event",
            "Severe adverse event",
            "Withdrew because of an adverse event",
        ]
    }
    for arm in arms:
        members = safety[safety["TRT01P"] == arm]["USUBJID"]
        events = adae[adae["USUBJID"].isin(members)]
        withdrew = adsl[
            adsl["USUBJID"].isin(members) & adsl["DCSREAS"].eq("Withdrew: adverse event")
        ]
        counts = [
            events["USUBJID"].nunique(),
            events.loc[events["AESER"] == "Y", "USUBJID"].nunique(),
            events.loc[events["AEREL"] == "Y", "USUBJID"].nunique(),
            events.loc[events["AESEV"] == "SEVERE", "USUBJID"].nunique(),
            len(withdrew),
        ]
        table[f"{labels[arm]} (N = {len(members)})"] = [_n_percent(c, len(members)) for c in counts]
    return pd.DataFrame(table)


def table_adherence(adsl: pd.DataFrame, arms: list[str], labels: dict) -> pd.DataFrame:
    """Adherence by arm: diary days, adherent days (%), minutes of use, per protocol."""
    rows = {
        "Measure": [
            "Diary days, mean (SD)",
            "Adherent days, % of diary days, mean (SD)",
            "Massager minutes per day, mean (SD)",
            "Heat minutes per day, mean (SD)",
            "Per-protocol population, n (%)",
        ]
    }
    for arm in arms:
        group = adsl[adsl["TRT01P"] == arm]
        rows[f"{labels[arm]} (n = {len(group)})"] = [
            _mean_sd(group["DIARYDY"].astype(float)),
            _mean_sd(group["ADHPCT"]),
            _mean_sd(group["MASSMIN"]),
            _mean_sd(group["HEATMIN"]),
            _n_percent(int((group["PPROTFL"] == "Y").sum()), len(group)),
        ]
    return pd.DataFrame(rows)


def table_participant_flow(
    counts: pd.DataFrame,
    adqs: pd.DataFrame,
    adsl: pd.DataFrame,
    arms: list[str],
    labels: dict,
    population: str = "ITTFL",
    outcomes: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Participant flow by arm: screened, not randomized, randomized, received the
    allocated intervention, discontinued (with the reasons' categories, indented), and
    analysed for each outcome and visit (participants of ``population`` with an
    analysable value).

    ``counts`` is :func:`rlstrial.figures.consort_counts`' table: the reasons are its
    categories (the config's ``reasons`` mapping), never the free text of adsl.
    ``outcomes`` maps each outcome's PARAMCD to its label, in the order of the rows;
    without it, every PARAMCD of ``adqs``, labelled by its PARAM.

    Examples
    --------
    >>> counts = pd.DataFrame({"box": ["assessed", "excluded", "allocated", "discontinued",
    ...     "allocated", "discontinued"], "arm": ["", "", "a", "a", "b", "b"],
    ...     "n": [5, 2, 2, 1, 1, 0], "detail": ["", "", "", "Lost to follow-up: 1", "", ""]})
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRT01P": ["a", "a", "b"],
    ...     "SAFFL": "Y", "ITTFL": "Y"})
    >>> adqs = pd.DataFrame({"USUBJID": ["1", "3"], "TRT01P": ["a", "b"], "PARAMCD": "X",
    ...     "AVISIT": "Week 4", "AVISITN": 4, "ABLFL": "", "ANL01FL": "Y"})
    >>> table_participant_flow(counts, adqs, adsl, ["a", "b"], {"a": "A", "b": "B"},
    ...     outcomes={"X": "Score X"})
                                 Stage  A  B Total
    0                         Screened          5
    1                   Not randomized          2
    2                       Randomized  2  1     3
    3  Received allocated intervention  2  1     3
    4                     Discontinued  1  0     1
    5                Lost to follow-up  1  0     1
    6       Analysed: Score X, Week 4  1  1     2
    """
    columns = [labels[arm] for arm in arms]

    def row(stage: str, values: dict[str, int] | None = None, total: int | None = None):
        cells = {labels[arm]: str(values.get(arm, 0)) for arm in arms} if values else {}
        total = sum(values.values()) if total is None else total
        return {"Stage": stage, **dict.fromkeys(columns, ""), **cells, "Total": str(total)}

    top = counts[counts["arm"] == ""].set_index("box")
    per_arm = counts[counts["arm"] != ""].set_index(["box", "arm"])
    rows = [
        row("Screened", total=int(top.loc["assessed", "n"])),
        row("Not randomized", total=int(top.loc["excluded", "n"])),
        row("Randomized", {arm: int(per_arm.loc[("allocated", arm), "n"]) for arm in arms}),
        row(
            "Received allocated intervention",
            {arm: int(((adsl["TRT01P"] == arm) & (adsl["SAFFL"] == "Y")).sum()) for arm in arms},
        ),
        row("Discontinued", {arm: int(per_arm.loc[("discontinued", arm), "n"]) for arm in arms}),
    ]
    reasons: dict[str, dict[str, int]] = {}  # category -> arm -> n
    discontinued = counts[(counts["box"] == "discontinued") & (counts["arm"] != "")]
    for arm, detail in zip(discontinued["arm"], discontinued["detail"], strict=True):
        for line in str(detail).splitlines():
            category, _, n = line.rpartition(": ")
            if category:
                reasons.setdefault(category, {})[arm] = int(n)
    rows += [row(f"  {category}", reasons[category]) for category in sorted(reasons)]
    members = set(adsl.loc[adsl[population] == "Y", "USUBJID"])
    analysed = adqs[
        (adqs["ANL01FL"] == "Y") & (adqs["ABLFL"] != "Y") & adqs["USUBJID"].isin(members)
    ]
    if outcomes is None:
        names = adqs["PARAM"] if "PARAM" in adqs else adqs["PARAMCD"]
        outcomes = dict(zip(adqs["PARAMCD"], names, strict=True))
    for paramcd, name in outcomes.items():
        records = analysed[analysed["PARAMCD"] == paramcd].sort_values("AVISITN", kind="stable")
        for visit, group in records.groupby("AVISIT", sort=False):
            counted = group["TRT01P"].value_counts()
            values = {arm: int(counted.get(arm, 0)) for arm in arms}
            rows.append(row(f"Analysed: {name}, {visit}", values))
    return pd.DataFrame(rows, columns=["Stage", *columns, "Total"])


NOT_ESTIMABLE = "not estimable"

#: The columns of an outcome table that hold the visit and the row's arm or comparison.
VISIT, ROW = "Visit", "Arm or comparison"

#: How the adsl population flags read in footnotes.
POPULATION_NAMES = {
    "ITTFL": "intention-to-treat population",
    "SAFFL": "safety population",
    "PPROTFL": "per-protocol population",
}
#: How the model covariates (rlstrial.plan.COVARIATES) read in footnotes.
COVARIATE_NAMES = {
    "BASE": "the baseline value",
    "SITEID": "site",
    "STRATUM": "stratum",
    "AGE": "age",
    "SEX": "sex",
    "RACE": "race",
    "ETHNIC": "ethnicity",
    "RLSDUR": "years with RLS",
    "RLSMEDFL": "RLS medication (yes or no)",
    "RLSMEDCL": "RLS medication class",
}
#: How the multiplicity methods read: in footnotes, and in the comparisons table.
MULTIPLICITY_NAMES = {
    "holm": ("Holm's method", "Holm"),
    "bonferroni": ("the Bonferroni method", "Bonferroni"),
    "hommel": ("Hommel's method", "Hommel"),
    "dunnett": ("a Dunnett-type method (joint multivariate t)", "Dunnett-type"),
    "none": ("no adjustment", "None"),
}
#: How the covariance structures read in footnotes (as rlstrial.mmrm.summary names
#: them; not imported from there, so that editing the MMRM engine does not rewrite tables).
STRUCTURE_NAMES = {
    "us": "unstructured",
    "cs": "compound symmetry",
    "csh": "heterogeneous compound symmetry",
    "ar1": "first-order autoregressive, AR(1)",
    "ar1h": "heterogeneous first-order autoregressive, ARH(1)",
    "toep": "Toeplitz",
    "toeph": "heterogeneous Toeplitz",
    "adh": "first-order ante-dependence, ANTE(1)",
    "sp_exp": "spatial exponential",
    "rs": "random intercept and slope",
}
#: the structures as SAS PROC MIXED's REPEATED statement names them
SAS_TYPES = {
    "us": "UN",
    "cs": "CS",
    "csh": "CSH",
    "ar1": "AR(1)",
    "ar1h": "ARH(1)",
    "toep": "TOEP",
    "toeph": "TOEPH",
    "adh": "ANTE(1)",
    "sp_exp": "SP(EXP)",
    "rs": "UN (RANDOM intercept and slope)",
}
FITTING_METHODS = {
    "reml": "restricted maximum likelihood (REML)",
    "ml": "maximum likelihood (ML)",
}
ABBREVIATIONS = (
    "CI, confidence interval; df, degrees of freedom; LS, least-squares; SD, standard"
    " deviation; SE, standard error."
)


def population_label(flag: str) -> str:
    """An analysis population (adsl flag) in words, the flag in brackets.

    Examples
    --------
    >>> population_label("ITTFL")
    'intention-to-treat population (ITTFL)'
    """
    return f"{POPULATION_NAMES.get(flag, 'population')} ({flag})"


def _estimate_ci(row) -> str:
    if pd.isna(row.estimate):
        return NOT_ESTIMABLE
    return f"{_number(row.estimate)} ({_number(row.ci_lower)}, {_number(row.ci_upper)})"


def _estimate_se(row) -> str:
    if pd.isna(row.estimate):
        return NOT_ESTIMABLE
    return f"{_number(row.estimate)} ({_number(row.std_error)})"


def _p(value: float) -> str:
    if pd.isna(value):
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _and(words: Sequence[str]) -> str:
    """Words joined as in a sentence: "a", "a and b", "a, b and c"."""
    words = list(words)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _lower(label: str) -> str:
    """A label inside a sentence (as :meth:`rlstrial.plan.Design.contrast_label`)."""
    return label if len(label) > 1 and label[1].isupper() else label[:1].lower() + label[1:]


def _analysed_records(
    adqs: pd.DataFrame, adsl: pd.DataFrame, paramcd: str, analysis: Analysis, population: str
) -> pd.DataFrame:
    """The post-baseline records of one outcome that the analysis models: an analysable
    value (ANL01FL = Y), in the population, with the baseline value when it is a
    covariate and every covariate present (as :func:`rlstrial.analysis.analysis_rows`)."""
    records = adqs[
        (adqs["PARAMCD"] == paramcd)
        & (adqs["ANL01FL"] == "Y")
        & (adqs["ABLFL"] != "Y")
        & adqs["AVAL"].notna()
    ]
    subjects = adsl.set_index("USUBJID")
    keep = records["USUBJID"].map(subjects[population]).eq("Y")
    if analysis.baseline == "covariate":
        keep &= records["BASE"].notna()
    for column in analysis.covariates:
        values = records[column] if column in records else records["USUBJID"].map(subjects[column])
        keep &= values.notna()
    return records[keep.to_numpy()]


def table_outcome(
    results: pd.DataFrame,
    adqs: pd.DataFrame,
    adsl: pd.DataFrame,
    design: Design,
    analysis: Analysis,
) -> pd.DataFrame:
    """One outcome's results by visit ("Table 2"), labelled in words.

    At each visit, a row per arm: n (participants the model analysed at the visit),
    their baseline mean (SD) and mean (SD) at the visit, and the LS-mean change from
    baseline (SE) (the LS-mean at the visit (SE) when the analysis models the value:
    baseline ``none`` or ``clda``); then a row per comparison (each arm vs control,
    the main effects, the interaction): its estimate (CI at the results' ``ci_level``),
    P value and, for the multiplicity family, adjusted P value (a column left out when
    nothing was adjusted). A row the data cannot estimate reads "not estimable" (why:
    see :func:`outcome_notes`). The footnotes are :func:`outcome_notes`.

    Parameters
    ----------
    results
        The result table of one outcome under one analysis
        (:data:`rlstrial.analysis.RESULT_COLUMNS`).
    adqs, adsl
        The analysis datasets (the descriptive statistics).
    design
        The trial design (arm and contrast labels, their order).
    analysis
        The analysis the results are of (its baseline handling, covariates).

    Examples
    --------
    >>> from rlstrial.plan import Analysis, Arm, Design
    >>> design = Design((Arm("c", "Control", False, False), Arm("m", "Massager", True, False),
    ...     Arm("h", "Heat", False, True), Arm("b", "Both", True, True)), ())
    >>> results = pd.DataFrame({"outcome": "X", "analysis": "a", "population": "ITTFL",
    ...     "visit": "Week 4", "kind": ["lsmean", "lsmean", "contrast"],
    ...     "arm": ["c", "m", ""], "contrast": ["LS-mean c", "LS-mean m", "m vs c"],
    ...     "estimate": [-1.0, -6.0, -5.0], "std_error": [0.5, 0.5, 0.7],
    ...     "ci_lower": [-2.0, -7.0, -6.4], "ci_upper": [0.0, -5.0, -3.6],
    ...     "p_value": [0.05, 0.0, 0.0004], "p_adjusted": [0.05, 0.0, 0.0012],
    ...     "adjustment": ["none", "none", "holm"], "ci_level": 0.95, "n": [2, 2, 4]})
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3", "4"], "ITTFL": "Y"})
    >>> adqs = pd.DataFrame({"USUBJID": ["1", "2", "3", "4"], "PARAMCD": "X",
    ...     "AVISIT": "Week 4", "ABLFL": "", "ANL01FL": "Y", "TRT01P": ["c", "c", "m", "m"],
    ...     "BASE": [22.0, 24.0, 20.0, 22.0], "AVAL": [20.0, 22.0, 14.0, 16.0]})
    >>> table = table_outcome(results, adqs, adsl, design,
    ...     Analysis("a", "covariate", "mmrm", "ITTFL", ()))
    >>> table.columns.tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['Visit', 'Arm or comparison', 'n', 'Baseline, mean (SD)', 'At visit, mean (SD)',
     'LS-mean change (SE)', 'Difference (95% CI)', 'P value', 'Adjusted P value']
    >>> table.iloc[1].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['Week 4', 'Massager', '2', '21.0 (1.4)', '15.0 (1.4)', '-6.00 (0.50)', '', '', '']
    >>> table.iloc[2].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['Week 4', 'Massager vs control', '', '', '', '', '-5.00 (-6.40, -3.60)', '<0.001',
     '0.001']
    """
    arm_order = {code: k for k, code in enumerate(design.arm_codes)}
    contrast_order = {contrast.name: k for k, contrast in enumerate(design.contrasts)}
    level = results["ci_level"].iloc[0]
    change = "LS-mean change (SE)" if analysis.baseline == "covariate" else "LS-mean at visit (SE)"
    difference = f"Difference ({ci_label(level)})"
    adjusted = bool((results["adjustment"] != "none").any())
    columns = [VISIT, ROW, "n", "Baseline, mean (SD)", "At visit, mean (SD)", change]
    columns += [difference, "P value", *(["Adjusted P value"] if adjusted else [])]
    data = _analysed_records(
        adqs, adsl, results["outcome"].iloc[0], analysis, results["population"].iloc[0]
    )
    rows = []
    for visit in dict.fromkeys(results["visit"]):
        at_visit = results[results["visit"] == visit]
        values = data[data["AVISIT"] == visit]
        lsmeans = at_visit[at_visit["kind"] == "lsmean"]
        for row in lsmeans.sort_values("arm", key=lambda s: s.map(arm_order)).itertuples():
            group = values[values["TRT01P"] == row.arm]
            rows.append(
                {
                    VISIT: visit,
                    ROW: design.arm_label(row.arm),
                    "n": str(row.n),
                    "Baseline, mean (SD)": _mean_sd(group["BASE"]),
                    "At visit, mean (SD)": _mean_sd(group["AVAL"]),
                    change: _estimate_se(row),
                }
            )
        contrasts = at_visit[at_visit["kind"] == "contrast"]
        contrasts = contrasts.sort_values("contrast", key=lambda s: s.map(contrast_order))
        for row in contrasts.itertuples():
            rows.append(
                {
                    VISIT: visit,
                    ROW: design.contrast_label(row.contrast),
                    difference: _estimate_ci(row),
                    "P value": _p(row.p_value),
                    "Adjusted P value": _p(row.p_adjusted) if row.adjustment != "none" else "",
                }
            )
    return pd.DataFrame(rows, columns=columns).fillna("")


def outcome_notes(results: pd.DataFrame, plan: Plan, fit: pd.DataFrame | None = None) -> list[str]:
    """The footnotes of an outcome table (:func:`table_outcome`): the population and
    what n counts, the model, the covariance structure the fit used (with the reason
    for a fallback), the df method and covariance of the estimates, the CI level, what
    the comparisons are and which direction is better, the multiplicity adjustment and
    its family, the rows not estimable and why, the primary end point, abbreviations.

    Parameters
    ----------
    results
        The result table of one outcome under one analysis.
    plan
        The plan, with at least its ``design``, ``multiplicity`` and ``analyses``
        sections (``outcomes``: the better direction; ``primary``: the primary end
        point, named on its outcome's table).
    fit
        The analysis' fit statistics (``results/models/<outcome>_<analysis>_fit.csv``:
        statistic, value): the structure used, the fallback reason, the fitting method,
        convergence. Without it the structure is not stated.

    Examples
    --------
    >>> from rlstrial.config import load_config
    >>> from rlstrial.plan import build_plan
    >>> plan = build_plan(load_config("config/config.yaml"))
    >>> results = pd.DataFrame({"outcome": "IRLSTOT", "analysis": "mmrm",
    ...     "population": "ITTFL", "visit": "Week 4", "kind": "contrast",
    ...     "contrast": ["massager vs control", "heat vs control", "combined vs control"],
    ...     "estimate": -5.0, "n": 10, "ci_level": 0.95, "df_method": "satterthwaite",
    ...     "vcov": "model", "adjustment": "holm"})
    >>> fit = pd.DataFrame({"statistic": ["structure", "fallback_reason", "method"],
    ...     "value": ["toeph", "us: did not converge", "reml"]})
    >>> for note in outcome_notes(results, plan, fit):
    ...     print(note)
    Analysed: the intention-to-treat population (ITTFL). n: participants analysed at the
    visit; the baseline and visit means (SD) are of these participants.
    Model: mixed model for repeated measures (MMRM) of the change from baseline, with
    arm, visit and their interaction as fixed effects, adjusted for the baseline value and
    site; fitted by restricted maximum likelihood (REML).
    Within-participant covariance: heterogeneous Toeplitz (SAS TYPE=TOEPH), a fallback: the
    structures tried before it failed (us: did not converge).
    95% confidence intervals and P values: Satterthwaite df, model-based SE.
    Differences are in LS-mean change from baseline: each arm minus no intervention; a
    main effect is the mean of the two arms with the factor minus the mean of the two
    without it; the interaction is (Massager + heat - Heat therapy) - (Foot massager - No
    intervention). Lower values are better: a negative difference favours the first-named
    arm or the factor.
    Adjusted P values: Holm's method within each visit over the 3 comparisons of the
    family (Foot massager vs no intervention; Heat therapy vs no intervention; Massager
    + heat vs no intervention); the other comparisons are not adjusted.
    Primary end point: Foot massager vs no intervention at Week 4.
    CI, confidence interval; df, degrees of freedom; LS, least-squares; SD, standard
    deviation; SE, standard error.
    """
    analysis = plan.analysis(results["analysis"].iloc[0])
    statistics = (
        {} if fit is None else dict(zip(fit["statistic"], fit["value"].astype(str), strict=True))
    )
    first = results.iloc[0]
    notes = [
        f"Analysed: the {population_label(first['population'])}. n: participants analysed"
        " at the visit; the baseline and visit means (SD) are of these participants.",
        _model_note(analysis, statistics),
        *_covariance_note(analysis, statistics),
        f"{100 * first['ci_level']:.10g}% confidence intervals and P values:"
        f" {inference_label(first['df_method'], first['vcov'])}.",
        _effects_note(plan, first["outcome"], analysis),
        *_multiplicity_notes(results, plan),
        *_estimability_notes(results, plan.design),
    ]
    primary = plan.primary
    if primary and (primary.outcome, primary.analysis) == (first["outcome"], analysis.name):
        contrast = plan.design.contrast_label(primary.contrast)
        notes.append(f"Primary end point: {contrast} at {plan.primary_visit.label}.")
    return [*notes, ABBREVIATIONS]


def _model_note(analysis: Analysis, statistics: dict[str, str]) -> str:
    """What the model is: its response, fixed effects and covariates, how it was fitted."""
    model = (
        "linear mixed model (random intercept per participant)"
        if analysis.model == "random_intercept"
        else "mixed model for repeated measures (MMRM)"
    )
    covariates = [COVARIATE_NAMES.get(c, c) for c in analysis.covariates if c != "BASE"]
    fixed = "arm, visit and their interaction as fixed effects"
    if analysis.baseline == "covariate":
        adjusted = _and([COVARIATE_NAMES["BASE"], *covariates])
        text = f"{model} of the change from baseline, with {fixed}, adjusted for {adjusted}"
    elif analysis.baseline == "clda":
        text = (
            f"constrained longitudinal data analysis (cLDA): {model} of the value at every"
            " visit, baseline included, with one baseline mean for all arms and arm effects"
            " at each visit after baseline"
            + (f", adjusted for {_and(covariates)}" if covariates else "")
            + "; differences between arms at a visit are differences in change from baseline"
        )
    else:
        text = (
            f"{model} of the value at each visit after baseline (not adjusted for the"
            f" baseline value), with {fixed}"
            + (f", adjusted for {_and(covariates)}" if covariates else "")
        )
    method = FITTING_METHODS.get(statistics.get("method", "reml"), statistics.get("method"))
    return f"Model: {text}; fitted by {method}."


def _covariance_note(analysis: Analysis, statistics: dict[str, str]) -> list[str]:
    """The within-participant covariance structure the fit used, and why when it is a
    fallback; that the fit did not converge, when it did not."""
    structure = statistics.get("structure")
    if structure is None:
        return []
    if analysis.model == "random_intercept":
        text = "compound symmetry, from the random intercept per participant"
    else:
        sas = SAS_TYPES.get(structure, structure)
        text = f"{STRUCTURE_NAMES.get(structure, structure)} (SAS TYPE={sas})"
    reason = statistics.get("fallback_reason", "")
    if reason:
        text += f", a fallback: the structures tried before it failed ({reason})"
    note = f"Within-participant covariance: {text}."
    if statistics.get("converged", "True") != "True":
        note += " The fit did not converge: its estimates are not reliable."
    return [note]


def _effects_note(plan: Plan, paramcd: str, analysis: Analysis) -> str:
    """What the differences are and which sign favours an arm."""
    design = plan.design
    by_levels = {(arm.massager, arm.heat): arm.label for arm in design.arms}
    scale = "change from baseline" if analysis.baseline == "covariate" else "value"
    note = (
        f"Differences are in LS-mean {scale}: each arm minus"
        f" {_lower(design.arm_label(design.control))}; a main effect is the mean of the two"
        " arms with the factor minus the mean of the two without it; the interaction is"
        f" ({by_levels[True, True]} - {by_levels[False, True]}) -"
        f" ({by_levels[True, False]} - {by_levels[False, False]})."
    )
    better = {outcome.code: outcome.better for outcome in plan.outcomes or ()}.get(paramcd)
    if better in ("lower", "higher"):
        sign = "negative" if better == "lower" else "positive"
        note += (
            f" {better.capitalize()} values are better: a {sign} difference favours the"
            " first-named arm or the factor."
        )
    return note


def _multiplicity_notes(results: pd.DataFrame, plan: Plan) -> list[str]:
    """The adjustment and its family; the visits where it covers fewer members."""
    adjusted = results[results["adjustment"] != "none"]
    if adjusted.empty:
        return ["P values are not adjusted for multiplicity."]
    family = plan.multiplicity.family
    name = adjusted["adjustment"].iloc[0]
    method = MULTIPLICITY_NAMES.get(name, (name,))
    labels = "; ".join(plan.design.contrast_label(name) for name in family)
    notes = [
        f"Adjusted P values: {method[0]} within each visit over the {len(family)} comparisons"
        f" of the family ({labels}); the other comparisons are not adjusted."
    ]
    for visit in dict.fromkeys(results["visit"]):
        members = results[(results["visit"] == visit) & results["contrast"].isin(family)]
        estimable = int(members["estimate"].notna().sum())
        if 1 < estimable < len(members):
            notes.append(
                f"{visit}: adjusted over the {estimable} estimable comparisons of the family."
            )
        elif estimable == 1 < len(members):
            notes.append(f"{visit}: one comparison of the family estimable, not adjusted.")
    return notes


def _estimability_notes(results: pd.DataFrame, design: Design) -> list[str]:
    """Why rows are not estimable: an arm without data at a visit, else aliasing."""
    notes = []
    for visit in dict.fromkeys(results["visit"]):
        at_visit = results[results["visit"] == visit]
        missing = at_visit[at_visit["estimate"].isna()]
        if missing.empty:
            continue
        empty = missing.loc[(missing["kind"] == "lsmean") & (missing["n"] == 0), "arm"]
        empty_labels = [design.arm_label(arm) for arm in empty]
        if empty_labels:
            notes.append(
                f"{visit}: no participant of {_and(empty_labels)} has a value; the rows"
                " that involve it are not estimable."
            )
        else:
            rows = [
                design.arm_label(row.arm)
                if row.kind == "lsmean"
                else design.contrast_label(row.contrast)
                for row in missing.itertuples()
            ]
            notes.append(f"{visit}: {_and(rows)} not estimable (aliased in the model).")
    return notes


def table_notes(stem: str, plan: Plan) -> list[str]:
    """The footnotes of the publication tables other than the outcome tables (by their
    registry stem, :mod:`rlstrial.registry`); ``plan`` needs its ``design``,
    ``population`` and ``multiplicity`` sections.

    Examples
    --------
    >>> from rlstrial.config import load_config
    >>> from rlstrial.plan import build_plan
    >>> plan = build_plan(load_config("config/config.yaml"))
    >>> print(table_notes("participant_flow", plan)[0])
    Analysed: participants of the intention-to-treat population (ITTFL) with an analysable
    value at the visit.
    >>> print(table_notes("comparisons", plan)[1])
    Multiplicity: Holm within each visit over the comparisons so marked; the others are not
    adjusted.
    """
    design = plan.design
    multiplicity = plan.multiplicity
    method = MULTIPLICITY_NAMES.get(multiplicity.method, (multiplicity.method,) * 2)[1]
    control = _lower(design.arm_label(design.control))
    notes = {
        "participant_flow": [
            f"Analysed: participants of the {population_label(plan.population)} with an"
            " analysable value at the visit.",
            "Reasons for discontinuation are grouped in categories, as in the CONSORT diagram.",
        ],
        "recruitment": [
            "Dates are year-month-day. Follow-up: days from randomization to the end of"
            " study; IQR, interquartile range."
        ],
        "baseline": [
            "Mean (SD) or n (%) of all randomized participants, by the arm they were"
            " randomized to; no P values (CONSORT). SD, standard deviation."
        ],
        "comparisons": [
            "Weights on the LS-means of the arms at a visit; a comparison is the weighted sum.",
            f"Multiplicity: {method} within each visit over the comparisons so marked; the"
            " others are not adjusted."
            if multiplicity.method != "none" and multiplicity.family
            else "Multiplicity: no adjustment.",
        ],
        "harms": [
            "n (%) of participants with at least one event; N: the safety population"
            f" (SAFFL): participants allocated to {control} and those who used their"
            " allocated device at least once."
        ],
        "adherence": [
            "Mean (SD) or n (%) of randomized participants, from the device-use diaries;"
            " SD, standard deviation."
        ],
    }
    return notes.get(stem, [])


# --- writing every format ---------------------------------------------------------------

#: The DOCX tables' font, sizes (points) and the width (columns) from which a table's
#: page is landscape.
DOCX_FONT = "Times New Roman"
DOCX_SIZE, DOCX_TITLE_SIZE, DOCX_NOTE_SIZE = 9, 10, 8
LANDSCAPE_COLUMNS = 7

_NUMBER = re.compile(r"^[-+<>(]?\s*\.?\d")


def _text_columns(table: pd.DataFrame) -> list[bool]:
    """Which columns hold text (aligned left) rather than numbers (centred): a column
    is text when a cell is neither a number-like string nor a blank, "-" or
    "not estimable".

    Examples
    --------
    >>> _text_columns(pd.DataFrame({"a": ["Week 1"], "n": ["3"], "p": ["<0.001"],
    ...     "d": [NOT_ESTIMABLE], "e": ["1a"], "f": ["-"]}))
    [True, False, False, False, False, False]
    """
    blank = {"", "-", NOT_ESTIMABLE}
    return [
        any(value not in blank and not _NUMBER.match(value) for value in table[name].astype(str))
        for name in table.columns
    ]


def _display(table: pd.DataFrame, group: str | None) -> pd.DataFrame:
    """The table as the display formats print it: all text; the ``group`` column's value
    printed on the first row of each run of equal values only.

    Examples
    --------
    >>> _display(pd.DataFrame({"v": ["W1", "W1", "W2"], "n": [1, 2, 3]}), "v")["v"].tolist()
    ['W1', '', 'W2']
    """
    display = table.astype(str)
    if group is not None:
        repeated = display[group].eq(display[group].shift()).to_numpy()
        display.loc[repeated, group] = ""
    return display


def _indent(value: str) -> tuple[int, str]:
    """A cell's indent level (two leading spaces a level) and its text.

    Examples
    --------
    >>> _indent("  Lost to follow-up"), _indent("Randomized")
    ((1, 'Lost to follow-up'), (0, 'Randomized'))
    """
    text = value.lstrip(" ")
    return (len(value) - len(text)) // 2, text


def write_table_formats(
    table: pd.DataFrame,
    stem: str | Path,
    title: str,
    notes: Sequence[str] = (),
    *,
    group: str | None = None,
) -> list[Path]:
    """Write ``table`` as CSV (the data), Markdown, HTML, DOCX and LaTeX.

    The CSV is the data table alone (the title and the footnotes are not in it); the
    other formats print the title above the table and each of ``notes`` below it.
    ``group`` names a column (an outcome table's visit) whose repeated values the
    display formats print once, on the first row of each run. A label indented by two
    leading spaces a level (a reason under "Discontinued") is indented in every
    display format.

    - DOCX: a three-line table (a rule above and below the table and one under the
      header; no vertical lines) in Times New Roman 9 pt, the header repeated on each
      page, the title above in 10 pt bold, the notes below in 8 pt; the page is
      landscape when the table has more than 7 columns. The file is byte-identical
      between runs (fixed dates, :func:`_fix_zip_timestamps`).
    - LaTeX: a booktabs ``tabular`` (the title as a comment before it) to ``\\input``
      inside the manuscript's own ``table`` environment; with notes, the tabular and
      its notes (``tablenotes``) are in a ``threeparttable``. Cell text is escaped.
    - HTML: the title (h3), the table and a ``div`` of notes: a fragment (the report
      embeds it).

    Returns
    -------
    list of Path
        The CSV, Markdown, HTML, DOCX and LaTeX files, in that order.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> table = pd.DataFrame({"Visit": ["Week 1", "Week 1"], "Arm": ["A", "B"],
    ...     "n": ["3", "4"]})
    >>> paths = write_table_formats(table, folder / "t", "Title", ["A note."], group="Visit")
    >>> print(paths[0].read_text())
    Visit,Arm,n
    Week 1,A,3
    Week 1,B,4
    <BLANKLINE>
    >>> print(paths[1].read_text())
    **Title**
    <BLANKLINE>
    | Visit   | Arm   |   n |
    |:--------|:------|----:|
    | Week 1  | A     |   3 |
    |         | B     |   4 |
    <BLANKLINE>
    A note.
    <BLANKLINE>
    """
    stem = Path(stem)
    paths = [stem.with_suffix(s) for s in (".csv", ".md", ".html", ".docx", ".tex")]
    write_table(table, paths[0])
    display = _display(table, group)
    paths[1].write_text(_markdown(display, title, notes), encoding="utf-8")
    paths[2].write_text(_html(display, title, notes), encoding="utf-8")
    _write_docx(display, paths[3], title, notes, group)
    paths[4].write_text(_latex(display, title, notes), encoding="utf-8")
    return paths


def _markdown(display: pd.DataFrame, title: str, notes: Sequence[str]) -> str:
    """A pipe table under the bold title; the notes as paragraphs below it."""

    def cell(value: str) -> str:
        level, text = _indent(value)
        return "&nbsp;" * (2 * level) + text

    text = f"**{title}**\n\n" + display.map(cell).to_markdown(index=False) + "\n"
    return text + "".join(f"\n{note}\n" for note in notes)


def _html(display: pd.DataFrame, title: str, notes: Sequence[str]) -> str:
    """An HTML fragment: the title, the table (text columns left, numbers centred,
    indented labels padded) and the notes (small print)."""
    from html import escape

    text_columns = _text_columns(display)

    def cell(tag: str, value: str, left: bool) -> str:
        level, text = _indent(value)
        style = ([] if left else ["text-align: center"]) + (
            [f"padding-left: {level}em"] if level else []
        )
        attribute = f' style="{"; ".join(style)}"' if style else ""
        return f"<{tag}{attribute}>{escape(text)}</{tag}>"

    def row(tag: str, values) -> str:
        cells = "".join(
            cell(tag, str(v), left) for v, left in zip(values, text_columns, strict=True)
        )
        return f"    <tr>{cells}</tr>"

    lines = [
        f"<h3>{escape(title)}</h3>",
        '<table class="rlstrial-table">',
        "  <thead>",
        row("th", display.columns),
        "  </thead>",
        "  <tbody>",
        *(row("td", record) for record in display.itertuples(index=False)),
        "  </tbody>",
        "</table>",
    ]
    if notes:
        lines += [
            '<div class="rlstrial-table-notes">',
            *(f"<p><small>{escape(note)}</small></p>" for note in notes),
            "</div>",
        ]
    return "\n".join(lines) + "\n"


def _latex(display: pd.DataFrame, title: str, notes: Sequence[str]) -> str:
    """The title as a comment, the booktabs tabular and, with notes, both in a
    ``threeparttable`` with the notes in its ``tablenotes``."""

    def cell(value: str) -> str:
        level, text = _indent(value)
        return "\u00a0" * (2 * level) + text

    tabular = _latex_tabular(display.map(cell)).replace("\u00a0", "~")
    if not notes:
        return f"% {title}\n{tabular}"
    items = "".join(f"\\item {_latex_escape(note)}\n" for note in notes)
    return (
        f"% {title}\n% needs \\usepackage{{booktabs,threeparttable}}\n"
        f"\\begin{{threeparttable}}\n{tabular}"
        f"\\begin{{tablenotes}}[flushleft]\n\\footnotesize\n{items}\\end{{tablenotes}}\n"
        "\\end{threeparttable}\n"
    )


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def _latex_escape(text: str) -> str:
    """Text with LaTeX's special characters escaped.

    Examples
    --------
    >>> print(_latex_escape("P <0.001; 95% CI; n_1 & {x}"))
    P \\textless{}0.001; 95\\% CI; n\\_1 \\& \\{x\\}
    """
    return "".join(_LATEX_SPECIAL.get(character, character) for character in text)


def _latex_tabular(table: pd.DataFrame) -> str:
    """A booktabs tabular of ``table`` with LaTeX special characters escaped; columns
    holding text longer than 40 characters are 4 cm paragraphs.

    Examples
    --------
    >>> print(_latex_tabular(pd.DataFrame({"p": ["<0.001"], "n (%)": ["3 (50%)"]})))
    \\begin{tabular}{ll}
    \\toprule
    p & n (\\%) \\\\
    \\midrule
    \\textless{}0.001 & 3 (50\\%) \\\\
    \\bottomrule
    \\end{tabular}
    <BLANKLINE>
    """
    styler = table.astype(str).style.hide(axis="index")
    styler = styler.format(escape="latex").format_index(escape="latex", axis=1)
    # Columns of long text (a checklist's requirement, note) wrap in a 4 cm paragraph.
    widths = [max([len(str(name)), *table[name].astype(str).str.len()]) for name in table]
    columns = "".join("p{4cm}" if width > 40 else "l" for width in widths)
    text = styler.to_latex(hrules=True, column_format=columns)
    # The tabular markup has no angle brackets; in cells they need text commands.
    return text.replace("<", r"\textless{}").replace(">", r"\textgreater{}")


def _write_docx(
    display: pd.DataFrame, path: Path, title: str, notes: Sequence[str], group: str | None
) -> None:
    """The DOCX version (see :func:`write_table_formats`)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    document = Document()
    fixed = pd.Timestamp("2000-01-01").to_pydatetime()
    properties = document.core_properties
    properties.created = properties.modified = fixed
    properties.author = properties.last_modified_by = "rlstrial"
    properties.title = title
    _docx_style(document)
    section = document.sections[0]
    if len(display.columns) > LANDSCAPE_COLUMNS:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.5))
    heading = document.add_paragraph()
    heading.paragraph_format.keep_with_next = True
    heading.paragraph_format.space_after = Pt(6)
    run = heading.add_run(title)
    run.bold = True
    run.font.size = Pt(DOCX_TITLE_SIZE)
    width = section.page_width - section.left_margin - section.right_margin
    _docx_table(document, display, width, group)
    for k, note in enumerate(notes):
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.space_before = Pt(4 if k == 0 else 0)
        paragraph.add_run(note).font.size = Pt(DOCX_NOTE_SIZE)
    document.save(path)
    _fix_zip_timestamps(path)


def _docx_style(document) -> None:
    """The Normal style: the journal font (every script), single-spaced, no spacing."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    style = document.styles["Normal"]
    style.font.name = DOCX_FONT
    style.font.size = Pt(DOCX_SIZE)
    fonts = style.element.rPr.rFonts
    for script in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(script), DOCX_FONT)
    paragraph = style.paragraph_format
    paragraph.space_before = paragraph.space_after = Pt(0)
    paragraph.line_spacing = 1.0


def _docx_table(document, display: pd.DataFrame, width: int, group: str | None) -> None:
    """The three-line table: rules above and below the table and under the header,
    no other borders; text columns left, numbers centred; widths by content; a little
    space above each group (a run of the ``group`` column) but the first."""
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Emu, Pt

    text_columns = _text_columns(display)
    widths = _column_widths(display, width)
    grid = document.add_table(rows=len(display) + 1, cols=len(display.columns))
    grid.autofit = False
    _rules(grid._tbl.tblPr, "w:tblBorders", top=8, left=0, bottom=8, right=0, insideH=0, insideV=0)
    header = grid.rows[0]._tr.get_or_add_trPr()
    repeat = _element("w:tblHeader", val="true")
    header.append(repeat)
    starts = display[group].ne("").to_numpy() if group else np.zeros(len(display), bool)
    records = [list(display.columns), *display.itertuples(index=False)]
    for r, (row, values) in enumerate(zip(grid.rows, records, strict=True)):
        for cell, value, left, size in zip(row.cells, values, text_columns, widths, strict=True):
            cell.width = Emu(size)
            level, text = _indent(str(value))
            paragraph = cell.paragraphs[0]
            paragraph.add_run(text)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.CENTER
            if level:
                paragraph.paragraph_format.left_indent = Pt(9 * level)
            if r == 0:
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
                _rules(cell._tc.get_or_add_tcPr(), "w:tcBorders", bottom=4)
            elif r > 1 and starts[r - 1]:
                paragraph.paragraph_format.space_before = Pt(4)  # space between groups
    for column, size in zip(grid.columns, widths, strict=True):
        column.width = Emu(size)


def _column_widths(display: pd.DataFrame, width: int) -> list[int]:
    """Column widths (EMU) of the DOCX table: each column as wide as its longest cell
    (at most 40 characters) or half its header, whichever is wider; when these exceed
    ``width``, each column keeps room for its longest word and the rest of ``width`` is
    shared in proportion to what each column would want beyond that. A character is
    taken as half an em of the table's font, and each cell has its margins.

    Examples
    --------
    >>> table = pd.DataFrame({"Characteristic": ["Age, years"], "n": ["3"]})
    >>> [round(w / 360000, 2) for w in _column_widths(table, 16 * 360000)]  # cm
    [2.6, 0.54]
    >>> table = pd.DataFrame({"Requirement": ["word " * 20], "Item": ["1a"]})
    >>> [round(w / 360000, 2) for w in _column_widths(table, 4 * 360000)]
    [2.98, 1.02]
    """
    character, margins = DOCX_SIZE * 12700 // 2, 2 * 68580  # EMU: half an em; 0.19 cm a side
    needed, wanted = [], []
    for name in display.columns:
        cells = display[name].astype(str).tolist()
        words = [len(word) for text in [str(name), *cells] for word in text.split()] or [1]
        longest = max([len(cell) for cell in cells] or [1])
        needed.append(max(words) * character + margins)
        wanted.append(max(min(longest, 40), max(words), -(-len(str(name)) // 2)) * character)
    wanted = [max(w + margins, n) for w, n in zip(wanted, needed, strict=True)]
    if sum(wanted) <= width:
        return wanted
    if sum(needed) >= width:
        return [n * width // sum(needed) for n in needed]
    spare, extra = width - sum(needed), [w - n for w, n in zip(wanted, needed, strict=True)]
    return [n + e * spare // sum(extra) for n, e in zip(needed, extra, strict=True)]


def _element(tag: str, **attributes: str):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = OxmlElement(tag)
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), value)
    return element


def _rules(properties, tag: str, **sizes: int) -> None:
    """Borders (``w:tblBorders`` of a table, ``w:tcBorders`` of a cell) in schema
    order: a single black rule of ``size`` eighths of a point, or none (0)."""
    borders = _element(tag)
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        if side in sizes:
            size = sizes[side]
            rule = {"val": "single", "sz": str(size), "space": "0", "color": "000000"}
            borders.append(_element(f"w:{side}", **(rule if size else {"val": "nil"})))
    later = ("w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign")
    later += ("w:hideMark", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption")
    properties.insert_element_before(borders, *later)


def _fix_zip_timestamps(path: Path) -> None:
    """Rewrite a zip file (DOCX) with fixed entry timestamps, so reruns are identical."""
    import zipfile

    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)
