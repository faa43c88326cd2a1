"""Every figure against a committed baseline image, so that an unintended change shows.

The figures are drawn from small literal tables (those of test_figures.py and
test_consort.py) and compared with matplotlib's testing tools (RMS difference of the
PNGs within ``TOLERANCE``). After an intended change, regenerate the baselines with
``RLSTRIAL_REGENERATE_BASELINES=1 uv run pytest tests/test_figure_images.py`` and look
at every PNG in tests/baseline_images/ before committing them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.testing.compare import compare_images
from test_consort import FLOWS
from test_figures import DESIGN, OUTCOME, lsmeans_table
from test_forest import PLAN, VERSUS_CONTROL, results

from rlstrial import figures

BASELINES = Path(__file__).parent / "baseline_images"
TOLERANCE = 2.0  # RMS of the pixel difference (0-255)
DPI = 100


def trajectories():
    at_risk = pd.DataFrame(
        [
            {"visit": visit, "arm": arm, "n": n}
            for visit, n in (("Baseline", 10), ("Week 2", 9), ("Week 4", 8))
            for arm in DESIGN.arm_codes
        ]
    )
    return figures.plot_trajectories(lsmeans_table(), DESIGN, OUTCOME, at_risk)


def interaction():
    return figures.plot_interaction(lsmeans_table(), DESIGN, "Week 4", OUTCOME)


def diagnostics():
    residuals = pd.DataFrame(
        {
            "fitted": [1.0, 2.0, 3.0, 4.0],
            "residual": [0.5, -0.5, 0.2, -0.1],
            "normalized": [1.0, -1.0, 0.4, -0.2],
        }
    )
    correlation = pd.DataFrame(
        {"visit": ["Week 2", "Week 4"], "Week 2": [1.0, 0.4], "Week 4": [0.4, 1.0]}
    )
    return figures.plot_diagnostics(residuals, correlation, "Model diagnostics")


def individual_change():
    changes = pd.DataFrame(
        {
            "TRT01P": ["control", "control", "massager", "heat", "combined"],
            "CHG": [1.0, -2.0, -9.0, -4.0, -6.0],
        }
    )
    return figures.plot_individual_change(changes, DESIGN, "X score: change at Week 4")


def consort():
    return figures.draw_consort(FLOWS["pilot"], DESIGN)


def forest():
    return figures.plot_forest(results(), PLAN, VERSUS_CONTROL)


FIGURES = {
    "consort": consort,
    "forest": forest,
    "trajectories": trajectories,
    "interaction": interaction,
    "diagnostics": diagnostics,
    "individual_change": individual_change,
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figure_matches_its_baseline(name, tmp_path):
    paths = figures.save_figure(FIGURES[name](), tmp_path / name, dpi=DPI)
    actual = next(p for p in paths if p.suffix == ".png")
    baseline = BASELINES / f"{name}.png"
    if os.environ.get("RLSTRIAL_REGENERATE_BASELINES"):
        shutil.copyfile(actual, baseline)
    assert baseline.exists(), f"no baseline for {name}: regenerate (see the module docstring)"
    difference = compare_images(str(baseline), str(actual), tol=TOLERANCE)
    assert difference is None, difference
