from _common import start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import report  # noqa: E402

inputs = {
    "estimand": sm.input.estimand,
    "validation": sm.input.validation,
    "manifest": sm.input.manifest,
    "power": list(sm.input.power),  # summary, sample size, curves; empty without a study
    "meta": list(sm.input.meta),  # studies, models, leave-one-out, Egger, forest, funnel; or empty
}
report(
    sm.params.config,
    inputs,
    list(sm.input.figures),
    list(sm.input.tables),
    sm.output.report,
    sm.params.captions,
)
