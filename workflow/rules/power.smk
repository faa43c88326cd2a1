# Power and sample size by simulation (config/power.yaml; `make power` or
# `snakemake power --configfile config/power.yaml`): one job per scenario, sample size
# and batch of replicates, then one job that gathers and summarizes them.

rule power_batch:
    """Simulate and analyse one batch of replicates."""
    output:
        f"{POWER_FOLDER}/replicates/{{scenario}}_n{{n}}_b{{batch}}.parquet",
    params:
        code=code_digest("power_batch"),
        plan=PLAN.to_params("design", "outcomes", "primary", "population", "alpha", "multiplicity", "model", "analyses"),
        # what a batch's replicates depend on: not the target power, not the other sizes
        power=POWER_BATCH_SETTINGS,
    wildcard_constraints:
        scenario="[a-z0-9_]+",
        n=r"\d+",
        batch=r"\d+",
    threads: 1
    resources:
        mem_mb=1024,
        runtime=60,
    log:
        f"{LOGS}/power/{{scenario}}_n{{n}}_b{{batch}}.log",
    script:
        "../scripts/power_batch.py"


rule power_summary:
    """The ADEMP summary, the sample size reaching the target power, the power curves."""
    input:
        power_batches(),
    output:
        summary=f"{POWER_FOLDER}/power.csv",
        replicates=f"{POWER_FOLDER}/replicates.csv",
        sample_size=f"{POWER_FOLDER}/sample_size.csv",
        figures=expand(f"{POWER_FOLDER}/power_curves.{{ext}}", ext=FIGURE_FORMATS),
    params:
        code=code_digest("power_summary"),
        plan=PLAN.to_params("design", "primary", "alpha", "multiplicity"),
        power=POWER,
        figures=config["figures"],
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    log:
        f"{LOGS}/power/summary.log",
    script:
        "../scripts/power_summary.py"

