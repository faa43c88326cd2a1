"""Submission datasets: SAS V5 transport files and the dataset specification.

Small literal tables checked by hand, read back with pyreadstat, and a committed
transport file (tests/results/xpt_adsl_fixture.xpt) read by R's foreign and haven
(tests/results/xpt_read.R; rerun: cd tests/results && Rscript xpt_read.R); R is not
needed to run these tests. Rewrite the fixture with `python tests/test_submission.py`.
"""

from __future__ import annotations

import csv
import datetime as dt
import time
from dataclasses import replace
from pathlib import Path

import docx
import numpy as np
import pandas as pd
import pyreadstat
import pytest
from conftest import tiny_config
from test_derive import build

from rlstrial.derive import ADAE, ADQS, ADSL, DATASETS, Dataset, Variable, derive_adae
from rlstrial.submission import (
    FIXED_TIME,
    SPEC_COLUMNS,
    SubmissionError,
    check_metadata,
    dataset_specification,
    write_specification_docx,
    write_submission,
    write_xpt,
    xpt_frame,
)

RESULTS = Path(__file__).resolve().parent / "results"
FIXTURE_PATH = RESULTS / "xpt_adsl_fixture.xpt"

FIXTURE_META = Dataset(
    name="ADSL",
    label="Subject-Level Analysis Dataset",
    adam_class="SUBJECT LEVEL ANALYSIS DATASET",
    structure="One record per subject",
    keys=("USUBJID",),
    variables=(
        Variable("USUBJID", "Unique Subject Identifier", "Char", "As recorded."),
        Variable("TRT01P", "Planned Treatment for Period 01", "Char", "Arm.", codelist="arms"),
        Variable(
            "TRT01PN", "Planned Treatment for Period 01 (N)", "Num", "1-4.", codelist="values"
        ),
        Variable("RANDDT", "Date of Randomization", "Num", "As recorded.", format="DATE9."),
        Variable("EOSDT", "End of Study Date", "Num", "As recorded.", format="DATE9."),
        Variable("AGE", "Age (Years)", "Num", "As recorded."),
        Variable("RLSDUR", "Years Since RLS Symptoms Began", "Num", "As recorded."),
        Variable("SAFFL", "Safety Population Flag", "Char", "Y or N.", codelist="NY"),
        Variable("DCSREAS", "Reason for Discontinuation from Study", "Char", "Reason."),
        Variable("RLSMEDCL", "Class of RLS Medication", "Char", "Blank: none."),
    ),
)

# Three subjects: a date before 1960 (SAS day -1), missing numbers, a missing and a
# blank reason, a text column that is all blank (length 1).
FIXTURE = pd.DataFrame(
    {
        "USUBJID": ["P-001", "P-002", "P-010"],
        "TRT01P": ["massager", "control", "combined"],
        "TRT01PN": [2, 1, 4],
        "RANDDT": pd.to_datetime(["2024-01-10", "1959-12-31", "1960-01-01"]),
        "EOSDT": pd.to_datetime(["2024-02-07", None, "1960-03-01"]),
        "AGE": pd.array([60, None, 71], dtype="Int64"),
        "RLSDUR": [12.5, 0.1, 3.0],
        "SAFFL": ["Y", "N", "Y"],
        "DCSREAS": [None, "Withdrew: personal reasons", ""],
        "RLSMEDCL": [None, None, None],
    }
)
# SAS dates (days since 1960-01-01) of RANDDT and EOSDT, counted by hand:
# 2024-01-10 is 64 years (16 leap days, 1960-2020) = 23376 days, plus 9.
RANDDT_DAYS = [23385.0, -1.0, 0.0]
EOSDT_DAYS = [23413.0, np.nan, 60.0]  # 1960-03-01: 31 + 29 days
FIXTURE_LENGTHS = {
    "USUBJID": 5,
    "TRT01P": 8,
    "TRT01PN": 8,
    "RANDDT": 8,
    "EOSDT": 8,
    "AGE": 8,
    "RLSDUR": 8,
    "SAFFL": 1,
    "DCSREAS": 26,
    "RLSMEDCL": 1,
}
ARM_LABELS = {
    "control": "No intervention",
    "massager": "Foot massager",
    "heat": "Heat therapy",
    "combined": "Massager + heat",
}


