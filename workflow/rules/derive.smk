rule derive:
    """Derive the analysis datasets and the row ledger."""
    input:
        raw=RAW_INPUTS,
        scores=rules.score.output.scores,
    output:
        adsl_parquet=f"{PROCESSED}/adsl.parquet",
        adsl_csv=f"{PROCESSED}/adsl.csv",
        adqs_parquet=f"{PROCESSED}/adqs.parquet",
        adqs_csv=f"{PROCESSED}/adqs.csv",
        adae_parquet=f"{PROCESSED}/adae.parquet",
        adae_csv=f"{PROCESSED}/adae.csv",
        ledger=f"{PROCESSED}/row_ledger.csv",
        exclusions=f"{PROCESSED}/exclusions.csv",
    params:
        code=code_digest("derive"),
        config=config_params(
            "arms", "arm_aliases", "visits", "instruments", "out_of_window", "populations"
        ),
    threads: 1
    resources:
        mem_mb=512,
        runtime=10,
    log:
        f"{LOGS}/derive.log",
    benchmark:
        f"{RESULTS}/benchmarks/derive.tsv"
    script:
        "../scripts/derive.py"


rule submission:
    """The analysis datasets as SAS V5 transport files, with their specification."""
    input:
        adsl=rules.derive.output.adsl_parquet,
        adqs=rules.derive.output.adqs_parquet,
        adae=rules.derive.output.adae_parquet,
    output:
        xpt=expand(f"{PROCESSED}/submission/{{name}}.xpt", name=["adsl", "adqs", "adae"]),
        specification_csv=f"{PROCESSED}/submission/specification.csv",
        specification_docx=f"{PROCESSED}/submission/specification.docx",
    params:
        code=code_digest("submission"),
        config=config_params("arms", "visits"),
    threads: 1
    resources:
        mem_mb=512,
        runtime=10,
    log:
        f"{LOGS}/submission.log",
    script:
        "../scripts/submission.py"
