from pathlib import Path

from _common import start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import consort_checklist  # noqa: E402

consort_checklist(sm.params.paths, sm.params.settings, Path(sm.output[0]).parent)
