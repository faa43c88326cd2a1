"""The committed data dictionary is generated from the contract in rlstrial.rawdata."""

from conftest import ROOT

from rlstrial.rawdata import RAW_FILES, data_dictionary_markdown


def test_committed_data_dictionary_is_current():
    committed = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == data_dictionary_markdown() + "\n", "run: uv run rlstrial data-dictionary"


def test_every_file_documents_every_column():
    text = data_dictionary_markdown()
    for spec in RAW_FILES.values():
        assert f"## {spec.name}" in text
        for column in spec.columns:
            assert f"| {column.name} |" in text


def test_contract_says_which_files_may_be_empty():
    may_be_empty = {name for name, spec in RAW_FILES.items() if spec.empty_allowed}
    assert may_be_empty == {"adverse_events.csv", "disposition.csv"}
    text = data_dictionary_markdown()
    assert "Records: may be empty (header only): a trial may have no adverse events." in text
    assert text.count("Records: at least one is required.") == len(RAW_FILES) - 2


def test_every_numeric_column_has_a_plausible_range():
    for spec in RAW_FILES.values():
        for column in spec.columns:
            if column.type in ("integer", "number"):
                assert column.plausible_text, f"{spec.name} {column.name}"
    assert "| age | integer | yes |  | 18 to 100 (error) |" in data_dictionary_markdown()
