from _common import raw_folder, start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import ingest  # noqa: E402

ingest(raw_folder(sm.input.raw), sm.output.manifest)
