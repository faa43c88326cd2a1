# Publication figures and tables, drawn from the result tables (never refitting).



rule figure_results:
    """The figures drawn from the primary analysis' results: LS-mean trajectories by
    arm for each outcome, the forest plot and the 2x2 interaction plot."""
    input:
        results=expand(f"{MODELS}/{{outcome}}_{PRIMARY_ANALYSIS}.parquet", outcome=OUTCOMES),
        adqs=rules.derive.output.adqs_parquet,
        adsl=rules.derive.output.adsl_parquet,
    output:
        figure_files("figure_results"),
    params:
        code=code_digest("figure_results"),
        plan=PLAN.to_params("design", "outcomes", "primary", "population"),
        figures=config["figures"],
    priority: 2  # the longest figure job: started first
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    log:
        f"{LOGS}/figure_results.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_results.tsv"
    script:
        "../scripts/figure_results.py"


rule consort_counts:
    """The counts of the CONSORT flow diagram, from the row ledger and the datasets."""
    input:
        ledger=rules.derive.output.ledger,
        adsl=rules.derive.output.adsl_parquet,
        adqs=rules.derive.output.adqs_parquet,
    output:
        counts=f"{TABLES}/consort_counts.csv",
    params:
        code=code_digest("consort_counts"),
        plan=PLAN.to_params("design", "primary", "population"),
        reasons=config["reasons"],
    threads: 1
    resources:
        mem_mb=512,
        runtime=10,
    log:
        f"{LOGS}/consort_counts.log",
    benchmark:
        f"{RESULTS}/benchmarks/consort_counts.tsv"
    script:
        "../scripts/consort_counts.py"


rule figure_consort:
    """The CONSORT flow diagram for all arms, drawn from its counts."""
    input:
        counts=rules.consort_counts.output.counts,
    output:
        figures=figure_files("figure_consort"),
    params:
        code=code_digest("figure_consort"),
        plan=PLAN.to_params("design"),
        dpi=config["figures"]["dpi"],
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    log:
        f"{LOGS}/figure_consort.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_consort.tsv"
    script:
        "../scripts/figure_consort.py"


rule figure_diagnostics:
    """Residuals vs fitted, normal QQ and the correlation heat map of one analysis."""
    input:
        residuals=f"{MODELS}/{{outcome}}_{{analysis}}_residuals.parquet",
        correlation=f"{MODELS}/{{outcome}}_{{analysis}}_correlation.csv",
    output:
        expand(f"{FIGURES}/diagnostics_{{{{outcome}}}}_{{{{analysis}}}}.{{ext}}", ext=FIGURE_FORMATS),
    params:
        code=code_digest("figure_diagnostics"),
        plan=PLAN.to_params("outcomes"),
        dpi=config["figures"]["dpi"],
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    log:
        f"{LOGS}/figure_diagnostics_{{outcome}}_{{analysis}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_diagnostics_{{outcome}}_{{analysis}}.tsv"
    script:
        "../scripts/figure_diagnostics.py"


rule figure_individual_change:
    """Waterfall of individual changes, primary outcome at the primary visit."""
    input:
        adqs=rules.derive.output.adqs_parquet,
        adsl=rules.derive.output.adsl_parquet,
    output:
        figure_files("figure_individual_change"),
    params:
        code=code_digest("figure_individual_change"),
        plan=PLAN.to_params("design", "outcomes", "primary", "population"),
        figures=config["figures"],
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    log:
        f"{LOGS}/figure_individual_change.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_individual_change.tsv"
    script:
        "../scripts/figure_individual_change.py"


rule publication_tables:
    """Publication tables (CSV, Markdown, HTML, DOCX, LaTeX)."""
    input:
        adsl=rules.derive.output.adsl_parquet,
        adqs=rules.derive.output.adqs_parquet,
        adae=rules.derive.output.adae_parquet,
        consort=rules.consort_counts.output.counts,
        results=expand(f"{MODELS}/{{outcome}}_{PRIMARY_ANALYSIS}.parquet", outcome=OUTCOMES),
        fit=expand(f"{MODELS}/{{outcome}}_{PRIMARY_ANALYSIS}_fit.csv", outcome=OUTCOMES),
    output:
        expand(f"{TABLES}/{{name}}.{{ext}}", name=PUBLICATION_TABLES, ext=TABLE_FORMATS),
    params:
        code=code_digest("publication_tables"),
        # the primary analysis alone: changing another analysis does not rewrite the tables
        plan=PLAN.to_params("design", "outcomes", "population", "multiplicity", "primary")
        | {
            "analyses": [
                a for a in PLAN.to_params("analyses")["analyses"] if a["name"] == PRIMARY_ANALYSIS
            ]
        },
    threads: 1
    resources:
        mem_mb=512,
        runtime=10,
    log:
        f"{LOGS}/publication_tables.log",
    benchmark:
        f"{RESULTS}/benchmarks/publication_tables.tsv"
    script:
        "../scripts/publication_tables.py"


PUBLICATION_OUTPUTS = [
    *(f"{FIGURES}/{f.stem}.png" for f in REPORT_FIGURES),
    *(f"{TABLES}/{f.stem}.csv" for f in REPORT_TABLES),
]


rule consort_checklist:
    """Each CONSORT 2025 item (and factorial-extension recommendation): the outputs
    that address it, or who does and why; fails if a promised output is missing.
    It needs the outputs to exist, not their contents: a redrawn figure does not
    rerun it (ancient)."""
    input:
        existing(
            rules.publication_tables.output,
            rules.figure_consort.output,
            rules.consort_counts.output,
            rules.figure_results.output,
            figure_files("figure_diagnostics", ["pdf"]),
            MODEL_OUTPUTS,
            expand(f"{MODELS}/{{outcome}}_{{analysis}}_fit.csv", outcome=OUTCOMES, analysis=ANALYSES),
            rules.derive.output,
            rules.ingest.output.manifest,
        ),
    output:
        expand(f"{TABLES}/consort_checklist.{{ext}}", ext=TABLE_FORMATS),
    params:
        code=code_digest("consort_checklist"),
        paths=config["paths"],
        settings=checklist_settings(),
    threads: 1
    resources:
        mem_mb=512,
        runtime=10,
    log:
        f"{LOGS}/consort_checklist.log",
    script:
        "../scripts/consort_checklist.py"
