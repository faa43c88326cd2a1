"""The workflow's stages as functions: what each Snakemake rule calls.

Each function is named after the rule that calls it: it reads the rule's inputs,
calls the package's computations and writes its outputs. The Snakemake scripts in
``workflow/scripts/`` only pass paths and the rule's ``params:`` (the settings it
uses: sections of the analysis plan, :class:`rlstrial.plan.Plan`, or of the raw-data
contract). The same functions serve notebooks and tests. Heavy modules are imported
inside the stages that use them, so that each job pays only for its own imports.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from rlstrial.io import read_results, write_table
from rlstrial.plan import Plan

log = logging.getLogger("rlstrial")


class RawDataChanged(RuntimeError):
    """A raw file changed while the workflow ran."""


def import_redcap(
    exports: dict[str, str],
    config: dict,
    folder: str | Path,
    queries: str | Path,
    manifest: str | Path,
) -> pd.DataFrame:
    """Build the raw trial folder from REDCap exports (``exports``: ``dictionary``,
    ``records``, ``mapping``); every finding goes to the query listing, and a blocking
    one stops before anything is written (:func:`rlstrial.redcap.import_redcap`)."""
    from rlstrial.redcap import import_redcap as run

    return run(exports["dictionary"], exports["records"], exports["mapping"], config,
               folder, queries, manifest)  # fmt: skip


def ingest(raw: str | Path, manifest_path: str | Path) -> pd.DataFrame:
    """Record the SHA-256 of every raw file (checked again by :func:`verify_raw`)."""
    from rlstrial.ingest import sha256_manifest

    manifest = sha256_manifest(raw)
    write_table(manifest, manifest_path)
    log.info("recorded sha256 of %d raw files in %s", len(manifest), raw)
    return manifest


def validate(
    raw: str | Path, config: dict, queries_path: str | Path, summary_path: str | Path
) -> pd.DataFrame:
    """Run every check and write the query listing and its summary."""
    from rlstrial.validate import summarize_findings, validate_raw

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


def validation_gate(queries_path: str | Path, flag_path: str | Path) -> None:
    """Stop the run when the query listing has blocking findings; else write the flag."""
    from rlstrial.validate import raise_for_blocking

    findings = pd.read_csv(queries_path, dtype={"value": str}, keep_default_na=False)
    findings["row"] = pd.to_numeric(findings["row"]).astype("Int64")
    raise_for_blocking(findings, str(queries_path))
    Path(flag_path).write_text("no blocking findings\n", encoding="utf-8")


def load_validated(raw: str | Path, config: dict) -> dict[str, pd.DataFrame]:
    """Typed raw tables of a folder that has passed validation (checked again here)."""
    from rlstrial.ingest import typed_tables
    from rlstrial.validate import raise_for_blocking, validate_raw

    tables, findings = validate_raw(raw, config)
    raise_for_blocking(findings, "the query listing (run the validate stage)")
    return typed_tables(tables, config)


def score(raw: str | Path, config: dict, scores_path: str | Path) -> pd.DataFrame:
    """Score every questionnaire of a raw folder that passed the validation gate."""
    from rlstrial.ingest import read_raw_folder, typed_tables
    from rlstrial.scoring import score_questionnaires

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
    from rlstrial.derive import derive_adae, derive_adqs, derive_adsl, row_ledger
    from rlstrial.ingest import read_raw_folder, typed_tables

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


def submission(
    dataset_paths: dict[str, str], arms: list[dict], visits: list[dict], folder: str | Path
) -> dict[str, Path]:
    """Write adsl, adqs and adae as SAS V5 transport files, with their specification
    (CSV and DOCX), into ``folder`` (:func:`rlstrial.submission.write_submission`)."""
    from rlstrial.plan import Design
    from rlstrial.submission import write_submission

    datasets = {name: pd.read_parquet(path) for name, path in dataset_paths.items()}
    arm_labels = Design.from_config(arms, visits).arm_labels
    return write_submission(datasets, arm_labels, folder)


def verify_raw(
    raw: str | Path,
    manifest_path: str | Path,
    report_path: str | Path,
    exports: dict[str, str] | None = None,
) -> None:
    """Check that the raw files still have the SHA-256 recorded at ingest, and, on the
    REDCap route, that the exports (``exports``: ``dictionary``, ``records`` and the
    ``manifest`` written at import) are unchanged too."""
    from rlstrial.ingest import compare_manifests, sha256_manifest

    before = pd.read_csv(manifest_path)
    changes = compare_manifests(before, sha256_manifest(raw))
    checked = f"{len(before)} raw files"
    if exports:
        from rlstrial.redcap import export_sha256

        recorded = pd.read_csv(exports["manifest"])
        now = export_sha256([exports["dictionary"], exports["records"]])
        changes += compare_manifests(recorded, now)
        checked += f" and {len(recorded)} REDCap exports"
    if changes:
        raise RawDataChanged("raw files changed during the run:\n  " + "\n  ".join(changes))
    Path(report_path).write_text(
        f"{checked} unchanged since ingest (sha256 verified)\n", encoding="utf-8"
    )


def analyze(
    adqs_path: str | Path,
    adsl_path: str | Path,
    plan: Plan,
    analysis_name: str,
    outputs: dict[str, dict[str, str]],
    threads: int = 1,
) -> None:
    """Fit every outcome under one analysis of the plan and write its tables.

    ``outputs`` maps each outcome to its paths: ``csv``, ``parquet`` (results),
    ``fit`` (fit statistics), ``residuals`` and ``correlation``. The plan needs its
    ``design``, ``alpha``, ``multiplicity``, ``model`` and ``analyses`` sections. BLAS
    uses at most ``threads`` (in the MMRM fits and in everything else the job does).
    """
    from threadpoolctl import threadpool_limits

    from rlstrial.analysis import fit_analysis, model_diagnostics, summarize_analysis

    analysis = plan.analysis(analysis_name)
    adqs, adsl = pd.read_parquet(adqs_path), pd.read_parquet(adsl_path)
    with threadpool_limits(limits=threads):
        for outcome, paths in outputs.items():
            data, fit = fit_analysis(adqs, adsl, plan, outcome, analysis, threads=threads)
            results, statistics = summarize_analysis(data, fit, plan, outcome, analysis)
            write_table(results, paths["csv"])
            write_table(results, paths["parquet"])
            write_table(statistics.astype({"value": str}), paths["fit"])
            residuals, correlation = model_diagnostics(data, fit)
            write_table(residuals, paths["residuals"])
            write_table(correlation, paths["correlation"])
            log.info("%s %s: %d rows", outcome, analysis_name, len(results))


def estimand(trial: dict, estimand: dict, plan: Plan, path: str | Path) -> None:
    """Write the estimand and the plan's primary, multiplicity and analyses (YAML)."""
    import yaml

    params = plan.to_params("primary", "alpha", "multiplicity", "analyses")
    record = {"trial": trial["name"], "estimand": estimand, **params}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(yaml.safe_dump(record, sort_keys=False), encoding="utf-8")


