"""Every check of rlstrial.validate, each on the tiny literal folder with one defect."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import tiny_config

from rlstrial.validate import (
    FINDING_COLUMNS,
    ValidationError,
    raise_for_blocking,
    validate_raw,
)


def edit(folder, name, old, new, count=1):
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def findings(folder, config=None) -> pd.DataFrame:
    return validate_raw(folder, config or tiny_config())[1]


def only(listing: pd.DataFrame, rule: str) -> list[tuple]:
    hits = listing[listing["rule"] == rule]
    return list(
        hits[["file", "row", "field", "value", "severity"]].itertuples(index=False, name=None)
    )


def test_clean_tiny_folder_has_no_findings(tiny_raw):
    listing = findings(tiny_raw)
    assert list(listing.columns) == FINDING_COLUMNS
    assert listing.empty


def test_duplicate_participant_in_randomization(tiny_raw):
    edit(tiny_raw, "randomization.csv", "P2,S01", "P1,S01")
    listing = findings(tiny_raw)
    assert only(listing, "duplicate_key") == [
        ("randomization.csv", 2, "participant_id", "P1", "error"),
        ("randomization.csv", 3, "participant_id", "P1", "error"),
    ]


def test_duplicate_response_to_one_item(tiny_raw):
    edit(
        tiny_raw, "questionnaires.csv", "P1,WEEK0,2024-01-09,TOY,2,3", "P1,WEEK0,2024-01-09,TOY,1,3"
    )
    hits = only(findings(tiny_raw), "duplicate_key")
    assert [(f, r, c) for f, r, c, _, _ in hits] == [
        ("questionnaires.csv", 2, "participant_id,visit,instrument,item"),
        ("questionnaires.csv", 3, "participant_id,visit,instrument,item"),
    ]
    assert hits[0][3] == "P1,WEEK0,TOY,1"


def test_participant_with_data_but_no_randomization(tiny_raw):
    edit(tiny_raw, "adherence.csv", "P2,2024-01-12", "P9,2024-01-12")
    assert only(findings(tiny_raw), "not_randomized") == [
        ("adherence.csv", 4, "participant_id", "P9", "error")
    ]


def test_unknown_arm_is_not_fuzzy_matched(tiny_raw):
    edit(tiny_raw, "randomization.csv", ",massager", ",Massager")
    assert only(findings(tiny_raw), "unknown_arm") == [
        ("randomization.csv", 2, "arm", "Massager", "error")
    ]


def test_arm_alias_maps_only_through_config(tiny_raw):
    edit(tiny_raw, "randomization.csv", ",massager", ",Massager")
    config = tiny_config()
    config["arm_aliases"] = {"Massager": "massager"}
    assert findings(tiny_raw, config).empty


def test_unknown_visit(tiny_raw):
    edit(tiny_raw, "questionnaires.csv", "P2,WEEK4,2024-02-08,TOY,1,3", "P2,WK4,2024-02-08,TOY,1,3")
    assert only(findings(tiny_raw), "unknown_visit") == [
        ("questionnaires.csv", 11, "visit", "WK4", "error")
    ]


def test_unknown_instrument(tiny_raw):
    edit(
        tiny_raw, "questionnaires.csv", "P1,WEEK0,2024-01-09,TOY,3,2", "P1,WEEK0,2024-01-09,TOX,3,2"
    )
    assert only(findings(tiny_raw), "unknown_instrument") == [
        ("questionnaires.csv", 4, "instrument", "TOX", "error")
    ]


def test_unknown_item(tiny_raw):
    edit(
        tiny_raw, "questionnaires.csv", "P1,WEEK0,2024-01-09,TOY,3,2", "P1,WEEK0,2024-01-09,TOY,4,2"
    )
    assert only(findings(tiny_raw), "unknown_item") == [
        ("questionnaires.csv", 4, "item", "4", "error")
    ]


@pytest.mark.parametrize("value", ["5", "-1", "2.5"])
def test_out_of_range_response(tiny_raw, value):
    edit(
        tiny_raw,
        "questionnaires.csv",
        "P2,WEEK0,2024-01-10,TOY,2,2",
        f"P2,WEEK0,2024-01-10,TOY,2,{value}",
    )
    assert only(findings(tiny_raw), "out_of_range") == [
        ("questionnaires.csv", 9, "response", value, "error")
    ]


def test_non_numeric_response(tiny_raw):
    edit(
        tiny_raw,
        "questionnaires.csv",
        "P2,WEEK0,2024-01-10,TOY,2,2",
        "P2,WEEK0,2024-01-10,TOY,2,two",
    )
    assert only(findings(tiny_raw), "number") == [
        ("questionnaires.csv", 9, "response", "two", "error")
    ]


def test_impossible_date(tiny_raw):
    edit(tiny_raw, "disposition.csv", "P1,completed,2024-02-07", "P1,completed,2024-02-30")
    assert only(findings(tiny_raw), "impossible_date") == [
        ("disposition.csv", 2, "status_date", "2024-02-30", "error")
    ]


def test_date_in_another_format(tiny_raw):
    edit(tiny_raw, "baseline.csv", "P2,55", "P2,55")  # untouched file stays clean
    edit(tiny_raw, "adverse_events.csv", "P1,2024-01-20", "P1,20/01/2024")
    assert only(findings(tiny_raw), "date_format") == [
        ("adverse_events.csv", 2, "onset_date", "20/01/2024", "error")
    ]


def test_excel_serial_date(tiny_raw):
    edit(tiny_raw, "randomization.csv", "P2,S01,S01:severe,2024-01-11", "P2,S01,S01:severe,45302")
    assert only(findings(tiny_raw), "excel_serial_date") == [
        ("randomization.csv", 3, "randomization_date", "45302", "error")
    ]


def test_visits_out_of_order(tiny_raw):
    edit(tiny_raw, "questionnaires.csv", "P1,WEEK4,2024-02-07", "P1,WEEK4,2024-01-08", count=3)
    hits = only(findings(tiny_raw), "date_order")
    assert hits == [("questionnaires.csv", 5, "assessment_date", "2024-01-08", "error")]


def test_end_of_study_before_randomization(tiny_raw):
    edit(tiny_raw, "disposition.csv", "P2,withdrew,2024-02-08", "P2,withdrew,2024-01-01")
    assert only(findings(tiny_raw), "date_order") == [
        ("disposition.csv", 3, "status_date", "2024-01-01", "error")
    ]


def test_inconsistent_assessment_date_within_a_questionnaire(tiny_raw):
    edit(tiny_raw, "questionnaires.csv", "P2,WEEK0,2024-01-10,TOY,3", "P2,WEEK0,2024-01-09,TOY,3")
    rows = [r for _, r, _, _, _ in only(findings(tiny_raw), "inconsistent_date")]
    assert rows == [8, 9, 10]


def test_visit_outside_window_is_a_warning(tiny_raw):
    # day 40 after randomization (2024-01-10); the week-4 window ends on day 35
    edit(tiny_raw, "questionnaires.csv", "P1,WEEK4,2024-02-07", "P1,WEEK4,2024-02-19", count=3)
    listing = findings(tiny_raw)
    assert only(listing, "visit_window") == [
        ("questionnaires.csv", 5, "assessment_date", "2024-02-19", "warning")
    ]
    assert "day 40" in listing.loc[listing["rule"] == "visit_window", "message"].iloc[0]
    raise_for_blocking(listing, "queries.csv")  # a warning does not block


def test_missing_required_value(tiny_raw):
    edit(tiny_raw, "baseline.csv", "P2,55,M", "P2,,M")
    assert only(findings(tiny_raw), "required") == [("baseline.csv", 3, "age", "", "error")]


def test_value_outside_allowed_codes(tiny_raw):
    edit(tiny_raw, "baseline.csv", "P2,55,M", "P2,55,male")
    assert only(findings(tiny_raw), "allowed_values") == [
        ("baseline.csv", 3, "sex", "male", "error")
    ]


def test_missing_column(tiny_raw):
    edit(tiny_raw, "adherence.csv", ",heat_minutes", ",heat_min")
    hits = only(findings(tiny_raw), "missing_column")
    assert hits == [("adherence.csv", 1, "heat_minutes", None, "error")]


def test_missing_file(tiny_raw):
    (tiny_raw / "disposition.csv").unlink()
    listing = findings(tiny_raw)
    assert listing.loc[listing["rule"] == "missing_file", "file"].tolist() == ["disposition.csv"]


def test_byte_order_mark(tiny_raw):
    path = tiny_raw / "baseline.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    listing = findings(tiny_raw)
    assert only(listing, "byte_order_mark") == [("baseline.csv", 1, None, "EF BB BF", "error")]
    assert only(listing, "missing_column") == []  # the header is still read correctly


def test_file_not_utf8(tiny_raw):
    path = tiny_raw / "adverse_events.csv"
    path.write_bytes(path.read_bytes().replace(b"Foot pain", b"Fu\xdfschmerz"))
    assert only(findings(tiny_raw), "not_utf8") == [
        ("adverse_events.csv", 2, "term", "DF", "error")
    ]


def test_wrong_number_of_fields(tiny_raw):
    edit(
        tiny_raw,
        "disposition.csv",
        "P2,withdrew,2024-02-08,personal reasons",
        "P2,withdrew,2024-02-08,personal, reasons",
    )
    assert [r for _, r, _, _, _ in only(findings(tiny_raw), "field_count")] == [3]


def test_blank_line_is_listed_as_a_warning(tiny_raw):
    edit(tiny_raw, "adherence.csv", "P1,2024-01-12,0,0\n", "P1,2024-01-12,0,0\n\n")
    listing = findings(tiny_raw)
    assert only(listing, "blank_line") == [("adherence.csv", 4, None, None, "warning")]
    assert len(listing) == 1


def test_every_problem_in_a_folder_is_reported_at_once(tiny_raw):
    edit(tiny_raw, "baseline.csv", "P2,55,M", "P2,,male")
    edit(
        tiny_raw, "questionnaires.csv", "P2,WEEK0,2024-01-10,TOY,2,2", "P2,WEEK0,2024-01-10,TOY,2,9"
    )
    edit(tiny_raw, "randomization.csv", ",massager", ",massage")
    listing = findings(tiny_raw)
    assert sorted(listing["rule"]) == ["allowed_values", "out_of_range", "required", "unknown_arm"]


def test_blocking_error_names_file_row_column_value_and_listing(tiny_raw):
    edit(tiny_raw, "baseline.csv", "P2,55,M", "P2,55,male")
    with pytest.raises(ValidationError) as error:
        raise_for_blocking(findings(tiny_raw), "results/validation/queries.csv")
    message = str(error.value)
    assert "1 blocking finding(s)" in message
    assert "baseline.csv row 3, column sex, value 'male'" in message
    assert "results/validation/queries.csv" in message


def test_validation_never_writes_the_raw_folder(tiny_raw):
    before = {p.name: p.read_bytes() for p in tiny_raw.iterdir()}
    findings(tiny_raw)
    assert {p.name: p.read_bytes() for p in tiny_raw.iterdir()} == before


def test_bundled_trials_have_no_blocking_findings(default_config, park_config):
    from conftest import ROOT

    for folder, config in [("data/raw", default_config), ("data/park2020/raw", park_config)]:
        listing = findings(ROOT / folder, config)
        assert (listing["severity"] == "error").sum() == 0, listing.head().to_string()
