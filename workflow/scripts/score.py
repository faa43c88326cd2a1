from _common import raw_folder, to_rule_log

from rlstrial.pipeline import score

sm = snakemake  # noqa: F821
to_rule_log(sm.log[0])
score(raw_folder(sm.input.raw), sm.config, sm.output.scores)
