"""Publication figures, drawn from the tables the workflow wrote (never refitting).

One style (:data:`STYLE`, :func:`save_figure`): journal column widths, the Okabe-Ito
colour-blind-safe palette, embedded fonts, and deterministic files (vector PDF and SVG
plus a 300-dpi PNG, with fixed metadata, so that the same tables give byte-identical
figures).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

from rlstrial.plan import ci_label  # noqa: E402

MM = 1 / 25.4
SINGLE_COLUMN = 85 * MM  # inches
DOUBLE_COLUMN = 174 * MM
OKABE_ITO = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"]
ARM_COLOURS = {
    "control": "#000000",
    "massager": "#E69F00",
    "heat": "#0072B2",
    "combined": "#009E73",
}

STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=OKABE_ITO),
    "pdf.fonttype": 42,  # TrueType, embedded
    "ps.fonttype": 42,
    "svg.fonttype": "path",
    "svg.hashsalt": "rlstrial",
    "savefig.dpi": 300,
    "figure.dpi": 100,
}
FIXED_METADATA = {
    "pdf": {"Creator": "rlstrial", "Producer": "rlstrial", "CreationDate": None, "ModDate": None},
    "svg": {"Creator": "rlstrial", "Date": None},
    "png": {"Software": "rlstrial"},
}


def save_figure(figure: plt.Figure, stem: str | Path, dpi: int = 300) -> list[Path]:
    """Write ``stem``.pdf, .svg and .png (``dpi``) with fixed metadata; close the figure."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    with plt.rc_context({**STYLE, "savefig.dpi": dpi}):  # embedding and SVG ids: at saving
        for kind in ("pdf", "svg", "png"):
            path = stem.with_suffix(f".{kind}")
            figure.savefig(path, metadata=FIXED_METADATA[kind])
            paths.append(path)
    plt.close(figure)
    return paths


def _arm_colour(arm: str, index: int) -> str:
    return ARM_COLOURS.get(arm, OKABE_ITO[index % len(OKABE_ITO)])


def plot_trajectories(results: pd.DataFrame, arms: list[str], title: str) -> plt.Figure:
    """LS-mean (with its CI) of each arm over the post-baseline visits, from a result table.

    Examples
    --------
    >>> table = pd.DataFrame({"visit": ["Week 1", "Week 1", "Week 2", "Week 2"],
    ...     "kind": "lsmean", "arm": ["control", "massager"] * 2, "ci_level": 0.95,
    ...     "estimate": [-1.0, -2.0, -1.5, -4.0], "ci_lower": [-2.0, -3.0, -2.5, -5.0],
    ...     "ci_upper": [0.0, -1.0, -0.5, -3.0]})
    >>> figure = plot_trajectories(table, ["control", "massager"], "IRLS")
    >>> [bars.get_label() for bars in figure.axes[0].containers]
    ['control', 'massager']
    """
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(
            figsize=(SINGLE_COLUMN, SINGLE_COLUMN * 0.75), layout="constrained"
        )
        visits = list(dict.fromkeys(results["visit"]))
        x = np.arange(len(visits))
        offsets = np.linspace(-0.12, 0.12, len(arms))
        for k, arm in enumerate(arms):
            lsmeans = results[(results["kind"] == "lsmean") & (results["arm"] == arm)]
            rows = lsmeans.set_index("visit").loc[visits]
            colour = _arm_colour(arm, k)
            axes.errorbar(
                x + offsets[k],
                rows["estimate"],
                yerr=[rows["estimate"] - rows["ci_lower"], rows["ci_upper"] - rows["estimate"]],
                color=colour,
                marker="o",
                markersize=3,
                capsize=2,
                linewidth=1,
                label=arm,
            )
        axes.axhline(0, color="#999999", linewidth=0.5)
        axes.set_xticks(x, visits)
        axes.set_ylabel(f"LS-mean change from baseline ({ci_label(results['ci_level'].iloc[0])})")
        axes.set_title(title)
        axes.legend(frameon=False)
    return figure


def plot_forest(contrasts: pd.DataFrame, title: str) -> plt.Figure:
    """Forest plot: one row per outcome x contrast (estimate and CI)."""
    with plt.rc_context(STYLE):
        n = len(contrasts)
        figure, axes = plt.subplots(
            figsize=(DOUBLE_COLUMN, max(2.0, 0.16 * n + 0.8)), layout="constrained"
        )
        y = np.arange(n)[::-1]
        axes.errorbar(
            contrasts["estimate"],
            y,
            xerr=[
                contrasts["estimate"] - contrasts["ci_lower"],
                contrasts["ci_upper"] - contrasts["estimate"],
            ],
            fmt="o",
            color="#0072B2",
            markersize=3,
            capsize=2,
            linewidth=1,
        )
        axes.axvline(0, color="#999999", linewidth=0.5)
        axes.set_yticks(
            y,
            [f"{o}: {c}" for o, c in zip(contrasts["outcome"], contrasts["contrast"], strict=True)],
        )
        level = ci_label(contrasts["ci_level"].iloc[0])
        axes.set_xlabel(f"Difference ({level}); negative = less severe for IRLS and MOS problems")
        axes.set_title(title)
    return figure


