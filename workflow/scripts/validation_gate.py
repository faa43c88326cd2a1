from _common import start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import validation_gate  # noqa: E402

validation_gate(sm.input.queries, sm.output.flag)