# --- the transport file ------------------------------------------------------------


def test_xpt_frame_stores_text_numbers_and_sas_dates():
    table = xpt_frame(FIXTURE, FIXTURE_META)
    frame = table.frame
    assert frame["DCSREAS"].tolist() == ["", "Withdrew: personal reasons", ""]
    assert frame["RLSMEDCL"].tolist() == ["", "", ""]
    assert frame["RANDDT"].tolist() == RANDDT_DAYS
    np.testing.assert_array_equal(frame["EOSDT"], EOSDT_DAYS)
    np.testing.assert_array_equal(frame["AGE"], [60.0, np.nan, 71.0])
    assert all(frame[name].dtype == np.float64 for name in ("TRT01PN", "AGE", "RLSDUR"))
    assert table.lengths == FIXTURE_LENGTHS
    assert table.formats == {"RANDDT": "DATE9.", "EOSDT": "DATE9."}
    assert table.labels["DCSREAS"] == "Reason for Discontinuation from Study"


def test_iso_date_strings_are_sas_dates_too():
    as_csv = FIXTURE.assign(
        RANDDT=["2024-01-10", "1959-12-31", "1960-01-01"], EOSDT=["2024-02-07", None, "1960-03-01"]
    )
    frame = xpt_frame(as_csv, FIXTURE_META).frame
    assert frame["RANDDT"].tolist() == RANDDT_DAYS
    np.testing.assert_array_equal(frame["EOSDT"], EOSDT_DAYS)


def test_written_file_reads_back_with_pyreadstat(tmp_path):
    path = write_xpt(FIXTURE, FIXTURE_META, tmp_path / "adsl.xpt")
    back, info = pyreadstat.read_xport(path)
    assert (info.table_name, info.file_label) == ("ADSL", "Subject-Level Analysis Dataset")
    assert info.column_names == FIXTURE_META.columns
    assert info.column_names_to_labels == {v.name: v.label for v in FIXTURE_META.variables}
    assert info.variable_storage_width == FIXTURE_LENGTHS
    assert info.readstat_variable_types == {
        v.name: "string" if v.type == "Char" else "double" for v in FIXTURE_META.variables
    }
    assert info.original_variable_types["RANDDT"] == "DATE9"
    assert back["RANDDT"].tolist() == [
        dt.date(2024, 1, 10),
        dt.date(1959, 12, 31),
        dt.date(1960, 1, 1),
    ]
    assert back["EOSDT"].tolist()[::2] == [dt.date(2024, 2, 7), dt.date(1960, 3, 1)]
    assert pd.isna(back["EOSDT"][1])
    for name in ("USUBJID", "TRT01P", "SAFFL"):
        assert back[name].tolist() == FIXTURE[name].tolist()
    assert back["DCSREAS"].tolist() == ["", "Withdrew: personal reasons", ""]
    np.testing.assert_array_equal(back["AGE"], [60.0, np.nan, 71.0])
    assert back["RLSDUR"].tolist() == [12.5, 0.1, 3.0]  # exact through IBM floating point
    raw, _ = pyreadstat.read_xport(path, disable_datetime_conversion=True)
    assert raw["RANDDT"].tolist() == RANDDT_DAYS


