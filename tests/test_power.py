"""Power by simulation: reproducible replicates, batching that changes nothing, the
ADEMP summary, and the theory it must agree with."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from rlstrial import power
from rlstrial.config import load_config
from rlstrial.plan import build_plan

GENERATE = {
    "baseline": {"mean": 22.0, "sd": 5.0},
    "baseline_slope": 0.3,
    "effects": {"control": -1.0, "massager": -4.0, "heat": -2.0, "interaction": 1.0},
    "sd": [4.0, 4.5, 5.0, 5.5],
    "correlation": "ar1",
    "rho": 0.6,
    "sites": 3,
    "site_sd": 1.0,
    "dropout": {"mcar": 0.05, "mar": {"intercept": -4.0, "slope": 0.1}},
}
SETTINGS = {
    "seed": 7,
    "replicates": 4,
    "batch_size": 2,
    "sample_sizes": [15],
    "analysis": "mmrm",
    "generate": GENERATE,
    "scenarios": [{"name": "planned"}, {"name": "no_effect", "effects": {"massager": 0.0}}],
}


@pytest.fixture(scope="module")
def plan():
    return build_plan(load_config(ROOT / "config" / "config.yaml"))


def test_batches_change_nothing(plan):
    whole = power.run_replicates(plan, SETTINGS, 0, 15, range(4))
    halves = pd.concat(
        [power.run_replicates(plan, SETTINGS, 0, 15, r) for r in (range(0, 2), range(2, 4))],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(whole, halves)
    assert whole["seed"].unique().tolist() == ["7:0:15:0", "7:0:15:1", "7:0:15:2", "7:0:15:3"]


def test_a_replicate_is_regenerated_from_its_seed_alone(plan):
    """The seed column "root:scenario:n:replicate" is all it takes."""
    table = power.run_replicates(plan, SETTINGS, 0, 15, range(3, 4))
    root, scenario, n, replicate = map(int, table["seed"].iloc[0].split(":"))
    again = power.replicate_data(
        plan, GENERATE, n, power.replicate_seed(root, scenario, n, replicate)
    )
    refit = power.analyse_replicate(again, plan, "mmrm")
    assert np.allclose(refit["estimate"], table["estimate"])


def test_simulated_data_follow_the_model(plan):
    """Arms by allocation, monotone dropout, every participant with a baseline row."""
    generate = {**GENERATE, "allocation": {"control": 2}}
    data = power.replicate_data(plan, generate, 10, np.random.SeedSequence(1))
    baseline = data[data["ABLFL"] == "Y"]
    assert baseline["TRT01P"].value_counts().to_dict() == {
        "control": 20,
        "massager": 10,
        "heat": 10,
        "combined": 10,
    }
    weeks = {v.label: v.week for v in plan.design.visits}
    seen = data[data["ABLFL"] != "Y"].assign(week=lambda d: d["AVISIT"].map(weeks))
    last = seen.groupby("USUBJID")["week"].agg(["max", "count"])
    assert (last["count"] == last["max"]).all()  # weeks 1..k: no gaps after dropping out


def test_true_contrasts_from_the_factorial_effects(plan):
    truth = power.true_contrasts(plan, GENERATE)
    assert truth == pytest.approx(
        {
            "massager vs control": -4.0,
            "heat vs control": -2.0,
            "combined vs control": -5.0,
            "massager main effect": -3.5,
            "heat main effect": -1.5,
            "massager x heat interaction": 1.0,
        }
    )


def test_power_of_the_mmrm_agrees_with_the_ancova_formula():
    """Complete data, one post-baseline visit, no sites: the MMRM is the ANCOVA, and the
    rejection rate of an unadjusted two-sided test must agree with the non-central t
    power within 2 Monte Carlo SEs."""
    pilot = build_plan(
        load_config(ROOT / "config" / "config.yaml", ROOT / "config" / "park2020.yaml")
    )
    settings = {
        "seed": 11,
        "analysis": "ancova",
        "generate": {
            "baseline": {"mean": 22.0, "sd": 5.0},
            "baseline_slope": 0.4,
            "effects": {"control": 0.0, "massager": -3.0, "heat": 0.0, "interaction": 0.0},
            "sd": 5.0,
            "sites": 1,
        },
        "scenarios": [{"name": "check"}],
    }
    n, replicates = 25, 250
    table = power.run_replicates(pilot, settings, 0, n, range(replicates))
    rows = table[table["estimand"] == "massager vs control"]
    rejection = float((rows["p_value"] < 0.05).mean())
    expected = power.ancova_power(3.0, 5.0, n, 4, 0.05)
    mcse = np.sqrt(expected * (1 - expected) / replicates)
    assert abs(rejection - expected) < 2 * mcse, (rejection, expected, mcse)
    assert rows["df"].round(6).eq(4 * n - 5).all()  # the ANCOVA's residual df


def test_summary_and_smallest_sample_size():
    replicates = pd.DataFrame(
        {
            "scenario": "s",
            "n_per_arm": [10] * 4 + [20] * 4,
            "estimand": "e",
            "true": 1.0,
            "estimate": [0.5, 1.5, 1.0, 1.0] * 2,
            "std_error": 0.5,
            "p_adjusted": [0.2, 0.2, 0.01, 0.3, 0.01, 0.02, 0.01, 0.3],
            "ci_lower": 0.0,
            "ci_upper": 2.0,
            "converged": [True] * 7 + [False],
            "fallback": [False] * 8,
        }
    )
    summary = power.summarize(replicates, 0.05)
    assert summary["rejection"].tolist() == [0.25, 1.0]  # non-converged replicate left out
    assert summary["convergence"].tolist() == [1.0, 0.75]
    assert power.smallest_n(summary, "s", "e", 0.8) == 20
    assert np.isnan(power.smallest_n(summary, "s", "e", 1.01))
