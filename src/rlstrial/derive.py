"""Analysis datasets (CDISC ADaM-style names) and the row ledger.

``derive_adsl``
    One row per randomized participant.
``derive_adqs``
    One row per participant x parameter x analysis visit.
``derive_adae``
    One row per adverse event.
``row_ledger``
    Where every raw row went: a dataset, or the exclusion log with a reason.

Each dataset's metadata (:data:`ADSL`, :data:`ADQS`, :data:`ADAE`; :data:`DATASETS`)
stands next to its derivation: a :class:`Dataset` of :class:`Variable` records (name,
label, type, source, codelist, derivation in words). The derivation takes its columns
from it, and :mod:`rlstrial.submission` writes the transport files and the dataset
specification from it, so the two cannot drift apart.

All functions take and return DataFrames; none reads or writes files.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from rlstrial.ingest import ROW
from rlstrial.plan import Design


@dataclass(frozen=True)
class Variable:
    """What a reviewer reads about one analysis-dataset variable (the specification).

    Parameters
    ----------
    name, label
        The ADaM name (at most 8 characters) and label (at most 40).
    type
        ``"Char"`` or ``"Num"``; a date is ``"Num"`` with ``format="DATE9."``.
    derivation
        How the value is derived, in words.
    source
        Where the value comes from: ``file.csv column``, ``ADSL.<name>`` (a
        predecessor), ``configuration ...``, or ``derived``.
    codelist
        ``"NY"`` (Y/N), ``"Y"`` (Y or blank), ``"arms"`` (the arm codes of the
        configuration, with their labels), ``"values"`` (the distinct values in the
        data) or ``""`` (none: free text or a measurement).
    decode
        With ``codelist="values"``: the variable that decodes each value (PARAMCD is
        decoded by PARAM).
    format
        The SAS display format: ``"DATE9."`` for dates, else ``""``.
    """

    name: str
    label: str
    type: str
    derivation: str
    source: str = "derived"
    codelist: str = ""
    decode: str = ""
    format: str = ""


@dataclass(frozen=True)
class Dataset:
    """An analysis dataset's metadata: name, label, ADaM class, structure, keys and
    variables, in the order of the dataset's columns."""

    name: str
    label: str
    adam_class: str
    structure: str
    keys: tuple[str, ...]
    variables: tuple[Variable, ...]

    @property
    def columns(self) -> list[str]:
        """The variable names, in order: the columns of the derived dataset."""
        return [variable.name for variable in self.variables]

    def variable(self, name: str) -> Variable:
        """The variable called ``name``."""
        for variable in self.variables:
            if variable.name == name:
                return variable
        raise KeyError(f"{self.name} has no variable {name!r}")


def _char(name, label, derivation, source="derived", codelist="", decode=""):
    return Variable(name, label, "Char", derivation, source, codelist, decode)


def _num(name, label, derivation, source="derived", codelist="", decode=""):
    return Variable(name, label, "Num", derivation, source, codelist, decode)


def _date(name, label, derivation, source):
    return Variable(name, label, "Num", derivation, source, format="DATE9.")


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