def plot_interaction(results: pd.DataFrame, arms: list, visit: str, title: str) -> plt.Figure:
    """The 2x2 interaction plot at one visit: LS-means by massager (x) and heat (lines).

    ``arms`` are :class:`rlstrial.plan.Arm` objects (code, massager, heat)."""
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(
            figsize=(SINGLE_COLUMN, SINGLE_COLUMN * 0.75), layout="constrained"
        )
        at_visit = results[(results["visit"] == visit) & (results["kind"] == "lsmean")]
        at_visit = at_visit.set_index("arm")
        for k, heat in enumerate((False, True)):
            cells = sorted((a for a in arms if a.heat == heat), key=lambda a: a.massager)
            estimates = [at_visit.loc[a.code, "estimate"] for a in cells]
            low = [at_visit.loc[a.code, "ci_lower"] for a in cells]
            high = [at_visit.loc[a.code, "ci_upper"] for a in cells]
            x = np.array([0, 1]) + (k - 0.5) * 0.06
            axes.errorbar(
                x,
                estimates,
                yerr=[np.subtract(estimates, low), np.subtract(high, estimates)],
                marker="o",
                markersize=3,
                capsize=2,
                linewidth=1,
                color=OKABE_ITO[5] if heat else OKABE_ITO[0],
                label="heat" if heat else "no heat",
            )
        axes.set_xticks([0, 1], ["no massager", "massager"])
        axes.set_ylabel(f"LS-mean change at {visit} ({ci_label(at_visit['ci_level'].iloc[0])})")
        axes.set_title(title)
        axes.legend(frameon=False)
    return figure


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


def draw_consort(counts: pd.DataFrame, arms: list[str]) -> plt.Figure:
    """The CONSORT flow diagram for any number of arms (zero counts included), with
    exclusion and discontinuation reasons beside or inside the boxes."""
    with plt.rc_context(STYLE):
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
                head = f"{label} {arm}" if box == "allocated" else label
                text = _wrap(f"{head} (n = {row['n']})\n{row['detail']}", 30)
                _box(axes, x, y, width * 0.96, 0.19, text, 5.0)
            for y0, y1 in ((0.5, 0.44), (0.28, 0.2)):
                axes.annotate(
                    "", xy=(x, y1), xytext=(x, y0), arrowprops={"arrowstyle": "->", "lw": 0.6}
                )
    return figure


def plot_diagnostics(residuals: pd.DataFrame, correlation: pd.DataFrame, title: str) -> plt.Figure:
    """Residuals vs fitted, normal QQ of the normalized residuals, and the estimated
    within-participant correlation matrix as a heat map."""
    from scipy import stats

    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(
            1, 3, figsize=(DOUBLE_COLUMN, DOUBLE_COLUMN * 0.34), layout="constrained"
        )
        axes[0].scatter(
            residuals["fitted"],
            residuals["residual"],
            s=3,
            color="#0072B2",
            alpha=0.5,
            linewidths=0,
        )
        axes[0].axhline(0, color="#999999", linewidth=0.5)
        axes[0].set_xlabel("fitted")
        axes[0].set_ylabel("residual")
        ordered = np.sort(residuals["normalized"].to_numpy())
        theoretical = stats.norm.ppf((np.arange(1, len(ordered) + 1) - 0.5) / len(ordered))
        axes[1].scatter(theoretical, ordered, s=3, color="#0072B2", alpha=0.5, linewidths=0)
        axes[1].plot(theoretical, theoretical, color="#999999", linewidth=0.5)
        axes[1].set_xlabel("normal quantile")
        axes[1].set_ylabel("normalized residual")
        matrix = correlation.set_index("visit")
        image = axes[2].imshow(matrix.to_numpy(), vmin=-1, vmax=1, cmap="RdBu_r")
        axes[2].set_xticks(range(len(matrix)), matrix.columns, rotation=90)
        axes[2].set_yticks(range(len(matrix)), matrix.index)
        for (i, j), value in np.ndenumerate(matrix.to_numpy()):
            colour = "white" if abs(value) > 0.6 else "black"
            axes[2].text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=5, color=colour)
        figure.colorbar(image, ax=axes[2], shrink=0.8)
        figure.suptitle(title)
    return figure


def plot_individual_change(changes: pd.DataFrame, arms: list[str], title: str) -> plt.Figure:
    """Waterfall of each participant's change at the primary visit, one panel per arm."""
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(
            1,
            len(arms),
            figsize=(DOUBLE_COLUMN, DOUBLE_COLUMN * 0.3),
            sharey=True,
            layout="constrained",
        )
        for k, (axis, arm) in enumerate(zip(np.atleast_1d(axes), arms, strict=True)):
            values = np.sort(changes.loc[changes["TRT01P"] == arm, "CHG"].to_numpy())[::-1]
            axis.bar(np.arange(len(values)), values, width=1.0, color=_arm_colour(arm, k))
            axis.axhline(0, color="#999999", linewidth=0.5)
            axis.set_title(f"{arm} (n = {len(values)})")
            axis.set_xticks([])
        np.atleast_1d(axes)[0].set_ylabel("change from baseline")
        figure.suptitle(title)
    return figure
