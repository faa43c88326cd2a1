"""Publication tables: content from the result tables, labels in words, footnotes, and
every format written (the DOCX as a three-line table), byte-identical on rerun."""

from __future__ import annotations

import dataclasses
import re
import zipfile

import numpy as np
import pandas as pd
import pytest

from rlstrial.plan import Analysis, Arm, Design, Multiplicity, Outcome, Plan, Primary, Visit
from rlstrial.tables import (
    outcome_notes,
    table_adherence,
    table_baseline,
    table_comparisons,
    table_harms,
    table_outcome,
    table_participant_flow,
    write_table_formats,
)

# Codes that differ from every label, so that a code left in a table is found.
DESIGN = Design(
    (
        Arm("C0", "No intervention", False, False),
        Arm("M1", "Foot massager", True, False),
        Arm("H2", "Heat therapy", False, True),
        Arm("B3", "Massager + heat", True, True),
    ),
    (Visit("WEEK0", "Baseline", 0, True), Visit("WEEK2", "Week 2", 2), Visit("WEEK4", "Week 4", 4)),
)
CODES = ["C0", "M1", "H2", "B3", "XSCORE", "LS-mean C0", "massager main effect"]
CODES += ["heat main effect", "massager x heat interaction", " vs control"]
MMRM = Analysis("mmrm", "covariate", "mmrm", "ITTFL", ("SITEID",))
PLAN = Plan(
    design=DESIGN,
    outcomes=(Outcome("XSCORE", "X score (0-40)", "X", "lower"),),
    primary=Primary("XSCORE", "WEEK4", "M1 vs C0", "mmrm"),
    population="ITTFL",
    multiplicity=Multiplicity("holm", ("M1 vs C0", "H2 vs C0", "B3 vs C0")),
    analyses=(MMRM,),
)
NAN = np.nan
MAIN = "massager main effect"


def results_by_hand() -> pd.DataFrame:
    """Week 2: no Foot massager data (its LS-mean and comparison not estimable);
    Week 4: two LS-means, the adjusted comparison and an unadjusted main effect."""
    rows = [
        # visit, kind, arm, contrast, estimate, SE, CI, p, adjusted p, adjustment, n
        ("Week 2", "lsmean", "C0", "LS-mean C0", -0.5, 0.4, -1.3, 0.3, 0.2, 0.2, "none", 2),
        ("Week 2", "lsmean", "M1", "LS-mean M1", NAN, NAN, NAN, NAN, NAN, NAN, "none", 0),
        ("Week 2", "contrast", "", "M1 vs C0", NAN, NAN, NAN, NAN, NAN, NAN, "none", 2),
        ("Week 4", "lsmean", "C0", "LS-mean C0", -1.0, 0.5, -2.0, 0.0, 0.05, 0.05, "none", 2),
        ("Week 4", "lsmean", "M1", "LS-mean M1", -6.0, 0.5, -7.0, -5.0, 0.0, 0.0, "none", 2),
        ("Week 4", "contrast", "", MAIN, -4.0, 0.5, -5.0, -3.0, 0.02, 0.02, "none", 4),
        ("Week 4", "contrast", "", "M1 vs C0", -5.0, 0.7, -6.4, -3.6, 0.0004, 0.0012, "holm", 4),
    ]
    columns = ["visit", "kind", "arm", "contrast", "estimate", "std_error", "ci_lower"]
    columns += ["ci_upper", "p_value", "p_adjusted", "adjustment", "n"]
    table = pd.DataFrame(rows, columns=columns)
    return table.assign(
        outcome="XSCORE",
        analysis="mmrm",
        population="ITTFL",
        ci_level=0.95,
        df_method="satterthwaite",
        vcov="model",
    )


