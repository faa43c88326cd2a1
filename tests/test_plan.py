"""The analysis plan: every cross-reference checked and reported at once, the control
arm found from the factor levels, and no result depending on the order of the arms."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
import yaml
from conftest import ROOT, make_analysis

from rlstrial.analysis import analyse_outcome
from rlstrial.config import ConfigError, load_config, validate_config
from rlstrial.plan import Design, Plan, PlanError, build_plan, plan_problems


def base() -> dict:
    with open(ROOT / "config" / "config.yaml", encoding="utf-8") as handle:
        return validate_config(yaml.safe_load(handle))


def park() -> dict:
    return load_config(ROOT / "config" / "config.yaml", ROOT / "config" / "park2020.yaml")


def with_change(path: str, value) -> dict:
    """The default config with one value replaced (``path`` dotted, list items by index)."""
    config = copy.deepcopy(base())
    *parents, last = path.split(".")
    node = config
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[int(last) if last.isdigit() else last] = value
    return config


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            "analysis.multiplicity.family.0",
            "massager vs contrl",
            "analysis.multiplicity.family[0]: 'massager vs contrl' is not a contrast of this"
            " design (choices: 'massager vs control', 'heat vs control', 'combined vs control',"
            " 'massager main effect', 'heat main effect', 'massager x heat interaction');"
            " did you mean 'massager vs control'?",
        ),
        (
            "analysis.primary.contrast",
            "heat vs massager",
            "analysis.primary.contrast: 'heat vs massager' is not an active arm versus control"
            " (choices: 'massager vs control', 'heat vs control', 'combined vs control')",
        ),
        (
            "analysis.primary.visit",
            "WEEK5",
            "analysis.primary.visit: 'WEEK5' is not a post-baseline visit of IRLS (choices:"
            " 'WEEK1', 'WEEK2', 'WEEK3', 'WEEK4'); did you mean 'WEEK4'?",
        ),
        (
            "analysis.primary.outcome",
            "IRLSTOTAL",
            "analysis.primary.outcome: 'IRLSTOTAL' is not an analysed outcome (analysis.outcomes)",
        ),
        (
            "analysis.outcomes.3",
            "MOSSPI3",
            "analysis.outcomes[3]: 'MOSSPI3' is not a scale of any instrument",
        ),
        (
            "analysis.responder.outcome",
            "IRLS",
            "analysis.responder.outcome: 'IRLS' is not a scale measured at the primary visit WEEK4",
        ),
        (
            "analysis.covariates.0",
            "SITE",
            "analysis.covariates[0]: 'SITE' is not a baseline covariate",
        ),
        (
            "analysis.population",
            "ITT",
            "analysis.population: 'ITT' is not a population flag of adsl (choices: 'ITTFL',"
            " 'SAFFL', 'PPROTFL'); did you mean 'ITTFL'?",
        ),
        (
            "analysis.analyses.3.population",
            "PPFL",
            "analysis.analyses[3].population: 'PPFL' is not a population flag of adsl",
        ),
        (
            "analysis.primary.analysis",
            "mmmr",
            "analysis.primary.analysis: 'mmmr' is not an analysis of the plan (choices: 'mmrm',"
            " 'clda', 'random_intercept', 'per_protocol', 'robust'); did you mean 'mmrm'?",
        ),
    ],
)
def test_each_broken_reference_is_named_with_its_choices(path, value, message):
    config = with_change(path, value)
    with pytest.raises(PlanError) as error:
        build_plan(config)
    assert message in str(error.value)
    with pytest.raises(ConfigError, match="is not"):  # and at start-up, with the schema
        validate_config(config)


def test_every_problem_is_reported_at_once():
    config = with_change("analysis.primary.visit", "WEEK5")
    config["analysis"]["multiplicity"]["family"] = ["heat vs contol", "massager main efect"]
    config["analysis"]["covariates"] = ["SITEID", "AGEGR"]
    config["analysis"]["analyses"].append({"name": "mmrm", "baseline": "none"})
    problems = plan_problems(config)
    assert [p.split(":")[0] for p in problems] == [
        "analysis.primary.visit",
        "analysis.multiplicity.family[0]",
        "analysis.multiplicity.family[1]",
        "analysis.covariates[1]",
        "analysis.analyses",
    ]
    assert "did you mean 'massager main effect'?" in problems[2]
    assert problems[4] == "analysis.analyses: 'mmrm' is listed twice"


def test_a_design_that_is_not_a_full_2x2_is_refused():
    config = base()
    config["arms"] = config["arms"][:3]
    assert plan_problems(config) == [
        "arms: a 2x2 factorial needs exactly four arms, one per combination of massager and"
        " heat; missing: massager=True, heat=True (3 arms given)"
    ]


def test_control_is_found_from_the_factor_levels_whatever_the_order():
    config = base()
    config["arms"] = config["arms"][::-1]  # combined, heat, massager, control
    plan = build_plan(config)
    assert plan.design.control == "control"
    assert plan.design.arm_codes == ["control", "massager", "heat", "combined"]
    assert plan.design == build_plan(base()).design


def test_the_family_and_analyses_resolve_to_canonical_settings():
    config = base()
    config["analysis"]["multiplicity"]["family"] = [
        "combined vs control",
        "massager vs control",
        "heat vs control",
    ]
    plan = build_plan(config)
    assert plan.multiplicity.family == build_plan(base()).multiplicity.family
    per_protocol = plan.analysis("per_protocol")
    assert (per_protocol.population, per_protocol.covariates) == ("PPROTFL", ("SITEID",))


def test_each_analysis_gets_its_inference_methods():
    """An analysis' own df method and covariance win; one that changes only the
    covariance gets that covariance's default df (between-within for an empirical one,
    as SAS), not the section's df method."""
    config = base()
    config["analysis"]["df_method"] = "kenward-roger"
    config["analysis"]["analyses"] = [
        {"name": "a", "baseline": "covariate"},
        {"name": "b", "baseline": "covariate", "vcov": "empirical-jackknife"},
        {"name": "c", "baseline": "covariate", "vcov": "empirical", "df_method": "residual"},
        {"name": "d", "baseline": "covariate", "df_method": "kenward-roger-linear"},
    ]
    config["analysis"]["primary"]["analysis"] = "a"
    plan = build_plan(config)
    assert [(a.df_method, a.vcov) for a in plan.analyses] == [
        ("kenward-roger", "model"),
        ("between-within", "empirical-jackknife"),
        ("residual", "empirical"),
        ("kenward-roger-linear", "model"),
    ]


