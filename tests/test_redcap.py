"""The REDCap import (rlstrial.redcap) and the synthetic REDCap project
(rlstrial.simulate.redcap): a tiny literal project, one defect per test, and the
round trip of the bundled project to data/raw."""

from __future__ import annotations

import filecmp
import io

import pandas as pd
import pytest
import yaml
from conftest import ROOT, tiny_config

from rlstrial.config import load_config
from rlstrial.ingest import read_raw_file
from rlstrial.redcap import (
    DICTIONARY_COLUMNS,
    LISTING_COLUMNS,
    MappingError,
    RedcapImportError,
    check_redcap,
    export_sha256,
    import_redcap,
    load_mapping,
    parse_mapping,
    read_redcap_project,
    redcap_to_raw,
    write_raw_tables,
)
from rlstrial.simulate import simulate_trial
from rlstrial.simulate.redcap import redcap_project, write_redcap_project

# A REDCap project small enough to check by eye: one randomized participant (record
# SCR-1, participant P1, site S01, massager arm) and one screen failure (SCR-3); the
# three-item TOY questionnaire (0-4) at baseline and week 4; one diary day and one
# adverse event as repeating instruments of the logs event. It holds the same data
# as P1 in the tiny raw folder of conftest.
DICTIONARY = """\
Variable / Field Name,Form Name,Field Type,"Choices, Calculations, OR Slider Labels",\
Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max
record_id,screening,text,,,,
scr_date,screening,text,,date_ymd,,
scr_eligible,screening,yesno,,,,
scr_reason,screening,text,,,,
scr_consent,screening,yesno,,,,
participant_id,randomization,text,,,,
rand_stratum,randomization,text,,,,
rand_date,randomization,text,,date_ymd,,
rand_arm,randomization,radio,"1, Control | 2, Massager",,,
age,demographics,text,,integer,18,100
sex,demographics,radio,"1, Female | 2, Male",,,
race,demographics,text,,,,
ethnicity,demographics,text,,,,
rls_years,demographics,text,,number,0,80
rls_med,demographics,yesno,,,,
rls_med_class,demographics,checkbox,"1, dopamine agonist | 2, iron",,,
toy_date,toy,text,,date_ymd,,
toy_1,toy,radio,"0, 0 | 1, 1 | 2, 2 | 3, 3 | 4, 4",,,
toy_2,toy,radio,"0, 0 | 1, 1 | 2, 2 | 3, 3 | 4, 4",,,
toy_3,toy,radio,"0, 0 | 1, 1 | 2, 2 | 3, 3 | 4, 4",,,
diary_date,diary,text,,date_ymd,,
diary_massager,diary,text,,integer,0,1440
diary_heat,diary,text,,integer,0,1440
ae_onset,adverse_event,text,,date_ymd,,
ae_term,adverse_event,text,,,,
ae_severity,adverse_event,radio,"1, mild | 2, moderate | 3, severe",,,
ae_serious,adverse_event,yesno,,,,
ae_device,adverse_event,yesno,,,,
eos_status,end_of_study,radio,"1, completed | 2, withdrew | 3, lost to follow-up",,,
eos_date,end_of_study,text,,date_ymd,,
eos_reason,end_of_study,text,,,,
"""


def row(record, event, instrument="", instance="", **values) -> dict:
    """One records row; fields not given are blank (record SCR-1 is in group s01)."""
    dag = "s01" if record == "SCR-1" else ""
    return {
        "record_id": record,
        "redcap_event_name": event,
        "redcap_repeat_instrument": instrument,
        "redcap_repeat_instance": instance,
        "redcap_data_access_group": dag,
        **values,
    }


