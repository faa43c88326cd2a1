from _common import plan, start_job, stem

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import figure_diagnostics  # noqa: E402

figure_diagnostics(
    sm.input.residuals,
    sm.input.correlation,
    stem(sm.output[0]),
    plan(sm),
    sm.wildcards.outcome,
    sm.wildcards.analysis,
    sm.params.dpi,
)
