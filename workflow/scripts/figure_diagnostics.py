from _common import start_job, stem

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import figure_diagnostics  # noqa: E402

title = f"{sm.wildcards.outcome} ({sm.wildcards.analysis})"
figure_diagnostics(
    sm.input.residuals, sm.input.correlation, stem(sm.output[0]), title, sm.params.dpi
)
