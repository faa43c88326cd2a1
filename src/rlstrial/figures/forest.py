"""The forest plot of the contrasts across outcomes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rlstrial.figures.style import DOUBLE_COLUMN, themed
from rlstrial.plan import Plan, ci_label


def plot_forest(
    results: pd.DataFrame,
    plan: Plan,
    contrasts: list[str],
    *,
    style: dict | None = None,
) -> plt.Figure:
    """Forest plot of the named contrasts (``contrast`` names of the plan's design)
    across outcomes, from the stacked result tables at one visit (``kind ==
    "contrast"`` rows): one row per outcome and contrast, labelled in words."""
    rows = results[(results["kind"] == "contrast") & results["contrast"].isin(contrasts)]
    order = [o.code for family in plan.families.values() for o in family]
    rows = rows.assign(
        _outcome=rows["outcome"].map({code: k for k, code in enumerate(order)}),
        _contrast=rows["contrast"].map({name: k for k, name in enumerate(contrasts)}),
    ).sort_values(["_outcome", "_contrast"])
    with themed(style):
        n = len(rows)
        figure, axes = plt.subplots(
            figsize=(DOUBLE_COLUMN, max(2.0, 0.16 * n + 0.8)), layout="constrained"
        )
        y = np.arange(n)[::-1]
        axes.errorbar(
            rows["estimate"],
            y,
            xerr=[rows["estimate"] - rows["ci_lower"], rows["ci_upper"] - rows["estimate"]],
            fmt="o",
            color="#0072B2",
            markersize=3,
            capsize=2,
            linewidth=1,
        )
        axes.axvline(0, color="#999999", linewidth=0.5)
        labels = [
            f"{plan.outcome(o).label}: {plan.design.contrast_label(c)}"
            for o, c in zip(rows["outcome"], rows["contrast"], strict=True)
        ]
        axes.set_yticks(y, labels)
        level = ci_label(rows["ci_level"].iloc[0])
        axes.set_xlabel(f"Difference ({level})")
    return figure
