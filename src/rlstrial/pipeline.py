"""The workflow's stages as functions: what each Snakemake rule calls.

Each stage reads its inputs, calls the package's computations and writes its
outputs; the Snakemake scripts in ``workflow/scripts/`` only pass paths and config.
The same functions serve notebooks and tests.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from rlstrial.derive import derive_adae, derive_adqs, derive_adsl, row_ledger
from rlstrial.ingest import compare_manifests, read_raw_folder, sha256_manifest, typed_tables
from rlstrial.scoring import score_questionnaires
from rlstrial.validate import raise_for_blocking, summarize_findings, validate_raw

log = logging.getLogger("rlstrial")


class RawDataChanged(RuntimeError):
    """A raw file changed while the workflow ran."""


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """Write ``table`` to ``path`` (CSV with LF line ends, or Parquet), deterministically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        table.to_parquet(path, index=False)
    else:
        table.to_csv(path, index=False, lineterminator="\n", date_format="%Y-%m-%d")


def ingest(raw: str | Path, manifest_path: str | Path) -> pd.DataFrame:
    """Record the SHA-256 of every raw file (checked again by :func:`verify_raw`)."""
    manifest = sha256_manifest(raw)
    write_table(manifest, manifest_path)
    log.info("recorded sha256 of %d raw files in %s", len(manifest), raw)
    return manifest


def validate(
    raw: str | Path, config: dict, queries_path: str | Path, summary_path: str | Path
) -> pd.DataFrame:
    """Run every check and write the query listing and its summary."""
    _, findings = validate_raw(raw, config)
    write_table(findings, queries_path)
    summary = summarize_findings(findings)
    errors = int((findings["severity"] == "error").sum())
    warnings = int((findings["severity"] == "warning").sum())
    lines = [
        "# Raw data validation",
        "",
        f"Folder: `{raw}`. Findings: {errors} blocking (error), {warnings} warning.",
        f"Full listing: `{queries_path}`.",
        "",
        summary.to_markdown(index=False) if not summary.empty else "No findings.",
        "",
    ]
    Path(summary_path).write_text("\n".join(lines), encoding="utf-8")
    log.info("%d blocking and %d warning findings", errors, warnings)
    return findings


def gate(queries_path: str | Path, flag_path: str | Path) -> None:
    """Stop the run when the query listing has blocking findings; else write the flag."""
    findings = pd.read_csv(queries_path, dtype={"value": str}, keep_default_na=False)
    findings["row"] = pd.to_numeric(findings["row"]).astype("Int64")
    raise_for_blocking(findings, str(queries_path))
    Path(flag_path).write_text("no blocking findings\n", encoding="utf-8")


def load_validated(raw: str | Path, config: dict) -> dict[str, pd.DataFrame]:
    """Typed raw tables of a folder that has passed validation (checked again here)."""
    tables, findings = validate_raw(raw, config)
    raise_for_blocking(findings, "the query listing (run the validate stage)")
    return typed_tables(tables, config)


def score(raw: str | Path, config: dict, scores_path: str | Path) -> pd.DataFrame:
    """Score every questionnaire of a raw folder that passed the validation gate."""
    tables = typed_tables(read_raw_folder(raw)[0], config)
    scores = score_questionnaires(tables["questionnaires.csv"], config)
    write_table(scores, scores_path)
    log.info("scored %d parameter records", len(scores))
    return scores


