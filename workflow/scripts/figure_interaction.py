from _common import plan, start_job, stem

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import figure_interaction  # noqa: E402

figure_interaction(sm.input.results, plan(sm), stem(sm.output[0]), sm.params.dpi)