ADSL = Dataset(
    name="ADSL",
    label="Subject-Level Analysis Dataset",
    adam_class="SUBJECT LEVEL ANALYSIS DATASET",
    structure="One record per randomized subject",
    keys=("USUBJID",),
    variables=(
        _char(
            "USUBJID",
            "Unique Subject Identifier",
            "The participant identifier assigned at randomization.",
            "randomization.csv participant_id",
        ),
        _char(
            "SITEID", "Study Site Identifier", "As recorded.", "randomization.csv site", "values"
        ),
        _char(
            "STRATUM",
            "Randomization Stratum",
            "As recorded.",
            "randomization.csv stratum",
            "values",
        ),
        _date(
            "RANDDT",
            "Date of Randomization",
            "As recorded; study day 0.",
            "randomization.csv randomization_date",
        ),
        _char(
            "TRT01P",
            "Planned Treatment for Period 01",
            "The assigned arm's code (an alias in the raw file mapped to its code).",
            "randomization.csv arm",
            "arms",
        ),
        _num(
            "TRT01PN",
            "Planned Treatment for Period 01 (N)",
            "Arm number from 1 in the order control, massager, heat, massager + heat,"
            " whatever the order of the arms in the configuration.",
            codelist="values",
            decode="TRT01P",
        ),
        _char(
            "MASSFL",
            "Foot Massager Allocated Flag",
            "Y when the arm includes the foot massager (massager factor level), else N.",
            "configuration arms massager",
            "NY",
        ),
        _char(
            "HEATFL",
            "Heat Therapy Allocated Flag",
            "Y when the arm includes heat therapy (heat factor level), else N.",
            "configuration arms heat",
            "NY",
        ),
        _num(
            "AGE", "Age (Years)", "Age in years at randomization, as recorded.", "baseline.csv age"
        ),
        _char("SEX", "Sex", "As recorded.", "baseline.csv sex", "values"),
        _char("RACE", "Race", "As recorded.", "baseline.csv race", "values"),
        _char("ETHNIC", "Ethnicity", "As recorded.", "baseline.csv ethnicity", "values"),
        _num(
            "RLSDUR",
            "Years Since RLS Symptoms Began",
            "As recorded.",
            "baseline.csv rls_years",
        ),
        _char(
            "RLSMEDFL",
            "On Oral RLS Medication Flag",
            "Y when rls_medication is yes, N when no; blank when not recorded.",
            "baseline.csv rls_medication",
            "NY",
        ),
        _char(
            "RLSMEDCL",
            "Class of RLS Medication",
            "As recorded; blank when none.",
            "baseline.csv rls_medication_class",
            "values",
        ),
        _char(
            "ITTFL",
            "Intent-To-Treat Population Flag",
            "Y for every randomized subject.",
            "derived",
            "NY",
        ),
        _char(
            "SAFFL",
            "Safety Population Flag",
            "Y for the control arm, and for a subject of another arm whose diary records any"
            " use of an allocated device; else N.",
            "adherence.csv",
            "NY",
        ),
        _char(
            "PPROTFL",
            "Per-Protocol Population Flag",
            "Y when ADHPCT / 100 is at least populations.per_protocol.min_fraction_of_days"
            " (0 without a diary) and, when require_completion is set, EOSSTT is COMPLETED;"
            " else N.",
            "derived",
            "NY",
        ),
        _char(
            "EOSSTT",
            "End of Study Status",
            "COMPLETED when status is completed, else DISCONTINUED; blank without a"
            " disposition record.",
            "disposition.csv status",
            "values",
        ),
        _date(
            "EOSDT",
            "End of Study Date",
            "Date of completion or discontinuation, as recorded.",
            "disposition.csv status_date",
        ),
        _char(
            "DCSREAS",
            "Reason for Discontinuation from Study",
            "'Lost to follow-up' when status is lost to follow-up; else 'Withdrew: ' and the"
            " reason ('no reason given' when empty); blank when completed.",
            "disposition.csv status, reason",
            "values",
        ),
        _num(
            "DIARYDY",
            "Number of Diary Days",
            "Diary days recorded; 0 without a diary.",
            "adherence.csv diary_date",
        ),
        _num(
            "ADHDY",
            "Number of Adherent Diary Days",
            "Diary days on which every device of the arm was used for at least"
            " populations.per_protocol.min_minutes (every diary day of the control arm);"
            " 0 without a diary.",
            "adherence.csv massager_minutes, heat_minutes",
        ),
        _num(
            "ADHPCT",
            "Percentage of Adherent Diary Days",
            "100 x ADHDY / DIARYDY; blank without a diary.",
        ),
        _num(
            "MASSMIN",
            "Mean Daily Foot Massager Use (min)",
            "Mean of massager_minutes over the diary days; blank without a diary.",
            "adherence.csv massager_minutes",
        ),
        _num(
            "HEATMIN",
            "Mean Daily Heat Therapy Use (min)",
            "Mean of heat_minutes over the diary days; blank without a diary.",
            "adherence.csv heat_minutes",
        ),
    ),
)
ADSL_COLUMNS = ADSL.columns


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
        The variables of :data:`ADSL`, in its order (each record says how the variable
        is derived). Sorted by USUBJID.
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
    return adsl[ADSL.columns].sort_values("USUBJID", kind="stable").reset_index(drop=True)


def _from_adsl(name: str) -> Variable:
    """A subject-level variable copied onto each record from ADSL."""
    return replace(ADSL.variable(name), source=f"ADSL.{name}", derivation="From ADSL by USUBJID.")


