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


# --- Lu, Luo & Chen (2008): the MMRM's power with monotone dropout ------------------------
# The expected values are those printed in longpower 1.0.26's reference pages (R package
# by M. C. Donohue; mcdonohue/longpower on GitHub, reference/power.mmrm.html and
# reference/power.mmrm.ar1.html), which reproduce Tables 1, 2 and 5 of Lu, Luo & Chen
# (2008, Int J Biostat 4(1)). tests/results/power_longpower_examples.R has the R calls.


def compound_symmetry(rho, visits):
    return np.full((visits, visits), rho) + (1 - rho) * np.eye(visits)


def ar1(rho, visits):
    return rho ** np.abs(np.subtract.outer(np.arange(visits), np.arange(visits)))


LONGPOWER_CS = compound_symmetry(0.25, 4)  # power.mmrm's example: Ra
LONGPOWER_RA = [1.0, 0.90, 0.80, 0.70]  # ... and ra


# Table 2 of Lu, Luo & Chen: phi of AR(1) visits 1..J, retention falling linearly from 1
# to 1 - a_J, correlation rho^(J-1) between the first and last visit (the columns).
TABLE_2 = {
    (2, 0.1): [1.111111, 1.110000, 1.101111, 1.083333, 1.056667, 1.021111],
    (2, 0.2): [1.250000, 1.247500, 1.227500, 1.187500, 1.127500, 1.047500],
    (2, 0.3): [1.428571, 1.424286, 1.390000, 1.321429, 1.218571, 1.081429],
    (2, 0.4): [1.666667, 1.660000, 1.606667, 1.500000, 1.340000, 1.126667],
    (4, 0.1): [1.111111, 1.100502, 1.082804, 1.062830, 1.039967, 1.014086],
    (4, 0.2): [1.250000, 1.224745, 1.183929, 1.138862, 1.087970, 1.030895],
    (4, 0.3): [1.428571, 1.382542, 1.310653, 1.233183, 1.147022, 1.051426],
    (4, 0.4): [1.666667, 1.590105, 1.474888, 1.354053, 1.221989, 1.077280],
}


@pytest.mark.parametrize(("visits", "lost"), list(TABLE_2))
def test_lu_luo_chen_phi_reproduces_their_table_2(visits, lost):
    """The general formula on AR(1) matrices gives the AR(1) closed form of the table."""
    retention = np.linspace(1, 1 - lost, visits)
    phi = [
        power.lu_luo_chen_phi(ar1(first_last ** (1 / (visits - 1)), visits), retention)
        for first_last in (0.0, 0.1, 0.3, 0.5, 0.7, 0.9)
    ]
    assert phi == pytest.approx(TABLE_2[(visits, lost)], abs=5e-7)


@pytest.mark.parametrize(
    ("phi_active", "phi_control", "allocation", "z_total", "t_total"),
    [
        (1, 1, 1.0, 168.1188, 170.1476),
        (1, 1, 2.0, 189.1336, 191.1576),
        (1, 2, np.sqrt(1 / 2), 244.9670, 246.9822),
        (1, 2, 0.5, 252.1782, 254.1925),
        (1, 2, 1.0, 252.1782, 254.1925),
        (1, 2, 2.0, 315.2227, 317.2313),
        (2, 2, 1.0, 336.2375, 338.2447),
        (2, 2, 2.0, 378.2672, 380.2721),
    ],
)
def test_lu_luo_chen_sample_size_reproduces_their_table_1(
    phi_active, phi_control, allocation, z_total, t_total
):
    """Total sample size for delta / sigma = 0.5, 90% power, alpha 0.05: one visit with
    retention 1 / phi gives each arm's phi."""
    sizes = {
        test: power.lu_luo_chen_sample_size(
            0.5,
            1.0,
            np.eye(1),
            [1 / phi_active],
            retention_control=[1 / phi_control],
            allocation=allocation,
            power=0.9,
            test=test,
        )
        for test in ("z", "t")
    }
    assert sum(sizes["z"]) == pytest.approx(z_total, abs=5e-5)
    assert sum(sizes["t"]) == pytest.approx(t_total, abs=5e-5)
    assert sizes["z"][0] / sizes["z"][1] == pytest.approx(allocation)


def test_lu_luo_chen_reproduces_longpower_power_mmrm_examples():
    """power.mmrm with compound symmetry 0.25, ra = (1, 0.9, 0.8, 0.7), sigmaa = 1."""
    size = power.lu_luo_chen_sample_size
    assert size(0.5, 1.0, LONGPOWER_CS, LONGPOWER_RA, power=0.8) == pytest.approx(
        (86.99175, 86.99175), abs=5e-6
    )
    assert size(0.5, 1.0, LONGPOWER_CS, LONGPOWER_RA, power=0.8, allocation=2) == (
        pytest.approx((130.4876, 65.24381), abs=5e-5)
    )
    at = lambda delta, n, allocation=1.0: power.lu_luo_chen_power(  # noqa: E731
        delta, 1.0, LONGPOWER_CS, LONGPOWER_RA, n, allocation=allocation
    )
    assert at(0.5, 87) == pytest.approx(0.8000372, abs=5e-8)  # N = 174
    assert at(0.5, 116, allocation=2) == pytest.approx(0.7522291, abs=5e-8)
    # the delta printed for N = 174 and power 0.80 gives that power back
    assert at(0.4999763, 87) == pytest.approx(0.8, abs=1e-6)
    assert at(0.5303049, 116, allocation=2) == pytest.approx(0.8, abs=1e-6)


