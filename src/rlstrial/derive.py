"""Analysis datasets (CDISC ADaM-style names) and the row ledger.

``derive_adsl``
    One row per randomized participant.
``derive_adqs``
    One row per participant x parameter x analysis visit.
``derive_adae``
    One row per adverse event.
``row_ledger``
    Where every raw row went: a dataset, or the exclusion log with a reason.

All functions take and return DataFrames; none reads or writes files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rlstrial.ingest import ROW
from rlstrial.plan import Design

ADSL_COLUMNS = [
    "USUBJID",
    "SITEID",
    "STRATUM",
    "RANDDT",
    "TRT01P",
    "TRT01PN",
    "MASSFL",
    "HEATFL",
    "AGE",
    "SEX",
    "RACE",
    "ETHNIC",
    "RLSDUR",
    "RLSMEDFL",
    "RLSMEDCL",
    "ITTFL",
    "SAFFL",
    "PPROTFL",
    "EOSSTT",
    "EOSDT",
    "DCSREAS",
    "DIARYDY",
    "ADHDY",
    "ADHPCT",
    "MASSMIN",
    "HEATMIN",
]

ADQS_COLUMNS = [
    "USUBJID",
    "SITEID",
    "TRT01P",
    "TRT01PN",
    "MASSFL",
    "HEATFL",
    "PARCAT1",
    "PARAMCD",
    "PARAM",
    "AVISIT",
    "AVISITN",
    "ADT",
    "ADY",
    "AVAL",
    "AVALCAT1",
    "BASE",
    "CHG",
    "PCHG",
    "ABLFL",
    "ANL01FL",
    "OUTWINFL",
    "DTYPE",
    "NITEMS",
    "NITEMSEXP",
]

ADAE_COLUMNS = [
    "USUBJID",
    "TRT01P",
    "AESEQ",
    "AETERM",
    "ASTDT",
    "ASTDY",
    "AESEV",
    "AESER",
    "AEREL",
]


def _yn(flags) -> np.ndarray:
    return np.where(np.asarray(flags, dtype=bool), "Y", "N")


def summarize_adherence(diary: pd.DataFrame, arms: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Adherence per participant from the daily diary.

    A day is adherent when every device of the participant's arm was used for at
    least ``populations.per_protocol.min_minutes`` (for the control arm, which has no
    device, every diary day is adherent).

    Parameters
    ----------
    diary
        Typed adherence diary: participant_id, diary_date, massager_minutes, heat_minutes.
    arms
        participant_id and TRT01P.

    Returns
    -------
    DataFrame
        Index participant_id; columns DIARYDY (diary days), ADHDY (adherent days),
        ADHPCT (100 x ADHDY / DIARYDY), MASSMIN and HEATMIN (mean minutes per diary
        day), ANYUSE (any device use at all).

    Examples
    --------
    >>> diary = pd.DataFrame({"participant_id": ["A", "A", "B"],
    ...                       "massager_minutes": [30.0, 5.0, 0.0],
    ...                       "heat_minutes": [0.0, 0.0, 0.0]})
    >>> arms = pd.DataFrame({"participant_id": ["A", "B"], "TRT01P": ["massager", "control"]})
    >>> cfg = {"arms": [{"code": "massager", "massager": True, "heat": False},
    ...                 {"code": "control", "massager": False, "heat": False}],
    ...        "populations": {"per_protocol": {"min_minutes": 20}}}
    >>> summarize_adherence(diary, arms, cfg)[["DIARYDY", "ADHDY", "ADHPCT", "MASSMIN"]]
                    DIARYDY  ADHDY  ADHPCT  MASSMIN
    participant_id
    A                     2      1    50.0     17.5
    B                     1      1   100.0      0.0
    """
    minimum = config["populations"]["per_protocol"]["min_minutes"]
    factors = {arm["code"]: arm for arm in config["arms"]}
    merged = diary.merge(arms[["participant_id", "TRT01P"]], on="participant_id", how="left")
    needs_massager = merged["TRT01P"].map(lambda a: factors[a]["massager"]).astype(bool)
    needs_heat = merged["TRT01P"].map(lambda a: factors[a]["heat"]).astype(bool)
    adherent = (~needs_massager | (merged["massager_minutes"] >= minimum)) & (
        ~needs_heat | (merged["heat_minutes"] >= minimum)
    )
    used = (needs_massager & (merged["massager_minutes"] > 0)) | (
        needs_heat & (merged["heat_minutes"] > 0)
    )
    grouped = merged.assign(_adherent=adherent, _used=used).groupby("participant_id")
    summary = pd.DataFrame(
        {
            "DIARYDY": grouped.size(),
            "ADHDY": grouped["_adherent"].sum().astype(int),
            "MASSMIN": grouped["massager_minutes"].mean(),
            "HEATMIN": grouped["heat_minutes"].mean(),
            "ANYUSE": grouped["_used"].any(),
        }
    )
    summary.insert(2, "ADHPCT", 100 * summary["ADHDY"] / summary["DIARYDY"])
    return summary


