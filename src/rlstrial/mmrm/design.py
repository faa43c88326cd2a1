"""Data preparation for the MMRM engine: checks, design matrix, missingness patterns.

The likelihood of a mixed model for repeated measures depends on the data only
through, for every missingness pattern (the set of visits a subject was seen at,
within a covariance group), the cross-products of the (weighted) design rows and
outcomes at each pair of visits. :class:`Patterns` computes these once, so each
likelihood evaluation costs O(patterns x visits^2 x columns^2), whatever the
number of subjects.
"""

from __future__ import annotations

import ast
import functools
import itertools
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import patsy


class MMRMDataError(ValueError):
    """The data cannot be analysed as given; the message says where and what to do."""


@dataclass
class Design:
    """The analysis data and design of one model."""

    data: pd.DataFrame  # rows used, with the variables of the model
    y: np.ndarray
    x: np.ndarray  # columns kept (aliased columns dropped)
    columns: list[str]  # names of the kept columns
    aliased: list[str]  # names of the dropped columns
    # each aliased column as a combination of the kept ones: x_all[:, a] = x @ alias[a]
    alias: np.ndarray  # (len(aliased), len(columns))
    design_info: patsy.DesignInfo
    all_columns: list[str]
    subject_index: np.ndarray  # subject code per row
    visit_index: np.ndarray  # visit code per row (0..T-1)
    group_index: np.ndarray  # covariance group code per row
    visits: list[str]
    groups: list[str]
    weights: np.ndarray
    n_dropped: int
    n_subjects: int  # subjects in the input, including those with no usable row (as SAS)
    variables: list[str]  # data columns the formula uses (outcome excluded)
    formula: str = ""
    subject: str = ""  # column names of the subject, visit, group and weights
    visit: str = ""
    group: str | None = None
    weights_column: str | None = None
    coordinates: np.ndarray | None = None  # (rows, d), for a spatial structure
    coordinate_columns: tuple[str, ...] = ()


def formula_variables(formula: str, columns) -> list[str]:
    """Data columns named anywhere in a patsy formula, in order of appearance.

    Examples
    --------
    >>> formula_variables("FEV1 ~ C(ARMCD) * AVISIT + np.log(WEIGHT)",
    ...                   ["FEV1", "ARMCD", "AVISIT", "WEIGHT", "SEX"])
    ['FEV1', 'ARMCD', 'AVISIT', 'WEIGHT']
    """
    return [name for name in _parse(formula).names if name in columns]


@dataclass(frozen=True)
class _Formula:
    """What a formula names: every name of its factors (in order of first appearance),
    and the code of each factor of its left and right sides."""

    names: tuple[str, ...]
    outcome: tuple[str, ...]
    predictors: tuple[str, ...]


@functools.lru_cache(maxsize=256)
def _parse(formula: str) -> _Formula:
    """Parse a formula once (a fit, its LS-means and tests need it again and again)."""
    description = patsy.ModelDesc.from_formula(formula)
    names: list[str] = []
    codes = []
    for side in (description.lhs_termlist, description.rhs_termlist):
        side_codes = []
        for term in side:
            for factor in term.factors:
                side_codes.append(factor.code)
                for node in ast.walk(ast.parse(factor.code, mode="eval")):
                    if isinstance(node, ast.Name) and node.id not in names:
                        names.append(node.id)
        codes.append(tuple(dict.fromkeys(side_codes)))
    return _Formula(tuple(names), *codes)


def _show(value) -> str:
    """A value for a message: repr of the plain Python value."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _levels(series: pd.Series) -> list:
    """The levels that occur: a categorical's in category order, others sorted."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = series.cat.categories
        codes = series.cat.codes.to_numpy()
        seen = np.bincount(codes[codes >= 0], minlength=len(categories)) > 0
        return [level for level, occurs in zip(categories, seen, strict=True) if occurs]
    return sorted(series.dropna().unique().tolist())