def records_rows() -> list[dict]:
    return [
        row(
            "SCR-1",
            "screening_arm_1",
            scr_date="2024-01-02",
            scr_eligible="1",
            scr_consent="1",
            screening_complete="2",
        ),
        row(
            "SCR-1",
            "baseline_arm_1",
            participant_id="P1",
            rand_stratum="S01:severe",
            rand_date="2024-01-10",
            rand_arm="2",
            randomization_complete="2",
            age="60",
            sex="1",
            race="White",
            ethnicity="Not Hispanic or Latino",
            rls_years="12.5",
            rls_med="1",
            rls_med_class___1="1",
            rls_med_class___2="0",
            demographics_complete="2",
            toy_date="2024-01-09",
            toy_1="4",
            toy_2="3",
            toy_3="2",
            toy_complete="2",
        ),
        row(
            "SCR-1",
            "week_4_arm_1",
            toy_date="2024-02-07",
            toy_1="1",
            toy_2="",
            toy_3="2",
            toy_complete="2",
        ),
        row(
            "SCR-1",
            "logs_arm_1",
            "diary",
            "1",
            diary_date="2024-01-11",
            diary_massager="30",
            diary_heat="0",
            diary_complete="2",
        ),
        row(
            "SCR-1",
            "logs_arm_1",
            "adverse_event",
            "1",
            ae_onset="2024-01-20",
            ae_term="Foot pain",
            ae_severity="1",
            ae_serious="0",
            ae_device="1",
            adverse_event_complete="2",
        ),
        row(
            "SCR-1",
            "end_of_study_arm_1",
            eos_status="1",
            eos_date="2024-02-07",
            end_of_study_complete="2",
        ),
        row(
            "SCR-3",
            "screening_arm_1",
            scr_date="2024-01-04",
            scr_eligible="0",
            scr_reason="IRLS below entry threshold",
            screening_complete="2",
        ),
    ]


def mapping_data() -> dict:
    return {
        "participant_id": {"event": "baseline_arm_1", "field": "participant_id"},
        "events": {
            "screening_arm_1": {},
            "baseline_arm_1": {"visit": "WEEK0"},
            "week_4_arm_1": {"visit": "WEEK4"},
            "logs_arm_1": {},
            "end_of_study_arm_1": {},
        },
        "files": {
            "screening.csv": {
                "form": "screening",
                "event": "screening_arm_1",
                "columns": {
                    "screening_id": "record_id",
                    "screening_date": "scr_date",
                    "eligible": "scr_eligible",
                    "ineligible_reason": "scr_reason",
                    "consented": "scr_consent",
                    "participant_id": {"source": "participant_id"},
                },
            },
            "randomization.csv": {
                "form": "randomization",
                "event": "baseline_arm_1",
                "columns": {
                    "participant_id": "participant_id",
                    "site": {"source": "data_access_group", "values": {"s01": "S01"}},
                    "stratum": "rand_stratum",
                    "randomization_date": "rand_date",
                    "arm": {"field": "rand_arm", "values": {1: "control", 2: "massager"}},
                },
            },
            "baseline.csv": {
                "form": "demographics",
                "event": "baseline_arm_1",
                "columns": {
                    "participant_id": {"source": "participant_id"},
                    "age": "age",
                    "sex": {"field": "sex", "values": {1: "F", 2: "M"}},
                    "race": "race",
                    "ethnicity": "ethnicity",
                    "rls_years": "rls_years",
                    "rls_medication": "rls_med",
                    "rls_medication_class": "rls_med_class",
                },
            },
            "questionnaires.csv": {
                "instruments": {
                    "TOY": {
                        "form": "toy",
                        "assessment_date": "toy_date",
                        "items": {1: "toy_1", 2: "toy_2", 3: "toy_3"},
                    }
                }
            },
            "adherence.csv": {
                "form": "diary",
                "event": "logs_arm_1",
                "repeating": True,
                "columns": {
                    "participant_id": {"source": "participant_id"},
                    "diary_date": "diary_date",
                    "massager_minutes": "diary_massager",
                    "heat_minutes": "diary_heat",
                },
            },
            "adverse_events.csv": {
                "form": "adverse_event",
                "event": "logs_arm_1",
                "repeating": True,
                "columns": {
                    "participant_id": {"source": "participant_id"},
                    "onset_date": "ae_onset",
                    "term": "ae_term",
                    "severity": "ae_severity",
                    "serious": "ae_serious",
                    "device_related": "ae_device",
                },
            },
            "disposition.csv": {
                "form": "end_of_study",
                "event": "end_of_study_arm_1",
                "columns": {
                    "participant_id": {"source": "participant_id"},
                    "status": "eos_status",
                    "status_date": "eos_date",
                    "reason": "eos_reason",
                },
            },
        },
    }


