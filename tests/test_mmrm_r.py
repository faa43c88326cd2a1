"""The MMRM engine against R (nlme::gls with corSymm + varIdent, emmeans) on the
project's synthetic trial. The R script, its input and its outputs are committed in
tests/results/ (rerun: cd tests/results && Rscript mmrm_trial_nlme.R); R is not needed
here.

Tolerances: estimates within 0.001 standard errors, standard errors and covariance
within 0.1% (nlme stops at its own tolerance), -2 REML log-likelihood within 1e-4
(nlme's REML log-likelihood has the same constants as ours here). Degrees of freedom
within 5%: emmeans has no analytical Satterthwaite method for gls ("appx-satterthwaite"),
so these df are approximate; exact Satterthwaite df are checked against SAS in
test_mmrm_sas.py.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from rlstrial.mmrm import fit_mmrm

RESULTS = ROOT / "tests" / "results"
VISITS = ["Baseline", "Week 1", "Week 2", "Week 3", "Week 4"]


@pytest.fixture(scope="module")
def trial():
    return pd.read_csv(RESULTS / "mmrm_trial_input.csv")


@pytest.fixture(scope="module")
def fit(trial):
    return fit_mmrm(
        trial,
        "AVAL ~ TRT01P * AVISIT + SITEID",
        subject="USUBJID",
        visit="AVISIT",
        reference={"TRT01P": "control", "AVISIT": "Baseline", "SITEID": "S01"},
        visit_levels=VISITS,
    )


def python_name(r_name: str) -> str:
    """R's "TRT01Pheat:AVISITWeek 4" -> "TRT01P[T.heat]:AVISIT[T.Week 4]"."""
    if r_name == "(Intercept)":
        return "Intercept"
    parts = []
    for part in r_name.split(":"):
        variable = re.match(r"^(TRT01P|AVISIT|SITEID)", part).group(1)
        parts.append(f"{variable}[T.{part[len(variable) :]}]")
    return ":".join(parts)


def test_log_likelihood(fit):
    reference = pd.read_csv(RESULTS / "mmrm_trial_nlme_fit.csv").set_index("statistic")["value"]
    assert abs(fit.value - -2 * reference["logLik_reml"]) < 1e-4
    assert len(fit.design.y) == reference["n_obs"]


def test_coefficients(fit):
    reference = pd.read_csv(RESULTS / "mmrm_trial_nlme_coefficients.csv")
    ours = fit.coefficients.set_index("term")
    assert len(reference) == len(ours)
    for row in reference.itertuples():
        mine = ours.loc[python_name(row.term)]
        assert abs(mine.estimate - row.estimate) <= 1e-3 * row.std_error, row
        assert abs(mine.std_error - row.std_error) <= 1e-3 * row.std_error, row


def test_covariance_matrix(fit):
    reference = pd.read_csv(RESULTS / "mmrm_trial_nlme_covariance.csv", index_col=0).to_numpy()
    ours = fit.covariance_matrix["all"].to_numpy()
    assert np.allclose(ours, reference, rtol=1e-3)


def test_lsmeans(fit):
    reference = pd.read_csv(RESULTS / "mmrm_trial_nlme_lsmeans.csv")
    ours = fit.lsmeans(["TRT01P", "AVISIT"])
    merged = reference.merge(ours, on=["TRT01P", "AVISIT"], suffixes=("_r", ""))
    assert len(merged) == 20
    assert ((merged["emmean"] - merged["estimate"]).abs() <= 1e-3 * merged["SE"]).all()
    assert ((merged["SE"] - merged["std_error"]).abs() <= 1e-3 * merged["SE"]).all()
    assert ((merged["df_r"] - merged["df"]).abs() <= 0.05 * merged["df_r"]).all()


def test_each_arm_versus_control_at_each_visit(fit):
    reference = pd.read_csv(RESULTS / "mmrm_trial_nlme_vs_control.csv")
    cells, matrix = fit.lsmeans_matrix(["TRT01P", "AVISIT"])
    index = {
        (a, v): k for k, (a, v) in enumerate(zip(cells["TRT01P"], cells["AVISIT"], strict=True))
    }
    for row in reference.itertuples():
        arm = row.contrast.split(" - ")[0]
        contrast = matrix[index[(arm, row.AVISIT)]] - matrix[index[("control", row.AVISIT)]]
        ours = fit.contrast(contrast[None, :]).iloc[0]
        assert abs(ours.estimate - row.estimate) <= 1e-3 * row.SE, row
        assert abs(ours.std_error - row.SE) <= 1e-3 * row.SE, row
        assert abs(ours.df - row.df) <= 0.05 * row.df, (row, ours.df)