def test_rewriting_is_byte_identical_with_a_fixed_header_time(tmp_path):
    # ReadStat writes the time of writing (to the second) into the headers
    plain = tmp_path / "plain.xpt"
    pyreadstat.write_xport(FIXTURE[["USUBJID"]], plain, file_format_version=5)
    first = write_xpt(FIXTURE, FIXTURE_META, tmp_path / "a.xpt").read_bytes()
    time.sleep(1.05)
    second = write_xpt(FIXTURE, FIXTURE_META, tmp_path / "b.xpt").read_bytes()
    assert first == second
    now = f"{dt.datetime.now():%d}".encode()  # today's day of the month, as ReadStat writes it
    assert plain.read_bytes()[144:146] in (
        now,
        f"{dt.datetime.now() - dt.timedelta(1):%d}".encode(),
    )
    assert first.count(b"01JAN00:00:00:00") == 4  # created and modified, library and member
    created = dt.datetime(2025, 12, 31, 23, 59, 58)
    other = write_xpt(FIXTURE, FIXTURE_META, tmp_path / "c.xpt", created=created).read_bytes()
    assert other.count(b"31DEC25:23:59:58") == 4
    assert other.replace(b"31DEC25:23:59:58", b"01JAN00:00:00:00") == first


def test_rewriting_the_fixture_reproduces_the_committed_file(tmp_path):
    written = write_xpt(FIXTURE, FIXTURE_META, tmp_path / "adsl.xpt")
    assert written.read_bytes() == FIXTURE_PATH.read_bytes()


