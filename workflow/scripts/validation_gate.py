from _common import to_rule_log

from rlstrial.pipeline import gate

sm = snakemake  # noqa: F821
to_rule_log(sm.log[0])
gate(sm.input.queries, sm.output.flag)
