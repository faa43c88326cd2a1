"""A synthetic REDCap project of a simulated trial: the exports a data manager downloads.

:func:`redcap_project` turns the seven raw tables of a trial (as
:func:`rlstrial.simulate.simulate_trial` gives them, or as read from a raw folder) into
the two exports of a longitudinal REDCap project, built as a trial's data manager
would build it:

* records numbered at screening (``record_id`` is the screening number), the
  participant identifier entered on the randomization form, one data access group per
  site (``s01``, ``s02``, ...; screen failures belong to none);
* events ``screening_arm_1``, ``baseline_arm_1``, ``week_<n>_arm_1`` (the visits of the
  configuration), ``diary_arm_1`` (repeating instrument ``diary``, one instance per
  diary day), ``adverse_events_arm_1`` (repeating instrument ``adverse_event``) and
  ``end_of_study_arm_1``;
* coded choices (radio, dropdown, yesno), a checkbox field (``rls_med_class``, the RLS
  medication classes), text validation (integer, number, date_ymd, with min and max),
  and ``[form]_complete`` 2 (Complete) for every form entered.

``config/redcap/mapping.yaml`` maps this project back onto the raw files, and
importing it (:func:`rlstrial.redcap.redcap_to_raw`) gives the tables it was made from.
The same tables give byte-identical files. Regenerate the bundled project with::

    .venv/bin/python -m rlstrial.simulate.redcap --configfile config/config.yaml
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pandas as pd

from rlstrial.config import load_config
from rlstrial.rawdata import RAW_FILES
from rlstrial.redcap import (
    CHOICES,
    DAG,
    DICTIONARY_COLUMNS,
    EVENT,
    FIELD_TYPE,
    FORM,
    REPEAT_INSTANCE,
    REPEAT_INSTRUMENT,
    VALIDATION,
    VALIDATION_MAX,
    VALIDATION_MIN,
    VARIABLE,
    checkbox_column,
    parse_choices,
)
from rlstrial.simulate import simulate_trial
from rlstrial.simulate.factorial import WITHDRAWAL_REASONS
from rlstrial.simulate.shared import INELIGIBLE_REASONS, MEDICATION_CLASSES, RACES

SCREENING, BASELINE = "screening_arm_1", "baseline_arm_1"
DIARY, ADVERSE_EVENTS, END_OF_STUDY = "diary_arm_1", "adverse_events_arm_1", "end_of_study_arm_1"
ETHNICITIES = ("Hispanic or Latino", "Not Hispanic or Latino")
SEXES = {"F": "Female", "M": "Male"}
AE_SEVERITIES = RAW_FILES["adverse_events.csv"].columns[3].allowed  # mild, moderate, severe
STATUSES = RAW_FILES["disposition.csv"].columns[1].allowed  # completed, withdrew, lost ...
YES_NO = {"yes": "1", "no": "0"}
# Choice labels of questionnaire items, by instrument and response range; other items
# are labelled with their codes.
ITEM_LABELS = {
    ("IRLS", 0, 4): ("None", "Mild", "Moderate", "Severe", "Very severe"),
    ("MOS", 1, 5): (
        "0-15 minutes",
        "16-30 minutes",
        "31-45 minutes",
        "46-60 minutes",
        "More than 60 minutes",
    ),
    ("MOS", 1, 6): (
        "All of the time",
        "Most of the time",
        "A good bit of the time",
        "Some of the time",
        "A little of the time",
        "None of the time",
    ),
}
NOTE = """# SYNTHETIC DATA

A REDCap project's exports (data dictionary and records, raw coded values), generated
by `rlstrial.simulate.redcap` from the simulated trial of `{configs}` (design
`{design}`, seed {seed}); no real person is described. `config/redcap/mapping.yaml`
maps it onto the raw data contract: importing it gives the files of data/raw. Regenerate
byte-identically with:

    .venv/bin/python -m rlstrial.simulate.redcap {options}

- `data_dictionary.csv`: the project's metadata (REDCap's data dictionary export).
- `records.csv`: the records export (CSV, raw values), longitudinal (events
  `screening_arm_1`, `baseline_arm_1`, `week_<n>_arm_1`, `diary_arm_1`,
  `adverse_events_arm_1`, `end_of_study_arm_1`), with the repeating instruments `diary`
  and `adverse_event`, a checkbox field (`rls_med_class___<code>`), form status fields
  (`[form]_complete`) and a data access group per site.

