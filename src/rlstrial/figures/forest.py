"""The forest plot of the contrasts across outcomes, after R's forestploter /
forestplot and metafor's ``forest``: a table of labelled rows with the intervals
drawn between the label column and the text columns.

Design
------
*Rows.* Outcomes are grouped by family (``plan.families``: the primary outcome's
family first, the primary outcome first in it), each family under a bold header; an
outcome's label heads its rows, one row per contrast labelled in words
(``plan.design.contrast_label``). The primary outcome's label ends in "(primary
outcome)". Two text columns give the difference with its CI and the p-value; a row the
model could not estimate reads "not estimable" and draws nothing.

*Panels: scales and directions.* One x axis cannot serve all outcomes: the scores run
0-40 or 0-100, sleep quantity is in hours, and for a few outcomes higher is better.
So the rows of a family are split into panels, each with its own x axis (ticks under
its last row) and its own "favours" labels (on its first row, either side of the
line of no difference): an outcome joins the first panel of its family that has the
same better direction and a comparable scale (the largest extent of its intervals
from 0 within 5-fold of every member's), else it opens a new panel. Families with one
direction and one scale keep one panel (RLS severity, quality of life); the Sleep
family gets a panel for the lower-is-better scores, one for sleep adequacy (higher is
better) and one for sleep quantity (hours). Each panel's favours labels follow its
direction (lower is better: a negative difference favours the active side; higher
is better: a positive one), so no row ever contradicts the labels above it; per-row
direction markers under one shared axis were the alternative, but they leave the
reader to flip the labels row by row. The outcomes of a panel stay in the plan's
order; the panels of a family are ordered by their first outcome.

*Favours wording* comes from the plan's arm labels: "Favours the active arm" against
"Favours no intervention" (the control arm's label) for the arms versus control (an
active arm's own label when there is one contrast), and "Favours the factor" against
"Favours its absence" for the factorial effects (the factor's own label, from the arm
with that factor alone, when there is one main effect), the row naming the factor.
On the side favouring the factor, an interaction means the two factors together do
better than the sum of their separate effects (a footnote says so).

*Page.* Double-column width (:data:`~rlstrial.figures.style.DOUBLE_COLUMN`); text at
the theme's font size, ticks, favours labels and footnote at ``small``; rows 1.2 font
sizes apart, so that the height grows with the rows (12 outcomes x 3 contrasts fit in
about 225 mm). The columns are measured from the text, the plot column takes the rest
of the width (at least 40 mm; longer labels wrap). Every second outcome of a family
lies on a light grey band, to follow a row from its label to its numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.textpath import TextToPath
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Affine2D

from rlstrial.figures.style import DOUBLE_COLUMN, themed
from rlstrial.plan import FACTORS, Design, Outcome, Plan, ci_label

NOT_ESTIMABLE = "not estimable"
MINUS = "\u2212"
#: outcomes whose intervals' extents from 0 differ more than this share no x axis
SCALE_RATIO = 5.0
#: how the adjustment methods of the result tables read
METHODS = {"holm": "Holm", "bonferroni": "Bonferroni", "hommel": "Hommel", "dunnett": "Dunnett"}
UNADJUSTED_MARK = "\u2020"  # dagger

MM_PER_PT = 25.4 / 72
PITCH = 1.2  # row spacing, in font sizes of the row text
MARGIN = 1.5  # mm around the figure
GAP = 2.5  # mm between columns
MIN_PLOT = 40.0  # mm: the narrowest plot column before labels wrap
INDENT = {"family": 0.0, "favours": 0.0, "outcome": 1.5, "contrast": 4.0}
INK = "#000000"
NULL_LINE = "#999999"
BAND = "#EFEFEF"  # every other outcome of a family, to follow a row across


def plot_forest(
    results: pd.DataFrame,
    plan: Plan,
    contrasts: list[str],
    *,
    style: dict | None = None,
) -> plt.Figure:
    """Forest plot of the named contrasts across outcomes, grouped by family.

    Parameters
    ----------
    results
        The stacked result tables at one visit; its ``kind == "contrast"`` rows of the
        named contrasts are drawn (columns outcome, visit, contrast, estimate,
        ci_level, ci_lower, ci_upper, p_value, p_adjusted, adjustment). A row with a
        missing estimate reads "not estimable" and draws no interval.
    plan
        The analysis plan: the outcomes by family (labels, better direction), the
        primary outcome, and the design (contrast and arm labels).
    contrasts
        Contrast names of the plan's design, in the order of the rows within an
        outcome.
    style
        rcParams over the theme and the caller's settings.

    Returns
    -------
    matplotlib.figure.Figure
        Double-column wide. The texts and marks of the figure's k-th row from the top
        have ids (``get_gid()``): ``label-k``, ``estimate-k`` (the estimate, or "not
        estimable"), ``ci-k`` ("(lower, upper)"), ``p-k``, and in its panel's axes
        ``interval-k`` and ``point-k``; a panel's favours labels are
        ``favours-left-k`` and ``favours-right-k`` on its first row; the footnote's
        lines ``note-j``.

    Raises
    ------
    ValueError
        No row of the named contrasts, or an outcome and contrast with several rows
        (several visits or analyses: filter the results first).

    Notes
    -----
    The layout (panels per direction and scale, the favours wording) is described
    in the module's docstring.

    Examples
    --------
    >>> from rlstrial.plan import Design, Outcome, Plan, Primary
    >>> design = Design.from_config(
    ...     [{"code": "c", "label": "No intervention", "massager": False, "heat": False},
    ...      {"code": "m", "label": "Foot massager", "massager": True, "heat": False},
    ...      {"code": "h", "label": "Heat therapy", "massager": False, "heat": True},
    ...      {"code": "b", "label": "Massager + heat", "massager": True, "heat": True}],
    ...     [{"code": "W4", "label": "Week 4", "week": 4}])
    >>> plan = Plan(design=design, primary=Primary("SEV", "W4", "m vs c", "mmrm"),
    ...     outcomes=(Outcome("SEV", "Severity (0-40)", "S", "lower", "Severity"),
    ...               Outcome("QOL", "Quality of life (0-100)", "Q", "higher", "Quality")))
    >>> results = pd.DataFrame({"outcome": ["SEV", "SEV", "QOL", "QOL"],
    ...     "visit": "Week 4", "kind": "contrast", "contrast": ["m vs c", "h vs c"] * 2,
    ...     "estimate": [-6.5, -3.2, 9.3, np.nan], "ci_level": 0.95,
    ...     "ci_lower": [-8.2, -4.9, 4.6, np.nan], "ci_upper": [-4.9, -1.6, 13.9, np.nan],
    ...     "p_value": [0.0001, 0.0002, 0.012, np.nan],
    ...     "p_adjusted": [0.0002, 0.0002, 0.024, np.nan], "adjustment": "holm"})
    >>> figure = plot_forest(results, plan, ["m vs c", "h vs c"])
    >>> def column(prefix):  # the texts of a column, top to bottom (y: mm from the top)
    ...     texts = [t for t in figure.texts if (t.get_gid() or "").startswith(prefix)]
    ...     return [t.get_text() for t in sorted(texts, key=lambda t: t.get_position()[1])]
    >>> column("label-")  # doctest: +NORMALIZE_WHITESPACE
    ['Severity', 'Severity (0-40) (primary outcome)', 'Foot massager vs no intervention',
     'Heat therapy vs no intervention', 'Quality', 'Quality of life (0-100)',
     'Foot massager vs no intervention', 'Heat therapy vs no intervention']
    >>> column("estimate-"), column("ci-")  # doctest: +NORMALIZE_WHITESPACE
    (['−6.50', '−3.20', '9.30', 'not estimable'],
     ['(−8.20, −4.90)', '(−4.90, −1.60)', '(4.60, 13.90)'])
    >>> column("p-")
    ['<0.001', '<0.001', '0.024', '']
    >>> column("favours-left"), column("favours-right")  # doctest: +NORMALIZE_WHITESPACE
    (['← Favours the active arm', '← Favours no intervention'],
     ['Favours no intervention →', 'Favours the active arm →'])
    """
    table = _contrast_rows(results, contrasts)
    blocks = _panels(plan, table, contrasts)
    with themed(style):
        fonts = _Fonts()
        rows = _rows(plan, table, contrasts, blocks)
        columns = _columns(rows, table, fonts)
        _wrap_labels(rows, columns, fonts)
        for block in blocks:
            block.limits, block.ticks = _limits(block, rows)
        _place_favours(rows, blocks, columns, fonts, plan.design, contrasts)
        notes = _footnote(table, plan.design, contrasts, len(blocks) > 1)
        layout = _vertical(rows, blocks, fonts, notes)
        figure = plt.figure(figsize=(DOUBLE_COLUMN, layout.height / 25.4))
        _draw(figure, layout, rows, blocks, columns, fonts)
    return figure


# --- the rows to draw -----------------------------------------------------------------


def _contrast_rows(results: pd.DataFrame, contrasts: list[str]) -> pd.DataFrame:
    """The results' rows of the named contrasts, one per outcome and contrast."""
    rows = results[(results["kind"] == "contrast") & results["contrast"].isin(contrasts)]
    if rows.empty:
        raise ValueError(f"the results have no contrast rows of {contrasts}")
    repeated = rows[rows.duplicated(["outcome", "contrast"], keep=False)]
    if not repeated.empty:
        pairs = sorted(set(zip(repeated["outcome"], repeated["contrast"], strict=True)))
        raise ValueError(
            "one row per outcome and contrast is needed (filter the results to one visit"
            f" and analysis); repeated: {pairs[:5]}"
        )
    return rows.set_index(["outcome", "contrast"])


@dataclass
class _Row:
    """A line of the figure: a family header, a favours line, an outcome label or a
    contrast (with its numbers)."""

    kind: str
    label: str = ""
    estimate: float = math.nan
    lower: float = math.nan
    upper: float = math.nan
    text: str = ""  # the estimate and its interval, or "not estimable"
    point: str = ""  # the estimate alone (its column is right-aligned)
    interval: str = ""  # "(lower, upper)" (left-aligned after it)
    p: str = ""
    lines: list[str] = field(default_factory=list)
    bold: bool = False
    y: float = 0.0  # mm from the top: the centre of the row
    height: float = 0.0  # mm


@dataclass
class _Panel:
    """Outcomes of a family drawn on one x axis: one better direction, one scale."""

    family: str
    better: str
    outcomes: list[Outcome]
    extents: list[float]
    rows: list[int] = field(default_factory=list)  # the row indices drawn on the axis
    favours: int = -1  # the row holding the favours labels
    limits: tuple[float, float] = (-1.0, 1.0)
    ticks: list[float] = field(default_factory=list)
    labels: tuple[str, str] = ("", "")  # favours, left and right of 0
    at: tuple[float, float] = (0.0, 0.0)  # mm: where the left one ends, the right starts

    def accepts(self, outcome: Outcome, extent: float) -> bool:
        if outcome.better != self.better:
            return False
        known = [e for e in [*self.extents, extent] if e > 0]
        return not known or max(known) <= SCALE_RATIO * min(known)


def _panels(plan: Plan, table: pd.DataFrame, contrasts: list[str]) -> list[_Panel]:
    """The panels, family by family: each outcome joins the first panel of its family
    with its direction and a comparable scale, else opens one."""
    present = set(table.index.get_level_values("outcome"))
    panels: list[_Panel] = []
    for family, outcomes in plan.families.items():
        own: list[_Panel] = []
        for outcome in (o for o in outcomes if o.code in present):
            extent = _extent(table.loc[outcome.code])
            panel = next((p for p in own if p.accepts(outcome, extent)), None)
            if panel is None:
                panel = _Panel(family, outcome.better, [], [])
                own.append(panel)
            panel.outcomes.append(outcome)
            panel.extents.append(extent)
        panels += own
    return panels


def _extent(rows: pd.DataFrame) -> float:
    """How far from 0 an outcome's estimates and limits reach (0: none estimable)."""
    values = rows[["estimate", "ci_lower", "ci_upper"]].to_numpy(float)
    values = np.abs(values[np.isfinite(values)])
    return float(values.max()) if values.size else 0.0


def _rows(plan: Plan, table: pd.DataFrame, contrasts: list[str], panels) -> list[_Row]:
    """The figure's lines top to bottom; each panel's favours labels go on its
    family's header (the family's first panel) or on a line of their own."""
    primary = plan.primary.outcome if plan.primary else None
    marks = _p_marks(table)
    rows: list[_Row] = []
    previous = None
    for panel in panels:
        if panel.family != previous:
            rows.append(_Row("family", panel.family, bold=True))
        else:
            rows.append(_Row("favours"))
        panel.favours, previous = len(rows) - 1, panel.family
        for outcome in panel.outcomes:
            label = outcome.label + (" (primary outcome)" if outcome.code == primary else "")
            rows.append(_Row("outcome", label))
            panel.rows.append(len(rows) - 1)
            at = table.loc[outcome.code]
            for name in (c for c in contrasts if c in at.index):
                rows.append(_contrast_row(at.loc[name], plan.design.contrast_label(name), marks))
                panel.rows.append(len(rows) - 1)
    return rows


def _contrast_row(result: pd.Series, label: str, marks: bool) -> _Row:
    estimate = float(result["estimate"])
    if not math.isfinite(estimate):
        return _Row("contrast", label, text=NOT_ESTIMABLE)
    adjustment = result.get("adjustment", "none")
    adjusted = isinstance(adjustment, str) and adjustment != "none"
    p = result.get("p_adjusted") if adjusted else result.get("p_value")
    mark = UNADJUSTED_MARK if marks and not adjusted else ""
    lower, upper = float(result["ci_lower"]), float(result["ci_upper"])
    point, interval = _number(estimate), f"({_number(lower)}, {_number(upper)})"
    return _Row(
        "contrast",
        label,
        estimate=estimate,
        lower=lower,
        upper=upper,
        text=f"{point} {interval}",
        point=point,
        interval=interval,
        p=(_p(p) + mark) if p is not None and pd.notna(p) else "",
    )


def _number(value: float) -> str:
    """A number in the text columns: two decimals, a true minus sign, no "-0.00".

    Examples
    --------
    >>> _number(-6.5531), _number(-0.001), _number(12.0)
    ('−6.55', '0.00', '12.00')
    """
    text = f"{value:.2f}"
    if text in ("-0.00", "-0.0"):
        text = text[1:]
    return text.replace("-", MINUS)


def _p(value: float) -> str:
    """A p-value as journals print it.

    Examples
    --------
    >>> _p(0.00002), _p(0.0436), _p(1.0)
    ('<0.001', '0.044', '>0.999')
    """
    if value < 0.001:
        return "<0.001"
    if value > 0.999:
        return ">0.999"
    return f"{value:.3f}"


def _methods(table: pd.DataFrame) -> list[str]:
    """The adjustment methods of the estimable rows (not "none")."""
    if "adjustment" not in table:
        return []
    estimable = table[table["estimate"].notna()]
    return sorted(set(estimable["adjustment"].dropna()) - {"none"})


def _p_marks(table: pd.DataFrame) -> bool:
    """Whether unadjusted p-values need a mark: some estimable rows are adjusted and
    some are not."""
    if not _methods(table):
        return False
    estimable = table[table["estimate"].notna()]
    return bool((estimable["adjustment"] == "none").any())


def _p_header(table: pd.DataFrame) -> str:
    methods = _methods(table)
    return f"p ({_method(methods[0])})" if len(methods) == 1 else "p"


def _ci(table: pd.DataFrame) -> str:
    """The CI's name, at the level the results record."""
    levels = table["ci_level"].dropna() if "ci_level" in table else pd.Series()
    return ci_label(float(levels.iloc[0])) if len(levels) else "CI"


def _method(name: str) -> str:
    return METHODS.get(name, name)


# --- favours wording ------------------------------------------------------------------


def _in_sentence(label: str) -> str:
    """A label inside a sentence: lower case first letter unless an abbreviation."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def _factor_label(design: Design, factor: str) -> str:
    """A factor's label: that of the arm with this factor alone."""
    others = [f for f in FACTORS if f != factor]
    return next(
        arm.label
        for arm in design.arms
        if getattr(arm, factor) and not any(getattr(arm, f) for f in others)
    )


def _sides(design: Design, contrasts: list[str]) -> tuple[str, str]:
    """The favours labels of the contrasts' active and reference sides, in words from
    the arm labels (the rows name the arm or factor when there are several)."""
    chosen = [design.contrast(name) for name in contrasts]
    kinds = {c.kind for c in chosen}
    if kinds == {"vs control"}:
        actives = sorted({c.active for c in chosen})
        references = sorted({c.reference for c in chosen})
        active = _in_sentence(design.arm_label(actives[0])) if len(actives) == 1 else None
        reference = _in_sentence(design.arm_label(references[0])) if len(references) == 1 else None
        return (
            f"Favours {active or 'the active arm'}",
            f"Favours {reference or 'the reference arm'}",
        )
    if kinds == {"interaction"}:
        return "Synergy", "Antagonism"
    if "vs control" in kinds:
        return "Favours the active side", "Favours the reference side"
    mains = [c.active for c in chosen if c.kind == "main effect"]
    if kinds == {"main effect"} and len(mains) == 1:
        factor = _in_sentence(_factor_label(design, mains[0]))
        return f"Favours {factor}", f"Favours no {factor}"
    return "Favours the factor", "Favours its absence"


def _favours(better: str, sides: tuple[str, str]) -> tuple[str, str]:
    """The labels left and right of the line of no difference: a negative difference
    favours the active side when lower is better, a positive one when higher is."""
    active, reference = sides
    left, right = (active, reference) if better == "lower" else (reference, active)
    return f"\u2190 {left}", f"{right} \u2192"


# --- measures and layout --------------------------------------------------------------

_TEXT_TO_PATH = TextToPath()


class _Fonts:
    """The row text at the theme's font size, small text (ticks, favours, notes) at
    ``small``; widths measured in mm with the current rcParams."""

    def __init__(self):
        self.normal = FontProperties()
        self.bold = FontProperties(weight="bold")
        self.small = FontProperties(size="small")
        self.size = self.normal.get_size_in_points()
        self.small_size = self.small.get_size_in_points()
        self.pitch = PITCH * self.size * MM_PER_PT  # mm per line of row text
        self.small_pitch = 1.2 * self.small_size * MM_PER_PT

    def width(self, text: str, font: FontProperties | None = None) -> float:
        if not text:
            return 0.0
        width = _TEXT_TO_PATH.get_text_width_height_descent(
            text, font or self.normal, ismath=False
        )[0]
        return width * MM_PER_PT

    def wrap(self, text: str, width: float, font: FontProperties | None = None) -> list[str]:
        """Words in lines no wider than ``width`` mm (a longer word stands alone)."""
        lines: list[str] = []
        for word in (w for w in text.split(" ") if w):  # a no-break space binds
            if lines and self.width(f"{lines[-1]} {word}", font) <= width:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        return lines or [""]


@dataclass
class _Columns:
    """Horizontal positions in mm from the left edge."""

    label: float
    label_width: float
    plot: float
    plot_width: float
    estimate: float
    point_right: float  # where the estimates end (right-aligned)
    interval: float  # where their intervals start
    p_right: float
    estimate_header: str
    p_header: str


def _columns(rows: list[_Row], table: pd.DataFrame, fonts: _Fonts) -> _Columns:
    """The columns measured from their texts; the plot column takes what is left of
    the width, but at least :data:`MIN_PLOT` (the labels wrap then)."""
    total = DOUBLE_COLUMN * 25.4
    estimate_header, p_header = f"Difference ({_ci(table)})", _p_header(table)
    points = max(fonts.width(r.point) for r in rows)
    space = fonts.width("0 0") - fonts.width("00")
    estimate_width = max(
        [fonts.width(estimate_header, fonts.bold), points + space]
        + [fonts.width(r.text) for r in rows if not r.point]
        + [points + space + fonts.width(r.interval) for r in rows if r.point]
    )
    p_width = max([fonts.width(p_header, fonts.bold)] + [fonts.width(r.p) for r in rows])
    labels = max(
        INDENT[r.kind] + fonts.width(r.label, fonts.bold if r.bold else None) for r in rows
    )
    labels = max(labels, fonts.width("Outcome and comparison", fonts.bold))
    room = total - 2 * MARGIN - 3 * GAP - estimate_width - p_width
    label_width = min(labels, room - MIN_PLOT)
    plot = MARGIN + label_width + GAP
    plot_width = room - label_width
    estimate = plot + plot_width + GAP
    return _Columns(
        label=MARGIN,
        label_width=label_width,
        plot=plot,
        plot_width=plot_width,
        estimate=estimate,
        point_right=estimate + points,
        interval=estimate + points + space,
        p_right=total - MARGIN,
        estimate_header=estimate_header,
        p_header=p_header,
    )


def _wrap_labels(rows: list[_Row], columns: _Columns, fonts: _Fonts) -> None:
    for row in rows:
        font = fonts.bold if row.bold else None
        row.lines = fonts.wrap(row.label, columns.label_width - INDENT[row.kind], font)
        row.height = fonts.pitch * max(1, len(row.lines))


def _limits(panel: _Panel, rows: list[_Row]) -> tuple[tuple[float, float], list[float]]:
    """A panel's x range: its intervals and 0, with a margin, and its ticks."""
    values = [0.0]
    for k in panel.rows:
        values += [v for v in (rows[k].lower, rows[k].upper) if math.isfinite(v)]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    low, high = low - 0.06 * span, high + 0.06 * span
    ticks = MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10], min_n_ticks=3).tick_values(low, high)
    ticks = [float(t) for t in ticks if low - 1e-9 * span <= t <= high + 1e-9 * span]
    return (low, high), ticks


