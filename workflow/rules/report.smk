rule report:
    """One self-contained HTML report: estimand, tables, figures, validation, provenance."""
    input:
        estimand=f"{MODELS}/estimand.yaml",
        validation=rules.validate.output.summary,
        manifest=rules.ingest.output.manifest,
        figures=REPORT_FIGURES,
        tables=expand(
            f"{TABLES}/{{name}}.html",
            name=[
                "participant_flow",
                "recruitment",
                "baseline",
                "comparisons",
                *(f"outcome_{o}" for o in OUTCOMES),
                "harms",
                "adherence",
                "consort_checklist",
            ],
        ),
    output:
        report=f"{RESULTS}/report.html",
    log:
        f"{LOGS}/report.log",
    script:
        "../scripts/report.py"
