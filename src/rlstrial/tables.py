"""Publication tables, built from the analysis datasets and result tables.

Each ``table_*`` function returns a DataFrame of display strings (the CSV is the
source of truth); :func:`write_table_formats` writes it as CSV, Markdown, HTML and
DOCX.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rlstrial.pipeline import write_table


def _mean_sd(values: pd.Series) -> str:
    values = values.dropna()
    return f"{values.mean():.1f} ({values.std():.1f})" if len(values) > 1 else "-"


def _n_percent(count: int, total: int) -> str:
    return f"{count} ({100 * count / total:.0f}%)" if total else "0"


def table_baseline(adsl: pd.DataFrame, arms: list[str], labels: dict[str, str]) -> pd.DataFrame:
    """Baseline characteristics by arm and overall (no p-values, as CONSORT asks).

    Examples
    --------
    >>> adsl = pd.DataFrame({"TRT01P": ["a", "a", "b"], "AGE": [50, 60, 70],
    ...     "SEX": ["F", "M", "F"], "RACE": ["White"] * 3, "RLSDUR": [1.0, 3.0, 5.0],
    ...     "RLSMEDFL": ["Y", "N", "Y"]})
    >>> table_baseline(adsl, ["a", "b"], {"a": "A", "b": "B"}).iloc[:3]
              characteristic  A (n = 2)  B (n = 1)  Total (n = 3)
    0  Age, years, mean (SD)  55.0 (7.1)          -    60.0 (10.0)
    1            Female, n (%)    1 (50%)   1 (100%)        2 (67%)
    2      Race: White, n (%)   2 (100%)   1 (100%)       3 (100%)
    """
    groups = [(labels[arm], adsl[adsl["TRT01P"] == arm]) for arm in arms] + [("Total", adsl)]
    columns = {f"{name} (n = {len(group)})": group for name, group in groups}
    rows = [("Age, years, mean (SD)", lambda g: _mean_sd(g["AGE"]))]
    rows.append(("Female, n (%)", lambda g: _n_percent(int((g["SEX"] == "F").sum()), len(g))))
    for race in sorted(adsl["RACE"].dropna().unique()):
        rows.append(
            (
                f"Race: {race}, n (%)",
                lambda g, r=race: _n_percent(int((g["RACE"] == r).sum()), len(g)),
            )
        )
    rows.append(("Years with RLS, mean (SD)", lambda g: _mean_sd(g["RLSDUR"])))
    rows.append(
        (
            "On RLS medication, n (%)",
            lambda g: _n_percent(int((g["RLSMEDFL"] == "Y").sum()), len(g)),
        )
    )
    table = pd.DataFrame({"characteristic": [label for label, _ in rows]})
    for name, group in columns.items():
        table[name] = [function(group) for _, function in rows]
    return table


def _estimate_ci(row) -> str:
    return f"{row.estimate:.2f} ({row.ci_lower:.2f}, {row.ci_upper:.2f})"


def _p(value: float) -> str:
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def table_outcome(
    results: pd.DataFrame, adqs: pd.DataFrame, paramcd: str, arms: list[str]
) -> pd.DataFrame:
    """For one outcome: per visit, n and raw mean (SD) per arm, LS-means (SE), each
    arm vs control, the factorial main effects and the interaction, with 95% CI and
    unadjusted and adjusted p."""
    rows = []
    data = adqs[(adqs["PARAMCD"] == paramcd) & (adqs["ANL01FL"] == "Y")]
    for visit in dict.fromkeys(results["visit"]):
        at_visit = data[data["AVISIT"] == visit]
        for arm in arms:
            values = at_visit.loc[at_visit["TRT01P"] == arm, "AVAL"]
            lsmean = results[
                (results["visit"] == visit) & (results["contrast"] == f"LS-mean {arm}")
            ].iloc[0]
            rows.append(
                {
                    "visit": visit,
                    "row": arm,
                    "n": str(len(values)),
                    "raw mean (SD)": _mean_sd(values),
                    "estimate (95% CI)": (
                        f"LS-mean {lsmean.estimate:.2f} (SE {lsmean.std_error:.2f})"
                    ),
                    "p": "",
                    "p adjusted": "",
                }
            )
        contrasts = results[
            (results["visit"] == visit) & ~results["contrast"].str.startswith("LS-mean")
        ]
        for row in contrasts.itertuples():
            rows.append(
                {
                    "visit": visit,
                    "row": row.contrast,
                    "n": str(row.n),
                    "raw mean (SD)": "",
                    "estimate (95% CI)": _estimate_ci(row),
                    "p": _p(row.p_value),
                    "p adjusted": f"{_p(row.p_adjusted)} ({row.adjustment})"
                    if row.adjustment != "none"
                    else "",
                }
            )
    return pd.DataFrame(rows)


def write_table_formats(table: pd.DataFrame, stem: str | Path, title: str) -> list[Path]:
    """Write ``table`` as CSV (the source), Markdown, HTML and DOCX."""
    from docx import Document

    stem = Path(stem)
    paths = [stem.with_suffix(s) for s in (".csv", ".md", ".html", ".docx")]
    write_table(table, paths[0])
    paths[1].write_text(
        f"**{title}**\n\n" + table.to_markdown(index=False) + "\n", encoding="utf-8"
    )
    html = table.to_html(index=False, border=0, classes="rlstrial-table", escape=True)
    paths[2].write_text(f"<h3>{title}</h3>\n{html}\n", encoding="utf-8")
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