def _zero(panel: _Panel, columns: _Columns) -> float:
    """Where 0 falls in a panel, in mm from the left edge."""
    low, high = panel.limits
    return columns.plot + columns.plot_width * (0.0 - low) / (high - low)


def _place_favours(rows, panels, columns, fonts, design, contrasts) -> None:
    """Each panel's favours labels, either side of 0 on its first line; a family header
    they would touch gets a line of favours labels of its own below it."""
    sides = _sides(design, contrasts)
    for panel in reversed(panels):  # inserting rows below keeps the earlier indices
        panel.labels = _favours(panel.better, sides)
        left, right = (fonts.width(label, fonts.small) for label in panel.labels)
        zero = _zero(panel, columns)
        # either side of 0, inside the figure, the left one clear of the right one
        start = min(zero + 1.0, columns.p_right - right)
        end = max(min(zero - 1.0, start - 2.0), MARGIN + left)
        panel.at = (end, start)
        first = rows[panel.favours]
        reach = end - left
        header_end = columns.label + fonts.width(first.label, fonts.bold) + GAP
        if first.kind == "family" and header_end > reach:
            at = panel.favours + 1
            rows.insert(at, _Row("favours", height=fonts.pitch))
            for other in panels:
                other.rows = [k + (k >= at) for k in other.rows]
                other.favours += other.favours >= at
            panel.favours = at


