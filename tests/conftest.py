"""Shared fixtures: a tiny literal raw folder, configs, and a seeded synthetic trial."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rlstrial.config import load_config
from rlstrial.plan import Analysis, Plan, build_plan
from rlstrial.simulate import simulate_trial, write_raw_folder

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

# A raw folder small enough to check by eye: two participants (P1 massager, P2 control),
# a three-item questionnaire TOY (0-4 each, summed) at baseline (day -1) and week 4 (day 28).
TINY_FILES = {
    "screening.csv": """\
screening_id,screening_date,eligible,ineligible_reason,consented,participant_id
SCR-1,2024-01-02,yes,,yes,P1
SCR-2,2024-01-03,yes,,yes,P2
SCR-3,2024-01-04,no,IRLS below entry threshold,,
""",
    "randomization.csv": """\
participant_id,site,stratum,randomization_date,arm
P1,S01,S01:severe,2024-01-10,massager
P2,S01,S01:severe,2024-01-11,control
""",
    "baseline.csv": """\
participant_id,age,sex,race,ethnicity,rls_years,rls_medication,rls_medication_class
P1,60,F,White,Not Hispanic or Latino,12.5,yes,dopamine agonist
P2,55,M,Asian,Not Hispanic or Latino,3,no,
""",
    "questionnaires.csv": """\
participant_id,visit,assessment_date,instrument,item,response
P1,WEEK0,2024-01-09,TOY,1,4
P1,WEEK0,2024-01-09,TOY,2,3
P1,WEEK0,2024-01-09,TOY,3,2
P1,WEEK4,2024-02-07,TOY,1,1
P1,WEEK4,2024-02-07,TOY,2,
P1,WEEK4,2024-02-07,TOY,3,2
P2,WEEK0,2024-01-10,TOY,1,2
P2,WEEK0,2024-01-10,TOY,2,2
P2,WEEK0,2024-01-10,TOY,3,2
P2,WEEK4,2024-02-08,TOY,1,3
P2,WEEK4,2024-02-08,TOY,2,
P2,WEEK4,2024-02-08,TOY,3,
""",
    "adherence.csv": """\
participant_id,diary_date,massager_minutes,heat_minutes
P1,2024-01-11,30,0
P1,2024-01-12,0,0
P2,2024-01-12,0,0
""",
    "adverse_events.csv": """\
participant_id,onset_date,term,severity,serious,device_related
P1,2024-01-20,Foot pain,mild,no,yes
""",
    "disposition.csv": """\
participant_id,status,status_date,reason
P1,completed,2024-02-07,
P2,withdrew,2024-02-08,personal reasons
""",
}

TINY_OVERRIDES = {
    "visits": [
        {
            "code": "WEEK0",
            "label": "Baseline",
            "week": 0,
            "target_day": 0,
            "window": [-14, 0],
            "baseline": True,
        },
        {"code": "WEEK4", "label": "Week 4", "week": 4, "target_day": 28, "window": [25, 35]},
    ],
    "instruments": {
        "TOY": {
            "label": "Toy three-item questionnaire",
            "visits": ["WEEK0", "WEEK4"],
            "items": [{"codes": [1, 2, 3], "min": 0, "max": 4}],
            "scales": [
                {
                    "code": "TOYTOT",
                    "label": "Toy total (0-12)",
                    "items": [1, 2, 3],
                    "aggregate": "sum",
                    "max_missing": 1,
                },
            ],
        }
    },
    "populations": {"per_protocol": {"min_minutes": 20, "min_fraction_of_days": 0.5}},
    "analysis": {
        "outcomes": ["TOYTOT"],
        "primary": {"outcome": "TOYTOT"},
        "responder": {"outcome": "TOYTOT"},
    },
}


def tiny_config() -> dict:
    """The default config with TOY as its only instrument and two visits."""
    config = load_config(ROOT / "config" / "config.yaml")
    config["instruments"] = {}
    config.pop("simulation")
    from rlstrial.config import deep_merge, validate_config

    return validate_config(deep_merge(config, TINY_OVERRIDES))


def write_files(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture
def tiny_raw(tmp_path) -> Path:
    """The tiny raw folder, written fresh for each test."""
    return write_files(tmp_path / "raw", TINY_FILES)


@pytest.fixture(scope="session")
def default_config() -> dict:
    return load_config(ROOT / "config" / "config.yaml")


@pytest.fixture(scope="session")
def park_config() -> dict:
    return load_config(ROOT / "config" / "config.yaml", ROOT / "config" / "park2020.yaml")


@pytest.fixture(scope="session")
def default_plan(default_config) -> Plan:
    return build_plan(default_config)


@pytest.fixture(scope="session")
def park_plan(park_config) -> Plan:
    return build_plan(park_config)


def make_analysis(
    name: str = "t",
    baseline: str = "none",
    population: str = "ITTFL",
    covariates: tuple[str, ...] = ("SITEID",),
    model: str = "mmrm",
) -> Analysis:
    """One analysis of a plan, for tests that fit a model directly."""
    return Analysis(name, baseline, model, population, covariates)


@pytest.fixture(scope="session")
def small_trial(tmp_path_factory) -> tuple[Path, dict]:
    """A seeded synthetic factorial trial of 60 participants: (raw folder, config)."""
    config = load_config(
        ROOT / "config" / "config.yaml",
        overrides={"simulation": {"n_randomized": 60, "seed": 7}},
    )
    folder = tmp_path_factory.mktemp("small_trial") / "raw"
    write_raw_folder(simulate_trial(config), folder, "synthetic test trial\n")
    return folder, config


@pytest.fixture
def park_raw_copy(tmp_path) -> Path:
    """A writable copy of the Park replica's raw folder."""
    return Path(shutil.copytree(ROOT / "data" / "park2020" / "raw", tmp_path / "raw"))


def primary_visit_trial(
    changes: dict[str, list], strata: dict[str, list] | None = None, baseline=None
):
    """adqs/adsl of the IRLS total: baseline 20 (or given per arm) and a week-4 value of
    baseline + change for each given change (None: no week-4 value)."""
    rows, subjects = [], []
    for arm, values in changes.items():
        for k, value in enumerate(values):
            uid = f"{arm}{k}"
            base = 20.0 if baseline is None else baseline[arm][k]
            stratum = strata[arm][k] if strata else "all"
            subjects.append({"USUBJID": uid, "TRT01P": arm, "ITTFL": "Y", "STRATUM": stratum})
            rows.append(
                {
                    "USUBJID": uid,
                    "TRT01P": arm,
                    "PARAMCD": "IRLSTOT",
                    "AVISIT": "Baseline",
                    "ABLFL": "Y",
                    "ANL01FL": "Y",
                    "AVAL": base,
                    "CHG": np.nan,
                }
            )
            if value is not None:
                rows.append(
                    {
                        "USUBJID": uid,
                        "TRT01P": arm,
                        "PARAMCD": "IRLSTOT",
                        "AVISIT": "Week 4",
                        "ABLFL": "",
                        "ANL01FL": "Y",
                        "AVAL": base + value,
                        "CHG": value,
                    }
                )
    return pd.DataFrame(rows), pd.DataFrame(subjects)
