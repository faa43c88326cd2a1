"""Model-based analyses: factorial and vs-control contrasts, multiplicity, baseline
handling, and the replication of the published pilot."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, make_analysis
from test_derive import build

from rlstrial.analysis import RESULT_COLUMNS, analyse_outcome, compare_published
from rlstrial.plan import INTERACTION, Multiplicity

ARMS = ["control", "massager", "heat", "combined"]


def balanced_trial(values: dict[str, list[float]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """adqs/adsl for one parameter: baseline 10 for all, week-4 values given per arm."""
    rows, subjects = [], []
    for arm, week4 in values.items():
        for k, value in enumerate(week4):
            uid = f"{arm}-{k}"
            subjects.append({"USUBJID": uid, "ITTFL": "Y"})
            for visit, week, aval, flag in (("Baseline", 0, 10.0, "Y"), ("Week 4", 4, value, "")):
                rows.append(
                    {
                        "USUBJID": uid,
                        "TRT01P": arm,
                        "SITEID": "S01",
                        "PARAMCD": "X",
                        "AVISIT": visit,
                        "AVISITN": week,
                        "AVAL": aval,
                        "BASE": 10.0,
                        "CHG": aval - 10.0 if flag == "" else np.nan,
                        "ABLFL": flag,
                        "ANL01FL": "Y",
                    }
                )
    return pd.DataFrame(rows), pd.DataFrame(subjects)


WEEK4 = {  # cell means 20, 12, 17, 16; within-arm deviations -1, 0, +1: pooled SD 1
    "control": [19.0, 20.0, 21.0],
    "massager": [11.0, 12.0, 13.0],
    "heat": [16.0, 17.0, 18.0],
    "combined": [15.0, 16.0, 17.0],
}


def by_contrast(table: pd.DataFrame, visit="Week 4") -> pd.DataFrame:
    return table[table["visit"] == visit].set_index("contrast")


def test_contrasts_are_simple_functions_of_the_cell_means(default_plan):
    adqs, adsl = balanced_trial(WEEK4)
    results, _ = analyse_outcome(adqs, adsl, default_plan, "X", make_analysis("t", "none"))
    assert list(results.columns) == RESULT_COLUMNS
    got = by_contrast(results)
    assert got.loc[[f"LS-mean {a}" for a in ARMS], "estimate"].tolist() == pytest.approx(
        [20, 12, 17, 16]
    )
    assert got.loc["massager vs control", "estimate"] == pytest.approx(12 - 20)
    assert got.loc["heat vs control", "estimate"] == pytest.approx(17 - 20)
    assert got.loc["combined vs control", "estimate"] == pytest.approx(16 - 20)
    assert got.loc["massager main effect", "estimate"] == pytest.approx(((12 + 16) - (20 + 17)) / 2)
    assert got.loc["heat main effect", "estimate"] == pytest.approx(((17 + 16) - (20 + 12)) / 2)
    assert got.loc["massager x heat interaction", "estimate"] == pytest.approx(
        (16 - 17) - (12 - 20)
    )
    # pooled SD 1 on 12 - 4 = 8 df: SE of a difference of two arms sqrt(2/3), of a
    # main effect sqrt(4 x 1/4 x 1/3) = sqrt(1/3), of the interaction sqrt(4/3)
    assert got.loc["massager vs control", "std_error"] == pytest.approx(np.sqrt(2 / 3))
    assert got.loc["massager main effect", "std_error"] == pytest.approx(np.sqrt(1 / 3))
    assert got.loc["massager x heat interaction", "std_error"] == pytest.approx(np.sqrt(4 / 3))
    assert got["df"].to_numpy() == pytest.approx(8.0, rel=1e-4)
    assert got.loc["massager vs control", "n"] == 6 and got.loc["massager main effect", "n"] == 12


def test_holm_adjusts_the_vs_control_family_only(default_plan):
    adqs, adsl = balanced_trial(WEEK4)
    results, _ = analyse_outcome(adqs, adsl, default_plan, "X", make_analysis("t", "none"))
    got = by_contrast(results)
    family = got.loc[["massager vs control", "heat vs control", "combined vs control"]]
    assert (family["adjustment"] == "holm").all()
    assert (family["p_adjusted"] >= family["p_value"]).all()
    assert family["p_adjusted"].min() == pytest.approx(min(1.0, 3 * family["p_value"].min()))
    others = got.drop(index=family.index)
    assert (others["adjustment"] == "none").all()
    assert (others["p_adjusted"] == others["p_value"]).all()


def test_baseline_as_covariate_models_change(default_plan):
    adqs, adsl = balanced_trial(WEEK4)
    adqs.loc[adqs["ABLFL"] == "Y", "AVAL"] = 10.0
    # every baseline is 10: BASE is constant, aliased with the intercept and dropped
    with pytest.warns(UserWarning, match=r"aliased columns dropped .*\['BASE'\]"):
        results, _ = analyse_outcome(adqs, adsl, default_plan, "X", make_analysis("t", "covariate"))
    got = by_contrast(results)
    assert got.loc["LS-mean control", "estimate"] == pytest.approx(20 - 10)
    assert got.loc["massager vs control", "estimate"] == pytest.approx(-8)


@pytest.fixture(scope="module")
def default_trial(default_config):
    _, adsl, adqs = build(ROOT / "data" / "raw", default_config)
    return adqs, adsl


def test_clda_shares_one_baseline_mean_and_agrees_with_ancova(default_trial, default_plan):
    adqs, adsl = default_trial
    ancova, _ = analyse_outcome(
        adqs, adsl, default_plan, "IRLSTOT", make_analysis("a", "covariate")
    )
    clda, _ = analyse_outcome(adqs, adsl, default_plan, "IRLSTOT", make_analysis("c", "clda"))
    a, c = by_contrast(ancova), by_contrast(clda)
    for contrast in ("massager vs control", "heat vs control", "combined vs control"):
        assert c.loc[contrast, "estimate"] == pytest.approx(a.loc[contrast, "estimate"], abs=0.5)
        assert c.loc[contrast, "std_error"] == pytest.approx(a.loc[contrast, "std_error"], rel=0.15)
    assert set(clda["visit"]) == {"Week 1", "Week 2", "Week 3", "Week 4"}


def test_primary_analysis_recovers_the_simulated_effects(default_trial, default_plan):
    """The simulator's true week-4 IRLS effects: massager -6, heat -3, interaction +2.5."""
    adqs, adsl = default_trial
    results, statistics = analyse_outcome(
        adqs, adsl, default_plan, "IRLSTOT", default_plan.analyses[0]
    )
    got = by_contrast(results)
    truth = {
        "massager vs control": -6.0,
        "heat vs control": -3.0,
        "combined vs control": -6.5,
        "massager x heat interaction": 2.5,
    }
    for contrast, value in truth.items():
        row = got.loc[contrast]
        assert row.ci_lower - 0.5 < value < row.ci_upper + 0.5, (contrast, row.estimate)
    structure = statistics.set_index("statistic").loc["structure", "value"]
    assert structure == "us"


