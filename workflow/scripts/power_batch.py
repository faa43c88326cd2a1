from _common import plan, start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import power_batch  # noqa: E402

power_batch(
    plan(sm),
    sm.params.power,
    sm.wildcards.scenario,
    int(sm.wildcards.n),
    int(sm.wildcards.batch),
    sm.output[0],
)
