rule score:
    """Score every questionnaire scale declared in config."""
    input:
        raw=RAW_INPUTS,
        passed=rules.validation_gate.output.flag,
    output:
        scores=f"{PROCESSED}/scores.parquet",
    params:
        code=code_digest("score"),
        config=config_params("arm_aliases", "visits", "instruments"),
    threads: 1
    resources:
        mem_mb=512,
        runtime=10,
    log:
        f"{LOGS}/score.log",
    benchmark:
        f"{RESULTS}/benchmarks/score.tsv"
    script:
        "../scripts/score.py"
