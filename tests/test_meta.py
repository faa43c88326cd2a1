"""The meta-analysis core (rlstrial.meta): small literal tables a reader can check by
hand, the study table's checks, and every statistic against R's metafor.

The metafor numbers were written by tests/results/meta_metafor.R (rerun: cd
tests/results && Rscript meta_metafor.R) on metafor's own datasets dat.normand1999
(MD and SMD from arm means and SDs) and dat.bcg (log risk ratios); R is not needed
here. metafor ran its iterations (REML, Paule-Mandel, Q-profile) to tight tolerances,
so estimates, SEs, CIs, tau^2, I^2, Q, prediction intervals, subgroup tests and the
Q-profile CIs are all compared to 1e-6 relative (they agree to about 1e-11).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from rlstrial import meta

RESULTS = ROOT / "tests" / "results"
BUNDLED = ROOT / "data" / "meta" / "massage_rcts.csv"
RTOL = 1e-6
ATOL = 1e-12  # for values that are exactly 0 (tau^2 under FE, at the boundary)
MODEL_STATISTICS = [
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "statistic",
    "p_value",
    "tau2",
    "i2",
    "h2",
    "q",
    "q_df",
    "q_p",
    "pi_lower",
    "pi_upper",
    "tau2_ci_lower",
    "tau2_ci_upper",
    "i2_ci_lower",
    "i2_ci_upper",
]
DESCRIPTION = {
    "population": "adults",
    "intervention": "massage",
    "comparator": "usual care",
    "outcome": "IRLS",
    "scale": "IRLS 0-40",
    "source": "a citation",
}


def close(ours, reference, rtol=RTOL) -> bool:
    """Equal to rtol relative, NaN matching NaN (metafor's NA)."""
    ours, reference = float(ours), float(reference)
    if math.isnan(reference):
        return math.isnan(ours)
    return abs(ours - reference) <= ATOL + rtol * abs(reference)


def mismatches(ours: pd.Series, reference, columns) -> list:
    return [
        (c, float(ours[c]), float(getattr(reference, c)))
        for c in columns
        if not close(ours[c], getattr(reference, c))
    ]


def studies_from_arms(arms: pd.DataFrame) -> pd.DataFrame:
    """A study table from arm-level columns (study, year, n/mean/sd per arm)."""
    return arms[["study", "year", "n_t", "mean_t", "sd_t", "n_c", "mean_c", "sd_c"]].assign(
        **DESCRIPTION
    )


# --- metafor's datasets ------------------------------------------------------------------


@pytest.fixture(scope="module")
def normand():
    return pd.read_csv(RESULTS / "meta_normand_input.csv")


@pytest.fixture(scope="module")
def bcg():
    return pd.read_csv(RESULTS / "meta_bcg_input.csv")


@pytest.fixture(scope="module")
def datasets(normand, bcg):
    """The effects of each dataset as metafor's escalc computed them."""
    return {
        "normand_md": normand.rename(columns={"yi_md": "yi", "vi_md": "vi"}),
        "normand_smd": normand.rename(columns={"yi_smd": "yi", "vi_smd": "vi"}),
        "bcg_rr": bcg,
    }


@pytest.mark.parametrize("measure", ["MD", "SMD"])
def test_effect_sizes_match_escalc(normand, measure):
    effects = meta.effect_sizes(studies_from_arms(normand), measure)
    suffix = measure.lower()
    assert np.allclose(effects["yi"], normand[f"yi_{suffix}"], rtol=1e-12, atol=0)
    assert np.allclose(effects["vi"], normand[f"vi_{suffix}"], rtol=1e-12, atol=0)
    assert np.allclose(effects["se"] ** 2, effects["vi"])
    assert (effects["measure"] == measure).all() and (effects["basis"] == "arms").all()


REFERENCE_MODELS = pd.read_csv(RESULTS / "meta_metafor_models.csv")


@pytest.mark.parametrize(
    "reference",
    list(REFERENCE_MODELS.itertuples(index=False)),
    ids=lambda r: f"{r.dataset}-{r.method}-{'knha' if r.knha else 'z'}",
)
def test_pool_matches_metafor(datasets, reference):
    ours = meta.pool(datasets[reference.dataset], reference.method, reference.knha).iloc[0]
    assert ours["k"] == reference.k
    assert ours["distribution"] == ("t" if reference.knha else "z")
    assert mismatches(ours, reference, MODEL_STATISTICS) == []


@pytest.fixture(scope="module")
def reference_subgroups():
    return pd.read_csv(RESULTS / "meta_metafor_subgroups.csv")


SUBGROUP_FITS = [
    (mode, method, knha)
    for mode in ("separate", "common")
    for method in meta.METHODS
    for knha in (False, True)
    if not (mode == "common" and method == "FE")  # tau^2 = 0: the separate fits
]


@pytest.mark.parametrize(("mode", "method", "knha"), SUBGROUP_FITS)
def test_subgroups_match_metafor(bcg, reference_subgroups, mode, method, knha):
    reference = reference_subgroups[
        (reference_subgroups["tau2_mode"] == mode)
        & (reference_subgroups["method"] == method)
        & (reference_subgroups["knha"] == knha)
    ]
    assert len(reference) == 3
    ours = meta.subgroups(bcg, "alloc", method, knha, tau2=mode).set_index("subgroup")
    assert list(ours.index) == list(dict.fromkeys(bcg["alloc"]))
    compared = ["k", "estimate", "se", "ci_lower", "ci_upper", "statistic", "p_value", "tau2"]
    compared += ["pi_lower", "pi_upper", "tau2_ci_lower", "tau2_ci_upper"]
    if mode == "separate":  # metafor has no per-subgroup Q and I^2 in the common model
        compared += ["i2", "h2", "q", "q_p", "i2_ci_lower", "i2_ci_upper"]
    for row in reference.itertuples():
        assert mismatches(ours.loc[row.subgroup], row, compared) == [], row.subgroup


def test_common_tau2_under_fixed_effect_is_separate(bcg):
    common = meta.subgroups(bcg, "alloc", "FE", tau2="common").drop(columns="tau2_mode")
    separate = meta.subgroups(bcg, "alloc", "FE").drop(columns="tau2_mode")
    columns = ["subgroup", "k", "estimate", "se", "ci_lower", "ci_upper", "q", "i2"]
    pd.testing.assert_frame_equal(common[columns], separate[columns], rtol=1e-12)


@pytest.fixture(scope="module")
def reference_subgroup_tests():
    return pd.read_csv(RESULTS / "meta_metafor_subgroup_test.csv")


def test_subgroup_test_matches_metafor(bcg, reference_subgroup_tests):
    """Separate tau^2: a fixed-effect Q of the subgroup estimates (as RevMan); a
    common tau^2 without HKSJ: metafor's QM of rma(yi, vi, mods = ~ alloc)."""
    assert len(reference_subgroup_tests) == 11
    for row in reference_subgroup_tests.itertuples():
        groups = meta.subgroups(bcg, "alloc", row.method, row.knha, tau2=row.tau2_mode)
        ours = meta.subgroup_test(groups).iloc[0]
        assert ours["groups"] == 3 and ours["df"] == row.df
        assert mismatches(ours, row, ["q_between", "p_value"]) == [], row


@pytest.mark.parametrize(("method", "knha"), [("REML", False), ("DL", True)])
def test_leave_one_out_matches_metafor(bcg, method, knha):
    reference = pd.read_csv(RESULTS / "meta_metafor_leave1out.csv")
    reference = reference[(reference["method"] == method) & (reference["knha"] == knha)]
    ours = meta.leave_one_out(bcg, method, knha)
    assert list(ours["omitted"]) == list(reference["omitted"])
    compared = ["estimate", "se", "statistic", "p_value", "ci_lower", "ci_upper"]
    compared += ["q", "q_p", "tau2", "i2"]
    for (_, row), expected in zip(ours.iterrows(), reference.itertuples(), strict=True):
        assert mismatches(row, expected, compared) == [], expected.omitted


@pytest.mark.parametrize(("method", "knha"), [("REML", False), ("DL", True)])
def test_cumulative_matches_metafor(bcg, method, knha):
    """Ordered by year, ties in the table's order; the first row is one study alone
    (its own SE, z: metafor's rule for k = 1 under HKSJ too)."""
    reference = pd.read_csv(RESULTS / "meta_metafor_cumulative.csv")
    reference = reference[(reference["method"] == method) & (reference["knha"] == knha)]
    ours = meta.cumulative(bcg, method, knha)
    assert list(ours["added"]) == list(reference["added"])
    assert list(ours["k"]) == list(range(1, len(bcg) + 1))
    compared = ["estimate", "se", "statistic", "p_value", "ci_lower", "ci_upper"]
    compared += ["q", "q_p", "tau2", "i2"]
    for (_, row), expected in zip(ours.iterrows(), reference.itertuples(), strict=True):
        assert mismatches(row, expected, compared) == [], expected.added


def test_egger_matches_regtest(bcg):
    reference = pd.read_csv(RESULTS / "meta_metafor_egger.csv").iloc[0]
    ours = meta.egger(bcg).iloc[0]
    assert ours["tested"] and ours["note"] == "" and ours["k"] == 13
    compared = ["asymmetry", "asymmetry_se", "statistic", "df", "p_value", "limit_estimate"]
    compared += ["limit_se", "limit_ci_lower", "limit_ci_upper"]
    assert [c for c in compared if not close(ours[c], reference[c])] == []


# --- small literal tables, checked by hand ---------------------------------------------

THREE = pd.DataFrame({"study": ["A", "B", "C"], "yi": [1.0, 2.0, 4.0], "vi": [0.25, 1.0, 4.0]})


def test_fixed_effect_by_hand():
    """Weights 4, 1, 0.25 (sum 5.25): mean 7 / 5.25, SE 5.25^-1/2; Q = 8/3 on 2 df."""
    fit = meta.pool(THREE, "FE").iloc[0]
    assert fit["estimate"] == pytest.approx(4 / 3, rel=1e-14)
    assert fit["se"] == pytest.approx(5.25**-0.5, rel=1e-14)
    assert fit["ci_lower"] == pytest.approx(4 / 3 - 1.959963984540054 * 5.25**-0.5)
    assert fit["q"] == pytest.approx(8 / 3, rel=1e-14) and fit["q_df"] == 2
    assert fit["q_p"] == pytest.approx(math.exp(-4 / 3), rel=1e-12)  # chi2(2) tail: e^-q/2
    assert fit["i2"] == pytest.approx(25.0) and fit["h2"] == pytest.approx(4 / 3)
    assert fit["tau2"] == 0 and math.isnan(fit["tau2_ci_lower"]) and math.isnan(fit["pi_lower"])


def test_dersimonian_laird_and_hksj_by_hand():
    """DL: (8/3 - 2) / (5.25 - 17.0625 / 5.25) = 1/3. HKSJ under FE:
    SE^2 = Q / (k - 1) / 5.25 = (4/3) / 5.25, with t(2)."""
    assert meta.pool(THREE, "DL").loc[0, "tau2"] == pytest.approx(1 / 3, rel=1e-14)
    hksj = meta.pool(THREE, "FE", hksj=True).iloc[0]
    assert hksj["se"] == pytest.approx(math.sqrt(4 / 3 / 5.25), rel=1e-14)
    assert (hksj["distribution"], hksj["df"]) == ("t", 2)
    assert hksj["ci_upper"] - hksj["estimate"] == pytest.approx(4.302652729749464 * hksj["se"])


def test_identical_studies_have_no_heterogeneity():
    same = pd.DataFrame({"study": ["A", "B"], "yi": [-3.0, -3.0], "vi": [1.0, 1.0]})
    fits = meta.pool(same, list(meta.METHODS))
    assert (fits["q"] == 0).all() and (fits["i2"] == 0).all() and (fits["tau2"] == 0).all()
    assert (fits["estimate"] == -3).all()
    assert np.allclose(fits["se"], math.sqrt(0.5))
    random = fits[fits["method"] != "FE"]
    assert (random["tau2_ci_lower"] == 0).all() and (random["tau2_ci_upper"] == 0).all()
    # with tau^2 = 0 the prediction interval is the CI
    assert np.allclose(random["pi_lower"], random["ci_lower"])


def test_one_study_is_its_own_result():
    one = THREE.iloc[[1]]
    for hksj in (False, True):
        fit = meta.pool(one, "REML", hksj).iloc[0]
        assert (fit["k"], fit["estimate"], fit["se"], fit["distribution"]) == (1, 2.0, 1.0, "z")
        assert (fit["q"], fit["q_p"], fit["tau2"], fit["i2"]) == (0, 1, 0, 0)
        assert math.isnan(fit["pi_lower"]) and math.isnan(fit["tau2_ci_upper"])


def test_weights_by_hand():
    weights = meta.study_weights(THREE, meta.pool(THREE, ["FE", "DL"]))
    fixed = weights[weights["method"] == "FE"]["weight"]
    assert np.allclose(fixed, [400 / 5.25, 100 / 5.25, 25 / 5.25])
    random = weights[weights["method"] == "DL"]["weight"].to_numpy()
    w = 1 / (np.array([0.25, 1.0, 4.0]) + 1 / 3)
    assert np.allclose(random, 100 * w / w.sum())


def test_subgroups_by_hand():
    """Two subgroups of two equal-variance studies: means -14.5 and -9.5, each with
    SE 1; Q_between = 2.5^2 + 2.5^2 = 12.5 on 1 df."""
    effects = pd.DataFrame(
        {
            "study": list("ABCD"),
            "oil": ["lavender oil", "lavender oil", "other", "other"],
            "yi": [-14.0, -15.0, -9.0, -10.0],
            "vi": [2.0, 2.0, 2.0, 2.0],
        }
    )
    groups = meta.subgroups(effects, "oil", "FE")
    assert list(groups["subgroup"]) == ["lavender oil", "other"]
    assert list(groups["estimate"]) == [-14.5, -9.5] and np.allclose(groups["se"], 1.0)
    test = meta.subgroup_test(groups).iloc[0]
    assert test["q_between"] == pytest.approx(12.5) and test["df"] == 1
    assert test["i2"] == pytest.approx(92.0)


def test_subgroups_need_a_value_for_every_study():
    effects = THREE.assign(oil=["lavender oil", "", "other"])
    with pytest.raises(ValueError, match="'oil' is blank for studies: B"):
        meta.subgroups(effects, "oil")
    with pytest.raises(ValueError, match="no subgroup column 'dose'"):
        meta.subgroups(effects, "dose")


def test_egger_needs_ten_studies():
    ours = meta.egger(THREE).iloc[0]
    assert not ours["tested"] and math.isnan(ours["p_value"])
    assert ours["note"].startswith("Egger's test not done: 3 studies, fewer than the 10")


def test_revman_smd_by_hand():
    """RevMan 5: d = 1, N = 20, g = 1 - 3 / 71; v = 20 / 100 + g^2 / (2 (20 - 3.94))."""
    table = pd.DataFrame(
        {"study": ["A"], "year": [2020], "n_t": [10], "mean_t": [1.0], "sd_t": [1.0]}
        | {"n_c": [10], "mean_c": [0.0], "sd_c": [1.0]}
    ).assign(**DESCRIPTION)
    revman = meta.effect_sizes(table, "SMD", smd_variant="revman").iloc[0]
    g = 1 - 3 / 71
    assert revman["yi"] == pytest.approx(g, rel=1e-14)
    assert revman["vi"] == pytest.approx(0.2 + g**2 / (2 * 16.06), rel=1e-14)


def test_reported_effects():
    """A reported SE is used as given; a 95% CI gives SE = width / (2 z(0.975))."""
    table = pd.DataFrame(
        {
            "study": ["A", "B"],
            "year": [2020, 2021],
            "n_t": [30, 40],
            "n_c": [30, 40],
            "estimate": [-10.0, -12.0],
            "se": [2.0, np.nan],
            "ci_lower": [np.nan, -15.92],
            "ci_upper": [np.nan, -8.08],
            "measure": "MD",
        }
    ).assign(**DESCRIPTION)
    effects = meta.effect_sizes(table)
    assert list(effects["basis"]) == ["reported", "reported"]
    assert effects["se"].iloc[0] == 2.0
    assert effects["se"].iloc[1] == pytest.approx(7.84 / (2 * 1.959963984540054), rel=1e-14)
    with pytest.raises(meta.StudyTableError, match="reports an MD, the analysis is of the SMD"):
        meta.effect_sizes(table, "SMD")


# --- the study table's checks ----------------------------------------------------------

BAD_TABLE = """\
study,year,population,intervention,comparator,outcome,scale,n_t,mean_t,sd_t,n_c,mean_c,sd_c,estimate,se,ci_lower,ci_upper,measure,illustrative,source
Good 2015,2015,adults,massage,care,IRLS,0-40,35,12.41,5.49,35,23.23,4.52,,,,,,false,a citation
Bad SD,2016,adults,massage,care,IRLS,0-40,30,11,-4.5,30,20,abc,,,,,,false,a citation
Both,2017,adults,massage,care,IRLS,0-40,30,11,4.5,30,20,5,-9,2,,,MD,false,a citation
Asymmetric,201.5,adults,,care,IRLS,0-40,30,,,30,,,-9,,-20,-8,MD,maybe,
Good 2015,2018,adults,massage,care,IRLS,0-40,1.5,,,30,,,-9,,,,RR,true,a citation
"""


def test_read_studies_lists_every_problem(tmp_path):
    path = tmp_path / "studies.csv"
    path.write_text(BAD_TABLE)
    with pytest.raises(meta.StudyTableError) as caught:
        meta.read_studies(path)
    assert str(caught.value) == "\n".join(
        [
            f"{path}: 13 problems in the study table",
            "  - row 2 (line 3, study 'Bad SD'), column 'sd_t': '-4.5' is not positive",
            "  - row 2 (line 3, study 'Bad SD'), column 'sd_c': 'abc' is not a number",
            "  - row 3 (line 4, study 'Both'), column 'estimate': a row gives per-arm"
            " numbers or a reported effect, not both",
            "  - row 4 (line 5, study 'Asymmetric'), column 'intervention': is empty",
            "  - row 4 (line 5, study 'Asymmetric'), column 'year': '201.5' is not a whole number",
            "  - row 4 (line 5, study 'Asymmetric'), column 'source': is empty",
            "  - row 4 (line 5, study 'Asymmetric'), column 'illustrative': 'maybe' is not"
            " true or false",
            "  - row 4 (line 5, study 'Asymmetric'), column 'estimate': -9.0 is not at the"
            " middle of its CI [-20.0, -8.0] (MD and SMD intervals are symmetric): check the"
            " numbers",
            "  - row 5 (line 6, study 'Good 2015'), column 'n_t': '1.5' is not a whole number",
            "  - row 5 (line 6, study 'Good 2015'), column 'source': 'a citation' must say the"
            " row is illustrative",
            "  - row 5 (line 6, study 'Good 2015'), column 'measure': 'RR' is not one of MD, SMD",
            "  - row 5 (line 6, study 'Good 2015'), column 'se': is empty (give the SE or the"
            " 95% CI)",
            "  - row 5 (line 6, study 'Good 2015'), column 'study': 'Good 2015' repeats row 1",
        ]
    )
    assert len(caught.value.problems) == 13


def test_read_studies_names_missing_columns(tmp_path):
    path = tmp_path / "studies.csv"
    path.write_text("study,year,outcome\nA,2020,IRLS\n")
    with pytest.raises(meta.StudyTableError) as caught:
        meta.read_studies(path)
    problems = caught.value.problems
    assert problems[:3] == [
        "column 'population' is missing",
        "column 'intervention' is missing",
        "column 'comparator' is missing",
    ]
    assert "column 'source' is missing" in problems
    assert problems[7].startswith("columns: per-arm numbers (mean_t, sd_t, mean_c, sd_c)")
    assert problems[8].startswith("row 1 (line 2, study 'A'): no numbers")


def test_read_studies_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no study table at"):
        meta.read_studies(tmp_path / "absent.csv")


def test_checking_a_checked_table_changes_nothing():
    studies = meta.read_studies(BUNDLED)
    pd.testing.assert_frame_equal(meta.check_studies(studies), studies)


# --- the bundled table -----------------------------------------------------------------


def test_bundled_table_provenance():
    """The one published row is Hashemi 2015 as quoted by Xia et al. (2022); every
    other row is marked illustrative, its source saying so."""
    studies = meta.read_studies(BUNDLED)
    published = studies[~studies["illustrative"]]
    assert list(published["study"]) == ["Hashemi 2015"]
    hashemi = published.iloc[0]
    assert (hashemi["n_t"], hashemi["mean_t"], hashemi["sd_t"]) == (35, 12.41, 5.49)
    assert (hashemi["n_c"], hashemi["mean_c"], hashemi["sd_c"]) == (35, 23.23, 4.52)
    assert "Xia et al. (2022) Front. Psychiatry 13:843263" in hashemi["source"]
    assert (studies.loc[studies["illustrative"], "source"] == meta.ILLUSTRATIVE_SOURCE).all()
    assert 5 <= len(studies) <= 6
    assert set(studies["oil"]) == {"lavender oil", "other"}


# --- the whole analysis ----------------------------------------------------------------

TRIAL = pd.DataFrame(
    [
        {
            "study": "This trial 2026",
            "year": 2026,
            "population": "adults with RLS",
            "intervention": "foot massager",
            "comparator": "no intervention",
            "outcome": "IRLS change from baseline at week 4",
            "scale": "IRLS 0-40",
            "oil": "other",
            "n_t": 52,
            "n_c": 53,
            "estimate": -6.55,
            "se": 0.85,
            "measure": "MD",
            "source": "results/models/IRLSTOT_mmrm.csv",
        }
    ]
)


@pytest.fixture(scope="module")
def analysis():
    settings = meta.MetaSettings(method="REML", hksj=True, subgroup="oil")
    return meta.meta_analysis(meta.read_studies(BUNDLED), settings, trial=TRIAL)


def test_meta_analysis_tables(analysis):
    studies = analysis["studies"]
    assert len(studies) == 7 and list(studies["is_trial"]) == [False] * 6 + [True]
    assert studies["yi"].iloc[-1] == -6.55 and studies["se"].iloc[-1] == 0.85
    models = analysis["models"]
    assert len(models) == 7
    assert models.loc[models["role"] == "main", ["method", "hksj"]].values.tolist() == [
        ["REML", True]
    ]
    assert models.loc[models["role"] == "fixed", "method"].tolist() == ["FE"]
    assert (models["k"] == 7).all()
    assert set(analysis["weights"]["method"]) == set(meta.METHODS)
    assert list(analysis["subgroups"]["subgroup"]) == ["lavender oil", "other"]
    assert analysis["subgroups"]["k"].tolist() == [3, 4]
    assert analysis["subgroup_test"]["df"].tolist() == [1]
    assert analysis["leave_one_out"]["omitted"].tolist() == studies["study"].tolist()
    assert analysis["cumulative"]["added"].iloc[-1] == "This trial 2026"
    assert not analysis["egger"]["tested"].iloc[0]


def test_meta_analysis_main_model_is_pool(analysis):
    """The tables are those of the functions (no other computation on the way)."""
    main = analysis["models"].query("role == 'main'").iloc[0]
    alone = meta.pool(analysis["studies"], "REML", hksj=True).iloc[0]
    assert main[list(meta.POOL_COLUMNS)].equals(alone[list(meta.POOL_COLUMNS)])


def test_bundled_result_is_plausible(analysis):
    """Illustrative rows were chosen so that the studies pool near Xia et al.'s
    MD -12.0 (95% CI -14.9 to -9.1); lavender oil near their -14.2."""
    alone = meta.meta_analysis(meta.read_studies(BUNDLED), {"subgroup": "oil"})
    main = alone["models"].query("role == 'main'").iloc[0]
    assert -13.5 < main["estimate"] < -10.5
    lavender = alone["subgroups"].set_index("subgroup").loc["lavender oil", "estimate"]
    assert -15.5 < lavender < -12.5


def test_trial_needs_the_subgroup_column():
    settings = meta.MetaSettings(subgroup="oil")
    with pytest.raises(ValueError, match="'oil' is blank for studies: This trial 2026"):
        meta.meta_analysis(meta.read_studies(BUNDLED), settings, TRIAL.drop(columns="oil"))


def test_trial_with_another_measure_is_refused():
    with pytest.raises(meta.StudyTableError, match="reports an MD, the analysis is of the SMD"):
        meta.meta_analysis(meta.read_studies(BUNDLED), {"measure": "SMD"}, TRIAL)


def test_trial_study_from_results():
    results = pd.DataFrame(
        {
            "kind": ["lsmean", "lsmean", "contrast"],
            "visit": "Week 4",
            "arm": ["control", "massager", None],
            "contrast": [None, None, "massager vs control"],
            "active": [None, None, "massager"],
            "reference": [None, None, "control"],
            "estimate": [-1.9, -8.45, -6.55],
            "std_error": [0.6, 0.6, 0.85],
            "n": [53, 52, 105],
        }
    )
    description = TRIAL.drop(columns=["n_t", "n_c", "estimate", "se", "measure"]).iloc[0]
    row = meta.trial_study(results, "massager vs control", "Week 4", description.to_dict())
    expected = meta.check_studies(TRIAL)
    pd.testing.assert_frame_equal(row[expected.columns], expected, check_like=True)
    with pytest.raises(ValueError, match="0 rows of contrast 'heat vs control'"):
        meta.trial_study(results, "heat vs control", "Week 4", description.to_dict())


def test_settings_are_checked():
    with pytest.raises(ValueError, match=r"unknown keys \['methods'\]"):
        meta.MetaSettings.from_config({"methods": "REML"})
    with pytest.raises(ValueError) as caught:
        meta.MetaSettings(measure="RR", method="FE", hksj=True, level=95)
    assert str(caught.value) == (
        "meta settings: measure must be one of MD, SMD, not 'RR'; hksj adjusts a"
        " random-effects model: not with method FE; level must be a number between 0 and"
        " 1, not 95"
    )
