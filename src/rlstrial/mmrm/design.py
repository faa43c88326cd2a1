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
    names: list[str] = []
    description = patsy.ModelDesc.from_formula(formula)
    for term in [*description.lhs_termlist, *description.rhs_termlist]:
        for factor in term.factors:
            for node in ast.walk(ast.parse(factor.code, mode="eval")):
                if isinstance(node, ast.Name) and node.id in columns and node.id not in names:
                    names.append(node.id)
    return names


def _show(value) -> str:
    """A value for a message: repr of the plain Python value."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _levels(series: pd.Series) -> list:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [level for level in series.cat.categories if (series == level).any()]
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
    frame = frame.dropna()
    _check_usable_rows(frame, subject, visit, visits, group, weights)
    y_frame, x_frame, x_all, keep, aliased = _model_matrices(formula, frame)
    groups, group_codes = _covariance_groups(frame, group)
    return Design(
        data=frame,
        y=y_frame.to_numpy(dtype=float).ravel(),
        x=x_all[:, keep],
        columns=[c for k, c in enumerate(x_frame.columns) if k in keep],
        aliased=aliased,
        alias=_alias_coefficients(x_all, keep),
        design_info=x_frame.design_info,
        all_columns=list(x_frame.columns),
        subject_index=pd.factorize(frame[subject])[0],
        visit_index=pd.Categorical(frame[visit], categories=visits).codes.astype(int),
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
        others = [v for v in _levels(frame[column]) if v != level]
        if level not in set(frame[column].dropna()):
            raise MMRMDataError(f"reference level {level!r} does not occur in column {column!r}")
        frame[column] = pd.Categorical(frame[column], categories=[level, *others])


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
) -> None:
    """Check the complete rows: positive weights, every visit observed, at most one row
    per subject and visit, one covariance group per subject."""
    if weights and (frame[weights] <= 0).any():
        raise MMRMDataError(f"weights in {weights!r} must be positive")
    _check_every_visit_observed(frame, visit, visits)
    _check_one_row_per_visit(frame, subject, visit)
    if group:
        _check_group_constant_within_subject(frame, subject, group)


def _check_every_visit_observed(frame: pd.DataFrame, visit: str, visits: list) -> None:
    """Raise :class:`MMRMDataError` listing the visit levels with no complete row."""
    empty = [v for v in visits if not (frame[visit] == v).any()]
    if empty:
        raise MMRMDataError(
            f"visit level(s) {empty} have no usable observation; drop them from visit_levels"
            " (or from the data's categories)"
        )


def _check_one_row_per_visit(frame: pd.DataFrame, subject: str, visit: str) -> None:
    """Raise :class:`MMRMDataError` naming the first subject with two rows for one visit."""
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
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, list[int], list[str]]:
    """The patsy outcome and design frames, the design as floats, and the kept and
    aliased columns (warning when any column is aliased).

    Returns
    -------
    tuple
        ``(y_frame, x_frame, x_all, keep, aliased)``: ``keep`` indexes the columns of
        ``x_all`` kept, ``aliased`` names those dropped.
    """
    y_frame, x_frame = patsy.dmatrices(formula, frame, return_type="dataframe", NA_action="raise")
    x_all = x_frame.to_numpy(dtype=float)
    keep, aliased = _independent_columns(x_all, list(x_frame.columns))
    if aliased:
        warnings.warn(
            f"design matrix is rank deficient; aliased columns dropped (as SAS sets them to 0):"
            f" {aliased}",
            stacklevel=4,  # the caller of fit_mmrm (via prepare)
        )
    return y_frame, x_frame, x_all, keep, aliased


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