def prepare(
    data: pd.DataFrame,
    formula: str,
    subject: str,
    visit: str,
    group: str | None = None,
    weights: str | None = None,
    reference: dict | None = None,
    visit_levels: list | None = None,
    coordinates: list[str] | None = None,
) -> Design:
    """Check the data and build the design for :func:`rlstrial.mmrm.fit_mmrm`
    (``coordinates``: the columns of the observations' coordinates a per-subject covariance
    structure uses, SAS ``SP(EXP)(c-list)``)."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    outcome = formula.split("~")[0].strip()
    variables = formula_variables(formula, data.columns)
    needed = _needed_columns(data, outcome, variables, subject, visit, group, weights)
    coordinates = list(coordinates or [])
    absent = [c for c in coordinates if c not in data.columns]
    if absent:
        raise MMRMDataError(f"coordinate columns {absent} are not in the data")
    needed += [c for c in coordinates if c not in needed]
    frame = data[needed].copy()
    _check_numeric_outcome(frame, outcome)
    _set_reference_levels(frame, reference or {})
    _categorise_predictors(frame, variables, outcome)
    visits = _visit_levels(data[visit], visit_levels)
    n_rows = len(frame)
    if any(frame[column].hasnans for column in frame.columns):
        frame = frame.dropna()
    subject_index = pd.factorize(frame[subject])[0]
    visit_index = pd.Categorical(frame[visit], categories=visits).codes.astype(int)
    _check_usable_rows(frame, subject, visit, visits, group, weights, subject_index, visit_index)
    y, design_info, x_all, keep, aliased = _model_matrices(formula, frame)
    groups, group_codes = _covariance_groups(frame, group)
    return Design(
        data=frame,
        y=y,
        x=x_all[:, keep],
        columns=[c for k, c in enumerate(design_info.column_names) if k in keep],
        aliased=aliased,
        alias=_alias_coefficients(x_all, keep),
        design_info=design_info,
        all_columns=list(design_info.column_names),
        subject_index=subject_index,
        visit_index=visit_index,
        group_index=group_codes,
        visits=[str(v) for v in visits],
        groups=groups,
        weights=frame[weights].to_numpy(dtype=float) if weights else np.ones(len(frame)),
        n_dropped=n_rows - len(frame),
        n_subjects=int(data[subject].nunique()),
        variables=[v for v in variables if v != outcome],
        formula=formula,
        subject=subject,
        visit=visit,
        group=group,
        weights_column=weights,
        coordinates=frame[coordinates].to_numpy(dtype=float) if coordinates else None,
        coordinate_columns=tuple(coordinates),
    )


def _needed_columns(
    data: pd.DataFrame,
    outcome: str,
    variables: list[str],
    subject: str,
    visit: str,
    group: str | None,
    weights: str | None,
) -> list[str]:
    """The columns the model uses: subject, visit, formula variables, group, weights.

    Raises
    ------
    MMRMDataError
        When the outcome or another needed column is not in ``data``.
    """
    needed = [subject, visit] + [v for v in variables if v not in (subject, visit)]
    needed += [c for c in (group, weights) if c and c not in needed]
    if outcome not in data.columns:
        raise MMRMDataError(f"outcome column {outcome!r} is not in the data")
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise MMRMDataError(f"columns {missing} are not in the data")
    return needed


def _check_numeric_outcome(frame: pd.DataFrame, outcome: str) -> None:
    """Raise :class:`MMRMDataError` naming the first non-numeric outcome value, if any."""
    if pd.api.types.is_numeric_dtype(frame[outcome]):
        return
    converted = pd.to_numeric(frame[outcome], errors="coerce")
    bad = frame[outcome][converted.isna() & frame[outcome].notna()]
    row, value = _show(bad.index[0]), _show(bad.iloc[0])
    raise MMRMDataError(
        f"outcome {outcome!r} is not numeric: row {row} holds {value};"
        " convert it to numbers (missing values as NaN) before fitting"
    )


def _set_reference_levels(frame: pd.DataFrame, reference: dict) -> None:
    """Make each column of ``reference`` categorical with its given level first (in place).

    Examples
    --------
    >>> frame = pd.DataFrame({"arm": ["B", "A", "C"]})
    >>> _set_reference_levels(frame, {"arm": "C"})
    >>> list(frame["arm"].cat.categories)
    ['C', 'A', 'B']
    """
    for column, level in reference.items():
        if column not in frame:
            raise MMRMDataError(f"reference given for {column!r}, which the model does not use")
        levels = _levels(frame[column])
        others = [v for v in levels if v != level]
        if level not in levels:
            raise MMRMDataError(f"reference level {level!r} does not occur in column {column!r}")
        dtype = frame[column].dtype
        if (
            isinstance(dtype, pd.CategoricalDtype)
            and not dtype.ordered
            and list(dtype.categories) == [level, *others]
        ):
            continue  # already so
        values = frame[column]
        if isinstance(dtype, pd.CategoricalDtype):  # recoding from unused categories is
            values = values.cat.remove_unused_categories()  # deprecated (pandas 3)
        frame[column] = pd.Categorical(values, categories=[level, *others])


def _categorise_predictors(frame: pd.DataFrame, variables: list[str], outcome: str) -> None:
    """Make every predictor that is neither numeric nor categorical categorical (in place),
    with its observed levels in order."""
    for column in variables:
        dtype = frame[column].dtype
        if column != outcome and not (
            isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_numeric_dtype(dtype)
        ):
            frame[column] = pd.Categorical(frame[column], categories=_levels(frame[column]))


def _visit_levels(visit_column: pd.Series, visit_levels: list | None) -> list:
    """The visit levels in order: ``visit_levels`` if given, else those of the data.

    Examples
    --------
    >>> _visit_levels(pd.Series(["V2", "V1", None]), None)
    ['V1', 'V2']
    >>> _visit_levels(pd.Series(["V2", "V3"]), ["V1", "V2"])
    Traceback (most recent call last):
    ...
    rlstrial.mmrm.design.MMRMDataError: visit levels ['V3'] are not in visit_levels
    """
    visits = list(visit_levels) if visit_levels is not None else _levels(visit_column)
    unknown = set(visit_column.dropna()) - set(visits)
    if unknown:
        raise MMRMDataError(f"visit levels {sorted(unknown)} are not in visit_levels")
    return visits


def _check_usable_rows(
    frame: pd.DataFrame,
    subject: str,
    visit: str,
    visits: list,
    group: str | None,
    weights: str | None,
    subject_index: np.ndarray,
    visit_index: np.ndarray,
) -> None:
    """Check the complete rows: positive weights, every visit observed, at most one row
    per subject and visit, one covariance group per subject (``subject_index`` and
    ``visit_index``: each row's subject code and visit code, -1 for none)."""
    if weights and (frame[weights] <= 0).any():
        raise MMRMDataError(f"weights in {weights!r} must be positive")
    _check_every_visit_observed(visit_index, visits)
    coded = (subject_index >= 0).all() and (visit_index >= 0).all()
    cell = subject_index * len(visits) + visit_index if coded else None
    _check_one_row_per_visit(frame, subject, visit, cell)
    if group:
        _check_group_constant_within_subject(frame, subject, group)


def _check_every_visit_observed(visit_index: np.ndarray, visits: list) -> None:
    """Raise :class:`MMRMDataError` listing the visit levels with no complete row.

    Examples
    --------
    >>> _check_every_visit_observed(np.array([0, 2, 0]), ["V1", "V2", "V3"])
    Traceback (most recent call last):
    ...
    rlstrial.mmrm.design.MMRMDataError: visit level(s) ['V2'] have no usable observation; ...
    """
    seen = np.bincount(visit_index[visit_index >= 0], minlength=len(visits)) > 0
    empty = [v for v, observed in zip(visits, seen, strict=True) if not observed]
    if empty:
        raise MMRMDataError(
            f"visit level(s) {empty} have no usable observation; drop them from visit_levels"
            " (or from the data's categories)"
        )


def _check_one_row_per_visit(
    frame: pd.DataFrame, subject: str, visit: str, cell: np.ndarray | None = None
) -> None:
    """Raise :class:`MMRMDataError` naming the first subject with two rows for one visit
    (``cell``, each row's subject and visit as one non-negative code, is a quick first
    look when given)."""
    if cell is not None and (not len(cell) or np.bincount(cell).max() < 2):
        return
    duplicated = frame.duplicated([subject, visit], keep=False)
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        raise MMRMDataError(
            f"subject {_show(first[subject])} has {int(duplicated.sum())} rows for visit"
            f" {_show(first[visit])} (and possibly others); each subject needs at most one row"
            " per visit"
        )


def _check_group_constant_within_subject(frame: pd.DataFrame, subject: str, group: str) -> None:
    """Raise :class:`MMRMDataError` naming the first subject whose covariance group changes."""
    per_subject = frame.groupby(subject, observed=True)[group].nunique()
    if (per_subject > 1).any():
        first = _show(per_subject[per_subject > 1].index[0])
        raise MMRMDataError(f"group {group!r} changes within subject {first}")


def _model_matrices(
    formula: str, frame: pd.DataFrame
) -> tuple[np.ndarray, patsy.DesignInfo, np.ndarray, list[int], list[str]]:
    """The outcome, the patsy design and its matrix, and the kept and aliased columns
    (warning when any column is aliased).

    Returns
    -------
    tuple
        ``(y, design_info, x_all, keep, aliased)``: ``keep`` indexes the columns of
        ``x_all`` kept, ``aliased`` names those dropped.
    """
    y, design_info, x_all = _outcome_and_design(formula, frame)
    keep, aliased = _independent_columns(x_all, list(design_info.column_names))
    if aliased:
        warnings.warn(
            f"design matrix is rank deficient; aliased columns dropped (as SAS sets them to 0):"
            f" {aliased}",
            stacklevel=4,  # the caller of fit_mmrm (via prepare)
        )
    return y, design_info, x_all, keep, aliased


def _outcome_and_design(
    formula: str, frame: pd.DataFrame
) -> tuple[np.ndarray, patsy.DesignInfo, np.ndarray]:
    """The outcome, the patsy design and the design matrix of ``frame`` (no missing values).

    When every factor of the formula is a plain column (numeric, or categorical: as
    :func:`prepare` leaves them), the design depends only on the formula and on which
    columns are categorical with which categories: it is then built once
    (:func:`_design_info`) and the matrix filled directly (:func:`model_matrix`),
    the same numbers patsy computes in a fraction of its time. Otherwise patsy
    builds both.
    """
    parsed = _parse(formula)
    outcome = parsed.outcome[0] if len(parsed.outcome) == 1 else None
    signature = _signature(frame, parsed.predictors)
    if (
        signature is not None
        and outcome in frame.columns
        and outcome not in parsed.predictors
        and _plain_numeric(frame[outcome].dtype)
    ):
        design_info = _design_info(formula, outcome, signature)
        x_all = _direct_matrix(design_info, frame)
        if x_all is not None:
            return frame[outcome].to_numpy(dtype=float), design_info, x_all
    y_frame, x_frame = patsy.dmatrices(formula, frame, return_type="dataframe", NA_action="raise")
    return y_frame.to_numpy(dtype=float).ravel(), x_frame.design_info, x_frame.to_numpy(float)


def _plain_numeric(dtype) -> bool:
    """A numpy integer or float dtype (patsy treats booleans as categorical)."""
    return isinstance(dtype, np.dtype) and dtype.kind in "iuf"


def _signature(frame: pd.DataFrame, codes: tuple[str, ...]) -> tuple | None:
    """For factors that are all plain columns: each with its categories (None for a
    numeric column). None when a factor is an expression or another kind of column."""
    out = []
    for code in codes:
        if code not in frame.columns:
            return None
        dtype = frame[code].dtype
        if isinstance(dtype, pd.CategoricalDtype) and len(dtype.categories):
            out.append((code, tuple(dtype.categories)))
        elif _plain_numeric(dtype):
            out.append((code, None))
        else:
            return None
    return tuple(out)


@functools.lru_cache(maxsize=64)
def _design_info(formula: str, outcome: str, signature: tuple) -> patsy.DesignInfo:
    """The patsy design of a formula of plain columns, from one row of columns of the
    same kinds and categories (all that such a design depends on)."""
    row = {outcome: [0.0]}
    for code, categories in signature:
        row[code] = (
            [0.0]
            if categories is None
            else pd.Categorical([categories[0]], categories=list(categories))
        )
    _, x_frame = patsy.dmatrices(formula, pd.DataFrame(row), return_type="dataframe")
    return x_frame.design_info


def model_matrix(
    design_info: patsy.DesignInfo, frame: pd.DataFrame, na_action: str = "drop"
) -> np.ndarray:
    """The design matrix of the rows of ``frame`` (as
    ``patsy.build_design_matrices([design_info], frame, NA_action=na_action)``).

    Where every factor is a plain column of ``frame`` without missing values (the
    categorical ones with the design's categories), the matrix is filled directly, as
    patsy fills it (the same products in the same order); otherwise patsy builds it.

    Examples
    --------
    >>> frame = pd.DataFrame({"y": [1.0, 2.0, 3.0], "x": [0.5, 1.0, 2.0],
    ...                       "arm": pd.Categorical(["a", "b", "b"])})
    >>> _, x = patsy.dmatrices("y ~ arm * x", frame)
    >>> bool(np.array_equal(model_matrix(x.design_info, frame), np.asarray(x)))
    True
    """
    matrix = _direct_matrix(design_info, frame)
    if matrix is None:
        (built,) = patsy.build_design_matrices(
            [design_info], frame, return_type="matrix", NA_action=na_action
        )
        matrix = np.asarray(built)
    return matrix


def _factor_values(design_info: patsy.DesignInfo, frame: pd.DataFrame) -> dict | None:
    """Each factor's values, as patsy evaluates them: category codes, or floats; None
    when a factor is not a plain column of ``frame`` or has missing values."""
    values = {}
    for factor, info in design_info.factor_infos.items():
        code = getattr(factor, "code", None)
        if code not in frame.columns:
            return None
        column = frame[code]
        if info.type == "categorical":
            dtype = column.dtype
            if not isinstance(dtype, pd.CategoricalDtype) or tuple(dtype.categories) != tuple(
                info.categories
            ):
                return None
            codes = column.cat.codes.to_numpy()
            if (codes < 0).any():
                return None
            values[factor] = codes
        else:
            if not _plain_numeric(column.dtype) or info.num_columns != 1:
                return None
            numbers = column.to_numpy(dtype=float)
            if np.isnan(numbers).any():
                return None
            values[factor] = numbers
    return values


def _direct_matrix(design_info: patsy.DesignInfo, frame: pd.DataFrame) -> np.ndarray | None:
    """The design matrix filled as patsy's ``_build_subterm`` fills it (each column the
    product, factor by factor, of contrast-matrix entries and numeric values), or None
    (:func:`_factor_values`)."""
    values = _factor_values(design_info, frame)
    if values is None:
        return None
    matrix = np.empty((len(frame), len(design_info.column_names)))
    start = 0
    for subterms in design_info.term_codings.values():
        for subterm in subterms:
            out = matrix[:, start : start + subterm.num_columns]
            contrasts = subterm.contrast_matrices
            sizes = [contrasts[f].matrix.shape[1] if f in contrasts else 1 for f in subterm.factors]
            out[...] = 1
            # patsy's column order: the left-most factor's columns vary fastest
            combinations = (c[::-1] for c in itertools.product(*map(range, reversed(sizes))))
            for i, combination in enumerate(combinations):
                for factor, k in zip(subterm.factors, combination, strict=True):
                    if factor in contrasts:
                        out[:, i] *= contrasts[factor].matrix[values[factor], k]
                    else:
                        out[:, i] *= values[factor]
            start += subterm.num_columns
    return matrix


def _covariance_groups(frame: pd.DataFrame, group: str | None) -> tuple[list[str], np.ndarray]:
    """The covariance group levels (as strings; ``["all"]`` without ``group``) and each
    row's group code.

    Examples
    --------
    >>> groups, codes = _covariance_groups(pd.DataFrame({"g": [2, 1, 2]}), "g")
    >>> groups, codes.tolist()
    (['1', '2'], [1, 0, 1])
    >>> _covariance_groups(pd.DataFrame({"g": [2, 1]}), None)[0]
    ['all']
    """
    if not group:
        return ["all"], np.zeros(len(frame), dtype=int)
    labels = frame[group].astype(str)
    groups = _levels(labels)
    return groups, np.asarray(pd.Categorical(labels, categories=groups).codes, dtype=int)


def _alias_coefficients(x_all: np.ndarray, keep: list[int]) -> np.ndarray:
    """Each dropped column of ``x_all`` as a combination of the kept ones (rows).

    A linear function L of the full coefficient vector is estimable when, for every
    dropped column a, L[a] equals L[kept] @ alias[a] (L is orthogonal to the null
    space of X); see :meth:`rlstrial.mmrm.MMRMResult.estimable`.

    Examples
    --------
    >>> x = np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 2.0], [1.0, 1.0, 2.0]])
    >>> _alias_coefficients(x, [0, 1]).round(6).tolist()  # column 2 = column 0 + column 1
    [[1.0, 1.0]]
    """
    dropped = [k for k in range(x_all.shape[1]) if k not in keep]
    if not dropped:
        return np.zeros((0, len(keep)))
    coefficients, *_ = np.linalg.lstsq(x_all[:, keep], x_all[:, dropped], rcond=None)
    return coefficients.T


def _independent_columns(x: np.ndarray, names: list[str]) -> tuple[list[int], list[str]]:
    """Keep columns left to right unless they are linear combinations of kept ones
    (checked on the p x p cross-product matrix of the scaled columns)."""
    scale = np.linalg.norm(x, axis=0)
    scale[scale == 0] = 1
    z = x / scale
    gram = z.T @ z
    if x.shape[1] == 0 or np.linalg.eigvalsh(gram).min() > 1e-10:
        # no column is dropped: the smallest eigenvalue of each block tried below (a
        # principal submatrix) is no smaller than the whole matrix's (Cauchy interlacing)
        return list(range(x.shape[1])), []
    keep: list[int] = []
    for k in range(x.shape[1]):
        candidate = keep + [k]
        block = gram[np.ix_(candidate, candidate)]
        if np.linalg.eigvalsh(block).min() > 1e-10:
            keep = candidate
    return keep, [names[k] for k in range(x.shape[1]) if k not in keep]


@dataclass
class Patterns:
    """Cross-products of every missingness pattern, padded to all T visits.

    Pattern ``q`` (a set of visits within a covariance group) holds the sums over its
    subjects of x[j, a] x[l, b] (``xx_pairs``, for visit pairs j <= l only: the
    others follow by symmetry, which halves the largest array), x[j, a] y[l]
    (``xy``) and y[j] y[l] (``yy``), with zeros at visits the pattern lacks. The
    likelihood uses them through :meth:`xtax`, :meth:`xmx` and :meth:`xr`.
    """

    group: np.ndarray  # (P,) covariance group of each pattern
    observed: np.ndarray  # (P, T) visits present in each pattern
    n: np.ndarray  # (P,) subjects per pattern
    yy: np.ndarray  # (P, T, T)
    xy: np.ndarray  # (P, T, T, p)
    xx_pairs: np.ndarray  # (P, T (T + 1) / 2, p, p), visit pairs j <= l
    log_weights: float  # sum of the log weights of all rows
    subject_pattern: np.ndarray  # (subjects,) the pattern of each subject
    # (P, T, d) coordinates of a pattern's observations, for a structure that depends on
    # them (spatial, random slope); zeros at visits the pattern lacks
    # (every subject is then its own pattern)
    points: np.ndarray | None = None

    def __post_init__(self):
        t = self.yy.shape[-1]
        self.pair_j, self.pair_l = np.triu_indices(t)
        # in a contraction with a symmetric matrix each off-diagonal pair counts twice
        self.pair_weight = np.where(self.pair_j == self.pair_l, 1.0, 2.0)

    @property
    def p(self) -> int:
        return self.xy.shape[-1]

    def xtax(self, a: np.ndarray, members: np.ndarray | None = None) -> np.ndarray:
        """For symmetric A_q (..., P, T, T), the sum over patterns q and their subjects
        i of X_i' A_q X_i: (..., p, p). ``members`` selects patterns (``a`` then has
        only those)."""
        p = self.p
        pairs = self.xx_pairs if members is None else self.xx_pairs[members]
        lead = a.shape[:-3]
        weighted = a[..., self.pair_j, self.pair_l] * self.pair_weight
        out = (weighted.reshape(*lead, -1) @ pairs.reshape(-1, p * p)).reshape(*lead, p, p)
        return (out + np.swapaxes(out, -1, -2)) / 2

    def xmx(self, m: np.ndarray) -> np.ndarray:
        """For symmetric M (p x p), per pattern the sum over subjects of X_i M X_i':
        (P, T, T)."""
        p = self.p
        half = (self.xx_pairs.reshape(-1, p * p) @ m.ravel()).reshape(len(self.n), -1)
        out = np.empty(self.yy.shape)
        out[:, self.pair_j, self.pair_l] = half
        out[:, self.pair_l, self.pair_j] = half
        return out

    def xr(self, beta: np.ndarray) -> np.ndarray:
        """Per pattern the sum over subjects of x_i[j, :] r_i[l] with r = y - X beta:
        (P, T, T, p)."""
        t = self.yy.shape[-1]
        upper = self.xx_pairs @ beta  # x[j] (x beta)[l] for j <= l
        lower = np.einsum("qmab,a->qmb", self.xx_pairs, beta)  # ... for l <= j, swapped
        fitted = np.empty((len(self.n), t, t, self.p))
        fitted[:, self.pair_l, self.pair_j] = lower
        fitted[:, self.pair_j, self.pair_l] = upper
        return self.xy - fitted


def patterns(design: Design, y: np.ndarray) -> Patterns:
    """Group subjects by covariance group and visit pattern and sum their cross-products.

    Rows are scaled by the square root of their weights first, so that a weighted
    subject's covariance is W^-1/2 Sigma W^-1/2 (the SAS WEIGHT statement).
    """
    root = np.sqrt(design.weights)
    xw, yw = design.x * root[:, None], y * root
    t, p = len(design.visits), design.x.shape[1]
    n_subjects = design.subject_index.max() + 1
    masks = np.zeros(n_subjects, dtype=np.int64)
    np.add.at(masks, design.subject_index, np.left_shift(1, design.visit_index))
    group_of = np.zeros(n_subjects, dtype=np.int64)
    group_of[design.subject_index] = design.group_index
    if design.coordinates is None:
        subject_key = group_of * (1 << t) + masks
    else:  # a spatial structure: every subject has its own covariance matrix
        subject_key = np.arange(n_subjects)
    keys, first, subject_pattern = np.unique(subject_key, return_index=True, return_inverse=True)
    # padded per-subject arrays: (subjects, T) and (subjects, T, p), zero where unseen
    y_pad = np.zeros((n_subjects, t))
    x_pad = np.zeros((n_subjects, t, p))
    y_pad[design.subject_index, design.visit_index] = yw
    x_pad[design.subject_index, design.visit_index] = xw
    n_patterns = len(keys)
    yy = np.zeros((n_patterns, t, t))
    xy = np.zeros((n_patterns, t, t, p))
    pair_j, pair_l = np.triu_indices(t)
    xx_pairs = np.zeros((n_patterns, len(pair_j), p, p))
    for q in range(n_patterns):
        members = subject_pattern == q
        xs = x_pad[members].reshape(-1, t * p)
        ys = y_pad[members]
        xx_pairs[q] = (xs.T @ xs).reshape(t, p, t, p)[pair_j, :, pair_l, :]
        xy[q] = (xs.T @ ys).reshape(t, p, t).transpose(0, 2, 1)
        yy[q] = ys.T @ ys
    observed = (masks[first][:, None] >> np.arange(t)[None, :]) & 1
    points = None
    if design.coordinates is not None:
        points = np.zeros((n_subjects, t, design.coordinates.shape[1]))
        points[design.subject_index, design.visit_index] = design.coordinates
        points = points[first]
    return Patterns(
        group=group_of[first].astype(int),
        observed=observed.astype(bool),
        n=np.bincount(subject_pattern, minlength=n_patterns).astype(float),
        yy=yy,
        xy=xy,
        xx_pairs=xx_pairs,
        log_weights=float(np.log(design.weights).sum()),
        subject_pattern=subject_pattern,
        points=points,
    )