def derive(
    raw: str | Path, config: dict, scores_path: str | Path, outputs: dict[str, str]
) -> dict[str, pd.DataFrame]:
    """Derive adsl, adqs, adae and the row ledger of a raw folder that passed the
    validation gate, and write them.

    ``outputs`` maps names (``adsl_parquet``, ``adsl_csv``, ..., ``ledger``,
    ``exclusions``) to paths.
    """
    tables = typed_tables(read_raw_folder(raw)[0], config)
    scores = pd.read_parquet(scores_path)
    adsl = derive_adsl(tables, config)
    adqs = derive_adqs(scores, adsl, config)
    adae = derive_adae(tables["adverse_events.csv"], adsl)
    ledger = row_ledger(tables, adqs, config)
    datasets = {"adsl": adsl, "adqs": adqs, "adae": adae}
    for name, table in datasets.items():
        write_table(table, outputs[f"{name}_parquet"])
        write_table(table, outputs[f"{name}_csv"])
    write_table(ledger, outputs["ledger"])
    write_table(ledger[ledger["dataset"] == "excluded"], outputs["exclusions"])
    log.info(
        "adsl %d rows, adqs %d rows, adae %d rows; %d raw rows excluded with a reason",
        len(adsl),
        len(adqs),
        len(adae),
        int((ledger["dataset"] == "excluded").sum()),
    )
    return {**datasets, "ledger": ledger}


def verify_raw(raw: str | Path, manifest_path: str | Path, report_path: str | Path) -> None:
    """Check that the raw files still have the SHA-256 recorded at ingest."""
    before = pd.read_csv(manifest_path)
    changes = compare_manifests(before, sha256_manifest(raw))
    if changes:
        raise RawDataChanged("raw files changed during the run:\n  " + "\n  ".join(changes))
    Path(report_path).write_text(
        f"{len(before)} raw files unchanged since ingest (sha256 verified)\n", encoding="utf-8"
    )


def analyse(
    adqs_path: str | Path,
    adsl_path: str | Path,
    config: dict,
    outcome: str,
    analysis_name: str,
    outputs: dict[str, str],
) -> pd.DataFrame:
    """Fit one outcome under one analysis of the plan and write its tables."""
    from rlstrial.analysis import fit_analysis, model_diagnostics, summarize_analysis

    analysis = next(a for a in config["analysis"]["analyses"] if a["name"] == analysis_name)
    adqs, adsl = pd.read_parquet(adqs_path), pd.read_parquet(adsl_path)
    data, fit = fit_analysis(adqs, adsl, config, outcome, analysis)
    results, statistics = summarize_analysis(data, fit, config, outcome, analysis)
    write_table(results, outputs["csv"])
    write_table(results, outputs["parquet"])
    write_table(statistics.astype({"value": str}), outputs["fit"])
    residuals, correlation = model_diagnostics(data, fit)
    write_table(residuals, outputs["residuals"])
    write_table(correlation, outputs["correlation"])
    log.info("%s %s: %d rows", outcome, analysis_name, len(results))
    return results


