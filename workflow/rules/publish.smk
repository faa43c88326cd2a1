# Publication figures and tables, drawn from the result tables (never refitting).

PRIMARY = config["analysis"]["primary"]["outcome"]
FIRST_ANALYSIS = ANALYSES[0]
FIGURES = f"{RESULTS}/figures"
TABLES = f"{RESULTS}/tables"
FIGURE_FORMATS = ["pdf", "svg", "png"]
TABLE_FORMATS = ["csv", "md", "html", "docx", "tex"]


rule figure_trajectories:
    """LS-mean trajectories by arm for one outcome."""
    input:
        results=f"{MODELS}/{{outcome}}_{FIRST_ANALYSIS}.parquet",
    output:
        expand(f"{FIGURES}/trajectories_{{{{outcome}}}}.{{ext}}", ext=FIGURE_FORMATS),
    log:
        f"{LOGS}/figure_trajectories_{{outcome}}.log",
    script:
        "../scripts/figure_trajectories.py"


rule figure_forest:
    """Forest plot of the contrasts at the primary visit, all outcomes."""
    input:
        results=expand(f"{MODELS}/{{outcome}}_{FIRST_ANALYSIS}.parquet", outcome=OUTCOMES),
    output:
        expand(f"{FIGURES}/forest.{{ext}}", ext=FIGURE_FORMATS),
    log:
        f"{LOGS}/figure_forest.log",
    script:
        "../scripts/figure_forest.py"


rule figure_interaction:
    """The 2x2 interaction plot of the primary outcome at the primary visit."""
    input:
        results=f"{MODELS}/{PRIMARY}_{FIRST_ANALYSIS}.parquet",
    output:
        expand(f"{FIGURES}/interaction.{{ext}}", ext=FIGURE_FORMATS),
    log:
        f"{LOGS}/figure_interaction.log",
    script:
        "../scripts/figure_interaction.py"


rule figure_consort:
    """The CONSORT flow diagram for all arms, from the data."""
    input:
        ledger=rules.derive.output.ledger,
        adsl=rules.derive.output.adsl_parquet,
        adqs=rules.derive.output.adqs_parquet,
    output:
        figures=expand(f"{FIGURES}/consort.{{ext}}", ext=FIGURE_FORMATS),
        counts=f"{TABLES}/consort_counts.csv",
    log:
        f"{LOGS}/figure_consort.log",
    script:
        "../scripts/figure_consort.py"


rule figure_diagnostics:
    """Residuals vs fitted, normal QQ and the correlation heat map of one analysis."""
    input:
        residuals=f"{MODELS}/{{outcome}}_{{analysis}}_residuals.parquet",
        correlation=f"{MODELS}/{{outcome}}_{{analysis}}_correlation.csv",
    output:
        expand(f"{FIGURES}/diagnostics_{{{{outcome}}}}_{{{{analysis}}}}.{{ext}}", ext=FIGURE_FORMATS),
    log:
        f"{LOGS}/figure_diagnostics_{{outcome}}_{{analysis}}.log",
    script:
        "../scripts/figure_diagnostics.py"


rule figure_individual_change:
    """Waterfall of individual changes, primary outcome at the primary visit."""
    input:
        adqs=rules.derive.output.adqs_parquet,
        adsl=rules.derive.output.adsl_parquet,
    output:
        expand(f"{FIGURES}/individual_change.{{ext}}", ext=FIGURE_FORMATS),
    log:
        f"{LOGS}/figure_individual_change.log",
    script:
        "../scripts/figure_individual_change.py"


rule publication_tables:
    """Publication tables (CSV, Markdown, HTML, DOCX, LaTeX)."""
    input:
        adsl=rules.derive.output.adsl_parquet,
        adqs=rules.derive.output.adqs_parquet,
        adae=rules.derive.output.adae_parquet,
        consort=rules.figure_consort.output.counts,
        results=expand(f"{MODELS}/{{outcome}}_{FIRST_ANALYSIS}.parquet", outcome=OUTCOMES),
    output:
        expand(
            f"{TABLES}/{{name}}.{{ext}}",
            name=[
                "baseline",
                "comparisons",
                "recruitment",
                "harms",
                "adherence",
                "participant_flow",
            ],
            ext=TABLE_FORMATS,
        ),
        expand(f"{TABLES}/outcome_{{outcome}}.{{ext}}", outcome=OUTCOMES, ext=TABLE_FORMATS),
    log:
        f"{LOGS}/publication_tables.log",
    script:
        "../scripts/publication_tables.py"


REPORT_FIGURES = [
    f"{FIGURES}/consort.png",
    *expand(f"{FIGURES}/trajectories_{{outcome}}.png", outcome=OUTCOMES),
    f"{FIGURES}/forest.png",
    f"{FIGURES}/interaction.png",
    f"{FIGURES}/individual_change.png",
    f"{FIGURES}/diagnostics_{PRIMARY}_{FIRST_ANALYSIS}.png",
]
PUBLICATION_OUTPUTS = [*REPORT_FIGURES, f"{TABLES}/baseline.csv"]


rule consort_checklist:
    """Each CONSORT 2025 item (and factorial-extension recommendation): the outputs
    that address it, or who does and why; fails if a promised output is missing."""
    input:
        rules.publication_tables.output,
        rules.figure_consort.output,
        rules.figure_forest.output,
        rules.figure_interaction.output,
        expand(f"{FIGURES}/trajectories_{{outcome}}.pdf", outcome=OUTCOMES),
        f"{FIGURES}/diagnostics_{PRIMARY}_{FIRST_ANALYSIS}.pdf",
        MODEL_OUTPUTS,
        expand(f"{MODELS}/{{outcome}}_{{analysis}}_fit.csv", outcome=OUTCOMES, analysis=ANALYSES),
        rules.derive.output,
        rules.ingest.output.manifest,
    output:
        expand(f"{TABLES}/consort_checklist.{{ext}}", ext=TABLE_FORMATS),
    log:
        f"{LOGS}/consort_checklist.log",
    script:
        "../scripts/consort_checklist.py"
