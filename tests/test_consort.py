"""The CONSORT flow diagram: counts a reader can check by hand, and the drawing's
geometry measured with the renderer (texts inside their boxes, no overlaps, orthogonal
connectors ending on box edges, arms by their labels)."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from matplotlib.patches import Rectangle
from matplotlib.text import Annotation
from test_figures import ARMS, DESIGN

from rlstrial.figures import consort_counts, draw_consort
from rlstrial.plan import Design

ARM_CONFIG = [  # DESIGN's arms, as in a config
    {"code": a.code, "label": a.label, "massager": a.massager, "heat": a.heat} for a in DESIGN.arms
]
VISIT = {"code": "W0", "label": "Baseline", "week": 0, "baseline": True}

CODING = {
    "screening": {
        "IRLS below entry threshold": "Not meeting inclusion criteria",
        "age outside 18-75": "Not meeting inclusion criteria",
        "eligible but did not consent": "Declined to participate",
    },
    "discontinuation": {
        "Lost to follow-up": "Lost to follow-up",
        "Withdrew: adverse event": "Adverse event",
        "Withdrew: lack of efficacy": "Lack of efficacy",
        "Withdrew: personal reasons": "Withdrawal by participant",
    },
}


def trial(screened_out: dict[str, int], arms: dict[str, dict]) -> tuple[pd.DataFrame, ...]:
    """The ledger, adsl and analysed of a trial: ``screened_out`` people not randomized
    per reason; per arm, ``n`` allocated, of whom ``unused`` never used the device,
    ``stopped`` discontinued per DCSREAS, and ``missing`` more completed without the
    primary outcome. The analysed are the others."""
    people = []
    for arm, spec in arms.items():
        stopped = [reason for reason, n in spec.get("stopped", {}).items() for _ in range(n)]
        for k in range(spec["n"]):
            people.append(
                {
                    "TRT01P": arm,
                    "SAFFL": "N" if k < spec.get("unused", 0) else "Y",
                    "EOSSTT": "DISCONTINUED" if k < len(stopped) else "COMPLETED",
                    "DCSREAS": stopped[k] if k < len(stopped) else None,
                    "analysed": k >= len(stopped) + spec.get("missing", 0),
                }
            )
    adsl = pd.DataFrame(people, columns=["TRT01P", "SAFFL", "EOSSTT", "DCSREAS", "analysed"])
    reasons = [f"screened, not randomized: {r}" for r, n in screened_out.items() for _ in range(n)]
    ledger = pd.DataFrame(
        {
            "file": "screening.csv",
            "dataset": ["adsl"] * len(adsl) + ["excluded"] * len(reasons),
            "reason": [""] * len(adsl) + reasons,
        }
    )
    return ledger, adsl, adsl[adsl["analysed"]]


def read_back(counts: pd.DataFrame) -> pd.DataFrame:
    """The counts as the pipeline draws them: written to CSV and read back."""
    return pd.read_csv(io.StringIO(counts.to_csv(index=False)), keep_default_na=False)


# A trial like the default one: 320 screened, 240 randomized, about 60 per arm.
DEFAULT = trial(
    {"IRLS below entry threshold": 66, "eligible but did not consent": 14},
    {
        "control": {
            "n": 60,
            "stopped": {
                "Withdrew: adverse event": 3,
                "Lost to follow-up": 2,
                "Withdrew: personal reasons": 2,
            },
        },
        "massager": {
            "n": 60,
            "unused": 2,
            "stopped": {
                "Withdrew: adverse event": 1,
                "Withdrew: lack of efficacy": 2,
                "Lost to follow-up": 2,
                "Withdrew: personal reasons": 2,
            },
            "missing": 1,
        },
        "heat": {"n": 59, "stopped": {"Withdrew: lack of efficacy": 4}},
        "combined": {
            "n": 61,
            "unused": 1,
            "stopped": {"Withdrew: lack of efficacy": 2, "Lost to follow-up": 4},
        },
    },
)
# A trial like the Park pilot: 35 screened, 28 randomized, 6 to 8 per arm.
PILOT = trial(
    {"IRLS below entry threshold": 4, "age outside 18-75": 1, "eligible but did not consent": 2},
    {
        "control": {"n": 7},
        "massager": {"n": 8, "stopped": {"Lost to follow-up": 1}},
        "heat": {"n": 6},
        "combined": {"n": 7, "missing": 1},
    },
)
LONG = (
    "moved abroad before the baseline visit and could not be reached by telephone, "
    "letter or electronic mail despite three documented attempts"
)
# Zero counts, very long reasons (not coded, so shown as they are) and eight reasons in
# one box.
EDGE = trial(
    {
        LONG: 1,
        "a-very-long-word-without-any-space-in-it-that-cannot-be-broken-at-a-space": 1,
        **{f"reason {k}": 1 for k in range(1, 7)},
    },
    {
        "control": {"n": 0},
        "massager": {
            "n": 9,
            "unused": 9,
            "stopped": {f"Withdrew: reason {k}": 1 for k in range(1, 9)},
            "missing": 1,
        },
        "heat": {"n": 1, "stopped": {f"Withdrew: {LONG}": 1}},
        "combined": {"n": 3, "missing": 3},
    },
)
FLOWS = {
    "default": read_back(consort_counts(*DEFAULT, ARMS, CODING)),
    "pilot": read_back(consort_counts(*PILOT, ARMS, CODING)),
    "edge": read_back(consort_counts(*EDGE, ARMS)),
}


def test_consort_counts_by_hand():
    ledger = pd.DataFrame(
        {
            "file": ["screening.csv"] * 5,
            "dataset": ["adsl", "adsl", "adsl", "excluded", "excluded"],
            "reason": [
                "",
                "",
                "",
                "screened, not randomized: age outside 18-75",
                "screened, not randomized: eligible but did not consent",
            ],
        }
    )
    adsl = pd.DataFrame(
        {
            "USUBJID": ["1", "2", "3"],
            "TRT01P": ["control", "massager", "massager"],
            "SAFFL": ["Y", "Y", "N"],
            "EOSSTT": ["COMPLETED", "DISCONTINUED", "COMPLETED"],
            "DCSREAS": [None, "Lost to follow-up", None],
        }
    )
    analysed = pd.DataFrame({"TRT01P": ["control", "massager"]})
    counts = consort_counts(ledger, adsl, analysed, ARMS).set_index(["box", "arm"])
    assert counts.loc[("assessed", ""), "n"] == 5
    assert (
        counts.loc[("excluded", ""), "detail"]
        == "age outside 18-75: 1\neligible but did not consent: 1"
    )
    assert counts.loc[("allocated", "massager"), "n"] == 2
    assert counts.loc[("allocated", "massager"), "detail"] == "received allocated intervention: 1"
    assert counts.loc[("discontinued", "massager"), ["n", "detail"]].tolist() == [
        1,
        "Lost to follow-up: 1",
    ]
    assert counts.loc[("analysed", "heat"), "n"] == 0  # zero counts are drawn too
    # the boxes of the CONSORT 2025 layout
    assert counts.loc[("received", "massager"), "n"] == 1
    assert counts.loc[("not_received", "massager"), ["n", "detail"]].tolist() == [
        1,
        "No recorded use of the allocated device: 1",
    ]
    assert counts.loc[("lost_to_follow_up", "massager"), "n"] == 1
    assert counts.loc[("discontinued_other", "massager"), ["n", "detail"]].tolist() == [0, ""]
    assert counts.loc[("excluded_from_analysis", "massager"), ["n", "detail"]].tolist() == [
        1,
        "No primary outcome at the primary visit: 1",
    ]
    assert counts.loc[("excluded_from_analysis", "control"), ["n", "detail"]].tolist() == [0, ""]
    figure = draw_consort(counts.reset_index(), DESIGN)
    texts = " ".join(" ".join(t.get_text().split()) for t in figure.axes[0].texts)
    assert "Allocated to Heat therapy (n = 0)" in texts
    assert "Assessed for eligibility (n = 5)" in texts
    assert "Did not receive allocated intervention (n = 1)" in texts
    assert "Excluded from analysis (n = 1)" in texts


def test_discontinuations_split_into_lost_and_other_reasons_coded():
    ledger, adsl, analysed = DEFAULT
    counts = consort_counts(ledger, adsl, analysed, ARMS, CODING).set_index(["box", "arm"])
    assert counts.loc[("discontinued", "control"), "n"] == 7  # 3 + 2 + 2
    assert counts.loc[("lost_to_follow_up", "control"), "n"] == 2
    assert counts.loc[("discontinued_other", "control"), ["n", "detail"]].tolist() == [
        5,
        "Adverse event: 3\nWithdrawal by participant: 2",
    ]
    assert counts.loc[("analysed", "massager"), "n"] == 60 - 7 - 1
    assert counts.loc[("excluded_from_analysis", "massager"), "n"] == 8
    assert counts.loc[("not_received", "combined"), "n"] == 1
    # a text the coding does not list is "Other", never shown as it is
    coding = {"discontinuation": {"Lost to follow-up": "Lost to follow-up"}}
    counts = consort_counts(ledger, adsl, analysed, ARMS, coding).set_index(["box", "arm"])
    assert counts.loc[("discontinued_other", "control"), "detail"] == "Other: 5"


def boxes_and_texts(figure):
    """The rectangles and the texts (window extents) of the drawing, arrows aside."""
    renderer = figure.canvas.get_renderer()
    figure.draw(renderer)
    axes = figure.axes[0]
    boxes = [p.get_window_extent(renderer) for p in axes.patches if isinstance(p, Rectangle)]
    texts = [
        (t.get_text(), t.get_window_extent(renderer))
        for t in axes.texts
        if not isinstance(t, Annotation)
    ]
    return renderer, boxes, texts


@pytest.mark.parametrize("flow", FLOWS)
@pytest.mark.parametrize(
    ("dpi", "style"), [(100, None), (300, None), (300, {"font.size": 10})], ids=str
)
def test_every_text_lies_inside_its_box_and_no_boxes_overlap(flow, dpi, style):
    """At the screen's resolution, the PNG's, and with a caller's larger font."""
    figure = draw_consort(FLOWS[flow], DESIGN, style)
    figure.set_dpi(dpi)
    _, boxes, texts = boxes_and_texts(figure)
    for text, extent in texts:
        centre = ((extent.x0 + extent.x1) / 2, (extent.y0 + extent.y1) / 2)
        (box,) = [b for b in boxes if b.contains(*centre)]
        assert box.x0 + 1 <= extent.x0 and extent.x1 <= box.x1 - 1, text
        assert box.y0 + 1 <= extent.y0 and extent.y1 <= box.y1 - 1, text
    for k, one in enumerate(boxes):
        for two in boxes[k + 1 :]:
            assert not one.overlaps(two), (one, two)