def test_an_impossible_combination_of_inference_methods_is_a_plan_problem():
    config = base()
    config["analysis"]["analyses"][1]["vcov"] = "empirical"
    config["analysis"]["analyses"][1]["df_method"] = "kenward-roger"
    (problem,) = plan_problems(config)
    assert problem.startswith(
        "analysis.analyses[1] (clda): df_method 'kenward-roger' with vcov 'empirical':"
        " Kenward-Roger adjusts the model-based covariance"
    )


def test_sections_travel_as_plain_data_and_come_back_equal():
    plan = build_plan(base())
    params = plan.to_params(
        "design", "alpha", "multiplicity", "analyses", "responder", "imputation"
    )
    assert "Arm(" not in repr(params)  # builtins only: Snakemake compares their repr
    again = Plan.from_params(params)
    assert again.design == plan.design and again.multiplicity == plan.multiplicity
    assert again.alpha == plan.alpha and again.imputation == plan.imputation
    assert again.analyses == plan.analyses and again.responder == plan.responder
    assert again.primary is None
    with pytest.raises(ValueError, match="unknown plan sections"):
        plan.to_params("desing")


def test_an_outcome_must_be_measured_where_the_plan_looks_at_it():
    config = with_change("analysis.primary.outcome", "RLSQOL")  # weeks 0 and 4 only
    config["analysis"]["primary"]["visit"] = "WEEK2"
    assert plan_problems(config)[0] == (
        "analysis.primary.visit: 'WEEK2' is not a post-baseline visit of RLSQOL"
        " (choices: 'WEEK4'); did you mean 'WEEK4'?"
    )
    config = with_change("analysis.primary.visit", "WEEK2")  # IRLS is weekly: fine
    config["analysis"]["responder"]["outcome"] = "RLSQOL"  # RLS-QoL: weeks 0 and 4 only
    assert plan_problems(config) == [
        "analysis.responder.outcome: 'RLSQOL' is not a scale measured at the primary visit"
        " WEEK2 (choices: 'IRLSIMP', 'IRLSSYM', 'IRLSTOT', 'MOSADEQ', 'MOSDIST', 'MOSOPT',"
        " 'MOSQUANT', 'MOSSNOR', 'MOSSOB', 'MOSSOMN', 'MOSSPI1', 'MOSSPI2')"
    ]


