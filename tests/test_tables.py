"""Publication tables: content from the result tables, and every format written."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest

from rlstrial.tables import table_outcome, write_table_formats

ESTIMATE = "estimate (95% CI; Kenward-Roger df and adjusted SE)"


def test_outcome_table_rows(tmp_path):
    results = pd.DataFrame(
        {
            "visit": ["Week 4"] * 3,
            "kind": ["lsmean", "lsmean", "contrast"],
            "arm": ["control", "massager", ""],
            "ci_level": 0.95,
            "df_method": "kenward-roger",
            "vcov": "model",
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
    assert rows.loc["massager", ESTIMATE] == "LS-mean -6.00 (SE 0.50)"
    assert rows.loc["massager vs control", ESTIMATE] == "-5.00 (-6.40, -3.60)"
    assert rows.loc["massager vs control", "p"] == "<0.001"
    assert rows.loc["massager vs control", "p adjusted"] == "0.001 (holm)"
    paths = write_table_formats(table, tmp_path / "a" / "x", "X")
    again = write_table_formats(table, tmp_path / "b" / "x", "X")
    assert [p.suffix for p in paths] == [".csv", ".md", ".html", ".docx", ".tex"]
    for one, two in zip(paths, again, strict=True):
        assert one.read_bytes() == two.read_bytes(), one.name
    with zipfile.ZipFile(paths[3]) as docx:
        assert "massager vs control" in docx.read("word/document.xml").decode()
    assert "<table" in paths[2].read_text() and "| massager vs control" in paths[1].read_text()
    latex = paths[4].read_text()
    # the long estimate header makes its column a wrapped paragraph
    assert latex.startswith("% X\n\\begin{tabular}{llllp{4cm}ll}\n\\toprule\n")
    assert "massager vs control & 4 &  & -5.00 (-6.40, -3.60) & \\textless{}0.001" in latex


def test_harms_and_adherence_tables_by_hand():
    from rlstrial.tables import table_adherence, table_harms

    adsl = pd.DataFrame(
        {
            "USUBJID": ["1", "2", "3", "4"],
            "TRT01P": ["control", "control", "heat", "heat"],
            "SAFFL": ["Y", "Y", "Y", "N"],
            "DCSREAS": [None, "Withdrew: adverse event", None, None],
            "DIARYDY": [28, 20, 28, 0],
            "ADHPCT": [100.0, 100.0, 50.0, None],
            "MASSMIN": [0.0, 0.0, 0.0, None],
            "HEATMIN": [0.0, 0.0, 15.0, None],
            "PPROTFL": ["Y", "N", "N", "N"],
        }
    )
    adae = pd.DataFrame(
        {
            "USUBJID": ["2", "2", "3", "4"],
            "AESER": ["N", "Y", "N", "N"],
            "AEREL": ["N", "N", "Y", "Y"],
            "AESEV": ["MILD", "SEVERE", "MILD", "MILD"],
        }
    )
    labels = {"control": "Control", "heat": "Heat"}
    harms = table_harms(adae, adsl, ["control", "heat"], labels).set_index("harm")
    # participant 4 is not in the safety population
    assert harms.columns.tolist() == ["Control (N = 2)", "Heat (N = 1)"]
    assert harms.loc["Any adverse event"].tolist() == ["1 (50%)", "1 (100%)"]
    assert harms.loc["Serious adverse event"].tolist() == ["1 (50%)", "0 (0%)"]
    assert harms.loc["Device-related adverse event"].tolist() == ["0 (0%)", "1 (100%)"]
    assert harms.loc["Withdrew because of an adverse event"].tolist() == ["1 (50%)", "0 (0%)"]
    adherence = table_adherence(adsl, ["control", "heat"], labels).set_index("measure")
    assert adherence.loc["Diary days, mean (SD)", "Control (n = 2)"] == "24.0 (5.7)"
    assert adherence.loc["Per-protocol population, n (%)"].tolist() == ["1 (50%)", "0 (0%)"]


def test_participant_flow_by_hand():
    from rlstrial.tables import table_participant_flow

    counts = pd.DataFrame(
        {
            "box": [
                "assessed",
                "excluded",
                "randomized",
                "allocated",
                "discontinued",
                "allocated",
                "discontinued",
            ],
            "arm": ["", "", "", "control", "control", "heat", "heat"],
            "n": [5, 2, 3, 2, 1, 1, 0],
            "detail": [""] * 7,
        }
    )
    adsl = pd.DataFrame(
        {
            "USUBJID": ["1", "2", "3"],
            "TRT01P": ["control", "control", "heat"],
            "SAFFL": ["Y", "Y", "Y"],
            "ITTFL": ["Y", "Y", "Y"],
            "EOSSTT": ["COMPLETED", "DISCONTINUED", "COMPLETED"],
            "DCSREAS": [None, "Lost to follow-up", None],
        }
    )
    adqs = pd.DataFrame(
        {
            "USUBJID": ["1", "3", "1"],
            "TRT01P": ["control", "heat", "control"],
            "PARAMCD": ["X", "X", "X"],
            "AVISIT": ["Week 4", "Week 4", "Baseline"],
            "AVISITN": [4, 4, 0],
            "ABLFL": ["", "", "Y"],
            "ANL01FL": ["Y", "Y", "Y"],
        }
    )
    flow = table_participant_flow(
        counts, adqs, adsl, ["control", "heat"], {"control": "C", "heat": "H"}
    )
    rows = flow.set_index("stage")
    assert rows.loc["Screened", "Total"] == "5" and rows.loc["Not randomized", "Total"] == "2"
    assert rows.loc["Randomized", ["C", "H", "Total"]].tolist() == ["2", "1", "3"]
    assert rows.loc["Discontinued", ["C", "H"]].tolist() == ["1", "0"]
    assert rows.loc["  Lost to follow-up", "C"] == "1"
    assert rows.loc["Analysed: X, Week 4", ["C", "H", "Total"]].tolist() == ["1", "1", "2"]


def test_baseline_values_of_outcomes_need_the_outcome_dataset():
    from rlstrial.tables import table_baseline

    with pytest.raises(ValueError, match="need adqs"):
        table_baseline(pd.DataFrame(), [], {}, adqs=None, outcomes=["IRLSTOT"])


def test_latex_wraps_only_long_text_columns(tmp_path):
    table = pd.DataFrame({"item": ["1a"], "note": ["x" * 41], "short": ["y" * 40]})
    (latex,) = [p for p in write_table_formats(table, tmp_path / "t", "T") if p.suffix == ".tex"]
    assert "\\begin{tabular}{lp{4cm}l}" in latex.read_text()
