from _common import to_rule_log

from rlstrial.pipeline import report

sm = snakemake  # noqa: F821
to_rule_log(sm.log[0])
inputs = {
    "estimand": sm.input.estimand,
    "validation": sm.input.validation,
    "manifest": sm.input.manifest,
}
report(sm.config, inputs, list(sm.input.figures), list(sm.input.tables), sm.output.report)