def derive_adsl(tables: dict[str, pd.DataFrame], config: dict) -> pd.DataFrame:
    """The subject-level analysis dataset: one row per randomized participant.

    Parameters
    ----------
    tables
        Typed raw tables (:func:`rlstrial.ingest.typed_tables`) of a validated folder.
    config
        A validated configuration (arms, populations).

    Returns
    -------
    DataFrame
        Columns :data:`ADSL_COLUMNS`: USUBJID, SITEID, STRATUM, RANDDT (randomization
        date), TRT01P (planned arm code), TRT01PN (arm number from 1: control,
        massager, heat, massager + heat, whatever the order of the arms in config),
        MASSFL/HEATFL (factor levels, Y/N), AGE, SEX, RACE, ETHNIC, RLSDUR (years with
        RLS), RLSMEDFL (on RLS medication, Y/N), RLSMEDCL, ITTFL (randomized), SAFFL
        (control, or any use of the allocated device), PPROTFL (per protocol: see
        ``populations.per_protocol``), EOSSTT (COMPLETED or DISCONTINUED), EOSDT,
        DCSREAS, DIARYDY, ADHDY, ADHPCT, MASSMIN, HEATMIN (see
        :func:`summarize_adherence`). Sorted by USUBJID.
    """
    design = Design.from_config(config["arms"], config["visits"])  # control first
    arms = {arm.code: (k + 1, arm) for k, arm in enumerate(design.arms)}
    rand = tables["randomization.csv"]
    adsl = pd.DataFrame(
        {
            "USUBJID": rand["participant_id"],
            "SITEID": rand["site"],
            "STRATUM": rand["stratum"],
            "RANDDT": rand["randomization_date"],
            "TRT01P": rand["arm"],
            "TRT01PN": rand["arm"].map(lambda a: arms[a][0]),
            "MASSFL": _yn(rand["arm"].map(lambda a: arms[a][1].massager)),
            "HEATFL": _yn(rand["arm"].map(lambda a: arms[a][1].heat)),
        }
    )
    base = tables["baseline.csv"].rename(
        columns={
            "participant_id": "USUBJID",
            "age": "AGE",
            "sex": "SEX",
            "race": "RACE",
            "ethnicity": "ETHNIC",
            "rls_years": "RLSDUR",
            "rls_medication_class": "RLSMEDCL",
        }
    )
    base["RLSMEDFL"] = np.where(
        base["rls_medication"].isna(), None, _yn(base["rls_medication"].fillna(False))
    )
    adsl = adsl.merge(
        base[["USUBJID", "AGE", "SEX", "RACE", "ETHNIC", "RLSDUR", "RLSMEDFL", "RLSMEDCL"]],
        on="USUBJID",
        how="left",
    )
    disposition = tables["disposition.csv"]
    completed = disposition["status"].eq("completed")
    reason = np.where(
        disposition["status"].eq("lost to follow-up"),
        "Lost to follow-up",
        "Withdrew: " + disposition["reason"].fillna("no reason given"),
    )
    disp = pd.DataFrame(
        {
            "USUBJID": disposition["participant_id"],
            "EOSSTT": np.where(completed, "COMPLETED", "DISCONTINUED"),
            "EOSDT": disposition["status_date"],
            "DCSREAS": np.where(completed, None, reason),
        }
    )
    adsl = adsl.merge(disp, on="USUBJID", how="left")
    adherence = summarize_adherence(
        tables["adherence.csv"], adsl.rename(columns={"USUBJID": "participant_id"}), config
    )
    adsl = adsl.merge(adherence, left_on="USUBJID", right_index=True, how="left")
    adsl[["DIARYDY", "ADHDY"]] = adsl[["DIARYDY", "ADHDY"]].fillna(0).astype(int)
    adsl["ANYUSE"] = adsl["ANYUSE"].fillna(False).astype(bool)

    rule = config["populations"]["per_protocol"]
    is_control = ~adsl["MASSFL"].eq("Y") & ~adsl["HEATFL"].eq("Y")
    adsl["ITTFL"] = "Y"
    adsl["SAFFL"] = _yn(is_control | adsl["ANYUSE"])
    fraction = adsl["ADHPCT"].fillna(0) / 100
    per_protocol = fraction >= rule["min_fraction_of_days"]
    if rule["require_completion"]:
        per_protocol &= adsl["EOSSTT"].eq("COMPLETED")
    adsl["PPROTFL"] = _yn(per_protocol)
    return adsl[ADSL_COLUMNS].sort_values("USUBJID", kind="stable").reset_index(drop=True)


