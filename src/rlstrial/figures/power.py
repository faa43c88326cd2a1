"""Power curves of a simulation study."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rlstrial.figures.style import DOUBLE_COLUMN, OKABE_ITO, themed
from rlstrial.plan import Design


def plot_power_curves(
    summary: pd.DataFrame, design: Design, target: float, *, style: dict | None = None
) -> plt.Figure:
    """Rejection rate (power, or type I error where the effect is null) against the
    sample size per arm, one panel per contrast of the design, one line per scenario,
    with bands of +-1.96 Monte Carlo SE and the target power.

    ``summary`` is :func:`rlstrial.power.summarize`'s table."""
    names = [c.name for c in design.contrasts]
    scenarios = list(dict.fromkeys(summary["scenario"]))
    columns = 3
    rows = int(np.ceil(len(names) / columns))
    with themed(style):
        figure, axes = plt.subplots(
            rows,
            columns,
            figsize=(DOUBLE_COLUMN, 0.36 * DOUBLE_COLUMN * rows),
            sharex=True,
            sharey=True,
            layout="constrained",
        )
        for axis, name in zip(np.ravel(axes), names, strict=False):
            for k, scenario in enumerate(scenarios):
                rows_ = summary[(summary["estimand"] == name) & (summary["scenario"] == scenario)]
                rows_ = rows_.sort_values("n_per_arm")
                x = rows_["n_per_arm"].to_numpy(float)
                y = rows_["rejection"].to_numpy(float)
                band = 1.96 * rows_["rejection_mcse"].to_numpy(float)
                colour = OKABE_ITO[(k + 5) % len(OKABE_ITO)]
                axis.fill_between(x, y - band, y + band, color=colour, alpha=0.2, linewidth=0)
                label = scenario.replace("_", " ")
                axis.plot(x, y, marker="o", markersize=3, color=colour, label=label)
            axis.axhline(target, color="#999999", linewidth=0.6, linestyle="--")
            axis.axhline(0.05, color="#999999", linewidth=0.4, linestyle=":")
            axis.set_ylim(0, 1)
            axis.set_title(textwrap.fill(design.contrast_label(name), 34), fontsize="medium")
        for axis in np.ravel(axes)[len(names) :]:
            axis.set_visible(False)
        figure.supxlabel("Participants per arm")
        figure.supylabel("Rejection rate (power; type I error under no effect)")
        figure.legend(
            *np.ravel(axes)[0].get_legend_handles_labels(),
            loc="outside upper center",
            ncols=len(scenarios),
            frameon=False,
            title="Scenario",
        )
    return figure
