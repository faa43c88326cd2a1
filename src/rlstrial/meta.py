"""Meta-analysis of published trials, with this trial's own contrast as one more study.

Study table in, tidy tables out: :func:`read_studies` reads and checks a table of
studies (every problem reported at once, naming the file, row, column and value);
:func:`effect_sizes` gives each study's effect (mean difference or Hedges' g) and its
variance; :func:`pool` pools them (fixed effect; random effects with tau^2 by
DerSimonian-Laird, REML or Paule-Mandel; optionally the Hartung-Knapp-Sidik-Jonkman
adjustment) with the heterogeneity statistics and the prediction interval;
:func:`subgroups` and :func:`subgroup_test`, :func:`leave_one_out`, :func:`cumulative`
and :func:`egger` follow; :func:`meta_analysis` runs them all from a
:class:`MetaSettings` and returns a dict of tables. No function reads config, prints
or writes files (:func:`read_studies` reads its one file). The figures are in
:mod:`rlstrial.figures.meta`.

What comes from statsmodels, and what is filled in here
-------------------------------------------------------
``statsmodels.stats.meta_analysis.combine_effects`` does the inverse-variance pooling:
Cochran's Q, the fixed-effect estimate and its SE, the DerSimonian-Laird and
Paule-Mandel tau^2 and the HKSJ variance (its ``var_hksj_fe``: the weighted residual
variance over k - 1 times the pooled variance). A random-effects model with a given
tau^2 is pooled by handing it the total variances v_i + tau^2 (inverse-variance
pooling with those weights *is* the random-effects estimate), so one code path serves
every method. ``statsmodels.stats.meta_analysis.effectsize_smd`` gives RevMan 5's
Hedges' g (``smd_variant="revman"``) and ``statsmodels.regression.linear_model.WLS``
fits Egger's regression. Filled in here, because statsmodels 0.14-0.15 lacks or
differs:

* DerSimonian-Laird tau^2 truncated at 0 (statsmodels returns the negative moment
  estimate and pools with it);
* Paule-Mandel to a tight tolerance (statsmodels stops when the estimating equation is
  within 1e-5 by default, and sets tau^2 = 0 whenever a Newton step overshoots): we
  ask for 1e-12 and verify the root, falling back to Brent's method if it is not one;
* REML tau^2 (root of the restricted-likelihood score, Brent's method);
* the Q-profile confidence interval of tau^2 and the I^2 of metafor (tau^2 over tau^2
  plus the typical within-study variance, with its CI from the Q-profile bounds),
  statsmodels having only I^2 = (Q - df) / Q;
* inference: t with k - 1 df under HKSJ (statsmodels' default CI uses the normal
  quantile even for the HKSJ variance), p-values, the prediction interval;
* Hedges' g with the exact small-sample correction and metafor's default variance
  (statsmodels has only RevMan's approximations);
* a single study (k = 1), the subgroup test, a tau^2 common to the subgroups,
  leave-one-out and cumulative analyses.

Each of these is checked against R's metafor 3.8 in ``tests/test_meta.py`` (numbers
from ``tests/results/meta_metafor.R``).

Conventions
-----------
Effects are treatment minus control (``_t`` minus ``_c`` columns): with IRLS, lower is
better, so a negative difference favours the treatment. ``i2`` and its CI are in
percent. ``level`` is the confidence level of every interval (0.95: 95%). A study's
"reported" CI in the study table is a 95% CI.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, special, stats
from statsmodels.regression.linear_model import WLS
from statsmodels.stats.meta_analysis import combine_effects, effectsize_smd

MEASURES = ("MD", "SMD")
METHODS = ("FE", "DL", "REML", "PM")
METHOD_LABELS = {
    "FE": "fixed effect",
    "DL": "DerSimonian-Laird",
    "REML": "REML",
    "PM": "Paule-Mandel",
}
TAU2_MODES = ("separate", "common")
SMD_VARIANTS = ("metafor", "revman")
#: what every study must state (text, except year and the arm sizes)
REQUIRED_COLUMNS = (
    "study",
    "year",
    "population",
    "intervention",
    "comparator",
    "outcome",
    "scale",
    "n_t",
    "n_c",
    "source",
)
TEXT_COLUMNS = ("study", "population", "intervention", "comparator", "outcome", "scale")
#: per-arm numbers: mean and SD of the treatment (_t) and control (_c) arms
ARM_COLUMNS = ("mean_t", "sd_t", "mean_c", "sd_c")
#: a reported effect: its estimate, its SE or its 95% CI, and its measure
REPORTED_COLUMNS = ("estimate", "se", "ci_lower", "ci_upper", "measure")
#: the source of every number not taken from a publication
ILLUSTRATIVE_SOURCE = "illustrative, not from a publication"
REPORTED_CI_LEVEL = 0.95

POOL_COLUMNS = (
    "method",
    "hksj",
    "k",
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "level",
    "distribution",
    "df",
    "statistic",
    "p_value",
    "tau2",
    "tau2_ci_lower",
    "tau2_ci_upper",
    "i2",
    "i2_ci_lower",
    "i2_ci_upper",
    "h2",
    "q",
    "q_df",
    "q_p",
    "pi_lower",
    "pi_upper",
)
SUBGROUP_COLUMNS = ("by", "subgroup", "tau2_mode", *POOL_COLUMNS)
SUBGROUP_TEST_COLUMNS = (
    "by",
    "tau2_mode",
    "method",
    "hksj",
    "groups",
    "q_between",
    "df",
    "p_value",
    "i2",
)
MODEL_COLUMNS = (*POOL_COLUMNS, "role")
LEAVE_ONE_OUT_COLUMNS = ("omitted", *POOL_COLUMNS)
CUMULATIVE_COLUMNS = ("added", "year", *POOL_COLUMNS)
WEIGHT_COLUMNS = ("study", "method", "tau2", "weight")
EGGER_COLUMNS = (
    "k",
    "min_studies",
    "tested",
    "asymmetry",
    "asymmetry_se",
    "statistic",
    "df",
    "p_value",
    "limit_estimate",
    "limit_se",
    "limit_ci_lower",
    "limit_ci_upper",
    "note",
)

_TOLERANCE = 1e-12  # on the estimating equations (Q - df, REML score)


# --- the study table -------------------------------------------------------------------


class StudyTableError(ValueError):
    """A study table with problems; ``problems`` lists every one of them.

    Rows are numbered from 1 after the header; a row's line in the file is its number
    plus one.
    """

    def __init__(self, source: str, problems: Sequence[str]):
        self.source = source
        self.problems = list(problems)
        listing = "\n".join(f"  - {problem}" for problem in self.problems)
        count = len(self.problems)
        super().__init__(
            f"{source}: {count} problem{'s' if count > 1 else ''} in the study table\n{listing}"
        )


def read_studies(path: str | Path) -> pd.DataFrame:
    """Read and check a study table (CSV, one row per study).

    Every cell is read as text and parsed here, so nothing is coerced silently: a
    value that is not what its column needs is a problem, and all problems are
    raised together.

    Parameters
    ----------
    path
        The CSV file. Columns:

        * ``study`` (unique label, e.g. "Hashemi 2015"), ``year`` (of publication,
          a whole number), ``population``, ``intervention``, ``comparator``,
          ``outcome``, ``scale``: non-empty text;
        * ``n_t``, ``n_c``: participants analysed in the treatment and control arms
          (whole numbers, at least 2);
        * per-arm numbers ``mean_t``, ``sd_t``, ``mean_c``, ``sd_c`` (SDs positive),
          **or** a reported effect: ``estimate`` with either ``se`` (positive) or the
          95% CI ``ci_lower``, ``ci_upper`` (symmetric about the estimate), and its
          ``measure`` ("MD" or "SMD"); a row gives one or the other, not both;
        * ``source``: where the row's numbers come from (a citation), non-empty;
        * ``illustrative`` (optional): "true" for numbers not from a publication,
          whose ``source`` must then say so (contain "illustrative"), else "false";
        * any other columns (e.g. subgroups) are kept as text.

    Returns
    -------
    DataFrame
        One row per study, the columns above typed (text as str, ``year``, ``n_t``,
        ``n_c`` as int, numbers as float with NaN where not given, ``illustrative``
        as bool, False when the column is absent), plus ``basis``: "arms" or
        "reported".

    Raises
    ------
    FileNotFoundError
        No such file.
    StudyTableError
        Listing every problem: "row 3 (line 4, study 'X'), column 'sd_t': '-4.5' is
        not positive".

    Examples
    --------
    >>> import rlstrial
    >>> root = Path(rlstrial.__file__).parents[2]
    >>> studies = read_studies(root / "data" / "meta" / "massage_rcts.csv")
    >>> studies.loc[0, ["study", "n_t", "mean_t", "sd_t", "n_c", "mean_c", "sd_c", "basis"]]
    ... # doctest: +NORMALIZE_WHITESPACE
    study     Hashemi 2015
    n_t                 35
    mean_t           12.41
    sd_t              5.49
    n_c                 35
    mean_c           23.23
    sd_c              4.52
    basis             arms
    Name: 0, dtype: object
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no study table at {path}")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table.columns = [str(column).strip() for column in table.columns]
    return check_studies(table, source=str(path))


