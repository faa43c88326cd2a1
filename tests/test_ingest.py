"""Reading raw files as text, line numbers, typing, and SHA-256 manifests."""

from __future__ import annotations

import pandas as pd
from conftest import tiny_config

from rlstrial.ingest import (
    compare_manifests,
    read_raw_file,
    read_raw_folder,
    sha256_manifest,
    typed_tables,
)


def test_fields_are_read_as_written_with_line_numbers(tiny_raw):
    table = read_raw_file(tiny_raw / "baseline.csv")
    assert table.findings == []
    assert table.data["_row"].tolist() == [2, 3]
    assert table.data["rls_years"].tolist() == ["12.5", "3"]  # text, nothing guessed
    assert table.data["rls_medication_class"].tolist() == ["dopamine agonist", ""]


def test_quoted_line_breaks_keep_line_numbers_right(tmp_path):
    path = tmp_path / "adverse_events.csv"
    path.write_text(
        "participant_id,onset_date,term,severity,serious,device_related\n"
        'P1,2024-01-20,"Foot pain,\nleft",mild,no,yes\n'
        "P2,2024-01-21,Headache,mild,no,no\n"
    )
    assert read_raw_file(path).data["_row"].tolist() == [3, 4]


def test_typed_tables(tiny_raw):
    tables, findings = read_raw_folder(tiny_raw)
    assert findings == []
    typed = typed_tables(tables, tiny_config())
    baseline = typed["baseline.csv"]
    assert baseline["age"].tolist() == [60, 55]
    assert baseline["rls_medication"].tolist() == [True, False]
    assert baseline["rls_years"].dtype == "float64"
    assert typed["randomization.csv"]["randomization_date"].iloc[0] == pd.Timestamp("2024-01-10")
    responses = typed["questionnaires.csv"]["response"]
    assert responses.isna().sum() == 3


def test_arm_aliases_are_mapped_when_typing(tiny_raw):
    path = tiny_raw / "randomization.csv"
    path.write_text(path.read_text().replace(",massager", ",Massage"))
    config = tiny_config()
    config["arm_aliases"] = {"Massage": "massager"}
    typed = typed_tables(read_raw_folder(tiny_raw)[0], config)
    assert typed["randomization.csv"]["arm"].tolist() == ["massager", "control"]


def test_manifest_detects_a_changed_file(tiny_raw):
    before = sha256_manifest(tiny_raw)
    assert len(before) == 7 and before["sha256"].str.len().eq(64).all()
    assert compare_manifests(before, sha256_manifest(tiny_raw)) == []
    path = tiny_raw / "disposition.csv"
    path.write_text(path.read_text() + "P3,completed,2024-03-01,\n")
    changes = compare_manifests(before, sha256_manifest(tiny_raw))
    assert len(changes) == 1 and changes[0].startswith("disposition.csv: sha256")


def test_utf16_is_read_as_utf16_with_one_finding(tiny_raw):
    path = tiny_raw / "baseline.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16-le"))  # no BOM
    table = read_raw_file(path)
    assert [(f["rule"], f["row"], f["value"]) for f in table.findings] == [
        ("utf16", 1, "NUL bytes")
    ]
    assert table.data["participant_id"].tolist() == ["P1", "P2"]


def test_other_separator_is_named_and_used(tiny_raw):
    path = tiny_raw / "adherence.csv"
    path.write_text(path.read_text().replace(",", "\t"))
    table = read_raw_file(path)
    assert [(f["rule"], f["value"]) for f in table.findings] == [("delimiter", "TAB")]
    assert table.data["massager_minutes"].tolist() == ["30", "0", "0"]


def test_header_cells_are_read_trimmed(tiny_raw):
    path = tiny_raw / "randomization.csv"
    path.write_text(path.read_text().replace("participant_id,", " participant_id,"))
    table = read_raw_file(path)
    assert [(f["rule"], f["field"], f["value"]) for f in table.findings] == [
        ("header_space", "participant_id", " participant_id")
    ]
    assert "participant_id" in table.data


def test_field_count_finding_holds_no_field_values(tiny_raw):
    path = tiny_raw / "adherence.csv"
    path.write_text(path.read_text().replace("P1,2024-01-11,30,0", "P1,2024-01-11,30,0,secret"))
    (issue,) = read_raw_file(path).findings
    assert issue["value"] == "5 fields, 4 expected"
    assert "secret" not in str(issue)