ADQS = Dataset(
    name="ADQS",
    label="Questionnaire Analysis Dataset",
    adam_class="BASIC DATA STRUCTURE",
    structure="One record per subject per parameter per analysis visit",
    keys=("USUBJID", "PARAMCD", "AVISITN"),
    variables=(
        _char(
            "USUBJID",
            "Unique Subject Identifier",
            "The participant identifier of the questionnaire.",
            "questionnaires.csv participant_id",
        ),
        *(_from_adsl(name) for name in ("SITEID", "TRT01P", "TRT01PN", "MASSFL", "HEATFL")),
        _char(
            "PARCAT1",
            "Parameter Category 1",
            "The instrument code.",
            "questionnaires.csv instrument",
            "values",
        ),
        _char(
            "PARAMCD",
            "Parameter Code",
            "The scale's code in the configuration.",
            "configuration instruments scales code",
            "values",
            "PARAM",
        ),
        _char(
            "PARAM",
            "Parameter",
            "The scale's label in the configuration.",
            "configuration instruments scales label",
        ),
        _char(
            "AVISIT",
            "Analysis Visit",
            "The nominal visit's label in the configuration.",
            "questionnaires.csv visit; configuration visits label",
            "values",
        ),
        _num(
            "AVISITN",
            "Analysis Visit (N)",
            "The nominal visit's week in the configuration.",
            "questionnaires.csv visit; configuration visits week",
            "values",
            "AVISIT",
        ),
        _date(
            "ADT",
            "Analysis Date",
            "Date the questionnaire was completed, as recorded.",
            "questionnaires.csv assessment_date",
        ),
        _num("ADY", "Analysis Relative Day", "ADT - RANDDT in days (randomization is day 0)."),
        _num(
            "AVAL",
            "Analysis Value",
            "The scale's score from its recoded items: their sum (with missing items, the"
            " mean of the answered items x the number of items) or their mean, as"
            " configured; blank when more than max_missing items are missing.",
            "questionnaires.csv response",
        ),
        _char(
            "AVALCAT1",
            "Analysis Value Category 1",
            "The first configured band of the scale whose max is at least AVAL; blank"
            " for scales without bands.",
            "configuration instruments scales bands",
            "values",
        ),
        _num(
            "BASE",
            "Baseline Value",
            "AVAL of the subject's baseline record (ABLFL = Y) of the parameter when it is"
            " used in analysis (ANL01FL = Y); else blank.",
        ),
        _num("CHG", "Change from Baseline", "AVAL - BASE after baseline; blank at baseline."),
        _num(
            "PCHG",
            "Percent Change from Baseline",
            "100 x CHG / BASE; blank when BASE is 0 or missing.",
        ),
        _char(
            "ABLFL",
            "Baseline Record Flag",
            "Y on the record of the baseline visit of the configuration; else blank.",
            "configuration visits baseline",
            "Y",
        ),
        _char(
            "ANL01FL",
            "Analysis Flag 01",
            "Y when AVAL is present and, under out_of_window: exclude, OUTWINFL is blank;"
            " else blank.",
            "derived",
            "Y",
        ),
        _char(
            "OUTWINFL",
            "Outside Visit Window Flag",
            "Y when ADY is outside the nominal visit's window in the configuration; else blank.",
            "configuration visits window",
            "Y",
        ),
        _char(
            "DTYPE",
            "Derivation Type",
            "PRORATED when AVAL was computed with items missing; else blank.",
            "derived",
            "values",
        ),
        _num("NITEMS", "Number of Items Answered", "Items of the scale answered."),
        _num(
            "NITEMEXP",
            "Number of Items in the Scale",
            "Items of the scale in the configuration.",
            "configuration instruments scales items",
        ),
    ),
)
ADQS_COLUMNS = ADQS.columns


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
        The variables of :data:`ADQS`, in its order (each record says how the variable
        is derived). Sorted by USUBJID, PARAMCD in the order of the configuration, and
        AVISITN.
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
    return adqs[ADQS.columns].reset_index(drop=True)


ADAE = Dataset(
    name="ADAE",
    label="Adverse Event Analysis Dataset",
    adam_class="OCCURRENCE DATA STRUCTURE",
    structure="One record per adverse event",
    keys=("USUBJID", "AESEQ"),
    variables=(
        _char(
            "USUBJID",
            "Unique Subject Identifier",
            "The participant identifier of the event.",
            "adverse_events.csv participant_id",
        ),
        _from_adsl("TRT01P"),
        _num(
            "AESEQ",
            "Sequence Number",
            "1, 2, ... per subject in order of onset date (then of the raw row).",
        ),
        _char(
            "AETERM",
            "Reported Term for the Adverse Event",
            "As recorded.",
            "adverse_events.csv term",
        ),
        _date(
            "ASTDT",
            "Analysis Start Date",
            "Onset date, as recorded.",
            "adverse_events.csv onset_date",
        ),
        _num(
            "ASTDY",
            "Analysis Start Relative Day",
            "ASTDT - RANDDT in days (randomization is day 0).",
        ),
        _char(
            "AESEV",
            "Severity/Intensity",
            "severity in upper case.",
            "adverse_events.csv severity",
            "values",
        ),
        _char(
            "AESER",
            "Serious Event",
            "Y when serious is yes, else N.",
            "adverse_events.csv serious",
            "NY",
        ),
        _char(
            "AEREL",
            "Device-Related Event",
            "Y when device_related is yes, else N.",
            "adverse_events.csv device_related",
            "NY",
        ),
    ),
)
ADAE_COLUMNS = ADAE.columns

#: The analysis datasets' metadata by the name of their files.
DATASETS = {"adsl": ADSL, "adqs": ADQS, "adae": ADAE}


def derive_adae(adverse_events: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """The adverse-event analysis dataset: one row per event.

    Returns
    -------
    DataFrame
        The variables of :data:`ADAE`, in its order (each record says how the variable
        is derived). Sorted by USUBJID and AESEQ.
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
    return adae[ADAE.columns].reset_index(drop=True)


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
