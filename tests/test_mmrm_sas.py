"""The MMRM engine against SAS PROC MIXED listings (../shared/reference/mmrm-fev/).

The listings are read at run time and never copied into the project.

SAS stops iterating when its relative-Hessian criterion falls below 1e-8, which leaves
its printed estimates slightly short of the exact optimum (our -2 log-likelihood is
lower than SAS's in every listing, by up to 8e-6). Two kinds of test follow:

1. At SAS's own printed covariance parameters (``covariance_parameters=``, SAS
   PARMS/NOITER), everything must agree to the last digit SAS prints: the -2
   log-likelihood (within 2e-4, as the printed parameters are rounded), fixed
   effects and standard errors, LS-means and their differences, Type 3 and slice F
   values; Satterthwaite df within 1 (SAS prints them rounded).
2. At our own optimum: -2 log-likelihood lower or equal, within 1e-4; AIC/AICC/BIC
   within SAS's one-decimal print; covariance parameters within 0.25% of the
   listing's largest variance (correlations within 0.001); fixed effects within 0.005
   standard errors, standard errors within 0.05%, df within 1.

Degrees of freedom of the weighted listing are exempt: SAS's weighted Satterthwaite
df are known to disagree with R's mmrm and nlme.
"""

from __future__ import annotations

import pandas as pd
import pytest
import sas_listing as sas
from conftest import SHARED

from rlstrial.mmrm import fit_mmrm

REFERENCE = SHARED / "reference" / "mmrm-fev"
pytestmark = pytest.mark.skipif(
    not (REFERENCE / "fev_data.csv").exists(), reason="../shared/reference/mmrm-fev is absent"
)

FULL = "FEV1 ~ ARMCD * AVISIT + RACE + SEX"
FULL_REFS = {"RACE": "Asian", "AVISIT": "VIS1", "SEX": "Male", "ARMCD": "PBO"}
# SAS orders the levels of a CLASS variable with its reference level last; UN(i, j)
# and Var(i) follow that order.
VISITS_REF_VIS1 = ["VIS2", "VIS3", "VIS4", "VIS1"]
VISITS_REF_VIS4 = ["VIS1", "VIS2", "VIS3", "VIS4"]

LISTINGS = {
    "sas_log_reml.txt": dict(
        formula=FULL, method="reml", covariance="us", reference=FULL_REFS, order=VISITS_REF_VIS1
    ),
    "sas_log.txt": dict(
        formula=FULL, method="ml", covariance="us", reference=FULL_REFS, order=VISITS_REF_VIS1
    ),
    "sas_weighted.txt": dict(
        formula=FULL,
        method="reml",
        covariance="us",
        weights="WEIGHT",
        reference={**FULL_REFS, "AVISIT": "VIS4"},
        order=VISITS_REF_VIS4,
    ),
    "sas_log_simple_reml.txt": dict(
        formula="FEV1 ~ 1", method="reml", covariance="us", order=VISITS_REF_VIS1
    ),
    "sas_log_simple.txt": dict(
        formula="FEV1 ~ 1", method="ml", covariance="us", order=VISITS_REF_VIS1
    ),
}
for structure in ("cs", "csh", "ar1", "ar1h", "toeph", "adh"):
    for method in ("reml", "ml"):
        LISTINGS[f"sas_{structure}_{method}.txt"] = dict(
            formula="FEV1 ~ 1", method=method, covariance=structure, order=VISITS_REF_VIS4
        )


@pytest.fixture(scope="module")
def fev():
    return pd.read_csv(REFERENCE / "fev_data.csv")


_fits: dict = {}


def fitted(fev, listing, at_sas=False):
    """Our fit of a listing's model: estimated, or evaluated at SAS's printed
    covariance parameters (SAS PARMS/NOITER) when ``at_sas``."""
    key = (listing, at_sas)
    if key not in _fits:
        spec = LISTINGS[listing]
        parameters = sas.covariance_parameters(REFERENCE / listing) if at_sas else None
        _fits[key] = fit_mmrm(
            fev,
            spec["formula"],
            subject="USUBJID",
            visit="AVISIT",
            covariance=spec["covariance"],
            method=spec["method"],
            weights=spec.get("weights"),
            reference=spec.get("reference"),
            visit_levels=spec["order"] if spec["covariance"] == "us" else VISITS_REF_VIS4,
            fallback=(),
            covariance_parameters=parameters,
        )
    return _fits[key]


