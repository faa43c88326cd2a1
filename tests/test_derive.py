"""ADaM derivations and the row ledger: hand-checkable on the tiny folder, then at scale."""

from __future__ import annotations

import csv
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, tiny_config

from rlstrial.derive import (
    ADAE,
    ADQS,
    ADQS_COLUMNS,
    ADSL,
    ADSL_COLUMNS,
    Dataset,
    derive_adae,
    derive_adqs,
    derive_adsl,
    row_ledger,
)
from rlstrial.pipeline import load_validated
from rlstrial.scoring import score_questionnaires


def build(folder, config):
    tables = load_validated(folder, config)
    adsl = derive_adsl(tables, config)
    adqs = derive_adqs(score_questionnaires(tables["questionnaires.csv"], config), adsl, config)
    return tables, adsl, adqs


def test_adsl_on_the_tiny_folder(tiny_raw):
    _, adsl, _ = build(tiny_raw, tiny_config())
    assert list(adsl.columns) == ADSL_COLUMNS
    p1, p2 = adsl.set_index("USUBJID").loc["P1"], adsl.set_index("USUBJID").loc["P2"]
    assert (p1.TRT01P, p1.TRT01PN, p1.MASSFL, p1.HEATFL) == ("massager", 2, "Y", "N")
    assert (p2.TRT01P, p2.TRT01PN, p2.MASSFL, p2.HEATFL) == ("control", 1, "N", "N")
    # P1's diary: 30 then 0 minutes of massage; 20 minutes needed -> 1 of 2 days adherent
    assert (p1.DIARYDY, p1.ADHDY, p1.ADHPCT, p1.MASSMIN) == (2, 1, 50.0, 15.0)
    assert (p2.DIARYDY, p2.ADHDY, p2.ADHPCT) == (1, 1, 100.0)  # control: nothing to use
    assert p1.EOSSTT == "COMPLETED" and pd.isna(p1.DCSREAS)
    assert (p2.EOSSTT, p2.DCSREAS) == ("DISCONTINUED", "Withdrew: personal reasons")
    assert (p1.ITTFL, p1.SAFFL, p1.PPROTFL) == ("Y", "Y", "Y")  # 50% >= 0.5 and completed
    assert (p2.ITTFL, p2.SAFFL, p2.PPROTFL) == ("Y", "Y", "N")  # did not complete
    assert (p1.AGE, p1.SEX, p1.RLSDUR, p1.RLSMEDFL, p2.RLSMEDFL) == (60, "F", 12.5, "Y", "N")


def test_adqs_on_the_tiny_folder(tiny_raw):
    _, _, adqs = build(tiny_raw, tiny_config())
    assert list(adqs.columns) == ADQS_COLUMNS
    rows = adqs.set_index(["USUBJID", "AVISITN"])
    # P1: baseline 4+3+2 = 9; week 4: 1, blank, 2 -> 3 over 2 items, times 3 = 4.5 (prorated)
    base, week4 = rows.loc[("P1", 0)], rows.loc[("P1", 4)]
    assert (base.AVAL, base.ABLFL, base.BASE, base.ADY, base.AVISIT) == (
        9.0,
        "Y",
        9.0,
        -1,
        "Baseline",
    )
    assert np.isnan(base.CHG)
    assert (week4.AVAL, week4.DTYPE, week4.NITEMS, week4.NITEMEXP) == (4.5, "PRORATED", 2, 3)
    assert (week4.BASE, week4.CHG, week4.PCHG, week4.ADY) == (9.0, -4.5, -50.0, 28)
    assert (week4.ANL01FL, week4.OUTWINFL, week4.ABLFL) == ("Y", "", "")
    # P2: week 4 has two of three items blank, more than max_missing = 1: no score
    p2 = rows.loc[("P2", 4)]
    assert np.isnan(p2.AVAL) and np.isnan(p2.CHG)
    assert (p2.ANL01FL, p2.NITEMS, p2.BASE) == ("", 1, 6.0)


