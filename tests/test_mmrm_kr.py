"""Kenward-Roger and the empirical covariance against SAS PROC MIXED
(../shared/reference/mmrm-kr/, read at run time and never copied into the project).

The model of every file: FEV1 = ARMCD, REML, ``REPEATED AVISIT / type=<type>``;
``DDFM=KR``, ``DDFM=KR(LINEAR)``, or ``EMPIRICAL`` (with and without WEIGHT).

SAS stops iterating when its relative-Hessian criterion falls below 1e-8. For AR(1),
CS, TOEPH and SP(EXP) that leaves it within 1e-8 of our -2 log-likelihood and
everything is matched to full precision (standard errors to 1e-6, SP(EXP) 5e-6; df to
1e-5, relative). For the
other structures SAS stops 7e-7 to 1.3e-5 above our optimum (our -2 log-likelihood
is lower in every file): its covariance parameters, and with them every standard
error, are then off by up to 1.2e-4 relative, and these are compared within 3e-4.
What does not depend on where SAS stopped is matched to full precision for every
structure: the ratio of the full KR standard error to the KR(LINEAR) one, i.e. the
second-order term that needs SAS's own parameterisation of the structure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sas_listing as sas
from conftest import SHARED

from rlstrial.mmrm import fit_mmrm

REFERENCE = SHARED / "reference" / "mmrm-kr"
FEV = SHARED / "reference" / "mmrm-fev" / "fev_data.csv"
pytestmark = pytest.mark.skipif(
    not (REFERENCE / "README.md").exists() or not FEV.exists(),
    reason="../shared/reference/mmrm-kr is absent",
)

# SAS type -> our name
STRUCTURES = {
    "ar1": "ar1",
    "arh1": "ar1h",
    "cs": "cs",
    "csh": "csh",
    "adh": "adh",
    "toep": "toep",
    "toeph": "toeph",
    "us": "us",
}
SAS_AT_OPTIMUM = ("ar1", "cs", "toeph", "spexp")
DF_METHODS = {"kr": "kenward-roger", "kr1": "kenward-roger-linear"}
TERM = "ARMCD[T.TRT]"


@pytest.fixture(scope="module")
def fev():
    return pd.read_csv(FEV)


_fits: dict = {}


def fitted(fev, structure, **options):
    key = (structure, tuple(sorted(options.items())))
    if structure == "spexp":  # SP(EXP)(VISITN VISITN2)
        options = {**options, "coordinates": ["VISITN", "VISITN2"]}
    if key not in _fits:
        _fits[key] = fit_mmrm(
            fev,
            "FEV1 ~ ARMCD",
            "USUBJID",
            "AVISIT",
            covariance=STRUCTURES.get(structure, "sp_exp"),
            fallback=(),
            reference={"ARMCD": "PBO"},
            **options,
        )
    return _fits[key]


def listing(prefix: str, structure: str):
    """The listing of a DDFM. The spexp files are swapped (README): kr_spexp holds
    DDFM=KR(LINEAR) and kr1_spexp DDFM=KR, as their headers say."""
    if structure == "spexp":
        prefix = {"kr": "kr1", "kr1": "kr"}[prefix]
    return REFERENCE / "ddfm_covtype" / f"{prefix}_{structure}"


def trt_vs_pbo(fit) -> pd.Series:
    return fit.coefficients.set_index("term").loc[TERM]


WITH_SPATIAL = [*STRUCTURES, "spexp"]


def test_the_spexp_listings_are_swapped_as_the_readme_says():
    header = "Fixed Effects SE Method      Prasad-Rao-Jeske"  # KR(LINEAR)
    assert header in listing("kr1", "spexp").with_suffix(".txt").read_text()
    assert header not in listing("kr", "spexp").with_suffix(".txt").read_text()


@pytest.mark.parametrize("prefix", DF_METHODS)
@pytest.mark.parametrize("structure", WITH_SPATIAL)
def test_kenward_roger_matches_sas(fev, structure, prefix):
    fit = fitted(fev, structure, df=DF_METHODS[prefix])
    ours = trt_vs_pbo(fit)
    reference = pd.read_csv(listing(prefix, structure).with_suffix(".csv")).iloc[0]
    at_optimum = structure in SAS_AT_OPTIMUM
    # SP(EXP): SAS at our -2 log-likelihood to 1e-8, standard errors 2.4e-6 apart
    tolerance = (5e-6 if structure == "spexp" else 1e-6) if at_optimum else 3e-4
    assert ours.estimate == pytest.approx(reference.Estimate, rel=tolerance)
    assert ours.std_error == pytest.approx(reference.StdErr, rel=tolerance)
    assert ours.df == pytest.approx(reference.DF, rel=1e-5 if at_optimum else 5e-4)
    assert ours.t_value == pytest.approx(reference.tValue, rel=tolerance)
    assert ours.p_value == pytest.approx(reference.Probt, rel=100 * tolerance)
    # the limits are estimate -/+ t SE: their error is on the estimate's scale
    scale = tolerance * 2 * abs(reference.Estimate)
    assert ours.ci_lower == pytest.approx(reference.Lower, abs=scale)
    assert ours.ci_upper == pytest.approx(reference.Upper, abs=scale)
    # where SAS stopped short, it stopped above our optimum
    assert fit.value <= sas.minus2_log_likelihood(listing(prefix, structure).with_suffix(".txt"))


@pytest.mark.parametrize("structure", WITH_SPATIAL)
def test_full_kenward_roger_second_order_term_matches_sas(fev, structure):
    """SE(KR) / SE(KR linear) - 1: -0.2 % for AR(1), 0 for UN, CS, TOEP."""
    full = trt_vs_pbo(fitted(fev, structure, df="kenward-roger"))
    linear = trt_vs_pbo(fitted(fev, structure, df="kenward-roger-linear"))
    sas_full, sas_linear = (
        pd.read_csv(listing(p, structure).with_suffix(".csv")).iloc[0] for p in ("kr", "kr1")
    )
    ours = full.std_error / linear.std_error - 1
    theirs = sas_full.StdErr / sas_linear.StdErr - 1
    assert abs(ours - theirs) < 2e-7
    assert full.df == pytest.approx(linear.df, rel=1e-12)  # KR and KR(LINEAR) share the df


@pytest.mark.parametrize("prefix", DF_METHODS)
@pytest.mark.parametrize("structure", WITH_SPATIAL)
def test_kenward_roger_lsmeans_type3_as_printed(fev, structure, prefix):
    """LS-means, their difference and the Type 3 F to the digit SAS prints; where SAS
    stopped short of the optimum, within that distance (1e-3 on estimates and F, 3e-4
    relative on standard errors, 5e-4 relative on df)."""
    fit = fitted(fev, structure, df=DF_METHODS[prefix])
    path = listing(prefix, structure).with_suffix(".txt")
    short = structure not in SAS_AT_OPTIMUM

    def close(ours, theirs, text, relative=False):
        slack = (3e-4 * abs(theirs) if relative else 1e-3) if short else 0.0
        return abs(ours - theirs) <= sas.last_digit(text) + slack

    ours = fit.lsmeans("ARMCD").set_index("ARMCD")
    for row in sas.lsmeans(path, n_levels=1).itertuples():
        cell = ours.loc[row.levels[0]]
        assert close(cell.estimate, row.estimate, row.estimate_text), row
        assert close(cell.std_error, row.se, row.se_text, relative=True), row
        assert abs(cell.df - row.df) <= 0.5 + (5e-4 * row.df if short else 0.0), row
    (difference,) = sas.differences(path, n_levels=1).itertuples()
    ours = fit.lsmeans_differences("ARMCD").iloc[0]
    assert (ours.level_1, ours.level_2) == ("PBO", "TRT")  # SAS prints TRT - PBO
    assert close(-ours.estimate, difference.estimate, difference.estimate_text)
    assert close(ours.std_error, difference.se, difference.se_text, relative=True)
    (test,) = sas.type3(path).itertuples()
    type3 = fit.type3().set_index("term").loc["ARMCD"]
    assert close(type3.f_value, test.f_value, test.f_text, relative=True)
    assert abs(type3.den_df - test.den_df) <= 0.5 + (5e-4 * test.den_df if short else 0.0)


def empirical(kind: str, structure: str, weighted: bool) -> str:
    return str(REFERENCE / "Robust" / f"empirical_{structure}{'_weighted' if weighted else ''}")


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("structure", WITH_SPATIAL)
def test_empirical_covariance_matches_sas(fev, structure, weighted):
    """SAS EMPIRICAL: the covariance of the fixed effects (its ``covb``) and the
    TRT - PBO difference with between-within df (subjects with data minus 2)."""
    fit = fitted(fev, structure, vcov="empirical", weights="WEIGHT" if weighted else None)
    stem = empirical("empirical", structure, weighted)
    covb = pd.read_csv(stem + "_covb.csv")[["Col1", "Col2"]].to_numpy()[:2]
    assert np.allclose(fit.beta_covariance, covb, rtol=2e-4, atol=0)
    reference = pd.read_csv(stem + "_lsmean.csv").iloc[0]
    ours = trt_vs_pbo(fit)
    assert ours.df == reference.DF == 195
    assert ours.std_error == pytest.approx(reference.StdErr, rel=1e-4)
    assert ours.estimate == pytest.approx(reference.Estimate, rel=1e-4)
    assert ours.p_value == pytest.approx(reference.Probt, rel=1e-3)
    assert fit.fit_statistics.set_index("statistic")["value"]["vcov"] == "empirical"
