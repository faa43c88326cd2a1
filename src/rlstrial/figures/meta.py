"""The meta-analysis figures: a forest plot of the studies and the pooled models, and a
funnel plot, drawn from the tables of :func:`rlstrial.meta.meta_analysis` (never
refitting: every number drawn or printed is in those tables).

Design
------
*Forest plot* (after RevMan and metafor's ``forest``): one row per study, grouped under
subgroup headers when a subgroup table is given, each group closed by its diamond and
a line of its heterogeneity; then the fixed-effect and the main (random-effects)
diamonds and the prediction interval. Text columns: the study, the arms' n, the
weight (%) in the main model, and "estimate [CI]". A study's square has an area
proportional to its weight in the main model; this trial's own row is drawn in
vermilion and its label set in bold; illustrative rows carry an asterisk, explained
under the figure with the overall heterogeneity and the test for subgroup
differences. The favours labels sit under the axis either side of 0. Double-column
wide; the height grows with the rows.

*Funnel plot*: each study's effect against its SE (0 at the top), the fixed-effect
estimate with its pseudo 95% limits, and Egger's regression line when the test was
done; otherwise the table's note says why not. Single-column wide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Affine2D

from rlstrial.figures.forest import _Fonts as _ForestFonts
from rlstrial.figures.style import DOUBLE_COLUMN, OKABE_ITO, SINGLE_COLUMN, themed
from rlstrial.meta import METHOD_LABELS

MINUS = "\u2212"
NBSP = "\u00a0"  # binds the words of a part that must not be broken
MM_PER_PT = 25.4 / 72
PITCH = 1.3  # row spacing, in font sizes
MARGIN = 2.0  # mm around the figure
GAP = 2.5  # mm between columns
MIN_PLOT = 40.0  # mm: the narrowest plot column
INDENT = 2.0  # mm: subtotal and heterogeneity lines
INK = "#000000"
TRIAL = OKABE_ITO[6]  # vermilion
NULL_LINE = "#999999"
FIXED_FILL = "#FFFFFF"
ILLUSTRATIVE_MARK = "*"
MEASURE_NAMES = {"MD": "Mean difference", "SMD": "Standardised mean difference"}


# --- forest plot -----------------------------------------------------------------------


def plot_meta_forest(
    studies: pd.DataFrame,
    models: pd.DataFrame,
    weights: pd.DataFrame,
    subgroups: pd.DataFrame | None = None,
    subgroup_test: pd.DataFrame | None = None,
    *,
    favours: tuple[str, str] = ("Favours treatment", "Favours control"),
    style: dict | None = None,
) -> plt.Figure:
    """Forest plot of a meta-analysis.

    Parameters
    ----------
    studies
        :func:`rlstrial.meta.meta_analysis`'s ``studies`` (study, n_t, n_c, measure,
        yi, ci_lower, ci_upper; optional illustrative, is_trial and the subgroup
        column).
    models
        Its ``models``: the ``role == "fixed"`` and ``role == "main"`` rows are drawn
        (estimate, ci_lower, ci_upper, level, method, hksj; the main row's
        pi_lower, pi_upper, tau2, i2, q, q_df, q_p).
    weights
        Its ``weights`` (study, method, weight).
    subgroups, subgroup_test
        Optional: its ``subgroups`` (one row per subgroup, same method as the main
        model) and ``subgroup_test``; the studies are then grouped by the column
        named in ``subgroups["by"]``.
    favours
        The labels left and right of 0 (e.g. lower IRLS is better: ("Favours
        massage", "Favours control")).
    style
        rcParams over the theme and the caller's settings.

    Returns
    -------
    matplotlib.figure.Figure
        Double-column wide. Texts carry ids (``get_gid()``): ``label-k``, ``n-t-k``,
        ``n-c-k``, ``weight-k`` and ``estimate-k`` for row k from the top,
        ``favours-left``, ``favours-right`` and ``note-j``; the marks ``square-k``,
        ``ci-k``, ``diamond-k`` and ``prediction-k``.

    Examples
    --------
    >>> from rlstrial.meta import meta_analysis
    >>> studies = pd.DataFrame({"study": ["A 2019", "B 2021"], "year": [2019, 2021],
    ...     "population": "adults", "intervention": "massage", "comparator": "care",
    ...     "outcome": "IRLS", "scale": "0-40", "n_t": [30, 40], "n_c": [30, 40],
    ...     "mean_t": [11.0, 12.5], "sd_t": [6.0, 6.5], "mean_c": [24.0, 22.5],
    ...     "sd_c": [6.0, 6.0], "source": "a citation"})
    >>> tables = meta_analysis(studies, {"method": "DL"})
    >>> figure = plot_meta_forest(tables["studies"], tables["models"], tables["weights"])
    >>> [t.get_text() for t in figure.texts if (t.get_gid() or "").startswith("estimate-")]
    ['−13.00 [−16.04, −9.96]', '−10.00 [−12.74, −7.26]', '−11.35 [−13.38, −9.31]',
     '−11.43 [−14.36, −8.49]', '[−15.61, −7.24]']
    >>> plt.close(figure)
    """
    fixed, main = _drawn_models(models)
    table = _forest_rows(studies, fixed, main, weights, subgroups)
    with themed(style):
        fonts = _Fonts()
        columns = _forest_columns(table, fonts)
        notes = _forest_notes(studies, fixed, main, subgroup_test)
        layout = _forest_layout(table, columns, fonts, notes)
        figure = plt.figure(figsize=(DOUBLE_COLUMN, layout.height / 25.4))
        drawn = main if main is not None else fixed
        _draw_forest(figure, table, columns, fonts, layout, favours, studies, drawn)
    return figure


def _drawn_models(models: pd.DataFrame) -> tuple[pd.Series | None, pd.Series | None]:
    """The fixed-effect row and the main row (None when absent)."""
    role = models["role"] if "role" in models else pd.Series("main", index=models.index)
    fixed = models[role == "fixed"]
    main = models[role == "main"]
    if main.empty and fixed.empty:
        raise ValueError("the models table has no row with role 'main' or 'fixed'")
    return (
        fixed.iloc[0] if len(fixed) else None,
        main.iloc[0] if len(main) else None,
    )


@dataclass
class _Line:
    """A row of the forest plot."""

    kind: str  # header, study, subtotal, heterogeneity, model, prediction
    label: str = ""
    estimate: float = math.nan
    lower: float = math.nan
    upper: float = math.nan
    n_t: str = ""
    n_c: str = ""
    weight: str = ""  # percent, in the main model
    text: str = ""  # "estimate [CI]"
    size: float = 0.0  # a study's weight in the main model, for its square
    trial: bool = False
    fill: str = INK
    lines: list[str] = field(default_factory=list)
    y: float = 0.0  # mm from the top: the row's centre
    height: float = 0.0


def _number(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}".replace("-", MINUS)


def _interval(estimate: float, lower: float, upper: float) -> str:
    return f"{_number(estimate)} [{_number(lower)}, {_number(upper)}]"


def _model_label(row: pd.Series) -> str:
    if row["method"] == "FE":
        return "Fixed-effect model"
    hksj = ", HKSJ" if row["hksj"] else ""
    return f"Random-effects model ({METHOD_LABELS[row['method']]}{hksj})"


def _forest_rows(studies, fixed, main, weights, subgroups) -> list[_Line]:
    """The rows: studies (in subgroups, each with its subtotal), then the models."""
    drawn = main if main is not None else fixed
    by_study = weights.pivot_table(index="study", columns="method", values="weight")
    rows: list[_Line] = []
    if subgroups is not None and len(subgroups):
        by = subgroups["by"].iloc[0]
        for group in subgroups.itertuples(index=False):
            members = studies[studies[by].astype(str).str.strip() == group.subgroup]
            rows.append(_Line("header", label=group.subgroup[:1].upper() + group.subgroup[1:]))
            rows += [_study_line(s, drawn, by_study) for _, s in members.iterrows()]
            rows.append(_subtotal_line(pd.Series(group._asdict()), members, drawn, by_study))
            rows.append(_Line("heterogeneity", label=_heterogeneity_text(group._asdict())))
    else:
        rows += [_study_line(s, drawn, by_study) for _, s in studies.iterrows()]
    for model in (fixed, main):
        if model is not None:
            rows.append(_model_line(model, drawn))
    if main is not None and main["method"] != "FE" and np.isfinite(main["pi_lower"]):
        rows.append(
            _Line(
                "prediction",
                label="Prediction interval",
                lower=main["pi_lower"],
                upper=main["pi_upper"],
                text=f"[{_number(main['pi_lower'])}, {_number(main['pi_upper'])}]",
            )
        )
    return rows


def _weight(by_study: pd.DataFrame, study: str, model) -> float:
    if model is None or model["method"] not in by_study:
        return math.nan
    return float(by_study.loc[study, model["method"]])


def _study_line(study: pd.Series, drawn, by_study) -> _Line:
    name = str(study["study"])
    mark = ILLUSTRATIVE_MARK if bool(study.get("illustrative", False)) else ""
    weight = _weight(by_study, name, drawn)
    return _Line(
        "study",
        label=f"{name}{mark}",
        estimate=study["yi"],
        lower=study["ci_lower"],
        upper=study["ci_upper"],
        n_t=f"{int(study['n_t'])}",
        n_c=f"{int(study['n_c'])}",
        weight=_number(weight, 1),
        text=_interval(study["yi"], study["ci_lower"], study["ci_upper"]),
        size=weight,
        trial=bool(study.get("is_trial", False)),
    )


def _subtotal_line(group: pd.Series, members, drawn, by_study) -> _Line:
    """A subgroup's diamond; its weight is its studies' share of the overall one."""
    total = sum(_weight(by_study, str(s), drawn) for s in members["study"])
    return _Line(
        "subtotal",
        label="Subtotal",
        estimate=group["estimate"],
        lower=group["ci_lower"],
        upper=group["ci_upper"],
        n_t=f"{int(members['n_t'].sum())}",
        n_c=f"{int(members['n_c'].sum())}",
        weight=_number(total, 1),
        text=_interval(group["estimate"], group["ci_lower"], group["ci_upper"]),
    )


def _model_line(model: pd.Series, drawn) -> _Line:
    is_drawn = model is drawn
    return _Line(
        "model",
        label=_model_label(model),
        estimate=model["estimate"],
        lower=model["ci_lower"],
        upper=model["ci_upper"],
        weight="100.0" if is_drawn else "",
        text=_interval(model["estimate"], model["ci_lower"], model["ci_upper"]),
        fill=INK if is_drawn else FIXED_FILL,
    )


def _p(value: float) -> str:
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def _heterogeneity_text(row) -> str:
    """tau^2, I^2 and Q of a pooled row, in words; lines break only between parts."""
    parts = []
    if row["method"] != "FE":
        parts.append(f"\u03c4\u00b2 = {_number(row['tau2'])};")
    parts.append(f"I\u00b2 = {row['i2']:.0f}%;" if row["k"] > 1 else f"I\u00b2 = {row['i2']:.0f}%")
    if row["k"] > 1:
        parts.append(f"Q = {row['q']:.2f}, df = {int(row['q_df'])}, {_p(row['q_p'])}")
    bound = [part.replace(" ", NBSP) for part in ("Heterogeneity:", *parts)]
    return " ".join(bound)


# --- forest layout ---------------------------------------------------------------------


class _Fonts(_ForestFonts):
    """The forest plot's text measures (widths in mm, wrapping), with the meta-analysis
    plot's own row spacing: rows a little looser, small text a little looser."""

    def __init__(self):
        super().__init__()
        self.pitch = PITCH * self.size * MM_PER_PT
        self.small_pitch = 1.25 * self.small_size * MM_PER_PT


@dataclass
class _Columns:
    """Horizontal positions in mm from the left edge (right edges for the numbers)."""

    label: float
    label_width: float
    n_t: float  # right edge
    n_c: float  # right edge
    plot: float
    plot_width: float
    weight: float  # right edge
    estimate: float  # left edge
    right: float


#: rows whose label is in the label column (the others may reach the plot)
_NARROW = ("header", "study", "subtotal")


def _forest_columns(rows: list[_Line], fonts: _Fonts) -> _Columns:
    """The columns measured from their texts; the plot takes the rest of the width
    (at least :data:`MIN_PLOT`: longer study labels wrap)."""
    total = DOUBLE_COLUMN * 25.4
    n_t_width = max([fonts.width("Treatment", fonts.bold)] + [fonts.width(r.n_t) for r in rows])
    n_c_width = max([fonts.width("Control", fonts.bold)] + [fonts.width(r.n_c) for r in rows])
    weight_width = max([fonts.width("Weight", fonts.bold)] + [fonts.width("100.0")])
    # rasterised text runs up to ~3% wider than its outline: leave room
    estimate_width = 1.04 * max(fonts.width(r.text, _font(fonts, r)) for r in rows)
    numbers = n_t_width + n_c_width + weight_width + estimate_width + 7 * GAP
    labels = max(
        [fonts.width("Study", fonts.bold)]
        + [fonts.width(r.label, _font(fonts, r)) for r in rows if r.kind in _NARROW]
    )
    # a model's label may run over the n columns, which it leaves empty
    models = max([fonts.width(r.label, _font(fonts, r)) for r in rows if r.kind not in _NARROW])
    labels = max(labels, models - (n_t_width + n_c_width + 3 * GAP))
    label_width = min(labels, total - 2 * MARGIN - numbers - MIN_PLOT)
    n_t = MARGIN + label_width + GAP + n_t_width
    n_c = n_t + GAP + n_c_width
    plot = n_c + 2 * GAP
    plot_width = total - 2 * MARGIN - numbers - label_width
    weight = plot + plot_width + GAP + weight_width
    return _Columns(
        label=MARGIN,
        label_width=label_width,
        n_t=n_t,
        n_c=n_c,
        plot=plot,
        plot_width=plot_width,
        weight=weight,
        estimate=weight + 2 * GAP,
        right=total - MARGIN,
    )


def _font(fonts: _Fonts, row: _Line) -> FontProperties | None:
    if row.kind == "heterogeneity":
        return fonts.small
    return fonts.bold if row.kind in ("header", "model") or row.trial else None


@dataclass
class _Layout:
    header: tuple[float, float] = (0.0, 0.0)  # the two header lines' centres
    rules: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rows_top: float = 0.0
    rows_bottom: float = 0.0
    axis_label: float = 0.0
    favours: float = 0.0
    notes: list[str] = field(default_factory=list)
    notes_top: float = 0.0
    height: float = 0.0


def _forest_layout(rows: list[_Line], columns: _Columns, fonts: _Fonts, notes: str) -> _Layout:
    """Each row's lines and centre in mm from the top; the header, axis and notes."""
    layout = _Layout()
    y = MARGIN
    layout.header = (y + fonts.pitch / 2, y + 1.5 * fonts.pitch)
    y += 2 * fonts.pitch + 0.8
    layout.rows_top = y
    wide = columns.plot - GAP - columns.label
    previous = None
    for row in rows:
        width = columns.label_width if row.kind in _NARROW else wide
        if row.kind == "heterogeneity":
            row.lines = fonts.wrap(row.label, width - INDENT, fonts.small)
            row.height = fonts.small_pitch * len(row.lines) + 0.6
        else:
            row.lines = fonts.wrap(row.label, width - (INDENT if row.kind == "subtotal" else 0))
            row.height = fonts.pitch * len(row.lines)
        if previous is not None and (
            row.kind == "header" or (row.kind == "model" and previous.kind != "model")
        ):
            y += 0.5 * fonts.pitch
        row.y = y + row.height / 2
        y += row.height
        previous = row
    y += 0.3 * fonts.pitch
    layout.rows_bottom = y
    tick_area = (2.5 + 2.0) * MM_PER_PT + fonts.small_pitch
    layout.axis_label = y + tick_area + fonts.small_pitch / 2 + 0.3
    layout.favours = layout.axis_label + fonts.small_pitch
    # rasterised text runs up to ~3% wider than its outline: leave room
    width = 0.96 * (DOUBLE_COLUMN * 25.4 - 2 * MARGIN)
    layout.notes = [
        line for part in notes.split("\n") for line in fonts.wrap(part, width, fonts.small)
    ]
    layout.rules = (MARGIN, layout.rows_top - 0.4, layout.favours + fonts.small_pitch)
    layout.notes_top = layout.rules[2] + 0.8
    layout.height = layout.notes_top + len(layout.notes) * fonts.small_pitch + MARGIN
    return layout


def _forest_notes(studies: pd.DataFrame, fixed, main, subgroup_test) -> str:
    """Under the figure: the overall heterogeneity, the subgroup test, the marks."""
    notes = []
    drawn = main if main is not None else fixed
    overall = _heterogeneity_text(drawn).replace(NBSP, " ")
    notes.append(f"Overall {overall[0].lower()}{overall[1:]}.")
    if (
        subgroup_test is not None
        and len(subgroup_test)
        and np.isfinite(subgroup_test["q_between"].iloc[0])
    ):
        test = subgroup_test.iloc[0]
        mode = "separate" if test["tau2_mode"] == "separate" else "a common"
        notes.append(
            f"Test for subgroup differences: Q = {test['q_between']:.2f},"
            f" df = {int(test['df'])}, {_p(test['p_value'])}, I\u00b2 = {test['i2']:.0f}%"
            f" ({mode} \u03c4\u00b2 per subgroup)."
        )
    both = fixed is not None and main is not None
    notes.append(
        f"Weights and square areas: the {_model_label(drawn)[0].lower()}{_model_label(drawn)[1:]}"
        + ("; open diamond: the fixed-effect model." if both else ".")
    )
    if "illustrative" in studies and studies["illustrative"].astype(bool).any():
        notes.append(f"{ILLUSTRATIVE_MARK} Illustrative numbers, not from a publication.")
    if main is not None and main["method"] != "FE" and np.isfinite(main["pi_lower"]):
        notes.append(
            "The prediction interval is where the true effect of a new study is expected to lie."
        )
    return "\n".join(notes)


# --- forest drawing --------------------------------------------------------------------


def _limits(rows: list[_Line]) -> tuple[tuple[float, float], list[float]]:
    values = [0.0]
    for row in rows:
        values += [v for v in (row.lower, row.upper) if np.isfinite(v)]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    low, high = low - 0.05 * span, high + 0.05 * span
    ticks = MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
    return (low, high), [float(t) for t in ticks if low <= t <= high]


def _draw_forest(figure, rows, columns: _Columns, fonts, layout: _Layout, favours, studies, drawn):
    mm = Affine2D().scale(1 / 25.4, -1 / 25.4).translate(0, layout.height / 25.4)
    mm += figure.dpi_scale_trans

    def text(x, y, s, gid=None, **kwargs):
        figure.text(x, y, s, transform=mm, gid=gid, parse_math=False, **kwargs)

    middle = {"va": "center_baseline"}
    bold = {"fontweight": "bold", **middle}
    top, second = layout.header
    ci_name = f"{round(100 * float(drawn['level']))}% CI"
    measure = str(studies["measure"].iloc[0])
    text(columns.label, second, "Study", **bold)
    text(columns.n_t, top, "Treatment", ha="right", **bold)
    text(columns.n_t, second, "n", ha="right", **bold)
    text(columns.n_c, top, "Control", ha="right", **bold)
    text(columns.n_c, second, "n", ha="right", **bold)
    text(columns.weight, top, "Weight", ha="right", **bold)
    text(columns.weight, second, "(%)", ha="right", **bold)
    text(columns.estimate, top, measure, **bold)
    text(columns.estimate, second, f"[{ci_name}]", **bold)
    for y in layout.rules:
        figure.add_artist(
            Line2D([MARGIN, columns.right], [y, y], transform=mm, color=INK, linewidth=0.6)
        )
    for k, row in enumerate(rows):
        _draw_row_text(text, row, k, columns, fonts)
    axes = _forest_axes(figure, rows, columns, layout)
    largest = max((r.size for r in rows if r.kind == "study" and np.isfinite(r.size)), default=1.0)
    for k, row in enumerate(rows):
        _draw_row_mark(axes, row, k, largest, fonts)
    zero = (
        columns.plot + columns.plot_width * (0 - axes.get_xlim()[0]) / np.diff(axes.get_xlim())[0]
    )
    name = MEASURE_NAMES.get(measure, measure)
    axis_label = f"{name} (treatment {MINUS} control)"
    text(columns.plot + columns.plot_width / 2, layout.axis_label, axis_label, "axis-label",
         ha="center", fontsize="small", **middle)  # fmt: skip
    text(zero - 1.0, layout.favours, f"\u2190 {favours[0]}", "favours-left",
         ha="right", fontsize="small", **middle)  # fmt: skip
    text(zero + 1.0, layout.favours, f"{favours[1]} \u2192", "favours-right",
         ha="left", fontsize="small", **middle)  # fmt: skip
    for j, line in enumerate(layout.notes):
        y = layout.notes_top + (j + 0.5) * fonts.small_pitch
        text(columns.label, y, line, f"note-{j}", fontsize="small", **middle)


def _draw_row_text(text, row: _Line, k: int, columns: _Columns, fonts) -> None:
    lines = {"va": "center_baseline"} if len(row.lines) == 1 else {"va": "center"}
    if row.kind == "heterogeneity":
        text(columns.label + INDENT, row.y, "\n".join(row.lines), f"label-{k}",
             fontsize="small", linespacing=1.25, **lines)  # fmt: skip
        return
    indent = INDENT if row.kind == "subtotal" else 0.0
    spacing = {"linespacing": PITCH} if len(row.lines) > 1 else {}
    text(columns.label + indent, row.y, "\n".join(row.lines), f"label-{k}",
         fontweight=_font(fonts, row).get_weight() if _font(fonts, row) else "normal",
         color=TRIAL if row.trial else INK, **spacing, **lines)  # fmt: skip
    if row.kind == "header":
        return
    middle = {"va": "center_baseline"}
    text(columns.n_t, row.y, row.n_t, f"n-t-{k}", ha="right", **middle)
    text(columns.n_c, row.y, row.n_c, f"n-c-{k}", ha="right", **middle)
    text(columns.weight, row.y, row.weight, f"weight-{k}", ha="right", **middle)
    text(columns.estimate, row.y, row.text, f"estimate-{k}",
         fontweight="bold" if row.kind == "model" else "normal", **middle)  # fmt: skip


def _forest_axes(figure, rows, columns: _Columns, layout: _Layout):
    """The plot column: x in the measure's units, y in mm from the top (as the rows)."""
    height = figure.get_size_inches()[1] * 25.4
    width = DOUBLE_COLUMN * 25.4
    axes = figure.add_axes(
        (
            columns.plot / width,
            (height - layout.rows_bottom) / height,
            columns.plot_width / width,
            (layout.rows_bottom - layout.rows_top) / height,
        )
    )
    limits, ticks = _limits(rows)
    axes.set_xlim(*limits)
    axes.set_ylim(layout.rows_bottom, layout.rows_top)
    axes.patch.set_visible(False)
    for side in ("left", "right", "top"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_linewidth(0.6)
    axes.set_yticks([])
    axes.set_xticks(ticks)
    axes.set_xticklabels([_tick(t) for t in ticks])
    axes.tick_params(axis="x", length=2.5, pad=2.0, width=0.6)
    axes.axvline(0.0, color=NULL_LINE, linewidth=0.6, zorder=0)
    return axes


def _tick(value: float) -> str:
    return (f"{value:g}" if value != 0 else "0").replace("-", MINUS)


def _draw_row_mark(axes, row: _Line, k: int, largest: float, fonts) -> None:
    if row.kind == "study":
        colour = TRIAL if row.trial else INK
        axes.plot([row.lower, row.upper], [row.y, row.y], color=colour, linewidth=0.8,
                  solid_capstyle="butt", gid=f"ci-{k}")  # fmt: skip
        share = row.size / largest if np.isfinite(row.size) and largest > 0 else 0.5
        axes.plot([row.estimate], [row.y], marker="s", linestyle="none", color=colour,
                  markersize=2.0 + 4.5 * math.sqrt(share), gid=f"square-{k}")  # fmt: skip
    elif row.kind in ("subtotal", "model"):
        half = 0.36 * fonts.pitch
        points = [(row.lower, row.y), (row.estimate, row.y - half), (row.upper, row.y),
                  (row.estimate, row.y + half)]  # fmt: skip
        axes.add_patch(Polygon(points, closed=True, facecolor=row.fill, edgecolor=INK,
                               linewidth=0.7, gid=f"diamond-{k}"))  # fmt: skip
    elif row.kind == "prediction":
        cap = 0.25 * fonts.pitch
        axes.plot([row.lower, row.upper], [row.y, row.y], color=INK, linewidth=1.6,
                  solid_capstyle="butt", gid=f"prediction-{k}")  # fmt: skip
        for x in (row.lower, row.upper):
            axes.plot([x, x], [row.y - cap, row.y + cap], color=INK, linewidth=0.8)


# --- funnel plot -----------------------------------------------------------------------


def plot_funnel(
    studies: pd.DataFrame,
    models: pd.DataFrame,
    egger: pd.DataFrame | None = None,
    *,
    style: dict | None = None,
) -> plt.Figure:
    """Funnel plot: each study's effect against its standard error.

    Parameters
    ----------
    studies
        :func:`rlstrial.meta.meta_analysis`'s ``studies`` (yi, se, measure; optional
        is_trial).
    models
        Its ``models``; the fixed-effect row (``method == "FE"`` without HKSJ) gives
        the centre and the pseudo CI limits, est -/+ z se, at its ``level``.
    egger
        Optional: its ``egger``. When tested, the regression line
        yi = limit_estimate + asymmetry * se is drawn (dashed) and its p-value given;
        otherwise its note is printed under the plot.
    style
        rcParams over the theme and the caller's settings.

    Returns
    -------
    matplotlib.figure.Figure
        Single-column wide; the marks have ids ``studies``, ``trial``, ``centre``,
        ``limits``, ``egger``, and the note's text ``note``.

    Examples
    --------
    >>> studies = pd.DataFrame({"yi": [-10.8, -14.7, -9.5], "se": [1.2, 1.5, 1.5],
    ...     "measure": "MD"})
    >>> models = pd.DataFrame({"method": ["FE"], "hksj": [False], "estimate": [-11.6],
    ...     "level": [0.95]})
    >>> figure = plot_funnel(studies, models)
    >>> sorted(a.get_gid() for a in figure.axes[0].lines if a.get_gid())
    ['centre', 'limits', 'studies']
    >>> plt.close(figure)
    """
    fixed = models[(models["method"] == "FE") & ~models["hksj"].astype(bool)]
    if fixed.empty:
        raise ValueError("the models table has no fixed-effect row (method FE, no HKSJ)")
    centre, level = float(fixed["estimate"].iloc[0]), float(fixed["level"].iloc[0])
    z = _normal_quantile(level)
    tested = egger is not None and len(egger) > 0 and bool(egger["tested"].iloc[0])
    note = "" if egger is None or tested or not len(egger) else str(egger["note"].iloc[0])
    with themed(style):
        fonts = _Fonts()
        width = SINGLE_COLUMN * 25.4
        notes = fonts.wrap(note, 0.96 * (width - 2 * MARGIN), fonts.small) if note else []
        # mm from the top: the axes, its ticks and label, the legend, the note
        plot_top, plot_height = MARGIN + 2.0, 0.62 * width
        legend_top = plot_top + plot_height + 3.3 * fonts.small_pitch + 1.0
        notes_top = legend_top + 3.0 * fonts.small_pitch + 1.0
        height = notes_top + len(notes) * fonts.small_pitch + MARGIN
        figure = plt.figure(figsize=(SINGLE_COLUMN, height / 25.4))
        left = 14.0
        axes = figure.add_axes(
            (left / width, 1 - (plot_top + plot_height) / height,
             (width - left - MARGIN) / width, plot_height / height)
        )  # fmt: skip
        _funnel_marks(axes, studies, centre, z, egger if tested else None)
        axes.set_ylabel("Standard error")
        axes.set_xlabel(MEASURE_NAMES.get(str(studies["measure"].iloc[0]), "Effect"))
        handles, labels = axes.get_legend_handles_labels()
        figure.legend(handles, labels, loc="upper center", ncol=2, frameon=False,
                      fontsize="small", handlelength=1.8, columnspacing=1.5,
                      bbox_to_anchor=(0.5, 1 - legend_top / height))  # fmt: skip
        for j, line in enumerate(notes):
            y = 1 - (notes_top + (j + 0.5) * fonts.small_pitch) / height
            figure.text(MARGIN / width, y, line, fontsize="small", va="center_baseline",
                        gid="note" if j == 0 else f"note-{j}", parse_math=False)  # fmt: skip
    return figure


def _funnel_marks(axes, studies: pd.DataFrame, centre: float, z: float, egger) -> None:
    """The pseudo-CI funnel, the centre line, the studies and Egger's line."""
    top = 1.08 * float(studies["se"].max())
    se = np.array([0.0, top])
    axes.plot(centre + np.array([-1, 0, 1]) * z * top, [top, 0, top], color=NULL_LINE,
              linestyle=(0, (4, 2)), linewidth=0.7, gid="limits",
              label="Pseudo 95% limits" if round(z, 2) == 1.96 else "Pseudo CI limits")  # fmt: skip
    axes.plot([centre, centre], se, color=INK, linewidth=0.7, gid="centre",
              label="Fixed-effect estimate")  # fmt: skip
    _funnel_points(axes, studies)
    if egger is not None:
        row = egger.iloc[0]
        axes.plot(row["limit_estimate"] + row["asymmetry"] * se, se, color=OKABE_ITO[5],
                  linewidth=0.9, gid="egger",
                  label=f"Egger's regression ({_p(row['p_value'])})")  # fmt: skip
    axes.set_ylim(top, 0)


def _normal_quantile(level: float) -> float:
    from scipy import stats

    return float(stats.norm.isf((1 - level) / 2))


def _funnel_points(axes, studies: pd.DataFrame) -> None:
    trial = studies["is_trial"].astype(bool) if "is_trial" in studies else False
    others = studies[~trial] if "is_trial" in studies else studies
    axes.plot(others["yi"], others["se"], marker="o", linestyle="none", color=INK,
              markersize=3.5, markerfacecolor="white", gid="studies", label="Studies")  # fmt: skip
    if "is_trial" in studies and trial.any():
        own = studies[trial]
        axes.plot(own["yi"], own["se"], marker="D", linestyle="none", color=TRIAL,
                  markersize=3.8, gid="trial", label="This trial")  # fmt: skip


def _funnel_note(figure, note: str) -> None:
    fonts = _Fonts()
    width = (SINGLE_COLUMN * 25.4) - 2 * MARGIN - 2.0
    lines = fonts.wrap(note, width, fonts.small)
    figure.text(MARGIN / (SINGLE_COLUMN * 25.4), 0.02, "\n".join(lines), fontsize="small",
                va="bottom", gid="note", parse_math=False)  # fmt: skip