def check_studies(table: pd.DataFrame, source: str = "study table") -> pd.DataFrame:
    """Check and type a study table given as a DataFrame (text or numbers).

    The rules and the returned columns are those of :func:`read_studies`; ``source``
    names the table in the error message. Checking a checked table returns it
    unchanged.

    Examples
    --------
    >>> bad = pd.DataFrame({"study": ["A", "A"], "year": ["2019", "twenty"],
    ...     "population": "adults", "intervention": "massage", "comparator": "care",
    ...     "outcome": "IRLS", "scale": "0-40", "n_t": ["20", "1"], "n_c": "20",
    ...     "mean_t": ["10", "11"], "sd_t": ["-5", "5"], "mean_c": "20", "sd_c": "5",
    ...     "source": "a citation"})
    >>> check_studies(bad, "toy.csv")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    rlstrial.meta.StudyTableError: toy.csv: 4 problems in the study table
      - row 1 (line 2, study 'A'), column 'sd_t': '-5' is not positive
      - row 2 (line 3, study 'A'), column 'year': 'twenty' is not a whole number
      - row 2 (line 3, study 'A'), column 'n_t': '1' is less than 2
      - row 2 (line 3, study 'A'), column 'study': 'A' repeats row 1
    """
    problems = [f"column {c!r} is missing" for c in REQUIRED_COLUMNS if c not in table]
    if not all(c in table for c in ARM_COLUMNS) and "estimate" not in table:
        problems.append(
            f"columns: per-arm numbers ({', '.join(ARM_COLUMNS)}) or a reported effect"
            f" ({', '.join(REPORTED_COLUMNS)}) are needed"
        )
    records = table.to_dict("records")
    rows, seen = [], {}
    for number, record in enumerate(records, start=1):
        row = _Row(record, number)
        rows.append(_typed_row(row))
        problems += row.problems
        study = rows[-1]["study"]
        if study and study in seen:
            problems.append(f"{row.where}, column 'study': {study!r} repeats row {seen[study]}")
        seen.setdefault(study, number)
    if problems:
        raise StudyTableError(source, problems)
    columns = [*table.columns, *REQUIRED_COLUMNS, *ARM_COLUMNS, *REPORTED_COLUMNS]
    columns = list(dict.fromkeys([*columns, "illustrative", "basis"]))
    typed = pd.DataFrame(rows, columns=columns)
    for column in (*ARM_COLUMNS, *REPORTED_COLUMNS[:4]):
        typed[column] = typed[column].astype(float)
    return typed


def _blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _parse_number(value) -> float | None:
    """A finite number from text or a number; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            return None
    return number if math.isfinite(number) else None


class _Row:
    """One row of a study table being checked: typed cells, problems by location."""

    def __init__(self, record: Mapping, number: int):
        self.record = record
        self.problems: list[str] = []
        study = record.get("study")
        named = "" if _blank(study) else f", study {str(study).strip()!r}"
        self.where = f"row {number} (line {number + 1}{named})"

    def given(self, column: str) -> bool:
        return column in self.record and not _blank(self.record[column])

    def problem(self, column: str, message: str) -> None:
        self.problems.append(f"{self.where}, column {column!r}: {message}")

    def text(self, column: str) -> str:
        if not self.given(column):
            if column in self.record:
                self.problem(column, "is empty")
            return ""
        return str(self.record[column]).strip()

    def number(self, column: str, positive: bool = False) -> float:
        if not self.given(column):
            if column in self.record:
                self.problem(column, "is empty")
            return math.nan
        value = self.record[column]
        number = _parse_number(value)
        if number is None:
            self.problem(column, f"{_shown(value)} is not a number")
            return math.nan
        if positive and number <= 0:
            self.problem(column, f"{_shown(value)} is not positive")
        return number

    def whole(self, column: str, low: int, high: int | None = None) -> int:
        if not self.given(column):
            if column in self.record:
                self.problem(column, "is empty")
            return 0
        value = self.record[column]
        number = _parse_number(value)
        if number is None or number != int(number):
            self.problem(column, f"{_shown(value)} is not a whole number")
            return 0
        if number < low:
            self.problem(column, f"{_shown(value)} is less than {low}")
        elif high is not None and number > high:
            self.problem(column, f"{_shown(value)} is more than {high}")
        return int(number)

    def flag(self, column: str) -> bool:
        if not self.given(column):
            return False
        value = self.record[column]
        if isinstance(value, bool | np.bool_):
            return bool(value)
        word = str(value).strip().lower()
        if word not in ("true", "false"):
            self.problem(column, f"{_shown(value)} is not true or false")
        return word == "true"


def _shown(value) -> str:
    return repr(value.strip()) if isinstance(value, str) else repr(value)


def _typed_row(row: _Row) -> dict:
    """A study's cells typed, its problems recorded in ``row``."""
    typed = {column: row.record[column] for column in row.record}
    for column in TEXT_COLUMNS:
        typed[column] = row.text(column)
    typed["year"] = row.whole("year", 1900, 2100)
    for column in ("n_t", "n_c"):
        typed[column] = row.whole(column, 2) if column in row.record else 0
    typed["source"] = row.text("source")
    typed["illustrative"] = row.flag("illustrative")
    _check_provenance(row, typed)
    typed.update(_numbers(row))
    return typed


def _check_provenance(row: _Row, typed: dict) -> None:
    """An illustrative row says so in its source; a published one does not."""
    if not typed["source"]:
        return
    says = "illustrative" in typed["source"].lower()
    if typed["illustrative"] and not says:
        row.problem("source", f"{typed['source']!r} must say the row is illustrative")
    elif says and not typed["illustrative"]:
        row.problem("illustrative", "must be true: the source says the row is illustrative")


def _numbers(row: _Row) -> dict:
    """The row's per-arm numbers or its reported effect, and which it gives."""
    arms = [c for c in ARM_COLUMNS if row.given(c)]
    reported = [c for c in REPORTED_COLUMNS if row.given(c)]
    numbers = dict.fromkeys((*ARM_COLUMNS, *REPORTED_COLUMNS[:4]), math.nan)
    numbers["measure"] = ""
    if arms and reported:
        row.problem(reported[0], "a row gives per-arm numbers or a reported effect, not both")
        return numbers | {"basis": ""}
    if not arms and not reported:
        row.problems.append(
            f"{row.where}: no numbers (needs {', '.join(ARM_COLUMNS)}, or estimate with"
            " se or ci_lower and ci_upper, and measure)"
        )
        return numbers | {"basis": ""}
    if arms:
        for column in ARM_COLUMNS:
            numbers[column] = row.number(column, positive=column.startswith("sd"))
        return numbers | {"basis": "arms"}
    return numbers | _reported(row) | {"basis": "reported"}


