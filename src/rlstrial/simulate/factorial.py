"""The definitive-trial-sized 2x2 factorial design (``simulation.design: factorial``).

Stratified permuted-block randomization at several sites, weekly IRLS, MOS Sleep and
RLS-QoL at the visits the configuration schedules them, dropout that depends on the
last observed severity (missing at random), missing items, adverse events, adherence
diaries and a screening log with exclusions. The arms are those of ``config["arms"]``;
an arm's true week-4 effect follows from its factor levels and ``simulation.effects``.
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

WITHDRAWAL_REASONS = ["lack of efficacy", "adverse event", "personal reasons"]


@dataclass
class VisitPlan:
    """The visits every participant is due at and what is assessed at each."""

    visits: list[dict]  # the baseline visit first, then the others in configuration order
    schedule: dict[str, list[str]]  # instrument code -> codes of the visits it is due at
    dropout_intercept: float  # log-odds of leaving before a visit, at a last IRLS of 22

    @classmethod
    def from_config(cls, config: dict[str, Any], sim: dict[str, Any]) -> VisitPlan:
        """The plan of ``config``, with the per-visit dropout that gives
        ``sim["dropout_rate"]`` over all post-baseline visits at an IRLS of 22."""
        post_visits = [v for v in config["visits"] if not v.get("baseline")]
        base_visit = next(v for v in config["visits"] if v.get("baseline"))
        weekly_drop = 1 - (1 - sim["dropout_rate"]) ** (1 / len(post_visits))
        return cls(
            visits=[base_visit, *post_visits],
            schedule={code: instr["visits"] for code, instr in config["instruments"].items()},
            dropout_intercept=np.log(weekly_drop / (1 - weekly_drop)),
        )

    @property
    def final_visit(self) -> dict:
        """The last scheduled visit."""
        return self.visits[-1]


@dataclass
class Participant:
    """What the follow-up of one randomized participant depends on."""

    pid: str
    day0: pd.Timestamp  # randomization date
    arm: dict[str, Any]  # the configuration entry of the arm
    true_baseline: float  # expected IRLS total at baseline
    week4_effect: float  # true difference from no intervention at week 4


def simulate_factorial(
    rng: np.random.Generator, sim: dict[str, Any], config: dict[str, Any]
) -> dict[str, pd.DataFrame]:
    """Simulate the raw tables of a 2x2 factorial trial.

    Parameters
    ----------
    rng
        The seeded generator; it is drawn from in a fixed order.
    sim
        The ``simulation`` section of the configuration.
    config
        The configuration, for its ``arms``, ``visits`` and ``instruments``.

    Returns
    -------
    dict of DataFrame
        One table per raw file, keyed by file name, values not yet formatted as text.
    """
    arms = {arm["code"]: arm for arm in design_order(config["arms"])}
    randomization, true_baseline = _randomize(rng, sim, list(arms))
    pids = randomization["participant_id"].tolist()
    rand_date = randomization["randomization_date"].tolist()
    baseline = _baseline_characteristics(rng, pids)
    randomized_arms = [arms[code] for code in randomization["arm"]]
    week4_effect = _week4_effects(randomized_arms, sim["effects"])
    plan = VisitPlan.from_config(config, sim)
    follow_up = FollowUp()
    for pid, day0, arm, expected, effect in zip(
        pids, rand_date, randomized_arms, true_baseline, week4_effect, strict=True
    ):
        _follow(rng, sim, plan, Participant(pid, day0, arm, expected, effect), follow_up)
    screening = screening_log(rng, sim, pids, rand_date)
    return raw_tables(screening, randomization, baseline, follow_up)


def _randomize(
    rng: np.random.Generator, sim: dict[str, Any], arm_codes: list[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Enrol ``sim["n_randomized"]`` participants at the sites and randomize them in
    permuted blocks within site x severity strata.

    Returns
    -------
    randomization : DataFrame
        The rows of ``randomization.csv``, in order of randomization date.
    true_baseline : ndarray
        Each participant's expected baseline IRLS total (which sets the stratum).
    """
    n = sim["n_randomized"]
    sites = sim["sites"]
    start = pd.Timestamp(sim["start_date"])
    rand_days = np.sort(rng.integers(0, sim["enrolment_days"], size=n))
    site = rng.choice(sites, size=n)
    true_baseline = np.clip(
        rng.normal(sim["baseline_irls"]["mean"], sim["subject_sd"], size=n), 12, 38
    )
    severity = np.where(true_baseline > 20, "severe", "moderate")
    stratum = np.array([f"{s}:{v}" for s, v in zip(site, severity, strict=True)])
    randomization = pd.DataFrame(
        {
            "participant_id": _participant_ids(site, sites),
            "site": site,
            "stratum": stratum,
            "randomization_date": [days_after(start, d) for d in rand_days],
            "arm": _stratified_arms(rng, stratum, sim["block_sizes"], arm_codes),
        }
    )
    return randomization, true_baseline


