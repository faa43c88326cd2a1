"""LS-mean trajectories by arm, and the 2x2 interaction plot."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.transforms import blended_transform_factory

from rlstrial.figures.style import OKABE_ITO, SINGLE_COLUMN, arm_colours, themed
from rlstrial.plan import Design, Outcome, ci_label


def plot_trajectories(
    results: pd.DataFrame,
    design: Design,
    outcome: Outcome,
    at_risk: pd.DataFrame | None = None,
    *,
    change: bool = True,
    style: dict | None = None,
    colours: dict | None = None,
) -> plt.Figure:
    """LS-means (with their CIs) of each arm by visit, from a result table.

    Parameters
    ----------
    results
        One outcome's result table (``kind == "lsmean"`` rows: visit label, arm,
        estimate, ci_lower, ci_upper, ci_level).
    design
        The plan's design: arm labels and order, visits (placed by week).
    outcome
        The outcome (its label is the title).
    at_risk
        Participants with a value, by ``visit`` (label), ``arm`` and ``n``: drawn as a
        table under the axis, one row per arm. ``None``: no table.
    change
        The LS-means are changes from baseline: every arm starts at 0 at baseline.
    style, colours
        rcParams over the theme and the caller's settings; colours by arm code.

    Examples
    --------
    >>> from rlstrial.plan import Design, Outcome
    >>> design = Design.from_config(
    ...     [{"code": "c", "label": "Control", "massager": False, "heat": False},
    ...      {"code": "m", "label": "Massager", "massager": True, "heat": False},
    ...      {"code": "h", "label": "Heat", "massager": False, "heat": True},
    ...      {"code": "b", "label": "Both", "massager": True, "heat": True}],
    ...     [{"code": "W0", "label": "Baseline", "week": 0, "baseline": True},
    ...      {"code": "W2", "label": "Week 2", "week": 2}])
    >>> table = pd.DataFrame({"visit": "Week 2", "kind": "lsmean",
    ...     "arm": ["c", "m", "h", "b"], "ci_level": 0.95, "estimate": [-1.0, -2, -3, -4],
    ...     "ci_lower": [-2.0, -3, -4, -5], "ci_upper": [0.0, -1, -2, -3]})
    >>> figure = plot_trajectories(table, design, Outcome("X", "X score (0-10)", "I"))
    >>> [text.get_text() for text in figure.legends[0].get_texts()]
    ['Control', 'Massager', 'Heat', 'Both']
    """
    arms = design.arm_codes
    palette = arm_colours(arms, colours)
    weeks = {visit.label: visit.week for visit in design.visits}
    baseline = next((v.label for v in design.visits if v.baseline), None)
    lsmeans = results[results["kind"] == "lsmean"]
    visits = sorted(dict.fromkeys(lsmeans["visit"]), key=weeks.__getitem__)
    shown = ([baseline] if change and baseline else []) + visits
    span = max(weeks[v] for v in shown) - min(weeks[v] for v in shown) or 1.0
    # arms dodged by a fixed share of the axis, whatever the spacing of the visits
    offsets = dict(zip(arms, np.linspace(-0.03, 0.03, len(arms)) * span, strict=True))
    rows = 0 if at_risk is None else len(arms)
    with themed(style):
        figure, axes = plt.subplots(
            figsize=(SINGLE_COLUMN, SINGLE_COLUMN * (0.72 + 0.05 * rows)), layout="constrained"
        )
        for arm in arms:
            cells = lsmeans[lsmeans["arm"] == arm].set_index("visit").reindex(visits)
            x = np.array([weeks[v] for v in visits]) + offsets[arm]
            y = cells["estimate"].to_numpy(float)
            error = [y - cells["ci_lower"].to_numpy(float), cells["ci_upper"].to_numpy(float) - y]
            if change and baseline:
                x = np.concatenate([[weeks[baseline] + offsets[arm]], x])
                y = np.concatenate([[0.0], y])
                error = [np.concatenate([[0.0], e]) for e in error]
            axes.errorbar(
                x,
                y,
                yerr=error,
                color=palette[arm],
                marker="o",
                markersize=3,
                capsize=2,
                linewidth=1,
                label=design.arm_label(arm),
            )
        if change:
            axes.axhline(0, color="#999999", linewidth=0.5, zorder=0)
        axes.set_xticks([weeks[v] for v in shown], shown)
        level = ci_label(results["ci_level"].iloc[0])
        quantity = "LS-mean change\nfrom baseline" if change else "LS-mean"
        axes.set_ylabel(f"{quantity} ({level})")
        axes.set_title(textwrap.fill(outcome.label, 45))
        figure.legend(loc="outside upper center", frameon=False, ncols=2 if len(arms) > 2 else 1)
        if at_risk is not None:
            _numbers_at_risk(axes, at_risk, design, shown, weeks, palette)
    return figure


def participants_with_value(
    adqs: pd.DataFrame, adsl: pd.DataFrame, paramcd: str, population: str
) -> pd.DataFrame:
    """Participants of the population with an analysable value of the outcome, by
    visit (label) and arm: the numbers under a trajectory plot.

    Examples
    --------
    >>> adqs = pd.DataFrame({"USUBJID": ["a", "a", "b", "c"], "PARAMCD": "X",
    ...     "AVISIT": ["Baseline", "Week 2", "Week 2", "Week 2"], "TRT01P": ["m", "m", "m", "c"],
    ...     "ANL01FL": ["Y", "Y", "", "Y"], "AVAL": [1.0, 2.0, None, 3.0]})
    >>> adsl = pd.DataFrame({"USUBJID": ["a", "b", "c"], "ITTFL": ["Y", "Y", "N"]})
    >>> participants_with_value(adqs, adsl, "X", "ITTFL")
          visit arm  n
    0  Baseline   m  1
    1    Week 2   m  1
    """
    members = set(adsl.loc[adsl[population] == "Y", "USUBJID"])
    rows = adqs[
        (adqs["PARAMCD"] == paramcd)
        & (adqs["ANL01FL"] == "Y")
        & adqs["AVAL"].notna()
        & adqs["USUBJID"].isin(members)
    ]
    counts = rows.groupby(["AVISIT", "TRT01P"], observed=True)["USUBJID"].nunique()
    return counts.rename("n").reset_index().rename(columns={"AVISIT": "visit", "TRT01P": "arm"})


def _numbers_at_risk(axes, at_risk, design, visits, weeks, palette) -> None:
    """A table under the x axis: per arm (a row, in its colour) the number of
    participants with a value at each visit."""
    counts = at_risk.set_index(["arm", "visit"])["n"]
    transform = blended_transform_factory(axes.transData, axes.transAxes)
    labels = blended_transform_factory(axes.transAxes, axes.transAxes)
    top = -0.22
    axes.text(0.0, top, "Participants with a value", transform=labels, ha="left", va="top")
    for k, arm in enumerate(design.arm_codes):
        y = top - 0.085 * (k + 1)
        axes.text(
            -0.02,
            y,
            design.arm_label(arm),
            transform=labels,
            ha="right",
            va="top",
            color=palette[arm],
            fontsize="small",
        )
        for visit in visits:
            n = counts.get((arm, visit), 0)
            axes.text(
                weeks[visit], y, str(int(n)), transform=transform, ha="center", va="top",
                fontsize="small",
            )  # fmt: skip


def plot_interaction(
    results: pd.DataFrame,
    design: Design,
    visit: str,
    outcome: Outcome,
    *,
    style: dict | None = None,
) -> plt.Figure:
    """The 2x2 interaction plot at one visit: LS-means by massager (x) and heat (lines),
    labelled with the arms' labels."""
    arms = design.arms
    massager_arm = next(a for a in arms if a.massager and not a.heat)
    heat_arm = next(a for a in arms if a.heat and not a.massager)
    with themed(style):
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
                label=f"with {heat_arm.label.lower()}"
                if heat
                else f"without {heat_arm.label.lower()}",
            )
        axes.set_xticks(
            [0, 1], [f"without {massager_arm.label.lower()}", f"with {massager_arm.label.lower()}"]
        )
        axes.set_xlim(-0.4, 1.4)  # room for the tick labels at both ends
        level = ci_label(at_visit["ci_level"].iloc[0])
        axes.set_ylabel(f"LS-mean change at {visit} ({level})")
        axes.set_title(f"{outcome.label}: {massager_arm.label} x {heat_arm.label.lower()}")
        axes.legend(frameon=False)
    return figure
