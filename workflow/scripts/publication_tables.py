from pathlib import Path

from _common import plan, start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import publication_tables  # noqa: E402

publication_tables(
    sm.input.adsl,
    sm.input.adqs,
    sm.input.adae,
    sm.input.consort,
    list(sm.input.results),
    list(sm.input.fit),
    plan(sm),
    Path(sm.output[0]).parent,
)