def test_duplicated_outcomes_and_unmatched_published_results_are_named():
    config = with_change("analysis.outcomes", ["IRLSTOT", "IRLSSYM", "IRLSTOT"])
    config["published"] = [
        {
            "outcome": "IRLSTOT",
            "analysis": "mmrm",
            "visit": "Week 4",
            "contrast": "massager vs controll",
            "estimate": -9.0,
            "ci_lower": -16.3,
            "ci_upper": -1.7,
        }
    ]
    problems = plan_problems(config)
    assert "analysis.outcomes: 'IRLSTOT' is listed twice" in problems
    assert [p for p in problems if p.startswith("published")] == [
        "published[0].contrast: 'massager vs controll' is not a contrast of this design"
        " (choices: 'massager vs control', 'heat vs control', 'combined vs control',"
        " 'massager main effect', 'heat main effect', 'massager x heat interaction');"
        " did you mean 'massager vs control'?"
    ]


def test_a_design_is_canonical_however_it_is_built():
    arms = build_plan(base()).design.arms
    shuffled = Design(arms=(arms[3], arms[1], arms[0], arms[2]), visits=())
    assert shuffled.control == "control"
    assert shuffled.arm_codes == ["control", "massager", "heat", "combined"]
    assert shuffled.contrast("heat vs control").weights == (-1.0, 0.0, 1.0, 0.0)


def test_arm_order_in_the_config_does_not_change_the_datasets_or_the_results(park_raw_copy):
    """The raw folder derived and analysed under two configs that list the arms in
    different orders: the same adsl (TRT01PN included), the same cLDA table and the
    same primary-visit checks."""
    from dataclasses import replace as with_fields

    from test_derive import build

    from rlstrial.effects import hedges_g, responders
    from rlstrial.plan import Responder
    from rlstrial.sensitivity import rerandomization_test

    results = []
    for order in ((0, 1, 2, 3), (2, 0, 3, 1)):
        config = copy.deepcopy(park())
        config["arms"] = [config["arms"][k] for k in order]
        plan = build_plan(config)
        _, adsl, adqs = build(park_raw_copy, config)
        plan = with_fields(plan, responder=Responder("IRLSTOT", 5, "nonresponder"))
        clda, _ = analyse_outcome(
            adqs, adsl, plan, "IRLSTOT", make_analysis("c", "clda", covariates=())
        )
        results.append(
            (
                adsl,
                clda,
                hedges_g(adqs, adsl, plan),
                responders(adqs, adsl, plan),
                rerandomization_test(adqs, adsl, plan),
            )
        )
    for one, two in zip(*results, strict=True):
        pd.testing.assert_frame_equal(one, two)
    adsl, clda, effects, *_ = results[0]
    assert adsl.groupby("TRT01P")["TRT01PN"].first().to_dict() == {
        "control": 1,
        "massager": 2,
        "heat": 3,
        "combined": 4,
    }
    assert effects["contrast"].tolist() == [
        "massager vs control",
        "heat vs control",
        "combined vs control",
    ]
    assert (clda["reference"][clda["effect"] == "vs control"] == "control").all()


def test_covariates_and_population_flags_are_columns_of_the_datasets():
    from rlstrial.derive import ADQS_COLUMNS, ADSL_COLUMNS
    from rlstrial.plan import COVARIATES, POPULATION_FLAGS

    assert set(COVARIATES) <= set(ADSL_COLUMNS) | set(ADQS_COLUMNS)
    assert set(POPULATION_FLAGS) <= set(ADSL_COLUMNS)
