"""Re-randomization test and multiple imputation, on cases checkable by hand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from conftest import primary_visit_trial as trial

from rlstrial.plan import Rerandomization
from rlstrial.sensitivity import multiple_imputation, rerandomization_test


@pytest.fixture
def config(park_plan):
    return park_plan  # visits Baseline and Week 4; primary contrast massager vs control


def test_exact_rerandomization_by_hand(config):
    # control changes 0, 1; massager 5, 6: of the 6 ways to choose the two "massager"
    # participants, two give a difference in means of 5 in absolute value: p = 1/3
    adqs, adsl = trial({"control": [0.0, 1.0], "massager": [5.0, 6.0]})
    row = rerandomization_test(adqs, adsl, config).iloc[0]
    assert row.estimate == pytest.approx(5.0)
    assert row.p_value == pytest.approx(1 / 3)
    assert row.allocations == 6 and "exact" in row.method


def test_rerandomization_keeps_stratum_counts(config):
    # two strata with one participant of each arm: 2 x 2 = 4 allocations; only the
    # observed one and its mirror image give |difference| = 5
    adqs, adsl = trial(
        {"control": [0.0, 1.0], "massager": [5.0, 6.0]},
        strata={"control": ["a", "b"], "massager": ["a", "b"]},
    )
    row = rerandomization_test(adqs, adsl, config).iloc[0]
    assert row.allocations == 4
    assert row.p_value == pytest.approx(2 / 4)


def test_monte_carlo_rerandomization_is_seeded(config):
    rng = np.random.default_rng(0)
    changes = {"control": list(rng.normal(0, 3, 20)), "massager": list(rng.normal(-3, 3, 20))}
    adqs, adsl = trial(changes)
    first = rerandomization_test(adqs, adsl, config, max_exact=100, draws=2000)
    again = rerandomization_test(adqs, adsl, config, max_exact=100, draws=2000)
    pd.testing.assert_frame_equal(first, again)
    assert "Monte Carlo, 2000 draws" in first["method"].item()
    assert 0 < first["p_value"].item() < 0.05


def test_imputation_without_missing_data_is_the_ancova(config):
    rng = np.random.default_rng(1)
    baseline = {arm: list(rng.normal(22, 5, 12)) for arm in ("control", "massager")}
    changes = {"control": list(rng.normal(-1, 3, 12)), "massager": list(rng.normal(-5, 3, 12))}
    adqs, adsl = trial(changes, baseline=baseline)
    table = multiple_imputation(adqs, adsl, config)
    data = pd.DataFrame(
        {
            "chg": changes["control"] + changes["massager"],
            "base": baseline["control"] + baseline["massager"],
            "massager": [0] * 12 + [1] * 12,
        }
    )
    ols = smf.ols("chg ~ massager + base", data).fit()
    assert table["estimate"].to_numpy() == pytest.approx(ols.params["massager"])
    assert table["std_error"].to_numpy() == pytest.approx(ols.bse["massager"])
    assert (table["n_imputed"] == 0).all()


def test_delta_adjustment_moves_the_estimate_towards_no_effect(config):
    rng = np.random.default_rng(2)
    baseline = {arm: list(rng.normal(22, 5, 30)) for arm in ("control", "massager")}
    changes = {"control": list(rng.normal(-1, 3, 30)), "massager": list(rng.normal(-5, 3, 30))}
    changes["massager"][:6] = [None] * 6  # six dropouts in the active arm
    adqs, adsl = trial(changes, baseline=baseline)
    table = multiple_imputation(adqs, adsl, config)
    assert (table["n_imputed"] == 6).all() and (table["m"] == config.imputation.m).all()
    assert np.all(np.diff(table["estimate"]) > 0)  # worse imputed values, smaller benefit
    tipping = table[table["tipping_point"]]
    assert len(tipping) <= 1
    if len(tipping):
        assert tipping["p_value"].item() >= 0.05
        assert (table.loc[: tipping.index[0] - 1, "p_value"] < 0.05).all()


def test_block_rerandomization_is_seeded_and_keeps_blocks_balanced(default_plan):
    from rlstrial.sensitivity import _block_sequence

    rng = np.random.default_rng(3)
    sequence = _block_sequence(rng, 16, ["a", "b", "c", "d"], [4, 8])
    counts = pd.Series(sequence).value_counts()
    assert counts.max() - counts.min() <= 2 and len(sequence) == 16
    rng = np.random.default_rng(5)
    changes = {
        arm: list(rng.normal(mean, 3, 8))
        for arm, mean in zip(
            ["control", "massager", "heat", "combined"], [0, -6, 0, 0], strict=True
        )
    }
    adqs, adsl = trial(changes)
    adsl["RANDDT"] = pd.Timestamp("2024-01-01")
    settings = Rerandomization("stratified_blocks", block_sizes=(4,), draws=300, seed=9)
    plan = replace(default_plan, rerandomization=settings)
    first = rerandomization_test(adqs, adsl, plan)
    assert first.equals(rerandomization_test(adqs, adsl, plan))
    assert "permuted blocks of [4]" in first["method"].item()
    assert first["p_value"].item() < 0.05


def test_imputation_is_na_with_its_reason_when_an_arm_has_no_primary_visit_values(config):
    adqs, adsl = trial({"control": [1.0, 2.0, 3.0, 4.0], "massager": [None, None, None]})
    table = multiple_imputation(adqs, adsl, config)
    assert table["estimate"].isna().all() and len(table) == len(config.imputation.deltas)
    assert table["note"].iloc[0].startswith("not estimable: too few observed values")
    assert "in arm massager (3 participants)" in table["note"].iloc[0]
