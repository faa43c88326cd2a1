from pathlib import Path

from _common import plan, start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import power_summary  # noqa: E402

power_summary(
    list(sm.input), plan(sm), sm.params.power, Path(sm.output.summary).parent, sm.params.figures
)