def _participant_ids(site: np.ndarray, sites: list[str]) -> list[str]:
    """Identifiers numbered within site in order of enrolment.

    Examples
    --------
    >>> _participant_ids(["S02", "S01", "S02"], ["S01", "S02"])
    ['S02-001', 'S01-001', 'S02-002']
    """
    counters = dict.fromkeys(sites, 0)
    pids = []
    for s in site:
        counters[s] += 1
        pids.append(f"{s}-{counters[s]:03d}")
    return pids


def _stratified_arms(
    rng: np.random.Generator, stratum: np.ndarray, block_sizes: list[int], arm_codes: list[str]
) -> np.ndarray:
    """Arm codes by permuted blocks within each stratum (strata in sorted order)."""
    arm = np.empty(len(stratum), dtype=object)
    for level in sorted(set(stratum)):
        members = np.flatnonzero(stratum == level)
        arm[members] = _permuted_blocks(rng, len(members), block_sizes, arm_codes)
    return arm


def _permuted_blocks(
    rng: np.random.Generator, n: int, block_sizes: list[int], arm_codes: list[str]
) -> list[str]:
    """A sequence of ``n`` arm codes from blocks of random size, each arm equally often
    within a block."""
    sequence: list[str] = []
    while len(sequence) < n:
        size = int(rng.choice(block_sizes))
        block = np.repeat(arm_codes, size // len(arm_codes))
        sequence.extend(rng.permutation(block).tolist())
    return sequence[:n]


def _baseline_characteristics(rng: np.random.Generator, pids: list[str]) -> pd.DataFrame:
    """The rows of ``baseline.csv``: demography, RLS duration and medication."""
    n = len(pids)
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
    return baseline


def _week4_effects(arms: list[dict[str, Any]], effects: dict[str, float]) -> np.ndarray:
    """True week-4 IRLS differences from no intervention, from each arm's factor levels:
    the main effect of each factor it has, plus the interaction if it has both.

    Examples
    --------
    >>> effects = {"massager": -6.0, "heat": -3.0, "interaction": 2.5}
    >>> arms = [{"massager": m, "heat": h} for m in (False, True) for h in (False, True)]
    >>> _week4_effects(arms, effects).tolist()
    [0.0, -3.0, -6.0, -6.5]
    """
    week4_effect = []
    for arm in arms:
        massager, heat = factor_levels(arm)
        week4_effect.append(
            effects["massager"] * massager
            + effects["heat"] * heat
            + effects["interaction"] * (massager and heat)
        )
    return np.array(week4_effect)


def _follow(
    rng: np.random.Generator,
    sim: dict[str, Any],
    plan: VisitPlan,
    participant: Participant,
    follow_up: FollowUp,
) -> None:
    """Follow one participant through the visits until completion or dropout."""
    last_day, dropped_at = _attend_visits(rng, sim, plan, participant, follow_up.questionnaires)
    status, reason, end_day = _end_of_follow_up(rng, last_day, dropped_at)
    follow_up.record_end(
        rng,
        participant.pid,
        participant.day0,
        participant.arm,
        status,
        reason,
        end_day,
        diary_days=min(end_day, plan.final_visit["target_day"]),
    )


def _attend_visits(
    rng: np.random.Generator,
    sim: dict[str, Any],
    plan: VisitPlan,
    participant: Participant,
    rows: list[dict],
) -> tuple[int, dict | None]:
    """Assess the participant at each visit in turn, adding questionnaire rows to
    ``rows``, until they drop out.

    Returns
    -------
    last_day : int
        The day (since randomization, 0 for baseline) of the last visit attended.
    dropped_at : dict or None
        The visit they dropped out before, or None when they completed.
    """
    last_irls = None
    last_day = None
    for visit in plan.visits:
        if (
            not visit.get("baseline")
            and last_irls is not None
            and _drops_out(rng, plan.dropout_intercept, last_irls)
        ):
            return last_day, visit
        day = _visit_day(rng, sim, visit)
        last_day = max(day, 0)
        last_irls = _irls_total(rng, sim, participant, visit["week"])
        responses = _responses(rng, last_irls)
        date = days_after(participant.day0, day)
        rows += _scheduled_questionnaires(rng, sim, plan, participant.pid, visit, date, responses)
    return last_day, None


def _drops_out(rng: np.random.Generator, intercept: float, last_irls: int) -> bool:
    """Whether the participant leaves before the next visit (more likely the worse
    their last IRLS total: missing at random)."""
    hazard = 1 / (1 + np.exp(-(intercept + 0.12 * (last_irls - 22))))
    return rng.random() < hazard


def _visit_day(rng: np.random.Generator, sim: dict[str, Any], visit: dict) -> int:
    """The day of a visit since randomization: up to a week before it for baseline,
    else within two days of target, or just after the window at the out-of-window rate."""
    if visit.get("baseline"):
        return -int(rng.integers(0, 8))
    day = visit["target_day"] + int(rng.integers(-2, 3))
    if rng.random() < sim["out_of_window_rate"]:
        day = visit["window"][1] + 1
    return day


def _irls_total(
    rng: np.random.Generator, sim: dict[str, Any], participant: Participant, week: int
) -> int:
    """An observed IRLS total (0-40) at ``week``: the control trend plus the arm's
    effect, growing linearly to week 4, plus residual noise."""
    mean = (
        participant.true_baseline
        + sim["weekly_change_control"] * week
        + week / 4 * participant.week4_effect
    )
    return int(np.clip(np.rint(mean + rng.normal(0, sim["residual_sd"])), 0, 40))


def _responses(rng: np.random.Generator, irls: int) -> dict[str, dict[int, float]]:
    """Item responses of every instrument at a visit, sleep problems and quality of
    life correlated with the IRLS total."""
    responses = {
        "IRLS": dict(enumerate(split_total(rng, irls, 10, 4).tolist(), start=1)),
    }
    problems = np.clip(40 + 1.5 * (irls - 22) + rng.normal(0, 8), 0, 100)
    units = int(np.clip(np.rint(problems / 20 * 8), 0, 40))
    latency = int(np.clip(np.rint(problems / 25 + rng.normal(0, 0.7)), 0, 4))
    responses["MOS"] = mos_items(rng, units, latency, sleep_hours(problems))
    qol = np.clip(100 - 2.0 * (irls - 10) + rng.normal(0, 10), 0, 100)
    responses["RLSQOL"] = qol_items(rng, int(np.rint((100 - qol) / 2.5)))
    return responses


def _scheduled_questionnaires(
    rng: np.random.Generator,
    sim: dict[str, Any],
    plan: VisitPlan,
    pid: str,
    visit: dict,
    date: pd.Timestamp,
    responses: dict[str, dict[int, float]],
) -> list[dict]:
    """Questionnaire rows of the instruments due at ``visit``, with missing items."""
    rows: list[dict] = []
    for instrument, visit_codes in plan.schedule.items():
        if visit["code"] in visit_codes and instrument in responses:
            rows += questionnaire_rows(
                pid,
                visit["code"],
                date,
                instrument,
                responses[instrument],
                rng,
                sim["missing_item_rate"],
            )
    return rows


def _end_of_follow_up(
    rng: np.random.Generator, last_day: int, dropped_at: dict | None
) -> tuple[str, str | None, int]:
    """Status, reason and day of the end of follow-up: completion on the last visit
    day, or loss or withdrawal between the last visit and the one dropped before."""
    if dropped_at is None:
        return "completed", None, last_day
    end_day = int(rng.integers((last_day or 0) + 1, dropped_at["target_day"] + 1))
    if rng.random() < 0.4:
        return "lost to follow-up", None, end_day
    return "withdrew", str(rng.choice(WITHDRAWAL_REASONS)), end_day