def datasets_by_hand() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Participants 1-2 No intervention, 3-4 Foot massager (no Week 2 values); 5 has no
    analysable Week 4 value and 6 is not in the ITT population: both left out."""
    adsl = pd.DataFrame(
        {
            "USUBJID": ["1", "2", "3", "4", "5", "6"],
            "ITTFL": ["Y", "Y", "Y", "Y", "Y", "N"],
            "SITEID": "S1",
        }
    )
    records = [
        # subject, arm, visit, baseline, value, ANL01FL
        ("1", "C0", "Week 2", 22.0, 21.0, "Y"),
        ("2", "C0", "Week 2", 24.0, 23.0, "Y"),
        ("1", "C0", "Week 4", 22.0, 20.0, "Y"),
        ("2", "C0", "Week 4", 24.0, 22.0, "Y"),
        ("3", "M1", "Week 4", 20.0, 14.0, "Y"),
        ("4", "M1", "Week 4", 22.0, 16.0, "Y"),
        ("5", "C0", "Week 4", 30.0, 30.0, ""),
        ("6", "C0", "Week 4", 10.0, 10.0, "Y"),
    ]
    adqs = pd.DataFrame(records, columns=["USUBJID", "TRT01P", "AVISIT", "BASE", "AVAL", "ANL01FL"])
    return adqs.assign(PARAMCD="XSCORE", ABLFL=""), adsl


def test_outcome_table_by_hand():
    adqs, adsl = datasets_by_hand()
    table = table_outcome(results_by_hand(), adqs, adsl, DESIGN, MMRM)
    assert table.columns.tolist() == [
        "Visit",
        "Arm or comparison",
        "n",
        "Baseline, mean (SD)",
        "At visit, mean (SD)",
        "LS-mean change (SE)",
        "Difference (95% CI)",
        "P value",
        "Adjusted P value",
    ]
    # baseline 22, 24 -> 23.0 (1.4); week 4: 20, 22 -> 21.0 (1.4) and 14, 16 -> 15.0 (1.4);
    # comparisons in the design's order: vs control first, then the main effect
    assert table.to_numpy().tolist() == [
        ["Week 2", "No intervention", "2", "23.0 (1.4)", "22.0 (1.4)", "-0.50 (0.40)", "", "", ""],
        ["Week 2", "Foot massager", "0", "-", "-", "not estimable", "", "", ""],
        ["Week 2", "Foot massager vs no intervention", "", "", "", "", "not estimable", "", ""],
        ["Week 4", "No intervention", "2", "23.0 (1.4)", "21.0 (1.4)", "-1.00 (0.50)", "", "", ""],
        ["Week 4", "Foot massager", "2", "21.0 (1.4)", "15.0 (1.4)", "-6.00 (0.50)", "", "", ""],
        ["Week 4", "Foot massager vs no intervention", "", "", "", "", "-5.00 (-6.40, -3.60)"]
        + ["<0.001", "0.001"],
        ["Week 4", "Foot massager (main effect)", "", "", "", "", "-4.00 (-5.00, -3.00)"]
        + ["0.020", ""],
    ]


def test_an_outcome_table_of_the_value_and_without_adjustment():
    """Modelling the value (no baseline covariate): LS-means of the value; nothing
    adjusted: no adjusted P column."""
    adqs, adsl = datasets_by_hand()
    results = results_by_hand().assign(adjustment="none")
    unadjusted = Analysis("unadjusted", "none", "mmrm", "ITTFL", ())
    table = table_outcome(results, adqs, adsl, DESIGN, unadjusted)
    assert "LS-mean at visit (SE)" in table.columns and "Adjusted P value" not in table.columns
    plan = dataclasses.replace(PLAN, analyses=(unadjusted,))
    notes = outcome_notes(results.assign(analysis="unadjusted"), plan)
    assert "P values are not adjusted for multiplicity." in notes
    assert any("of the value at each visit after baseline (not adjusted" in n for n in notes)


def fit_statistics(structure: str, reason: str = "") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "statistic": ["structure", "method", "converged", "fallback_reason"],
            "value": [structure, "reml", "True", reason],
        }
    )


def test_outcome_notes_state_model_structure_inference_multiplicity_population():
    notes = outcome_notes(results_by_hand(), PLAN, fit_statistics("us"))
    text = "\n".join(notes)
    assert notes[0].startswith("Analysed: the intention-to-treat population (ITTFL).")
    assert (
        "Model: mixed model for repeated measures (MMRM) of the change from baseline, with"
        " arm, visit and their interaction as fixed effects, adjusted for the baseline value"
        " and site; fitted by restricted maximum likelihood (REML)."
    ) in notes
    assert "Within-participant covariance: unstructured (SAS TYPE=UN)." in notes
    assert "95% confidence intervals and P values: Satterthwaite df, model-based SE." in notes
    assert (
        "Adjusted P values: Holm's method within each visit over the 3 comparisons of the"
        " family (Foot massager vs no intervention; Heat therapy vs no intervention;"
        " Massager + heat vs no intervention); the other comparisons are not adjusted."
    ) in notes
    assert (
        "Week 2: no participant of Foot massager has a value; the rows that involve it are"
        " not estimable."
    ) in notes
    assert "Lower values are better: a negative difference favours" in text
    assert "Primary end point: Foot massager vs no intervention at Week 4." in notes
    for code in CODES:
        assert code not in text, code


def test_outcome_notes_name_a_fallback_structure_and_kenward_roger():
    results = results_by_hand().assign(df_method="kenward-roger", ci_level=0.9)
    fit = fit_statistics("toeph", "us: did not converge in 200 iterations")
    notes = outcome_notes(results, PLAN, fit)
    assert (
        "Within-participant covariance: heterogeneous Toeplitz (SAS TYPE=TOEPH), a fallback: the"
        " structures tried before it failed (us: did not converge in 200 iterations)."
    ) in notes
    assert "90% confidence intervals and P values: Kenward-Roger df and adjusted SE." in notes


def test_a_family_with_a_comparison_not_estimable_is_adjusted_over_the_others():
    week4 = results_by_hand().query("visit == 'Week 4' and kind == 'contrast'").iloc[[1]]
    family = pd.concat([week4.assign(contrast=name) for name in ("M1 vs C0", "H2 vs C0")])
    missing = week4.assign(contrast="B3 vs C0", estimate=NAN, adjustment="none")
    notes = outcome_notes(pd.concat([family, missing]), PLAN)
    assert "Week 4: adjusted over the 2 estimable comparisons of the family." in notes
    assert (
        "Week 4: Massager + heat vs no intervention not estimable (aliased in the model)." in notes
    )


def test_tables_carry_labels_not_codes():
    adqs, adsl = datasets_by_hand()
    adsl = adsl.assign(
        TRT01P=["C0", "C0", "M1", "M1", "C0", "H2"],
        AGE=50,
        SEX="F",
        RACE="White",
        RLSDUR=1.0,
        RLSMEDFL="Y",
        SAFFL="Y",
        DCSREAS=None,
        DIARYDY=28,
        ADHPCT=100.0,
        MASSMIN=0.0,
        HEATMIN=0.0,
        PPROTFL="Y",
    )
    adqs = adqs.assign(PARAM="X score (0-40)", AVISITN=4)
    baseline = adqs.drop_duplicates("USUBJID").assign(ABLFL="Y", AVISIT="Baseline")
    counts = pd.DataFrame(
        {
            "box": ["assessed", "excluded"] + ["allocated", "discontinued"] * 4,
            "arm": ["", "", "C0", "C0", "M1", "M1", "H2", "H2", "B3", "B3"],
            "n": [9, 3, 3, 0, 2, 0, 1, 0, 0, 0],
            "detail": [""] * 10,
        }
    )
    arms, labels = DESIGN.arm_codes, DESIGN.arm_labels
    adae = pd.DataFrame(columns=["USUBJID", "AESER", "AEREL", "AESEV"])
    tables = [
        table_outcome(results_by_hand(), adqs, adsl, DESIGN, MMRM),
        table_comparisons(DESIGN, PLAN.multiplicity),
        table_baseline(adsl, arms, labels, pd.concat([adqs, baseline]), ["XSCORE"]),
        table_participant_flow(counts, adqs, adsl, arms, labels, "ITTFL", {"XSCORE": "X score"}),
        table_harms(adae, adsl, arms, labels),
        table_adherence(adsl, arms, labels),
    ]
    for table in tables:
        labels_and_headers = [*table.columns, *table.iloc[:, :2].to_numpy().ravel()]
        for text in map(str, labels_and_headers):
            assert not any(code in text for code in CODES), (text, table.columns[0])


def test_comparisons_in_words():
    table = table_comparisons(DESIGN, PLAN.multiplicity).set_index("Comparison")
    assert table.index.tolist() == [
        "Foot massager vs no intervention",
        "Heat therapy vs no intervention",
        "Massager + heat vs no intervention",
        "Foot massager (main effect)",
        "Heat therapy (main effect)",
        "Foot massager x heat therapy (interaction)",
    ]
    assert table["Multiplicity adjustment"].tolist() == ["Holm"] * 3 + ["None"] * 3


NOTES = ["Model: MMRM.", "Within-participant covariance: unstructured (SAS TYPE=UN)."]


def written(tmp_path, table, notes=NOTES, group="Visit"):
    return write_table_formats(table, tmp_path / "x", "X score (0-40)", notes, group=group)


def test_every_format_has_the_table_and_the_notes_the_csv_the_data_only(tmp_path):
    adqs, adsl = datasets_by_hand()
    table = table_outcome(results_by_hand(), adqs, adsl, DESIGN, MMRM)
    paths = written(tmp_path, table)
    assert [p.suffix for p in paths] == [".csv", ".md", ".html", ".docx", ".tex"]
    csv = pd.read_csv(paths[0], dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(csv, table)  # the visit on every row; no title, no notes
    markdown = paths[1].read_text()
    assert markdown.startswith("**X score (0-40)**\n\n| Visit")
    # the visit once per group; the notes below the table
    assert "| Week 4  | No intervention " in markdown and "|         | Foot massager " in markdown
    assert markdown.endswith(
        "\nModel: MMRM.\n\nWithin-participant covariance: unstructured (SAS TYPE=UN).\n"
    )
    html = paths[2].read_text()
    assert html.index("</table>") < html.index("<p><small>Model: MMRM.</small></p>")
    assert "<td>Foot massager vs no intervention</td>" in html and "&lt;0.001" in html
    latex = paths[4].read_text()
    assert latex.startswith("% X score (0-40)\n% needs \\usepackage{booktabs,threeparttable}\n")
    assert "\\end{tabular}\n\\begin{tablenotes}[flushleft]\n\\footnotesize\n" in latex
    assert "\\item Model: MMRM.\n" in latex and latex.endswith("\\end{threeparttable}\n")
    assert " & -5.00 (-6.40, -3.60) & \\textless{}0.001 & 0.001 \\\\" in latex


def test_files_are_byte_identical_on_rerun(tmp_path):
    adqs, adsl = datasets_by_hand()
    table = table_outcome(results_by_hand(), adqs, adsl, DESIGN, MMRM)
    first = written(tmp_path / "a", table)
    second = written(tmp_path / "b", table)
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes(), one.name


def docx_xml(path, part="word/document.xml") -> str:
    with zipfile.ZipFile(path) as docx:
        return docx.read(part).decode()


def test_docx_is_a_three_line_table_with_title_and_notes(tmp_path):
    from docx import Document

    adqs, adsl = datasets_by_hand()
    table = table_outcome(results_by_hand(), adqs, adsl, DESIGN, MMRM)
    path = written(tmp_path, table)[3]
    xml = docx_xml(path)
    # rules: above and below the table (1 pt) and under the header (0.5 pt), nothing else
    (borders,) = re.findall(r"<w:tblBorders>.*?</w:tblBorders>", xml)
    assert re.findall(r'<w:(\w+) w:val="single" w:sz="(\d+)"', borders) == [
        ("top", "8"),
        ("bottom", "8"),
    ]
    assert all(f'<w:{side} w:val="nil"/>' in borders for side in ("left", "right", "insideH"))
    assert '<w:insideV w:val="nil"/>' in borders
    rows = re.findall(r"<w:tr>.*?</w:tr>", xml)
    assert len(rows) == len(table) + 1
    header_rules = re.findall(r"<w:tcBorders>(.*?)</w:tcBorders>", rows[0])
    assert len(header_rules) == len(table.columns)  # each header cell: a rule below
    assert set(header_rules) == {'<w:bottom w:val="single" w:sz="4" w:space="0" w:color="000000"/>'}
    assert "<w:tcBorders>" not in "".join(rows[1:])
    assert not re.search(r'<w:(left|right|insideV|start|end) w:val="single"', xml)
    assert '<w:tblHeader w:val="true"/>' in rows[0]  # repeated on each page
    document = Document(path)
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs == ["X score (0-40)", *NOTES]  # title above, notes below the table
    assert xml.index("X score (0-40)") < xml.index("<w:tbl>") < xml.index("Model: MMRM.")
    assert {run.font.size.pt for p in document.paragraphs[1:] for run in p.runs} == {8}
    assert document.paragraphs[0].runs[0].bold
    normal = document.styles["Normal"].font
    assert (normal.name, normal.size.pt) == ("Times New Roman", 9)
    grid = document.tables[0]
    assert [cell.text for cell in grid.rows[4].cells[:3]] == ["Week 4", "No intervention", "2"]
    assert grid.rows[5].cells[0].text == ""  # the visit once per group
    space = [row.cells[1].paragraphs[0].paragraph_format.space_before for row in grid.rows]
    assert [k for k, before in enumerate(space) if before] == [4]  # above the 2nd visit
    # nine columns: a landscape page
    section = document.sections[0]
    assert section.page_width > section.page_height


def test_a_narrow_docx_table_is_portrait_and_indents_its_sub_rows(tmp_path):
    from docx import Document

    table = pd.DataFrame({"Stage": ["Discontinued", "  Lost to follow-up"], "n": ["2", "1"]})
    path = written(tmp_path, table, notes=(), group=None)[3]
    document = Document(path)
    section = document.sections[0]
    assert section.page_width < section.page_height
    cell = document.tables[0].rows[2].cells[0].paragraphs[0]
    assert cell.text == "Lost to follow-up" and cell.paragraph_format.left_indent.pt == 9
    assert [p.text for p in document.paragraphs] == ["X score (0-40)"]


def test_harms_and_adherence_tables_by_hand():
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
    harms = table_harms(adae, adsl, ["control", "heat"], labels).set_index("Adverse events")
    # participant 4 is not in the safety population
    assert harms.columns.tolist() == ["Control (N = 2)", "Heat (N = 1)"]
    assert harms.loc["Any adverse event"].tolist() == ["1 (50%)", "1 (100%)"]
    assert harms.loc["Serious adverse event"].tolist() == ["1 (50%)", "0 (0%)"]
    assert harms.loc["Device-related adverse event"].tolist() == ["0 (0%)", "1 (100%)"]
    assert harms.loc["Withdrew because of an adverse event"].tolist() == ["1 (50%)", "0 (0%)"]
    adherence = table_adherence(adsl, ["control", "heat"], labels).set_index("Measure")
    assert adherence.loc["Diary days, mean (SD)", "Control (n = 2)"] == "24.0 (5.7)"
    assert adherence.loc["Per-protocol population, n (%)"].tolist() == ["1 (50%)", "0 (0%)"]


def test_participant_flow_by_hand():
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
            "detail": ["", "", "", "", "Lost to follow-up: 1", "", ""],
        }
    )
    adsl = pd.DataFrame(
        {
            "USUBJID": ["1", "2", "3"],
            "TRT01P": ["control", "control", "heat"],
            "SAFFL": ["Y", "Y", "Y"],
            "ITTFL": ["Y", "Y", "Y"],
            # the free text is never published: the counts' category is
            "DCSREAS": [None, "lost: moved abroad", None],
        }
    )
    adqs = pd.DataFrame(
        {
            "USUBJID": ["1", "3", "1"],
            "TRT01P": ["control", "heat", "control"],
            "PARAMCD": ["X", "X", "X"],
            "PARAM": "X score",
            "AVISIT": ["Week 4", "Week 4", "Baseline"],
            "AVISITN": [4, 4, 0],
            "ABLFL": ["", "", "Y"],
            "ANL01FL": ["Y", "Y", "Y"],
        }
    )
    flow = table_participant_flow(
        counts, adqs, adsl, ["control", "heat"], {"control": "C", "heat": "H"}
    )
    rows = flow.set_index("Stage")
    assert rows.loc["Screened", "Total"] == "5" and rows.loc["Not randomized", "Total"] == "2"
    assert rows.loc["Randomized", ["C", "H", "Total"]].tolist() == ["2", "1", "3"]
    assert rows.loc["Discontinued", ["C", "H"]].tolist() == ["1", "0"]
    assert rows.loc["  Lost to follow-up", ["C", "H", "Total"]].tolist() == ["1", "0", "1"]
    assert "lost: moved abroad" not in flow.to_numpy()
    # labelled by PARAM, or by the labels given
    assert rows.loc["Analysed: X score, Week 4", ["C", "H", "Total"]].tolist() == ["1", "1", "2"]
    named = table_participant_flow(
        counts, adqs, adsl, ["control", "heat"], {"control": "C", "heat": "H"}, "ITTFL", {"X": "Y"}
    )
    assert named["Stage"].iloc[-1] == "Analysed: Y, Week 4"


def test_baseline_values_of_outcomes_need_the_outcome_dataset():
    with pytest.raises(ValueError, match="need adqs"):
        table_baseline(pd.DataFrame(), [], {}, adqs=None, outcomes=["IRLSTOT"])


def test_latex_wraps_only_long_text_columns(tmp_path):
    table = pd.DataFrame({"item": ["1a"], "note": ["x" * 41], "short": ["y" * 40]})
    (latex,) = [p for p in write_table_formats(table, tmp_path / "t", "T") if p.suffix == ".tex"]
    assert latex.read_text().startswith("% T\n\\begin{tabular}{lp{4cm}l}\n")


def test_every_covariance_structure_and_multiplicity_method_reads_in_words():
    from rlstrial.mmrm.covariance import STRUCTURES
    from rlstrial.tables import MULTIPLICITY_NAMES, SAS_TYPES, STRUCTURE_NAMES

    assert set(STRUCTURE_NAMES) == set(STRUCTURES) == set(SAS_TYPES)
    assert set(MULTIPLICITY_NAMES) == {"holm", "bonferroni", "hommel", "dunnett", "none"}