They are inputs: the workflow never writes here.
"""


def coded(labels: tuple[str, ...] | list[str], start: int = 1) -> dict[str, str]:
    """Codes (as text, from ``start``) for choice labels, in order.

    Examples
    --------
    >>> coded(["Female", "Male"])
    {'1': 'Female', '2': 'Male'}
    """
    return {str(code): label for code, label in enumerate(labels, start=start)}


def choice_text(choices: dict[str, str]) -> str:
    """Choices as the data dictionary writes them.

    Examples
    --------
    >>> choice_text({"1": "Female", "2": "Male"})
    '1, Female | 2, Male'
    """
    return " | ".join(f"{code}, {label}" for code, label in choices.items())


def dictionary_row(
    name: str, form: str, kind: str, label: str, choices: dict | None = None, **more: str
) -> dict[str, str]:
    """One field of the data dictionary; ``more`` sets other columns by short name
    (``validation``, ``low``, ``high``, ``branching``, ``note``, ``required``)."""
    short = {
        "validation": VALIDATION,
        "low": VALIDATION_MIN,
        "high": VALIDATION_MAX,
        "branching": "Branching Logic (Show field only if...)",
        "note": "Field Note",
        "required": "Required Field?",
    }
    row = dict.fromkeys(DICTIONARY_COLUMNS, "")
    row.update({VARIABLE: name, FORM: form, FIELD_TYPE: kind, "Field Label": label})
    row[CHOICES] = choice_text(choices) if choices else ""
    row.update({short[key]: value for key, value in more.items()})
    return row


class Design:
    """The REDCap build: its events, forms, fields and the codes of coded choices.

    Parameters
    ----------
    tables
        The raw tables (for the sites and strata of the trial).
    config
        The configuration (arms, visits, instruments).
    """

    def __init__(self, tables: dict[str, pd.DataFrame], config: dict[str, Any]):
        randomization = tables["randomization.csv"]
        self.config = config
        self.sites = sorted(randomization["site"].unique())
        self.choices = {
            "scr_inelig_reason": coded(INELIGIBLE_REASONS),
            "rand_stratum": coded(sorted(randomization["stratum"].unique())),
            "rand_arm": coded([arm["label"] for arm in config["arms"]]),
            "sex": coded(list(SEXES.values())),
            "race": coded(RACES),
            "ethnicity": coded(ETHNICITIES),
            "rls_med_class": coded(MEDICATION_CLASSES),
            "ae_severity": coded([s.capitalize() for s in AE_SEVERITIES]),
            "eos_status": coded([s.capitalize() for s in STATUSES]),
            "eos_reason": coded([r.capitalize() for r in WITHDRAWAL_REASONS]),
        }
        # raw value -> code, for the coded fields
        self.codes = {
            "scr_inelig_reason": _inverse(self.choices["scr_inelig_reason"]),
            "rand_stratum": _inverse(self.choices["rand_stratum"]),
            "rand_arm": {arm["code"]: str(k) for k, arm in enumerate(config["arms"], 1)},
            "sex": {raw: str(k) for k, raw in enumerate(SEXES, 1)},
            "race": _inverse(self.choices["race"]),
            "ethnicity": _inverse(self.choices["ethnicity"]),
            "rls_med_class": _inverse(self.choices["rls_med_class"]),
            "ae_severity": {raw: str(k) for k, raw in enumerate(AE_SEVERITIES, 1)},
            "eos_status": {raw: str(k) for k, raw in enumerate(STATUSES, 1)},
            "eos_reason": {raw: str(k) for k, raw in enumerate(WITHDRAWAL_REASONS, 1)},
        }

    @property
    def visit_events(self) -> dict[str, str]:
        """Visit code -> event name, in the order of the weeks.

        Examples
        --------
        >>> design = Design({"randomization.csv": pd.DataFrame(
        ...     {"site": ["S01"], "stratum": ["S01:severe"]})}, load_config("config/config.yaml"))
        >>> design.visit_events["WEEK0"], design.visit_events["WEEK4"]
        ('baseline_arm_1', 'week_4_arm_1')
        """
        visits = sorted(self.config["visits"], key=lambda v: (not v.get("baseline"), v["week"]))
        return {
            v["code"]: BASELINE if v.get("baseline") else f"week_{v['week']:g}_arm_1"
            for v in visits
        }

    @property
    def events(self) -> list[str]:
        """Every event, in the project's order."""
        return [SCREENING, *self.visit_events.values(), DIARY, ADVERSE_EVENTS, END_OF_STUDY]

    def dag(self, site: str) -> str:
        """The data access group of a site (REDCap's unique group name)."""
        return site.lower()

    def dictionary(self) -> pd.DataFrame:
        """The data dictionary export."""
        rows = [
            *self._screening_fields(),
            *self._randomization_fields(),
            *self._demographics_fields(),
        ]
        for code, instrument in self.config["instruments"].items():
            rows += self._questionnaire_fields(code, instrument)
        rows += self._diary_fields() + self._adverse_event_fields() + self._end_of_study_fields()
        return pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS), dtype="str")

    def _screening_fields(self) -> list[dict]:
        c = self.choices
        return [
            dictionary_row("record_id", "screening", "text", "Screening number", required="y"),
            dictionary_row(
                "scr_date", "screening", "text", "Date of screening", validation="date_ymd"
            ),
            dictionary_row("scr_eligible", "screening", "yesno", "Met all eligibility criteria"),
            dictionary_row(
                "scr_inelig_reason",
                "screening",
                "radio",
                "Reason not eligible",
                c["scr_inelig_reason"],
                branching="[scr_eligible] = '0'",
            ),
            dictionary_row(
                "scr_consented",
                "screening",
                "yesno",
                "Gave informed consent",
                branching="[scr_eligible] = '1'",
            ),
        ]

    def _randomization_fields(self) -> list[dict]:
        c = self.choices
        return [
            dictionary_row(
                "participant_id",
                "randomization",
                "text",
                "Participant identifier",
                note="assigned at randomization, e.g. S01-001",
                required="y",
            ),
            dictionary_row(
                "rand_date",
                "randomization",
                "text",
                "Date of randomization",
                validation="date_ymd",
            ),
            dictionary_row(
                "rand_stratum",
                "randomization",
                "dropdown",
                "Stratum (site:severity)",
                c["rand_stratum"],
            ),
            dictionary_row("rand_arm", "randomization", "radio", "Allocated arm", c["rand_arm"]),
        ]

    def _demographics_fields(self) -> list[dict]:
        c = self.choices
        return [
            dictionary_row(
                "age",
                "demographics",
                "text",
                "Age (years)",
                validation="integer",
                low="18",
                high="100",
            ),
            dictionary_row("sex", "demographics", "radio", "Sex", c["sex"]),
            dictionary_row("race", "demographics", "radio", "Race", c["race"]),
            dictionary_row("ethnicity", "demographics", "radio", "Ethnicity", c["ethnicity"]),
            dictionary_row(
                "rls_years",
                "demographics",
                "text",
                "Years since RLS symptoms began",
                validation="number",
                low="0",
                high="80",
            ),
            dictionary_row("rls_med", "demographics", "yesno", "On oral RLS medication"),
            dictionary_row(
                "rls_med_class",
                "demographics",
                "checkbox",
                "Class of RLS medication",
                c["rls_med_class"],
                branching="[rls_med] = '1'",
                note="tick one",
            ),
        ]

    def _questionnaire_fields(self, code: str, instrument: dict) -> list[dict]:
        form = code.lower()
        rows = [
            dictionary_row(
                f"{form}_date", form, "text", f"Date {code} completed", validation="date_ymd"
            )
        ]
        for group in instrument["items"]:
            low, high = group["min"], group["max"]
            for item in group["codes"]:
                name, label = f"{form}_{item}", f"{code} item {item}"
                if group.get("integer", True):
                    default = [str(v) for v in range(int(low), int(high) + 1)]
                    labels = ITEM_LABELS.get((code, low, high), default)
                    rows.append(dictionary_row(name, form, "radio", label, coded(labels, int(low))))
                else:
                    rows.append(
                        dictionary_row(
                            name,
                            form,
                            "text",
                            label,
                            validation="number",
                            low=f"{low:g}",
                            high=f"{high:g}",
                        )
                    )
        return rows

    def _diary_fields(self) -> list[dict]:
        return [
            dictionary_row("diary_date", "diary", "text", "Diary day", validation="date_ymd"),
            dictionary_row(
                "diary_massager_min",
                "diary",
                "text",
                "Minutes of foot-massager use",
                validation="integer",
                low="0",
                high="1440",
            ),
            dictionary_row(
                "diary_heat_min",
                "diary",
                "text",
                "Minutes of heat therapy",
                validation="integer",
                low="0",
                high="1440",
            ),
        ]

    def _adverse_event_fields(self) -> list[dict]:
        c = self.choices
        form = "adverse_event"
        return [
            dictionary_row("ae_term", form, "text", "Adverse event (reported term)"),
            dictionary_row("ae_onset", form, "text", "Date of onset", validation="date_ymd"),
            dictionary_row("ae_severity", form, "radio", "Severity", c["ae_severity"]),
            dictionary_row("ae_serious", form, "yesno", "Serious adverse event"),
            dictionary_row("ae_device", form, "yesno", "Related to the device"),
        ]

    def _end_of_study_fields(self) -> list[dict]:
        c = self.choices
        form = "end_of_study"
        return [
            dictionary_row("eos_status", form, "radio", "End-of-study status", c["eos_status"]),
            dictionary_row(
                "eos_date",
                form,
                "text",
                "Date of completion or discontinuation",
                validation="date_ymd",
            ),
            dictionary_row(
                "eos_reason",
                form,
                "radio",
                "Reason for withdrawal",
                c["eos_reason"],
                branching="[eos_status] = '2'",
            ),
        ]


