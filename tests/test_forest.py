"""The forest plot: rows, text columns and favours labels a reader can check by eye.

Two families (Severity: the primary outcome and a subscale; Sleep: a lower-is-better
score and a higher-is-better one), two contrasts each, one row not estimable. The
codes (outcomes, arms) are chosen so that none can hide inside a label.
"""

from __future__ import annotations

import math
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from matplotlib.text import Text

from rlstrial.config import load_config
from rlstrial.figures import DOUBLE_COLUMN, plot_forest
from rlstrial.plan import Design, Outcome, Plan, Primary, build_plan

DESIGN = Design.from_config(
    [
        {"code": "C0", "label": "No intervention", "massager": False, "heat": False},
        {"code": "M1", "label": "Foot massager", "massager": True, "heat": False},
        {"code": "H2", "label": "Heat therapy", "massager": False, "heat": True},
        {"code": "MH3", "label": "Massager + heat", "massager": True, "heat": True},
    ],
    [
        {"code": "WK0", "label": "Baseline", "week": 0, "baseline": True},
        {"code": "WK4", "label": "Week 4", "week": 4},
    ],
)
# listed out of order: the primary outcome's family comes first, the primary first in it
OUTCOMES = (
    Outcome("SLPPRB", "Sleep problems (0-100)", "SLEEPQ", "lower", "Sleep"),
    Outcome("SEVIMP", "Severity impact (0-12)", "SEVQ", "lower", "Severity"),
    Outcome("SLPADQ", "Sleep adequacy (0-100)", "SLEEPQ", "higher", "Sleep"),
    Outcome("SEVTOT", "Severity total (0-40)", "SEVQ", "lower", "Severity"),
)
PLAN = Plan(
    design=DESIGN,
    outcomes=OUTCOMES,
    primary=Primary("SEVTOT", "WK4", "M1 vs C0", "mmrm"),
)
VERSUS_CONTROL = ["M1 vs C0", "H2 vs C0"]
CODES = [o.code for o in OUTCOMES] + [o.instrument for o in OUTCOMES] + DESIGN.arm_codes
COLUMNS = ["outcome", "contrast", "estimate", "ci_lower", "ci_upper"]
COLUMNS += ["p_value", "p_adjusted", "adjustment"]
NAN = math.nan
# the impact subscale's heat contrast is not estimable: its massager contrast is then
# the only member of the multiplicity family, left unadjusted
ROWS = [
    ("SEVTOT", "M1 vs C0", -6.5, -8.2, -4.9, 0.0001, 0.0002, "holm"),
    ("SEVTOT", "H2 vs C0", -3.2, -4.9, -1.6, 0.0002, 0.0002, "holm"),
    ("SEVIMP", "M1 vs C0", -1.0, -2.0, -0.03, 0.0437, 0.0437, "none"),
    ("SEVIMP", "H2 vs C0", NAN, NAN, NAN, NAN, NAN, "none"),
    ("SLPPRB", "M1 vs C0", -10.2, -14.4, -6.0, 0.000004, 0.000007, "holm"),
    ("SLPPRB", "H2 vs C0", -4.1, -8.3, 0.04, 0.052, 0.052, "holm"),
    ("SLPADQ", "M1 vs C0", 6.7, -1.9, 15.4, 0.126, 0.252, "holm"),
    ("SLPADQ", "H2 vs C0", -3.0, -11.5, 5.6, 0.494, 0.494, "holm"),
]


def results(rows=ROWS) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.assign(
        analysis="mmrm",
        visit="Week 4",
        kind="contrast",
        ci_level=0.95,
        note=np.where(table["estimate"].isna(), "not estimable: no participant", ""),
    )


@pytest.fixture
def figure():
    figure = plot_forest(results(), PLAN, VERSUS_CONTROL)
    yield figure
    plt.close(figure)


def column(figure, prefix: str) -> list[Text]:
    """The texts whose id starts with ``prefix``, top to bottom."""
    texts = [t for t in figure.texts if (t.get_gid() or "").startswith(prefix)]
    return sorted(texts, key=lambda text: text.get_position()[1])  # y: mm from the top


def strings(figure, prefix: str) -> list[str]:
    return [text.get_text() for text in column(figure, prefix)]


def row_of(text: Text) -> int:
    return int(text.get_gid().rsplit("-", 1)[1])


