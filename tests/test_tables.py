"""Publication tables: content from the result tables, and every format written."""

from __future__ import annotations

import zipfile

import pandas as pd

from rlstrial.tables import table_outcome, write_table_formats


def test_outcome_table_rows(tmp_path):
    results = pd.DataFrame(
        {
            "visit": ["Week 4"] * 3,
            "contrast": ["LS-mean control", "LS-mean massager", "massager vs control"],
            "estimate": [-1.0, -6.0, -5.0],
            "std_error": [0.5, 0.5, 0.7],
            "ci_lower": [-2.0, -7.0, -6.4],
            "ci_upper": [0.0, -5.0, -3.6],
            "p_value": [0.05, 0.0, 0.0004],
            "p_adjusted": [0.05, 0.0, 0.0012],
            "adjustment": ["none", "none", "holm"],
            "n": [2, 2, 4],
        }
    )
    adqs = pd.DataFrame(
        {
            "PARAMCD": "X",
            "ANL01FL": "Y",
            "AVISIT": "Week 4",
            "TRT01P": ["control", "control", "massager", "massager"],
            "AVAL": [20.0, 22.0, 14.0, 16.0],
        }
    )
    table = table_outcome(results, adqs, "X", ["control", "massager"])
    rows = table.set_index("row")
    assert rows.loc["control", "raw mean (SD)"] == "21.0 (1.4)"
    assert rows.loc["massager", "estimate (95% CI)"] == "LS-mean -6.00 (SE 0.50)"
    assert rows.loc["massager vs control", "estimate (95% CI)"] == "-5.00 (-6.40, -3.60)"
    assert rows.loc["massager vs control", "p"] == "<0.001"
    assert rows.loc["massager vs control", "p adjusted"] == "0.001 (holm)"
    paths = write_table_formats(table, tmp_path / "a" / "x", "X")
    again = write_table_formats(table, tmp_path / "b" / "x", "X")
    assert [p.suffix for p in paths] == [".csv", ".md", ".html", ".docx"]
    for one, two in zip(paths, again, strict=True):
        assert one.read_bytes() == two.read_bytes(), one.name
    with zipfile.ZipFile(paths[3]) as docx:
        assert "massager vs control" in docx.read("word/document.xml").decode()
    assert "<table" in paths[2].read_text() and "| massager vs control" in paths[1].read_text()