# --- the published pilot -----------------------------------------------------------


@pytest.fixture(scope="module")
def park(park_config, park_plan):
    _, adsl, adqs = build(ROOT / "data" / "park2020" / "raw", park_config)
    tables = [
        analyse_outcome(adqs, adsl, park_plan, outcome.code, analysis)[0]
        for outcome in park_plan.outcomes
        for analysis in park_plan.analyses
    ]
    return pd.concat(tables, ignore_index=True)


def test_park_unadjusted_differences_and_cis_match_the_publication(park, park_config):
    table = compare_published(park, park_config["published"]).set_index(
        ["outcome", "analysis", "contrast"]
    )
    for contrast in ("massager vs control", "combined vs control"):
        row = table.loc[("IRLSTOT", "unadjusted", contrast)]
        assert abs(row.estimate_difference) <= 0.1
        assert abs(row.ci_lower_difference) <= 0.1 and abs(row.ci_upper_difference) <= 0.1
    heat = table.loc[("IRLSTOT", "unadjusted", "heat vs control")]
    assert abs(heat.ci_lower_difference) <= 0.1 and abs(heat.ci_upper_difference) <= 0.1
    assert heat.note.startswith("published estimate -3.6 disagrees with its own 95% CI")
    assert (table["note"] != "").sum() == 1


def test_park_adjusted_sleep_and_quality_of_life_within_half_a_point(park, park_config):
    table = compare_published(park, park_config["published"])
    ancova = table[table["analysis"] == "ancova"]
    assert len(ancova) == 3 and (ancova["estimate_difference"].abs() <= 0.5).all()
    others = table[table["outcome"] != "IRLSTOT"]
    assert len(others) == 3 and (others["estimate_difference"].abs() <= 0.5).all()


