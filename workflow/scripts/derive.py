from _common import raw_folder, start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import derive  # noqa: E402

derive(raw_folder(sm.input.raw), sm.params.config, sm.input.scores, dict(sm.output.items()))
