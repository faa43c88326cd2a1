"""Seeded simulators of raw trial folders.

Two designs are available, chosen by ``simulation.design`` in the configuration:

``factorial``
    A definitive-trial-sized 2x2 factorial trial: stratified permuted-block
    randomization at several sites, weekly IRLS, MOS Sleep at weeks 0, 2 and 4,
    RLS-QoL at weeks 0 and 4, dropout that depends on the last observed severity
    (missing at random), missing items, adverse events, adherence diaries and a
    screening log with exclusions. True effects are set in the configuration.
``park2020``
    A replica of the Park, Ambrogi & Hade (2020) pilot: 28 participants (7/8/6/7),
    baseline and week 4, calibrated so that the per-arm IRLS means and SDs equal the
    published table within rounding and the published differences are reproduced.

The same configuration and seed give byte-identical files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rlstrial.rawdata import RAW_FILES

ARMS = ("control", "massager", "heat", "combined")
MASSAGER = {"control": False, "massager": True, "heat": False, "combined": True}
HEAT = {"control": False, "massager": False, "heat": True, "combined": True}
ARM_INDEX = {arm: index for index, arm in enumerate(ARMS)}

RACES = ("White", "Black or African American", "Asian", "Other")
RACE_P = (0.82, 0.10, 0.05, 0.03)
MEDICATION_CLASSES = ("dopamine agonist", "alpha-2-delta ligand", "opioid", "iron")
INELIGIBLE_REASONS = (
    "IRLS below entry threshold",
    "RLS medication changed within 4 weeks",
    "age outside 18-75",
    "secondary RLS (neuropathy)",
)


def simulate_trial(config: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Simulate a raw trial folder's tables from ``config["simulation"]``.

    Parameters
    ----------
    config
        A validated configuration (see :func:`rlstrial.config.load_config`); its
        ``simulation`` section chooses the design and holds the seed and parameters,
        its ``visits`` section the visit schedule.

    Returns
    -------
    dict of DataFrame
        One table per raw file, keyed by file name (``"randomization.csv"``, ...),
        with the columns of :data:`rlstrial.rawdata.RAW_FILES`, all as strings as
        they will be written.

    Examples
    --------
    >>> from rlstrial.config import load_config
    >>> cfg = load_config("config/config.yaml", "config/park2020.yaml")
    >>> tables = simulate_trial(cfg)
    >>> tables["randomization.csv"]["arm"].value_counts().sort_index().to_dict()
    {'combined': 7, 'control': 7, 'heat': 6, 'massager': 8}
    """
    sim = config["simulation"]
    rng = np.random.default_rng(sim["seed"])
    if sim["design"] == "park2020":
        tables = _simulate_park(rng, sim, config)
    else:
        tables = _simulate_factorial(rng, sim, config)
    return {name: _as_text(tables[name], name) for name in RAW_FILES}


