"""The MMRM engine on cases checkable by hand, and its errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import threadpoolctl
from conftest import ROOT

import rlstrial.mmrm.fit as fit_module
from rlstrial.mmrm import MMRMConvergenceError, MMRMDataError, fit_mmrm
from rlstrial.mmrm.covariance import STRUCTURES, Structure

RESULTS = ROOT / "tests" / "results"


def complete_trial(n_per_arm=12, seed=0, visits=("V1", "V2", "V3")):
    """Two arms, every subject seen at every visit."""
    rng = np.random.default_rng(seed)
    n = 2 * n_per_arm
    subject = np.repeat(np.arange(n), len(visits))
    arm = np.repeat(np.where(np.arange(n) < n_per_arm, "A", "B"), len(visits))
    visit = np.tile(visits, n)
    level = np.repeat(rng.normal(0, 2, n), len(visits))
    y = level + rng.normal(0, 1, len(subject)) + (arm == "B") * 1.0 + (visit == "V3") * 0.5
    return pd.DataFrame({"id": subject, "arm": arm, "visit": visit, "y": y})


@pytest.mark.parametrize("method", ["reml", "ml"])
def test_complete_balanced_saturated_model_is_cell_means(method):
    """With complete data and a cell-means model, GLS with an unstructured covariance
    gives the raw cell means, and Sigma is the residual cross-product over n - 2
    (REML: 2 arms estimated per visit) or over n (ML)."""
    data = complete_trial()
    fit = fit_mmrm(data, "y ~ arm * visit", subject="id", visit="visit", method=method)
    lsmeans = fit.lsmeans(["arm", "visit"]).set_index(["arm", "visit"])["estimate"]
    cell_means = data.groupby(["arm", "visit"])["y"].mean()
    assert np.allclose(lsmeans.loc[cell_means.index], cell_means, atol=1e-8)
    wide = data.pivot(index="id", columns="visit", values="y")
    arm = data.groupby("id")["arm"].first()
    residuals = wide - wide.groupby(arm).transform("mean")
    divisor = len(wide) - 2 if method == "reml" else len(wide)
    expected = residuals.T @ residuals / divisor
    assert np.allclose(fit.covariance_matrix["all"], expected, rtol=1e-6)


def test_difference_of_lsmeans_matches_the_welch_free_two_sample_case():
    """One visit, no covariance to estimate beyond a variance: the arm difference is
    the two-sample t-test with pooled variance (df = n - 2)."""
    data = complete_trial(visits=("V1",))
    fit = fit_mmrm(data, "y ~ arm", subject="id", visit="visit")
    row = fit.coefficients.set_index("term").loc["arm[T.B]"]
    a, b = (data.loc[data["arm"] == g, "y"] for g in ("A", "B"))
    pooled = ((len(a) - 1) * a.var() + (len(b) - 1) * b.var()) / (len(a) + len(b) - 2)
    assert row.estimate == pytest.approx(b.mean() - a.mean())
    assert row.std_error == pytest.approx(np.sqrt(pooled * (1 / len(a) + 1 / len(b))))
    assert row.df == pytest.approx(len(a) + len(b) - 2, rel=1e-4)


def test_doubling_all_weights_doubles_sigma_and_keeps_the_fixed_effects():
    """Var(y_i) = W^-1/2 Sigma W^-1/2: with every weight 2, Sigma must double."""
    data = complete_trial()
    data["w"] = 1.0
    one = fit_mmrm(data, "y ~ arm * visit", subject="id", visit="visit", weights="w")
    data["w"] = 2.0
    two = fit_mmrm(data, "y ~ arm * visit", subject="id", visit="visit", weights="w")
    assert np.allclose(one.beta, two.beta)
    assert np.allclose(one.coefficients["std_error"], two.coefficients["std_error"], rtol=1e-6)
    assert np.allclose(one.covariance_matrix["all"] * 2, two.covariance_matrix["all"], rtol=1e-6)


def test_separate_covariance_per_group():
    data = complete_trial(n_per_arm=60)
    data.loc[data["arm"] == "B", "y"] *= 2  # arm B: four times the (co)variances
    fit = fit_mmrm(data, "y ~ arm * visit", subject="id", visit="visit", group="arm")
    sigma = fit.covariance_matrix
    assert set(sigma) == {"A", "B"}
    assert np.diag(sigma["B"]).mean() / np.diag(sigma["A"]).mean() > 2.5
    assert set(fit.covariance_parameters["group"]) == {"A", "B"}


def test_missing_outcomes_are_dropped_and_counted():
    data = complete_trial()
    data.loc[[1, 5, 7], "y"] = np.nan
    fit = fit_mmrm(data, "y ~ arm * visit", subject="id", visit="visit")
    assert fit.n_dropped == 3
    stats = dict(zip(fit.fit_statistics["statistic"], fit.fit_statistics["value"], strict=True))
    assert stats["n_observations"] == len(data) - 3
    assert stats["n_subjects"] == 24


def never_v1_and_v3():
    """Subjects seen at V1 and V2, or at V2 and V3, never at V1 and V3: the (1, 3)
    covariance of us and the lag-2 correlation of toeph are not identified; ar1h is."""
    rng = np.random.default_rng(5)
    rows = []
    for k in range(80):
        pair = ("V1", "V2") if k % 2 else ("V2", "V3")
        base = rng.normal()
        rows += [{"id": k, "visit": v, "y": base + rng.normal()} for v in pair]
    return pd.DataFrame(rows)


def test_fallback_chain_records_why_each_structure_failed():
    fit = fit_mmrm(never_v1_and_v3(), "y ~ visit", subject="id", visit="visit")
    assert fit.structure == "ar1h"
    assert [a.structure for a in fit.attempts] == ["us", "toeph", "ar1h"]
    reason = dict(zip(fit.fit_statistics["statistic"], fit.fit_statistics["value"], strict=True))[
        "fallback_reason"
    ]
    assert reason.startswith("us: ") and "toeph: " in reason


def test_no_structure_converges_names_every_failure():
    data = pd.DataFrame(
        {"id": [1, 2, 3, 4], "visit": ["V1", "V2", "V1", "V2"], "y": [1.0, 2, 3, 5]}
    )
    with pytest.raises(MMRMConvergenceError, match=r"us: .*cs: .*Try a simpler structure"):
        fit_mmrm(data, "y ~ visit", subject="id", visit="visit", fallback=("cs",))


def test_two_rows_for_one_visit_is_an_error():
    data = complete_trial()
    data.loc[1, "visit"] = "V1"
    with pytest.raises(MMRMDataError, match=r"subject 0 has 2 rows for visit 'V1'"):
        fit_mmrm(data, "y ~ arm * visit", subject="id", visit="visit")


def test_visit_with_no_data_is_an_error():
    data = complete_trial()
    with pytest.raises(
        MMRMDataError, match=r"visit level\(s\) \['V4'\] have no usable observation"
    ):
        fit_mmrm(
            data, "y ~ arm", subject="id", visit="visit", visit_levels=["V1", "V2", "V3", "V4"]
        )


def test_non_numeric_outcome_is_an_error():
    data = complete_trial()
    data["y"] = data["y"].astype(str)
    data.loc[4, "y"] = "n/a"
    with pytest.raises(MMRMDataError, match=r"outcome 'y' is not numeric: row 4 holds 'n/a'"):
        fit_mmrm(data, "y ~ arm", subject="id", visit="visit")


def test_aliased_columns_are_dropped_with_a_warning():
    data = complete_trial()
    data["x"] = np.arange(len(data), dtype=float)
    data["x2"] = 2 * data["x"]
    with pytest.warns(UserWarning, match=r"aliased columns dropped .*\['x2'\]"):
        fit = fit_mmrm(data, "y ~ arm + x + x2", subject="id", visit="visit", covariance="cs")
    table = fit.coefficients.set_index("term")
    assert np.isnan(table.loc["x2", "estimate"]) and np.isfinite(table.loc["x", "estimate"])


def test_unknown_structure_is_an_error():
    with pytest.raises(ValueError, match="unknown covariance structure 'un'"):
        fit_mmrm(complete_trial(), "y ~ arm", subject="id", visit="visit", covariance="un")


# the coordinates of the four observations of one subject (visit number and a second
# coordinate), for the per-subject structures
POINTS = np.array([[1.0, 0.3], [2.0, -0.4], [3.0, 0.9], [4.0, 0.1]])


@pytest.mark.parametrize("name", STRUCTURES)
def test_structures_round_trip_through_their_sas_parameters(name):
    structure = Structure(name, 4)
    rng = np.random.default_rng(1)
    empirical = np.cov(rng.normal(size=(4, 50)) + rng.normal(size=50))
    theta = structure.start(empirical, POINTS)
    reported = dict(structure.report(theta, []))
    assert np.allclose(structure.theta_from_parameters(reported), theta)
    sigma = structure.matrix(theta, POINTS)
    assert np.allclose(sigma, sigma.T) and np.linalg.eigvalsh(sigma).min() > 0
    phi = structure.sas_parameters(theta)
    assert np.allclose(phi, [value for _, value in structure.report(theta, [])])
    assert np.allclose(structure.sas_matrix(phi, POINTS), sigma)


@pytest.mark.parametrize("name", STRUCTURES)
def test_complex_step_jacobian_matches_finite_differences(name):
    structure = Structure(name, 4)
    theta = structure.start(np.eye(4) * 2 + 0.5, POINTS)
    jacobian = structure.jacobian(theta, POINTS)
    for k in range(len(theta)):
        step = np.zeros_like(theta)
        step[k] = 1e-6
        numeric = (
            structure.matrix(theta + step, POINTS) - structure.matrix(theta - step, POINTS)
        ) / 2e-6
        assert np.allclose(jacobian[k], numeric, atol=1e-6)


def test_spatial_exponential_by_hand():
    """SP(EXP): s2 exp(-d / range), parameters reported as SAS does (range, Residual)."""
    structure = Structure("sp_exp", 4)
    theta = structure.theta_from_parameters({"SP(EXP)": 2.0, "Residual": 9.0})
    sigma = structure.matrix(theta, POINTS)
    assert sigma[0, 1] == pytest.approx(9.0 * np.exp(-np.hypot(1.0, 0.7) / 2.0))
    assert np.allclose(np.diag(sigma), 9.0)
    with pytest.raises(ValueError, match="needs the coordinates"):
        structure.matrix(theta)


def test_random_intercept_and_slope_by_hand():
    """RANDOM int t / TYPE=UN: Var(y_j) = G11 + 2 t_j G21 + t_j^2 G22 + s2 and
    Cov(y_j, y_k) = G11 + (t_j + t_k) G21 + t_j t_k G22."""
    structure = Structure("rs", 4)
    values = {"UN(1,1)": 4.0, "UN(2,1)": 0.5, "UN(2,2)": 0.25, "Residual": 1.0}
    theta = structure.theta_from_parameters(values)
    sigma = structure.matrix(theta, POINTS)  # t = the first coordinate: 1, 2, 3, 4
    assert sigma[0, 0] == pytest.approx(4.0 + 2 * 1 * 0.5 + 1 * 0.25 + 1.0)
    assert sigma[1, 3] == pytest.approx(4.0 + (2 + 4) * 0.5 + 2 * 4 * 0.25)
    assert dict(structure.report(theta, [])) == pytest.approx(values)


def test_a_spatial_structure_needs_coordinates_and_only_it():
    data = complete_trial()
    data["where"] = np.arange(len(data), dtype=float)
    with pytest.raises(ValueError, match="needs coordinates"):
        fit_mmrm(data, "y ~ arm", "id", "visit", covariance="sp_exp")
    with pytest.raises(ValueError, match="coordinates are for a per-subject structure"):
        fit_mmrm(data, "y ~ arm", "id", "visit", covariance="cs", coordinates=["where"])


def test_analytic_gradient_matches_finite_differences():
    data = complete_trial()
    data.loc[[2, 4], "y"] = np.nan
    fit = fit_mmrm(data, "y ~ arm * visit", subject="id", visit="visit")
    theta = fit.theta + 0.05
    analytic = fit.likelihood.evaluate(theta).gradient
    for k in range(len(theta)):
        step = np.zeros_like(theta)
        step[k] = 1e-6
        numeric = (
            fit.likelihood.evaluate(theta + step).value
            - fit.likelihood.evaluate(theta - step).value
        ) / 2e-6
        assert numeric == pytest.approx(analytic[k], rel=1e-5, abs=1e-6)


@pytest.mark.parametrize(
    "options",
    [
        {"covariance": "us"},
        {"covariance": "toeph", "method": "ml"},
        {"covariance": "csh", "group": "arm"},
        {"covariance": "ar1h", "weights": "w"},
        {"covariance": "sp_exp", "coordinates": ["time", "place"], "weights": "w"},
    ],
    ids=["us", "toeph-ml", "csh-grouped", "ar1h-weighted", "sp_exp-weighted"],
)
def test_analytic_hessian_matches_differences_of_the_gradient(options):
    """The observed information (Harville's formulas) against central differences of
    the analytic gradient, away from the optimum, for ML and REML, groups, weights and
    the spatial structure (each subject its own matrix)."""
    rng = np.random.default_rng(7)
    data = complete_trial()
    data.loc[[2, 4, 11], "y"] = np.nan
    data["w"] = rng.uniform(0.5, 2.0, len(data))
    data["time"] = data["visit"].str[1:].astype(float)
    data["place"] = rng.normal(size=len(data))
    fit = fit_mmrm(data, "y ~ arm * visit", "id", "visit", fallback=(), **options)
    theta = fit.theta + 0.05
    analytic = fit.likelihood.hessian(theta)
    numeric = fit.likelihood.numerical_hessian(theta)
    assert np.allclose(analytic, numeric, rtol=1e-6, atol=1e-6 * np.abs(numeric).max())


def test_results_are_reproducible():
    data = complete_trial()
    first = fit_mmrm(data, "y ~ arm * visit", subject="id", visit="visit").coefficients
    again = fit_mmrm(data, "y ~ arm * visit", subject="id", visit="visit").coefficients
    pd.testing.assert_frame_equal(first, again)


def test_lsmeans_weights_equal_and_proportional():
    """y ~ arm + sex: the LS-mean of an arm averages the sex effect over the sexes
    equally (half of it) or in proportion to the data (the share of "F")."""
    data = complete_trial(n_per_arm=20)
    data["sex"] = np.where(data["id"] % 4 == 0, "F", "M")  # a quarter female
    fit = fit_mmrm(data, "y ~ arm + sex", subject="id", visit="visit", covariance="cs")
    beta = fit.coefficients.set_index("term")["estimate"]
    share = (data["sex"] == "F").mean()
    equal = fit.lsmeans("arm").set_index("arm")["estimate"]
    proportional = fit.lsmeans("arm", weights="proportional").set_index("arm")["estimate"]
    # the reference sex is "F" (first level), so the coefficient is for "M"
    assert equal["A"] == pytest.approx(beta["Intercept"] + 0.5 * beta["sex[T.M]"])
    assert proportional["A"] == pytest.approx(beta["Intercept"] + (1 - share) * beta["sex[T.M]"])
    assert proportional["B"] - proportional["A"] == pytest.approx(beta["arm[T.B]"])


def test_user_contrast_by_coefficient_names():
    data = complete_trial()
    fit = fit_mmrm(data, "y ~ arm * visit", subject="id", visit="visit")
    matrix = pd.DataFrame({"arm[T.B]": [1.0], "arm[T.B]:visit[T.V3]": [1.0]}, index=["B - A at V3"])
    row = fit.contrast(matrix).iloc[0]
    lsmeans = fit.lsmeans(["arm", "visit"]).set_index(["arm", "visit"])["estimate"]
    assert row.contrast == "B - A at V3"
    assert row.estimate == pytest.approx(lsmeans[("B", "V3")] - lsmeans[("A", "V3")])
    assert row.ci_lower < row.estimate < row.ci_upper and 0 <= row.p_value <= 1


def test_random_slope_model_recovers_the_simulated_variances():
    from rlstrial.mmrm import fit_random_effects

    rng = np.random.default_rng(8)
    n, weeks = 300, np.array([0.0, 1.0, 2.0, 3.0])
    intercept, slope = rng.normal(0, 2, n), rng.normal(0, 1, n)
    data = pd.DataFrame({"id": np.repeat(np.arange(n), 4), "week": np.tile(weeks, n)})
    data["visit"] = "W" + data["week"].astype(int).astype(str)
    data["y"] = (
        10
        + np.repeat(intercept, 4)
        + (np.repeat(slope, 4) - 0.5) * data["week"]
        + rng.normal(0, 1, 4 * n)
    )
    table, variances = fit_random_effects(data, "y ~ week", "id", "visit", slope="week")
    components = variances.set_index("component")["estimate"]
    assert components["id"] == pytest.approx(4.0, rel=0.25)
    assert components["week"] == pytest.approx(1.0, rel=0.25)
    assert components["Residual"] == pytest.approx(1.0, rel=0.2)
    week = table.set_index("term").loc["week"]
    assert np.isfinite(week.df) and week.ci_lower < -0.5 < week.ci_upper
    # the slope's df: about the number of subjects (it varies between subjects)
    assert 250 < week.df < 300


def test_normalized_residuals_whiten_each_subject():
    data = complete_trial(n_per_arm=40)
    fit = fit_mmrm(data, "y ~ arm * visit", subject="id", visit="visit")
    residuals = fit.residuals()
    assert np.allclose(residuals["fitted"] + residuals["residual"], data.loc[residuals["row"], "y"])
    wide = residuals.assign(
        id=data.loc[residuals["row"], "id"].to_numpy(),
        visit=data.loc[residuals["row"], "visit"].to_numpy(),
    )
    wide = wide.pivot(index="id", columns="visit", values="normalized")
    # whitened residuals are uncorrelated with unit variance (REML scale: about 1)
    assert np.allclose(np.cov(wide.to_numpy().T), np.eye(3), atol=0.12)


def blas_threads() -> set[int]:
    """Thread counts of the BLAS/OpenMP pools loaded in this process, read afresh."""
    return {pool["num_threads"] for pool in threadpoolctl.threadpool_info()}


@pytest.mark.parametrize(("threads", "outside"), [(1, 2), (2, 1), (None, 2)])
def test_threads_limits_blas_for_the_whole_fit_and_restores_it(monkeypatch, threads, outside):
    """The optimiser, the Hessians and the Satterthwaite derivatives run with the
    pools at ``threads`` (read afresh with threadpoolctl, not from our own state);
    ``None`` keeps the caller's setting; the caller's setting is back afterwards."""
    seen = []

    def observe(owner, name):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            seen.append((name, blas_threads()))
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, wrapper)

    observe(fit_module, "_optimise")
    observe(fit_module.Likelihood, "hessian")
    observe(fit_module.Likelihood, "covariance_jacobian")
    data = complete_trial()
    with threadpoolctl.threadpool_limits(limits=outside):
        if blas_threads() != {outside}:
            pytest.skip("no BLAS thread pool that threadpoolctl can set")
        fit = fit_mmrm(data, "y ~ arm * visit", subject="id", visit="visit", threads=threads)
        after = blas_threads()
        during = list(seen)
        _ = fit.coefficients  # the df need no further BLAS work outside the limit
    expected = {outside if threads is None else threads}
    assert fit.converged and after == {outside}
    assert {name for name, _ in during} == {"_optimise", "hessian", "covariance_jacobian"}
    assert all(pools == expected for _, pools in during)
    assert seen == during


def test_threads_limit_holds_in_every_structure_of_the_fallback_chain(monkeypatch):
    """us and toeph fail on these data, ar1h converges: all three under the limit."""
    seen = []
    original = fit_module._optimise

    def wrapper(likelihood, *args, **kwargs):
        seen.append((likelihood.structure.name, blas_threads()))
        return original(likelihood, *args, **kwargs)

    monkeypatch.setattr(fit_module, "_optimise", wrapper)
    with threadpoolctl.threadpool_limits(limits=2):
        if blas_threads() != {2}:
            pytest.skip("no BLAS thread pool that threadpoolctl can set")
        fit = fit_mmrm(never_v1_and_v3(), "y ~ visit", subject="id", visit="visit", threads=1)
    assert fit.structure == "ar1h"
    assert seen == [("us", {1}), ("toeph", {1}), ("ar1h", {1})]


@pytest.mark.parametrize("threads", [0, -1, 1.5, "1", True])
def test_threads_must_be_a_positive_integer_or_none(threads):
    with pytest.raises(ValueError, match="threads must be a positive integer or None"):
        fit_mmrm(complete_trial(), "y ~ arm", subject="id", visit="visit", threads=threads)


def three_arms_one_missing_at_v3():
    """Arms A, B, C at visits V1-V3; arm C has no data at V3 (its V3 rows deleted)."""
    rng = np.random.default_rng(3)
    n = 30
    subject = np.repeat(np.arange(n), 3)
    arm = np.repeat(np.array(["A", "B", "C"])[np.arange(n) % 3], 3)
    visit = np.tile(["V1", "V2", "V3"], n)
    level = np.repeat(rng.normal(0, 1, n), 3)
    y = level + rng.normal(0, 1, len(subject)) + (arm == "B") * 0.8
    data = pd.DataFrame({"id": subject, "arm": arm, "visit": visit, "y": y})
    return data[~((data["arm"] == "C") & (data["visit"] == "V3"))]


def test_type3_and_slices_test_only_the_estimable_part_of_a_hypothesis():
    with pytest.warns(UserWarning, match="aliased"):
        fit = fit_mmrm(three_arms_one_missing_at_v3(), "y ~ arm * visit", "id", "visit")
    type3 = fit.type3().set_index("term")
    # the interaction has (3 - 1) x (3 - 1) = 4 df; the C x V3 cell takes one away
    assert type3.loc["arm:visit", "num_df"] == 3
    assert type3.loc["arm:visit", "note"].startswith("estimable part only (3 of 4 df)")
    slices = fit.slices(["arm"], by="visit").set_index("visit")
    assert slices["num_df"].tolist() == [2, 2, 1]
    assert slices.loc["V1", "note"] == ""
    # at V3 only A vs B is left: its F is the square of that difference's t
    differences = fit.lsmeans_differences(["arm", "visit"]).set_index(["level_1", "level_2"])
    a_vs_b = differences.loc[("A V3", "B V3")]
    assert slices.loc["V3", "f_value"] == pytest.approx(a_vs_b.t_value**2, rel=1e-10)
    assert slices.loc["V3", "den_df"] == pytest.approx(a_vs_b.df, rel=1e-10)


def test_a_hypothesis_with_no_estimable_part_is_nan_with_a_reason():
    with pytest.warns(UserWarning, match="aliased"):
        fit = fit_mmrm(three_arms_one_missing_at_v3(), "y ~ arm * visit", "id", "visit")
    cells, rows = fit.lsmeans_matrix(["arm", "visit"], full=True)
    c_v3_vs_a_v3 = rows[[8]] - rows[[2]]  # cells in order A V1, A V2, A V3, B V1, ...
    test = fit.f_test(c_v3_vs_a_v3)
    assert np.isnan(test["f_value"]) and np.isnan(test["num_df"])
    assert test["note"] == "not estimable: it involves cells without data"


def test_type3_with_a_covariate_by_class_interaction_as_sas_defines_it():
    """SAS PROC MIXED documentation, example "Repeated Measures" (Potthoff & Roy growth
    data, ``model y = Gender Age Gender*Age; repeated / type=un subject=Person``,
    METHOD=ML) prints Type 3 F values 1.17 (Gender, at age 0), 110.54 (Age, the mean
    of the two slopes) and 7.99 (Age*Gender). Testing Gender at the mean age instead
    gives 10.16, the "balanced at the mean" variant."""
    data = pd.read_csv(RESULTS / "orthodont_input.csv")
    data["visit"] = data["age"].astype(str)
    fit = fit_mmrm(data, "distance ~ Sex * age", "Subject", "visit", covariance="us", method="ml")
    sas = fit.type3().set_index("term")["f_value"].round(2)
    assert sas.to_dict() == {"Sex": 1.17, "age": 110.54, "Sex:age": 7.99}
    assert fit.type3(covariates="mean").set_index("term")["f_value"].round(2)["Sex"] == 10.16


def test_kenward_roger_is_exact_for_the_two_sample_t_test():
    """One visit: Sigma = s2, and the KR adjustment vanishes (Q_kl = P_k Phi P_l when
    Sigma is a multiple of a fixed matrix), its df is n - 2, as the pooled t-test."""
    data = complete_trial(visits=("V1",))
    for df in ("kenward-roger", "kenward-roger-linear"):
        fit = fit_mmrm(data, "y ~ arm", subject="id", visit="visit", df=df)
        row = fit.coefficients.set_index("term").loc["arm[T.B]"]
        plain = fit_mmrm(data, "y ~ arm", subject="id", visit="visit")
        assert row.std_error == pytest.approx(
            plain.coefficients.set_index("term").loc["arm[T.B]", "std_error"], rel=1e-10
        )
        assert row.df == pytest.approx(len(data) - 2, rel=1e-6)
        assert fit.f_test(np.array([[0.0, 1.0]]))["den_df"] == pytest.approx(len(data) - 2)


@pytest.mark.parametrize(
    ("vcov", "hc"),
    [("empirical", "HC0"), ("empirical-bias-reduced", "HC2"), ("empirical-jackknife", "HC3")],
)
def test_empirical_covariances_at_one_visit_are_the_ols_sandwiches(vcov, hc):
    """With one visit every subject is its own cluster and Sigma a scalar, so the
    empirical, bias-reduced and jackknife covariances are White's HC0, HC2 and HC3
    (statsmodels)."""
    import statsmodels.api as sm

    rng = np.random.default_rng(5)
    data = complete_trial(visits=("V1",))
    data["x"] = rng.normal(size=len(data))
    data["y"] = data["y"] + data["x"] * rng.normal(1, 1, len(data))  # heteroscedastic
    fit = fit_mmrm(data, "y ~ arm + x", subject="id", visit="visit", vcov=vcov)
    design = sm.add_constant(np.column_stack([(data["arm"] == "B").to_numpy(float), data["x"]]))
    ols = sm.OLS(data["y"].to_numpy(), design).fit(cov_type=hc)
    assert np.allclose(fit.beta_covariance, ols.cov_params(), rtol=1e-8)
    assert fit.df_method == "between-within"


def test_inference_options_are_checked():
    data = complete_trial()
    with pytest.raises(ValueError, match="Kenward-Roger needs REML"):
        fit_mmrm(data, "y ~ arm", "id", "visit", method="ml", df="kenward-roger")
    with pytest.raises(ValueError, match="cannot be combined with vcov='empirical'"):
        fit_mmrm(data, "y ~ arm", "id", "visit", df="kenward-roger", vcov="empirical")
    with pytest.raises(ValueError, match="df must be one of"):
        fit_mmrm(data, "y ~ arm", "id", "visit", df="kr")
    with pytest.raises(ValueError, match="vcov must be one of"):
        fit_mmrm(data, "y ~ arm", "id", "visit", vcov="sandwich")


def test_between_within_df_split_subjects_and_observations():
    """24 subjects x 3 visits, arm between subjects, visit within: between df = 24 - 2
    (intercept, arm), within df = 72 - 24 - 2 (two visit columns)."""
    fit = fit_mmrm(complete_trial(), "y ~ arm + visit", "id", "visit", vcov="empirical")
    table = fit.coefficients.set_index("term")["df"]
    assert table.to_dict() == {
        "Intercept": 22.0,
        "arm[T.B]": 22.0,
        "visit[T.V2]": 46.0,
        "visit[T.V3]": 46.0,
    }


def test_every_structure_is_named_in_words():
    from rlstrial.mmrm.summary import STRUCTURE_NAMES

    assert set(STRUCTURE_NAMES) == set(STRUCTURES)


def test_the_result_describes_itself_and_keeps_its_tables():
    fit = fit_mmrm(complete_trial(), "y ~ arm * visit", "id", "visit", df="kenward-roger")
    lines = repr(fit).splitlines()
    assert lines[0] == "MMRM  y ~ arm * visit"
    assert "unstructured (us), REML, Kenward-Roger df" in lines[1]
    assert lines[2].startswith("  24 subjects, 72 observations; -2 log-likelihood ")
    assert lines[2].endswith("; converged")
    summary = fit.summary()
    assert "Coefficients" in repr(summary) and "UN(1,1)" in repr(summary)
    assert summary._repr_html_().count("<table") == 3
    assert fit.coefficients is not fit.coefficients  # a copy each time ...
    assert fit._coefficients is fit._coefficients  # ... of a table computed once
    statistics = fit.fit_statistics.set_index("statistic")["value"]
    assert (fit.aic, fit.bic, fit.minus2_log_likelihood) == (
        statistics["aic"],
        statistics["bic"],
        statistics["minus2_log_likelihood"],
    )
    tidy = fit.tidy()
    assert list(tidy.columns) == [
        "term", "estimate", "std.error", "statistic", "df", "p.value", "conf.low", "conf.high"
    ]  # fmt: skip
    assert np.allclose(tidy["std.error"], fit.coefficients["std_error"])
    glance = fit.glance().iloc[0]
    assert glance["logLik"] == pytest.approx(-fit.value / 2)
    assert (glance["n_subjects"], glance["n_observations"], glance["df_method"]) == (
        24,
        72,
        "kenward-roger",
    )


def test_conditional_predictions_by_hand():
    """Compound symmetry with CS = 1 and Residual = 1 (variance 2, covariance 1): given
    y at V1, the prediction at V2 is its mean plus half the V1 residual, with
    conditional variance 2 - 1/2."""
    data = complete_trial(visits=("V1", "V2"))
    fit = fit_mmrm(
        data,
        "y ~ arm * visit",
        "id",
        "visit",
        covariance="cs",
        covariance_parameters={"CS": 1.0, "Residual": 1.0},
    )
    new = data.copy()
    new.loc[new["visit"] == "V2", "y"] = np.nan
    marginal = fit.predict(new, conditional=False).set_index("row")
    conditional = fit.predict(new).set_index("row")
    v1, v2 = new.index[new["visit"] == "V1"], new.index[new["visit"] == "V2"]
    assert np.allclose(conditional.loc[v1, "prediction"], new.loc[v1, "y"])
    assert (conditional.loc[v1, ["std_error", "prediction_sd"]] == 0).all().all()
    expected = marginal.loc[v2, "prediction"].to_numpy() + 0.5 * (
        new.loc[v1, "y"].to_numpy() - marginal.loc[v1, "prediction"].to_numpy()
    )
    assert np.allclose(conditional.loc[v2, "prediction"], expected)
    sd = conditional.loc[v2, "prediction_sd"] ** 2 - conditional.loc[v2, "std_error"] ** 2
    assert np.allclose(sd, 1.5)
    # marginal: fitted values, and a new observation's variance is Sigma_jj + se^2
    assert np.allclose(fit.predict(conditional=False)["prediction"], fit.residuals()["fitted"])
    assert np.allclose(marginal["prediction_sd"] ** 2 - marginal["std_error"] ** 2, 2.0)


def test_residual_kinds():
    fit = fit_mmrm(
        complete_trial(),
        "y ~ arm",
        "id",
        "visit",
        covariance="cs",
        covariance_parameters={"CS": 3.0, "Residual": 1.0},
    )
    table = fit.residuals()
    assert np.allclose(fit.residuals("pearson"), table["residual"] / 2.0)  # sd sqrt(3 + 1)
    assert np.allclose(fit.residuals("raw").to_numpy(), table["residual"])
    with pytest.raises(ValueError, match="kind must be one of raw, pearson, normalized"):
        fit.residuals("student")


def test_predicting_a_level_the_fit_never_saw_is_an_error():
    fit = fit_mmrm(complete_trial(), "y ~ arm", "id", "visit", covariance="cs")
    new = complete_trial().head(3).assign(arm="C")
    with pytest.raises(MMRMDataError, match=r"arm: levels \['C'\] were not in the fitted data"):
        fit.predict(new)