def _reported(row: _Row) -> dict:
    """A reported effect: estimate, its SE or 95% CI (one of them), its measure."""
    estimate = row.number("estimate")
    numbers = {"estimate": estimate, "measure": row.text("measure")}
    if numbers["measure"] and numbers["measure"] not in MEASURES:
        row.problem("measure", f"{numbers['measure']!r} is not one of {', '.join(MEASURES)}")
    has_se = row.given("se")
    has_ci = row.given("ci_lower") or row.given("ci_upper")
    if has_se and has_ci:
        row.problem("se", "give the SE or the 95% CI, not both")
    elif has_se:
        numbers["se"] = row.number("se", positive=True)
    elif has_ci:
        lower, upper = row.number("ci_lower"), row.number("ci_upper")
        numbers |= {"ci_lower": lower, "ci_upper": upper}
        _check_ci(row, estimate, lower, upper)
    else:
        row.problem("se", "is empty (give the SE or the 95% CI)")
    return numbers


def _check_ci(row: _Row, estimate: float, lower: float, upper: float) -> None:
    if any(math.isnan(x) for x in (estimate, lower, upper)):
        return
    if not lower < upper:
        row.problem("ci_upper", f"{upper!r} is not above ci_lower {lower!r}")
    elif not lower <= estimate <= upper:
        row.problem("estimate", f"{estimate!r} is outside its CI [{lower!r}, {upper!r}]")
    elif abs((lower + upper) / 2 - estimate) > 0.1 * (upper - lower) / 2:
        row.problem(
            "estimate",
            f"{estimate!r} is not at the middle of its CI [{lower!r}, {upper!r}]"
            " (MD and SMD intervals are symmetric): check the numbers",
        )


# --- effect sizes ---------------------------------------------------------------------


def effect_sizes(
    studies: pd.DataFrame,
    measure: str = "MD",
    level: float = 0.95,
    smd_variant: str = "metafor",
) -> pd.DataFrame:
    """Each study's effect (treatment minus control) and its sampling variance.

    Parameters
    ----------
    studies
        A study table (:func:`read_studies`; it is checked again here).
    measure
        "MD" (mean difference, in the scale's units) or "SMD" (standardised mean
        difference, Hedges' g). A row with a reported effect must report this measure.
    level
        Confidence level of each study's interval.
    smd_variant
        "metafor" (default: exact small-sample correction and variance, as metafor
        ``escalc(measure="SMD")``) or "revman" (RevMan 5's approximations, through
        statsmodels ``effectsize_smd``).

    Returns
    -------
    DataFrame
        One row per study: the study table's descriptive and extra columns (all but
        the per-arm and reported numbers), ``n_t``, ``n_c``, and

        * ``measure``: "MD" or "SMD";
        * ``basis``: "arms" (computed from per-arm numbers) or "reported";
        * ``yi``: the effect; ``vi``: its sampling variance; ``se``: sqrt(vi);
        * ``ci_lower``, ``ci_upper``: yi -/+ z(level) se.

    Raises
    ------
    StudyTableError
        A problem in the table, or reported effects of another measure.

    Notes
    -----
    Mean difference (Borenstein et al. 2009, eq. 4.5; metafor ``vtype="LS"``):
    y = m_t - m_c, v = s_t^2 / n_t + s_c^2 / n_c.

    Hedges' g (Hedges 1981; metafor's default): with the pooled SD
    s_p = sqrt(((n_t - 1) s_t^2 + (n_c - 1) s_c^2) / (n_t + n_c - 2)),
    d = (m_t - m_c) / s_p, m = n_t + n_c - 2 and the exact correction
    J(m) = Gamma(m / 2) / (sqrt(m / 2) Gamma((m - 1) / 2)), g = J(m) d and
    v = 1 / n_t + 1 / n_c + g^2 / (2 (n_t + n_c)) (Hedges 1982, eq. 8).
    RevMan 5 approximates J by 1 - 3 / (4 N - 9) and uses
    v = N / (n_t n_c) + g^2 / (2 (N - 3.94)), N = n_t + n_c (Cochrane Handbook;
    ``smd_variant="revman"``); the two differ by less than 0.1% in g for N > 20.

    A reported 95% CI gives se = (upper - lower) / (2 z(0.975)).

    References: Borenstein M, Hedges LV, Higgins JPT, Rothstein HR (2009).
    Introduction to Meta-Analysis. Wiley. Hedges LV (1981). J Educ Stat 6:107-128.

    Examples
    --------
    >>> studies = pd.DataFrame({"study": ["A 2015"], "year": [2015],
    ...     "population": "adults", "intervention": "massage", "comparator": "care",
    ...     "outcome": "IRLS", "scale": "0-40", "n_t": [35], "n_c": [35],
    ...     "mean_t": [12.41], "sd_t": [5.49], "mean_c": [23.23], "sd_c": [4.52],
    ...     "source": "a citation"})
    >>> effect_sizes(studies)[["yi", "vi", "se"]].round(4)
          yi      vi      se
    0 -10.82  1.4449  1.2020
    >>> effect_sizes(studies, "SMD")[["yi", "vi"]].round(4)
           yi      vi
    0 -2.1279  0.0895
    """
    _check_choice(measure, MEASURES, "measure")
    _check_choice(smd_variant, SMD_VARIANTS, "smd_variant")
    table = check_studies(studies, source="studies")
    others = table[(table["basis"] == "reported") & (table["measure"] != measure)]
    if len(others):
        raise StudyTableError(
            "studies",
            [
                f"study {study!r}, column 'measure': reports an {other}, the analysis is"
                f" of the {measure}"
                for study, other in zip(others["study"], others["measure"], strict=True)
            ],
        )
    yi, vi = _arm_effects(table, measure, smd_variant)
    reported = (table["basis"] == "reported").to_numpy()
    se_reported = table["se"].fillna(
        (table["ci_upper"] - table["ci_lower"]) / (2 * stats.norm.isf(0.025))
    )
    yi = np.where(reported, table["estimate"], yi)
    vi = np.where(reported, se_reported**2, vi)
    numbers = {*ARM_COLUMNS, *REPORTED_COLUMNS, "basis", "n_t", "n_c"}
    out = table[[c for c in table.columns if c not in numbers]].copy()
    se = np.sqrt(vi)
    z = stats.norm.isf((1 - level) / 2)
    return out.assign(
        n_t=table["n_t"],
        n_c=table["n_c"],
        measure=measure,
        basis=table["basis"],
        yi=yi,
        vi=vi,
        se=se,
        ci_lower=yi - z * se,
        ci_upper=yi + z * se,
    )


def _arm_effects(table: pd.DataFrame, measure: str, variant: str) -> tuple:
    """MD or SMD and its variance from the per-arm numbers (NaN on reported rows)."""
    n_t, n_c = table["n_t"].to_numpy(float), table["n_c"].to_numpy(float)
    m_t, s_t = table["mean_t"].to_numpy(), table["sd_t"].to_numpy()
    m_c, s_c = table["mean_c"].to_numpy(), table["sd_c"].to_numpy()
    if measure == "MD":
        return m_t - m_c, s_t**2 / n_t + s_c**2 / n_c
    if variant == "revman":
        g, v = effectsize_smd(m_t, s_t, n_t, m_c, s_c, n_c)
        return np.asarray(g), np.asarray(v)
    pooled = np.sqrt(((n_t - 1) * s_t**2 + (n_c - 1) * s_c**2) / (n_t + n_c - 2))
    df = n_t + n_c - 2
    correction = np.exp(
        special.gammaln(df / 2) - 0.5 * np.log(df / 2) - special.gammaln((df - 1) / 2)
    )
    g = correction * (m_t - m_c) / pooled
    return g, 1 / n_t + 1 / n_c + g**2 / (2 * (n_t + n_c))


