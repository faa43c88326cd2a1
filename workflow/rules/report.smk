rule report:
    """One self-contained HTML report: estimand, tables, figures, validation, provenance."""
    input:
        estimand=f"{MODELS}/estimand.yaml",
        validation=rules.validate.output.summary,
        manifest=rules.ingest.output.manifest,
        figures=[f"{FIGURES}/{f.stem}.png" for f in REPORT_FIGURES],
        tables=[f"{TABLES}/{f.stem}.html" for f in REPORT_TABLES],
        # the power study, when the config has one (config/power.yaml)
        power=[
            rules.power_summary.output.summary,
            rules.power_summary.output.sample_size,
            f"{POWER_FOLDER}/power_curves.png",
        ]
        if POWER
        else [],
        # the meta-analysis, when the config has one
        meta=[
            rules.meta_analysis.output.studies,
            rules.meta_analysis.output.models,
            rules.meta_analysis.output.leave_one_out,
            rules.meta_analysis.output.egger,
            f"{META_FOLDER}/forest.png",
            f"{META_FOLDER}/funnel.png",
        ]
        if META
        else [],
    output:
        report=f"{RESULTS}/report.html",
    params:
        code=code_digest("report"),
        # the report's provenance section prints the whole configuration
        config=config,
        captions={f.stem: f.caption for f in REPORT_FIGURES},
    threads: 1
    resources:
        mem_mb=512,
        runtime=10,
    log:
        f"{LOGS}/report.log",
    benchmark:
        f"{RESULTS}/benchmarks/report.tsv"
    script:
        "../scripts/report.py"