def read_golden(name: str) -> list[dict]:
    with open(RESULTS / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_r_foreign_and_haven_read_the_fixture_as_written():
    values = {(int(r["row"]) - 1, r["variable"]): r for r in read_golden("xpt_read_r.csv")}
    assert {name for _, name in values} == set(FIXTURE_META.columns)
    assert len(values) == 3 * len(FIXTURE_META.columns)
    for name in ("USUBJID", "TRT01P", "SAFFL"):
        assert [values[k, name]["foreign_value"] for k in range(3)] == FIXTURE[name].tolist()
    assert [values[k, "DCSREAS"]["foreign_value"] for k in range(3)] == [
        "",
        "Withdrew: personal reasons",
        "",
    ]
    assert [values[k, "RLSMEDCL"]["foreign_value"] for k in range(3)] == ["", "", ""]
    number = {  # R writes missing as NA
        key: np.nan if r["foreign_value"] == "NA" else float(r["foreign_value"])
        for key, r in values.items()
        if r["foreign_class"] == "numeric"
    }
    assert [number[k, "RANDDT"] for k in range(3)] == RANDDT_DAYS
    np.testing.assert_array_equal([number[k, "EOSDT"] for k in range(3)], EOSDT_DAYS)
    assert [values[k, "RANDDT"]["haven_value"] for k in range(3)] == [
        "2024-01-10",
        "1959-12-31",
        "1960-01-01",
    ]
    assert values[0, "RANDDT"]["haven_class"] == "Date"
    np.testing.assert_array_equal([number[k, "AGE"] for k in range(3)], [60.0, np.nan, 71.0])
    assert [number[k, "RLSDUR"] for k in range(3)] == [12.5, 0.1, 3.0]
    assert [number[k, "TRT01PN"] for k in range(3)] == [2.0, 1.0, 4.0]


def test_r_reads_the_fixture_metadata_as_written():
    rows = read_golden("xpt_read_r_variables.csv")
    assert {(r["dataset"], r["dataset_label"]) for r in rows} == {
        ("ADSL", "Subject-Level Analysis Dataset")
    }
    read = {
        r["variable"]: (
            r["label"],
            r["haven_label"],
            r["type"],
            int(r["length"]),
            r["format"],
            r["haven_format"],
        )
        for r in rows
    }
    assert list(read) == FIXTURE_META.columns
    expected = {
        v.name: (
            v.label,
            v.label,
            "character" if v.type == "Char" else "numeric",
            FIXTURE_LENGTHS[v.name],
            "DATE" if v.format else "",  # foreign leaves out the width
            "DATE9" if v.format else "",
        )
        for v in FIXTURE_META.variables
    }
    assert read == expected


# --- the rules, with clear errors --------------------------------------------------


def meta_with(**changes) -> Dataset:
    """FIXTURE_META with its first variable changed."""
    first = replace(FIXTURE_META.variables[0], **changes)
    return replace(FIXTURE_META, variables=(first, *FIXTURE_META.variables[1:]))


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (
            replace(FIXTURE_META, name="ADSUBJECT"),
            "dataset name 'ADSUBJECT' must be at most 8 characters: upper-case letters, digits"
            " and underscores, starting with a letter",
        ),
        (
            meta_with(name="NITEMSEXP"),
            "ADSL variable name 'NITEMSEXP' must be at most 8 characters",
        ),
        (meta_with(name="usubjid"), "ADSL variable name 'usubjid' must be"),
        (meta_with(name="1USUBJ"), "ADSL variable name '1USUBJ' must be"),
        (
            meta_with(label="Unique Subject Identifier In The Whole Trial"),
            "ADSL.USUBJID label 'Unique Subject Identifier In The Whole Trial' (44 characters)"
            " must be 1 to 40 ASCII characters",
        ),
        (meta_with(label="Sujet numéro"), "ADSL.USUBJID label 'Sujet numéro' (12 characters)"),
        (
            replace(FIXTURE_META, label="Subject-Level Analysis Dataset of the RLS Trial"),
            "ADSL label 'Subject-Level Analysis Dataset of the RLS Trial' (47 characters)",
        ),
        (meta_with(type="Text"), "ADSL.USUBJID type 'Text' must be 'Char' or 'Num'"),
        (meta_with(format="DATE9."), "ADSL.USUBJID format 'DATE9.': only Num dates take DATE9."),
        (meta_with(codelist="sites"), "ADSL.USUBJID codelist 'sites' is not one of"),
        (meta_with(decode="SUBJECT"), "ADSL.USUBJID is decoded by 'SUBJECT', not a variable"),
        (meta_with(name="AGE"), "ADSL names variables more than once: ['AGE']"),
        (replace(FIXTURE_META, keys=("SUBJID",)), "ADSL keys ['SUBJID'] are not variables"),
    ],
)
def test_metadata_that_breaks_a_rule_is_named(metadata, message):
    with pytest.raises(SubmissionError) as error:
        check_metadata(metadata)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"USUBJID": ["P-001", "P-002", 3]}, "ADSL.USUBJID is Char but holds 3"),
        (
            {"DCSREAS": [None, "Retiré", None]},
            "ADSL.DCSREAS holds 'Retiré': transport files take ASCII",
        ),
        (
            {"DCSREAS": [None, "x" * 201, None]},
            f"ADSL.DCSREAS value {'x' * 40!r}... has 201 bytes; at most 200",
        ),
        (
            {"SAFFL": ["Y", "yes", "Y"]},
            "ADSL.SAFFL holds 'yes'; the NY flag takes 'N', 'Y' or blank",
        ),
        ({"AGE": ["60", None, "71"]}, "ADSL.AGE is Num but holds"),
        ({"AGE": [True, False, True]}, "ADSL.AGE is Num but holds bool values"),
        (
            {"RANDDT": ["2024-01-10", "10/01/2024", None]},
            "ADSL.RANDDT is a date but holds non-dates",
        ),
        (
            {"RANDDT": pd.to_datetime(["2024-01-10 08:30", None, None])},
            "ADSL.RANDDT is a date but holds times of day",
        ),
    ],
)
def test_data_that_breaks_a_rule_is_named(change, message):
    with pytest.raises(SubmissionError) as error:
        xpt_frame(FIXTURE.assign(**change), FIXTURE_META)
    assert str(error.value).startswith(message)


def test_a_blank_ny_flag_is_a_missing_value_not_a_code():
    """The NY codelist allows blank (not recorded, as RLSMEDFL); a Y flag allows blank."""
    assert xpt_frame(FIXTURE.assign(SAFFL=["Y", None, "N"]), FIXTURE_META).frame[
        "SAFFL"
    ].tolist() == [
        "Y",
        "",
        "N",
    ]


