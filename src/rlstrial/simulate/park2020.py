"""A replica of the Park, Ambrogi & Hade (2020) pilot (``simulation.design: park2020``).

28 participants (7/8/6/7), baseline and week 4, calibrated so that the per-arm IRLS
means and SDs equal the published table within rounding and the published
differences are reproduced. The published targets are keyed by an arm's factor
levels ``(massager, heat)``, so the arms of ``config["arms"]`` may have any codes and
order; they must be the four cells of the 2x2 factorial.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rlstrial.simulate.shared import (
    MEDICATION_CLASSES,
    RACE_P,
    RACES,
    FollowUp,
    days_after,
    design_order,
    factor_levels,
    mos_items,
    qol_items,
    questionnaire_rows,
    raw_tables,
    screening_log,
    sleep_hours,
    split_total,
)

CONTROL_CELL = (False, False)  # (massager, heat)
MASSAGER_CELL = (True, False)
HEAT_CELL = (False, True)
COMBINED_CELL = (True, True)

PARK_N = {CONTROL_CELL: 7, MASSAGER_CELL: 8, HEAT_CELL: 6, COMBINED_CELL: 7}
PARK_IRLS = {  # published mean (SD): baseline, week 4
    CONTROL_CELL: ((24.6, 8.1), (21.3, 8.5)),
    MASSAGER_CELL: ((19.9, 9.8), (12.3, 4.2)),
    HEAT_CELL: ((22.8, 6.6), (17.3, 8.1)),
    COMBINED_CELL: ((19.9, 5.1), (16.9, 6.2)),
}
PARK_ANCOVA_SLOPE = 0.574  # derived: makes the adjusted differences -6.3, -2.9, -1.7
PARK_AGE = {
    CONTROL_CELL: (54.2, 10.4),
    MASSAGER_CELL: (61.1, 13.3),
    HEAT_CELL: (61.8, 6.2),
    COMBINED_CELL: (58.4, 12.0),
}
PARK_FEMALE = {CONTROL_CELL: 4, MASSAGER_CELL: 7, HEAT_CELL: 3, COMBINED_CELL: 5}
# MOS Sleep Problems Index II: equal baseline means, so that unadjusted and
# baseline-adjusted week-4 differences agree; massager -22.0 and heat -17.4 are
# published, combined (-12.0) is not and is set smaller (not additive).
PARK_MOS_BASELINE = 55.0
PARK_MOS_WEEK4 = {
    CONTROL_CELL: 52.0,
    MASSAGER_CELL: 30.0,
    HEAT_CELL: 34.6,
    COMBINED_CELL: 40.0,
}
PARK_QOL_BASELINE = {
    CONTROL_CELL: (49.8, 26.2),
    MASSAGER_CELL: (59.1, 40.2),
    HEAT_CELL: (62.6, 20.0),
    COMBINED_CELL: (68.0, 14.5),
}
# Pooled week-4 SDs implied by the published CIs (half-width / t(0.975, 24) /
# sqrt(1/7 + 1/8)): MOS Sleep Problems Index II 13.6, RLS-QoL 26.0 (derived).
PARK_MOS_WEEK4_SD = 13.6
PARK_QOL_WEEK4_SD = 26.0
# Week-4 RLS-QoL means: massager - control = +25.3 is published; the others are not.
PARK_QOL_WEEK4 = {
    CONTROL_CELL: 51.0,
    MASSAGER_CELL: 76.3,
    HEAT_CELL: 61.0,
    COMBINED_CELL: 63.0,
}
FOLLOW_UP_DAYS = 28


@dataclass
class ParkOutcomes:
    """Calibrated outcome units of every participant, each a (baseline, week 4) pair."""

    irls: tuple[np.ndarray, np.ndarray]  # IRLS totals
    latency: tuple[np.ndarray, np.ndarray]  # MOS sleep latency codes (0-4)
    mos: tuple[np.ndarray, np.ndarray]  # MOS Sleep Problems Index II problem units
    qol: tuple[np.ndarray, np.ndarray]  # RLS-QoL units above the best answers


def simulate_park2020(
    rng: np.random.Generator, sim: dict[str, Any], config: dict[str, Any]
) -> dict[str, pd.DataFrame]:
    """Simulate the raw tables of the Park 2020 pilot replica.

    Parameters
    ----------
    rng
        The seeded generator; it is drawn from in a fixed order.
    sim
        The ``simulation`` section of the configuration (its ``start_date``).
    config
        The configuration, for its ``arms`` and ``visits`` (the first and last visit
        codes are used for baseline and week 4).

    Returns
    -------
    dict of DataFrame
        One table per raw file, keyed by file name, values not yet formatted as text.

    Raises
    ------
    ValueError
        When the arms are not the four cells of the 2x2 factorial.
    RuntimeError
        When a calibration does not converge for this seed.
    """
    arms = design_order(config["arms"])
    cells = _published_cells(arms)
    codes = [arm["code"] for arm in arms]
    randomization, arm_index = _park_randomization(rng, sim, codes, cells)
    pids = randomization["participant_id"].tolist()
    rand_date = randomization["randomization_date"].tolist()
    baseline = _park_baseline(rng, pids, arm_index, cells)
    outcomes = _park_outcomes(rng, arm_index, cells)
    visit_codes = [v["code"] for v in config["visits"]]
    follow_up = FollowUp()
    for i, (pid, day0) in enumerate(zip(pids, rand_date, strict=True)):
        follow_up.questionnaires += _park_questionnaires(
            rng, outcomes, i, pid, day0, (visit_codes[0], visit_codes[-1])
        )
        follow_up.record_end(
            rng, pid, day0, arms[arm_index[i]], "completed", None, FOLLOW_UP_DAYS, FOLLOW_UP_DAYS
        )
    screening = screening_log(rng, {"screen_failure_rate": 0.2}, pids, rand_date)
    return raw_tables(screening, randomization, baseline, follow_up)


def _published_cells(arms: list[dict[str, Any]]) -> list[tuple[bool, bool]]:
    """The arms' factor levels, checked to be the four cells of the published trial.

    Examples
    --------
    >>> _published_cells([{"massager": False, "heat": False}, {"massager": True, "heat": False}])
    Traceback (most recent call last):
    ...
    ValueError: the park2020 design needs one arm per cell of the 2x2 factorial, ...
    """
    cells = [factor_levels(arm) for arm in arms]
    if sorted(cells) != sorted(PARK_N):
        raise ValueError(
            "the park2020 design needs one arm per cell of the 2x2 factorial, found"
            f" (massager, heat) levels {cells}"
        )
    return cells


def _park_randomization(
    rng: np.random.Generator,
    sim: dict[str, Any],
    codes: list[str],
    cells: list[tuple[bool, bool]],
) -> tuple[pd.DataFrame, np.ndarray]:
    """Arms of the published sizes in random order, randomized over 980 days at one site.

    Returns
    -------
    randomization : DataFrame
        The rows of ``randomization.csv``.
    arm_index : ndarray
        Each participant's arm as a position in ``codes``.
    """
    arm = rng.permutation(np.repeat(codes, [PARK_N[cell] for cell in cells]))
    position = {code: k for k, code in enumerate(codes)}
    arm_index = np.array([position[a] for a in arm])
    n = len(arm)
    start = pd.Timestamp(sim.get("start_date", "2016-01-11"))
    randomization = pd.DataFrame(
        {
            "participant_id": [f"P{k:03d}" for k in range(1, n + 1)],
            "site": "S01",
            "stratum": "none",
            "randomization_date": [
                days_after(start, d) for d in np.sort(rng.integers(0, 980, size=n))
            ],
            "arm": arm,
        }
    )
    return randomization, arm_index


def _park_baseline(
    rng: np.random.Generator,
    pids: list[str],
    arm_index: np.ndarray,
    cells: list[tuple[bool, bool]],
) -> pd.DataFrame:
    """The rows of ``baseline.csv``: ages and sexes as published per arm, 26 of 28 on
    oral RLS medication."""
    n = len(pids)
    age = _park_ages(rng, arm_index, cells)
    female = np.zeros(n, dtype=bool)
    for k, cell in enumerate(cells):
        members = rng.permutation(np.flatnonzero(arm_index == k))
        female[members[: PARK_FEMALE[cell]]] = True
    on_med = np.ones(n, dtype=bool)
    on_med[rng.choice(n, size=2, replace=False)] = False  # 26/28 on oral medication
    return pd.DataFrame(
        {
            "participant_id": pids,
            "age": age,
            "sex": np.where(female, "F", "M"),
            "race": rng.choice(RACES, size=n, p=RACE_P),
            "ethnicity": "Not Hispanic or Latino",
            "rls_years": np.round(rng.gamma(2.0, 7.0, n), 1),
            "rls_medication": on_med,
            "rls_medication_class": np.where(
                on_med, rng.choice(MEDICATION_CLASSES[:3], size=n, p=(0.6, 0.3, 0.1)), None
            ),
        }
    )


def _park_ages(
    rng: np.random.Generator, arm_index: np.ndarray, cells: list[tuple[bool, bool]]
) -> np.ndarray:
    """Integer ages (18-75) whose per-arm means and SDs match the publication."""
    n_arms = len(cells)
    age_targets = np.array([PARK_AGE[cell] for cell in cells])

    def age_loss(age):
        mean, sd = _arm_stats(age, arm_index, n_arms)
        return sum(
            _hinge(mean[k], age_targets[k, 0], 0.08) + _hinge(sd[k], age_targets[k, 1], 0.05)
            for k in range(n_arms)
        )

    return _calibrate(
        rng,
        age_targets[arm_index, 0] + age_targets[arm_index, 1] * rng.standard_normal(len(arm_index)),
        18,
        75,
        age_loss,
        arm_index,
    )


def _park_outcomes(
    rng: np.random.Generator, arm_index: np.ndarray, cells: list[tuple[bool, bool]]
) -> ParkOutcomes:
    """Calibrate the IRLS, MOS Sleep and RLS-QoL units of every participant."""
    n = len(arm_index)
    irls = _park_irls(rng, arm_index, cells)
    latency = np.clip(np.rint(rng.normal(2.2, 1.0, 2 * n)), 0, 4).astype(int)
    mos = _park_scores(
        rng,
        arm_index,
        cells,
        base_targets={cell: (PARK_MOS_BASELINE, 16.0) for cell in cells},
        week4_means=PARK_MOS_WEEK4,
        week4_sd=PARK_MOS_WEEK4_SD,
        low=0,
        high=40,
        scale=_mos_scale(latency),
        tol=0.3,
        sd_tol=4.0,
    )
    qol = _park_scores(
        rng,
        arm_index,
        cells,
        base_targets=PARK_QOL_BASELINE,
        week4_means=PARK_QOL_WEEK4,
        week4_sd=PARK_QOL_WEEK4_SD,
        low=0,
        high=40,
        scale=lambda u: 100 - 2.5 * np.asarray(u),
        tol=0.2,
        sd_tol=0.2,
    )
    return ParkOutcomes(irls=irls, latency=(latency[:n], latency[n:]), mos=mos, qol=qol)


def _park_questionnaires(
    rng: np.random.Generator,
    outcomes: ParkOutcomes,
    i: int,
    pid: str,
    day0: pd.Timestamp,
    visit_codes: tuple[str, str],
) -> list[dict]:
    """Questionnaire rows of participant ``i`` at baseline and week 4 (no missing items)."""
    base_code, final_code = visit_codes
    rows: list[dict] = []
    visits = ((base_code, -int(rng.integers(0, 8))), (final_code, FOLLOW_UP_DAYS))
    for t, (code, day) in enumerate(visits):
        date = days_after(day0, day)
        mos_units, latency = outcomes.mos[t][i], outcomes.latency[t][i]
        problems = _mos_index(np.array([mos_units]), np.array([latency]))[0]
        responses = {
            "IRLS": dict(enumerate(split_total(rng, outcomes.irls[t][i], 10, 4).tolist(), start=1)),
            "MOS": mos_items(rng, int(mos_units), int(latency), sleep_hours(problems)),
            "RLSQOL": qol_items(rng, int(outcomes.qol[t][i])),
        }
        for instrument in ("IRLS", "MOS", "RLSQOL"):
            rows += questionnaire_rows(pid, code, date, instrument, responses[instrument], rng, 0.0)
    return rows


def _mos_index(units, latency) -> np.ndarray:
    """MOS Sleep Problems Index II (0-100) from problem units and latency codes.

    Examples
    --------
    >>> _mos_index([0, 40], [0, 4]).tolist()
    [0.0, 100.0]
    """
    return (25 * np.asarray(latency) + 20 * np.asarray(units)) / 9


def _mos_scale(latency: np.ndarray):
    """The units-to-index map used in calibration: units of all participant-visits
    (``len(latency)`` of them) with their own latency codes, others with latency 2."""

    def scale(units):
        lat = latency if len(units) == len(latency) else np.full(len(units), 2)
        return _mos_index(units, lat)

    return scale


def _arm_stats(values: np.ndarray, arm_index: np.ndarray, n_arms: int):
    """Per-arm means and SDs (ddof 1) of ``values``."""
    counts = np.bincount(arm_index, minlength=n_arms)
    values = np.asarray(values, dtype=float)
    means = np.bincount(arm_index, weights=values, minlength=n_arms) / counts
    squares = np.bincount(arm_index, weights=(values - means[arm_index]) ** 2, minlength=n_arms)
    return means, np.sqrt(squares / (counts - 1))


def _park_irls(rng, arm_index, cells):
    """Integer IRLS totals at baseline and week 4 matching the published per-arm means
    and SDs and the ANCOVA slope that reproduces the adjusted differences."""
    n_arms = len(cells)
    targets = np.array([PARK_IRLS[cell] for cell in cells])  # arm x (baseline, week4) x (mean, sd)
    n = len(arm_index)
    x0 = targets[arm_index, 0, 0] + targets[arm_index, 0, 1] * rng.standard_normal(n)
    y0 = (
        targets[arm_index, 1, 0]
        + 0.7
        * (x0 - targets[arm_index, 0, 0])
        * (targets[arm_index, 1, 1] / targets[arm_index, 0, 1])
        + 0.7 * targets[arm_index, 1, 1] * rng.standard_normal(n)
    )

    def loss(values):
        x, y = values[:n], values[n:]
        mx, sx = _arm_stats(x, arm_index, n_arms)
        my, sy = _arm_stats(y, arm_index, n_arms)
        total = 0.0
        for k in range(n_arms):
            total += _hinge(mx[k], targets[k, 0, 0], 0.0501) + _hinge(
                sx[k], targets[k, 0, 1], 0.045
            )
            total += _hinge(my[k], targets[k, 1, 0], 0.0501) + _hinge(
                sy[k], targets[k, 1, 1], 0.045
            )
        xc = x - mx[arm_index]
        slope = (xc * (y - my[arm_index])).sum() / (xc**2).sum()
        return total + _hinge(slope, PARK_ANCOVA_SLOPE, 0.01)

    groups = np.r_[arm_index, arm_index + n_arms]
    values = _calibrate(rng, np.concatenate([x0, y0]), 0, 40, loss, groups)
    return values[:n], values[n:]


def _park_scores(
    rng, arm_index, cells, base_targets, week4_means, week4_sd, low, high, scale, tol, sd_tol
):
    """Calibrate integer score units for a baseline/week-4 pair of arm targets: the
    baseline means and SDs, the week-4 differences from control, and the pooled
    week-4 SD (which sets the width of the published confidence intervals).

    The targets are keyed by factor levels; control is the arm with neither device."""
    n = len(arm_index)
    n_arms = len(cells)
    control = cells.index(CONTROL_CELL)
    base_mean = np.array([base_targets[cell][0] for cell in cells])
    base_sd = np.array([base_targets[cell][1] for cell in cells])
    w4 = np.array([week4_means[cell] for cell in cells])
    start = np.concatenate(
        [
            base_mean[arm_index] + base_sd[arm_index] * rng.standard_normal(n),
            w4[arm_index] + week4_sd * rng.standard_normal(n),
        ]
    )

    def loss(units):
        scores = scale(units)
        mx, sx = _arm_stats(scores[:n], arm_index, n_arms)
        my, sy = _arm_stats(scores[n:], arm_index, n_arms)
        pooled = np.sqrt(np.sum((counts - 1) * sy**2) / (n - n_arms))
        total = _hinge(pooled, week4_sd, 0.2)
        for k in range(n_arms):
            total += _hinge(mx[k], base_mean[k], tol) + _hinge(sx[k], base_sd[k], sd_tol)
            if k != control:
                total += _hinge(my[k] - my[control], w4[k] - w4[control], 0.2)
        return total + _hinge(my[control], w4[control], 1.0)

    counts = np.bincount(arm_index, minlength=n_arms)
    to_units = _inverse(scale, low, high)
    groups = np.r_[arm_index, arm_index + n_arms]
    units = _calibrate(rng, to_units(start), low, high, loss, groups)
    return units[:n], units[n:]


def _inverse(scale, low, high):
    """Map scores to the integer units in ``low..high`` whose scaled value is nearest."""
    grid = np.arange(low, high + 1)
    values = scale(grid)

    def to_units(scores):
        return grid[np.abs(values[None, :] - np.asarray(scores)[:, None]).argmin(axis=1)]

    return to_units


def _hinge(value: float, target: float, tolerance: float) -> float:
    """Squared distance of ``value`` beyond ``tolerance`` from ``target``."""
    return max(0.0, abs(value - target) - tolerance) ** 2


def _calibrate(
    rng: np.random.Generator,
    start: np.ndarray,
    low: int,
    high: int,
    loss,
    groups: np.ndarray | None = None,
    max_iter: int = 200_000,
) -> np.ndarray:
    """Move integer values until ``loss`` is zero (a seeded hill climb).

    Each step moves one value by +-1, or a pair of values of the same group in
    opposite directions (which keeps the group's mean); a step is kept when the
    loss does not grow.
    """
    values = np.clip(np.rint(start).astype(int), low, high)
    groups = np.zeros(len(values), dtype=int) if groups is None else np.asarray(groups)
    members = {g: np.flatnonzero(groups == g) for g in np.unique(groups)}
    best = loss(values)
    for _ in range(max_iter):
        if best == 0:
            return values
        i = int(rng.integers(len(values)))
        step = 1 if rng.random() < 0.5 else -1
        move = [(i, step)]
        if rng.random() < 0.5:
            move.append((int(rng.choice(members[groups[i]])), -step))
        if (
            any(not low <= values[k] + s <= high for k, s in move)
            or move[0][0] == move[-1][0]
            and len(move) == 2
        ):
            continue
        for k, s in move:
            values[k] += s
        candidate = loss(values)
        if candidate <= best:
            best = candidate
        else:
            for k, s in move:
                values[k] -= s
    raise RuntimeError(f"calibration did not converge (loss {best:.4g}); try another seed")
