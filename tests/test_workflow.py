"""The Snakemake workflow end to end on the Park replica: outputs, determinism, and
bad raw data stopping the run before anything is written to data/processed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT

DATASETS = [f"{name}.{ext}" for name in ("adsl", "adqs", "adae") for ext in ("parquet", "csv")]


def run_workflow(raw: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run the repository's Snakefile on ``raw`` with the Park config, writing under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    config = out / "config.yaml"
    park = yaml.safe_load((ROOT / "config" / "park2020.yaml").read_text())
    park["analysis"]["outcomes"] = ["IRLSTOT"]  # keep the test quick
    park["paths"] = {
        "raw": str(raw),
        "processed": str(out / "processed"),
        "results": str(out / "results"),
    }
    config.write_text(yaml.safe_dump(park))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--cores",
            "2",
            "--nolock",
            "--configfile",
            str(config),
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    raw = ROOT / "data" / "park2020" / "raw"
    outs = [tmp_path_factory.mktemp(f"run{k}") for k in (1, 2)]
    results = [run_workflow(raw, out) for out in outs]
    for result in results:
        assert result.returncode == 0, result.stderr[-3000:]
    return outs


def test_workflow_builds_the_analysis_datasets(two_runs):
    processed = two_runs[0] / "processed"
    for name in DATASETS + ["row_ledger.csv", "exclusions.csv"]:
        assert (processed / name).stat().st_size > 0, name
    adsl = pd.read_parquet(processed / "adsl.parquet")
    assert adsl["TRT01P"].value_counts().to_dict() == {
        "massager": 8,
        "control": 7,
        "combined": 7,
        "heat": 6,
    }
    adqs = pd.read_parquet(processed / "adqs.parquet")
    assert set(adqs["AVISITN"]) == {0, 4}
    assert len(adqs) == 28 * 2 * 13  # 13 parameters at 2 visits
    results = two_runs[0] / "results"
    assert "0 blocking" in (results / "validation" / "summary.md").read_text()
    assert "unchanged since ingest" in (results / "provenance" / "raw_verified.txt").read_text()
    for rule in ("ingest", "validate", "validation_gate", "score", "derive", "verify_raw"):
        assert (results / "logs" / f"{rule}.log").exists(), rule


def test_parquet_and_csv_hold_the_same_data(two_runs):
    processed = two_runs[0] / "processed"
    parquet = pd.read_parquet(processed / "adqs.parquet")
    csv = pd.read_csv(processed / "adqs.csv", keep_default_na=False, na_values=[""])
    assert len(csv) == len(parquet)
    assert csv["AVAL"].equals(parquet["AVAL"])


def test_the_transport_files_hold_the_analysis_datasets(two_runs):
    """Each XPT file reads back (pyreadstat) with the dataset's values, dates as dates;
    the specification lists every variable of every dataset and no other."""
    import pyreadstat

    processed = two_runs[0] / "processed"
    spec = pd.read_csv(processed / "submission" / "specification.csv")
    for name in ("adsl", "adqs", "adae"):
        dataset = pd.read_parquet(processed / f"{name}.parquet")
        xpt, meta = pyreadstat.read_xport(processed / "submission" / f"{name}.xpt")
        assert meta.table_name == name.upper()
        assert list(xpt.columns) == list(dataset.columns)
        listed = spec.loc[spec["dataset"] == name.upper(), "variable"].tolist()
        assert listed == list(dataset.columns)
        dates = spec.loc[(spec["dataset"] == name.upper()) & (spec["format"] == "DATE9.")]
        for column in dataset.columns:
            ours, theirs = dataset[column].reset_index(drop=True), xpt[column]
            if column in set(dates["variable"]):
                ours = pd.to_datetime(ours).dt.date
            elif pd.api.types.is_numeric_dtype(ours):
                ours, theirs = ours.astype(float), theirs.astype(float)
            else:
                ours = ours.astype(object).fillna("")
            assert ours.tolist() == theirs.tolist() or ours.equals(theirs), (name, column)


def test_two_runs_in_two_folders_are_byte_identical(two_runs):
    first, second = two_runs
    submission = [f"submission/{name}.xpt" for name in ("adsl", "adqs", "adae")]
    submission += ["submission/specification.csv", "submission/specification.docx"]
    for name in DATASETS + ["row_ledger.csv", "exclusions.csv", "scores.parquet", *submission]:
        assert (first / "processed" / name).read_bytes() == (
            second / "processed" / name
        ).read_bytes(), name
    for folder in ("figures", "tables"):
        names = sorted(p.name for p in (first / "results" / folder).iterdir())
        assert names, folder
        for name in names:
            one = (first / "results" / folder / name).read_bytes()
            assert one == (second / "results" / folder / name).read_bytes(), name
    models = sorted(p.name for p in (first / "results" / "models").iterdir())
    assert "IRLSTOT_unadjusted.parquet" in models and "replication.csv" in models
    for name in [
        "validation/queries.csv",
        "provenance/raw_sha256.csv",
        *(f"models/{m}" for m in models),
    ]:
        assert (first / "results" / name).read_bytes() == (second / "results" / name).read_bytes()


def test_published_reasons_are_coded_and_free_text_stays_in_the_datasets(two_runs):
    """The Park replica's screening log gives 'IRLS below entry threshold' (4), 'age
    outside 18-75' (1) and two who did not consent: the CONSORT counts, diagram and
    participant-flow table show their category; the text is only in the row ledger."""
    results, processed = two_runs[0] / "results", two_runs[0] / "processed"
    counts = pd.read_csv(results / "tables" / "consort_counts.csv", keep_default_na=False)
    excluded = counts.loc[counts["box"] == "excluded", "detail"].item()
    assert excluded == "Declined to participate: 2\nNot meeting inclusion criteria: 5"
    for published in ("consort_counts.csv", "participant_flow.csv", "participant_flow.html"):
        text = (results / "tables" / published).read_text()
        assert "IRLS below entry threshold" not in text, published
    assert "IRLS below entry threshold" not in (results / "report.html").read_text()
    assert "IRLS below entry threshold" in (processed / "row_ledger.csv").read_text()


# --- reruns: each setting reaches its jobs as params; a change reruns just those -------

DATA_STAGE = {"ingest", "validate", "validation_gate", "score", "derive", "verify_raw"}
FIGURE_RULES = {
    "figure_results",
    "figure_consort",
    "figure_diagnostics",
    "figure_individual_change",
    "figure_meta",
}


def scheduled(out: Path, change: dict) -> dict[str, int]:
    """The jobs per rule that ``snakemake -n`` schedules after the complete run in
    ``out`` once ``change`` is merged over that run's configuration."""
    from rlstrial.config import deep_merge

    config = deep_merge(yaml.safe_load((out / "config.yaml").read_text()), change)
    variant = out / "variant.yaml"
    variant.write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "2", "--nolock"]
        + ["--configfile", str(variant)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    if "Nothing to be done" in output:
        return {}
    table = output.split("Job stats:")[1].split("total")[0].splitlines()[3:]
    return {line.split()[0]: int(line.split()[1]) for line in table if line.strip()}


def test_an_unchanged_config_schedules_nothing(two_runs):
    assert scheduled(two_runs[0], {}) == {}


def test_an_analysis_setting_reruns_the_analyses_and_what_follows_only(two_runs):
    jobs = scheduled(two_runs[0], {"analysis": {"alpha": 0.01}})
    assert jobs == {
        "analyze": 2,  # the Park plan's two analyses
        "primary_visit_checks": 1,  # imputation CIs at 1 - alpha
        "estimand": 1,  # records alpha
        "figure_results": 1,
        "figure_diagnostics": 1,
        "publication_tables": 1,
        "replication": 1,
        "meta_analysis": 1,  # pools the primary contrast's new result table
        "figure_meta": 1,
        "report": 1,
        "all": 1,
    }


def test_changing_one_analysis_reruns_that_analysis_alone(two_runs):
    park = yaml.safe_load((ROOT / "config" / "park2020.yaml").read_text())
    analyses = park["analysis"]["analyses"]
    assert analyses[1]["name"] == "ancova"
    analyses[1]["population"] = "SAFFL"
    jobs = scheduled(two_runs[0], {"analysis": {"analyses": analyses}})
    assert jobs["analyze"] == 1
    assert not DATA_STAGE & set(jobs)


def test_a_scoring_setting_reruns_scoring_onwards(two_runs):
    latency = {"from": [1, 2, 3, 4, 5], "to": [0, 20, 50, 75, 100]}
    jobs = scheduled(two_runs[0], {"instruments": {"MOS": {"recodes": {"latency": latency}}}})
    assert {"score", "derive", "analyze", "report"} <= set(jobs)
    assert not {"ingest", "validate", "validation_gate"} & set(jobs)


def test_a_figure_setting_redraws_the_figures_and_the_report_only(two_runs):
    jobs = scheduled(two_runs[0], {"figures": {"dpi": 150}})
    assert set(jobs) == FIGURE_RULES | {"report", "all"}


def test_the_order_of_arms_and_visits_changes_no_job_but_the_reports_config_listing(two_runs):
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    park = yaml.safe_load((ROOT / "config" / "park2020.yaml").read_text())
    reordered = {
        "arms": config["arms"][::-1],
        "visits": park["visits"][::-1],
    }
    assert set(scheduled(two_runs[0], reordered)) == {"report", "all"}


# --- bad input: one folder with every defect, one run, one test per defect ------------


def line_of(lines: list[str], prefix: str) -> int:
    """1-based line number of the first line starting with ``prefix``."""
    return next(k for k, line in enumerate(lines, start=1) if line.startswith(prefix))


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    source = ROOT / "data" / "park2020" / "raw"
    raw = tmp_path_factory.mktemp("bad") / "raw"
    raw.mkdir()
    text = {p.name: p.read_text(encoding="utf-8").splitlines() for p in source.glob("*.csv")}
    where = {}

    baseline = text["baseline.csv"]
    baseline.append(baseline[1])  # a participant twice
    where["duplicate participant id"] = (
        "duplicate_key",
        "baseline.csv",
        len(baseline),
        "participant_id",
    )
    where["byte-order mark"] = ("byte_order_mark", "baseline.csv", 1, None)

    q = text["questionnaires.csv"]
    q.append(q[5])  # the same item again at the same visit
    where["duplicate item response"] = (
        "duplicate_key",
        "questionnaires.csv",
        len(q),
        "participant_id,visit,instrument,item",
    )
    row = line_of(q, "P001,WEEK0")
    q[row - 1] = q[row - 1].replace("WEEK0", "WEEK9")
    where["unknown visit"] = ("unknown_visit", "questionnaires.csv", row, "visit")
    row = line_of(q, "P002,WEEK0")
    q[row - 1] = q[row - 1].replace(",IRLS,", ",PSQI,")
    where["unknown instrument"] = ("unknown_instrument", "questionnaires.csv", row, "instrument")
    row = line_of(q, "P003,WEEK0")
    q[row - 1] = q[row - 1].replace(",IRLS,1,", ",IRLS,11,")
    where["unknown item"] = ("unknown_item", "questionnaires.csv", row, "item")
    row = line_of(q, "P004,WEEK0")
    q[row - 1] = q[row - 1].rsplit(",", 1)[0] + ",7"
    where["out-of-range response"] = ("out_of_range", "questionnaires.csv", row, "response")
    row = line_of(q, "P005,WEEK4")
    base_date = q[line_of(q, "P005,WEEK0") - 1].split(",")[2]
    earlier = (pd.Timestamp(base_date) - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    q = [
        line.replace(line.split(",")[2], earlier) if line.startswith("P005,WEEK4") else line
        for line in q
    ]
    where["visits out of order"] = ("date_order", "questionnaires.csv", row, "assessment_date")
    row = line_of(q, "P006,WEEK4")
    rand = next(line for line in text["randomization.csv"] if line.startswith("P006,")).split(",")[
        3
    ]
    late = (pd.Timestamp(rand) + pd.Timedelta(days=40)).strftime("%Y-%m-%d")
    q = [
        line.replace(line.split(",")[2], late) if line.startswith("P006,WEEK4") else line
        for line in q
    ]
    where["visit outside its window"] = (
        "visit_window",
        "questionnaires.csv",
        row,
        "assessment_date",
    )
    text["questionnaires.csv"] = q

    r = text["randomization.csv"]
    r[2] = r[2].rsplit(",", 1)[0] + ",Massage"
    where["unknown arm"] = ("unknown_arm", "randomization.csv", 3, "arm")

    d = text["disposition.csv"]
    d[1] = d[1].replace(d[1].split(",")[2], "42500")
    where["Excel serial date"] = ("excel_serial_date", "disposition.csv", 2, "status_date")
    d[2] = d[2].replace(d[2].split(",")[2], "2016-02-30")
    where["impossible date"] = ("impossible_date", "disposition.csv", 3, "status_date")

    ae = text["adverse_events.csv"]
    ae.append("P999,2016-03-01,Headache,mild,no,no")
    where["participant not randomized"] = (
        "not_randomized",
        "adverse_events.csv",
        len(ae),
        "participant_id",
    )

    for name, lines in text.items():
        data = ("\n".join(lines) + "\n").encode("utf-8")
        if name == "baseline.csv":
            data = b"\xef\xbb\xbf" + data
        if name == "adverse_events.csv":
            data = data.replace(b"\n", b"\nP001,2016-01-20,Fu\xdfschmerz,mild,no,no\n", 1)
        (raw / name).write_bytes(data)
    where["not UTF-8"] = ("not_utf8", "adverse_events.csv", 2, "term")
    # the inserted line moved the not-randomized record down by one
    rule, file, row, field = where["participant not randomized"]
    where["participant not randomized"] = (rule, file, row + 1, field)

    out = tmp_path_factory.mktemp("bad_out")
    result = run_workflow(raw, out)
    queries = pd.read_csv(out / "results" / "validation" / "queries.csv", keep_default_na=False)
    return result, out, queries, where


BAD_INPUTS = [
    "duplicate participant id",
    "duplicate item response",
    "participant not randomized",
    "unknown arm",
    "unknown visit",
    "unknown instrument",
    "unknown item",
    "out-of-range response",
    "impossible date",
    "visits out of order",
    "visit outside its window",
    "byte-order mark",
    "not UTF-8",
    "Excel serial date",
]


@pytest.mark.parametrize("defect", BAD_INPUTS)
def test_bad_input_is_listed_and_stops_the_run(bad_run, defect):
    result, out, queries, where = bad_run
    rule, file, row, field = where[defect]
    hits = queries[(queries["rule"] == rule) & (queries["file"] == file) & (queries["row"] == row)]
    assert len(hits) >= 1, queries[queries["rule"] == rule].to_string()
    assert hits["field"].iloc[0] == (field or "")
    assert hits["message"].iloc[0]
    # the run stopped at the validation gate: nothing in processed/
    assert result.returncode != 0
    assert "blocking finding(s)" in result.stderr
    processed = out / "processed"
    written = [p.name for p in processed.iterdir()] if processed.exists() else []
    assert written in ([], [".rlstrial.lock"]), written  # the run's lock only


def test_error_points_to_the_query_listing(bad_run):
    result, out, _, _ = bad_run
    assert str(out / "results" / "validation" / "queries.csv") in result.stderr


@pytest.fixture(scope="module")
def heat_without_week4(tmp_path_factory):
    """The Park replica with every week-4 questionnaire of the heat arm removed."""
    source = ROOT / "data" / "park2020" / "raw"
    raw = Path(shutil.copytree(source, tmp_path_factory.mktemp("noheat") / "raw"))
    heat = {
        line.split(",")[0]
        for line in (raw / "randomization.csv").read_text().splitlines()[1:]
        if line.endswith(",heat")
    }
    lines = (raw / "questionnaires.csv").read_text().splitlines(keepends=True)
    kept = [line for line in lines if not (line.split(",")[0] in heat and ",WEEK4," in line)]
    (raw / "questionnaires.csv").write_text("".join(kept))
    out = tmp_path_factory.mktemp("noheat_out")
    return run_workflow(raw, out), out, len(lines) - len(kept)


def test_an_arm_without_data_at_the_primary_visit_is_reported_not_estimable(heat_without_week4):
    result, out, removed = heat_without_week4
    assert result.returncode == 0, result.stderr[-3000:]
    assert removed > 0
    models = out / "results" / "models"
    table = pd.read_csv(models / "IRLSTOT_unadjusted.csv", keep_default_na=False, na_values=[""])
    rows = table.set_index("contrast")
    for name in ("LS-mean heat", "heat vs control", "heat main effect"):
        assert pd.isna(rows.loc[name, "estimate"]), name
        assert rows.loc[name, "note"] == "not estimable: no heat data at Week 4"
    assert rows.loc["massager vs control", "estimate"] < 0
    effect_sizes = pd.read_csv(models / "primary_effect_sizes.csv").set_index("contrast")
    assert effect_sizes.loc["heat vs control", "note"].startswith("not estimable")
    outcome_table = (out / "results" / "tables" / "outcome_IRLSTOT.csv").read_text()
    assert "not estimable" in outcome_table
    assert (
        "not estimable: no heat data at Week 4"
        in (out / "results" / "logs" / "analyze_unadjusted.log").read_text()
    )
    queries = pd.read_csv(out / "results" / "validation" / "queries.csv", keep_default_na=False)
    warned = queries[queries["rule"] == "arm_without_visit"]
    assert set(zip(warned["visit"], warned["value"], strict=True)) == {
        ("WEEK4", "IRLS"),
        ("WEEK4", "MOS"),
        ("WEEK4", "RLSQOL"),
    }


# Rules run in the uv-locked environment of the project (uv.lock), not in per-rule conda
# environments or containers, so that one lint is waived; any other lint fails.
WAIVED_LINTS = {"Specify a conda environment or container for each rule."}


def test_snakemake_lint_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    lints = {
        line.strip()[2:].rstrip(":")
        for line in output.splitlines()
        if line.strip().startswith("* ")
    }
    assert lints <= WAIVED_LINTS, output
    assert "Traceback" not in output


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium on this machine (Debian package chromium)"
)
def test_report_renders_in_a_browser(two_runs, tmp_path):
    """Headless Chromium opens the report: no console message, every figure displayed;
    a screenshot is kept beside the report."""
    results = two_runs[0] / "results"
    page = (results / "report.html").resolve().as_uri()
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=10000",
    ]
    dom = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", page], capture_output=True, text=True, timeout=120
    )
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    shown = re.search(r'data-figures="(\d+)/(\d+)"', dom.stdout)
    assert shown is not None, "the page's load handler did not run"
    assert shown.group(1) == shown.group(2) and int(shown.group(2)) >= 5
    screenshot = results / "report_screenshot.png"
    subprocess.run(
        [CHROMIUM, *flags, "--window-size=1280,2400", f"--screenshot={screenshot}", page],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert screenshot.stat().st_size > 10_000


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")))
def test_notebook_runs_top_to_bottom(two_runs, name, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), (
        "notebooks are committed without outputs"
    )
    monkeypatch.setenv("RLSTRIAL_PROCESSED", str(two_runs[0] / "processed"))
    monkeypatch.setenv("RLSTRIAL_RESULTS", str(two_runs[0] / "results"))
    monkeypatch.setenv("RLSTRIAL_CONFIG", str(two_runs[0] / "config.yaml"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    ).execute()


def test_checklist_map_covers_every_item_with_this_runs_outputs(two_runs):
    from rlstrial.checklist import load_checklist

    results = two_runs[0] / "results"
    table = pd.read_csv(
        results / "tables" / "consort_checklist.csv", dtype=str, keep_default_na=False
    )
    assert table["item"].tolist() == [str(item["item"]) for item in load_checklist()["items"]]
    assert ((table["addressed by"] != "") | (table["note"] != "")).all()
    rows = table.set_index("item")
    assert "{results}/figures/interaction.pdf" in rows.loc["F3", "addressed by"]
    assert rows.loc["23a", "addressed by"] == "{results}/tables/recruitment.csv"
    assert "CONSORT 2025 checklist" in (results / "report.html").read_text(encoding="utf-8")


def test_no_bare_code_in_any_figure(two_runs):
    """Every text of every figure is in words: no text is just an arm code, and no
    PARAMCD or visit code appears anywhere (SVG keeps its text as text)."""
    import xml.etree.ElementTree as ElementTree

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    arm_codes = {arm["code"] for arm in config["arms"]}
    codes = [
        scale["code"] for spec in config["instruments"].values() for scale in spec["scales"]
    ] + [visit["code"] for visit in config["visits"]]
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, codes)) + r")\b")
    figures = sorted((two_runs[0] / "results" / "figures").glob("*.svg"))
    assert len(figures) >= 7
    for path in figures:
        root = ElementTree.parse(path).getroot()
        texts = [
            "".join(element.itertext()).strip()
            for element in root.iter("{http://www.w3.org/2000/svg}text")
        ]
        assert texts, f"{path.name} has no text elements"
        for text in texts:
            assert text not in arm_codes, (path.name, text)
            assert not pattern.search(text), (path.name, text)
    # and none in the publication tables' headers or row labels
    from rlstrial import registry

    stems = [output.stem for output in registry.written_by("publication_tables")]
    tables = [
        path
        for path in sorted((two_runs[0] / "results" / "tables").glob("*.csv"))
        if any(re.fullmatch(stem.replace("{outcome}", ".+"), path.stem) for stem in stems)
    ]
    assert len(tables) >= 7
    for path in tables:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        labels = [*table.columns, *table.iloc[:, :2].to_numpy().ravel()]
        for text in labels:
            assert text not in arm_codes, (path.name, text)
            assert not pattern.search(text), (path.name, text)


