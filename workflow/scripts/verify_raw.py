from _common import raw_folder, start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import verify_raw  # noqa: E402

verify_raw(raw_folder(sm.input.raw), sm.input.manifest, sm.output.report)