def write_estimand(config: dict, path: str | Path) -> None:
    """Write the estimand of the analysis plan (YAML) beside the results."""
    import yaml

    plan = config["analysis"]
    record = {
        "trial": config["trial"]["name"],
        "estimand": plan["estimand"],
        "primary": plan["primary"],
        "multiplicity": plan["multiplicity"],
        "analyses": plan["analyses"],
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(yaml.safe_dump(record, sort_keys=False), encoding="utf-8")


def replicate(result_paths: list[str], config: dict, path: str | Path) -> pd.DataFrame:
    """Set our results beside the published ones of ``config["published"]``."""
    from rlstrial.analysis import compare_published

    results = pd.concat([pd.read_parquet(p) for p in result_paths], ignore_index=True)
    table = compare_published(results, config.get("published", []))
    write_table(table, path)
    return table


def primary_visit_checks(
    adqs_path: str | Path, adsl_path: str | Path, config: dict, outputs: dict[str, str]
) -> None:
    """Effect sizes, responders, the rank-based check, the completers-only ANOVA, the
    re-randomization test and multiple imputation with its tipping-point series, for
    the primary outcome, each written to its table."""
    from rlstrial import effects, sensitivity

    adqs, adsl = pd.read_parquet(adqs_path), pd.read_parquet(adsl_path)
    for name, function in (
        ("effect_sizes", effects.hedges_g),
        ("responders", effects.responders),
        ("rank_test", effects.rank_test),
        ("completers_anova", effects.completers_anova),
        ("rerandomization", sensitivity.rerandomization_test),
        ("imputation", sensitivity.multiple_imputation),
    ):
        write_table(function(adqs, adsl, config), outputs[name])
    log.info("primary-visit checks written")


# --- publication outputs: read tables, never refit -----------------------------------


def _primary_analysis(config: dict) -> str:
    return config["analysis"]["analyses"][0]["name"]


def _visit_label(config: dict, code: str) -> str:
    return next(v["label"] for v in config["visits"] if v["code"] == code)


def figure_trajectories(results_path: str | Path, config: dict, stem: str | Path) -> None:
    """LS-mean trajectories by arm for one outcome."""
    from rlstrial import figures

    results = pd.read_parquet(results_path)
    outcome = results["outcome"].iloc[0]
    arms = [arm["code"] for arm in config["arms"]]
    figures.save_figure(figures.plot_trajectories(results, arms, outcome), stem)


def figure_forest(result_paths: list[str], config: dict, stem: str | Path) -> None:
    """Forest plot of the contrasts at the primary visit across outcomes."""
    from rlstrial import figures

    results = pd.concat([pd.read_parquet(p) for p in result_paths], ignore_index=True)
    visit = _visit_label(config, config["analysis"]["primary"]["visit"])
    contrasts = results[
        (results["visit"] == visit) & ~results["contrast"].str.startswith("LS-mean")
    ]
    title = f"Contrasts at {visit} ({_primary_analysis(config)})"
    figures.save_figure(figures.plot_forest(contrasts.reset_index(drop=True), title), stem)


def figure_interaction(results_path: str | Path, config: dict, stem: str | Path) -> None:
    """The 2x2 interaction plot of the primary outcome at the primary visit."""
    from rlstrial import figures

    results = pd.read_parquet(results_path)
    visit = _visit_label(config, config["analysis"]["primary"]["visit"])
    title = f"{results['outcome'].iloc[0]} at {visit}"
    figures.save_figure(figures.plot_interaction(results, config["arms"], visit, title), stem)


def figure_consort(
    ledger_path: str | Path,
    adsl_path: str | Path,
    adqs_path: str | Path,
    config: dict,
    stem: str | Path,
    counts_path: str | Path,
) -> None:
    """The CONSORT flow diagram and its counts (CSV)."""
    from rlstrial import figures
    from rlstrial.effects import primary_visit_changes

    ledger = pd.read_csv(ledger_path)
    adsl, adqs = pd.read_parquet(adsl_path), pd.read_parquet(adqs_path)
    arms = [arm["code"] for arm in config["arms"]]
    counts = figures.consort_counts(ledger, adsl, primary_visit_changes(adqs, adsl, config), arms)
    write_table(counts, counts_path)
    figures.save_figure(figures.draw_consort(counts, arms), stem)


def figure_diagnostics(
    residuals_path: str | Path, correlation_path: str | Path, stem: str | Path, title: str
) -> None:
    """Model diagnostics of one analysis, from the residuals the analysis wrote."""
    from rlstrial import figures

    residuals, correlation = pd.read_parquet(residuals_path), pd.read_csv(correlation_path)
    figures.save_figure(figures.plot_diagnostics(residuals, correlation, title), stem)


def figure_individual_change(
    adqs_path: str | Path, adsl_path: str | Path, config: dict, stem: str | Path
) -> None:
    """Waterfall of individual changes of the primary outcome at the primary visit."""
    from rlstrial import figures
    from rlstrial.effects import primary_visit_changes

    adqs, adsl = pd.read_parquet(adqs_path), pd.read_parquet(adsl_path)
    arms = [arm["code"] for arm in config["arms"]]
    changes = primary_visit_changes(adqs, adsl, config)
    title = f"{config['analysis']['primary']['outcome']}: change at the primary visit"
    figures.save_figure(figures.plot_individual_change(changes, arms, title), stem)


def publication_tables(
    adsl_path: str | Path,
    adqs_path: str | Path,
    adae_path: str | Path,
    result_paths: list[str],
    config: dict,
    folder: str | Path,
) -> None:
    """Baseline characteristics, comparisons, recruitment, harms, adherence, participant
    flow and one outcome table per outcome, in every format."""
    from rlstrial import tables

    adsl, adqs, adae = (pd.read_parquet(p) for p in (adsl_path, adqs_path, adae_path))
    arms = [arm["code"] for arm in config["arms"]]
    labels = {arm["code"]: arm["label"] for arm in config["arms"]}
    folder = Path(folder)
    outcomes = config["analysis"]["outcomes"]
    tables.write_table_formats(
        tables.table_baseline(adsl, arms, labels, adqs, outcomes),
        folder / "baseline",
        "Baseline characteristics",
    )
    tables.write_table_formats(
        tables.table_comparisons(config["arms"], config["analysis"]["multiplicity"]),
        folder / "comparisons",
        "Comparisons and the groups that form them (weights on the arm means)",
    )
    tables.write_table_formats(
        tables.table_recruitment(adsl, arms, labels),
        folder / "recruitment",
        "Recruitment and follow-up dates",
    )
    tables.write_table_formats(
        tables.table_harms(adae, adsl, arms, labels), folder / "harms", "Harms (safety population)"
    )
    tables.write_table_formats(
        tables.table_adherence(adsl, arms, labels), folder / "adherence", "Adherence by arm"
    )
    counts = pd.read_csv(folder / "consort_counts.csv", keep_default_na=False)
    population = config["analysis"]["population"]
    flow = tables.table_participant_flow(counts, adqs, adsl, arms, labels, population)
    tables.write_table_formats(flow, folder / "participant_flow", "Participant flow by arm")
    for path in result_paths:
        results = pd.read_parquet(path)
        outcome = results["outcome"].iloc[0]
        table = tables.table_outcome(results, adqs, outcome, arms)
        tables.write_table_formats(
            table, folder / f"outcome_{outcome}", f"{outcome}: results by visit"
        )


def consort_checklist(config: dict, folder: str | Path) -> pd.DataFrame:
    """The CONSORT 2025 checklist map of this run, in every table format."""
    from rlstrial.checklist import checklist_map
    from rlstrial.tables import write_table_formats

    roots = {"results": config["paths"]["results"], "processed": config["paths"]["processed"]}
    table = checklist_map(roots, config)
    write_table_formats(
        table,
        Path(folder) / "consort_checklist",
        "CONSORT 2025 checklist (with the factorial extension): where each item is addressed"
        " ({results} and {processed} are the folders of config `paths`)",
    )
    return table


def report(
    config: dict, inputs: dict, figures: list[str], tables: list[str], path: str | Path
) -> None:
    """Write the self-contained HTML report."""
    from rlstrial.report import build_report, git_commit

    captions = {
        "consort": "Participant flow (CONSORT), drawn from the data.",
        "forest": "Contrasts at the primary visit across outcomes (estimate, 95% CI).",
        "interaction": "Massager x heat: LS-means at the primary visit (95% CI).",
        "individual_change": "Individual change of the primary outcome at the primary visit.",
    }
    pairs = []
    for figure in figures:
        stem = Path(figure).stem
        if stem.startswith("trajectories_"):
            caption = (
                f"{stem.removeprefix('trajectories_')}: LS-mean change by arm and visit (95% CI)."
            )
        elif stem.startswith("diagnostics_"):
            caption = f"Model diagnostics ({stem.removeprefix('diagnostics_')})."
        else:
            caption = captions.get(stem, stem)
        pairs.append((figure, caption))
    text = build_report(
        config,
        inputs["estimand"],
        inputs["validation"],
        inputs["manifest"],
        pairs,
        tables,
        git_commit(Path(__file__).parent),
    )
    Path(path).write_text(text, encoding="utf-8")
