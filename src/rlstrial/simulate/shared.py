"""Pieces shared by the simulated designs: arms, questionnaires, diaries, events, screening.

An arm is a configuration entry (``config["arms"]``); its role is known only from its
factor levels (``massager``, ``heat``), never from its code or its place in the list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rlstrial.rawdata import RAW_FILES

RACES = ("White", "Black or African American", "Asian", "Other")
RACE_P = (0.82, 0.10, 0.05, 0.03)
MEDICATION_CLASSES = ("dopamine agonist", "alpha-2-delta ligand", "opioid", "iron")
INELIGIBLE_REASONS = (
    "IRLS below entry threshold",
    "RLS medication changed within 4 weeks",
    "age outside 18-75",
    "secondary RLS (neuropathy)",
)


def design_order(arms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The arms in the design's order (control, massager, heat, massager + heat),
    whatever their order in the configuration, so that the same seed gives the same
    trial.

    Examples
    --------
    >>> [a["code"] for a in design_order([
    ...     {"code": "B", "massager": True, "heat": True},
    ...     {"code": "C", "massager": False, "heat": False}])]
    ['C', 'B']
    """
    return sorted(arms, key=lambda arm: (arm["heat"], arm["massager"]))


def factor_levels(arm: dict[str, Any]) -> tuple[bool, bool]:
    """An arm's cell of the 2x2 factorial: its ``(massager, heat)`` levels.

    Examples
    --------
    >>> factor_levels({"code": "B", "label": "Both", "massager": True, "heat": True})
    (True, True)
    """
    return arm["massager"], arm["heat"]