# --- pooling ---------------------------------------------------------------------------


def pool(
    effects: pd.DataFrame,
    method: str | Sequence[str] = "REML",
    hksj: bool = False,
    level: float = 0.95,
) -> pd.DataFrame:
    """Pool the studies' effects: one row per method.

    Parameters
    ----------
    effects
        Columns ``yi`` and ``vi`` (:func:`effect_sizes`), one row per study.
    method
        "FE" (fixed effect, inverse variance), "DL" (DerSimonian-Laird), "REML" or
        "PM" (Paule-Mandel), or a list of them.
    hksj
        Hartung-Knapp-Sidik-Jonkman adjustment of the SE, with t(k - 1) intervals and
        tests (metafor ``test="knha"``; for FE too, where it is an ad hoc scaling).
    level
        Confidence level of the CI, the tau^2 and I^2 CIs and the prediction interval.

    Returns
    -------
    DataFrame
        One row per method:

        * ``method``, ``hksj``, ``k`` (studies);
        * ``estimate``, ``se``, ``ci_lower``, ``ci_upper``, ``level``;
        * ``distribution`` ("z" or "t"), ``df`` (t's df, NaN for z), ``statistic``
          (estimate / se), ``p_value`` (two-sided);
        * ``tau2`` (0 for FE), ``tau2_ci_lower``, ``tau2_ci_upper`` (Q-profile;
          NaN for FE and k = 1);
        * ``i2`` (percent), ``i2_ci_lower``, ``i2_ci_upper``, ``h2``;
        * ``q`` (Cochran's Q), ``q_df`` (k - 1), ``q_p``;
        * ``pi_lower``, ``pi_upper``: prediction interval for the true effect in a new
          study (NaN for FE and k = 1).

    Notes
    -----
    With w_i = 1 / (v_i + tau^2): estimate mu = sum w_i y_i / sum w_i,
    SE = (sum w_i)^(-1/2). HKSJ (Hartung & Knapp 2001; Sidik & Jonkman 2002):
    SE^2 = sum w_i (y_i - mu)^2 / ((k - 1) sum w_i), with t(k - 1); not truncated
    (metafor's "knha", not its "adhoc"). A single study keeps its own SE and z, as
    metafor does.

    Q = sum (y_i - mu_FE)^2 / v_i on k - 1 df. tau^2: DL (DerSimonian & Laird 1986)
    max(0, (Q - (k - 1)) / (sum u_i - sum u_i^2 / sum u_i)), u_i = 1 / v_i;
    PM (Paule & Mandel 1982) solves Q(tau^2) = k - 1, with the generalised
    Q(tau^2) = sum w_i (y_i - mu)^2; REML (Viechtbauer 2005) solves
    sum w_i^2 (y_i - mu)^2 = sum w_i - sum w_i^2 / sum w_i; both 0 when no positive
    root.

    I^2 = 100 tau^2 / (tau^2 + s^2) with the typical within-study variance
    s^2 = (k - 1) sum u_i / ((sum u_i)^2 - sum u_i^2), and H^2 = (tau^2 + s^2) / s^2
    (Higgins & Thompson 2002; metafor); for FE, I^2 = max(0, (Q - (k - 1)) / Q) and
    H^2 = Q / (k - 1). Q-profile CI of tau^2 (Viechtbauer 2007): the tau^2 at which
    Q(tau^2) equals the chi^2(k - 1) quantiles 1 - alpha / 2 (lower bound) and
    alpha / 2 (upper bound), 0 where Q(0) is already below; the I^2 bounds follow.
    Prediction interval (Riley et al. 2011), as metafor ``predict()``:
    mu -/+ c sqrt(SE^2 + tau^2), c the normal quantile, or t(k - 1) under HKSJ.

    Examples
    --------
    Three studies, by hand: weights u = 1/0.25, 1/1, 1/4 = 4, 1, 0.25 (sum 5.25);
    fixed-effect mean 7 / 5.25 = 4/3, SE 5.25^(-1/2) = 0.4364;
    Q = 4 (1/3)^2 + 1 (2/3)^2 + 0.25 (8/3)^2 = 8/3 on 2 df, I^2 = (8/3 - 2) / (8/3) = 25%;
    DL tau^2 = (8/3 - 2) / (5.25 - 17.0625 / 5.25) = (2/3) / 2 = 1/3.

    >>> effects = pd.DataFrame({"yi": [1.0, 2.0, 4.0], "vi": [0.25, 1.0, 4.0]})
    >>> fit = pool(effects, ["FE", "DL"])
    >>> fit[["method", "k", "estimate", "se", "q", "tau2", "i2"]].round(4)
      method  k  estimate      se       q    tau2    i2
    0     FE  3    1.3333  0.4364  2.6667  0.0000  25.0
    1     DL  3    1.5352  0.6091  2.6667  0.3333  25.0
    """
    methods = [method] if isinstance(method, str) else list(method)
    for name in methods:
        _check_choice(name, METHODS, "method")
    y, v = _arrays(effects)
    rows = [_fit(y, v, name, hksj, level) for name in methods]
    return pd.DataFrame(rows, columns=list(POOL_COLUMNS))


