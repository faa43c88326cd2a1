from _common import plan, start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import consort_counts  # noqa: E402

consort_counts(
    sm.input.ledger, sm.input.adsl, sm.input.adqs, plan(sm), sm.params.reasons, sm.output.counts
)