def test_model_based_dunnett_matches_scipy_dunnett_in_a_one_visit_design(default_plan):
    """With one post-baseline visit and no baseline covariate the MMRM is the one-way
    model, so the model-based Dunnett p-values are scipy.stats.dunnett's."""
    from scipy import stats

    rng = np.random.default_rng(4)
    values = {
        arm: list(np.round(rng.normal(mean, 3, 6), 2))
        for arm, mean in zip(ARMS, [20, 16, 18, 17], strict=True)
    }
    adqs, adsl = balanced_trial(values)
    family = Multiplicity("dunnett", tuple(f"{a} vs control" for a in ARMS[1:]))
    plan = replace(default_plan, multiplicity=family)
    results, _ = analyse_outcome(adqs, adsl, plan, "X", make_analysis("t", "none"))
    got = by_contrast(results).loc[[f"{a} vs control" for a in ARMS[1:]]]
    reference = stats.dunnett(*(values[a] for a in ARMS[1:]), control=values["control"])
    assert (got["adjustment"] == "dunnett").all()
    assert got["p_adjusted"].to_numpy() == pytest.approx(reference.pvalue, abs=2e-3)


def test_an_arm_without_data_at_a_visit_is_not_estimable_and_leaves_the_family(default_plan):
    """Cell means 20, 12, 17, 16 at week 4, but no heat participant has a week-4 value:
    the heat LS-mean and every contrast involving heat are NA with the reason, and Holm
    adjusts over the two vs-control contrasts that remain."""
    values = dict(WEEK4)
    values["heat"] = []
    adqs, adsl = balanced_trial(values)
    heat_baseline = balanced_trial({"heat": [17.0, 17.0]})[0]
    adqs = pd.concat([adqs, heat_baseline[heat_baseline["AVISIT"] == "Baseline"]])
    adsl = pd.concat([adsl, balanced_trial({"heat": [17.0, 17.0]})[1]])
    results, _ = analyse_outcome(adqs, adsl, default_plan, "X", make_analysis("t", "none"))
    got = by_contrast(results)
    missing = ["LS-mean heat", "heat vs control", "heat main effect", INTERACTION]
    assert got.loc[missing, "estimate"].isna().all()
    assert (got.loc[missing, "note"] == "not estimable: no heat data at Week 4").all()
    assert got.loc["massager vs control", "estimate"] == pytest.approx(-8.0)
    assert got.loc["massager main effect", "note"] == "not estimable: no heat data at Week 4"
    pair = ["massager vs control", "combined vs control"]
    smaller, larger = np.sort(got.loc[pair, "p_value"].to_numpy())
    holm = sorted([min(1, 2 * smaller), max(min(1, 2 * smaller), larger)])  # Holm by hand
    assert np.sort(got.loc[pair, "p_adjusted"].to_numpy()) == pytest.approx(holm)
    assert (got.loc[pair, "adjustment"] == "holm").all()
    assert got.loc["massager vs control", "note"] == (
        "adjusted over 2 of 3 contrasts of the family (heat vs control not estimable)"
    )
    assert got.loc["LS-mean heat", "n"] == 0


def test_every_record_left_out_of_a_model_is_counted_with_its_reason(default_plan):
    adqs, adsl = balanced_trial(WEEK4)
    adsl.loc[adsl["USUBJID"] == "control-0", "ITTFL"] = "N"  # not in the population
    week4 = adqs["AVISIT"] == "Week 4"
    adqs.loc[week4 & (adqs["USUBJID"] == "massager-0"), "ANL01FL"] = ""  # no value
    adqs.loc[adqs["USUBJID"] == "heat-0", "BASE"] = np.nan  # no baseline
    _, statistics = analyse_outcome(adqs, adsl, default_plan, "X", make_analysis("t", "covariate"))
    counted = statistics.set_index("statistic")["value"]
    assert counted["excluded: not in the population (ITTFL)"] == 1
    assert counted["excluded: no analysable value (ANL01FL blank)"] == 1
    assert counted["excluded: no baseline value"] == 1
    assert counted["n_observations"] == 12 - 3


def test_n_counts_the_rows_the_model_used(default_plan):
    adqs, adsl = balanced_trial(WEEK4)
    adqs["AGE"] = 60.0
    adqs.loc[adqs["USUBJID"] == "heat-0", "AGE"] = np.nan  # dropped by the model
    adqs.loc[adqs["USUBJID"] == "heat-1", "AGE"] = 61.0  # so that AGE varies
    analysis = make_analysis("t", "none", covariates=("AGE",))
    results, _ = analyse_outcome(adqs, adsl, default_plan, "X", analysis)
    assert by_contrast(results).loc["LS-mean heat", "n"] == 2