@pytest.mark.parametrize(("action", "flag"), [("keep", "Y"), ("exclude", "")])
def test_out_of_window_assessment_is_handled_as_configured(tiny_raw, action, flag):
    path = tiny_raw / "questionnaires.csv"
    path.write_text(path.read_text().replace("P1,WEEK4,2024-02-07", "P1,WEEK4,2024-02-19"))
    config = tiny_config()
    config["out_of_window"] = action
    tables, _, adqs = build(tiny_raw, config)
    week4 = adqs.set_index(["USUBJID", "AVISITN"]).loc[("P1", 4)]
    assert (week4.OUTWINFL, week4.ANL01FL, week4.ADY) == ("Y", flag, 40)
    ledger = row_ledger(tables, adqs, config)
    excluded = ledger[(ledger["file"] == "questionnaires.csv") & (ledger["dataset"] == "excluded")]
    expected_rows = [5, 6, 7] if action == "exclude" else []
    assert excluded["row"].tolist() == expected_rows
    assert excluded["reason"].str.contains("outside its visit window").all()


def test_adae_numbers_events_per_participant(tiny_raw):
    tables, adsl, _ = build(tiny_raw, tiny_config())
    adae = derive_adae(tables["adverse_events.csv"], adsl)
    assert adae.to_dict("records") == [
        {
            "USUBJID": "P1",
            "TRT01P": "massager",
            "AESEQ": 1,
            "AETERM": "Foot pain",
            "ASTDT": pd.Timestamp("2024-01-20"),
            "ASTDY": 10,
            "AESEV": "MILD",
            "AESER": "N",
            "AEREL": "Y",
        }
    ]


def test_tiny_ledger_accounts_for_every_row(tiny_raw):
    config = tiny_config()
    tables, _, adqs = build(tiny_raw, config)
    ledger = row_ledger(tables, adqs, config)
    counts = ledger.groupby(["file", "dataset"]).size().to_dict()
    assert counts == {
        ("adherence.csv", "adsl"): 3,
        ("adverse_events.csv", "adae"): 1,
        ("baseline.csv", "adsl"): 2,
        ("disposition.csv", "adsl"): 2,
        ("questionnaires.csv", "adqs"): 12,
        ("randomization.csv", "adsl"): 2,
        ("screening.csv", "adsl"): 2,
        ("screening.csv", "excluded"): 1,
    }
    excluded = ledger[ledger["dataset"] == "excluded"].iloc[0]
    assert (excluded.row, excluded.reason) == (
        4,
        "screened, not randomized: IRLS below entry threshold",
    )


def assert_follows_metadata(data: pd.DataFrame, dataset: Dataset) -> None:
    """The columns are the metadata's variables exactly (every one, in order, no other),
    each of the declared type: Char text, Num numbers, DATE9. dates."""
    assert list(data.columns) == [variable.name for variable in dataset.variables]
    for variable in dataset.variables:
        values = data[variable.name]
        if variable.format == "DATE9.":
            assert pd.api.types.is_datetime64_any_dtype(values), variable.name
        elif variable.type == "Num":
            assert pd.api.types.is_numeric_dtype(values), variable.name
            assert not pd.api.types.is_bool_dtype(values), variable.name
        else:
            assert values.dropna().map(type).eq(str).all(), variable.name
    assert not data.duplicated(list(dataset.keys)).any(), dataset.keys


def test_tiny_datasets_follow_their_metadata(tiny_raw):
    tables, adsl, adqs = build(tiny_raw, tiny_config())
    assert_follows_metadata(adsl, ADSL)
    assert_follows_metadata(adqs, ADQS)
    assert_follows_metadata(derive_adae(tables["adverse_events.csv"], adsl), ADAE)
    assert ADSL_COLUMNS == ADSL.columns and ADQS_COLUMNS == ADQS.columns


