rule ingest:
    """Record the SHA-256 of every raw file."""
    input:
        raw=RAW_INPUTS,
    output:
        manifest=f"{RESULTS}/provenance/raw_sha256.csv",
    params:
        code=code_digest("ingest"),
    threads: 1
    resources:
        mem_mb=512,
        runtime=10,
    log:
        f"{LOGS}/ingest.log",
    script:
        "../scripts/ingest.py"


rule verify_raw:
    """Check, after the datasets are written, that no raw file changed."""
    input:
        raw=RAW_INPUTS,
        manifest=rules.ingest.output.manifest,
        datasets=f"{PROCESSED}/row_ledger.csv",
        # the REDCap exports and their SHA-256 at import (source: redcap)
        exports=[
            config["redcap"]["dictionary"],
            config["redcap"]["records"],
            f"{RESULTS}/provenance/redcap_sha256.csv",
        ]
        if REDCAP
        else [],
    output:
        report=f"{RESULTS}/provenance/raw_verified.txt",
    params:
        code=code_digest("verify_raw"),
    threads: 1
    resources:
        mem_mb=512,
        runtime=10,
    log:
        f"{LOGS}/verify_raw.log",
    script:
        "../scripts/verify_raw.py"