def our_parameters(fit, listing) -> dict[str, float]:
    """Our covariance parameters under SAS's names, in SAS's visit order."""
    return dict(
        zip(
            fit.covariance_parameters["parameter"],
            fit.covariance_parameters["estimate"],
            strict=True,
        )
    )


def our_term(fit, effect: str, levels: tuple) -> str:
    if effect == "Intercept":
        return "Intercept"
    parts = {
        f"{factor}[T.{level}]" for factor, level in zip(effect.split("*"), levels, strict=True)
    }
    matches = [term for term in fit.design.columns if set(term.split(":")) == parts]
    assert len(matches) == 1, (effect, levels, fit.design.columns)
    return matches[0]


@pytest.mark.parametrize("listing", sorted(LISTINGS))
def test_log_likelihood(fev, listing):
    fit = fitted(fev, listing)
    reference = sas.minus2_log_likelihood(REFERENCE / listing)
    assert fit.value <= reference + 1e-6
    assert reference - fit.value < 1e-4


@pytest.mark.parametrize("listing", sorted(LISTINGS))
def test_information_criteria(fev, listing):
    fit = fitted(fev, listing)
    stats = dict(zip(fit.fit_statistics["statistic"], fit.fit_statistics["value"], strict=True))
    reference = sas.fit_statistics(REFERENCE / listing)
    for key in ("aic", "aicc", "bic"):
        assert abs(stats[key] - reference[key]) <= 0.05 + 1e-9, key


CORRELATIONS = ("AR(1)", "ARH(1)", "CSH", "TOEPH", "Rho")


@pytest.mark.parametrize("listing", sorted(LISTINGS))
def test_covariance_parameters(fev, listing):
    fit = fitted(fev, listing)
    ours = our_parameters(fit, listing)
    reference = sas.covariance_parameters(REFERENCE / listing)
    assert set(ours) == set(reference)
    scale = max(abs(v) for k, v in reference.items() if not k.startswith(CORRELATIONS))
    for name, value in reference.items():
        tolerance = 1e-3 if name.startswith(CORRELATIONS) else 2.5e-3 * scale
        assert abs(ours[name] - value) <= tolerance, (name, ours[name], value)


@pytest.mark.parametrize("listing", sorted(LISTINGS))
def test_fixed_effects(fev, listing):
    fit = fitted(fev, listing)
    table = fit.coefficients.set_index("term")
    for row in sas.solution(REFERENCE / listing).itertuples():
        ours = table.loc[our_term(fit, row.effect, row.levels)]
        assert abs(ours.estimate - row.estimate) <= 0.005 * row.se, row
        assert abs(ours.std_error - row.se) <= 5e-4 * row.se + sas.last_digit(row.se_text) / 2, row
        if "weighted" not in listing:
            assert abs(ours.df - row.df) <= 1, (row, ours.df)


@pytest.mark.parametrize("listing", sorted(LISTINGS))
def test_objective_at_sas_estimates(fev, listing):
    """Our -2 log-likelihood at SAS's printed covariance parameters is SAS's."""
    fit = fitted(fev, listing, at_sas=True)
    assert abs(fit.value - sas.minus2_log_likelihood(REFERENCE / listing)) < 2e-4


@pytest.mark.parametrize("listing", sorted(LISTINGS))
def test_fixed_effects_at_sas_estimates(fev, listing):
    """At SAS's covariance parameters, estimates and SEs agree to SAS's last digit."""
    fit = fitted(fev, listing, at_sas=True)
    table = fit.coefficients.set_index("term")
    for row in sas.solution(REFERENCE / listing).itertuples():
        ours = table.loc[our_term(fit, row.effect, row.levels)]
        assert abs(ours.estimate - row.estimate) <= sas.last_digit(row.estimate_text) + 1e-12, row
        assert abs(ours.std_error - row.se) <= sas.last_digit(row.se_text) + 1e-12, row
        if "weighted" not in listing:
            assert abs(ours.df - row.df) <= 1, (row, ours.df)


FULL_REML = "sas_log_reml.txt"


