from _common import to_rule_log

from rlstrial.pipeline import write_estimand

sm = snakemake  # noqa: F821
to_rule_log(sm.log[0])
write_estimand(sm.config, sm.output.estimand)