def test_a_power_study_is_byte_identical_whatever_the_batches_and_cores(tmp_path):
    """`snakemake power` with the replicates in batches of 2 on 2 cores and in one batch
    on 1 core: the same tables and figures, byte for byte."""
    power = yaml.safe_load((ROOT / "config" / "power.yaml").read_text())["power"]
    power.update(replicates=4, sample_sizes=[12])
    outputs = []
    for k, (batch_size, cores) in enumerate(((2, "2"), (4, "1"))):
        out = tmp_path / f"run{k}"
        out.mkdir()
        config = out / "config.yaml"
        paths = {"processed": str(out / "processed"), "results": str(out / "results")}
        config.write_text(
            yaml.safe_dump({"paths": paths, "power": {**power, "batch_size": batch_size}})
        )
        result = subprocess.run(
            [sys.executable, "-m", "snakemake", "power", "--cores", cores, "--nolock",
             "--configfile", str(config)],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        outputs.append(out / "results" / "power")
    names = ["power.csv", "replicates.csv", "sample_size.csv", "power_curves.png"]
    for name in names:
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes(), name
    assert len(list((outputs[0] / "replicates").glob("*.parquet"))) == 2 * 2  # 2 scenarios
    summary = pd.read_csv(outputs[0] / "power.csv")
    assert set(summary["replicates"]) == {4}


def test_every_rule_declares_its_cluster_resources():
    """threads, mem_mb and runtime on every rule that runs a job: on a cluster they become
    sbatch's --cpus-per-task, --mem and --time (profiles/slurm)."""
    blocks = []
    for path in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        blocks += re.split(r"^(?=rule \w+:)", path.read_text(), flags=re.MULTILINE)[1:]
    assert len(blocks) >= 20
    for block in blocks:
        name = block.split(":")[0]
        assert re.search(r"^    threads: \d+$", block, re.MULTILINE), name
        resources = re.search(r"^    resources:\n((?:        .*\n)+)", block, re.MULTILINE)
        assert resources, name
        declared = dict(re.findall(r"(\w+)=(\d+)", resources.group(1)))
        assert set(declared) == {"mem_mb", "runtime"}, name


def test_the_redcap_route_gives_the_csv_routes_datasets_byte_for_byte(tmp_path):
    """The bundled trial from its REDCap project (config/redcap.yaml) and from its raw CSV
    folder: the same adsl, adqs and adae; the exports' SHA-256 recorded."""
    runs = {}
    for route in ("csv", "redcap"):
        out = tmp_path / route
        paths = {"processed": str(out / "processed"), "results": str(out / "results")}
        settings = {"paths": paths}
        if route == "redcap":
            settings |= yaml.safe_load((ROOT / "config" / "redcap.yaml").read_text())
            settings["redcap"]["folder"] = str(out / "interim" / "redcap")
        out.mkdir()
        (out / "config.yaml").write_text(yaml.safe_dump(settings))
        targets = [f"{paths['processed']}/{name}" for name in DATASETS]
        targets.append(f"{paths['results']}/provenance/raw_verified.txt")
        result = subprocess.run(
            [sys.executable, "-m", "snakemake", *targets, "--cores", "2", "--nolock",
             "--configfile", str(out / "config.yaml")],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        runs[route] = out
    for name in DATASETS:
        csv_route = (runs["csv"] / "processed" / name).read_bytes()
        assert csv_route == (runs["redcap"] / "processed" / name).read_bytes(), name
    manifest = pd.read_csv(runs["redcap"] / "results" / "provenance" / "redcap_sha256.csv")
    assert sorted(manifest["file"]) == ["data_dictionary.csv", "records.csv"]
    assert manifest["sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    verified = (runs["redcap"] / "results" / "provenance" / "raw_verified.txt").read_text()
    assert verified == "7 raw files and 2 REDCap exports unchanged since ingest (sha256 verified)\n"


def test_the_meta_analysis_pools_the_trials_primary_contrast(two_runs):
    """results/meta/: the trial enters as the last study with its primary contrast's
    estimate and SE, the forest and funnel plots are drawn, the report has the section."""
    results = two_runs[0] / "results"
    studies = pd.read_csv(results / "meta" / "studies.csv")
    trial = studies[studies["is_trial"]]
    assert len(trial) == 1 and trial.index[0] == len(studies) - 1
    assert trial["source"].iloc[0] == "this trial's IRLSTOT_unadjusted.csv"  # Park's primary
    models = pd.read_csv(results / "models" / "IRLSTOT_unadjusted.csv")
    primary = models[(models["visit"] == "Week 4") & (models["contrast"] == "massager vs control")]
    assert trial["yi"].iloc[0] == primary["estimate"].iloc[0]
    assert trial["se"].iloc[0] == primary["std_error"].iloc[0]
    pooled = pd.read_csv(results / "meta" / "models.csv")
    assert (pooled["k"] == len(studies)).all()
    for name in ("forest", "funnel"):
        assert (results / "meta" / f"{name}.png").stat().st_size > 10_000, name
    assert "The trial in the context of the evidence" in (results / "report.html").read_text()
    second = two_runs[1] / "results" / "meta"
    for path in sorted((results / "meta").iterdir()):
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name
