"""Effect sizes, responders, the rank-based check and the completers ANOVA."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from conftest import primary_visit_trial

from rlstrial.effects import completers_anova, hedges_g, rank_test, responders
from rlstrial.plan import Responder


def with_responder(plan, missing: str):
    """The plan with the responder rule: an IRLS improvement of at least 9 points."""
    return replace(plan, responder=Responder("IRLSTOT", 9, missing))


def week4_changes(changes: dict[str, list[float | None]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """adqs/adsl with the given week-4 IRLS changes (None: no week-4 value)."""
    return primary_visit_trial(changes)


def test_hedges_g_by_hand(default_plan):
    # each active arm 1 point lower than control, SD 1 in every arm: d = -1, and
    # Hedges' correction 1 - 3 / (4 (n1 + n2) - 9) = 1 - 3/15 = 0.8
    adqs, adsl = week4_changes(
        {"control": [1, 2, 3], "massager": [0, 1, 2], "heat": [0, 1, 2], "combined": [0, 1, 2]}
    )
    table = hedges_g(adqs, adsl, default_plan)
    assert table["estimate"].tolist() == pytest.approx([-0.8, -0.8, -0.8])
    assert (table["ci_lower"] < table["estimate"]).all() and (
        table["estimate"] < table["ci_upper"]
    ).all()
    assert table["contrast"].tolist() == [
        "massager vs control",
        "heat vs control",
        "combined vs control",
    ]


def test_hedges_g_is_na_with_its_reason_when_an_arm_has_no_values(default_plan):
    adqs, adsl = week4_changes(
        {"control": [1, 2, 3], "massager": [0, 1, 2], "heat": [None, None], "combined": [0, 1]}
    )
    table = hedges_g(adqs, adsl, default_plan).set_index("contrast")
    assert table.loc["heat vs control", "note"] == (
        "not estimable: fewer than 2 heat values at Week 4"
    )
    assert table.loc[["heat vs control"], ["estimate", "ci_lower", "ci_upper"]].isna().all(None)
    assert table.loc["massager vs control", "estimate"] == pytest.approx(-0.8)
    assert table.loc["combined vs control", "note"] == ""


@pytest.mark.parametrize(
    ("missing", "n_massager", "share"), [("nonresponder", 4, 2 / 4), ("exclude", 3, 2 / 3)]
)
def test_responders_by_hand(default_plan, missing, n_massager, share):
    # improvement of at least 9 points: change <= -9
    adqs, adsl = week4_changes(
        {
            "control": [-9, 0, 0, 0],
            "massager": [-9, -12, -8.5, None],
            "heat": [0, 0, 0, 0],
            "combined": [-10, -10, -10, -10],
        }
    )
    table = responders(adqs, adsl, with_responder(default_plan, missing))
    proportions = table[table["measure"] == "proportion"].set_index("contrast")
    assert proportions.loc["responders control", "estimate"] == 1 / 4
    assert proportions.loc["responders massager", ["n", "responders"]].tolist() == [n_massager, 2]
    assert proportions.loc["responders massager", "estimate"] == pytest.approx(share)
    difference = table[(table["measure"] == "risk difference")].set_index("contrast")
    assert difference.loc["massager vs control", "estimate"] == pytest.approx(share - 1 / 4)
    odds = table[(table["measure"] == "odds ratio")].set_index("contrast")
    # (2 / (n - 2)) / (1 / 3)
    assert odds.loc["massager vs control", "estimate"] == pytest.approx(
        (2 / (n_massager - 2)) / (1 / 3)
    )


def test_rank_test_separates_shifted_arms(default_plan):
    adqs, adsl = week4_changes(
        {
            "control": [0, 1, 2, 3, 4],
            "massager": [-10, -9, -8, -7, -6],
            "heat": [0, 1, 2, 3, 5],
            "combined": [-10, -9, -8, -7, -5],
        }
    )
    table = rank_test(adqs, adsl, default_plan).set_index("contrast")
    assert table.loc["massager vs control (Mann-Whitney)", "statistic"] == 0  # no overlap
    assert table.loc["all arms (Kruskal-Wallis)", "p_value"] < 0.01
    assert table.loc["heat vs control (Mann-Whitney)", "p_value"] > 0.5


def test_completers_anova_keeps_only_completers(default_plan):
    rows = []
    subjects = []
    for arm in ("control", "massager", "heat", "combined"):
        for k in range(4):
            uid = f"{arm}{k}"
            subjects.append({"USUBJID": uid, "ITTFL": "Y"})
            for week, label in ((1, "Week 1"), (2, "Week 2")):
                if k == 3 and week == 2:
                    continue  # one dropout per arm
                rows.append(
                    {
                        "USUBJID": uid,
                        "TRT01P": arm,
                        "PARAMCD": "IRLSTOT",
                        "AVISIT": label,
                        "ABLFL": "",
                        "ANL01FL": "Y",
                        "AVAL": 20.0 + k + week,
                    }
                )
    table = completers_anova(pd.DataFrame(rows), pd.DataFrame(subjects), default_plan)
    assert set(table["analysis"]) == {"completers only"} and set(table["n"]) == {12}
    assert list(table["Source"]) == ["TRT01P", "AVISIT", "Interaction"]


def test_every_primary_visit_check_goes_on_when_an_arm_has_no_values(park_plan):
    """As the primary_visit_checks job runs them: no check stops the run, and those
    that involve the empty arm say why they are NA."""
    from rlstrial.sensitivity import multiple_imputation, rerandomization_test

    adqs, adsl = primary_visit_trial(
        {
            "control": [1, 2, 3, 0],
            "massager": [0, -5, -9, -10],
            "heat": [None, None, None],
            "combined": [0, -1, -2, -12],
        },
        baseline={
            "control": [20, 22, 18, 25],
            "massager": [21, 19, 24, 23],
            "heat": [20, 21, 22],
            "combined": [18, 26, 20, 22],
        },
    )
    plan = with_responder(park_plan, "nonresponder")
    ranks = rank_test(adqs, adsl, plan).set_index("contrast")
    assert ranks.loc["heat vs control (Mann-Whitney)", "note"] == (
        "not estimable: no heat values at Week 4"
    )
    assert ranks.loc["all arms (Kruskal-Wallis)", "note"].startswith("over the arms with data")
    assert hedges_g(adqs, adsl, plan).set_index("contrast").loc["heat vs control", "note"]
    assert len(responders(adqs, adsl, plan)) == 10
    assert len(completers_anova(adqs, adsl, plan)) > 0
    assert rerandomization_test(adqs, adsl, plan, max_exact=100, draws=200)["p_value"].notna().all()
    assert multiple_imputation(adqs, adsl, plan)["estimate"].notna().all()  # massager vs control