def derive_adqs(scores: pd.DataFrame, adsl: pd.DataFrame, config: dict) -> pd.DataFrame:
    """The questionnaire analysis dataset.

    Parameters
    ----------
    scores
        Output of :func:`rlstrial.scoring.score_questionnaires`.
    adsl
        Output of :func:`derive_adsl`.
    config
        A validated configuration (visits, out_of_window).

    Returns
    -------
    DataFrame
        Columns :data:`ADQS_COLUMNS`. PARCAT1 is the instrument; AVISIT/AVISITN the
        visit label and week; ADY the day since randomization (day 0); ABLFL = Y on
        the baseline record; BASE the baseline AVAL; CHG = AVAL - BASE and PCHG =
        100 x CHG / BASE after baseline; OUTWINFL = Y when ADT is outside the visit
        window; ANL01FL = Y for records used in analysis (AVAL present, and within
        window unless ``out_of_window: keep``); DTYPE = PRORATED when the score was
        computed with missing items; NITEMS/NITEMSEXP the items answered/expected.
        Sorted by USUBJID, PARAMCD order of the configuration, AVISITN.
    """
    visits = {visit["code"]: visit for visit in config["visits"]}
    paramcds = [
        scale["code"] for spec in config["instruments"].values() for scale in spec["scales"]
    ]
    subject = adsl.set_index("USUBJID")
    adqs = scores.rename(columns={"INSTRUMENT": "PARCAT1"}).copy()
    for column in ("SITEID", "TRT01P", "TRT01PN", "MASSFL", "HEATFL"):
        adqs[column] = adqs["USUBJID"].map(subject[column])
    adqs["AVISIT"] = adqs["VISIT"].map(lambda v: visits[v]["label"])
    adqs["AVISITN"] = adqs["VISIT"].map(lambda v: visits[v]["week"])
    adqs["ADY"] = (adqs["ADT"] - adqs["USUBJID"].map(subject["RANDDT"])).dt.days
    low = adqs["VISIT"].map(lambda v: visits[v]["window"][0])
    high = adqs["VISIT"].map(lambda v: visits[v]["window"][1])
    outside = (adqs["ADY"] < low) | (adqs["ADY"] > high)
    adqs["OUTWINFL"] = np.where(outside, "Y", "")
    is_baseline = adqs["VISIT"].map(lambda v: bool(visits[v].get("baseline")))
    adqs["ABLFL"] = np.where(is_baseline, "Y", "")
    usable = adqs["AVAL"].notna()
    if config["out_of_window"] == "exclude":
        usable &= ~outside
    adqs["ANL01FL"] = np.where(usable, "Y", "")
    baseline = adqs[is_baseline & usable].set_index(["USUBJID", "PARAMCD"])["AVAL"]
    keys = pd.MultiIndex.from_frame(adqs[["USUBJID", "PARAMCD"]])
    adqs["BASE"] = baseline.reindex(keys).to_numpy()
    adqs["CHG"] = np.where(is_baseline, np.nan, adqs["AVAL"] - adqs["BASE"])
    with np.errstate(divide="ignore", invalid="ignore"):
        pchg = 100 * adqs["CHG"] / adqs["BASE"]
    adqs["PCHG"] = pchg.where(adqs["BASE"] != 0)
    adqs["_param"] = adqs["PARAMCD"].map({code: k for k, code in enumerate(paramcds)})
    adqs = adqs.sort_values(["USUBJID", "_param", "AVISITN"], kind="stable")
    return adqs[ADQS_COLUMNS].reset_index(drop=True)


