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
