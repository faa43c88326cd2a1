"""The CONSORT flow diagram: its counts, from the row ledger and the datasets, and the
drawing.

The diagram follows the CONSORT 2025 template for any number of arms: stage labels
(Enrollment, Allocation, Follow-up, Analysis) on the left; assessed for eligibility,
the excluded with their reasons to the right, randomized; then one column per arm:
allocated (received and did not receive the allocated intervention), follow-up (lost
to follow-up, discontinued intervention) and analysis (analysed, excluded from
analysis). Every box is sized to its text, measured with the renderer; every connector
is horizontal or vertical and ends on a box edge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from rlstrial.figures.style import DOUBLE_COLUMN, themed
from rlstrial.plan import Design

#: the reason derive gives a participant whose disposition is "lost to follow-up"
LOST = "Lost to follow-up"
#: why a participant did not receive the allocated intervention (SAFFL is not Y: no
#: recorded use of the allocated device)
NOT_RECEIVED = "No recorded use of the allocated device"
#: why an allocated participant is not among the analysed
NO_OUTCOME = "No primary outcome at the primary visit"


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

    Parameters
    ----------
    ledger
        The row ledger (file, dataset, reason): screening.csv rows that reached adsl
        were randomized, those in ``excluded`` were not, with the reason.
    adsl
        The subject-level dataset: TRT01P, SAFFL, EOSSTT, DCSREAS.
    analysed
        One row per participant analysed for the primary outcome at the primary visit
        (TRT01P), e.g. :func:`rlstrial.effects.primary_visit_changes`.
    arms
        Arm codes, in the order of the diagram's columns.
    reasons
        The coding of free-text reasons (config ``reasons``): ``screening`` and
        ``discontinuation``, each text to its category.

    Returns
    -------
    DataFrame
        box, arm (empty for the enrolment boxes), n, detail (reasons as
        "reason: n", one per line, sorted with "Other" last). The boxes:

        - ``assessed``, ``excluded`` (not randomized, with reasons), ``randomized``;
        - per arm: ``allocated`` (detail: "received allocated intervention: n"),
          ``received`` (SAFFL Y), ``not_received`` (SAFFL not Y, reason
          :data:`NOT_RECEIVED`), ``discontinued`` (EOSSTT not COMPLETED, with the
          coded reasons), split into ``lost_to_follow_up`` (DCSREAS or its category
          is :data:`LOST`) and ``discontinued_other`` (the others, with reasons),
          ``analysed`` (detail: "with the primary outcome at the primary visit") and
          ``excluded_from_analysis`` (allocated but not analysed, reason
          :data:`NO_OUTCOME`).

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
    >>> counts.loc[counts["box"] == "excluded_from_analysis", ["n", "detail"]].values.tolist()
    [[1, 'No primary outcome at the primary visit: 1']]
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
        {"box": "excluded", "arm": "", "n": len(excluded), "detail": _listed(reasons_excluded)},
        {"box": "randomized", "arm": "", "n": len(adsl), "detail": ""},
    ]
    for arm in arms:
        rows += _arm_counts(
            adsl[adsl["TRT01P"] == arm],
            int((analysed["TRT01P"] == arm).sum()),
            reasons.get("discontinuation"),
            arm,
        )
    return pd.DataFrame(rows)


def _arm_counts(
    members: pd.DataFrame, analysed: int, coding: dict[str, str] | None, arm: str
) -> list[dict]:
    """The boxes of one arm (see :func:`consort_counts`)."""
    received = int(members["SAFFL"].eq("Y").sum())
    texts = members.loc[members["EOSSTT"] != "COMPLETED", "DCSREAS"]
    coded = _code(texts, coding)
    lost = (texts.eq(LOST) | coded.eq(LOST)) & coded.notna()
    stopped, other = _tally(coded), _tally(coded[~lost])
    missing = len(members) - analysed
    rows = [
        ("allocated", len(members), f"received allocated intervention: {received}"),
        ("received", received, ""),
        ("not_received", len(members) - received, _reason(NOT_RECEIVED, len(members) - received)),
        ("discontinued", int(stopped.sum()), _listed(stopped)),
        ("lost_to_follow_up", int(lost.sum()), ""),
        ("discontinued_other", int(other.sum()), _listed(other)),
        ("analysed", analysed, "with the primary outcome at the primary visit"),
        ("excluded_from_analysis", missing, _reason(NO_OUTCOME, missing)),
    ]
    return [{"box": box, "arm": arm, "n": n, "detail": detail} for box, n, detail in rows]


def _code(texts: pd.Series, mapping: dict[str, str] | None) -> pd.Series:
    """Each text's category ("Other" for a text not mapped); the texts without a mapping."""
    return texts if mapping is None else texts.map(lambda text: mapping.get(text, "Other"))