def test_lsmeans_at_sas_estimates(fev):
    fit = fitted(fev, FULL_REML, at_sas=True)
    ours = fit.lsmeans(["AVISIT", "ARMCD"]).set_index(["AVISIT", "ARMCD"])
    reference = sas.lsmeans(REFERENCE / FULL_REML)
    assert len(reference) == 8 == len(ours)
    for row in reference.itertuples():
        cell = ours.loc[row.levels]
        assert abs(cell.estimate - row.estimate) <= sas.last_digit(row.estimate_text) + 1e-12, row
        assert abs(cell.std_error - row.se) <= sas.last_digit(row.se_text) + 1e-12, row
        assert abs(cell.df - row.df) <= 1, (row, cell.df)
        assert abs(cell.ci_lower - row.lower) <= 2e-4 and abs(cell.ci_upper - row.upper) <= 2e-4


def test_lsmean_differences_at_sas_estimates(fev):
    fit = fitted(fev, FULL_REML, at_sas=True)
    ours = fit.lsmeans_differences(["AVISIT", "ARMCD"])
    ours = {
        (a, b): row
        for a, b, row in zip(ours["level_1"], ours["level_2"], ours.itertuples(), strict=True)
    }
    reference = sas.differences(REFERENCE / FULL_REML)
    assert len(reference) == 28 == len(ours)
    for row in reference.itertuples():
        first, second = " ".join(row.level_1), " ".join(row.level_2)
        sign = 1
        if (first, second) not in ours:
            first, second, sign = second, first, -1
        cell = ours[(first, second)]
        assert (
            abs(sign * cell.estimate - row.estimate) <= sas.last_digit(row.estimate_text) + 1e-12
        ), row
        assert abs(cell.std_error - row.se) <= sas.last_digit(row.se_text) + 1e-12, row
        assert abs(cell.df - row.df) <= 1, (row, cell.df)


def test_type3_tests_at_sas_estimates(fev):
    fit = fitted(fev, FULL_REML, at_sas=True)
    ours = fit.type3().set_index("term")
    names = {
        "ARMCD": "ARMCD",
        "AVISIT": "AVISIT",
        "AVISIT*ARMCD": "ARMCD:AVISIT",
        "RACE": "RACE",
        "SEX": "SEX",
    }
    reference = sas.type3(REFERENCE / FULL_REML)
    assert len(reference) == 5 == len(ours)
    for row in reference.itertuples():
        test = ours.loc[names[row.effect]]
        assert test.num_df == row.num_df
        assert abs(test.f_value - row.f_value) <= sas.last_digit(row.f_text) + 1e-12, row
        assert abs(test.den_df - row.den_df) <= 1, (row, test.den_df)


def test_slices_at_sas_estimates(fev):
    fit = fitted(fev, FULL_REML, at_sas=True)
    ours = fit.slices(["ARMCD"], by="AVISIT").set_index("AVISIT")
    for row in sas.slices(REFERENCE / FULL_REML).itertuples():
        test = ours.loc[row.level]
        assert abs(test.f_value - row.f_value) <= sas.last_digit(row.f_text) + 1e-12, row
        assert abs(test.den_df - row.den_df) <= 1, (row, test.den_df)


def test_headline_numbers_at_our_optimum(fev):
    """The README's headline targets, from our own estimates."""
    fit = fitted(fev, FULL_REML)
    arm = fit.coefficients.set_index("term").loc["ARMCD[T.TRT]"]
    assert (round(arm.estimate, 3), round(arm.std_error, 3), round(arm.df)) == (3.774, 1.074, 146)
    diff = fit.lsmeans_differences(["AVISIT", "ARMCD"]).set_index(["level_1", "level_2"])
    vis4 = diff.loc[("VIS4 PBO", "VIS4 TRT")]  # PBO - TRT: SAS prints TRT - PBO
    assert abs(-vis4.estimate - 4.3985) < 0.002
    assert abs(vis4.std_error - 1.6805) < 0.001
    assert round(vis4.df) == 133


def test_bcva_converges_on_the_first_structure():
    bcva = pd.read_csv(REFERENCE / "bcva_data.csv")
    fit = fit_mmrm(
        bcva, "BCVA_CHG ~ ARMCD * AVISIT + RACE + BCVA_BL", subject="USUBJID", visit="AVISIT"
    )
    assert fit.structure == "us" and len(fit.attempts) == 1 and fit.converged
    assert len(fit.covariance_parameters) == 55