def _footnote(table: pd.DataFrame, design: Design, contrasts: list[str], panels: bool):
    """The notes under the figure: what is drawn, the panels, the p-values."""
    visit = ", ".join(str(v) for v in dict.fromkeys(table["visit"])) if "visit" in table else ""
    notes = [
        f"Differences in least-squares mean change from baseline{' at ' + visit if visit else ''}"
        f" (squares) with {_ci(table)} (lines), in each outcome's units."
    ]
    if panels:
        notes.append(
            "Each family has its own x axis and favours labels, and so have the outcomes of a"
            " family with the other better direction or a much different scale."
        )
    methods = _methods(table)
    if methods:
        named = " / ".join(_method(m) for m in methods)
        marked = f"; {UNADJUSTED_MARK} unadjusted" if _p_marks(table) else ""
        notes.append(f"P values adjusted for multiplicity within each outcome ({named}){marked}.")
    else:
        notes.append("P values unadjusted.")
    if any(design.contrast(name).kind == "interaction" for name in contrasts):
        notes.append(
            "Interaction: on the side favouring the factor, the two factors together do"
            " better than the sum of their separate effects."
        )
    return " ".join(notes)


@dataclass
class _Vertical:
    header: float = 0.0  # mm from the top: the header row's centre
    rules: tuple[float, float, float] = (0.0, 0.0, 0.0)
    notes: list[str] = field(default_factory=list)
    notes_top: float = 0.0
    height: float = 0.0  # mm: the figure's


