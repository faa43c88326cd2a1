"""Every check of rlstrial.validate, each on the tiny literal folder with one defect."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import ROOT, tiny_config

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


# --- files without records (issue 10) ------------------------------------------------


def header_only(folder, name):
    path = folder / name
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")


def test_header_only_questionnaires_is_blocking(tiny_raw):
    header_only(tiny_raw, "questionnaires.csv")
    listing = findings(tiny_raw)
    assert only(listing, "no_records") == [("questionnaires.csv", 1, None, "0 records", "error")]
    assert "at least one record is required" in listing["message"].iloc[0]
    assert len(listing) == 1  # no per-participant missing_baseline warnings under it


def test_header_only_adverse_events_is_allowed(tiny_raw):
    header_only(tiny_raw, "adverse_events.csv")
    assert findings(tiny_raw).empty


def test_empty_file_is_one_finding(tiny_raw):
    (tiny_raw / "adherence.csv").write_bytes(b"")
    listing = findings(tiny_raw)
    assert only(listing, "empty_file") == [("adherence.csv", 1, None, "0 bytes", "error")]
    assert len(listing) == 1  # not one missing_column per column


# --- findings show only the field concerned ------------------------------------------


def test_a_shifted_value_with_spaces_is_not_shown_either(tiny_raw):
    edit(tiny_raw, "randomization.csv", "P1,S01,", " secret ,P1,S01,")  # shifted into the ID
    listing = findings(tiny_raw)
    assert "field_count" in set(listing["rule"])
    assert not listing.astype(str).apply(lambda c: c.str.contains("secret")).any().any()


def test_field_count_shows_the_counts_not_the_record(tiny_raw):
    edit(
        tiny_raw, "disposition.csv", "P2,withdrew,2024-02-08,", "P2,withdrew,1961-04-03,2024-02-08,"
    )
    listing = findings(tiny_raw)
    assert only(listing, "field_count") == [
        ("disposition.csv", 3, None, "5 fields, 4 expected", "error")
    ]
    assert "record has 5 fields, the header has 4" in listing["message"].iloc[0]
    # the shifted date of birth appears nowhere: not in the listing, not on the console
    assert not listing.astype(str).apply(lambda c: c.str.contains("1961")).any().any()
    with pytest.raises(ValidationError) as error:
        raise_for_blocking(listing, "queries.csv")
    assert "1961" not in str(error.value) and "withdrew" not in str(error.value)


# --- plausible ranges of numeric fields ----------------------------------------------


def test_age_missing_code_is_out_of_range_and_blocking(tiny_raw):
    edit(tiny_raw, "baseline.csv", "P2,55,M", "P2,999,M")
    listing = findings(tiny_raw)
    assert only(listing, "out_of_range") == [("baseline.csv", 3, "age", "999", "error")]
    assert "outside its plausible range 18 to 100" in listing["message"].iloc[0]


def test_rls_duration_missing_code_is_out_of_range(tiny_raw):
    edit(tiny_raw, "baseline.csv", "Latino,3,no", "Latino,999,no")
    listing = findings(tiny_raw)
    assert only(listing, "out_of_range") == [("baseline.csv", 3, "rls_years", "999", "error")]
    assert "0 to 80" in listing["message"].iloc[0]


def test_configured_range_overrides_the_contract(tiny_raw):
    edit(tiny_raw, "baseline.csv", "P2,55,M", "P2,16,M")
    config = tiny_config()
    assert only(findings(tiny_raw, config), "out_of_range") == [
        ("baseline.csv", 3, "age", "16", "error")
    ]
    config["ranges"] = {"baseline.age": {"min": 12, "severity": "warning"}}
    assert findings(tiny_raw, config).empty
    config["ranges"] = {"baseline.age": {"min": 17, "severity": "warning"}}
    assert only(findings(tiny_raw, config), "out_of_range") == [
        ("baseline.csv", 3, "age", "16", "warning")
    ]


def test_unknown_range_key_is_refused_with_the_closest_match(tiny_raw):
    config = tiny_config()
    config["ranges"] = {"baseline.ages": {"max": 90}}
    with pytest.raises(ValueError, match="did you mean 'baseline.age'"):
        findings(tiny_raw, config)


# --- silent drops made visible -------------------------------------------------------


def test_participant_without_baseline_questionnaire_is_a_warning(tiny_raw):
    block = "".join(f"P2,WEEK0,2024-01-10,TOY,{item},2\n" for item in (1, 2, 3))
    edit(tiny_raw, "questionnaires.csv", block, "")  # P2's baseline questionnaire removed
    listing = findings(tiny_raw)
    assert only(listing, "missing_baseline") == [
        ("randomization.csv", 3, "participant_id", "P2", "warning")
    ]
    hit = listing[listing["rule"] == "missing_baseline"].iloc[0]
    assert hit["visit"] == "WEEK0" and "no answered baseline TOY questionnaire" in hit["message"]
    raise_for_blocking(listing, "queries.csv")  # a warning does not block


def test_blank_baseline_questionnaire_is_a_warning(tiny_raw):
    edit(
        tiny_raw, "questionnaires.csv", "P2,WEEK0,2024-01-10,TOY,1,2", "P2,WEEK0,2024-01-10,TOY,1,"
    )
    edit(
        tiny_raw, "questionnaires.csv", "P2,WEEK0,2024-01-10,TOY,2,2", "P2,WEEK0,2024-01-10,TOY,2,"
    )
    edit(
        tiny_raw, "questionnaires.csv", "P2,WEEK0,2024-01-10,TOY,3,2", "P2,WEEK0,2024-01-10,TOY,3,"
    )
    listing = findings(tiny_raw)
    assert only(listing, "missing_baseline") == [
        ("randomization.csv", 3, "participant_id", "P2", "warning")
    ]
    missing = listing[listing["rule"] == "missing_baseline"]
    assert "every item is blank" in missing["message"].item()


def test_post_baseline_visit_before_randomization_is_blocking(tiny_raw):
    # randomized 2024-01-10; week 4 dated five days earlier
    edit(tiny_raw, "questionnaires.csv", "P1,WEEK4,2024-02-07", "P1,WEEK4,2024-01-05", count=3)
    listing = findings(tiny_raw)
    assert only(listing, "before_randomization") == [
        ("questionnaires.csv", 5, "assessment_date", "2024-01-05", "error")
    ]
    hit = listing[listing["rule"] == "before_randomization"].iloc[0]
    assert "study day -5" in hit["message"]
    assert only(listing, "visit_window") == []  # the cause is listed once


# --- structural problems first -------------------------------------------------------


def test_semicolon_randomization_names_the_delimiter(park_raw_copy, park_config):
    path = park_raw_copy / "randomization.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    listing = findings(park_raw_copy, park_config)
    assert only(listing, "delimiter") == [("randomization.csv", 1, None, ";", "error")]
    assert "separated by semicolons" in listing["message"].iloc[0]
    assert len(listing) == 1  # read with ';', so no consequential not_randomized errors


def test_header_cell_with_stray_space(tiny_raw):
    edit(tiny_raw, "randomization.csv", ",arm\n", ",arm \n")
    listing = findings(tiny_raw)
    assert only(listing, "header_space") == [("randomization.csv", 1, "arm", "arm ", "error")]
    assert len(listing) == 1  # the column is still found and checked


def test_header_only_randomization_is_the_root_cause(park_raw_copy, park_config):
    header_only(park_raw_copy, "randomization.csv")
    listing = findings(park_raw_copy, park_config)
    assert listing["rule"].tolist() == ["no_records", "consequential"]
    assert only(listing, "consequential") == [
        ("randomization.csv", 1, "participant_id", "3116 records", "error")
    ]
    assert "adherence.csv 784" in listing["message"].iloc[1]
    with pytest.raises(ValidationError) as error:
        raise_for_blocking(listing, "queries.csv")
    first = str(error.value).splitlines()[1]
    assert first.startswith("  randomization.csv row 1") and "[no_records]" in first


def test_identifier_with_trailing_space_is_the_root_cause(tiny_raw):
    edit(tiny_raw, "randomization.csv", "P1,S01", "P1 ,S01")
    listing = findings(tiny_raw)
    assert listing["rule"].tolist() == ["whitespace", "consequential"]
    assert only(listing, "whitespace") == [
        ("randomization.csv", 2, "participant_id", "P1 ", "error")
    ]
    assert listing["message"].iloc[1].startswith("12 records of other files")


def test_utf16_file_is_named_and_still_read(tiny_raw):
    path = tiny_raw / "baseline.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    listing = findings(tiny_raw)
    assert only(listing, "utf16") == [("baseline.csv", 1, None, "FF FE", "error")]
    assert "UTF-16 (little-endian)" in listing["message"].iloc[0]
    assert len(listing) == 1


def test_nul_bytes_never_reach_the_listing(tiny_raw, tmp_path):
    path = tiny_raw / "adverse_events.csv"
    path.write_bytes(path.read_bytes().replace(b"P1,2024-01-20", b"P1\x00,2024-01-20"))
    listing = findings(tiny_raw)
    assert only(listing, "nul_byte") == [("adverse_events.csv", 2, None, "00", "error")]
    listing.to_csv(tmp_path / "queries.csv", index=False)
    assert b"\x00" not in (tmp_path / "queries.csv").read_bytes()


def test_an_arm_without_answers_at_a_visit_is_a_warning_naming_arm_and_visit(
    park_raw_copy, park_config
):
    heat = [
        line.split(",")[0]
        for line in (park_raw_copy / "randomization.csv").read_text().splitlines()
        if line.endswith(",heat")
    ]
    path = park_raw_copy / "questionnaires.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(
        "".join(line for line in lines if line.split(",")[0] not in heat or ",WEEK0," in line),
        encoding="utf-8",
    )
    listing = findings(park_raw_copy, park_config)
    coverage = listing[listing["rule"] == "arm_without_visit"]
    assert sorted(zip(coverage["visit"], coverage["value"], strict=True)) == [
        ("WEEK4", "IRLS"),
        ("WEEK4", "MOS"),
        ("WEEK4", "RLSQOL"),
    ]
    assert (coverage["severity"] == "warning").all()
    assert coverage["message"].iloc[0].startswith("no participant of arm heat has an answered")


def test_the_bundled_trials_have_every_arm_at_every_visit(park_config):
    listing = findings(ROOT / "data" / "park2020" / "raw", park_config)
    assert "arm_without_visit" not in set(listing["rule"])