def test_lu_luo_chen_reproduces_longpower_power_mmrm_ar1_examples():
    """power.mmrm.ar1 with rho 0.6 and different retention in the two arms (the
    approximations to Lu, Luo & Chen's Table 5)."""
    ra, rb = [1.00, 0.76, 0.63, 0.52], [1.00, 0.87, 0.81, 0.78]
    correlation = ar1(0.6, 4)
    assert power.lu_luo_chen_phi(correlation, ra) == pytest.approx(1.752276, abs=5e-7)
    assert power.lu_luo_chen_phi(correlation, rb) == pytest.approx(1.246951, abs=5e-7)
    size = lambda allocation, target: power.lu_luo_chen_sample_size(  # noqa: E731
        0.9, 1.0, correlation, ra, retention_control=rb, allocation=allocation, power=target
    )
    assert size(np.sqrt(1.25 / 1.75), 0.904) == pytest.approx((36.92307, 43.68796), abs=5e-6)
    assert size(1.25 / 1.75, 0.910) == pytest.approx((35.54856, 49.76798), abs=5e-6)
    assert size(1.0, 0.903) == pytest.approx((39.3224, 39.3224), abs=5e-5)
    assert size(2.0, 0.904) == pytest.approx((55.87099, 27.93549), abs=5e-6)
    at = lambda n, allocation=1.0, alpha=0.05: power.lu_luo_chen_power(  # noqa: E731
        0.9, 1.0, correlation, ra, n, retention_control=rb, allocation=allocation, alpha=alpha
    )
    assert at(40) == pytest.approx(0.9077117, abs=5e-8)  # N = 80
    # the sig.level printed for N = 84, allocation 2 and power 0.904 gives that power back
    assert at(56, allocation=2, alpha=0.04956129) == pytest.approx(0.904, abs=1e-6)


def test_lu_luo_chen_edge_cases_and_errors():
    assert power.lu_luo_chen_phi(LONGPOWER_CS, [1.0] * 4) == pytest.approx(1.0)  # complete
    assert power.lu_luo_chen_phi(np.eye(3), [0.9, 0.8, 0.5]) == pytest.approx(2.0)  # 1 / r_J
    with pytest.raises(ValueError, match="non-increasing"):
        power.lu_luo_chen_phi(np.eye(2), [0.8, 0.9])
    with pytest.raises(ValueError, match="must be 3 x 3"):
        power.lu_luo_chen_phi(np.eye(2), [1.0, 0.9, 0.8])
    with pytest.raises(ValueError, match="test must be"):
        power.lu_luo_chen_sample_size(1.0, 1.0, np.eye(1), [1.0], test="f")
    t_power = power.lu_luo_chen_power(0.5, 1.0, LONGPOWER_CS, LONGPOWER_RA, 87, df=172)
    assert 0.79 < t_power < 0.8000372  # the t test has a little less power than the z


# Slow (about 10 s): 1000 simulated trials analysed by the plan's MMRM.
def test_power_of_the_mmrm_with_dropout_agrees_with_lu_luo_chen(plan):
    """MCAR monotone dropout, compound-symmetric correlation with visit SDs rising, the
    massager-vs-control difference at week 4, n per arm from Lu, Luo & Chen's formula for
    75% power: the simulated power of the plan's MMRM (unstructured covariance,
    Satterthwaite t test, unadjusted) must agree with the formula's within 3 Monte Carlo
    SEs, and the empirical SE of the estimate with the formula's within 3 of its MCSEs.

    Why the formula applies to the power study's model: the change from baseline is
    mu_a(j) + slope (BASE - mean) + e_j with e independent of BASE, so given BASE its
    covariance is Sigma, and the MMRM adjusts for BASE with one slope, as generated. One
    site (no site effect, SITEID left out of the model). A participant leaves before each
    post-baseline visit with probability h, so r_j = (1 - h)^j (the 1 - r_1 with no
    post-baseline value are out of the analysis, as out of the formula's sum, which starts
    with the r_1 - r_2 seen once). The two other arms share Sigma and add df only. The
    formula's t variant (df = n_active + n_control - 2, as Lu, Luo & Chen) is compared:
    its Sigma is known, the MMRM's estimated."""
    hazard, sds, rho, delta = 0.08, [4.0, 4.5, 5.0, 5.5], 0.5, 3.5
    retention = (1 - hazard) ** np.arange(1, 5)
    correlation = compound_symmetry(rho, 4)
    size = power.lu_luo_chen_sample_size(delta, sds[-1], correlation, retention, power=0.75)
    n = int(np.ceil(size[0]))
    settings = {
        "seed": 2008,
        "analysis": "mmrm",
        "generate": {
            "baseline": {"mean": 22.0, "sd": 5.0},
            "baseline_slope": 0.4,
            "effects": {"control": -1.0, "massager": -delta, "heat": 0.0, "interaction": 0.0},
            "sd": sds,
            "correlation": "cs",
            "rho": rho,
            "sites": 1,
            "dropout": {"mcar": hazard},
        },
        "scenarios": [{"name": "lu_luo_chen"}],
    }
    replicates = 1000
    table = power.run_replicates(plan, settings, 0, n, range(replicates))
    rows = table[table["estimand"] == "massager vs control"]
    assert rows["converged"].all()
    expected = power.lu_luo_chen_power(delta, sds[-1], correlation, retention, n, df=2 * n - 2)
    rejection = float((rows["p_value"] < 0.05).mean())
    mcse = np.sqrt(expected * (1 - expected) / replicates)
    assert n == 45 and 0.74 < expected < 0.76
    assert abs(rejection - expected) < 3 * mcse, (rejection, expected, mcse)
    phi = power.lu_luo_chen_phi(correlation, retention)
    se = sds[-1] * np.sqrt(2 * phi / n)
    empirical = float(rows["estimate"].std(ddof=1))
    assert abs(empirical - se) < 3 * se / np.sqrt(2 * (replicates - 1)), (empirical, se)
