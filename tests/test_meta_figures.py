"""The meta-analysis figures (rlstrial.figures.meta): what each row and mark shows,
taken from the tables of rlstrial.meta.meta_analysis, and a layout without clipped or
overlapping text."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from conftest import ROOT
from matplotlib.colors import to_hex
from matplotlib.text import Text
from test_meta import BUNDLED, TRIAL

from rlstrial import meta
from rlstrial.figures.meta import TRIAL as TRIAL_COLOUR
from rlstrial.figures.meta import plot_funnel, plot_meta_forest
from rlstrial.figures.style import DOUBLE_COLUMN, SINGLE_COLUMN

SETTINGS = {"method": "REML", "hksj": True, "subgroup": "oil"}


@pytest.fixture(scope="module")
def tables():
    return meta.meta_analysis(meta.read_studies(BUNDLED), SETTINGS, trial=TRIAL)


@pytest.fixture(scope="module")
def forest(tables):
    figure = plot_meta_forest(
        tables["studies"],
        tables["models"],
        tables["weights"],
        tables["subgroups"],
        tables["subgroup_test"],
        favours=("Favours massage", "Favours control"),
    )
    yield figure
    plt.close(figure)


def texts(figure, prefix: str) -> list[str]:
    """The texts whose id starts with prefix, top to bottom (no-break spaces as spaces)."""
    found = [t for t in figure.texts if (t.get_gid() or "").startswith(prefix)]
    found = sorted(found, key=lambda t: -t.get_window_extent().y0)
    return [t.get_text().replace("\u00a0", " ") for t in found]


def test_rows_are_the_subgroups_their_studies_and_the_models(forest):
    assert texts(forest, "label-") == [
        "Lavender oil",
        "Hashemi 2015",
        "Illustrative A*",
        "Illustrative B*",
        "Subtotal",
        "Heterogeneity: τ² = 3.05; I² = 62%;\nQ = 5.38, df = 2, p = 0.068",
        "Other",
        "Illustrative C*",
        "Illustrative D*",
        "Illustrative E*",
        "This trial 2026",
        "Subtotal",
        "Heterogeneity: τ² = 2.89; I² = 60%;\nQ = 8.19, df = 3, p = 0.042",
        "Fixed-effect model",
        "Random-effects model (REML, HKSJ)",
        "Prediction interval",
    ]


def test_numbers_come_from_the_tables(forest, tables):
    studies, models = tables["studies"], tables["models"]
    estimates = texts(forest, "estimate-")
    hashemi = studies.iloc[0]
    assert estimates[0] == "−10.82 [−13.18, −8.46]"
    assert (hashemi["yi"], round(hashemi["ci_lower"], 2)) == (pytest.approx(-10.82), -13.18)
    main = models.query("role == 'main'").iloc[0]
    assert estimates[-2] == (
        f"{main['estimate']:.2f} [{main['ci_lower']:.2f}, {main['ci_upper']:.2f}]".replace(
            "-", "\u2212"
        )
    )
    assert estimates[-1] == f"[{main['pi_lower']:.2f}, {main['pi_upper']:.2f}]".replace(
        "-", "\u2212"
    )
    weights = tables["weights"].query("method == 'REML'").set_index("study")["weight"]
    shown = texts(forest, "weight-")
    assert shown[0] == f"{weights['Hashemi 2015']:.1f}" and shown[-2:] == ["100.0", ""]
    assert texts(forest, "n-t-")[:3] == ["35", "30", "40"]


def test_trial_and_illustrative_rows_are_marked(forest, tables):
    trial = next(t for t in forest.texts if t.get_text() == "This trial 2026")
    assert to_hex(trial.get_color()) == TRIAL_COLOUR.lower()
    assert trial.get_fontweight() == "bold"
    notes = " ".join(texts(forest, "note-"))
    assert "* Illustrative numbers, not from a publication." in notes
    test = tables["subgroup_test"].iloc[0]
    assert not test["hksj"]  # chi-squared on the subgroups' unadjusted SEs
    q, df, p = test["q_between"], int(test["df"]), test["p_value"]
    assert f"Test for subgroup differences: Q = {q:.2f}, df = {df}, p = {p:.3f}" in notes
    assert texts(forest, "favours-") == ["← Favours massage", "Favours control →"]


def drawn_texts(figure) -> list[Text]:
    """The figure's texts, axis labels and the tick labels within the axes' limits."""
    found = list(figure.texts)
    for axes in figure.axes:
        low, high = sorted(axes.get_xlim())
        found += [axes.xaxis.label, axes.yaxis.label]
        found += [
            label
            for location, label in zip(axes.get_xticks(), axes.get_xticklabels(), strict=True)
            if low <= location <= high
        ]
        low, high = sorted(axes.get_ylim())
        found += [
            label
            for location, label in zip(axes.get_yticks(), axes.get_yticklabels(), strict=True)
            if low <= location <= high
        ]
        if axes.get_legend():
            found += axes.get_legend().get_texts()
    for legend in figure.legends:
        found += legend.get_texts()
    return found


def no_clipping_or_overlap(figure) -> None:
    figure.canvas.draw()
    page = figure.bbox
    boxes = []
    for text in drawn_texts(figure):
        if text.get_text() and text.get_visible():
            box = text.get_window_extent()
            assert page.x0 <= box.x0 and box.x1 <= page.x1, text.get_text()
            assert page.y0 <= box.y0 and box.y1 <= page.y1, text.get_text()
            boxes.append((text.get_text(), box.expanded(1.0, 0.7)))  # glyphs, not leading
    for k, (one, first) in enumerate(boxes):
        for two, second in boxes[k + 1 :]:
            assert not first.overlaps(second), (one, two)


def test_forest_fits_the_page(forest):
    width, height = forest.get_size_inches() * 25.4
    assert width == pytest.approx(DOUBLE_COLUMN * 25.4) and 80 < height < 160
    no_clipping_or_overlap(forest)


def test_forest_without_subgroups_and_long_labels():
    """Thirteen studies with long names (metafor's dat.bcg), fixed effect only."""
    bcg = pd.read_csv(ROOT / "tests" / "results" / "meta_bcg_input.csv")
    effects = bcg.assign(
        study=bcg["study"] + " (a long name that wraps)",
        measure="MD",
        se=bcg["vi"] ** 0.5,
        ci_lower=bcg["yi"] - 1.96 * bcg["vi"] ** 0.5,
        ci_upper=bcg["yi"] + 1.96 * bcg["vi"] ** 0.5,
        n_t=100,
        n_c=100,
    )
    models = meta.pool(effects, "FE").assign(role="main")
    figure = plot_meta_forest(effects, models, meta.study_weights(effects, models))
    labels = texts(figure, "label-")
    assert labels[-1] == "Fixed-effect model" and len(labels) == 14
    assert any("\n" in label for label in labels)  # wrapped, not clipped
    no_clipping_or_overlap(figure)
    plt.close(figure)


def test_funnel_with_too_few_studies_says_why(tables):
    figure = plot_funnel(tables["studies"], tables["models"], tables["egger"])
    assert figure.get_size_inches()[0] * 25.4 == pytest.approx(SINGLE_COLUMN * 25.4)
    note = " ".join(texts(figure, "note"))
    assert note == tables["egger"]["note"].iloc[0]
    gids = {line.get_gid() for line in figure.axes[0].lines}
    assert gids == {"limits", "centre", "studies", "trial"}
    centre = next(line for line in figure.axes[0].lines if line.get_gid() == "centre")
    fixed = tables["models"].query("role == 'fixed'")["estimate"].iloc[0]
    assert list(centre.get_xdata()) == [fixed, fixed]
    no_clipping_or_overlap(figure)
    plt.close(figure)


def test_funnel_draws_eggers_line_when_tested():
    bcg = pd.read_csv(ROOT / "tests" / "results" / "meta_bcg_input.csv")
    effects = bcg.assign(measure="MD", se=bcg["vi"] ** 0.5)
    egger = meta.egger(effects)
    figure = plot_funnel(effects, meta.pool(effects, "FE"), egger)
    line = next(line for line in figure.axes[0].lines if line.get_gid() == "egger")
    row = egger.iloc[0]
    assert line.get_xdata()[0] == pytest.approx(row["limit_estimate"])
    assert line.get_label() == "Egger's regression (p = 0.189)"
    assert not [t for t in figure.texts if t.get_gid() == "note"]
    plt.close(figure)


def test_the_callers_settings_win(tables):
    small = plot_meta_forest(
        tables["studies"], tables["models"], tables["weights"], style={"font.size": 6}
    )
    label = next(t for t in small.texts if t.get_gid() == "label-0")
    assert label.get_fontsize() == 6
    plt.close(small)