def test_a_trial_without_adverse_events_gives_an_empty_adae(tiny_raw, tmp_path):
    tables, adsl, _ = build(tiny_raw, tiny_config())
    adae = derive_adae(tables["adverse_events.csv"].iloc[:0], adsl)
    back, info = pyreadstat.read_xport(write_xpt(adae, ADAE, tmp_path / "adae.xpt"))
    assert back.shape == (0, len(ADAE.columns))
    assert (info.variable_storage_width["AETERM"], info.variable_storage_width["ASTDT"]) == (1, 8)
    assert info.original_variable_types["ASTDT"] == "DATE9"


def test_columns_must_be_the_metadatas_variables_in_order():
    with pytest.raises(
        SubmissionError, match=r"missing: \['AGE'\]; not in the metadata: \['AGEU'\]"
    ):
        xpt_frame(FIXTURE.rename(columns={"AGE": "AGEU"}), FIXTURE_META)
    with pytest.raises(SubmissionError, match="the columns are not in the metadata's order"):
        xpt_frame(FIXTURE[FIXTURE.columns[::-1]], FIXTURE_META)


@pytest.mark.parametrize("dataset", [ADSL, ADQS, ADAE], ids=lambda dataset: dataset.name)
def test_the_analysis_datasets_metadata_follows_the_rules(dataset):
    check_metadata(dataset)


# --- the specification ---------------------------------------------------------------

ADX = Dataset(
    name="ADX",
    label="Example Questionnaire Dataset",
    adam_class="BASIC DATA STRUCTURE",
    structure="One record per subject per parameter per visit",
    keys=("USUBJID", "PARAMCD", "AVISITN"),
    variables=(
        Variable("USUBJID", "Unique Subject Identifier", "Char", "As recorded.", "raw.csv id"),
        Variable("TRT01P", "Planned Treatment", "Char", "From ADSL.", "ADSL.TRT01P", "arms"),
        Variable("PARAMCD", "Parameter Code", "Char", "Scale.", codelist="values", decode="PARAM"),
        Variable("PARAM", "Parameter", "Char", "Scale label."),
        Variable("AVISIT", "Analysis Visit", "Char", "Visit label.", codelist="values"),
        Variable(
            "AVISITN", "Analysis Visit (N)", "Num", "Week.", codelist="values", decode="AVISIT"
        ),
        Variable("ADT", "Analysis Date", "Num", "As recorded.", format="DATE9."),
        Variable("AVAL", "Analysis Value", "Num", "The score."),
        Variable("ABLFL", "Baseline Record Flag", "Char", "Y at baseline.", codelist="Y"),
    ),
)
ADX_DATA = pd.DataFrame(
    {
        "USUBJID": ["P1", "P1", "P1", "P2"],
        "TRT01P": ["heat", "heat", "heat", "control"],
        "PARAMCD": ["S2", "S1", "S1", "S1"],
        "PARAM": ["Scale two", "Scale one", "Scale one", "Scale one"],
        "AVISIT": ["Baseline", "Baseline", "Week 4", "Baseline"],
        "AVISITN": [0, 0, 4, 0],
        "ADT": ["2024-01-09", "2024-01-09", "2024-02-07", None],
        "AVAL": [1.5, 2.0, None, 3.25],
        "ABLFL": ["Y", "Y", "", "Y"],
    }
)


def test_specification_lists_every_variable_of_every_dataset_and_no_other():
    spec = dataset_specification(
        {"adsl": FIXTURE, "adx": ADX_DATA}, ARM_LABELS, {"adsl": FIXTURE_META, "adx": ADX}
    )
    assert list(spec.columns) == SPEC_COLUMNS
    listed = list(zip(spec["dataset"], spec["variable"], strict=True))
    assert listed == [("ADSL", n) for n in FIXTURE.columns] + [("ADX", n) for n in ADX_DATA.columns]
    assert spec.groupby("dataset")["order"].apply(list).to_dict() == {
        "ADSL": list(range(1, 11)),
        "ADX": list(range(1, 10)),
    }


