"""The seeded simulators: reproducible, and the Park replica matches the publication."""

from __future__ import annotations

import filecmp

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from conftest import ROOT

from rlstrial.config import load_config
from rlstrial.pipeline import load_validated
from rlstrial.scoring import score_questionnaires
from rlstrial.simulate import simulate_trial, write_raw_folder

PUBLISHED_IRLS = {  # Park 2020: baseline mean (SD), week-4 mean (SD)
    "control": (24.6, 8.1, 21.3, 8.5),
    "massager": (19.9, 9.8, 12.3, 4.2),
    "heat": (22.8, 6.6, 17.3, 8.1),
    "combined": (19.9, 5.1, 16.9, 6.2),
}


@pytest.mark.parametrize(
    ("configs", "folder"),
    [
        (["config/config.yaml"], "data/raw"),
        (["config/config.yaml", "config/park2020.yaml"], "data/park2020/raw"),
    ],
)
def test_bundled_raw_folders_regenerate_byte_identically(tmp_path, configs, folder):
    config = load_config(*(ROOT / c for c in configs))
    write_raw_folder(simulate_trial(config), tmp_path, "note")
    for path in sorted((ROOT / folder).glob("*.csv")):
        assert filecmp.cmp(path, tmp_path / path.name, shallow=False), path.name


@pytest.fixture(scope="module")
def park(park_config):
    tables = load_validated(ROOT / "data" / "park2020" / "raw", park_config)
    scores = score_questionnaires(tables["questionnaires.csv"], park_config)
    arms = tables["randomization.csv"].set_index("participant_id")["arm"]
    wide = scores.pivot_table(index="USUBJID", columns=["PARAMCD", "VISIT"], values="AVAL")
    wide.columns = [f"{p}_{v}" for p, v in wide.columns]
    wide["arm"] = pd.Categorical(
        wide.index.map(arms), categories=["control", "massager", "heat", "combined"]
    )
    return tables, wide


def test_park_replica_arm_sizes(park):
    tables, _ = park
    counts = tables["randomization.csv"]["arm"].value_counts().to_dict()
    assert counts == {"massager": 8, "control": 7, "combined": 7, "heat": 6}


def test_park_irls_means_and_sds_equal_the_published_table_within_rounding(park):
    tables, _ = park
    q = tables["questionnaires.csv"]
    irls = q[q["instrument"] == "IRLS"].groupby(["participant_id", "visit"])["response"].sum()
    irls = irls.unstack().join(tables["randomization.csv"].set_index("participant_id")["arm"])
    for arm, (m0, s0, m4, s4) in PUBLISHED_IRLS.items():
        group = irls[irls["arm"] == arm]
        got = (
            group["WEEK0"].mean(),
            group["WEEK0"].std(),
            group["WEEK4"].mean(),
            group["WEEK4"].std(),
        )
        for value, published in zip(got, (m0, s0, m4, s4), strict=True):
            assert abs(value - published) <= 0.05 + 1e-9, (arm, got)


def _differences(model) -> dict[str, float]:
    return {arm: model.params[f"arm[T.{arm}]"] for arm in ("massager", "heat", "combined")}


def test_park_baseline_adjusted_differences_are_near_the_published_row(park):
    _, wide = park
    model = smf.ols("IRLSTOT_WEEK4 ~ arm + IRLSTOT_WEEK0", data=wide).fit()
    published = {"massager": -6.3, "heat": -2.9, "combined": -1.7}
    for arm, estimate in _differences(model).items():
        assert abs(estimate - published[arm]) <= 0.5, (arm, estimate)


def test_park_unadjusted_week4_confidence_intervals_match_the_publication(park):
    _, wide = park
    model = smf.ols("IRLSTOT_WEEK4 ~ arm", data=wide).fit()
    ci = model.conf_int()
    published = {"massager": (-16.3, -1.7), "heat": (-11.8, 3.9), "combined": (-12.0, 3.1)}
    for arm, (low, high) in published.items():
        assert abs(ci.loc[f"arm[T.{arm}]", 0] - low) <= 0.1
        assert abs(ci.loc[f"arm[T.{arm}]", 1] - high) <= 0.1


def test_park_sleep_and_quality_of_life_differences(park):
    _, wide = park
    mos = _differences(smf.ols("MOSSPI2_WEEK4 ~ arm", data=wide).fit())
    assert abs(mos["massager"] - -22.0) <= 0.5
    assert abs(mos["heat"] - -17.4) <= 0.5
    qol = _differences(smf.ols("RLSQOL_WEEK4 ~ arm", data=wide).fit())
    assert abs(qol["massager"] - 25.3) <= 0.5
    published_baseline = {"control": 49.8, "massager": 59.1, "heat": 62.6, "combined": 68.0}
    means = wide.groupby("arm", observed=True)["RLSQOL_WEEK0"].mean()
    for arm, mean in published_baseline.items():
        assert abs(means[arm] - mean) <= 0.5


def test_factorial_trial_design(default_config):
    tables = load_validated(ROOT / "data" / "raw", default_config)
    rand = tables["randomization.csv"]
    assert len(rand) == 240
    assert sorted(rand["site"].unique()) == ["S01", "S02", "S03"]
    # permuted blocks of 4 and 8 within each stratum: arms differ by at most 2 per stratum
    per_stratum = rand.groupby(["stratum", "arm"]).size().unstack(fill_value=0)
    assert (per_stratum.max(axis=1) - per_stratum.min(axis=1)).le(2).all()
    disposition = tables["disposition.csv"]["status"].value_counts(normalize=True)
    assert 0.05 <= 1 - disposition["completed"] <= 0.16
    q = tables["questionnaires.csv"]
    assert q["response"].isna().mean() == pytest.approx(0.01, abs=0.005)
    visits = q[q["instrument"] == "MOS"]["visit"].unique().tolist()
    assert visits == ["WEEK0", "WEEK2", "WEEK4"]
    screening = tables["screening.csv"]
    assert screening["participant_id"].isna().sum() > 0
    assert screening["participant_id"].notna().sum() == 240


def test_factorial_dropout_depends_on_earlier_severity(default_config):
    """MAR dropout: those who leave had worse IRLS at their last visit."""
    config = load_config(
        ROOT / "config" / "config.yaml",
        overrides={"simulation": {"n_randomized": 800, "seed": 11, "dropout_rate": 0.3}},
    )
    tables = simulate_trial(config)
    q = tables["questionnaires.csv"]
    q = q[(q["instrument"] == "IRLS") & (q["visit"] == "WEEK0")].copy()
    q["response"] = pd.to_numeric(q["response"].replace("", np.nan))
    baseline = q.groupby("participant_id")["response"].sum()
    status = tables["disposition.csv"].set_index("participant_id")["status"]
    left = status.ne("completed").reindex(baseline.index)
    assert baseline[left].mean() > baseline[~left].mean() + 1.0


def test_same_seed_same_tables_other_seed_other_tables(small_trial):
    _, config = small_trial
    first, again = simulate_trial(config), simulate_trial(config)
    assert all(first[name].equals(again[name]) for name in first)
    other = dict(config, simulation={**config["simulation"], "seed": 8})
    assert not simulate_trial(other)["randomization.csv"].equals(first["randomization.csv"])
