"""The CONSORT flow diagram: its counts, from the row ledger and the datasets, and the
drawing."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import FancyBboxPatch

from rlstrial.figures.style import DOUBLE_COLUMN, themed
from rlstrial.plan import Design


def consort_counts(
    ledger: pd.DataFrame,
    adsl: pd.DataFrame,
    analysed: pd.DataFrame,
    arms: list[str],
    reasons: dict[str, dict[str, str]] | None = None,
) -> pd.DataFrame:
    """Counts for the CONSORT flow diagram, from the row ledger and analysis datasets.

    ``reasons`` codes the free-text reasons before they are published: ``screening``
    maps each reason a screened person was not randomized to a category, and
    ``discontinuation`` each DCSREAS; a text not listed counts as "Other", so that no
    verbatim text (often a category of one) reaches a table or figure. Without
    ``reasons`` the texts are shown as they are.

    Returns
    -------
    DataFrame
        box, arm (empty for the enrolment boxes), n, detail (reasons, one per line).

    Examples
    --------
    >>> ledger = pd.DataFrame({"file": "screening.csv", "dataset": ["adsl", "excluded",
    ...     "excluded"], "reason": ["", "screened, not randomized: moved to Ohio",
    ...     "screened, not randomized: age outside 18-75"]})
    >>> adsl = pd.DataFrame({"TRT01P": ["a"], "EOSSTT": "COMPLETED", "DCSREAS": None,
    ...     "SAFFL": "Y"})
    >>> coding = {"screening": {"age outside 18-75": "Not meeting inclusion criteria"}}
    >>> counts = consort_counts(ledger, adsl, adsl.iloc[:0], ["a"], coding)
    >>> print(counts.loc[counts["box"] == "excluded", "detail"].item())
    Not meeting inclusion criteria: 1
    Other: 1
    """
    reasons = reasons or {}
    screening = ledger[ledger["file"] == "screening.csv"]
    excluded = screening[screening["dataset"] == "excluded"]
    reasons_excluded = _coded(
        excluded["reason"].str.replace("screened, not randomized: ", "", regex=False),
        reasons.get("screening"),
    )
    rows = [
        {"box": "assessed", "arm": "", "n": len(screening), "detail": ""},
        {
            "box": "excluded",
            "arm": "",
            "n": len(excluded),
            "detail": "\n".join(f"{reason}: {n}" for reason, n in reasons_excluded.items()),
        },
        {"box": "randomized", "arm": "", "n": len(adsl), "detail": ""},
    ]
    for arm in arms:
        members = adsl[adsl["TRT01P"] == arm]
        stopped = _coded(
            members.loc[members["EOSSTT"] != "COMPLETED", "DCSREAS"],
            reasons.get("discontinuation"),
        )
        rows += [
            {
                "box": "allocated",
                "arm": arm,
                "n": len(members),
                "detail": f"received allocated intervention: {int(members['SAFFL'].eq('Y').sum())}",
            },
            {
                "box": "discontinued",
                "arm": arm,
                "n": int(stopped.sum()),
                "detail": "\n".join(f"{reason}: {n}" for reason, n in stopped.items()),
            },
            {
                "box": "analysed",
                "arm": arm,
                "n": int((analysed["TRT01P"] == arm).sum()),
                "detail": "with the primary outcome at the primary visit",
            },
        ]
    return pd.DataFrame(rows)


def _coded(texts: pd.Series, mapping: dict[str, str] | None) -> pd.Series:
    """Counts of the texts' categories ("Other" for a text not mapped), sorted, with
    "Other" last; the texts themselves without a mapping."""
    if mapping is not None:
        texts = texts.map(lambda text: mapping.get(text, "Other"))
    counts = texts.value_counts()
    order = sorted(set(counts.index) - {"Other"}) + (["Other"] if "Other" in counts else [])
    return counts.loc[order]


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.fill(line, width) for line in text.split("\n") if line)


def _box(axes, x, y, width, height, text, fontsize=6.5):
    axes.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="square,pad=0",
            linewidth=0.6,
            edgecolor="black",
            facecolor="white",
        )
    )
    axes.text(x, y, text, ha="center", va="center", fontsize=fontsize, wrap=True)


def draw_consort(counts: pd.DataFrame, design: Design, style: dict | None = None) -> plt.Figure:
    """The CONSORT flow diagram for any number of arms (zero counts included), with
    exclusion and discontinuation reasons beside or inside the boxes; arms by their
    labels."""
    arms = design.arm_codes
    with themed(style):
        figure, axes = plt.subplots(figsize=(DOUBLE_COLUMN, DOUBLE_COLUMN * 0.8))
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1)
        axes.axis("off")
        top = counts[counts["arm"] == ""].set_index("box")
        _box(
            axes,
            0.35,
            0.93,
            0.3,
            0.06,
            f"Assessed for eligibility (n = {top.loc['assessed', 'n']})",
        )
        excluded = top.loc["excluded"]
        _box(
            axes,
            0.77,
            0.855,
            0.42,
            0.15,
            f"Excluded (n = {excluded['n']})\n{excluded['detail']}",
            5.5,
        )
        _box(axes, 0.35, 0.75, 0.3, 0.06, f"Randomized (n = {top.loc['randomized', 'n']})")
        axes.annotate(
            "", xy=(0.35, 0.78), xytext=(0.35, 0.9), arrowprops={"arrowstyle": "->", "lw": 0.6}
        )
        axes.annotate(
            "", xy=(0.56, 0.84), xytext=(0.35, 0.84), arrowprops={"arrowstyle": "->", "lw": 0.6}
        )
        width = 0.9 / len(arms)
        for k, arm in enumerate(arms):
            x = 0.05 + width * (k + 0.5)
            rows = counts[counts["arm"] == arm].set_index("box")
            axes.annotate(
                "", xy=(x, 0.64), xytext=(0.35, 0.72), arrowprops={"arrowstyle": "->", "lw": 0.6}
            )
            for y, box, label in (
                (0.58, "allocated", "Allocated to"),
                (0.36, "discontinued", "Discontinued"),
                (0.12, "analysed", "Analysed"),
            ):
                row = rows.loc[box]
                head = f"{label} {design.arm_label(arm)}" if box == "allocated" else label
                text = _wrap(f"{head} (n = {row['n']})\n{row['detail']}", 30)
                _box(axes, x, y, width * 0.96, 0.19, text, 5.0)
            for y0, y1 in ((0.5, 0.44), (0.28, 0.2)):
                axes.annotate(
                    "", xy=(x, y1), xytext=(x, y0), arrowprops={"arrowstyle": "->", "lw": 0.6}
                )
    return figure