def test_rows_follow_the_families_with_the_primary_outcome_first(figure):
    vs = " vs no intervention"
    assert strings(figure, "label-") == [
        "Severity",
        "Severity total (0-40) (primary outcome)",
        "Foot massager" + vs,
        "Heat therapy" + vs,
        "Severity impact (0-12)",
        "Foot massager" + vs,
        "Heat therapy" + vs,
        "Sleep",
        "Sleep problems (0-100)",
        "Foot massager" + vs,
        "Heat therapy" + vs,
        "Sleep adequacy (0-100)",
        "Foot massager" + vs,
        "Heat therapy" + vs,
    ]
    headers = [t for t in column(figure, "label-") if t.get_fontweight() == "bold"]
    assert [t.get_text() for t in headers] == ["Severity", "Sleep"]


def test_text_columns_give_estimate_interval_and_p(figure):
    assert strings(figure, "estimate-") == [
        "−6.50",
        "−3.20",
        "−1.00",
        "not estimable",
        "−10.20",
        "−4.10",
        "6.70",
        "−3.00",
    ]
    assert strings(figure, "ci-") == [
        "(−8.20, −4.90)",
        "(−4.90, −1.60)",
        "(−2.00, −0.03)",
        "(−14.40, −6.00)",
        "(−8.30, 0.04)",
        "(−1.90, 15.40)",
        "(−11.50, 5.60)",
    ]
    # Holm-adjusted p, the lone unadjusted one marked; nothing for the row not estimable
    assert strings(figure, "p-") == [
        "<0.001",
        "<0.001",
        "0.044†",
        "",
        "<0.001",
        "0.052",
        "0.252",
        "0.494",
    ]
    texts = [t.get_text() for t in figure.texts]
    assert "Difference (95% CI)" in texts and "p (Holm)" in texts
    notes = " ".join(strings(figure, "note-"))
    assert "Week 4" in notes
    assert "P values adjusted for multiplicity within each outcome (Holm); † unadjusted." in notes


def test_favours_labels_follow_each_outcomes_direction(figure):
    left, right = strings(figure, "favours-left-"), strings(figure, "favours-right-")
    # Severity (lower is better), then Sleep's lower-is-better panel, then its
    # higher-is-better panel (sleep adequacy), each with its own labels
    assert left == ["← Favours the active arm"] * 2 + ["← Favours no intervention"]
    assert right == ["Favours no intervention →"] * 2 + ["Favours the active arm →"]
    labels = {row_of(t): t.get_text() for t in column(figure, "label-")}
    first_rows = [row_of(t) for t in column(figure, "favours-left-")]
    assert labels[first_rows[0]] == "Severity" and labels[first_rows[1]] == "Sleep"
    # the higher-is-better panel's labels are on a line of their own just above it
    assert first_rows[2] not in labels and labels[first_rows[2] + 1] == "Sleep adequacy (0-100)"
    # left of 0 and right of 0 of that panel's axis
    panel = next(a for a in figure.axes if a.get_xlim()[1] > 15)
    zero = figure.transFigure.inverted().transform(panel.transData.transform((0, 0)))[0]
    for text, side in zip(column(figure, "favours-")[-2:], (-1, 1), strict=True):
        box = text.get_window_extent().transformed(figure.transFigure.inverted())
        assert (box.x1 <= zero) if side < 0 else (box.x0 >= zero)


def test_factorial_favours_refer_to_the_factor():
    names = ["massager main effect", "heat main effect", "massager x heat interaction"]
    rows = [(o, c, -2.0, -3.0, -1.0, 0.01, 0.01, "none") for o, *_ in ROWS[::2] for c in names]
    figure = plot_forest(results(rows), PLAN, names)
    assert strings(figure, "label-")[2:5] == [
        "Foot massager (main effect)",
        "Heat therapy (main effect)",
        "Foot massager x heat therapy (interaction)",
    ]
    assert strings(figure, "favours-left-")[0] == "← Favours the factor"
    assert strings(figure, "favours-right-")[-1] == "Favours the factor →"  # sleep adequacy
    assert strings(figure, "p-")[0] == "0.010"
    assert "p" in [t.get_text() for t in figure.texts]  # no method: unadjusted
    notes = " ".join(strings(figure, "note-"))
    assert (
        "P values unadjusted." in notes and "Interaction: on the side favouring the factor" in notes
    )
    plt.close(figure)
    one = plot_forest(results(rows), PLAN, ["massager main effect"])
    assert strings(one, "favours-left-")[0] == "← Favours foot massager"
    assert strings(one, "favours-right-")[0] == "Favours no foot massager →"
    plt.close(one)


def test_no_code_appears_in_any_text(figure):
    figure.canvas.draw()  # the tick labels
    texts = [t.get_text() for t in figure.findobj(Text) if t.get_text()]
    assert any(t == "0" for t in texts)  # the tick labels are among them
    names = [*VERSUS_CONTROL, "massager main effect", "holm"]
    for text in texts:
        for code in CODES:
            assert not re.search(rf"\b{re.escape(code)}\b", text), (code, text)
        for name in names:
            assert name not in text, (name, text)


