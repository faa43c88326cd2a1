from pathlib import Path

from _common import plan, start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import publication_tables  # noqa: E402

folder = Path(sm.output[0]).parent
publication_tables(
    sm.input.adsl, sm.input.adqs, sm.input.adae, list(sm.input.results), plan(sm), folder
)
