from pathlib import Path

from _common import plan, start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import figure_results  # noqa: E402

figure_results(
    list(sm.input.results),
    sm.input.adqs,
    sm.input.adsl,
    plan(sm),
    Path(sm.output[0]).parent,
    sm.params.figures,
)