def test_rows_not_estimable_draw_no_interval(figure):
    estimates = column(figure, "estimate-")
    missing = [row_of(t) for t in estimates if t.get_text() == "not estimable"]
    drawn = {
        line.get_gid() for axes in figure.axes for line in axes.lines if line.get_gid() is not None
    }
    assert len(missing) == 1
    assert f"interval-{missing[0]}" not in drawn and f"point-{missing[0]}" not in drawn
    estimable = [row_of(t) for t in estimates if t.get_text() != "not estimable"]
    assert {f"interval-{k}" for k in estimable} <= drawn
    assert {f"point-{k}" for k in estimable} <= drawn


def test_one_axis_per_family_and_direction_and_scale(figure):
    # Severity (0-40 and 0-12: within 5-fold), Sleep lower, Sleep higher is better
    assert len(figure.axes) == 3
    severity = figure.axes[0]
    low, high = severity.get_xlim()
    assert low < -8.2 and 0 < high < 1


def test_a_scale_far_apart_gets_its_own_axis():
    hours = Outcome("SLPHRS", "Sleep quantity (hours)", "SLEEPQ", "higher", "Sleep")
    plan = Plan(design=DESIGN, outcomes=(*OUTCOMES, hours), primary=PLAN.primary)
    rows = [*ROWS, ("SLPHRS", "M1 vs C0", 0.45, 0.26, 0.63, 0.001, 0.002, "holm")]
    figure = plot_forest(results(rows), plan, VERSUS_CONTROL)
    assert len(figure.axes) == 4
    assert figure.axes[-1].get_xlim()[1] < 1
    plt.close(figure)


def realistic(plan: Plan, names: list[str]) -> pd.DataFrame:
    """Results of every outcome of the plan on its own scale, the favourable side."""
    rows = []
    for k, outcome in enumerate(plan.outcomes):
        scale = 0.3 if "hours" in outcome.label else (4.0 if "IRLS" in outcome.label else 10.0)
        sign = -1 if outcome.better == "lower" else 1
        for j, name in enumerate(names):
            estimate = sign * scale * (1 + 0.3 * j) * (1 + 0.05 * k)
            half = 0.6 * scale * (1 + 0.2 * j)
            row = (outcome.code, name, estimate, estimate - half, estimate + half)
            rows.append((*row, 0.0004 * (j + 1), 0.001 * (j + 1), "holm"))
    return results(rows)


@pytest.mark.parametrize("kind", ["vs control", "factorial"])
def test_twelve_outcomes_and_three_contrasts_fit_a_page(kind):
    plan = build_plan(load_config(ROOT / "config" / "config.yaml"))
    names = [
        c.name for c in plan.design.contrasts if (c.kind == "vs control") == (kind == "vs control")
    ]
    assert len(plan.outcomes) == 12 and len(names) == 3
    figure = plot_forest(realistic(plan, names), plan, names)
    width, height = figure.get_size_inches() * 25.4
    assert width == pytest.approx(DOUBLE_COLUMN * 25.4)
    assert 150 < height <= 230
    # every text inside the figure, and no two texts of the table overlapping
    figure.canvas.draw()
    page = figure.bbox
    boxes = []
    for text in figure.findobj(Text):
        if text.get_text() and text.get_visible():
            box = text.get_window_extent()
            assert page.x0 <= box.x0 and box.x1 <= page.x1, text.get_text()
            assert page.y0 <= box.y0 and box.y1 <= page.y1, text.get_text()
            if text in figure.texts:
                boxes.append((text.get_text(), box.expanded(1.0, 0.7)))  # glyphs, not leading
    for k, (one, first) in enumerate(boxes):
        for two, second in boxes[k + 1 :]:
            assert not first.overlaps(second), (one, two)
    plt.close(figure)


def test_the_callers_settings_win():
    with plt.rc_context({"font.size": 11}):
        figure = plot_forest(results(), PLAN, VERSUS_CONTROL)
    assert column(figure, "label-")[0].get_fontsize() == 11
    small = plot_forest(results(), PLAN, VERSUS_CONTROL, style={"font.size": 6})
    assert column(small, "label-")[0].get_fontsize() == 6
    assert small.get_size_inches()[1] < figure.get_size_inches()[1]
    plt.close(figure)
    plt.close(small)


def test_several_rows_per_outcome_and_contrast_are_refused():
    twice = pd.concat([results(), results().assign(visit="Week 2")], ignore_index=True)
    with pytest.raises(ValueError, match="one row per outcome and contrast"):
        plot_forest(twice, PLAN, VERSUS_CONTROL)
    with pytest.raises(ValueError, match="no contrast rows"):
        plot_forest(results(), PLAN, ["massager main effect"])