def replication(result_paths: list[str], published: list[dict], path: str | Path) -> pd.DataFrame:
    """Set our results beside the published ones."""
    from rlstrial.analysis import compare_published

    table = compare_published(read_results(result_paths), published)
    write_table(table, path)
    return table


def primary_visit_checks(
    adqs_path: str | Path, adsl_path: str | Path, plan: Plan, outputs: dict[str, str]
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
        write_table(function(adqs, adsl, plan), outputs[name])
    log.info("primary-visit checks written")


# --- publication outputs: read tables, never refit -----------------------------------


def figure_results(
    result_paths: list[str],
    adqs_path: str | Path,
    adsl_path: str | Path,
    plan: Plan,
    folder: str | Path,
    settings: dict,
) -> None:
    """The figures drawn from the primary analysis' result tables, one job for all
    (they read the same tables): LS-mean trajectories by arm for each outcome (with
    the participants who have a value under the axis), the forest plots of the
    contrasts at the primary visit across outcomes (the arms vs control, and the
    factorial effects), and the 2x2 interaction plot of the primary outcome at the
    primary visit. ``settings`` is config ``figures`` (dpi, colours)."""
    from rlstrial import figures

    folder = Path(folder)
    dpi, colours = settings["dpi"], settings.get("colours", {})
    adqs, adsl = pd.read_parquet(adqs_path), pd.read_parquet(adsl_path)
    results = {
        frame["outcome"].iloc[0]: frame for frame in (pd.read_parquet(p) for p in result_paths)
    }
    for code, table in results.items():
        at_risk = figures.participants_with_value(adqs, adsl, code, plan.population)
        outcome = plan.outcome(code)
        figure = figures.plot_trajectories(table, plan.design, outcome, at_risk, colours=colours)
        figures.save_figure(figure, folder / f"trajectories_{code}", dpi)
    visit = plan.primary_visit.label
    stacked = pd.concat(results.values(), ignore_index=True)
    at_visit = stacked[stacked["visit"] == visit].reset_index(drop=True)
    design = plan.design
    versus_control = [c.name for c in design.contrasts if c.kind == "vs control"]
    factorial = [c.name for c in design.contrasts if c.kind != "vs control"]
    for stem, names in (("forest", versus_control), ("forest_factorial", factorial)):
        figures.save_figure(figures.plot_forest(at_visit, plan, names), folder / stem, dpi)
    primary = results[plan.primary.outcome]
    outcome = plan.outcome(plan.primary.outcome)
    figure = figures.plot_interaction(primary, design, visit, outcome)
    figures.save_figure(figure, folder / "interaction", dpi)


def consort_counts(
    ledger_path: str | Path,
    adsl_path: str | Path,
    adqs_path: str | Path,
    plan: Plan,
    reasons: dict,
    counts_path: str | Path,
) -> pd.DataFrame:
    """The counts of the CONSORT flow diagram (CSV), from the row ledger and datasets,
    with the free-text reasons coded by ``reasons`` (config ``reasons``)."""
    from rlstrial.effects import primary_visit_changes
    from rlstrial.figures import consort_counts as count

    ledger = pd.read_csv(ledger_path)
    adsl, adqs = pd.read_parquet(adsl_path), pd.read_parquet(adqs_path)
    analysed = primary_visit_changes(adqs, adsl, plan)
    counts = count(ledger, adsl, analysed, plan.design.arm_codes, reasons)
    write_table(counts, counts_path)
    return counts


def figure_consort(counts_path: str | Path, plan: Plan, stem: str | Path, dpi: int = 300) -> None:
    """The CONSORT flow diagram, drawn from its counts."""
    from rlstrial import figures

    counts = pd.read_csv(counts_path, keep_default_na=False)
    figures.save_figure(figures.draw_consort(counts, plan.design), stem, dpi)


def figure_diagnostics(
    residuals_path: str | Path,
    correlation_path: str | Path,
    stem: str | Path,
    plan: Plan,
    outcome: str,
    analysis: str,
    dpi: int = 300,
) -> None:
    """Model diagnostics of one analysis, from the residuals the analysis wrote; titled
    with the outcome's label and the analysis' name."""
    from rlstrial import figures

    residuals, correlation = pd.read_parquet(residuals_path), pd.read_csv(correlation_path)
    title = f"{plan.outcome(outcome).label}: model diagnostics ({analysis.replace('_', ' ')})"
    figures.save_figure(figures.plot_diagnostics(residuals, correlation, title), stem, dpi)


def figure_individual_change(
    adqs_path: str | Path, adsl_path: str | Path, plan: Plan, stem: str | Path, settings: dict
) -> None:
    """Waterfall of individual changes of the primary outcome at the primary visit
    (``settings``: config ``figures``, dpi and colours)."""
    from rlstrial import figures
    from rlstrial.effects import primary_visit_changes

    adqs, adsl = pd.read_parquet(adqs_path), pd.read_parquet(adsl_path)
    changes = primary_visit_changes(adqs, adsl, plan)
    outcome = plan.outcome(plan.primary.outcome)
    title = f"{outcome.label}: change at {plan.primary_visit.label}"
    figure = figures.plot_individual_change(
        changes, plan.design, title, colours=settings.get("colours", {})
    )
    figures.save_figure(figure, stem, settings["dpi"])


def publication_tables(
    adsl_path: str | Path,
    adqs_path: str | Path,
    adae_path: str | Path,
    counts_path: str | Path,
    result_paths: list[str],
    fit_paths: list[str],
    plan: Plan,
    folder: str | Path,
) -> None:
    """Baseline characteristics, comparisons, recruitment, harms, adherence, participant
    flow and one outcome table per outcome ("Table 2", with its footnotes), in every
    format, labelled in words.

    ``result_paths`` and ``fit_paths`` are the result tables and fit statistics of the
    primary analysis, one per outcome. ``plan`` needs its ``design``, ``outcomes``,
    ``population``, ``multiplicity``, ``primary`` and ``analyses`` (the primary one, at
    least) sections."""
    from rlstrial import registry
    from rlstrial.tables import VISIT, outcome_notes, table_notes, write_table_formats

    adsl, adqs, adae = (pd.read_parquet(p) for p in (adsl_path, adqs_path, adae_path))
    design = plan.design
    arms, labels = design.arm_codes, design.arm_labels
    outcomes = {outcome.code: outcome.label for outcome in plan.outcomes}
    counts = pd.read_csv(counts_path, keep_default_na=False)
    arguments = {  # what each registered table's builder is called with
        "baseline": (adsl, arms, labels, adqs, list(outcomes)),
        "comparisons": (design, plan.multiplicity),
        "recruitment": (adsl, arms, labels),
        "harms": (adae, adsl, arms, labels),
        "adherence": (adsl, arms, labels),
        "participant_flow": (counts, adqs, adsl, arms, labels, plan.population, outcomes),
    }
    results = {
        frame["outcome"].iloc[0]: frame for frame in (pd.read_parquet(p) for p in result_paths)
    }
    fits = {
        frame["outcome"].iloc[0]: frame
        for frame in (pd.read_csv(p, keep_default_na=False) for p in fit_paths)
    }
    for output in registry.written_by("publication_tables"):
        for file in output.files(list(results), labels=outcomes):
            if output.stem == "outcome_{outcome}":
                outcome = file.stem.removeprefix("outcome_")
                frame = results[outcome]
                analysis = plan.analysis(frame["analysis"].iloc[0])
                table = output.function(frame, adqs, adsl, design, analysis)
                notes, group = outcome_notes(frame, plan, fits[outcome]), VISIT
            else:
                table = output.function(*arguments[output.stem])
                notes, group = table_notes(output.stem, plan), None
            write_table_formats(table, Path(folder) / file.stem, file.title, notes, group=group)


def consort_checklist(paths: dict, settings: dict, folder: str | Path) -> pd.DataFrame:
    """The CONSORT 2025 checklist map of this run, in every table format.

    ``paths`` are the config's folders; ``settings`` holds the config keys that decide
    which outputs the run promises (``analysis.responder``, ...), as nested dicts."""
    from rlstrial.checklist import checklist_map
    from rlstrial.registry import table as registered
    from rlstrial.tables import write_table_formats

    roots = {"results": paths["results"], "processed": paths["processed"]}
    table = checklist_map(roots, settings)
    (file,) = registered("consort_checklist").files([])
    write_table_formats(table, Path(folder) / file.stem, file.title)
    return table


def report(
    config: dict,
    inputs: dict,
    figures: list[str],
    tables: list[str],
    path: str | Path,
    captions: dict[str, str],
) -> None:
    """Write the self-contained HTML report; ``captions`` maps each figure's file stem
    to its caption (from :mod:`rlstrial.registry`)."""
    from rlstrial.report import build_report, git_commit

    text = build_report(
        config,
        inputs["estimand"],
        inputs["validation"],
        inputs["manifest"],
        [(figure, captions[Path(figure).stem]) for figure in figures],
        tables,
        git_commit(Path(__file__).parent),
        inputs.get("power", []),
        inputs.get("meta", []),
    )
    Path(path).write_text(text, encoding="utf-8")


# --- meta-analysis -----------------------------------------------------------------

META_TABLES = (
    "studies",
    "models",
    "weights",
    "subgroups",
    "subgroup_test",
    "leave_one_out",
    "cumulative",
    "egger",
)


def meta_analysis(
    studies_path: str | Path,
    results_path: str | Path,
    meta: dict,
    plan: Plan,
    outputs: dict[str, str],
) -> dict[str, pd.DataFrame]:
    """Pool the published studies with the trial's primary contrast (from its result
    table) and write every table of :func:`rlstrial.meta.meta_analysis` to ``outputs``
    (by table name)."""
    from rlstrial import meta as meta_stats

    studies = meta_stats.read_studies(studies_path)
    visit = plan.design.visit(plan.primary.visit).label
    description = {**meta["trial"], "source": f"this trial's {Path(results_path).name}"}
    trial = meta_stats.trial_study(
        pd.read_csv(results_path), plan.primary.contrast, visit, description
    )
    tables = meta_stats.meta_analysis(studies, meta["settings"], trial)
    for name in META_TABLES:
        write_table(tables[name], outputs[name])
    main = tables["models"][tables["models"]["role"] == "main"].iloc[0]
    log.info(
        "%d studies and the trial: %s estimate %.3f (%.3f to %.3f)",
        len(studies), main["method"], main["estimate"], main["ci_lower"], main["ci_upper"],
    )  # fmt: skip
    return tables


def figure_meta(
    tables: dict[str, str], favours: list[str], stems: dict[str, str], dpi: int = 300
) -> None:
    """The meta-analysis' forest and funnel plots, drawn from its tables (no refit)."""
    from rlstrial.figures import style
    from rlstrial.figures.meta import plot_funnel, plot_meta_forest

    read = {name: pd.read_csv(path) for name, path in tables.items()}
    forest = plot_meta_forest(
        read["studies"], read["models"], read["weights"], read["subgroups"],
        read["subgroup_test"], favours=tuple(favours),
    )  # fmt: skip
    style.save_figure(forest, stems["forest"], dpi)
    funnel = plot_funnel(read["studies"], read["models"], read["egger"])
    style.save_figure(funnel, stems["funnel"], dpi)


# --- power by simulation -----------------------------------------------------------


def power_batch(
    plan: Plan, power: dict, scenario: str, n_per_arm: int, batch: int, path: str | Path
) -> pd.DataFrame:
    """One batch of replicates of a power study (scenario name, sample size per arm,
    batch number), each simulated and analysed by the plan's analysis."""
    from rlstrial.power import run_replicates

    scenario = [entry["name"] for entry in power["scenarios"]].index(scenario)
    size = int(power["batch_size"])
    first = batch * size
    replicates = range(first, min(first + size, int(power["replicates"])))
    table = run_replicates(plan, power, scenario, n_per_arm, replicates)
    write_table(table, path)
    return table


def power_summary(
    batch_paths: list[str], plan: Plan, power: dict, folder: str | Path, figures: dict
) -> pd.DataFrame:
    """Gather the batches (sorted, so that the result does not depend on how the
    replicates were batched or where they ran), summarize them (ADEMP, with Monte
    Carlo SEs), find the smallest sample size reaching the target power for the
    primary contrast in the first scenario, and draw the power curves."""
    from rlstrial import figures as drawing
    from rlstrial.power import smallest_n, summarize

    folder = Path(folder)
    replicates = pd.concat([pd.read_parquet(p) for p in batch_paths], ignore_index=True)
    order = {s["name"]: k for k, s in enumerate(power["scenarios"])}
    names = [c.name for c in plan.design.contrasts]
    replicates = replicates.sort_values(
        ["scenario", "n_per_arm", "replicate", "estimand"],
        key=lambda column: (
            column.map(order)
            if column.name == "scenario"
            else column.map(names.index)
            if column.name == "estimand"
            else column
        ),
    ).reset_index(drop=True)
    write_table(replicates, folder / "replicates.csv")
    summary = summarize(replicates, plan.alpha)
    write_table(summary, folder / "power.csv")
    target = float(power.get("target_power", 0.8))
    first = power["scenarios"][0]["name"]
    needed = smallest_n(summary, first, plan.primary.contrast, target)
    write_table(
        pd.DataFrame(
            [
                {
                    "scenario": first,
                    "contrast": plan.primary.contrast,
                    "multiplicity": plan.multiplicity.method,
                    "target_power": target,
                    "smallest_n_per_arm": needed,
                }
            ]
        ),
        folder / "sample_size.csv",
    )
    figure = drawing.plot_power_curves(summary, plan.design, target)
    drawing.save_figure(figure, folder / "power_curves", figures["dpi"])
    return summary
