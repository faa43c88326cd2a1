"""Questionnaire scoring: IRLS, MOS Sleep Scale, RLS-QoL, all driven by configuration.

A score is computed by one vector function, :func:`score_items`, with an explicit
missing-item rule; :func:`score_questionnaires` applies it to every scale of every
instrument in the configuration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCORE_COLUMNS = [
    "USUBJID",
    "INSTRUMENT",
    "VISIT",
    "ADT",
    "PARAMCD",
    "PARAM",
    "AVAL",
    "AVALCAT1",
    "NITEMS",
    "NITEMEXP",
    "DTYPE",
]

PRORATED = "PRORATED"


def score_items(
    items: np.ndarray, aggregate: str, max_missing: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score rows of (already recoded) item values with a missing-item rule.

    Parameters
    ----------
    items
        2-D array, one row per completed questionnaire, one column per item of the
        scale; ``nan`` marks an unanswered item.
    aggregate
        ``"sum"``: the total of the items; when items are missing, the mean of the
        answered items times the number of items (prorating). ``"mean"``: the mean
        of the answered items.
    max_missing
        The most items that may be missing for a score to be computed; with more,
        the score is ``nan``.

    Returns
    -------
    score : ndarray of float
    answered : ndarray of int
        The number of items answered.
    prorated : ndarray of bool
        True where a score was computed with missing items.

    Examples
    --------
    Three items, at most one missing; the second row is prorated (2 + 4 = 6 over
    two items, so 3 per item, 9 in all); the third has too many missing:

    >>> nan = float("nan")
    >>> score, answered, prorated = score_items(
    ...     np.array([[1, 2, 3], [2, nan, 4], [nan, nan, 4]]), "sum", max_missing=1)
    >>> score.tolist(), answered.tolist(), prorated.tolist()
    ([6.0, 9.0, nan], [3, 2, 1], [False, True, False])
    """
    if aggregate not in ("sum", "mean"):
        raise ValueError(f"aggregate must be 'sum' or 'mean', not {aggregate!r}")
    items = np.asarray(items, dtype=float)
    n_items = items.shape[1]
    answered = (~np.isnan(items)).sum(axis=1)
    scorable = (n_items - answered <= max_missing) & (answered > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(items, axis=1) / answered
    score = mean * n_items if aggregate == "sum" else mean
    score = np.where(scorable, score, np.nan)
    return score, answered, scorable & (answered < n_items)


def recode(values: np.ndarray, mapping: dict) -> np.ndarray:
    """Recode raw response codes with a ``{"from": [...], "to": [...]}`` map.

    Codes not in the map raise ``ValueError`` (validation should have caught them);
    ``nan`` stays ``nan``.

    Examples
    --------
    >>> recode(np.array([1.0, 6.0, float("nan")]),
    ...        {"from": [1, 2, 3, 4, 5, 6], "to": [100, 80, 60, 40, 20, 0]}).tolist()
    [100.0, 0.0, nan]
    """
    values = np.asarray(values, dtype=float)
    lookup = dict(zip(map(float, mapping["from"]), map(float, mapping["to"]), strict=True))
    out = np.full(values.shape, np.nan)
    present = ~np.isnan(values)
    unknown = sorted({float(v) for v in values[present] if v not in lookup})
    if unknown:
        raise ValueError(f"codes {unknown} are not in the recode map {mapping['from']}")
    out[present] = [lookup[v] for v in values[present]]
    return out


def band(scores: np.ndarray, bands: list[dict]) -> np.ndarray:
    """Label each score with the first band whose ``max`` is at least the score.

    Examples
    --------
    >>> band(np.array([0.0, 10.0, 10.5, float("nan")]),
    ...      [{"label": "None", "max": 0}, {"label": "Mild", "max": 10},
    ...       {"label": "Moderate", "max": 20}]).tolist()
    ['None', 'Mild', 'Moderate', None]
    """
    labels = np.full(len(scores), None, dtype=object)
    for spec in reversed(bands):
        labels[np.asarray(scores) <= spec["max"]] = spec["label"]
    return labels


def scale_items(wide: pd.DataFrame, scale: dict, recodes: dict) -> np.ndarray:
    """The recoded item matrix of one scale from a wide table of raw responses."""
    matrix = np.column_stack(
        [
            wide[item].to_numpy(dtype=float) if item in wide else np.full(len(wide), np.nan)
            for item in scale["items"]
        ]
    )
    for rule in scale.get("recode", []):
        for item in rule["items"]:
            column = scale["items"].index(item)
            matrix[:, column] = recode(matrix[:, column], recodes[rule["map"]])
    return matrix


def score_scale(wide: pd.DataFrame, scale: dict, recodes: dict) -> pd.DataFrame:
    """Score one configured scale for every questionnaire in ``wide``.

    Parameters
    ----------
    wide
        One row per completed questionnaire, one column per item number (raw codes,
        ``nan`` for blank items).
    scale, recodes
        A scale of the configuration and its instrument's recode maps.

    Returns
    -------
    DataFrame
        Same index as ``wide``; columns AVAL, AVALCAT1, NITEMS (items answered),
        NITEMEXP (items in the scale) and DTYPE (``"PRORATED"`` when computed with
        missing items, else empty).

    Examples
    --------
    >>> wide = pd.DataFrame({1: [1.0, 2.0], 2: [4.0, float("nan")]})
    >>> scale = {"code": "X", "items": [1, 2], "aggregate": "sum", "max_missing": 1}
    >>> score_scale(wide, scale, {})
       AVAL AVALCAT1  NITEMS  NITEMEXP     DTYPE
    0   5.0     None       2          2
    1   4.0     None       1          2  PRORATED
    """
    score, answered, prorated = score_items(
        scale_items(wide, scale, recodes), scale["aggregate"], scale["max_missing"]
    )
    if "indicator" in scale:
        low, high = scale["indicator"]["lower"], scale["indicator"]["upper"]
        score = np.where(np.isnan(score), np.nan, ((score >= low) & (score <= high)) * 1.0)
    return pd.DataFrame(
        {
            "AVAL": score,
            "AVALCAT1": band(score, scale["bands"]) if scale.get("bands") else None,
            "NITEMS": answered,
            "NITEMEXP": len(scale["items"]),
            "DTYPE": np.where(prorated, PRORATED, ""),
        },
        index=wide.index,
    )


def score_questionnaires(responses: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Score every configured scale of every questionnaire.

    Parameters
    ----------
    responses
        Typed questionnaire responses (``questionnaires.csv`` after validation):
        participant_id, visit, assessment_date, instrument, item, response.
    config
        A validated configuration; its ``instruments`` define the scales.

    Returns
    -------
    DataFrame
        One row per participant x visit x scale, columns :data:`SCORE_COLUMNS`,
        sorted by USUBJID, INSTRUMENT, VISIT (config order) and PARAMCD (config order).
    """
    frames = []
    visit_order = {visit["code"]: visit["week"] for visit in config["visits"]}
    for instrument, spec in config["instruments"].items():
        subset = responses[responses["instrument"] == instrument]
        if subset.empty:
            continue
        wide = subset.pivot(
            index=["participant_id", "visit"], columns="item", values="response"
        ).sort_index()
        wide.columns = [int(c) for c in wide.columns]
        dates = subset.groupby(["participant_id", "visit"])["assessment_date"].first()
        for order, scale in enumerate(spec["scales"]):
            scored = score_scale(wide, scale, spec.get("recodes", {}))
            scored.insert(0, "PARAM", scale["label"])
            scored.insert(0, "PARAMCD", scale["code"])
            scored.insert(0, "ADT", dates.reindex(wide.index).to_numpy())
            scored.insert(0, "INSTRUMENT", instrument)
            scored["_order"] = order
            frames.append(scored.reset_index())
    if not frames:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    scores = pd.concat(frames, ignore_index=True).rename(
        columns={"participant_id": "USUBJID", "visit": "VISIT"}
    )
    scores["_visit"] = scores["VISIT"].map(visit_order)
    scores = scores.sort_values(["USUBJID", "INSTRUMENT", "_visit", "_order"], kind="stable")
    return scores[SCORE_COLUMNS].reset_index(drop=True)
