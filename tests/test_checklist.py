"""The CONSORT checklist map: complete, in the statement's order, and checked against
the files a run actually wrote."""

from __future__ import annotations

import pytest

from rlstrial.checklist import ChecklistError, checklist_map, load_checklist

# CONSORT 2025, Table 1 of the statement: every numbered sub-item, in order.
CONSORT_2025 = [
    "1a",
    "1b",
    "2",
    "3",
    "4",
    "5a",
    "5b",
    "6",
    "7",
    "8",
    "9",
    "10",
    "11",
    "12a",
    "12b",
    "13",
    "14",
    "15",
    "16a",
    "16b",
    "17a",
    "17b",
    "18",
    "19",
    "20a",
    "20b",
    "21a",
    "21b",
    "21c",
    "21d",
    "22a",
    "22b",
    "23a",
    "23b",
    "24a",
    "24b",
    "25",
    "26",
    "27",
    "28",
    "29",
    "30",
]


def is_consort_2025(item: dict) -> bool:
    return item.get("guideline", "CONSORT 2025") == "CONSORT 2025"


def test_map_lists_every_consort_2025_item_once_in_order():
    items = load_checklist()["items"]
    assert [str(item["item"]) for item in items if is_consort_2025(item)] == CONSORT_2025


def test_extension_items_follow_the_item_they_extend():
    items = load_checklist()["items"]
    extension = [item for item in items if not is_consort_2025(item)]
    assert {"F1", "F2", "F3"} <= {item["item"] for item in extension}
    for item in extension:
        assert item["guideline"] == "Factorial extension"
        position = items.index(item)
        before = [str(i["item"]) for i in items[:position] if is_consort_2025(i)]
        assert before[-1] == str(item["extends"]), item["item"]


def test_every_item_says_what_addresses_it_or_why_nothing_does():
    for item in load_checklist()["items"]:
        assert bool(item.get("outputs")) != bool(item.get("none")), item["item"]


def test_a_run_missing_outputs_gets_every_missing_pattern_at_once(tmp_path):
    checklist = load_checklist()
    config = {"analysis": {"responder": {"outcome": "X"}}}
    with pytest.raises(ChecklistError) as error:
        checklist_map({"results": tmp_path, "processed": tmp_path}, config, checklist)
    message = str(error.value)
    patterns = [
        output if isinstance(output, str) else output["path"]
        for item in checklist["items"]
        for output in item.get("outputs") or []
        if isinstance(output, str) or output.get("when") == "analysis.responder"
    ]
    assert message.count("no file matches") == len(patterns)
    assert "item F3: no file matches" in message
    assert f"{tmp_path}/tables/recruitment.csv" in message


def tiny_map(**extra) -> dict:
    item = {
        "item": "26",
        "section": "Results",
        "topic": "Outcomes",
        "requirement": "Results by group.",
        "outputs": [
            "{results}/tables/outcome_*.csv",
            {"path": "{results}/models/responders.csv", "when": "analysis.responder"},
        ],
    }
    return {"items": [item | extra]}


@pytest.fixture
def results(tmp_path):
    (tmp_path / "tables").mkdir()
    for name in ("outcome_A.csv", "outcome_B.csv"):
        (tmp_path / "tables" / name).write_text("x\n")
    return tmp_path


def test_globs_count_their_files_and_conditional_outputs_follow_the_config(results):
    table = checklist_map({"results": results}, {"analysis": {}}, tiny_map())
    assert table.loc[0, "addressed by"] == "{results}/tables/outcome_*.csv (2 files)"
    assert table.loc[0, "note"] == ""
    with pytest.raises(ChecklistError, match="item 26: no file matches .*responders.csv"):
        checklist_map({"results": results}, {"analysis": {"responder": {"x": 1}}}, tiny_map())
    (results / "models").mkdir()
    (results / "models" / "responders.csv").write_text("x\n")
    table = checklist_map({"results": results}, {"analysis": {"responder": {"x": 1}}}, tiny_map())
    assert table.loc[0, "addressed by"].endswith("; {results}/models/responders.csv")


def test_item_whose_only_output_the_plan_did_not_ask_for_says_so(results):
    only_conditional = tiny_map(outputs=[{"path": "{results}/x.csv", "when": "analysis.responder"}])
    table = checklist_map({"results": results}, {"analysis": {}}, only_conditional)
    assert table.loc[0, "addressed by"] == ""
    assert table.loc[0, "note"].startswith("Not produced: the plan sets no analysis.responder.")


def test_malformed_items_are_all_reported(results):
    both = tiny_map(none="Protocol text.")["items"][0]
    neither = {"item": "27", "section": "Results", "topic": "Harms", "requirement": "All harms."}
    unknown_folder = tiny_map(item="28", outputs=["{elsewhere}/a.csv"])["items"][0]
    with pytest.raises(ChecklistError) as error:
        checklist_map({"results": results}, {}, {"items": [both, neither, unknown_folder, both]})
    message = str(error.value)
    assert "item 26: give either 'outputs' or 'none'" in message
    assert "item 27: give either 'outputs' or 'none'" in message
    assert "item 28: unknown folder '{elsewhere}'" in message
    assert "item 26: listed twice" in message


def test_tables_and_figures_must_be_registered_outputs(results):
    misspelled = tiny_map(
        outputs=["{results}/tables/outcome_*.csv", "{results}/figures/forrest.pdf"]
    )
    with pytest.raises(ChecklistError) as error:
        checklist_map({"results": results}, {}, misspelled)
    assert (
        "item 26: {results}/figures/forrest.pdf is not a registered table or figure"
        " (rlstrial.registry)"
    ) in str(error.value)
