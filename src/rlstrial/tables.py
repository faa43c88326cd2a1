"""Publication tables, built from the analysis datasets and result tables.

Each ``table_*`` function returns a DataFrame of display strings (the CSV is the
source of truth); :func:`write_table_formats` writes it as CSV, Markdown, HTML, DOCX
and LaTeX.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from rlstrial.io import write_table
from rlstrial.plan import Design, Multiplicity, ci_label, inference_label


def _mean_sd(values: pd.Series) -> str:
    values = values.dropna()
    return f"{values.mean():.1f} ({values.std():.1f})" if len(values) > 1 else "-"


def _n_percent(count: int, total: int) -> str:
    return f"{count} ({100 * count / total:.0f}%)" if total else "0"


def table_baseline(
    adsl: pd.DataFrame,
    arms: list[str],
    labels: dict[str, str],
    adqs: pd.DataFrame | None = None,
    outcomes: Sequence[str] = (),
) -> pd.DataFrame:
    """Baseline characteristics by arm and overall (no p-values, as CONSORT asks).

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
                    characteristic   A (n = 2)  B (n = 1) Total (n = 3)
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
    table = pd.DataFrame({"characteristic": [label for label, _ in rows]})
    for name, group in columns.items():
        table[name] = [function(group) for _, function in rows]
    return table