# What importing the tiny project gives: P1's rows of the tiny raw folder (conftest).
EXPECTED = {
    "screening.csv": """\
screening_id,screening_date,eligible,ineligible_reason,consented,participant_id
SCR-1,2024-01-02,yes,,yes,P1
SCR-3,2024-01-04,no,IRLS below entry threshold,,
""",
    "randomization.csv": """\
participant_id,site,stratum,randomization_date,arm
P1,S01,S01:severe,2024-01-10,massager
""",
    "baseline.csv": """\
participant_id,age,sex,race,ethnicity,rls_years,rls_medication,rls_medication_class
P1,60,F,White,Not Hispanic or Latino,12.5,yes,dopamine agonist
""",
    "questionnaires.csv": """\
participant_id,visit,assessment_date,instrument,item,response
P1,WEEK0,2024-01-09,TOY,1,4
P1,WEEK0,2024-01-09,TOY,2,3
P1,WEEK0,2024-01-09,TOY,3,2
P1,WEEK4,2024-02-07,TOY,1,1
P1,WEEK4,2024-02-07,TOY,2,
P1,WEEK4,2024-02-07,TOY,3,2
""",
    "adherence.csv": """\
participant_id,diary_date,massager_minutes,heat_minutes
P1,2024-01-11,30,0
""",
    "adverse_events.csv": """\
participant_id,onset_date,term,severity,serious,device_related
P1,2024-01-20,Foot pain,mild,no,yes
""",
    "disposition.csv": """\
participant_id,status,status_date,reason
P1,completed,2024-02-07,
""",
}

WHERE = ["rule", "record", "event", "instance", "redcap_field", "value", "severity"]


def dictionary_table(text: str = DICTIONARY) -> pd.DataFrame:
    """The literal dictionary with every column of a REDCap export (others blank)."""
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return table.reindex(columns=list(DICTIONARY_COLUMNS), fill_value="")


def records_table(rows: list[dict], dictionary: pd.DataFrame) -> pd.DataFrame:
    """The rows as a records export: every column, blank where a row gives no value."""
    columns = list(rows[0])[:5]
    for form, fields in dictionary.groupby("Form Name", sort=False):
        for name, kind in zip(fields["Variable / Field Name"], fields["Field Type"], strict=True):
            if kind == "checkbox":
                columns += [f"{name}___1", f"{name}___2"]
            elif name != "record_id":
                columns.append(name)
        columns.append(f"{form}_complete")
    return pd.DataFrame([{c: r.get(c, "") for c in columns} for r in rows], dtype="str")


