from _common import plan, start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import estimand  # noqa: E402

estimand(sm.params.trial, sm.params.estimand, plan(sm), sm.output.estimand)
