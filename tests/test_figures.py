"""Figures: formats, determinism, and CONSORT counts a reader can check."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from rlstrial.figures import plot_interaction, plot_trajectories, save_figure
from rlstrial.plan import Design, Outcome

ARMS = ["control", "massager", "heat", "combined"]
DESIGN = Design.from_config(
    [
        {"code": "control", "label": "No intervention", "massager": False, "heat": False},
        {"code": "massager", "label": "Foot massager", "massager": True, "heat": False},
        {"code": "heat", "label": "Heat therapy", "massager": False, "heat": True},
        {"code": "combined", "label": "Massager + heat", "massager": True, "heat": True},
    ],
    [
        {"code": "W0", "label": "Baseline", "week": 0, "baseline": True},
        {"code": "W2", "label": "Week 2", "week": 2},
        {"code": "W4", "label": "Week 4", "week": 4},
    ],
)
OUTCOME = Outcome("X", "X score (0-10)", "I")


def lsmeans_table() -> pd.DataFrame:
    rows = []
    for visit, shift in (("Week 2", 0.0), ("Week 4", -1.0)):
        for arm, value in zip(ARMS, [-1.0, -5.0, -3.0, -6.0], strict=True):
            rows.append(
                {
                    "visit": visit,
                    "kind": "lsmean",
                    "arm": arm,
                    "ci_level": 0.95,
                    "contrast": f"LS-mean {arm}",
                    "estimate": value + shift,
                    "ci_lower": value + shift - 1,
                    "ci_upper": value + shift + 1,
                }
            )
    return pd.DataFrame(rows)


def test_every_format_is_written_and_byte_identical_on_rerun(tmp_path):
    first = save_figure(
        plot_trajectories(lsmeans_table(), DESIGN, OUTCOME), tmp_path / "a" / "trajectories"
    )
    again = save_figure(
        plot_trajectories(lsmeans_table(), DESIGN, OUTCOME), tmp_path / "b" / "trajectories"
    )
    assert [p.suffix for p in first] == [".pdf", ".svg", ".png"]
    for one, two in zip(first, again, strict=True):
        assert one.read_bytes() == two.read_bytes(), one.name
    assert b"CreationDate" not in first[0].read_bytes()


def test_interaction_plot_draws_the_four_cells():
    figure = plot_interaction(lsmeans_table(), DESIGN, "Week 4", OUTCOME)
    lines = {
        bars.get_label(): bars.lines[0].get_ydata().tolist() for bars in figure.axes[0].containers
    }
    assert lines == {"without heat therapy": [-2.0, -6.0], "with heat therapy": [-4.0, -7.0]}


def test_diagnostics_and_individual_change_panels():
    from rlstrial.figures import plot_diagnostics, plot_individual_change

    residuals = pd.DataFrame(
        {"fitted": [1.0, 2.0, 3.0], "residual": [0.5, -0.5, 0.0], "normalized": [1.0, -1.0, 0.0]}
    )
    correlation = pd.DataFrame({"visit": ["W1", "W2"], "W1": [1.0, 0.4], "W2": [0.4, 1.0]})
    figure = plot_diagnostics(residuals, correlation, "x")
    assert len(figure.axes) == 4  # three panels and the colour bar
    assert sorted(t.get_text() for t in figure.axes[2].texts) == ["0.40", "0.40", "1.00", "1.00"]
    changes = pd.DataFrame({"TRT01P": ["control", "control", "massager"], "CHG": [1.0, -2.0, -9.0]})
    figure = plot_individual_change(changes, DESIGN, "x")
    heights = [[bar.get_height() for bar in axis.patches] for axis in figure.axes]
    # sorted from worst to best within each arm; arms without data drawn empty
    assert heights == [[1.0, -2.0], [-9.0], [], []]
    assert figure.axes[0].get_title() == "No intervention (n = 2)"


def test_a_callers_settings_win_over_the_theme(tmp_path):
    """The theme is the lowest layer: a caller's font size scales every text, and a
    caller's colour for an arm replaces the palette's."""
    with plt.rc_context({"font.size": 11}):
        figure = plot_trajectories(lsmeans_table(), DESIGN, OUTCOME, colours={"heat": "#CC0000"})
    axes = figure.axes[0]
    assert axes.title.get_fontsize() == 11
    assert axes.yaxis.label.get_fontsize() == 11
    assert "#CC0000" in [line.get_color() for line in axes.get_lines()]
    (svg,) = [p for p in save_figure(figure, tmp_path / "x") if p.suffix == ".svg"]
    assert "#cc0000" in svg.read_text().lower()
    figure = plot_trajectories(lsmeans_table(), DESIGN, OUTCOME)  # the theme alone
    assert figure.axes[0].title.get_fontsize() == 8