def test_specification_of_a_small_dataset_by_hand():
    spec = dataset_specification({"adx": ADX_DATA}, ARM_LABELS, {"adx": ADX}).set_index("variable")
    top = spec.iloc[0]
    assert (top.dataset, top.dataset_label, top.dataset_class, top.records, top.file) == (
        "ADX",
        "Example Questionnaire Dataset",
        "BASIC DATA STRUCTURE",
        4,
        "adx.xpt",
    )
    assert (top.structure, top["keys"]) == (
        "One record per subject per parameter per visit",
        "USUBJID, PARAMCD, AVISITN",
    )
    assert spec["type"].to_dict() == {
        "USUBJID": "Char",
        "TRT01P": "Char",
        "PARAMCD": "Char",
        "PARAM": "Char",
        "AVISIT": "Char",
        "AVISITN": "Num",
        "ADT": "Num",
        "AVAL": "Num",
        "ABLFL": "Char",
    }
    assert spec["length"].to_dict() == {
        "USUBJID": 2,
        "TRT01P": 7,
        "PARAMCD": 2,
        "PARAM": 9,
        "AVISIT": 8,
        "AVISITN": 8,
        "ADT": 8,
        "AVAL": 8,
        "ABLFL": 1,
    }
    assert spec["format"].to_dict()["ADT"] == "DATE9."
    assert spec.loc[spec["format"] != "", "format"].index.tolist() == ["ADT"]
    assert spec["codelist"].to_dict() == {
        "USUBJID": "",
        "TRT01P": (
            "control = No intervention; massager = Foot massager; heat = Heat therapy;"
            " combined = Massager + heat"
        ),
        "PARAMCD": "S1 = Scale one; S2 = Scale two",
        "PARAM": "",
        "AVISIT": "Baseline; Week 4",
        "AVISITN": "0 = Baseline; 4 = Week 4",
        "ADT": "",
        "AVAL": "",
        "ABLFL": "Y = Yes",
    }
    assert (spec.loc["TRT01P", "source"], spec.loc["USUBJID", "source"]) == (
        "ADSL.TRT01P",
        "raw.csv id",
    )
    assert spec.loc["AVAL", "source"] == "derived"
    assert spec.loc["ABLFL", "derivation"] == "Y at baseline."


def test_flag_codelists_list_y_and_n():
    spec = dataset_specification({"adsl": FIXTURE}, ARM_LABELS, {"adsl": FIXTURE_META})
    codelists = spec.set_index("variable")["codelist"]
    assert (codelists["SAFFL"], codelists["TRT01PN"]) == ("N = No; Y = Yes", "1; 2; 4")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"TRT01P": ["heat", "heat", "heat", "sauna"]},
            "ADX.TRT01P holds ['sauna'], not arm codes of the configuration",
        ),
        (
            {"PARAM": ["Scale two", "Scale one", "Scale 1", "Scale one"]},
            "ADX.PARAMCD value 'S1' has more than one PARAM",
        ),
        (
            {"AVISITN": [0, 0, 0, 0]},
            "ADX: the keys {'USUBJID': 'P1', 'PARAMCD': 'S1', 'AVISITN': 0} identify more than"
            " one record",
        ),
    ],
)
def test_specification_checks_codelists_and_keys(change, message):
    with pytest.raises(SubmissionError) as error:
        dataset_specification({"adx": ADX_DATA.assign(**change)}, ARM_LABELS, {"adx": ADX})
    assert str(error.value) == message


def test_specification_needs_metadata_for_every_dataset():
    with pytest.raises(SubmissionError, match=r"no metadata for the datasets \['adlb'\]"):
        dataset_specification({"adlb": ADX_DATA}, ARM_LABELS, {"adx": ADX})


