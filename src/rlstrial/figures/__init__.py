"""Publication figures, drawn from the tables the workflow wrote (never refitting).

Each figure has its module; :mod:`rlstrial.figures.style` holds the common theme (the
lowest layer under the caller's settings) and the deterministic file writer. Labels
come from the analysis plan (arms, outcomes, contrasts), never codes. Importing the
package changes no global state (no backend choice, no warning filters).
"""

from rlstrial.figures.consort import consort_counts, draw_consort
from rlstrial.figures.diagnostics import plot_diagnostics, plot_individual_change
from rlstrial.figures.forest import plot_forest
from rlstrial.figures.power import plot_power_curves
from rlstrial.figures.style import (
    DOUBLE_COLUMN,
    SINGLE_COLUMN,
    STYLE,
    arm_colours,
    save_figure,
    themed,
)
from rlstrial.figures.trajectories import (
    participants_with_value,
    plot_interaction,
    plot_trajectories,
)

__all__ = [
    "DOUBLE_COLUMN",
    "SINGLE_COLUMN",
    "STYLE",
    "arm_colours",
    "consort_counts",
    "draw_consort",
    "participants_with_value",
    "plot_diagnostics",
    "plot_forest",
    "plot_individual_change",
    "plot_interaction",
    "plot_power_curves",
    "plot_trajectories",
    "save_figure",
    "themed",
]
