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