def _tally(categories: pd.Series) -> pd.Series:
    """Counts of the categories, sorted, with "Other" last."""
    counts = categories.value_counts()
    order = sorted(set(counts.index) - {"Other"}) + (["Other"] if "Other" in counts else [])
    return counts.loc[order]


def _coded(texts: pd.Series, mapping: dict[str, str] | None) -> pd.Series:
    """Counts of the texts' categories ("Other" for a text not mapped), sorted, with
    "Other" last; the texts themselves without a mapping."""
    return _tally(_code(texts, mapping))


def _listed(counts: pd.Series) -> str:
    return "\n".join(f"{reason}: {n}" for reason, n in counts.items())


def _reason(reason: str, n: int) -> str:
    return f"{reason}: {n}" if n else ""


# --- the drawing ------------------------------------------------------------------
# Lengths in points; the axes span the figure, with y growing downwards.

MARGIN = 3.0  # around the drawing
PAD_X, PAD_Y = 4.0, 3.0  # inside a box, around its text
ITEM_GAP = 1.2  # between the items of a box
#: hinting makes a text's width vary with the resolution (the PNG's, a screen's) and the
#: font by up to about 6% of what the renderer measured: texts are wrapped and boxes
#: sized so that a text this much wider still leaves a quarter of the padding
SLACK = 0.07
COLUMN_GAP = 6.0  # between the arms' boxes
ROW_GAP = 15.0  # between rows of boxes: the arrows
BAND_GAP = 6.0  # between the stage bands and the boxes
LINE_WIDTH = 0.6
ARROW = {
    "arrowstyle": "-|>,head_length=0.5,head_width=0.22",
    "mutation_scale": 7,
    "shrinkA": 0,
    "shrinkB": 0,
    "lw": LINE_WIDTH,
    "color": "black",
    "joinstyle": "miter",  # the head's stroked tip on the end point (round stops short)
}
BAND_COLOUR = "#E4E4E4"
STAGE_WEIGHT = "bold"
KEEP = "\N{NO-BREAK SPACE}"  # between words a line should not break
MARKERS = ("", "\N{BULLET}", "\N{EN DASH}")  # before the items of level 0, 1, 2


@dataclass
class _Box:
    """A box's place (left, top, width, height) and its typeset lines (x, y, text)
    relative to the box's top left corner."""

    left: float
    top: float
    width: float
    height: float
    lines: list[tuple[float, float, str]]

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def centre(self) -> float:
        return self.left + self.width / 2


