from _common import to_rule_log

from rlstrial.pipeline import replicate

sm = snakemake  # noqa: F821
to_rule_log(sm.log[0])
replicate(list(sm.input.results), sm.config, sm.output.table)
