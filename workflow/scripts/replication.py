from _common import start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import replication  # noqa: E402

replication(list(sm.input.results), sm.params.published, sm.output.table)
