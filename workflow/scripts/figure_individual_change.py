from _common import plan, start_job, stem

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import figure_individual_change  # noqa: E402

figure_individual_change(
    sm.input.adqs, sm.input.adsl, plan(sm), stem(sm.output[0]), sm.params.figures
)
