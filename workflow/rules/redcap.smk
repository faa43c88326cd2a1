# source: redcap — the raw trial folder built from a REDCap project's exports, checked
# against its data dictionary (config/redcap/README.md). With source: csv no job here runs.


rule import_redcap:
    """Build the raw trial folder from the REDCap exports; stop on any blocking finding."""
    input:
        dictionary=config["redcap"]["dictionary"],
        records=config["redcap"]["records"],
        mapping=config["redcap"]["mapping"],
    output:
        raw=[f"{config['redcap']['folder']}/{name}" for name in RAW_FILES],
        queries=f"{RESULTS}/validation/redcap_queries.csv",
        manifest=f"{RESULTS}/provenance/redcap_sha256.csv",
    params:
        code=code_digest("import_redcap"),
        config=config_params("arms", "arm_aliases", "visits", "instruments"),
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    log:
        f"{LOGS}/import_redcap.log",
    script:
        "../scripts/import_redcap.py"