def test_random_intercept_model_against_lme4_and_lmertest(trial):
    from rlstrial.mmrm import fit_random_effects

    table, variances = fit_random_effects(
        trial,
        "AVAL ~ TRT01P * AVISIT + SITEID",
        subject="USUBJID",
        visit="AVISIT",
        reference={"TRT01P": "control", "AVISIT": "Baseline", "SITEID": "S01"},
    )
    reference = pd.read_csv(RESULTS / "mmrm_trial_lmer_coefficients.csv")
    ours = table.set_index("term")
    for row in reference.itertuples():
        mine = ours.loc[python_name(row.term)]
        assert abs(mine.estimate - row.estimate) <= 1e-3 * row.std_error, row
        assert abs(mine.std_error - row.std_error) <= 1e-3 * row.std_error, row
        assert abs(mine.df - row.df) <= 0.01 * row.df, (row, mine.df)
    lmer = pd.read_csv(RESULTS / "mmrm_trial_lmer_variances.csv").set_index("grp")["vcov"]
    mine = variances.set_index("component")["estimate"]
    assert abs(mine["USUBJID"] - lmer["USUBJID"]) <= 1e-3 * lmer["USUBJID"]
    assert abs(mine["Residual"] - lmer["Residual"]) <= 1e-3 * lmer["Residual"]


@pytest.mark.parametrize("covariates", ["zero", "mean"])
def test_type3_with_a_covariate_by_class_interaction_matches_car(covariates):
    """car::Anova(type = 3) with sum-to-zero contrasts (orthodont_type3.R): the class
    effect at age 0 and the age effect as the mean of the class-specific slopes, or
    with age centred, the class effect at the mean age. F = Wald chi-square / df."""
    data = pd.read_csv(RESULTS / "orthodont_input.csv")
    data["visit"] = data["age"].astype(str)
    fit = fit_mmrm(data, "distance ~ Sex * age", "Subject", "visit", covariance="us")
    reference = pd.read_csv(RESULTS / "orthodont_type3.csv")
    reference = reference[reference["covariates"] == covariates].set_index("term")
    ours = fit.type3(covariates=covariates).set_index("term")
    assert list(ours.index) == list(reference.index)
    assert (ours["num_df"] == reference["num_df"]).all()
    # nlme stops at its own tolerance (2e-5 apart here)
    assert np.allclose(ours["f_value"], reference["f_value"], rtol=1e-4)


@pytest.mark.parametrize(
    ("vcov", "r_type", "tolerance"),
    [
        ("empirical", "CR0", 1e-5),
        ("empirical-jackknife", "CR3", 1e-5),
        ("empirical-bias-reduced", "CR2", 1e-3),
    ],
)
def test_empirical_covariances_match_clubsandwich(trial, vcov, r_type, tolerance):
    """clubSandwich::vcovCR on the gls fit (mmrm_trial_robust.R), clustered by subject
    with the fitted covariance as working model; relative to the largest entry.

    CR0 and CR3 agree to 1e-6. Both CR2s are exactly unbiased under the working model
    but take different matrix square roots: R mmrm's (ours) is the symmetric
    (I - H_ii)^-1/2 of the whitened hat matrix, clubSandwich's D' B^-1/2 D with D
    the Cholesky factor of the working covariance. They agree when a subject has one
    observation (White's HC2, checked in test_mmrm.py) and differ by 4e-4 here."""
    fit = fit_mmrm(
        trial,
        "AVAL ~ TRT01P * AVISIT + SITEID",
        subject="USUBJID",
        visit="AVISIT",
        reference={"TRT01P": "control", "AVISIT": "Baseline", "SITEID": "S01"},
        visit_levels=VISITS,
        vcov=vcov,
    )
    reference = pd.read_csv(RESULTS / "mmrm_trial_robust_vcov.csv")
    reference = reference[reference["type"] == r_type]
    matrix = reference.pivot(index="row", columns="column", values="value")
    matrix = matrix.rename(index=python_name, columns=python_name)
    order = fit.design.columns
    expected = matrix.loc[order, order].to_numpy()
    ours = fit.beta_covariance
    assert np.abs(ours - expected).max() <= tolerance * np.abs(expected).max()
    assert np.allclose(np.diag(ours), np.diag(expected), rtol=tolerance)