class _Typesetter:
    """Measures and wraps texts with the figure's renderer, in points."""

    def __init__(self, figure: plt.Figure, size: str | float = "small"):
        canvas = figure.canvas
        self.renderer = (
            canvas.get_renderer() if hasattr(canvas, "get_renderer") else figure._get_renderer()
        )
        self.scale = 72 / figure.dpi
        self.size = size
        self.probe = Text(0, 0, "", fontsize=size)
        self.probe.set_figure(figure)
        self.indent = self.extent(f"{MARKERS[1]} ")[0]

    def extent(self, text: str, weight: str = "normal") -> tuple[float, float]:
        """Width and height of the text, in points."""
        self.probe.set_text(text)
        self.probe.set_fontweight(weight)
        bbox = self.probe.get_window_extent(self.renderer)
        return bbox.width * self.scale, bbox.height * self.scale

    def wrap(self, text: str, width: float) -> str:
        """The text broken at its spaces into lines no wider than ``width``; not at a
        no-break space (:data:`KEEP`) unless the words so joined are wider than a line,
        and inside a word only when it is wider than a line."""
        lines: list[str] = []
        for word in re.findall(f"[^ \n{KEEP}]+(?:{KEEP}[^ \n{KEEP}]+)*", text):
            for piece in self._pieces(word, width):
                if lines and self.extent(f"{lines[-1]} {piece}")[0] <= width:
                    lines[-1] = f"{lines[-1]} {piece}"
                else:
                    lines.append(piece)
        return "\n".join(lines)

    def _pieces(self, word: str, width: float) -> list[str]:
        """The word (no-break spaces as spaces) in pieces no wider than ``width``."""
        shown = word.replace(KEEP, " ")
        if self.extent(shown)[0] <= width:
            return [shown]
        if KEEP in word:
            return [piece for part in word.split(KEEP) for piece in self._pieces(part, width)]
        pieces = [""]
        for char in word:
            if pieces[-1] and self.extent(pieces[-1] + char)[0] > width:
                pieces.append("")
            pieces[-1] += char
        return pieces

    def box(self, items: list[tuple[int, str]], width: float | None, most: float) -> _Box:
        """A box of the items (level 0, 1 or 2: indented, with a marker), ``width`` wide
        (its text's width when None) and at most ``most`` wide, without its place."""
        room = (width or most) - 1.25 * PAD_X  # for the indent and the text
        lines, y, natural = [], PAD_Y, 2 * PAD_X
        for level, text in items:
            x = self.indent * level
            wrapped = self.wrap(text, (room - x) / (1 + SLACK))
            text_width, height = self.extent(wrapped)
            if level:
                lines.append((PAD_X + x - self.indent, y, MARKERS[level]))
            lines.append((PAD_X + x, y, wrapped))
            natural = max(
                natural, x + text_width * (1 + SLACK) + 1.25 * PAD_X, x + text_width + 2 * PAD_X
            )
            y += height + ITEM_GAP
        width = width or natural
        return _Box(0.0, 0.0, width, y - ITEM_GAP + PAD_Y, lines)


def _n(text: str, n) -> str:
    """The text and its count, kept on one line."""
    return f"{text} {_kept(f'(n = {n})')}"


def _kept(text: str) -> str:
    """The text's spaces as no-break spaces: kept on one line when it fits."""
    return text.replace(" ", KEEP)


def _reasons(detail, level: int) -> list[tuple[int, str]]:
    """A box's items from a detail "reason: n" per line: "reason (n = n)" (none from an
    empty or missing detail)."""
    items = []
    for line in detail.split("\n") if isinstance(detail, str) else []:
        reason, _, n = line.rpartition(": ")
        if line.strip():
            items.append((level, _n(reason, n) if reason and n.strip().isdigit() else line))
    return items


def _arm_items(rows: pd.DataFrame, label: str) -> list[list[tuple[int, str]]]:
    """The items of an arm's allocation, follow-up and analysis boxes, from its rows
    (indexed by box); a box missing from the counts is left out."""

    def counted(box: str, text: str, level: int, reasons_level: int) -> list[tuple[int, str]]:
        if box not in rows.index:
            return []
        row = rows.loc[box]
        return [(level, _n(text, row["n"])), *_reasons(row["detail"], reasons_level)]

    allocated = [(0, _n(f"Allocated to {_kept(label)}", rows.loc["allocated", "n"]))]
    allocated += counted("received", "Received allocated intervention", 1, 2)
    allocated += counted("not_received", "Did not receive allocated intervention", 1, 2)
    follow_up = counted("lost_to_follow_up", "Lost to follow-up", 0, 1)
    follow_up += counted("discontinued_other", "Discontinued intervention", 0, 1)
    if not follow_up:  # counts without the split: all discontinuations
        follow_up = counted("discontinued", "Discontinued", 0, 1)
    analysis = counted("analysed", "Analysed", 0, 1)[:1]
    analysis += counted("excluded_from_analysis", "Excluded from analysis", 0, 1)
    return [allocated, follow_up, analysis]