def write_project(folder, rows=None, mapping=None, dictionary=None):
    """Write the tiny project's exports and mapping; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    dictionary = dictionary_table() if dictionary is None else dictionary
    records = records_table(records_rows() if rows is None else rows, dictionary)
    dictionary.to_csv(folder / "data_dictionary.csv", index=False, lineterminator="\n")
    records.to_csv(folder / "records.csv", index=False, lineterminator="\n")
    text = yaml.safe_dump(mapping_data() if mapping is None else mapping, sort_keys=False)
    (folder / "mapping.yaml").write_text(text, encoding="utf-8")
    return folder / "data_dictionary.csv", folder / "records.csv", folder / "mapping.yaml"


def run_import(tmp_path, **changes):
    """Import the tiny project (with ``changes``) into tmp_path/raw."""
    paths = write_project(tmp_path / "redcap", **changes)
    out = tmp_path / "out"
    return import_redcap(
        *paths, tiny_config(), out / "raw", out / "queries.csv", out / "sha256.csv"
    )


def failed_import(tmp_path, **changes) -> pd.DataFrame:
    """Import the tiny project (with ``changes``): it must raise before writing anything;
    the listing it carries."""
    with pytest.raises(RedcapImportError) as raised:
        run_import(tmp_path, **changes)
    assert not (tmp_path / "out").exists()
    listing = raised.value.listing
    assert list(listing.columns) == LISTING_COLUMNS
    return plain(listing)


def plain(listing: pd.DataFrame) -> pd.DataFrame:
    """The listing with None for every missing value (easier to compare)."""
    return listing.astype(object).where(listing.notna(), None)


def hits(listing: pd.DataFrame, rule: str) -> list[tuple]:
    found = listing[listing["rule"] == rule]
    return list(found[WHERE[1:]].itertuples(index=False, name=None))


def edited(event, instrument="", **values) -> list[dict]:
    """The tiny records with ``values`` set in the row of ``event`` (and instrument)."""
    rows = records_rows()
    for r in rows:
        if (r["record_id"], r["redcap_event_name"]) == ("SCR-1", event) and (
            r["redcap_repeat_instrument"] == instrument
        ):
            r.update(values)
    return rows


# --- the tiny project ------------------------------------------------------------------


def test_tiny_project_imports_as_the_raw_files(tmp_path):
    listing = run_import(tmp_path)
    assert listing.empty
    for name, text in EXPECTED.items():
        assert (tmp_path / "out" / "raw" / name).read_text(encoding="utf-8") == text, name
    manifest = pd.read_csv(tmp_path / "out" / "sha256.csv")
    assert manifest["file"].tolist() == ["data_dictionary.csv", "records.csv"]


def test_tables_read_like_the_raw_csv_files(tmp_path):
    paths = write_project(tmp_path)
    tables = redcap_to_raw(*read_redcap_project(*paths[:2]), load_mapping(paths[2]), tiny_config())
    raw = tmp_path / "raw.csv"
    for name, text in EXPECTED.items():
        raw.write_text(text, encoding="utf-8")
        pd.testing.assert_frame_equal(tables[name], read_raw_file(raw).data.drop(columns="_row"))


def test_literal_tables_are_checked_without_files():
    dictionary = dictionary_table()
    records = records_table(edited("baseline_arm_1", age="17"), dictionary)
    listing = check_redcap(dictionary, records, parse_mapping(mapping_data()))
    assert listing[["rule", "file", "row", "field", "value"]].values.tolist() == [
        ["out_of_range", "records.csv", 3, "age", "17"]
    ]


# --- one defect per test ---------------------------------------------------------------


def test_value_outside_the_choices(tmp_path):
    listing = failed_import(tmp_path, rows=edited("baseline_arm_1", rand_arm="7"))
    assert hits(listing, "not_a_choice") == [
        ("SCR-1", "baseline_arm_1", None, "rand_arm", "7", "error")
    ]
    assert listing.loc[0, "message"] == "not a choice of rand_arm (1, Control | 2, Massager)"
    assert listing.loc[0, ["file", "row", "participant", "visit"]].tolist() == [
        "records.csv",
        3,
        "P1",
        "WEEK0",
    ]


def test_unticked_box_value_outside_0_and_1(tmp_path):
    listing = failed_import(tmp_path, rows=edited("baseline_arm_1", rls_med_class___2="2"))
    assert hits(listing, "not_a_choice") == [
        ("SCR-1", "baseline_arm_1", None, "rls_med_class", "2", "error")
    ]
    assert listing.loc[0, "field"] == "rls_med_class___2"


def test_unmapped_event(tmp_path):
    rows = records_rows()
    rows.insert(2, row("SCR-1", "week_2_arm_1", toy_date="2024-01-24", toy_1="2", toy_complete="2"))
    listing = failed_import(tmp_path, rows=rows)
    assert hits(listing, "unmapped_event") == [
        ("SCR-1", "week_2_arm_1", None, "redcap_event_name", "week_2_arm_1", "error")
    ]
    assert len(listing) == 1  # its values are not listed again


def test_field_in_mapping_missing_from_dictionary(tmp_path):
    mapping = mapping_data()
    mapping["files"]["baseline.csv"]["columns"]["race"] = "races"
    listing = failed_import(tmp_path, mapping=mapping)
    unknown = listing[listing["rule"] == "unknown_field"]
    assert unknown[
        ["file", "field", "record", "event", "instance", "redcap_field"]
    ].values.tolist() == [
        ["mapping.yaml", "files.baseline.csv.columns.race", None, "baseline_arm_1", None, "races"]
    ]
    assert unknown["message"].tolist() == [
        "field 'races' is not in the data dictionary; did you mean 'race'?"
    ]
    # the field the mapping does not read any more is listed too
    assert hits(listing, "unread_value") == [
        ("SCR-1", "baseline_arm_1", None, "race", "White", "error")
    ]


@pytest.mark.parametrize(
    ("status", "described"),
    [("0", "Incomplete (0)"), ("1", "Unverified (1)"), ("", "has data but no status")],
)
def test_incomplete_form_at_an_analysed_visit(tmp_path, status, described):
    listing = failed_import(tmp_path, rows=edited("week_4_arm_1", toy_complete=status))
    assert hits(listing, "incomplete_form") == [
        ("SCR-1", "week_4_arm_1", None, "toy_complete", status, "error")
    ]
    assert listing.loc[0, "message"].startswith(f"form toy is {described};")


def test_form_not_entered_is_not_incomplete(tmp_path):
    """REDCap exports status 0 for a form nobody opened: no rows, no finding."""
    rows = edited("week_4_arm_1", toy_date="", toy_1="", toy_3="", toy_complete="0")
    listing = run_import(tmp_path, rows=rows)
    assert listing.empty
    text = (tmp_path / "out" / "raw" / "questionnaires.csv").read_text(encoding="utf-8")
    assert "WEEK4" not in text


def test_duplicate_record_event_instance(tmp_path):
    rows = records_rows()
    rows.insert(5, {**rows[4], "ae_term": "Headache"})  # adverse event instance 1 twice
    listing = failed_import(tmp_path, rows=rows)
    key = "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance"
    value = "SCR-1,logs_arm_1,adverse_event,1"
    assert hits(listing, "duplicate_row") == [
        ("SCR-1", "logs_arm_1", "1", key, value, "error"),
        ("SCR-1", "logs_arm_1", "1", key, value, "error"),
    ]
    assert listing.loc[listing["rule"] == "duplicate_row", "row"].tolist() == [6, 7]


@pytest.mark.parametrize(
    ("event", "instrument", "values", "expected"),
    [
        (
            "baseline_arm_1",
            "",
            {"age": "17"},
            ("out_of_range", None, "age", "17", "outside the field's validation range (18 to 100)"),
        ),
        (
            "baseline_arm_1",
            "",
            {"age": "sixty"},
            ("validation", None, "age", "sixty", "not a whole number (validation integer)"),
        ),
        (
            "logs_arm_1",
            "diary",
            {"diary_massager": "1441"},
            (
                "out_of_range",
                "1",
                "diary_massager",
                "1441",
                "outside the field's validation range (0 to 1440)",
            ),
        ),
        (
            "logs_arm_1",
            "diary",
            {"diary_date": "2024-02-30"},
            ("validation", "1", "diary_date", "2024-02-30", "not a calendar date"),
        ),
        (
            "baseline_arm_1",
            "",
            {"rls_years": "12,5"},
            ("validation", None, "rls_years", "12,5", "not a number (validation number)"),
        ),
    ],
)
def test_value_outside_validation(tmp_path, event, instrument, values, expected):
    listing = failed_import(tmp_path, rows=edited(event, instrument, **values))
    rule, instance, name, value, message = expected
    assert listing[WHERE + ["message"]].values.tolist() == [
        [rule, "SCR-1", event, instance, name, value, "error", message]
    ]


def test_blank_value_where_the_raw_column_requires_one(tmp_path):
    listing = failed_import(tmp_path, rows=edited("logs_arm_1", "adverse_event", ae_term=""))
    assert hits(listing, "required") == [("SCR-1", "logs_arm_1", "1", "ae_term", "", "error")]
    assert listing.loc[0, "message"] == "a value is required for term"


# --- further checks ----------------------------------------------------------------------


def test_every_finding_is_listed_at_once(tmp_path):
    rows = edited("baseline_arm_1", rand_arm="7", age="17")
    rows[2]["toy_complete"] = "1"
    listing = failed_import(tmp_path, rows=rows)
    assert listing[["rule", "redcap_field"]].values.tolist() == [
        ["not_a_choice", "rand_arm"],
        ["out_of_range", "age"],
        ["incomplete_form", "toy_complete"],
    ]


def test_code_without_a_raw_value_in_the_mapping(tmp_path):
    mapping = mapping_data()
    mapping["files"]["baseline.csv"]["columns"]["sex"]["values"] = {2: "M"}
    listing = failed_import(tmp_path, mapping=mapping)
    assert hits(listing, "unmapped_value") == [
        ("SCR-1", "baseline_arm_1", None, "sex", "1", "error")
    ]


def test_labels_that_are_not_raw_values(tmp_path):
    mapping = mapping_data()
    mapping["files"]["baseline.csv"]["columns"]["sex"] = "sex"  # labels Female, Male
    listing = failed_import(tmp_path, mapping=mapping)
    assert listing[["rule", "field", "value"]].values.tolist() == [
        ["mapping_value", "files.baseline.csv.columns.sex", "Female"],
        ["mapping_value", "files.baseline.csv.columns.sex", "Male"],
    ]


def test_two_ticked_boxes_for_one_raw_value(tmp_path):
    listing = failed_import(tmp_path, rows=edited("baseline_arm_1", rls_med_class___2="1"))
    assert hits(listing, "multiple_choices") == [
        ("SCR-1", "baseline_arm_1", None, "rls_med_class", "1,2", "error")
    ]


def test_arm_code_not_in_config(tmp_path):
    mapping = mapping_data()
    mapping["files"]["randomization.csv"]["columns"]["arm"]["values"][2] = "foot massager"
    listing = failed_import(tmp_path, mapping=mapping)
    assert listing[["rule", "value"]].values.tolist() == [["mapping_config", "foot massager"]]


def test_data_without_participant_identifier(tmp_path):
    listing = failed_import(tmp_path, rows=edited("baseline_arm_1", participant_id=""))
    assert listing[["rule", "event", "instance"]].drop_duplicates().values.tolist() == [
        ["no_participant_id", "baseline_arm_1", None],
        ["required", "baseline_arm_1", None],  # randomization.csv participant_id
        ["no_participant_id", "week_4_arm_1", None],
        ["no_participant_id", "logs_arm_1", "1"],
        ["no_participant_id", "end_of_study_arm_1", None],
    ]
    assert set(listing["redcap_field"]) == {"participant_id"}


def test_ignored_fields_are_not_listed(tmp_path):
    rows = edited("baseline_arm_1", comment="called twice")
    dictionary = pd.concat(
        [
            dictionary_table(),
            dictionary_table(
                "Variable / Field Name,Form Name,Field Type\ncomment,randomization,notes\n"
            ),
        ]
    )
    dictionary = dictionary.iloc[[*range(9), 31, *range(9, 31)]]  # on its form
    listing = failed_import(tmp_path, rows=rows, dictionary=dictionary)
    assert hits(listing, "unread_value") == [
        ("SCR-1", "baseline_arm_1", None, "comment", "called twice", "error")
    ]
    mapping = mapping_data()
    mapping["ignore"] = {"fields": ["comment"]}
    assert run_import(tmp_path, rows=rows, dictionary=dictionary, mapping=mapping).empty


def test_ignored_event_is_not_imported(tmp_path):
    rows = records_rows()
    unscheduled = row("SCR-1", "unscheduled_arm_1", toy_date="2024-01-24", toy_1="9")
    rows.insert(2, {**unscheduled, "toy_complete": "1"})
    mapping = mapping_data()
    mapping["ignore"] = {"events": ["unscheduled_arm_1"]}
    assert run_import(tmp_path, rows=rows, mapping=mapping).empty
    text = (tmp_path / "out" / "raw" / "questionnaires.csv").read_text(encoding="utf-8")
    assert text == EXPECTED["questionnaires.csv"]


def test_byte_order_mark_is_a_warning(tmp_path):
    paths = write_project(tmp_path / "redcap")
    paths[1].write_bytes(b"\xef\xbb\xbf" + paths[1].read_bytes())
    dictionary, records = read_redcap_project(*paths[:2])
    listing = check_redcap(dictionary, records, load_mapping(paths[2]))
    assert listing[["rule", "file", "severity"]].values.tolist() == [
        ["byte_order_mark", "records.csv", "warning"]
    ]


# --- the mapping file ----------------------------------------------------------------------


def test_malformed_mapping_names_every_problem(tmp_path):
    path = tmp_path / "mapping.yaml"
    mapping = mapping_data()
    mapping["events"]["baseline_arm_1"] = {"vist": "WEEK0"}
    del mapping["files"]["disposition.csv"]["columns"]["reason"]
    mapping["files"]["baseline.csv"]["columns"]["sex"]["values"] = {1: True}
    path.write_text(yaml.safe_dump(mapping), encoding="utf-8")
    with pytest.raises(MappingError) as raised:
        load_mapping(path)
    assert str(raised.value).splitlines() == [
        "mapping.yaml: the REDCap mapping has 3 problem(s):",
        "  events.baseline_arm_1: 'vist' is not a setting (choices: visit); did you mean 'visit'?",
        "  files.baseline.csv.columns.sex.values.1: True is not text; quote values such as"
        " yes, no, on, off and null, which YAML reads as booleans or nothing",
        "  files.disposition.csv.columns: 'reason' is missing; every column of"
        " disposition.csv needs a source",
    ]


def test_key_given_twice_in_the_mapping(tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text("events: {}\nevents: {}\n", encoding="utf-8")
    with pytest.raises(MappingError, match="key\\(s\\) given twice: events"):
        load_mapping(path)


def test_bundled_mapping_reads():
    mapping = load_mapping(ROOT / "config" / "redcap" / "mapping.yaml")
    assert [i.code for i in mapping.instruments] == ["IRLS", "MOS", "RLSQOL"]
    assert mapping.files["adverse_events.csv"].repeating


# --- export hashes ---------------------------------------------------------------------------


def test_export_sha256(tmp_path):
    (tmp_path / "records.csv").write_bytes(b"abc")
    assert export_sha256([tmp_path / "records.csv"]).values.tolist() == [
        ["records.csv", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"]
    ]


# --- the bundled synthetic project -----------------------------------------------------------


@pytest.fixture(scope="module")
def default_trial():
    config = load_config(ROOT / "config" / "config.yaml")
    return simulate_trial(config), config


def test_simulated_project_is_byte_identical_twice_and_bundled(tmp_path, default_trial):
    tables, config = default_trial
    for folder in ("first", "second"):
        write_redcap_project(*redcap_project(tables, config), tmp_path / folder, "note")
    for name in ("data_dictionary.csv", "records.csv"):
        assert filecmp.cmp(tmp_path / "first" / name, tmp_path / "second" / name, shallow=False)
        bundled = ROOT / "data" / "redcap" / name
        assert filecmp.cmp(bundled, tmp_path / "first" / name, shallow=False), name


def test_bundled_project_imports_as_data_raw(tmp_path):
    redcap = ROOT / "data" / "redcap"
    dictionary, records = read_redcap_project(
        redcap / "data_dictionary.csv", redcap / "records.csv"
    )
    mapping = load_mapping(ROOT / "config" / "redcap" / "mapping.yaml")
    tables = redcap_to_raw(
        dictionary, records, mapping, load_config(ROOT / "config" / "config.yaml")
    )
    write_raw_tables(tables, tmp_path)
    for name, table in tables.items():
        raw = ROOT / "data" / "raw" / name
        pd.testing.assert_frame_equal(table, read_raw_file(raw).data.drop(columns="_row"))
        assert filecmp.cmp(raw, tmp_path / name, shallow=False), name


def test_bundled_project_uses_every_redcap_feature():
    records = pd.read_csv(
        ROOT / "data" / "redcap" / "records.csv", dtype=str, keep_default_na=False
    )
    assert set(records["redcap_repeat_instrument"]) == {"", "diary", "adverse_event"}
    assert set(records["redcap_data_access_group"]) == {"", "s01", "s02", "s03"}
    assert "rls_med_class___1" in records.columns
    assert set(records["screening_complete"]) == {"", "2"}


def test_a_redcap_export_changed_during_the_run_stops_it(tmp_path):
    """verify_raw compares the exports with the SHA-256 recorded at import."""
    from rlstrial.ingest import sha256_manifest
    from rlstrial.pipeline import RawDataChanged, verify_raw
    from rlstrial.redcap import export_sha256

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "screening.csv").write_text("a\n1\n")
    sha256_manifest(raw).to_csv(tmp_path / "raw_sha256.csv", index=False)
    exports = {"dictionary": tmp_path / "dictionary.csv", "records": tmp_path / "records.csv"}
    exports["dictionary"].write_text("field\nx\n")
    exports["records"].write_text("record_id\n1\n")
    export_sha256(exports.values()).to_csv(tmp_path / "redcap_sha256.csv", index=False)
    exports["manifest"] = tmp_path / "redcap_sha256.csv"
    verify_raw(raw, tmp_path / "raw_sha256.csv", tmp_path / "ok.txt", exports)
    assert (tmp_path / "ok.txt").read_text().startswith("1 raw files and 2 REDCap exports")
    exports["records"].write_text("record_id\n2\n")
    with pytest.raises(RawDataChanged, match="records.csv: sha256"):
        verify_raw(raw, tmp_path / "raw_sha256.csv", tmp_path / "again.txt", exports)
