"""Questionnaire scores on answers a reader can add up by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rlstrial.scoring import band, recode, score_items, score_questionnaires

NAN = np.nan


def responses(instrument: str, answers: dict[int, float], participant="P1", visit="WEEK0"):
    return pd.DataFrame(
        {
            "participant_id": participant,
            "visit": visit,
            "assessment_date": pd.Timestamp("2024-01-09"),
            "instrument": instrument,
            "item": list(answers),
            "response": [float(v) for v in answers.values()],
        }
    )


def scores_by_param(frame: pd.DataFrame, config: dict) -> dict[str, tuple]:
    scored = score_questionnaires(frame, config)
    return {
        row.PARAMCD: (row.AVAL, row.DTYPE, row.NITEMS) for row in scored.itertuples(index=False)
    }


IRLS_ANSWERS = dict(zip(range(1, 11), [4, 3, 2, 1, 0, 4, 3, 2, 1, 0], strict=True))


def test_irls_total_subscales_and_band(default_config):
    scored = score_questionnaires(responses("IRLS", IRLS_ANSWERS), default_config)
    got = dict(zip(scored["PARAMCD"], scored["AVAL"], strict=True))
    # total 4+3+2+1+0+4+3+2+1+0; symptoms items 1,2,4,6,7,8: 4+3+1+4+3+2; impact 5,9,10: 0+1+0
    assert got == {"IRLSTOT": 20.0, "IRLSSYM": 17.0, "IRLSIMP": 1.0}
    assert scored.loc[scored["PARAMCD"] == "IRLSTOT", "AVALCAT1"].item() == "Moderate"
    assert scored["DTYPE"].eq("").all()


def test_irls_one_missing_item_is_prorated_and_flagged(default_config):
    answers = {**IRLS_ANSWERS, 3: NAN}  # 18 over 9 items: 2 per item, 20 for 10 items
    got = scores_by_param(responses("IRLS", answers), default_config)
    assert got["IRLSTOT"] == (20.0, "PRORATED", 9)
    assert got["IRLSSYM"] == (17.0, "", 6)  # item 3 is in neither subscale
    answers = {**IRLS_ANSWERS, 1: NAN}
    got = scores_by_param(responses("IRLS", answers), default_config)
    # 3+2+1+0+4+3+2+1+0 = 16 over 9 items, times 10; symptoms 3+1+4+3+2 = 13 over 5, times 6
    assert got["IRLSTOT"][0] == pytest.approx(160 / 9)
    assert got["IRLSSYM"] == (pytest.approx(15.6), "PRORATED", 5)


def test_irls_two_missing_items_give_no_total(default_config):
    answers = {**IRLS_ANSWERS, 1: NAN, 5: NAN}
    got = scores_by_param(responses("IRLS", answers), default_config)
    assert np.isnan(got["IRLSTOT"][0])
    assert got["IRLSTOT"][2] == 8
    assert np.isnan(got["IRLSIMP"][0])  # impact allows no missing item


MOS_ANSWERS = {1: 2, 2: 7.5, 3: 3, 4: 4, 5: 6, 6: 2, 7: 3, 8: 4, 9: 5, 10: 1, 11: 6, 12: 2}


def test_mos_scales_by_hand(default_config):
    got = {
        k: v[0] for k, v in scores_by_param(responses("MOS", MOS_ANSWERS), default_config).items()
    }
    # recoded: item1 2 -> 25; frequency items 1..6 -> 100..0: 3 -> 60, 5: 6 -> 0, 6: 2 -> 80,
    # 7: 3 -> 60, 8: 4 -> 40, 9: 5 -> 20, 10: 1 -> 100, 11: 6 -> 0;
    # items 4 and 12 in the problems indices reversed: 4 -> 60, 2 -> 20; in adequacy: 40, 80
    assert got["MOSSPI2"] == pytest.approx((25 + 60 + 60 + 0 + 80 + 60 + 40 + 20 + 20) / 9)
    assert got["MOSSPI1"] == pytest.approx((60 + 0 + 60 + 40 + 20 + 20) / 6)
    assert got["MOSDIST"] == pytest.approx((25 + 60 + 60 + 40) / 4)
    assert got["MOSADEQ"] == pytest.approx(60.0)
    assert got["MOSSOMN"] == pytest.approx((80 + 20 + 0) / 3)
    assert got["MOSSNOR"] == 100.0
    assert got["MOSSOB"] == 0.0
    assert got["MOSQUANT"] == 7.5
    assert got["MOSOPT"] == 1.0


@pytest.mark.parametrize(("hours", "optimal"), [(6.5, 0.0), (7.0, 1.0), (8.0, 1.0), (8.5, 0.0)])
def test_mos_optimal_sleep_is_7_to_8_hours(default_config, hours, optimal):
    got = scores_by_param(responses("MOS", {**MOS_ANSWERS, 2: hours}), default_config)
    assert got["MOSOPT"][0] == optimal


def test_rlsqol_summary(default_config):
    summary_items = [1, 2, 3, 4, 5, 7, 8, 9, 10, 13]
    others = {item: 3 for item in [6, 11, 12, 14, 15, 16, 17, 18]}
    best = {**dict.fromkeys(summary_items, 1), **others}
    spread = {**dict(zip(summary_items, [1, 2, 3, 4, 5] * 2, strict=True)), **others}
    assert scores_by_param(responses("RLSQOL", best), default_config)["RLSQOL"][0] == 100.0
    # 1..5 -> 100, 75, 50, 25, 0 twice: mean 50
    assert scores_by_param(responses("RLSQOL", spread), default_config)["RLSQOL"][0] == 50.0


def test_score_items_mean_with_missing():
    score, answered, prorated = score_items(np.array([[10.0, NAN, 30.0]]), "mean", 1)
    assert (score.tolist(), answered.tolist(), prorated.tolist()) == ([20.0], [2], [True])


def test_score_items_rejects_unknown_aggregate():
    with pytest.raises(ValueError, match="aggregate must be"):
        score_items(np.ones((1, 2)), "median", 0)


def test_recode_rejects_codes_outside_the_map():
    with pytest.raises(ValueError, match=r"codes \[7.0\] are not in the recode map"):
        recode(np.array([7.0]), {"from": [1, 2], "to": [0, 100]})


def test_band_edges():
    bands = [
        {"label": "None", "max": 0},
        {"label": "Mild", "max": 10},
        {"label": "Severe", "max": 40},
    ]
    assert band(np.array([0.0, 0.5, 10.0, 40.0]), bands).tolist() == [
        "None",
        "Mild",
        "Mild",
        "Severe",
    ]


def test_scores_are_sorted_and_complete(default_config):
    frame = pd.concat(
        [
            responses("IRLS", IRLS_ANSWERS, visit="WEEK4"),
            responses("IRLS", IRLS_ANSWERS, visit="WEEK0"),
            responses("IRLS", IRLS_ANSWERS, participant="P0", visit="WEEK0"),
        ]
    )
    scored = score_questionnaires(frame, default_config)
    assert list(zip(scored["USUBJID"], scored["VISIT"], scored["PARAMCD"], strict=True))[:4] == [
        ("P0", "WEEK0", "IRLSTOT"),
        ("P0", "WEEK0", "IRLSSYM"),
        ("P0", "WEEK0", "IRLSIMP"),
        ("P1", "WEEK0", "IRLSTOT"),
    ]
    assert len(scored) == 9
