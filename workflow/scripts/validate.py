from _common import raw_folder, start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import validate  # noqa: E402

validate(raw_folder(sm.input.raw), sm.params.config, sm.output.queries, sm.output.summary)