def test_random_intercept_kenward_roger_matches_pbkrtest(trial):
    """The random-intercept model with KR on its implied compound-symmetry covariance,
    W from the expected information as pbkrtest (mmrm_trial_kr.R): coefficients'
    adjusted standard errors and KR df (lmerTest), and the KR F test of the
    treatment-by-visit interaction (pbkrtest::KRmodcomp). Within 1e-4: statsmodels'
    MixedLM and lme4 stop 4e-5 apart in their variance estimates."""
    from rlstrial.mmrm.random_effects import random_intercept_fit

    fit = random_intercept_fit(
        trial,
        "AVAL ~ TRT01P * AVISIT + SITEID",
        "USUBJID",
        "AVISIT",
        reference={"TRT01P": "control", "AVISIT": "Baseline", "SITEID": "S01"},
        visit_levels=VISITS,
        df="kenward-roger",
        information="expected",
    )
    reference = pd.read_csv(RESULTS / "mmrm_trial_lmer_kr_coefficients.csv")
    reference["term"] = reference["term"].map(python_name)
    reference = reference.set_index("term")
    ours = fit.coefficients.set_index("term").loc[reference.index]
    assert np.allclose(ours["std_error"], reference["std_error"], rtol=1e-4)
    assert np.allclose(ours["df"], reference["df"], rtol=1e-4)
    interaction = [
        k for k, name in enumerate(fit.design.columns) if "TRT01P[T." in name and ":" in name
    ]
    test = fit.f_test(np.eye(len(fit.beta))[interaction])
    expected = pd.read_csv(RESULTS / "mmrm_trial_lmer_kr_interaction.csv").iloc[0]
    assert test["num_df"] == expected.num_df == 12
    assert test["den_df"] == pytest.approx(expected.den_df, rel=1e-4)
    assert test["f_value"] == pytest.approx(expected.f_value, rel=1e-4)


@pytest.mark.parametrize("variant", ["complete", "unbalanced"])
def test_random_slope_model_matches_lme4(variant):
    """A random intercept and slope in age (covariance structure ``rs``, the model's
    marginal covariance), against lme4 (orthodont_random_slope.R): REML -2 log-
    likelihood, G and the residual variance, estimates, SEs and Satterthwaite df
    (lmerTest), and the Kenward-Roger SEs and df (pbkrtest, expected information)."""
    from rlstrial.mmrm.random_effects import random_slope_fit

    data = pd.read_csv(RESULTS / "orthodont_input.csv")
    if variant == "unbalanced":
        data = data.drop(index=data.index[::5])  # R's rows 1, 6, 11, ...
    data["visit"] = data["age"].astype(str)
    reference = pd.read_csv(RESULTS / "orthodont_random_slope.csv")
    reference = reference[reference["variant"] == variant].reset_index(drop=True)
    fits = {
        df: random_slope_fit(
            data,
            "distance ~ Sex * age",
            "Subject",
            "visit",
            "age",
            reference={"Sex": "Female"},
            visit_levels=["8", "10", "12", "14"],
            df=df,
            information="expected",
        )
        for df in ("satterthwaite", "kenward-roger")
    }
    fit = fits["satterthwaite"]
    assert fit.value == pytest.approx(reference["minus2_reml"].iloc[0], abs=1e-6)
    parameters = fit.covariance_parameters["estimate"].to_numpy()
    expected = reference[["g11", "g21", "g22", "residual"]].iloc[0].to_numpy(float)
    assert np.allclose(parameters, expected, rtol=1e-4)
    ours = fit.coefficients
    assert np.allclose(ours["estimate"], reference["estimate"], rtol=1e-6)
    assert np.allclose(ours["std_error"], reference["std_error"], rtol=1e-5)
    assert np.allclose(ours["df"], reference["df"], rtol=1e-4)
    kr = fits["kenward-roger"].coefficients
    assert np.allclose(kr["std_error"], reference["kr_std_error"], rtol=1e-5)
    assert np.allclose(kr["df"], reference["kr_df"], rtol=1e-4)
