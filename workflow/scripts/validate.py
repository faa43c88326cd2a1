from _common import raw_folder, to_rule_log

from rlstrial.pipeline import validate

sm = snakemake  # noqa: F821
to_rule_log(sm.log[0])
validate(raw_folder(sm.input.raw), sm.config, sm.output.queries, sm.output.summary)