def derive_adae(adverse_events: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """The adverse-event analysis dataset: one row per event.

    Returns
    -------
    DataFrame
        Columns :data:`ADAE_COLUMNS`: USUBJID, TRT01P, AESEQ (1, 2, ... per
        participant in onset order), AETERM, ASTDT (onset), ASTDY (days since
        randomization), AESEV, AESER and AEREL (Y/N).
    """
    subject = adsl.set_index("USUBJID")
    events = adverse_events.sort_values(["participant_id", "onset_date", ROW], kind="stable")
    adae = pd.DataFrame(
        {
            "USUBJID": events["participant_id"],
            "TRT01P": events["participant_id"].map(subject["TRT01P"]),
            "AETERM": events["term"],
            "ASTDT": events["onset_date"],
            "ASTDY": (
                events["onset_date"] - events["participant_id"].map(subject["RANDDT"])
            ).dt.days,
            "AESEV": events["severity"].str.upper(),
            "AESER": _yn(events["serious"].fillna(False)),
            "AEREL": _yn(events["device_related"].fillna(False)),
        }
    )
    adae.insert(2, "AESEQ", adae.groupby("USUBJID").cumcount() + 1)
    return adae[ADAE_COLUMNS].reset_index(drop=True)


LEDGER_COLUMNS = ["file", "row", "dataset", "USUBJID", "key", "reason"]


def row_ledger(tables: dict[str, pd.DataFrame], adqs: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Where every raw row went.

    Parameters
    ----------
    tables
        Typed raw tables, each with the ``_row`` line numbers.
    adqs
        Output of :func:`derive_adqs` (for out-of-window exclusions).
    config
        A validated configuration (instrument scales, out_of_window).

    Returns
    -------
    DataFrame
        One row per raw row, columns :data:`LEDGER_COLUMNS`: file, row (line
        number), dataset (adsl, adqs, adae or ``excluded``), USUBJID, key (which
        record it fed) and reason (why it was excluded).
    """
    entries = []

    def add(name, frame, dataset, key, reason=""):
        entries.append(
            pd.DataFrame(
                {
                    "file": name,
                    "row": frame[ROW].to_numpy(),
                    "dataset": dataset,
                    "USUBJID": frame["participant_id"].to_numpy(),
                    "key": key,
                    "reason": reason,
                }
            )
        )

    screening = tables["screening.csv"]
    randomized = screening["participant_id"].notna()
    add("screening.csv", screening[randomized], "adsl", "screening")
    not_randomized = screening[~randomized]
    reason = np.where(
        not_randomized["eligible"].fillna(False),
        "screened, not randomized: eligible but did not consent",
        "screened, not randomized: " + not_randomized["ineligible_reason"].fillna("ineligible"),
    )
    add("screening.csv", not_randomized, "excluded", "screening", reason)
    for name in ("randomization.csv", "baseline.csv", "disposition.csv"):
        add(name, tables[name], "adsl", name.removesuffix(".csv"))
    add("adherence.csv", tables["adherence.csv"], "adsl", "adherence summary")
    add("adverse_events.csv", tables["adverse_events.csv"], "adae", "adverse event")

    responses = tables["questionnaires.csv"]
    scored_items = {
        (code, item)
        for code, spec in config["instruments"].items()
        for scale in spec["scales"]
        for item in scale["items"]
    }
    used = pd.Series(
        [
            (i, int(t)) in scored_items
            for i, t in zip(responses["instrument"], responses["item"], strict=True)
        ],
        index=responses.index,
        dtype=bool,
    )
    key = responses["instrument"] + "/" + responses["visit"]
    excluded_visits = set()
    if config["out_of_window"] == "exclude":
        outside = adqs[adqs["OUTWINFL"].eq("Y")]
        visit_codes = {v["label"]: v["code"] for v in config["visits"]}
        excluded_visits = set(
            zip(
                outside["USUBJID"],
                outside["PARCAT1"] + "/" + outside["AVISIT"].map(visit_codes),
                strict=True,
            )
        )
    out_of_window = pd.Series(
        [(p, k) in excluded_visits for p, k in zip(responses["participant_id"], key, strict=True)],
        index=responses.index,
        dtype=bool,
    )
    into_adqs = used & ~out_of_window
    add("questionnaires.csv", responses[into_adqs], "adqs", key[into_adqs])
    add(
        "questionnaires.csv",
        responses[out_of_window],
        "excluded",
        key[out_of_window],
        "assessment outside its visit window (out_of_window: exclude)",
    )
    unused = ~used & ~out_of_window
    add(
        "questionnaires.csv",
        responses[unused],
        "excluded",
        key[unused],
        "item is not part of any configured scale",
    )
    ledger = pd.concat(entries, ignore_index=True)
    return ledger.sort_values(["file", "row"], kind="stable").reset_index(drop=True)[LEDGER_COLUMNS]
