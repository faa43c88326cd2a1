"""Model diagnostics and individual changes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rlstrial.figures.style import DOUBLE_COLUMN, arm_colours, themed
from rlstrial.plan import Design


def plot_diagnostics(
    residuals: pd.DataFrame, correlation: pd.DataFrame, title: str, style: dict | None = None
) -> plt.Figure:
    """Residuals vs fitted, normal QQ of the normalized residuals, and the estimated
    within-participant correlation matrix as a heat map."""
    from scipy import stats

    with themed(style):
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
        axes[0].set_xlabel("Fitted value")
        axes[0].set_ylabel("Residual")
        ordered = np.sort(residuals["normalized"].to_numpy())
        theoretical = stats.norm.ppf((np.arange(1, len(ordered) + 1) - 0.5) / len(ordered))
        axes[1].scatter(theoretical, ordered, s=3, color="#0072B2", alpha=0.5, linewidths=0)
        axes[1].plot(theoretical, theoretical, color="#999999", linewidth=0.5)
        axes[1].set_xlabel("Normal quantile")
        axes[1].set_ylabel("Normalized residual")
        matrix = correlation.set_index("visit")
        image = axes[2].imshow(matrix.to_numpy(), vmin=-1, vmax=1, cmap="RdBu_r")
        axes[2].set_xticks(range(len(matrix)), matrix.columns, rotation=90)
        axes[2].set_yticks(range(len(matrix)), matrix.index)
        for (i, j), value in np.ndenumerate(matrix.to_numpy()):
            colour = "white" if abs(value) > 0.6 else "black"
            axes[2].text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=5, color=colour)
        figure.colorbar(image, ax=axes[2], shrink=0.8, label="Correlation between visits")
        figure.suptitle(title)
    return figure


def plot_individual_change(
    changes: pd.DataFrame,
    design: Design,
    title: str,
    style: dict | None = None,
    colours: dict | None = None,
) -> plt.Figure:
    """Waterfall of each participant's change at the primary visit, one panel per arm
    (titled with the arm's label)."""
    arms = design.arm_codes
    palette = arm_colours(arms, colours)
    with themed(style):
        figure, axes = plt.subplots(
            1,
            len(arms),
            figsize=(DOUBLE_COLUMN, DOUBLE_COLUMN * 0.3),
            sharey=True,
            layout="constrained",
        )
        for axis, arm in zip(np.atleast_1d(axes), arms, strict=True):
            values = np.sort(changes.loc[changes["TRT01P"] == arm, "CHG"].to_numpy())[::-1]
            axis.bar(np.arange(len(values)), values, width=1.0, color=palette[arm])
            axis.axhline(0, color="#999999", linewidth=0.5)
            axis.set_title(f"{design.arm_label(arm)} (n = {len(values)})")
            axis.set_xticks([])
        np.atleast_1d(axes)[0].set_ylabel("Change from baseline")
        figure.suptitle(title)
    return figure
