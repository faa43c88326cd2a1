from _logging import to_rule_log

from rlstrial.pipeline import validate

sm = snakemake  # noqa: F821
to_rule_log(sm.log[0])
validate(sm.params.raw, sm.config, sm.output.queries, sm.output.summary)
