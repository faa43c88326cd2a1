from _common import plan, start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import meta_analysis  # noqa: E402

meta_analysis(sm.input.studies, sm.input.results, sm.params.meta, plan(sm), dict(sm.output.items()))