def _inverse(choices: dict[str, str]) -> dict[str, str]:
    return {label: code for code, label in choices.items()}


def _encode(values: pd.Series, codes: dict[str, str], name: str) -> pd.Series:
    """Raw values as REDCap codes (blank stays blank); a value without a code is an error.

    Examples
    --------
    >>> _encode(pd.Series(["yes", "", "no"]), YES_NO, "x").tolist()
    ['1', '', '0']
    """
    lacking = sorted(set(values[values.ne("") & ~values.isin(codes)]))
    if lacking:
        raise ValueError(f"{name}: no REDCap code for {', '.join(map(repr, lacking))}")
    return values.map(codes).where(values.ne(""), "")


def redcap_project(
    tables: dict[str, pd.DataFrame], config: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The REDCap exports (data dictionary, records) of a trial's raw tables.

    Parameters
    ----------
    tables
        The seven raw tables, text (:func:`rlstrial.simulate.simulate_trial`).
    config
        The configuration the tables follow (arms, visits, instruments).

    Returns
    -------
    dictionary, records : DataFrame
        Text tables as REDCap exports them: the data dictionary, and one records row
        per record, event and repeat instance (randomized participants first, in order
        of randomization, then screen failures; events in the project's order).

    Examples
    --------
    >>> cfg = load_config("config/config.yaml",
    ...                   overrides={"simulation": {"n_randomized": 8, "seed": 3}})
    >>> dictionary, records = redcap_project(simulate_trial(cfg), cfg)
    >>> records.columns[:5].tolist()
    ['record_id', 'redcap_event_name', 'redcap_repeat_instrument', 'redcap_repeat_instance',
     'redcap_data_access_group']
    >>> records["redcap_event_name"].iloc[:2].tolist()
    ['screening_arm_1', 'baseline_arm_1']
    """
    design = Design(tables, config)
    dictionary = design.dictionary()
    record_of = _record_ids(tables)
    parts = [
        _screening(tables, design),
        _randomization(tables, design, record_of),
        _demographics(tables, design, record_of),
        *_questionnaires(tables, design, record_of),
        _end_of_study(tables, design, record_of),
    ]
    single = pd.concat(parts, axis=1).reset_index()
    single[[REPEAT_INSTRUMENT, REPEAT_INSTANCE]] = ""
    rows = pd.concat(
        [single, _diary(tables, record_of), _adverse_events(tables, design, record_of)]
    )
    return dictionary, _arrange(rows, tables, design, dictionary, record_of)


def _record_ids(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Participant identifier -> record (the screening number)."""
    screening = tables["screening.csv"]
    randomized = screening[screening["participant_id"].ne("")]
    return dict(zip(randomized["participant_id"], randomized["screening_id"], strict=True))


def _indexed(frame: dict, records: pd.Series, event: str | pd.Series) -> pd.DataFrame:
    """A part of the non-repeating rows, indexed by (record, event)."""
    index = pd.MultiIndex.from_arrays(
        [records.to_numpy(), pd.Series(event, index=records.index).to_numpy()],
        names=["record_id", EVENT],
    )
    return pd.DataFrame({k: pd.Series(v).to_numpy() for k, v in frame.items()}, index=index)


def _screening(tables, design: Design) -> pd.DataFrame:
    s = tables["screening.csv"]
    return _indexed(
        {
            "scr_date": s["screening_date"],
            "scr_eligible": _encode(s["eligible"], YES_NO, "eligible"),
            "scr_inelig_reason": _encode(
                s["ineligible_reason"], design.codes["scr_inelig_reason"], "ineligible_reason"
            ),
            "scr_consented": _encode(s["consented"], YES_NO, "consented"),
            "screening_complete": pd.Series("2", index=s.index),
        },
        s["screening_id"],
        SCREENING,
    )


def _randomization(tables, design: Design, record_of: dict) -> pd.DataFrame:
    r = tables["randomization.csv"]
    return _indexed(
        {
            "participant_id": r["participant_id"],
            "rand_date": r["randomization_date"],
            "rand_stratum": _encode(r["stratum"], design.codes["rand_stratum"], "stratum"),
            "rand_arm": _encode(r["arm"], design.codes["rand_arm"], "arm"),
            "randomization_complete": pd.Series("2", index=r.index),
        },
        r["participant_id"].map(record_of),
        BASELINE,
    )


def _demographics(tables, design: Design, record_of: dict) -> pd.DataFrame:
    b = tables["baseline.csv"]
    codes = design.codes
    med_class = _encode(b["rls_medication_class"], codes["rls_med_class"], "rls_medication_class")
    frame = {
        "age": b["age"],
        "sex": _encode(b["sex"], codes["sex"], "sex"),
        "race": _encode(b["race"], codes["race"], "race"),
        "ethnicity": _encode(b["ethnicity"], codes["ethnicity"], "ethnicity"),
        "rls_years": b["rls_years"],
        "rls_med": _encode(b["rls_medication"], YES_NO, "rls_medication"),
    }
    for code in design.choices["rls_med_class"]:
        frame[checkbox_column("rls_med_class", code)] = med_class.eq(code).map(
            {True: "1", False: "0"}
        )
    frame["demographics_complete"] = pd.Series("2", index=b.index)
    return _indexed(frame, b["participant_id"].map(record_of), BASELINE)


def _questionnaires(tables, design: Design, record_of: dict) -> list[pd.DataFrame]:
    """One part per instrument: its form at each visit it was completed."""
    q = tables["questionnaires.csv"]
    parts = []
    for code in design.config["instruments"]:
        form = code.lower()
        answers = q[q["instrument"] == code]
        keys = ["participant_id", "visit"]
        wide = answers.pivot(index=keys, columns="item", values="response")
        wide.columns = [f"{form}_{item}" for item in wide.columns]
        wide = wide.fillna("").astype("str")
        wide.insert(0, f"{form}_date", answers.groupby(keys)["assessment_date"].first())
        wide[f"{form}_complete"] = "2"
        records = wide.index.get_level_values(0).map(record_of)
        events = wide.index.get_level_values(1).map(design.visit_events)
        wide.index = pd.MultiIndex.from_arrays([records, events], names=["record_id", EVENT])
        parts.append(wide)
    return parts


def _end_of_study(tables, design: Design, record_of: dict) -> pd.DataFrame:
    d = tables["disposition.csv"]
    return _indexed(
        {
            "eos_status": _encode(d["status"], design.codes["eos_status"], "status"),
            "eos_date": d["status_date"],
            "eos_reason": _encode(d["reason"], design.codes["eos_reason"], "reason"),
            "end_of_study_complete": pd.Series("2", index=d.index),
        },
        d["participant_id"].map(record_of),
        END_OF_STUDY,
    )


def _repeating(table: pd.DataFrame, record_of: dict, event: str, form: str) -> pd.DataFrame:
    """The records rows of a repeating instrument: one instance per row of ``table``,
    numbered within participant in the table's order."""
    return pd.DataFrame(
        {
            "record_id": table["participant_id"].map(record_of),
            EVENT: event,
            REPEAT_INSTRUMENT: form,
            REPEAT_INSTANCE: (table.groupby("participant_id").cumcount() + 1).astype("str"),
            f"{form}_complete": "2",
        },
        index=table.index,
    )


def _diary(tables, record_of: dict) -> pd.DataFrame:
    a = tables["adherence.csv"]
    return _repeating(a, record_of, DIARY, "diary").assign(
        diary_date=a["diary_date"],
        diary_massager_min=a["massager_minutes"],
        diary_heat_min=a["heat_minutes"],
    )


def _adverse_events(tables, design: Design, record_of: dict) -> pd.DataFrame:
    e = tables["adverse_events.csv"]
    return _repeating(e, record_of, ADVERSE_EVENTS, "adverse_event").assign(
        ae_term=e["term"],
        ae_onset=e["onset_date"],
        ae_severity=_encode(e["severity"], design.codes["ae_severity"], "severity"),
        ae_serious=_encode(e["serious"], YES_NO, "serious"),
        ae_device=_encode(e["device_related"], YES_NO, "device_related"),
    )


def _columns(dictionary: pd.DataFrame) -> list[str]:
    """The records export's columns: the special ones, then each form's fields and status."""
    columns = ["record_id", EVENT, REPEAT_INSTRUMENT, REPEAT_INSTANCE, DAG]
    for form, fields in dictionary.groupby(FORM, sort=False):
        for name, kind, choices in zip(
            fields[VARIABLE], fields[FIELD_TYPE], fields[CHOICES], strict=True
        ):
            if name == "record_id":
                continue
            if kind == "checkbox":
                columns += [checkbox_column(name, code) for code in parse_choices(choices)[0]]
            else:
                columns.append(name)
        columns.append(f"{form}_complete")
    return columns


def _arrange(rows, tables, design: Design, dictionary, record_of: dict) -> pd.DataFrame:
    """The records in export order, with every column and each record's access group."""
    randomized = [record_of[pid] for pid in tables["randomization.csv"]["participant_id"]]
    screened = tables["screening.csv"]["screening_id"].tolist()
    order = {record: k for k, record in enumerate(dict.fromkeys(randomized + screened))}
    site = dict(zip(randomized, tables["randomization.csv"]["site"], strict=True))
    rows = rows.assign(
        _record=rows["record_id"].map(order),
        _event=rows[EVENT].map({e: k for k, e in enumerate(design.events)}),
        _instance=pd.to_numeric(rows[REPEAT_INSTANCE].replace("", "0")),
    ).sort_values(["_record", "_event", "_instance"], kind="stable")
    rows[DAG] = rows["record_id"].map(lambda r: design.dag(site[r]) if r in site else "")
    columns = _columns(dictionary)
    records = rows.reindex(columns=columns).fillna("").astype("str").reset_index(drop=True)
    boxes = [c for c in columns if "___" in c]
    single = records[REPEAT_INSTRUMENT].eq("")
    records.loc[single, boxes] = records.loc[single, boxes].replace("", "0")
    return records


def write_redcap_project(
    dictionary: pd.DataFrame, records: pd.DataFrame, folder: str | Path, note: str
) -> None:
    """Write the exports (``data_dictionary.csv``, ``records.csv``: UTF-8, LF line ends)
    and a README marking them as synthetic."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in (("data_dictionary.csv", dictionary), ("records.csv", records)):
        table.to_csv(folder / name, index=False, lineterminator="\n", encoding="utf-8")
    (folder / "README.md").write_text(note, encoding="utf-8")


@click.command()
@click.option(
    "--configfile",
    "configfiles",
    multiple=True,
    default=["config/config.yaml"],
    show_default=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Configuration files, later ones merged over earlier ones.",
)
@click.option("--out", type=click.Path(file_okay=False), default="data/redcap", show_default=True)
def main(configfiles: tuple[str, ...], out: str) -> None:
    """Write the synthetic REDCap project of the configuration's simulated trial."""
    config = load_config(*configfiles)
    dictionary, records = redcap_project(simulate_trial(config), config)
    options = " ".join(f"--configfile {c}" for c in configfiles)
    sim = config["simulation"]
    note = NOTE.format(
        configs=" + ".join(configfiles), design=sim["design"], seed=sim["seed"], options=options
    )
    write_redcap_project(dictionary, records, out, note)
    click.echo(f"wrote {len(records)} records rows to {out}")


if __name__ == "__main__":
    main()
