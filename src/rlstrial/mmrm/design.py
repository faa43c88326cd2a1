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
) -> Design:
    """Check the data and build the design for :func:`rlstrial.mmrm.fit_mmrm`."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    outcome = formula.split("~")[0].strip()
    variables = formula_variables(formula, data.columns)
    needed = [subject, visit] + [v for v in variables if v not in (subject, visit)]
    needed += [c for c in (group, weights) if c and c not in needed]
    if outcome not in data.columns:
        raise MMRMDataError(f"outcome column {outcome!r} is not in the data")
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise MMRMDataError(f"columns {missing} are not in the data")
    frame = data[needed].copy()
    if not pd.api.types.is_numeric_dtype(frame[outcome]):
        converted = pd.to_numeric(frame[outcome], errors="coerce")
        bad = frame[outcome][converted.isna() & frame[outcome].notna()]
        row, value = _show(bad.index[0]), _show(bad.iloc[0])
        raise MMRMDataError(
            f"outcome {outcome!r} is not numeric: row {row} holds {value};"
            " convert it to numbers (missing values as NaN) before fitting"
        )
    for column, level in (reference or {}).items():
        if column not in frame:
            raise MMRMDataError(f"reference given for {column!r}, which the model does not use")
        others = [v for v in _levels(frame[column]) if v != level]
        if level not in set(frame[column].dropna()):
            raise MMRMDataError(f"reference level {level!r} does not occur in column {column!r}")
        frame[column] = pd.Categorical(frame[column], categories=[level, *others])
    for column in variables:
        dtype = frame[column].dtype
        if column != outcome and not (
            isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_numeric_dtype(dtype)
        ):
            frame[column] = pd.Categorical(frame[column], categories=_levels(frame[column]))

    visits = list(visit_levels) if visit_levels is not None else _levels(data[visit])
    unknown = set(data[visit].dropna()) - set(visits)
    if unknown:
        raise MMRMDataError(f"visit levels {sorted(unknown)} are not in visit_levels")
    n_rows = len(frame)
    frame = frame.dropna()
    n_dropped = n_rows - len(frame)
    if weights and (frame[weights] <= 0).any():
        raise MMRMDataError(f"weights in {weights!r} must be positive")
    empty = [v for v in visits if not (frame[visit] == v).any()]
    if empty:
        raise MMRMDataError(
            f"visit level(s) {empty} have no usable observation; drop them from visit_levels"
            " (or from the data's categories)"
        )
    duplicated = frame.duplicated([subject, visit], keep=False)
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        raise MMRMDataError(
            f"subject {_show(first[subject])} has {int(duplicated.sum())} rows for visit"
            f" {_show(first[visit])} (and possibly others); each subject needs at most one row"
            " per visit"
        )
    if group:
        per_subject = frame.groupby(subject, observed=True)[group].nunique()
        if (per_subject > 1).any():
            first = _show(per_subject[per_subject > 1].index[0])
            raise MMRMDataError(f"group {group!r} changes within subject {first}")

    y_frame, x_frame = patsy.dmatrices(formula, frame, return_type="dataframe", NA_action="raise")
    x_all = x_frame.to_numpy(dtype=float)
    keep, aliased = _independent_columns(x_all, list(x_frame.columns))
    if aliased:
        warnings.warn(
            f"design matrix is rank deficient; aliased columns dropped (as SAS sets them to 0):"
            f" {aliased}",
            stacklevel=3,
        )
    groups = _levels(frame[group].astype(str)) if group else ["all"]
    group_codes = (
        pd.Categorical(frame[group].astype(str), categories=groups).codes
        if group
        else np.zeros(len(frame), dtype=int)
    )
    return Design(
        data=frame,
        y=y_frame.to_numpy(dtype=float).ravel(),
        x=x_all[:, keep],
        columns=[c for k, c in enumerate(x_frame.columns) if k in keep],
        aliased=aliased,
        design_info=x_frame.design_info,
        all_columns=list(x_frame.columns),
        subject_index=pd.factorize(frame[subject])[0],
        visit_index=pd.Categorical(frame[visit], categories=visits).codes.astype(int),
        group_index=np.asarray(group_codes, dtype=int),
        visits=[str(v) for v in visits],
        groups=groups,
        weights=frame[weights].to_numpy(dtype=float) if weights else np.ones(len(frame)),
        n_dropped=n_dropped,
        n_subjects=int(data[subject].nunique()),
        variables=[v for v in variables if v != outcome],
    )


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
    subjects of x[j, a] x[l, b] (``xx``), x[j, a] y[l] (``xy``) and y[j] y[l]
    (``yy``) for visits j, l, with zeros at visits the pattern lacks.
    """

    group: np.ndarray  # (P,) covariance group of each pattern
    observed: np.ndarray  # (P, T) visits present in each pattern
    n: np.ndarray  # (P,) subjects per pattern
    yy: np.ndarray  # (P, T, T)
    xy: np.ndarray  # (P, T, T, p)
    xx: np.ndarray  # (P, T, T, p, p)
    log_weights: float  # sum of the log weights of all rows


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
    subject_key = group_of * (1 << t) + masks
    keys, subject_pattern = np.unique(subject_key, return_inverse=True)
    # padded per-subject arrays: (subjects, T) and (subjects, T, p), zero where unseen
    y_pad = np.zeros((n_subjects, t))
    x_pad = np.zeros((n_subjects, t, p))
    y_pad[design.subject_index, design.visit_index] = yw
    x_pad[design.subject_index, design.visit_index] = xw
    n_patterns = len(keys)
    yy = np.zeros((n_patterns, t, t))
    xy = np.zeros((n_patterns, t, t, p))
    xx = np.zeros((n_patterns, t, t, p, p))
    for q in range(n_patterns):
        members = subject_pattern == q
        xs = x_pad[members].reshape(-1, t * p)
        ys = y_pad[members]
        xx[q] = (xs.T @ xs).reshape(t, p, t, p).transpose(0, 2, 1, 3)
        xy[q] = (xs.T @ ys).reshape(t, p, t).transpose(0, 2, 1)
        yy[q] = ys.T @ ys
    observed = ((keys[:, None] % (1 << t)) >> np.arange(t)[None, :]) & 1
    return Patterns(
        group=(keys >> t).astype(int),
        observed=observed.astype(bool),
        n=np.bincount(subject_pattern, minlength=n_patterns).astype(float),
        yy=yy,
        xy=xy,
        xx=xx,
        log_weights=float(np.log(design.weights).sum()),
    )
