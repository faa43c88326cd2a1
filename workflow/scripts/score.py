from _logging import to_rule_log

from rlstrial.pipeline import score

sm = snakemake  # noqa: F821
to_rule_log(sm.log[0])
score(sm.params.raw, sm.config, sm.output.scores)