def _arrays(effects: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    missing = [c for c in ("yi", "vi") if c not in effects]
    if missing:
        raise ValueError(f"the effects table has no column {missing[0]!r}")
    y = effects["yi"].to_numpy(dtype=float)
    v = effects["vi"].to_numpy(dtype=float)
    if len(y) == 0:
        raise ValueError("no studies to pool")
    if not (np.isfinite(y).all() and np.isfinite(v).all() and (v > 0).all()):
        raise ValueError("every study needs a finite yi and a positive, finite vi")
    return y, v


def _combine(y: np.ndarray, v: np.ndarray, method_re: str = "dl", **kwds):
    """statsmodels' inverse-variance pooling of (y, v); k >= 2."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return combine_effects(y, v, method_re=method_re, **kwds)


def _fit(y: np.ndarray, v: np.ndarray, method: str, hksj: bool, level: float) -> dict:
    """One model's row of :func:`pool`."""
    k = len(y)
    if k == 1:
        return _single_study(y, v, method, hksj, level)
    base = _combine(y, v)
    q = float(base.q)
    tau2 = _tau2(y, v, method, base)
    pooled = _combine(y, v + tau2)  # random effects = inverse variance with v + tau2
    estimate = float(pooled.mean_effect_fe)
    se = math.sqrt(pooled.var_hksj_fe) if hksj else float(pooled.sd_eff_w_fe)
    df = k - 1 if hksj else math.nan
    row = {"method": method, "hksj": hksj, "k": k}
    row |= _inference(estimate, se, df, level)
    row |= _heterogeneity(v, tau2, q, method)
    if method != "FE":
        bounds = _q_profile(y, v, np.zeros(k, dtype=int), level)
        row |= _intervals_of_tau2(v, bounds)
        row |= _prediction(estimate, se, tau2, df, level)
    return row


def _single_study(y, v, method: str, hksj: bool, level: float) -> dict:
    """One study: its own estimate and SE, z inference, no heterogeneity (metafor)."""
    row = {"method": method, "hksj": hksj, "k": 1}
    row |= _inference(float(y[0]), math.sqrt(v[0]), math.nan, level)
    return row | {"tau2": 0.0, "i2": 0.0, "h2": 1.0, "q": 0.0, "q_df": 0, "q_p": 1.0}


def _inference(estimate: float, se: float, df: float, level: float) -> dict:
    """CI, statistic and two-sided p: normal when df is NaN, else t(df)."""
    alpha = 1 - level
    statistic = estimate / se
    if math.isnan(df):
        distribution, crit = "z", stats.norm.isf(alpha / 2)
        p_value = 2 * stats.norm.sf(abs(statistic))
    else:
        distribution, crit = "t", stats.t.isf(alpha / 2, df)
        p_value = 2 * stats.t.sf(abs(statistic), df)
    return {
        "estimate": estimate,
        "se": se,
        "ci_lower": estimate - crit * se,
        "ci_upper": estimate + crit * se,
        "level": level,
        "distribution": distribution,
        "df": df,
        "statistic": statistic,
        "p_value": float(p_value),
    }


def _typical_variance(v: np.ndarray) -> float:
    """Higgins & Thompson's typical within-study variance (k >= 2)."""
    u = 1 / v
    return (len(v) - 1) * u.sum() / (u.sum() ** 2 - (u**2).sum())


def _heterogeneity(v: np.ndarray, tau2: float, q: float, method: str) -> dict:
    df = len(v) - 1
    if method == "FE":
        i2 = max(0.0, (q - df) / q) * 100 if q > 0 else 0.0
        h2 = q / df
    else:
        s2 = _typical_variance(v)
        i2, h2 = 100 * tau2 / (tau2 + s2), (tau2 + s2) / s2
    return {
        "tau2": tau2,
        "i2": i2,
        "h2": h2,
        "q": q,
        "q_df": df,
        "q_p": float(stats.chi2.sf(q, df)),
    }


def _prediction(estimate: float, se: float, tau2: float, df: float, level: float) -> dict:
    alpha = 1 - level
    crit = stats.norm.isf(alpha / 2) if math.isnan(df) else stats.t.isf(alpha / 2, df)
    half = crit * math.sqrt(se**2 + tau2)
    return {"pi_lower": estimate - half, "pi_upper": estimate + half}


def _intervals_of_tau2(v: np.ndarray, bounds: tuple[float, float]) -> dict:
    s2 = _typical_variance(v)
    lower, upper = bounds
    return {
        "tau2_ci_lower": lower,
        "tau2_ci_upper": upper,
        "i2_ci_lower": 100 * lower / (lower + s2),
        "i2_ci_upper": 100 * upper / (upper + s2),
    }


# --- tau^2 ----------------------------------------------------------------------------


def _tau2(y: np.ndarray, v: np.ndarray, method: str, base) -> float:
    """tau^2 of one set of studies (k >= 2); ``base`` is statsmodels' DL fit."""
    if method == "FE":
        return 0.0
    if method == "DL":
        return max(0.0, float(base.tau2))  # statsmodels does not truncate
    single = np.zeros(len(y), dtype=int)
    if method == "PM":
        tau2 = max(0.0, float(_combine(y, v, "pm", atol=_TOLERANCE, maxiter=200).tau2))
        if _solves_pm(y, v, tau2):
            return tau2
    return _tau2_grouped(y, v, single, method)


def _solves_pm(y: np.ndarray, v: np.ndarray, tau2: float) -> bool:
    """Whether tau2 is the Paule-Mandel estimate (checking statsmodels' iteration)."""
    single = np.zeros(len(y), dtype=int)
    excess = _generalised_q(y, v, tau2, single) - (len(y) - 1)
    if tau2 == 0:
        return excess <= 1e-9
    return abs(excess) <= 1e-8 * (len(y) - 1)


def _group_means(y, v, tau2: float, groups: np.ndarray):
    """Weights and each study's group mean, with weights 1 / (v + tau2)."""
    w = 1 / (v + tau2)
    means = np.bincount(groups, w * y) / np.bincount(groups, w)
    return w, means[groups]


def _generalised_q(y, v, tau2: float, groups: np.ndarray) -> float:
    """sum w_i (y_i - mu_g(i))^2: each group about its own weighted mean."""
    w, mu = _group_means(y, v, tau2, groups)
    return float(np.sum(w * (y - mu) ** 2))


def _reml_score(y, v, tau2: float, groups: np.ndarray) -> float:
    """Twice the REML score: y'PPy - tr(P) for one mean per group (block diagonal)."""
    w, mu = _group_means(y, v, tau2, groups)
    trace = w.sum() - np.sum(np.bincount(groups, w**2) / np.bincount(groups, w))
    return float(np.sum(w**2 * (y - mu) ** 2) - trace)


def _tau2_grouped(y, v, groups: np.ndarray, method: str) -> float:
    """tau^2 common to the groups (one mean each); one group: the usual estimators.

    DL: (Q_E - (k - G)) / tr(P) truncated at 0; PM: Q_E(tau^2) = k - G; REML: the
    score's root (metafor's mixed-effects model with a factor as moderator).
    """
    k, count = len(y), int(groups.max()) + 1
    if method == "FE":
        return 0.0
    if method == "DL":
        u = 1 / v
        trace = u.sum() - np.sum(np.bincount(groups, u**2) / np.bincount(groups, u))
        return max(0.0, (_generalised_q(y, v, 0.0, groups) - (k - count)) / trace)
    if method == "PM":
        return _root(lambda t: _generalised_q(y, v, t, groups) - (k - count), y, v)
    return _root(lambda t: _reml_score(y, v, t, groups), y, v)


def _root(function, y: np.ndarray, v: np.ndarray) -> float:
    """The root in tau^2 >= 0 of a function positive at 0 and negative for large
    tau^2 (0 when it is not positive at 0), by Brent's method."""
    if function(0.0) <= 0:
        return 0.0
    upper = max(float(np.var(y)), float(v.max()), 1e-8)
    for _ in range(200):
        if function(upper) < 0:
            break
        upper *= 4
    else:
        raise RuntimeError("no upper bound found for tau^2")
    return float(optimize.brentq(function, 0.0, upper, xtol=1e-15, rtol=4 * np.finfo(float).eps))


def _q_profile(y, v, groups: np.ndarray, level: float) -> tuple[float, float]:
    """Q-profile CI of tau^2 (groups: a common tau^2 about group means)."""
    df = len(y) - (int(groups.max()) + 1)
    if df < 1:
        return math.nan, math.nan
    alpha = 1 - level
    bounds = []
    for crit in (stats.chi2.isf(alpha / 2, df), stats.chi2.ppf(alpha / 2, df)):
        bounds.append(_root(lambda t, c=crit: _generalised_q(y, v, t, groups) - c, y, v))
    return bounds[0], bounds[1]


# --- subgroups -------------------------------------------------------------------------


def subgroups(
    effects: pd.DataFrame,
    by: str,
    method: str = "REML",
    hksj: bool = False,
    level: float = 0.95,
    tau2: str = "separate",
) -> pd.DataFrame:
    """Pool each subgroup of studies.

    Parameters
    ----------
    effects
        :func:`effect_sizes`, with the column ``by``.
    by
        The column whose values make the subgroups (no value may be blank).
    method, hksj, level
        As :func:`pool`.
    tau2
        "separate" (default, as RevMan: each subgroup its own tau^2, i.e. a
        separate meta-analysis per subgroup) or "common" (one tau^2 for all,
        estimated about the subgroup means, as metafor
        ``rma(yi, vi, mods = ~ factor(group))``).

    Returns
    -------
    DataFrame
        One row per subgroup, in the order of first appearance: ``by`` (the column),
        ``subgroup`` (its value), ``tau2_mode``, and the columns of :func:`pool`.
        With a common tau^2: ``tau2``, its Q-profile CI (on k - G df) and, under
        HKSJ, the scale of the SEs and the t df (k - G) are shared; ``q``, ``i2``
        and ``h2`` are each subgroup's own.

    Raises
    ------
    ValueError
        No column ``by``, or blank values (naming the studies); a common tau^2
        with as many subgroups as studies.

    Examples
    --------
    >>> effects = pd.DataFrame({"study": list("ABCD"), "oil": ["yes", "yes", "no", "no"],
    ...     "yi": [-14.0, -15.0, -9.0, -10.0], "vi": [2.0, 2.0, 2.0, 2.0]})
    >>> subgroups(effects, "oil", "FE")[["subgroup", "k", "estimate", "q"]]
      subgroup  k  estimate    q
    0      yes  2     -14.5  0.25
    1       no  2      -9.5  0.25
    """
    _check_choice(tau2, TAU2_MODES, "tau2")
    _check_choice(method, METHODS, "method")
    labels, codes = _subgroup_codes(effects, by)
    y, v = _arrays(effects)
    if tau2 == "separate":
        rows = [_fit(y[codes == j], v[codes == j], method, hksj, level) for j in range(len(labels))]
    else:
        rows = _common_tau2_rows(y, v, codes, method, hksj, level)
    table = pd.DataFrame(rows, columns=list(POOL_COLUMNS))
    table.insert(0, "tau2_mode", tau2)
    table.insert(0, "subgroup", labels)
    table.insert(0, "by", by)
    return table


def _subgroup_codes(effects: pd.DataFrame, by: str) -> tuple[list[str], np.ndarray]:
    if by not in effects:
        raise ValueError(f"no subgroup column {by!r} in the studies")
    values = effects[by]
    names = effects.get("study", values.index)
    blank = [str(name) for name, value in zip(names, values, strict=True) if _blank(value)]
    if blank:
        raise ValueError(f"subgroup column {by!r} is blank for studies: {', '.join(blank)}")
    labels = list(dict.fromkeys(str(value).strip() for value in values))
    codes = np.array([labels.index(str(value).strip()) for value in values])
    return labels, codes


def _common_tau2_rows(y, v, codes, method: str, hksj: bool, level: float) -> list[dict]:
    """Each subgroup pooled with the tau^2 common to all (a mixed-effects model)."""
    k, count = len(y), int(codes.max()) + 1
    if k - count < 1:
        raise ValueError("a common tau^2 needs more studies than subgroups")
    tau2 = _tau2_grouped(y, v, codes, method)
    bounds = _q_profile(y, v, codes, level) if method != "FE" else (math.nan, math.nan)
    scale = _generalised_q(y, v, tau2, codes) / (k - count) if hksj else 1.0
    df = k - count if hksj else math.nan
    rows = []
    for j in range(count):
        yj, vj = y[codes == j], v[codes == j]
        w = 1 / (vj + tau2)
        estimate = float(np.sum(w * yj) / w.sum())
        se = math.sqrt(scale / w.sum())
        row = {"method": method, "hksj": hksj, "k": len(yj)}
        row |= _inference(estimate, se, df, level)
        row |= _group_heterogeneity(yj, vj, tau2, method)
        if method != "FE":
            row |= _prediction(estimate, se, tau2, df, level)
            if len(yj) > 1:
                row |= _intervals_of_tau2(vj, bounds)
        rows.append(row)
    return rows


def _group_heterogeneity(y, v, tau2: float, method: str) -> dict:
    if len(y) == 1:
        return {"tau2": tau2, "i2": 0.0, "h2": 1.0, "q": 0.0, "q_df": 0, "q_p": 1.0}
    return _heterogeneity(v, tau2, float(_combine(y, v).q), method)


def subgroup_test(subgroup_table: pd.DataFrame) -> pd.DataFrame:
    """The test for subgroup differences (RevMan's), from :func:`subgroups`' table.

    Parameters
    ----------
    subgroup_table
        :func:`subgroups`: one row per subgroup with ``estimate`` and ``se``.

    Returns
    -------
    DataFrame
        One row: ``by``, ``tau2_mode``, ``method``, ``hksj``, ``groups`` (G),
        ``q_between``, ``df`` (G - 1), ``p_value`` (chi^2), ``i2`` (percent,
        max(0, (Q - df) / Q)). NaN with fewer than two subgroups.

    Notes
    -----
    Q_between = sum (mu_g - mu)^2 / SE_g^2 with mu the inverse-variance mean of the
    subgroup estimates mu_g (Borenstein et al. 2009, ch. 19; Deeks, Higgins & Altman,
    Cochrane Handbook ch. 10.11.3): a fixed-effect Q of the subgroup estimates. With
    separate tau^2 this is RevMan's test (metafor: ``rma(est, sei = se, method =
    "FE")``); with a common tau^2 and no HKSJ it equals metafor's omnibus test QM of
    ``rma(yi, vi, mods = ~ group)``. Under HKSJ it uses the adjusted SEs (still
    chi^2, where metafor's QM would be an F test).

    Examples
    --------
    >>> table = pd.DataFrame({"by": "oil", "tau2_mode": "separate", "method": "FE",
    ...     "hksj": False, "estimate": [-14.5, -9.5], "se": [1.0, 1.0]})
    >>> subgroup_test(table)[["groups", "q_between", "df", "i2"]]
       groups  q_between  df    i2
    0       2       12.5   1  92.0
    """
    first = subgroup_table.iloc[0] if len(subgroup_table) else {}
    count = len(subgroup_table)
    row = {c: first.get(c, math.nan) for c in ("by", "tau2_mode", "method", "hksj")}
    row |= {"groups": count, "q_between": math.nan, "df": max(count - 1, 0)}
    row |= {"p_value": math.nan, "i2": math.nan}
    if count >= 2:
        estimates = subgroup_table["estimate"].to_numpy(float)
        variances = subgroup_table["se"].to_numpy(float) ** 2
        q = float(_combine(estimates, variances).q)
        row |= {
            "q_between": q,
            "p_value": float(stats.chi2.sf(q, count - 1)),
            "i2": max(0.0, (q - (count - 1)) / q) * 100 if q > 0 else 0.0,
        }
    return pd.DataFrame([row], columns=list(SUBGROUP_TEST_COLUMNS))


# --- influence and accumulation --------------------------------------------------------


def leave_one_out(
    effects: pd.DataFrame, method: str = "REML", hksj: bool = False, level: float = 0.95
) -> pd.DataFrame:
    """The pooled result with each study left out in turn (as metafor ``leave1out``).

    Parameters
    ----------
    effects
        :func:`effect_sizes` (columns ``study``, ``yi``, ``vi``), at least 2 studies.
    method, hksj, level
        As :func:`pool`.

    Returns
    -------
    DataFrame
        One row per study, in the table's order: ``omitted`` (the study left out)
        and the columns of :func:`pool` for the other k - 1 studies.

    Examples
    --------
    >>> effects = pd.DataFrame({"study": list("ABC"), "yi": [1.0, 2.0, 4.0],
    ...     "vi": [0.25, 1.0, 4.0]})
    >>> leave_one_out(effects, "FE")[["omitted", "k", "estimate"]].round(4)
      omitted  k  estimate
    0       A  2       2.4
    1       B  2       1.1765
    2       C  2       1.2
    """
    _check_choice(method, METHODS, "method")
    y, v = _arrays(effects)
    if len(y) < 2:
        raise ValueError("leave-one-out needs at least 2 studies")
    keep = np.ones(len(y), dtype=bool)
    rows = []
    for i in range(len(y)):
        keep[:] = True
        keep[i] = False
        rows.append(_fit(y[keep], v[keep], method, hksj, level))
    table = pd.DataFrame(rows, columns=list(POOL_COLUMNS))
    table.insert(0, "omitted", effects["study"].to_numpy())
    return table


def cumulative(
    effects: pd.DataFrame, method: str = "REML", hksj: bool = False, level: float = 0.95
) -> pd.DataFrame:
    """Cumulative meta-analysis: studies added in order of year (as metafor ``cumul``).

    Parameters
    ----------
    effects
        :func:`effect_sizes` (columns ``study``, ``year``, ``yi``, ``vi``).
    method, hksj, level
        As :func:`pool`.

    Returns
    -------
    DataFrame
        One row per study in order of ``year`` (ties in the table's order):
        ``added`` (the study), ``year``, and the columns of :func:`pool` for the
        studies up to and including it (the first row: that study alone).

    Examples
    --------
    >>> effects = pd.DataFrame({"study": list("ABC"), "year": [2010, 2001, 2005],
    ...     "yi": [1.0, 2.0, 4.0], "vi": [0.25, 1.0, 4.0]})
    >>> cumulative(effects, "FE")[["added", "year", "k", "estimate"]].round(4)
      added  year  k  estimate
    0     B  2001  1       2.0
    1     C  2005  2       2.4
    2     A  2010  3       1.3333
    """
    _check_choice(method, METHODS, "method")
    ordered = effects.sort_values("year", kind="stable")
    y, v = _arrays(ordered)
    rows = [_fit(y[:j], v[:j], method, hksj, level) for j in range(1, len(y) + 1)]
    table = pd.DataFrame(rows, columns=list(POOL_COLUMNS))
    table.insert(0, "year", ordered["year"].to_numpy())
    table.insert(0, "added", ordered["study"].to_numpy())
    return table


def egger(effects: pd.DataFrame, min_studies: int = 10, level: float = 0.95) -> pd.DataFrame:
    """Egger's regression test for funnel-plot asymmetry (small-study effects).

    Parameters
    ----------
    effects
        :func:`effect_sizes` (columns ``yi``, ``vi``).
    min_studies
        Fewer studies than this: no test, and a note says why (10, as the Cochrane
        Handbook advises: with fewer the test cannot tell asymmetry from chance).
    level
        Confidence level of the limit estimate's CI.

    Returns
    -------
    DataFrame
        One row: ``k``, ``min_studies``, ``tested``; ``asymmetry`` (the slope on the
        SE: Egger's bias coefficient), ``asymmetry_se``, ``statistic`` (t), ``df``
        (k - 2), ``p_value``; ``limit_estimate`` (the intercept: the effect as the SE
        goes to 0), ``limit_se``, ``limit_ci_lower``, ``limit_ci_upper`` (t(k - 2));
        ``note`` (empty when tested). NaN numbers when not tested.

    Notes
    -----
    Weighted least squares of y_i on SE_i with weights 1 / v_i and a multiplicative
    dispersion (statsmodels ``WLS``), as metafor ``regtest(model = "lm")``; the slope
    equals the intercept of Egger et al.'s (1997) regression of y_i / SE_i on
    1 / SE_i. Sterne JAC et al. (2011) BMJ 343:d4002 (at least 10 studies).

    Examples
    --------
    >>> effects = pd.DataFrame({"yi": [1.0, 2.0, 4.0], "vi": [0.25, 1.0, 4.0]})
    >>> print(egger(effects).loc[0, "note"])  # doctest: +NORMALIZE_WHITESPACE
    Egger's test not done: 3 studies, fewer than the 10 it needs to tell funnel-plot
    asymmetry from chance.
    """
    y, v = _arrays(effects)
    k = len(y)
    row = {"k": k, "min_studies": min_studies, "tested": False, "note": ""}
    needed = max(min_studies, 3)
    if k < needed:
        row["note"] = (
            f"Egger's test not done: {k} stud{'y' if k == 1 else 'ies'}, fewer than the"
            f" {needed} it needs to tell funnel-plot asymmetry from chance."
        )
        return pd.DataFrame([row], columns=list(EGGER_COLUMNS))
    se = np.sqrt(v)
    fit = WLS(y, np.column_stack([np.ones(k), se]), weights=1 / v).fit()
    lower, upper = fit.conf_int(alpha=1 - level)[0]
    row |= {
        "tested": True,
        "asymmetry": float(fit.params[1]),
        "asymmetry_se": float(fit.bse[1]),
        "statistic": float(fit.tvalues[1]),
        "df": float(fit.df_resid),
        "p_value": float(fit.pvalues[1]),
        "limit_estimate": float(fit.params[0]),
        "limit_se": float(fit.bse[0]),
        "limit_ci_lower": float(lower),
        "limit_ci_upper": float(upper),
    }
    return pd.DataFrame([row], columns=list(EGGER_COLUMNS))


def study_weights(effects: pd.DataFrame, models: pd.DataFrame) -> pd.DataFrame:
    """Each study's weight (percent) in each model of ``models`` (HKSJ rows share
    their method's weights).

    Returns
    -------
    DataFrame
        ``study``, ``method``, ``tau2``, ``weight``: 100 w_i / sum w, with
        w_i = 1 / (v_i + tau^2); one row per study and method.

    Examples
    --------
    >>> effects = pd.DataFrame({"study": list("ABC"), "yi": [1.0, 2.0, 4.0],
    ...     "vi": [0.25, 1.0, 4.0]})
    >>> study_weights(effects, pool(effects, "FE"))["weight"].round(2).tolist()
    [76.19, 19.05, 4.76]
    """
    _, v = _arrays(effects)
    studies = effects["study"].to_numpy()
    tables = []
    for method, tau2 in models.drop_duplicates("method")[["method", "tau2"]].to_numpy():
        w = 1 / (v + tau2)
        weight = 100 * w / w.sum()
        tables.append(pd.DataFrame({"study": studies, "method": method, "weight": weight}))
        tables[-1]["tau2"] = float(tau2)
    return pd.concat(tables, ignore_index=True)[list(WEIGHT_COLUMNS)]


# --- settings and the whole analysis ---------------------------------------------------


@dataclass(frozen=True)
class MetaSettings:
    """What the meta-analysis does (config section ``meta``), checked on creation.

    Attributes
    ----------
    measure
        "MD" or "SMD".
    method
        The main model: "FE", "DL", "REML" or "PM"; every other is reported as a
        sensitivity analysis.
    hksj
        HKSJ adjustment of the main model (random effects only).
    level
        Confidence level, in (0, 1).
    subgroup
        The study table's column of subgroups, or None for no subgroup analysis.
    subgroup_tau2
        "separate" (RevMan) or "common" (see :func:`subgroups`).
    egger_min_studies
        Fewest studies for Egger's test (at least 3).
    """

    measure: str = "MD"
    method: str = "REML"
    hksj: bool = False
    level: float = 0.95
    subgroup: str | None = None
    subgroup_tau2: str = "separate"
    egger_min_studies: int = 10

    def __post_init__(self):
        problems = [
            f"{name} must be one of {', '.join(choices)}, not {value!r}"
            for name, value, choices in (
                ("measure", self.measure, MEASURES),
                ("method", self.method, METHODS),
                ("subgroup_tau2", self.subgroup_tau2, TAU2_MODES),
            )
            if value not in choices
        ]
        if not isinstance(self.hksj, bool):
            problems.append(f"hksj must be true or false, not {self.hksj!r}")
        elif self.hksj and self.method == "FE":
            problems.append("hksj adjusts a random-effects model: not with method FE")
        if not (isinstance(self.level, float) and 0 < self.level < 1):
            problems.append(f"level must be a number between 0 and 1, not {self.level!r}")
        if not (isinstance(self.egger_min_studies, int) and self.egger_min_studies >= 3):
            problems.append(f"egger_min_studies must be 3 or more, not {self.egger_min_studies!r}")
        if self.subgroup is not None and not (isinstance(self.subgroup, str) and self.subgroup):
            problems.append(f"subgroup must be a column name, not {self.subgroup!r}")
        if problems:
            raise ValueError("meta settings: " + "; ".join(problems))

    @classmethod
    def from_config(cls, config: Mapping) -> MetaSettings:
        """Settings from a mapping (e.g. config ``meta``); unknown keys are an error.

        Examples
        --------
        >>> MetaSettings.from_config({"method": "REML", "hksj": True, "subgroup": "oil"})
        MetaSettings(measure='MD', method='REML', hksj=True, level=0.95, subgroup='oil',
                     subgroup_tau2='separate', egger_min_studies=10)
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(f"meta settings: unknown keys {unknown}; known are {sorted(known)}")
        return cls(**config)


def trial_study(
    results: pd.DataFrame, contrast: str, visit: str, description: Mapping[str, object]
) -> pd.DataFrame:
    """This trial's contrast as a one-row study table (a reported mean difference).

    Parameters
    ----------
    results
        The trial's result table for one outcome and analysis (columns kind,
        contrast, visit, estimate, std_error, active, reference, arm, n): its
        ``kind == "contrast"`` row of ``contrast`` at ``visit`` gives the estimate
        and SE, the ``lsmean`` rows of its two arms at that visit the n.
    contrast, visit
        E.g. "massager vs control", "Week 4".
    description
        The study's other columns: study, year, population, intervention,
        comparator, outcome, scale, source, and the subgroup column if any.

    Returns
    -------
    DataFrame
        One row, checked by :func:`check_studies`: ``description`` plus estimate,
        se, measure ("MD"), n_t and n_c.

    Examples
    --------
    >>> results = pd.DataFrame({"kind": ["lsmean", "lsmean", "contrast"],
    ...     "visit": "Week 4", "arm": ["control", "massager", None],
    ...     "contrast": [None, None, "massager vs control"],
    ...     "active": [None, None, "massager"], "reference": [None, None, "control"],
    ...     "estimate": [-1.9, -8.5, -6.55], "std_error": [0.6, 0.6, 0.85],
    ...     "n": [53, 52, 105]})
    >>> trial_study(results, "massager vs control", "Week 4", {"study": "This trial",
    ...     "year": 2026, "population": "adults with RLS", "intervention": "foot massager",
    ...     "comparator": "no intervention", "outcome": "IRLS change at week 4",
    ...     "scale": "IRLS 0-40", "source": "results/models/IRLSTOT_mmrm.csv"}
    ...     )[["study", "estimate", "se", "n_t", "n_c"]]
            study  estimate    se  n_t  n_c
    0  This trial     -6.55  0.85   52   53
    """
    at = results[results["visit"] == visit]
    row = at[(at["kind"] == "contrast") & (at["contrast"] == contrast)]
    if len(row) != 1:
        raise ValueError(f"{len(row)} rows of contrast {contrast!r} at {visit!r}; need 1")
    row = row.iloc[0]
    sizes = {}
    for side, arm in (("n_t", row["active"]), ("n_c", row["reference"])):
        arm_rows = at[(at["kind"] == "lsmean") & (at["arm"] == arm)]
        if len(arm_rows) != 1:
            raise ValueError(f"{len(arm_rows)} LS-mean rows of arm {arm!r} at {visit!r}")
        sizes[side] = int(arm_rows["n"].iloc[0])
    study = {
        **description,
        "estimate": float(row["estimate"]),
        "se": float(row["std_error"]),
        "measure": "MD",
        **sizes,
    }
    return check_studies(pd.DataFrame([study]), source="trial contrast")


def meta_analysis(
    studies: pd.DataFrame,
    settings: MetaSettings | Mapping,
    trial: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """The whole meta-analysis: effects, models, subgroups, influence, small studies.

    Parameters
    ----------
    studies
        The study table (:func:`read_studies`).
    settings
        :class:`MetaSettings`, or a mapping for :meth:`MetaSettings.from_config`.
    trial
        Optional: this trial's contrast as one more study, a one-row study table with
        a reported effect of the analysis' measure (:func:`trial_study`); it needs
        the subgroup column when there is one. Columns the trial lacks are blank.

    Returns
    -------
    dict of DataFrame
        * ``studies``: :func:`effect_sizes` of the studies (and the trial, last),
          with ``is_trial``;
        * ``models``: :func:`pool` of FE, and DL, REML and PM without and with HKSJ,
          with ``role``: "main" (the settings' model), "fixed" (FE, when not the
          main) or "sensitivity";
        * ``weights``: :func:`study_weights` of those models;
        * ``subgroups`` and ``subgroup_test`` (:func:`subgroups`, main model; empty
          without ``settings.subgroup``);
        * ``leave_one_out`` and ``cumulative`` (main model);
        * ``egger``: :func:`egger` (with its note when too few studies).

    Examples
    --------
    >>> import rlstrial
    >>> root = Path(rlstrial.__file__).parents[2]
    >>> studies = read_studies(root / "data" / "meta" / "massage_rcts.csv")
    >>> tables = meta_analysis(studies, {"method": "REML", "subgroup": "oil"})
    >>> sorted(tables)  # doctest: +NORMALIZE_WHITESPACE
    ['cumulative', 'egger', 'leave_one_out', 'models', 'studies', 'subgroup_test',
     'subgroups', 'weights']
    >>> models = tables["models"]
    >>> models.loc[models["role"] != "sensitivity", ["method", "k", "estimate", "ci_lower",
    ...     "ci_upper"]].round(2)
      method  k  estimate  ci_lower  ci_upper
    0     FE  6    -11.76    -12.95    -10.58
    3   REML  6    -11.74    -13.55     -9.93
    """
    if not isinstance(settings, MetaSettings):
        settings = MetaSettings.from_config(settings)
    effects = effect_sizes(_with_trial(studies, trial), settings.measure, settings.level)
    main = {"method": settings.method, "hksj": settings.hksj, "level": settings.level}
    models = _models(effects, settings)
    tables = {
        "studies": effects,
        "models": models,
        "weights": study_weights(effects, models),
        "subgroups": pd.DataFrame(columns=list(SUBGROUP_COLUMNS)),
        "subgroup_test": pd.DataFrame(columns=list(SUBGROUP_TEST_COLUMNS)),
        "leave_one_out": pd.DataFrame(columns=list(LEAVE_ONE_OUT_COLUMNS)),
        "cumulative": cumulative(effects, **main),
        "egger": egger(effects, settings.egger_min_studies, settings.level),
    }
    if len(effects) >= 2:
        tables["leave_one_out"] = leave_one_out(effects, **main)
    if settings.subgroup:
        groups = subgroups(effects, settings.subgroup, tau2=settings.subgroup_tau2, **main)
        tables["subgroups"] = groups
        # The test compares the subgroup estimates with chi-squared: with their
        # unadjusted SEs (as RevMan), since HKSJ SEs are valid only with t quantiles.
        unadjusted = {**main, "hksj": False}
        tested = subgroups(effects, settings.subgroup, tau2=settings.subgroup_tau2, **unadjusted)
        tables["subgroup_test"] = subgroup_test(tested)
    return tables


def _with_trial(studies: pd.DataFrame, trial: pd.DataFrame | None) -> pd.DataFrame:
    """The studies, and the trial's row last, with ``is_trial``."""
    table = check_studies(studies, source="studies").assign(is_trial=False)
    if trial is None:
        return table
    if len(trial) != 1:
        raise ValueError(f"the trial contrast must be one row, not {len(trial)}")
    own = check_studies(trial, source="trial contrast").assign(is_trial=True)
    if own["study"].iloc[0] in set(table["study"]):
        raise ValueError(f"the trial's study name {own['study'].iloc[0]!r} is already used")
    combined = pd.concat([table, own], ignore_index=True)
    for column in set(table.columns) ^ set(own.columns):  # extra text columns of one only
        combined[column] = combined[column].fillna("")
    return combined


def _models(effects: pd.DataFrame, settings: MetaSettings) -> pd.DataFrame:
    """FE, and each random-effects method without and with HKSJ; their roles."""
    specs = [("FE", False)] + [(m, h) for m in METHODS[1:] for h in (False, True)]
    models = pd.concat(
        [pool(effects, method, hksj, settings.level) for method, hksj in specs],
        ignore_index=True,
    )
    main = (models["method"] == settings.method) & (models["hksj"] == settings.hksj)
    fixed = (models["method"] == "FE") & ~models["hksj"]
    models["role"] = np.where(main, "main", np.where(fixed, "fixed", "sensitivity"))
    return models[list(MODEL_COLUMNS)]


def _check_choice(value, choices: Sequence[str], name: str) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