def _tick_area(fonts: _Fonts) -> float:
    """mm under a panel's axis for its ticks and their labels, and a gap."""
    size = _preferred("xtick.major.size", 2.5)
    pad = _preferred("xtick.major.pad", 1.5)
    return (size + pad) * MM_PER_PT + fonts.small_pitch + 0.25 * fonts.pitch


def _preferred(key: str, value: float) -> float:
    """Our value of a setting the caller left at matplotlib's default, else theirs."""
    current = plt.rcParams[key]
    return value if current == matplotlib.rcParamsDefault[key] else float(current)


def _vertical(rows, panels, fonts: _Fonts, notes: str) -> _Vertical:
    """Every row's centre (mm from the top), and where the header, rules and notes go."""
    layout = _Vertical()
    y = MARGIN
    layout.header = y + fonts.pitch / 2
    y += fonts.pitch + 0.8
    ends = {panel.rows[-1] for panel in panels}
    for k, row in enumerate(rows):
        if row.kind == "family" and k > 0:
            y += 0.35 * fonts.pitch
        row.height = row.height or fonts.pitch
        row.y = y + row.height / 2
        y += row.height
        if k in ends:
            y += _tick_area(fonts)
    # rasterised text runs up to ~3% wider than its outline (hinting): leave room
    width = 0.96 * (DOUBLE_COLUMN * 25.4 - 2 * MARGIN)
    layout.notes = fonts.wrap(notes, width, fonts.small)
    layout.rules = (MARGIN, MARGIN + fonts.pitch + 0.4, y + 0.4)
    layout.notes_top = y + 1.2
    layout.height = layout.notes_top + len(layout.notes) * fonts.small_pitch + MARGIN
    return layout


