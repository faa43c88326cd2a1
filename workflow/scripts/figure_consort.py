from _common import plan, start_job, stem

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import figure_consort  # noqa: E402

figure_consort(sm.input.counts, plan(sm), stem(sm.output.figures[0]), sm.params.dpi)
