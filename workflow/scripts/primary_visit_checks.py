from _common import plan, start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import primary_visit_checks  # noqa: E402

primary_visit_checks(sm.input.adqs, sm.input.adsl, plan(sm), dict(sm.output.items()))