# --- drawing --------------------------------------------------------------------------


def _draw(figure, layout: _Vertical, rows, panels, columns: _Columns, fonts: _Fonts) -> None:
    """The header, rules, row texts, panels and notes, placed in mm from the top left."""
    mm = Affine2D().scale(1 / 25.4, -1 / 25.4).translate(0, layout.height / 25.4)
    mm += figure.dpi_scale_trans

    def text(x, y, s, gid=None, **kwargs):
        figure.text(x, y, s, transform=mm, gid=gid, parse_math=False, **kwargs)

    middle = {"va": "center_baseline"}
    bold = {"fontweight": "bold", **middle}
    text(columns.label, layout.header, "Outcome and comparison", **bold)
    text(columns.estimate, layout.header, columns.estimate_header, **bold)
    text(columns.p_right, layout.header, columns.p_header, ha="right", **bold)
    for top, bottom in _bands(rows):
        figure.add_artist(
            Rectangle((MARGIN, top), columns.p_right - MARGIN, bottom - top, transform=mm,
                      facecolor=BAND, edgecolor="none", zorder=-1)
        )  # fmt: skip
    for y in layout.rules:
        figure.add_artist(
            Line2D([MARGIN, columns.p_right], [y, y], transform=mm, color=INK, linewidth=0.6)
        )
    for k, row in enumerate(rows):
        if row.label:
            text(columns.label + INDENT[row.kind], row.y, "\n".join(row.lines), f"label-{k}",
                 va="center_baseline" if len(row.lines) == 1 else "center",
                 fontweight="bold" if row.bold else "normal", linespacing=PITCH)  # fmt: skip
        if row.kind == "contrast":
            if row.point:
                text(columns.point_right, row.y, row.point, f"estimate-{k}", ha="right", **middle)
                text(columns.interval, row.y, row.interval, f"ci-{k}", **middle)
            else:
                text(columns.estimate, row.y, row.text, f"estimate-{k}", **middle)
            text(columns.p_right, row.y, row.p, f"p-{k}", ha="right", **middle)
    for panel in panels:
        _draw_panel(figure, mm, rows, panel, columns, fonts)
    for j, line in enumerate(layout.notes):
        y = layout.notes_top + (j + 0.5) * fonts.small_pitch
        text(columns.label, y, line, f"note-{j}", fontsize="small", **middle)