def test_specification_of_the_tiny_trial_lists_the_metadatas_variables(tiny_raw):
    tables, adsl, _ = build(tiny_raw, tiny_config())
    adae = derive_adae(tables["adverse_events.csv"], adsl)
    arms = {arm["code"]: arm["label"] for arm in tiny_config()["arms"]}
    spec = dataset_specification({"adsl": adsl, "adae": adae}, arms)
    for name in ("adsl", "adae"):
        rows = spec[spec["file"] == f"{name}.xpt"]
        assert rows["variable"].tolist() == DATASETS[name].columns
    codelists = spec[spec["dataset"] == "ADSL"].set_index("variable")["codelist"]
    assert codelists["TRT01PN"] == "1 = control; 2 = massager"
    assert codelists["SEX"] == "F; M"
    lengths = spec[spec["dataset"] == "ADAE"].set_index("variable")["length"]
    assert (lengths["AETERM"], lengths["AESEV"], lengths["ASTDT"]) == (
        9,
        4,
        8,
    )  # "Foot pain", "MILD"


def test_specification_docx_has_a_table_per_dataset_and_is_byte_identical(tmp_path):
    spec = dataset_specification(
        {"adsl": FIXTURE, "adx": ADX_DATA}, ARM_LABELS, {"adsl": FIXTURE_META, "adx": ADX}
    )
    first = write_specification_docx(spec, tmp_path / "a.docx")
    second = write_specification_docx(spec, tmp_path / "b.docx")
    assert first.read_bytes() == second.read_bytes()
    document = docx.Document(first)
    assert len(document.tables) == 2
    header = [cell.text for cell in document.tables[1].rows[0].cells]
    assert header == [
        "Variable",
        "Label",
        "Type",
        "Length",
        "Format",
        "Codelist",
        "Source",
        "Derivation",
    ]
    assert [row.cells[0].text for row in document.tables[1].rows[1:]] == ADX.columns
    assert [cell.text for cell in document.tables[1].rows[6].cells][:6] == [
        "AVISITN",
        "Analysis Visit (N)",
        "Num",
        "8",
        "",
        "0 = Baseline; 4 = Week 4",
    ]
    text = [paragraph.text for paragraph in document.paragraphs]
    assert "ADX: Example Questionnaire Dataset" in text
    assert "Structure: One record per subject per parameter per visit" in text
    assert "Keys: USUBJID, PARAMCD, AVISITN" in text
    assert "Records: 4; variables: 9" in text
    assert document.core_properties.created.replace(tzinfo=None) == FIXED_TIME


def test_write_submission_writes_every_file_the_same_twice(tmp_path):
    datasets = {"adsl": FIXTURE, "adx": ADX_DATA}
    metadata = {"adsl": FIXTURE_META, "adx": ADX}
    first = write_submission(datasets, ARM_LABELS, tmp_path / "one", metadata=metadata)
    second = write_submission(datasets, ARM_LABELS, tmp_path / "two", metadata=metadata)
    assert list(first) == ["adsl", "adx", "specification_csv", "specification_docx"]
    assert [path.name for path in first.values()] == [
        "adsl.xpt",
        "adx.xpt",
        "specification.csv",
        "specification.docx",
    ]
    for name, path in first.items():
        assert path.read_bytes() == second[name].read_bytes(), name
    spec = pd.read_csv(first["specification_csv"], keep_default_na=False)
    assert len(spec) == len(FIXTURE_META.columns) + len(ADX.columns)
    assert first["adsl"].read_bytes() == FIXTURE_PATH.read_bytes()


def test_nothing_is_written_when_a_dataset_breaks_a_rule(tmp_path):
    datasets = {"adsl": FIXTURE, "adx": ADX_DATA.assign(ABLFL="N")}
    with pytest.raises(SubmissionError, match="ADX.ABLFL holds 'N'"):
        write_submission(
            datasets, ARM_LABELS, tmp_path, metadata={"adsl": FIXTURE_META, "adx": ADX}
        )
    assert not list(tmp_path.iterdir())


if __name__ == "__main__":  # rewrite the committed fixture
    write_xpt(FIXTURE, FIXTURE_META, FIXTURE_PATH)
    print(f"wrote {FIXTURE_PATH}")