def on_edge(point, box, tolerance=1.5) -> bool:
    """The point lies on the box's border."""
    x, y = point
    within_x = box.x0 - tolerance <= x <= box.x1 + tolerance
    within_y = box.y0 - tolerance <= y <= box.y1 + tolerance
    on_side = min(abs(x - box.x0), abs(x - box.x1)) <= tolerance and within_y
    on_top = min(abs(y - box.y0), abs(y - box.y1)) <= tolerance and within_x
    return on_side or on_top


@pytest.mark.parametrize("flow", FLOWS)
def test_connectors_are_orthogonal_and_arrows_end_on_box_edges(flow):
    figure = draw_consort(FLOWS[flow], DESIGN)
    renderer, boxes, _ = boxes_and_texts(figure)
    axes = figure.axes[0]
    for line in axes.lines:
        xs, ys = line.get_xdata(), line.get_ydata()
        assert len(set(xs)) == 1 or len(set(ys)) == 1
    arrows = [t for t in axes.texts if isinstance(t, Annotation)]
    assert len(arrows) == 2 + 3 * len(ARMS)  # trunk, excluded, three per arm
    for arrow in arrows:
        start, end = axes.transData.transform([arrow.xyann, arrow.xy])
        assert abs(start[0] - end[0]) < 0.01 or abs(start[1] - end[1]) < 0.01
        assert any(on_edge(end, box) for box in boxes), end
        # the drawn head reaches the edge and stops there (not inside the box)
        head = arrow.arrow_patch.get_window_extent(renderer)
        reach = {
            (0, -1): head.y0 - end[1],
            (0, 1): head.y1 - end[1],
            (1, 0): head.x1 - end[0],
            (-1, 0): head.x0 - end[0],
        }
        direction = tuple(int(v) for v in (end - start) / abs(end - start).max())
        assert abs(reach[direction]) <= 1.5, (flow, reach[direction])


@pytest.mark.parametrize("flow", FLOWS)
def test_arms_by_their_labels_never_their_codes(flow):
    # codes unlike any word of the texts ("massager" is also in "Foot massager")
    codes = {"control": "arm0", "massager": "arm1", "heat": "arm2", "combined": "arm3"}
    design = Design.from_config(
        [{**arm, "code": codes[arm["code"]]} for arm in ARM_CONFIG], [VISIT]
    )
    counts = FLOWS[flow].assign(arm=FLOWS[flow]["arm"].replace(codes))
    figure = draw_consort(counts, design)
    texts = " ".join(" ".join(t.get_text().split()) for t in figure.axes[0].texts)
    assert not [code for code in codes.values() if code in texts]
    for label in ("No intervention", "Foot massager", "Heat therapy", "Massager + heat"):
        assert f"Allocated to {label} (n = " in texts