def _bands(rows: list[_Row]) -> list[tuple[float, float]]:
    """The (top, bottom) in mm of every second outcome of each family (its label and
    its contrasts' rows)."""
    bands: list[list[float]] = []
    count, open_band = 0, False
    for row in rows:
        top, bottom = row.y - row.height / 2, row.y + row.height / 2
        if row.kind == "family":
            count, open_band = 0, False
        elif row.kind == "outcome":
            count += 1
            open_band = count % 2 == 0
            if open_band:
                bands.append([top, bottom])
        elif row.kind == "contrast" and open_band:
            bands[-1][1] = bottom
        else:
            open_band = False
    return [(top, bottom) for top, bottom in bands]


def _draw_panel(figure, mm, rows, panel: _Panel, columns: _Columns, fonts: _Fonts) -> None:
    """A panel's axis (over its rows, ticks under them), intervals and favours labels."""
    first, last = rows[panel.rows[0]], rows[panel.rows[-1]]
    top, bottom = first.y - first.height / 2, last.y + last.height / 2
    height = figure.get_size_inches()[1] * 25.4
    axes = figure.add_axes(
        (
            columns.plot / (DOUBLE_COLUMN * 25.4),
            (height - bottom) / height,
            columns.plot_width / (DOUBLE_COLUMN * 25.4),
            (bottom - top) / height,
        )
    )
    axes.set_xlim(*panel.limits)
    axes.set_ylim(bottom, top)  # mm from the top, as the rows
    axes.patch.set_visible(False)
    for side in ("left", "right", "top"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_linewidth(0.6)
    axes.set_yticks([])
    axes.set_xticks(panel.ticks)
    axes.tick_params(
        axis="x",
        length=_preferred("xtick.major.size", 2.5),
        pad=_preferred("xtick.major.pad", 1.5),
        width=0.6,
    )
    axes.axvline(0.0, color=NULL_LINE, linewidth=0.6, zorder=0)
    for k in panel.rows:
        row = rows[k]
        if row.kind != "contrast" or not math.isfinite(row.estimate):
            continue
        axes.plot([row.lower, row.upper], [row.y, row.y], color=INK, linewidth=0.9,
                  solid_capstyle="butt", gid=f"interval-{k}")  # fmt: skip
        axes.plot([row.estimate], [row.y], marker="s", markersize=3.2, color=INK,
                  linestyle="none", gid=f"point-{k}")  # fmt: skip
    (left, right), (at_left, at_right) = panel.labels, panel.at
    y = rows[panel.favours].y
    small = {"fontsize": "small", "va": "center_baseline", "parse_math": False, "transform": mm}
    figure.text(at_left, y, left, ha="right", gid=f"favours-left-{panel.favours}", **small)
    figure.text(at_right, y, right, ha="left", gid=f"favours-right-{panel.favours}", **small)