def write_raw_folder(tables: dict[str, pd.DataFrame], folder: str | Path, note: str) -> None:
    """Write simulated tables as UTF-8 CSV files (LF line ends) plus a README.

    Parameters
    ----------
    tables
        The output of :func:`simulate_trial`.
    folder
        Where to write; created if missing. Existing files of the same names are replaced.
    note
        Text for the folder's README.md, which marks the data as synthetic.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.to_csv(folder / name, index=False, lineterminator="\n", encoding="utf-8")
    (folder / "README.md").write_text(note, encoding="utf-8")


# --- shared pieces -------------------------------------------------------------------


def _as_text(table: pd.DataFrame, name: str) -> pd.DataFrame:
    columns = RAW_FILES[name].column_names
    out = table[columns].copy()
    for column in columns:
        out[column] = out[column].map(_format_value)
    return out.reset_index(drop=True)


def _format_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _split_total(rng: np.random.Generator, total: int, n_items: int, cap: int) -> np.ndarray:
    """Spread an integer total over items of 0..cap each, with uneven item weights."""
    weights = rng.dirichlet(np.full(n_items, 2.0))
    items = np.zeros(n_items, dtype=int)
    for _ in range(int(total)):
        open_ = items < cap
        p = weights * open_
        items[rng.choice(n_items, p=p / p.sum())] += 1
    return items


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


def _hinge(value: float, target: float, tolerance: float) -> float:
    return max(0.0, abs(value - target) - tolerance) ** 2


def _days(date: pd.Timestamp, days) -> pd.Timestamp:
    return date + pd.Timedelta(days=int(days))


def _mos_items(
    rng: np.random.Generator, problem_units: int, latency_units: int, hours: float
) -> dict[int, float]:
    """Raw MOS codes from the problem units of the 8 frequency items of index II."""
    units = _split_total(rng, problem_units, 8, 5)
    raw = {1: 1 + latency_units, 2: hours}
    for item, unit in zip((3, 5, 6, 7, 8, 9), units[:6], strict=True):
        raw[item] = 6 - unit  # 1 = all of the time = most problems
    for item, unit in zip((4, 12), units[6:], strict=True):
        raw[item] = 1 + unit  # adequacy items: 1 = all of the time = fewest problems
    raw[10] = int(rng.integers(1, 7))
    raw[11] = int(rng.integers(2, 7))
    return raw


def _qol_items(rng: np.random.Generator, units: int) -> dict[int, int]:
    """Raw RLS-QoL codes (1 = best) whose summary items sum to ``units`` above 1."""
    summary = (1, 2, 3, 4, 5, 7, 8, 9, 10, 13)
    raw = dict(zip(summary, 1 + _split_total(rng, units, 10, 4), strict=True))
    for item in (6, 11, 12, 14, 15, 16, 17, 18):
        raw[item] = int(rng.integers(1, 4))
    return raw


def _questionnaire_rows(
    pid: str,
    visit: str,
    date: pd.Timestamp,
    instrument: str,
    responses: dict[int, float],
    rng: np.random.Generator,
    missing_rate: float,
) -> list[dict]:
    rows = []
    for item in sorted(responses):
        value = responses[item]
        if missing_rate and rng.random() < missing_rate:
            value = None
        rows.append(
            {
                "participant_id": pid,
                "visit": visit,
                "assessment_date": date,
                "instrument": instrument,
                "item": item,
                "response": value,
            }
        )
    return rows


# --- the factorial trial -------------------------------------------------------------


def _permuted_blocks(rng: np.random.Generator, n: int, block_sizes: list[int]) -> list[str]:
    sequence: list[str] = []
    while len(sequence) < n:
        size = int(rng.choice(block_sizes))
        block = np.repeat(ARMS, size // len(ARMS))
        sequence.extend(rng.permutation(block).tolist())
    return sequence[:n]


def _simulate_factorial(rng, sim, config) -> dict[str, pd.DataFrame]:
    n = sim["n_randomized"]
    sites = sim["sites"]
    start = pd.Timestamp(sim["start_date"])
    schedule = {code: instr["visits"] for code, instr in config["instruments"].items()}
    post_visits = [v for v in config["visits"] if not v.get("baseline")]
    base_visit = next(v for v in config["visits"] if v.get("baseline"))

    rand_days = np.sort(rng.integers(0, sim["enrolment_days"], size=n))
    site = rng.choice(sites, size=n)
    b = rng.normal(sim["baseline_irls"]["mean"], sim["subject_sd"], size=n)
    b = np.clip(b, 12, 38)
    severity = np.where(b > 20, "severe", "moderate")
    stratum = np.array([f"{s}:{v}" for s, v in zip(site, severity, strict=True)])

    arm = np.empty(n, dtype=object)
    for level in sorted(set(stratum)):
        members = np.flatnonzero(stratum == level)
        arm[members] = _permuted_blocks(rng, len(members), sim["block_sizes"])

    counters = dict.fromkeys(sites, 0)
    pids = []
    for s in site:
        counters[s] += 1
        pids.append(f"{s}-{counters[s]:03d}")
    rand_date = [_days(start, d) for d in rand_days]
    randomization = pd.DataFrame(
        {
            "participant_id": pids,
            "site": site,
            "stratum": stratum,
            "randomization_date": rand_date,
            "arm": arm,
        }
    )

    baseline = pd.DataFrame(
        {
            "participant_id": pids,
            "age": np.clip(np.rint(rng.normal(58, 11, n)), 18, 75).astype(int),
            "sex": np.where(rng.random(n) < 0.62, "F", "M"),
            "race": rng.choice(RACES, size=n, p=RACE_P),
            "ethnicity": np.where(
                rng.random(n) < 0.06, "Hispanic or Latino", "Not Hispanic or Latino"
            ),
            "rls_years": np.round(rng.gamma(2.0, 6.0, n), 1),
        }
    )
    on_med = rng.random(n) < 0.9
    baseline["rls_medication"] = on_med
    baseline["rls_medication_class"] = np.where(
        on_med, rng.choice(MEDICATION_CLASSES, size=n, p=(0.55, 0.3, 0.1, 0.05)), None
    )

    effects = sim["effects"]
    week4_effect = np.array(
        [
            effects["massager"] * MASSAGER[a]
            + effects["heat"] * HEAT[a]
            + effects["interaction"] * (MASSAGER[a] and HEAT[a])
            for a in arm
        ]
    )
    weekly_drop = 1 - (1 - sim["dropout_rate"]) ** (1 / len(post_visits))
    intercept = np.log(weekly_drop / (1 - weekly_drop))

    q_rows: list[dict] = []
    adherence_rows: list[dict] = []
    ae_rows: list[dict] = []
    disposition_rows: list[dict] = []
    for i, pid in enumerate(pids):
        day0 = rand_date[i]
        last_irls = None
        dropped_at = None
        last_day = None
        for visit in [base_visit, *post_visits]:
            week = visit["week"]
            if not visit.get("baseline") and last_irls is not None:
                hazard = 1 / (1 + np.exp(-(intercept + 0.12 * (last_irls - 22))))
                if rng.random() < hazard:
                    dropped_at = visit
                    break
            if visit.get("baseline"):
                day = -int(rng.integers(0, 8))
            else:
                day = visit["target_day"] + int(rng.integers(-2, 3))
                if rng.random() < sim["out_of_window_rate"]:
                    day = visit["window"][1] + 1
            date = _days(day0, day)
            last_day = max(day, 0)
            mean = b[i] + sim["weekly_change_control"] * week + week / 4 * week4_effect[i]
            irls = int(np.clip(np.rint(mean + rng.normal(0, sim["residual_sd"])), 0, 40))
            last_irls = irls
            responses = {
                "IRLS": dict(enumerate(_split_total(rng, irls, 10, 4).tolist(), start=1)),
            }
            problems = np.clip(40 + 1.5 * (irls - 22) + rng.normal(0, 8), 0, 100)
            units = int(np.clip(np.rint(problems / 20 * 8), 0, 40))
            latency = int(np.clip(np.rint(problems / 25 + rng.normal(0, 0.7)), 0, 4))
            hours = float(np.clip(np.round((8.0 - 0.04 * (problems - 40)) * 2) / 2, 3, 11))
            responses["MOS"] = _mos_items(rng, units, latency, hours)
            qol = np.clip(100 - 2.0 * (irls - 10) + rng.normal(0, 10), 0, 100)
            responses["RLSQOL"] = _qol_items(rng, int(np.rint((100 - qol) / 2.5)))
            for instrument, visit_codes in schedule.items():
                if visit["code"] in visit_codes and instrument in responses:
                    q_rows += _questionnaire_rows(
                        pid,
                        visit["code"],
                        date,
                        instrument,
                        responses[instrument],
                        rng,
                        sim["missing_item_rate"],
                    )
        final_visit = post_visits[-1]
        if dropped_at is None:
            status, reason = "completed", None
            end_day = last_day
        else:
            end_day = int(rng.integers((last_day or 0) + 1, dropped_at["target_day"] + 1))
            if rng.random() < 0.4:
                status, reason = "lost to follow-up", None
            else:
                status = "withdrew"
                reason = str(rng.choice(["lack of efficacy", "adverse event", "personal reasons"]))
        disposition_rows.append(
            {
                "participant_id": pid,
                "status": status,
                "status_date": _days(day0, end_day),
                "reason": reason,
            }
        )
        adherence_rows += _diary(rng, pid, day0, min(end_day, final_visit["target_day"]), arm[i])
        ae_rows += _adverse_events(
            rng, pid, day0, end_day, arm[i], forced=reason == "adverse event"
        )

    screening = _screening_log(rng, sim, pids, rand_date)
    return {
        "screening.csv": screening,
        "randomization.csv": randomization,
        "baseline.csv": baseline,
        "questionnaires.csv": pd.DataFrame(q_rows),
        "adherence.csv": pd.DataFrame(adherence_rows),
        "adverse_events.csv": pd.DataFrame(
            ae_rows, columns=RAW_FILES["adverse_events.csv"].column_names
        ),
        "disposition.csv": pd.DataFrame(disposition_rows),
    }


def _diary(rng, pid, day0, last_day, arm) -> list[dict]:
    propensity = rng.beta(12, 1.5)
    rows = []
    for day in range(1, last_day + 1):
        used = rng.random() < propensity
        minutes = int(np.clip(np.rint(rng.normal(30, 5)), 5, 60)) if used else 0
        rows.append(
            {
                "participant_id": pid,
                "diary_date": _days(day0, day),
                "massager_minutes": minutes if MASSAGER[arm] else 0,
                "heat_minutes": minutes if HEAT[arm] else 0,
            }
        )
    return rows


def _adverse_events(rng, pid, day0, end_day, arm, forced=False) -> list[dict]:
    terms = [("Headache", False), ("Nasopharyngitis", False), ("Insomnia", False)]
    if MASSAGER[arm]:
        terms += [("Foot pain", True), ("Muscle soreness", True)]
    if HEAT[arm]:
        terms += [("Skin erythema", True), ("Skin burn", True)]
    count = int(rng.poisson(0.35)) + int(forced)
    rows = []
    for _ in range(count):
        term, device = terms[int(rng.integers(len(terms)))]
        rows.append(
            {
                "participant_id": pid,
                "onset_date": _days(day0, int(rng.integers(1, max(end_day, 1) + 1))),
                "term": term,
                "severity": str(rng.choice(["mild", "moderate", "severe"], p=(0.7, 0.25, 0.05))),
                "serious": bool(rng.random() < 0.02 and not device),
                "device_related": device,
            }
        )
    return rows


def _screening_log(rng, sim, pids, rand_date) -> pd.DataFrame:
    n = len(pids)
    n_failures = int(round(n * sim["screen_failure_rate"] / (1 - sim["screen_failure_rate"])))
    rows = [
        {
            "screening_date": _days(date, -int(rng.integers(1, 15))),
            "eligible": True,
            "ineligible_reason": None,
            "consented": True,
            "participant_id": pid,
        }
        for pid, date in zip(pids, rand_date, strict=True)
    ]
    first, last = min(rand_date), max(rand_date)
    span = (last - first).days
    for _ in range(n_failures):
        date = _days(first, int(rng.integers(0, span + 1)) - 7)
        declined = rng.random() < 0.25
        rows.append(
            {
                "screening_date": date,
                "eligible": bool(declined),
                "ineligible_reason": None if declined else str(rng.choice(INELIGIBLE_REASONS)),
                "consented": False if declined else None,
                "participant_id": None,
            }
        )
    screening = pd.DataFrame(rows).sort_values("screening_date", kind="stable")
    screening.insert(0, "screening_id", [f"SCR-{k:04d}" for k in range(1, len(rows) + 1)])
    return screening


# --- the Park 2020 replica -----------------------------------------------------------

PARK_N = {"control": 7, "massager": 8, "heat": 6, "combined": 7}
PARK_IRLS = {  # published mean (SD): baseline, week 4
    "control": ((24.6, 8.1), (21.3, 8.5)),
    "massager": ((19.9, 9.8), (12.3, 4.2)),
    "heat": ((22.8, 6.6), (17.3, 8.1)),
    "combined": ((19.9, 5.1), (16.9, 6.2)),
}
PARK_ANCOVA_SLOPE = 0.574  # derived: makes the adjusted differences -6.3, -2.9, -1.7
PARK_AGE = {
    "control": (54.2, 10.4),
    "massager": (61.1, 13.3),
    "heat": (61.8, 6.2),
    "combined": (58.4, 12.0),
}
PARK_FEMALE = {"control": 4, "massager": 7, "heat": 3, "combined": 5}
# MOS Sleep Problems Index II: equal baseline means, so that unadjusted and
# baseline-adjusted week-4 differences agree; massager -22.0 and heat -17.4 are
# published, combined (-12.0) is not and is set smaller (not additive).
PARK_MOS_BASELINE = 55.0
PARK_MOS_WEEK4 = {"control": 52.0, "massager": 30.0, "heat": 34.6, "combined": 40.0}
PARK_QOL_BASELINE = {
    "control": (49.8, 26.2),
    "massager": (59.1, 40.2),
    "heat": (62.6, 20.0),
    "combined": (68.0, 14.5),
}
# Pooled week-4 SDs implied by the published CIs (half-width / t(0.975, 24) /
# sqrt(1/7 + 1/8)): MOS Sleep Problems Index II 13.6, RLS-QoL 26.0 (derived).
PARK_MOS_WEEK4_SD = 13.6
PARK_QOL_WEEK4_SD = 26.0
# Week-4 RLS-QoL means: massager - control = +25.3 is published; the others are not.
PARK_QOL_WEEK4 = {"control": 51.0, "massager": 76.3, "heat": 61.0, "combined": 63.0}


def _arm_stats(values: np.ndarray, arm_index: np.ndarray):
    counts = np.bincount(arm_index, minlength=4)
    values = np.asarray(values, dtype=float)
    means = np.bincount(arm_index, weights=values, minlength=4) / counts
    squares = np.bincount(arm_index, weights=(values - means[arm_index]) ** 2, minlength=4)
    return means, np.sqrt(squares / (counts - 1))


def _park_irls(rng, arm_index):
    targets = np.array([PARK_IRLS[a] for a in ARMS])  # arm x (baseline, week4) x (mean, sd)
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
        mx, sx = _arm_stats(x, arm_index)
        my, sy = _arm_stats(y, arm_index)
        total = 0.0
        for k in range(4):
            total += _hinge(mx[k], targets[k, 0, 0], 0.0501) + _hinge(
                sx[k], targets[k, 0, 1], 0.045
            )
            total += _hinge(my[k], targets[k, 1, 0], 0.0501) + _hinge(
                sy[k], targets[k, 1, 1], 0.045
            )
        xc = x - mx[arm_index]
        slope = (xc * (y - my[arm_index])).sum() / (xc**2).sum()
        return total + _hinge(slope, PARK_ANCOVA_SLOPE, 0.01)

    values = _calibrate(rng, np.concatenate([x0, y0]), 0, 40, loss, np.r_[arm_index, arm_index + 4])
    return values[:n], values[n:]


def _park_scores(
    rng, arm_index, base_targets, week4_means, week4_sd, low, high, scale, tol, sd_tol
):
    """Calibrate integer score units for a baseline/week-4 pair of arm targets: the
    baseline means and SDs, the week-4 differences from control, and the pooled
    week-4 SD (which sets the width of the published confidence intervals)."""
    n = len(arm_index)
    base_mean = np.array([base_targets[a][0] for a in ARMS])
    base_sd = np.array([base_targets[a][1] for a in ARMS])
    w4 = np.array([week4_means[a] for a in ARMS])
    start = np.concatenate(
        [
            base_mean[arm_index] + base_sd[arm_index] * rng.standard_normal(n),
            w4[arm_index] + week4_sd * rng.standard_normal(n),
        ]
    )

    def loss(units):
        scores = scale(units)
        mx, sx = _arm_stats(scores[:n], arm_index)
        my, sy = _arm_stats(scores[n:], arm_index)
        pooled = np.sqrt(np.sum((counts - 1) * sy**2) / (n - 4))
        total = _hinge(pooled, week4_sd, 0.2)
        for k in range(4):
            total += _hinge(mx[k], base_mean[k], tol) + _hinge(sx[k], base_sd[k], sd_tol)
            if k:
                total += _hinge(my[k] - my[0], w4[k] - w4[0], 0.2)
        return total + _hinge(my[0], w4[0], 1.0)

    counts = np.bincount(arm_index, minlength=4)
    to_units = _inverse(scale, low, high)
    units = _calibrate(rng, to_units(start), low, high, loss, np.r_[arm_index, arm_index + 4])
    return units[:n], units[n:]


def _inverse(scale, low, high):
    grid = np.arange(low, high + 1)
    values = scale(grid)

    def to_units(scores):
        return grid[np.abs(values[None, :] - np.asarray(scores)[:, None]).argmin(axis=1)]

    return to_units


def _simulate_park(rng, sim, config) -> dict[str, pd.DataFrame]:
    arm = rng.permutation(np.repeat(ARMS, [PARK_N[a] for a in ARMS]))
    arm_index = np.array([ARM_INDEX[a] for a in arm])
    n = len(arm)
    pids = [f"P{k:03d}" for k in range(1, n + 1)]
    start = pd.Timestamp(sim.get("start_date", "2016-01-11"))
    rand_date = [_days(start, d) for d in np.sort(rng.integers(0, 980, size=n))]
    randomization = pd.DataFrame(
        {
            "participant_id": pids,
            "site": "S01",
            "stratum": "none",
            "randomization_date": rand_date,
            "arm": arm,
        }
    )

    age_targets = np.array([PARK_AGE[a] for a in ARMS])

    def age_loss(age):
        mean, sd = _arm_stats(age, arm_index)
        return sum(
            _hinge(mean[k], age_targets[k, 0], 0.08) + _hinge(sd[k], age_targets[k, 1], 0.05)
            for k in range(4)
        )

    age = _calibrate(
        rng,
        age_targets[arm_index, 0] + age_targets[arm_index, 1] * rng.standard_normal(n),
        18,
        75,
        age_loss,
        arm_index,
    )
    female = np.zeros(n, dtype=bool)
    for a in ARMS:
        members = rng.permutation(np.flatnonzero(arm == a))
        female[members[: PARK_FEMALE[a]]] = True
    on_med = np.ones(n, dtype=bool)
    on_med[rng.choice(n, size=2, replace=False)] = False  # 26/28 on oral medication
    baseline = pd.DataFrame(
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

    irls0, irls4 = _park_irls(rng, arm_index)
    latency = np.clip(np.rint(rng.normal(2.2, 1.0, 2 * n)), 0, 4).astype(int)

    def mos_scale(units, lat=None):
        lat = latency[: len(units)] if lat is None and len(units) == 2 * n else lat
        if lat is None:
            lat = np.full(len(units), 2)
        return (25 * lat + 20 * np.asarray(units)) / 9

    mos_base = {a: (PARK_MOS_BASELINE, 16.0) for a in ARMS}
    mos0, mos4 = _park_scores(
        rng,
        arm_index,
        mos_base,
        PARK_MOS_WEEK4,
        PARK_MOS_WEEK4_SD,
        0,
        40,
        lambda u: mos_scale(u),
        0.3,
        4.0,
    )
    qol0, qol4 = _park_scores(
        rng,
        arm_index,
        PARK_QOL_BASELINE,
        PARK_QOL_WEEK4,
        PARK_QOL_WEEK4_SD,
        0,
        40,
        lambda u: 100 - 2.5 * np.asarray(u),
        0.2,
        0.2,
    )

    q_rows: list[dict] = []
    disposition_rows, adherence_rows, ae_rows = [], [], []
    visit_codes = [v["code"] for v in config["visits"]]
    base_code, final_code = visit_codes[0], visit_codes[-1]
    for i, pid in enumerate(pids):
        for t, (code, day) in enumerate(((base_code, -int(rng.integers(0, 8))), (final_code, 28))):
            date = _days(rand_date[i], day)
            irls = (irls0, irls4)[t][i]
            mos_units = (mos0, mos4)[t][i]
            problems = mos_scale(np.array([mos_units]), np.array([latency[t * n + i]]))[0]
            hours = float(np.clip(np.round((8.0 - 0.04 * (problems - 40)) * 2) / 2, 3, 11))
            responses = {
                "IRLS": dict(enumerate(_split_total(rng, irls, 10, 4).tolist(), start=1)),
                "MOS": _mos_items(rng, int(mos_units), int(latency[t * n + i]), hours),
                "RLSQOL": _qol_items(rng, int((qol0, qol4)[t][i])),
            }
            for instrument in ("IRLS", "MOS", "RLSQOL"):
                q_rows += _questionnaire_rows(
                    pid, code, date, instrument, responses[instrument], rng, 0.0
                )
        disposition_rows.append(
            {
                "participant_id": pid,
                "status": "completed",
                "status_date": _days(rand_date[i], 28),
                "reason": None,
            }
        )
        adherence_rows += _diary(rng, pid, rand_date[i], 28, arm[i])
        ae_rows += _adverse_events(rng, pid, rand_date[i], 28, arm[i])

    sim_screen = {"screen_failure_rate": 0.2}
    return {
        "screening.csv": _screening_log(rng, sim_screen, pids, rand_date),
        "randomization.csv": randomization,
        "baseline.csv": baseline,
        "questionnaires.csv": pd.DataFrame(q_rows),
        "adherence.csv": pd.DataFrame(adherence_rows),
        "adverse_events.csv": pd.DataFrame(
            ae_rows, columns=RAW_FILES["adverse_events.csv"].column_names
        ),
        "disposition.csv": pd.DataFrame(disposition_rows),
    }
