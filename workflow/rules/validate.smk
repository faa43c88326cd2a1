rule validate:
    """Run every check on the raw folder and list every finding."""
    input:
        raw=RAW_INPUTS,
        manifest=rules.ingest.output.manifest,
    output:
        queries=f"{RESULTS}/validation/queries.csv",
        summary=f"{RESULTS}/validation/summary.md",
    params:
        code=code_digest("validate"),
        config=validation_params(),
    threads: 1
    resources:
        mem_mb=512,
        runtime=10,
    log:
        f"{LOGS}/validate.log",
    benchmark:
        f"{RESULTS}/benchmarks/validate.tsv"
    script:
        "../scripts/validate.py"


rule validation_gate:
    """Stop the run here when the query listing has blocking findings."""
    input:
        queries=rules.validate.output.queries,
    output:
        flag=f"{RESULTS}/validation/passed.txt",
    params:
        code=code_digest("validation_gate"),
    threads: 1
    resources:
        mem_mb=512,
        runtime=10,
    log:
        f"{LOGS}/validation_gate.log",
    script:
        "../scripts/validation_gate.py"