def as_text(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """The columns of raw file ``name``, every value formatted as it will be written."""
    columns = RAW_FILES[name].column_names
    out = table[columns].copy()
    for column in columns:
        out[column] = out[column].map(format_value)
    return out.reset_index(drop=True)


def format_value(value: Any) -> str:
    """One value as raw-file text: blank if missing, yes/no, dates as ISO, one decimal.

    Examples
    --------
    >>> [format_value(v) for v in (None, float("nan"), True, 3.0, 2.25, pd.Timestamp("2024-02-05"))]
    ['', '', 'yes', '3', '2.2', '2024-02-05']
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def split_total(rng: np.random.Generator, total: int, n_items: int, cap: int) -> np.ndarray:
    """Spread an integer total over items of 0..cap each, with uneven item weights."""
    weights = rng.dirichlet(np.full(n_items, 2.0))
    items = np.zeros(n_items, dtype=int)
    for _ in range(int(total)):
        open_ = items < cap
        p = weights * open_
        items[rng.choice(n_items, p=p / p.sum())] += 1
    return items


def days_after(date: pd.Timestamp, days) -> pd.Timestamp:
    """The date ``days`` (an integer, possibly negative) days after ``date``."""
    return date + pd.Timedelta(days=int(days))


def sleep_hours(problems: float) -> float:
    """Hours of sleep (MOS item 2) for a Sleep Problems Index, to the half hour, 3 to 11.

    Examples
    --------
    >>> sleep_hours(40.0), sleep_hours(100.0)
    (8.0, 5.5)
    """
    return float(np.clip(np.round((8.0 - 0.04 * (problems - 40)) * 2) / 2, 3, 11))


def mos_items(
    rng: np.random.Generator, problem_units: int, latency_units: int, hours: float
) -> dict[int, float]:
    """Raw MOS codes from the problem units of the 8 frequency items of index II."""
    units = split_total(rng, problem_units, 8, 5)
    raw = {1: 1 + latency_units, 2: hours}
    for item, unit in zip((3, 5, 6, 7, 8, 9), units[:6], strict=True):
        raw[item] = 6 - unit  # 1 = all of the time = most problems
    for item, unit in zip((4, 12), units[6:], strict=True):
        raw[item] = 1 + unit  # adequacy items: 1 = all of the time = fewest problems
    raw[10] = int(rng.integers(1, 7))
    raw[11] = int(rng.integers(2, 7))
    return raw


def qol_items(rng: np.random.Generator, units: int) -> dict[int, int]:
    """Raw RLS-QoL codes (1 = best) whose summary items sum to ``units`` above 1."""
    summary = (1, 2, 3, 4, 5, 7, 8, 9, 10, 13)
    raw = dict(zip(summary, 1 + split_total(rng, units, 10, 4), strict=True))
    for item in (6, 11, 12, 14, 15, 16, 17, 18):
        raw[item] = int(rng.integers(1, 4))
    return raw


def questionnaire_rows(
    pid: str,
    visit: str,
    date: pd.Timestamp,
    instrument: str,
    responses: dict[int, float],
    rng: np.random.Generator,
    missing_rate: float,
) -> list[dict]:
    """Rows of ``questionnaires.csv`` for one instrument at one visit, items in order,
    each response missing with probability ``missing_rate``."""
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


def diary_rows(rng, pid, day0, last_day, arm) -> list[dict]:
    """Daily adherence diary up to ``last_day``: minutes of each device the arm uses."""
    propensity = rng.beta(12, 1.5)
    massager, heat = factor_levels(arm)
    rows = []
    for day in range(1, last_day + 1):
        used = rng.random() < propensity
        minutes = int(np.clip(np.rint(rng.normal(30, 5)), 5, 60)) if used else 0
        rows.append(
            {
                "participant_id": pid,
                "diary_date": days_after(day0, day),
                "massager_minutes": minutes if massager else 0,
                "heat_minutes": minutes if heat else 0,
            }
        )
    return rows


def adverse_event_rows(rng, pid, day0, end_day, arm, forced=False) -> list[dict]:
    """Adverse events up to ``end_day``, device-related terms from the arm's devices;
    ``forced`` adds one (the participant withdrew for an adverse event)."""
    massager, heat = factor_levels(arm)
    terms = [("Headache", False), ("Nasopharyngitis", False), ("Insomnia", False)]
    if massager:
        terms += [("Foot pain", True), ("Muscle soreness", True)]
    if heat:
        terms += [("Skin erythema", True), ("Skin burn", True)]
    count = int(rng.poisson(0.35)) + int(forced)
    rows = []
    for _ in range(count):
        term, device = terms[int(rng.integers(len(terms)))]
        rows.append(
            {
                "participant_id": pid,
                "onset_date": days_after(day0, int(rng.integers(1, max(end_day, 1) + 1))),
                "term": term,
                "severity": str(rng.choice(["mild", "moderate", "severe"], p=(0.7, 0.25, 0.05))),
                "serious": bool(rng.random() < 0.02 and not device),
                "device_related": device,
            }
        )
    return rows


def screening_log(rng, sim, pids, rand_date) -> pd.DataFrame:
    """The screening log: one eligible, consented row per randomized participant, plus
    screen failures (ineligible or declined) spread over the enrolment period."""
    n = len(pids)
    n_failures = int(round(n * sim["screen_failure_rate"] / (1 - sim["screen_failure_rate"])))
    rows = [
        {
            "screening_date": days_after(date, -int(rng.integers(1, 15))),
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
        date = days_after(first, int(rng.integers(0, span + 1)) - 7)
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


@dataclass
class FollowUp:
    """Rows collected while following participants, one list per raw table."""

    questionnaires: list[dict] = field(default_factory=list)
    adherence: list[dict] = field(default_factory=list)
    adverse_events: list[dict] = field(default_factory=list)
    disposition: list[dict] = field(default_factory=list)

    def record_end(
        self,
        rng: np.random.Generator,
        pid: str,
        day0: pd.Timestamp,
        arm: dict[str, Any],
        status: str,
        reason: str | None,
        end_day: int,
        diary_days: int,
    ) -> None:
        """Record how a participant's follow-up ended (on ``end_day``), then their
        adherence diary (``diary_days`` days) and adverse events up to the end."""
        self.disposition.append(
            {
                "participant_id": pid,
                "status": status,
                "status_date": days_after(day0, end_day),
                "reason": reason,
            }
        )
        self.adherence += diary_rows(rng, pid, day0, diary_days, arm)
        self.adverse_events += adverse_event_rows(
            rng, pid, day0, end_day, arm, forced=reason == "adverse event"
        )


def raw_tables(
    screening: pd.DataFrame,
    randomization: pd.DataFrame,
    baseline: pd.DataFrame,
    follow_up: FollowUp,
) -> dict[str, pd.DataFrame]:
    """The seven raw tables of a simulated trial, keyed by file name."""
    return {
        "screening.csv": screening,
        "randomization.csv": randomization,
        "baseline.csv": baseline,
        "questionnaires.csv": pd.DataFrame(follow_up.questionnaires),
        "adherence.csv": pd.DataFrame(follow_up.adherence),
        "adverse_events.csv": pd.DataFrame(
            follow_up.adverse_events, columns=RAW_FILES["adverse_events.csv"].column_names
        ),
        "disposition.csv": pd.DataFrame(follow_up.disposition),
    }
