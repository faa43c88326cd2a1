from _common import plan, start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import analyze  # noqa: E402

kinds = ("csv", "parquet", "fit", "residuals", "correlation")
outputs = {
    outcome: {kind: sm.output[kind][k] for kind in kinds}
    for k, outcome in enumerate(sm.params.outcomes)
}
analyze(sm.input.adqs, sm.input.adsl, plan(sm), sm.wildcards.analysis, outputs, sm.threads)
