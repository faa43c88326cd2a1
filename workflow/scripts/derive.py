from _common import raw_folder, to_rule_log

from rlstrial.pipeline import derive

sm = snakemake  # noqa: F821
to_rule_log(sm.log[0])
derive(raw_folder(sm.input.raw), sm.config, sm.input.scores, dict(sm.output.items()))