def table_comparisons(design: Design, multiplicity: Multiplicity) -> pd.DataFrame:
    """The comparisons of the factorial plan: the groups that form each one, its
    weights on the arm means, and its multiplicity family.

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
    >>> rows = table.set_index("comparison")
    >>> rows.loc["heat vs control", ["groups compared", "M+H", "multiplicity"]].tolist()
    ['H - None', '0', 'holm']
    >>> rows.loc["massager main effect", ["groups compared", "M+H", "None"]].tolist()
    ['mean(M, M+H) - mean(None, H)', '+1/2', '-1/2']
    >>> rows.loc["massager x heat interaction", ["groups compared", "M"]].tolist()
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
    rows = []
    for contrast in design.contrasts:
        rows.append(
            {
                "comparison": contrast.name,
                "groups compared": text(contrast),
                **{
                    label[code]: fraction[weight]
                    for code, weight in zip(design.arm_codes, contrast.weights, strict=True)
                },
                "multiplicity": (
                    multiplicity.method if contrast.name in multiplicity.family else "none"
                ),
            }
        )
    return pd.DataFrame(rows)


def table_recruitment(adsl: pd.DataFrame, arms: list[str], labels: dict) -> pd.DataFrame:
    """Dates of recruitment and follow-up by arm and overall: first and last
    randomisation, last end-of-study date, and follow-up in days (median (IQR)).

    Examples
    --------
    >>> adsl = pd.DataFrame({"TRT01P": ["a", "a", "b"],
    ...     "RANDDT": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-02-01"]),
    ...     "EOSDT": pd.to_datetime(["2024-01-29", "2024-03-20", "2024-02-29"])})
    >>> table = table_recruitment(adsl, ["a", "b"], {"a": "A", "b": "B"})
    >>> table["measure"].tolist()[1:]
    ['First randomisation', 'Last randomisation', 'Last end of study', \
'Follow-up, days, median (IQR)']
    >>> table["A"].tolist()
    ['2', '2024-01-01', '2024-03-01', '2024-03-20', '23.5 (21.2-25.8)']
    >>> table["Total"].tolist()
    ['3', '2024-01-01', '2024-03-01', '2024-03-20', '28.0 (23.5-28.0)']
    """
    measures = [
        "Randomised",
        "First randomisation",
        "Last randomisation",
        "Last end of study",
        "Follow-up, days, median (IQR)",
    ]
    table = {"measure": measures}
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


NOT_ESTIMABLE = "not estimable"


def _estimate_ci(row) -> str:
    if pd.isna(row.estimate):
        return NOT_ESTIMABLE
    return f"{row.estimate:.2f} ({row.ci_lower:.2f}, {row.ci_upper:.2f})"


def _p(value: float) -> str:
    if pd.isna(value):
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def table_outcome(
    results: pd.DataFrame, adqs: pd.DataFrame, paramcd: str, arms: list[str]
) -> pd.DataFrame:
    """For one outcome: per visit, n and raw mean (SD) per arm, LS-means (SE), each
    arm vs control, the factorial main effects and the interaction, with their CI (at
    the level the results record, ``ci_level``, and the df and standard errors named
    in the column's header) and unadjusted and adjusted p; a row the
    data cannot estimate reads "not estimable" (its reason is in the result table's
    ``note``)."""
    rows = []
    first = results.iloc[0]
    inference = inference_label(first["df_method"], first["vcov"])
    estimate = f"estimate ({ci_label(first['ci_level'])}; {inference})"
    data = adqs[(adqs["PARAMCD"] == paramcd) & (adqs["ANL01FL"] == "Y")]
    for visit in dict.fromkeys(results["visit"]):
        at_visit = data[data["AVISIT"] == visit]
        for arm in arms:
            values = at_visit.loc[at_visit["TRT01P"] == arm, "AVAL"]
            lsmean = results[
                (results["visit"] == visit)
                & (results["kind"] == "lsmean")
                & (results["arm"] == arm)
            ].iloc[0]
            rows.append(
                {
                    "visit": visit,
                    "row": arm,
                    "n": str(len(values)),
                    "raw mean (SD)": _mean_sd(values),
                    estimate: (
                        f"LS-mean {lsmean.estimate:.2f} (SE {lsmean.std_error:.2f})"
                        if pd.notna(lsmean.estimate)
                        else NOT_ESTIMABLE
                    ),
                    "p": "",
                    "p adjusted": "",
                }
            )
        contrasts = results[(results["visit"] == visit) & (results["kind"] == "contrast")]
        for row in contrasts.itertuples():
            rows.append(
                {
                    "visit": visit,
                    "row": row.contrast,
                    "n": str(row.n),
                    "raw mean (SD)": "",
                    estimate: _estimate_ci(row),
                    "p": _p(row.p_value),
                    "p adjusted": f"{_p(row.p_adjusted)} ({row.adjustment})"
                    if row.adjustment != "none"
                    else "",
                }
            )
    return pd.DataFrame(rows)


def write_table_formats(table: pd.DataFrame, stem: str | Path, title: str) -> list[Path]:
    """Write ``table`` as CSV (the source), Markdown, HTML, DOCX and LaTeX.

    The LaTeX file is a booktabs ``tabular`` (preceded by the title as a comment) to
    ``\\input`` inside the manuscript's own ``table`` environment; cell text is escaped.
    """
    from docx import Document

    stem = Path(stem)
    paths = [stem.with_suffix(s) for s in (".csv", ".md", ".html", ".docx", ".tex")]
    write_table(table, paths[0])
    paths[1].write_text(
        f"**{title}**\n\n" + table.to_markdown(index=False) + "\n", encoding="utf-8"
    )
    html = table.to_html(index=False, border=0, classes="rlstrial-table", escape=True)
    paths[2].write_text(f"<h3>{title}</h3>\n{html}\n", encoding="utf-8")
    paths[4].write_text(f"% {title}\n{_latex_tabular(table)}", encoding="utf-8")
    document = Document()
    document.core_properties.created = pd.Timestamp("2000-01-01").to_pydatetime()
    document.core_properties.modified = pd.Timestamp("2000-01-01").to_pydatetime()
    document.core_properties.author = "rlstrial"
    document.add_heading(title, level=2)
    grid = document.add_table(rows=1, cols=len(table.columns))
    for cell, name in zip(grid.rows[0].cells, table.columns, strict=True):
        cell.text = str(name)
    for record in table.itertuples(index=False):
        for cell, value in zip(grid.add_row().cells, record, strict=True):
            cell.text = str(value)
    document.save(paths[3])
    _fix_zip_timestamps(paths[3])
    return paths


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


def table_harms(
    adae: pd.DataFrame, adsl: pd.DataFrame, arms: list[str], labels: dict
) -> pd.DataFrame:
    """Participants with adverse events by arm (safety population), with denominators.

    Rows: any adverse event, serious, device-related, severe, and withdrawal due to an
    adverse event; each n (%) of the arm's safety population.
    """
    safety = adsl[adsl["SAFFL"] == "Y"]
    table = {
        "harm": [
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
        "measure": [
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
) -> pd.DataFrame:
    """Participant flow by arm: screened, excluded, randomized, received the allocated
    intervention, discontinued (with reasons), and analysed for each outcome and visit.

    ``counts`` is :func:`rlstrial.figures.consort_counts`' table.
    """
    top = counts[counts["arm"] == ""].set_index("box")
    columns = [f"{labels[arm]}" for arm in arms]
    rows = [
        {"stage": "Screened", **dict.fromkeys(columns, ""), "Total": str(top.loc["assessed", "n"])},
        {
            "stage": "Not randomized",
            **dict.fromkeys(columns, ""),
            "Total": str(top.loc["excluded", "n"]),
        },
    ]
    per_arm = counts[counts["arm"] != ""].set_index(["box", "arm"])
    for box, label in (("allocated", "Randomized"), ("discontinued", "Discontinued")):
        values = {labels[arm]: int(per_arm.loc[(box, arm), "n"]) for arm in arms}
        rows.append(
            {
                "stage": label,
                **{k: str(v) for k, v in values.items()},
                "Total": str(sum(values.values())),
            }
        )
    received = {
        labels[arm]: int(((adsl["TRT01P"] == arm) & (adsl["SAFFL"] == "Y")).sum()) for arm in arms
    }
    rows.insert(
        3,
        {
            "stage": "Received allocated intervention",
            **{k: str(v) for k, v in received.items()},
            "Total": str(sum(received.values())),
        },
    )
    reasons = adsl.loc[adsl["EOSSTT"] != "COMPLETED", "DCSREAS"].dropna().unique()
    for reason in sorted(reasons):
        values = {
            labels[arm]: int(((adsl["TRT01P"] == arm) & (adsl["DCSREAS"] == reason)).sum())
            for arm in arms
        }
        rows.append(
            {
                "stage": f"  {reason}",
                **{k: str(v) for k, v in values.items()},
                "Total": str(sum(values.values())),
            }
        )
    members = set(adsl.loc[adsl[population] == "Y", "USUBJID"])
    analysed = adqs[
        (adqs["ANL01FL"] == "Y") & (adqs["ABLFL"] != "Y") & adqs["USUBJID"].isin(members)
    ]
    order = {code: k for k, code in enumerate(pd.unique(adqs["PARAMCD"]))}
    analysed = analysed.assign(_order=analysed["PARAMCD"].map(order))
    analysed = analysed.sort_values(["_order", "AVISITN"], kind="stable")
    for (paramcd, visit), group in analysed.groupby(["PARAMCD", "AVISIT"], sort=False):
        values = {labels[arm]: int((group["TRT01P"] == arm).sum()) for arm in arms}
        rows.append(
            {
                "stage": f"Analysed: {paramcd}, {visit}",
                **{k: str(v) for k, v in values.items()},
                "Total": str(sum(values.values())),
            }
        )
    return pd.DataFrame(rows, columns=["stage", *columns, "Total"])