def _draw_box(axes, box: _Box, size) -> None:
    axes.add_patch(
        Rectangle(
            (box.left, box.top),
            box.width,
            box.height,
            linewidth=LINE_WIDTH,
            edgecolor="black",
            facecolor="white",
        )
    )
    for x, y, text in box.lines:
        axes.text(box.left + x, box.top + y, text, ha="left", va="top", fontsize=size)


def _arrow(axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    axes.annotate("", xy=end, xytext=start, arrowprops=ARROW)


def _line(axes, xs: list[float], ys: list[float]) -> None:
    axes.plot(xs, ys, color="black", linewidth=LINE_WIDTH, solid_capstyle="projecting")


def _enrolment(setter: _Typesetter, top: pd.DataFrame, left: float, right: float) -> list[_Box]:
    """Assessed, excluded and randomized, placed: assessed and randomized centred over
    the arms' columns (``left`` to ``right``), the excluded to the right, between them,
    all three at least as tall as the Enrollment label."""
    centre, half = (left + right) / 2, (right - left) / 2
    assessed = setter.box(
        [(0, _n("Assessed for eligibility", top.loc["assessed", "n"]))], None, half
    )
    randomized = setter.box([(0, _n("Randomized", top.loc["randomized", "n"]))], None, half)
    offset = min(max(assessed.width, randomized.width) / 2 + 6, 0.4 * half)
    reasons = _reasons(top.loc["excluded", "detail"], 1)
    excluded = setter.box(
        [(0, _n("Excluded", top.loc["excluded", "n"])), *reasons], None, half - offset
    )
    height = assessed.height + excluded.height + randomized.height
    gap = max(ROW_GAP * 0.6, (_stage_length(setter, "Enrollment") - height) / 2)
    assessed.left, assessed.top = centre - assessed.width / 2, MARGIN
    excluded.left, excluded.top = centre + offset, assessed.bottom + gap
    randomized.left = centre - randomized.width / 2
    randomized.top = excluded.bottom + gap
    return [assessed, excluded, randomized]


def _stage_length(setter: _Typesetter, label: str) -> float:
    """The least height of a stage's band: its label's length and padding."""
    return setter.extent(label, STAGE_WEIGHT)[0] * (1 + SLACK) + 2 * PAD_X


def _stage(axes, setter: _Typesetter, label: str, top: float, bottom: float) -> None:
    """A stage's band on the left, from ``top`` to ``bottom``, with its label."""
    width = setter.extent(label)[1] + 2 * PAD_Y
    axes.add_patch(
        Rectangle((MARGIN, top), width, bottom - top, linewidth=0, facecolor=BAND_COLOUR)
    )
    axes.text(
        MARGIN + width / 2,
        (top + bottom) / 2,
        label,
        rotation=90,
        ha="center",
        va="center",
        fontsize=setter.size,
        fontweight=STAGE_WEIGHT,
    )


def draw_consort(counts: pd.DataFrame, design: Design, style: dict | None = None) -> plt.Figure:
    """The CONSORT 2025 flow diagram for any number of arms, two columns wide.

    Stage labels on the left (Enrollment, Allocation, Follow-up, Analysis); assessed for
    eligibility, the excluded with their reasons (joined by a horizontal arrow from the
    line down to randomized), randomized; a bar with one drop to each arm's column; per
    arm, allocated (received, did not receive the allocated intervention), lost to
    follow-up and discontinued intervention, analysed and excluded from analysis, with
    their reasons. Each box is sized to its text (wrapped to the column), the figure
    as tall as it needs; zero counts are drawn; arms by their labels.

    Parameters
    ----------
    counts
        :func:`consort_counts`' table (or the same read back from CSV with
        ``keep_default_na=False``). Boxes added to it after the first version
        (``received``, ``not_received``, ``lost_to_follow_up``,
        ``discontinued_other``, ``excluded_from_analysis``) are left out when absent.
    design
        The trial's design: the arms' order and labels.
    style
        rcParams over the theme and the caller's settings (see
        :func:`rlstrial.figures.style.themed`).

    Returns
    -------
    Figure
        :data:`~rlstrial.figures.style.DOUBLE_COLUMN` wide.

    Examples
    --------
    >>> from rlstrial.plan import Design
    >>> design = Design.from_config(
    ...     [{"code": "c", "label": "Usual care", "massager": False, "heat": False}],
    ...     [{"code": "W0", "label": "Baseline", "week": 0, "baseline": True}])
    >>> counts = pd.DataFrame({"box": ["assessed", "excluded", "randomized", "allocated"],
    ...     "arm": ["", "", "", "c"], "n": [3, 1, 2, 2], "detail": ["", "Other: 1", "", ""]})
    >>> figure = draw_consort(counts, design)
    >>> [text.get_text() for text in figure.axes[0].texts][:3]
    ['Assessed for eligibility (n = 3)', 'Excluded (n = 1)', '•']
    """
    with themed(style):
        figure = plt.figure(figsize=(DOUBLE_COLUMN, DOUBLE_COLUMN))
        axes = figure.add_axes((0, 0, 1, 1))
        axes.axis("off")
        setter = _Typesetter(figure)
        width = DOUBLE_COLUMN * 72
        band = setter.extent("Enrollment")[1] + 2 * PAD_Y
        left, right = MARGIN + band + BAND_GAP, width - MARGIN
        counts = counts.assign(arm=counts["arm"].fillna(""))  # read back with NA as NaN
        top = counts[counts["arm"] == ""].set_index("box")
        assessed, excluded, randomized = _enrolment(setter, top, left, right)
        centre = (left + right) / 2
        for box in (assessed, excluded, randomized):
            _draw_box(axes, box, setter.size)
        _arrow(axes, (centre, assessed.bottom), (centre, randomized.top))
        middle = excluded.top + excluded.height / 2
        _arrow(axes, (centre, middle), (excluded.left, middle))
        _stage(axes, setter, "Enrollment", assessed.top, randomized.bottom)
        bottom = _arms(axes, setter, counts, design, (left, right), randomized)
        figure.set_size_inches(DOUBLE_COLUMN, (bottom + MARGIN) / 72)
        axes.set_xlim(0, width)
        axes.set_ylim(bottom + MARGIN, 0)
    return figure


def _arms(axes, setter: _Typesetter, counts, design: Design, span, randomized: _Box) -> float:
    """Draw the arms' columns under randomized; the bottom of the drawing."""
    codes = design.arm_codes
    left, right = span
    column = (right - left + COLUMN_GAP) / len(codes) - COLUMN_GAP
    boxes = []
    for k, code in enumerate(codes):
        rows = counts[counts["arm"] == code].set_index("box")
        items = _arm_items(rows, design.arm_label(code))
        boxes.append([setter.box(box_items, column, column) for box_items in items])
        for box in boxes[-1]:
            box.left = left + k * (column + COLUMN_GAP)
    bar = randomized.bottom + ROW_GAP * 0.6
    centres = [column_boxes[0].centre for column_boxes in boxes]
    _line(axes, [randomized.centre] * 2, [randomized.bottom, bar])
    if len(centres) > 1:
        _line(axes, [centres[0], centres[-1]], [bar, bar])
    top = bar + ROW_GAP * 0.6
    labels = ("Allocation", "Follow-up", "Analysis")
    for stage, label in enumerate(labels):
        row = [column_boxes[stage] for column_boxes in boxes]
        height = max([box.height for box in row] + [_stage_length(setter, label)])
        for box, centre in zip(row, centres, strict=True):
            start = bar if stage == 0 else top - ROW_GAP
            _arrow(axes, (centre, start), (centre, top))
            box.top, box.height = top, height
            _draw_box(axes, box, setter.size)
        _stage(axes, setter, label, top, top + height)
        top += height + ROW_GAP
    return top - ROW_GAP