# --- the default synthetic trial -----------------------------------------------------


@pytest.fixture(scope="module")
def default_trial(default_config):
    tables, adsl, adqs = build(ROOT / "data" / "raw", default_config)
    return tables, adsl, adqs, row_ledger(tables, adqs, default_config)


def raw_line_numbers(path) -> list[int]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        return [reader.line_num for _ in reader]


def test_every_raw_row_ends_in_a_dataset_or_the_exclusion_log(default_trial, default_config):
    tables, adsl, adqs, ledger = default_trial
    for path in sorted((ROOT / "data" / "raw").glob("*.csv")):
        rows = ledger.loc[ledger["file"] == path.name, "row"]
        assert rows.is_unique, path.name
        assert sorted(rows) == raw_line_numbers(path), path.name
    assert set(ledger["dataset"]) <= {"adsl", "adqs", "adae", "excluded"}
    assert ledger.loc[ledger["dataset"] == "excluded", "reason"].str.len().gt(0).all()
    # every ledger entry points at a record that exists
    fed_adsl = set(ledger.loc[ledger["dataset"] == "adsl", "USUBJID"])
    assert fed_adsl == set(adsl["USUBJID"])
    fed_adqs = ledger[ledger["dataset"] == "adqs"]
    records = set(zip(adqs["USUBJID"], adqs["PARCAT1"], adqs["AVISIT"], strict=True))
    labels = {v["code"]: v["label"] for v in default_config["visits"]}
    for participant, key in set(zip(fed_adqs["USUBJID"], fed_adqs["key"], strict=True)):
        instrument, visit = key.split("/")
        assert (participant, instrument, labels[visit]) in records


def test_irls_totals_rederived_from_raw_items_match_adqs_cell_by_cell(default_trial):
    """Independent of rlstrial: the csv module, plain sums, and the configured rule
    (at most one of ten items blank, prorated as mean x 10)."""
    _, _, adqs, _ = default_trial
    items = defaultdict(list)
    with open(ROOT / "data" / "raw" / "questionnaires.csv", newline="", encoding="utf-8") as f:
        for record in csv.DictReader(f):
            if record["instrument"] == "IRLS":
                key = (record["participant_id"], int(record["visit"].removeprefix("WEEK")))
                items[key].append(record["response"])
    expected = {}
    for key, answers in items.items():
        given = [int(a) for a in answers if a != ""]
        expected[key] = sum(given) * 10 / len(given) if len(answers) - len(given) <= 1 else None
    irls = adqs[adqs["PARAMCD"] == "IRLSTOT"]
    derived = {
        (u, int(w)): (None if np.isnan(v) else v)
        for u, w, v in zip(irls["USUBJID"], irls["AVISITN"], irls["AVAL"], strict=True)
    }
    assert derived.keys() == expected.keys()
    mismatches = {
        key: (derived[key], value)
        for key, value in expected.items()
        if (value is None) != (derived[key] is None)
        or (value is not None and abs(derived[key] - value) > 1e-12)
    }
    assert not mismatches
    assert sum(v is not None and v != int(v) for v in expected.values()) > 0  # prorating exercised


def test_change_from_baseline_is_consistent(default_trial):
    _, _, adqs, _ = default_trial
    post = adqs[adqs["ABLFL"] == ""].dropna(subset=["AVAL", "BASE"])
    assert np.allclose(post["CHG"], post["AVAL"] - post["BASE"])
    base = adqs[adqs["ABLFL"] == "Y"]
    assert (base.groupby(["USUBJID", "PARAMCD"]).size() == 1).all()


def test_default_datasets_follow_their_metadata(default_trial):
    tables, adsl, adqs, _ = default_trial
    assert_follows_metadata(adsl, ADSL)
    assert_follows_metadata(adqs, ADQS)
    assert_follows_metadata(derive_adae(tables["adverse_events.csv"], adsl), ADAE)
