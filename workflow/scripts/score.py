from _common import raw_folder, start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import score  # noqa: E402

score(raw_folder(sm.input.raw), sm.params.config, sm.output.scores)
