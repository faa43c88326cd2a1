from _common import raw_folder, to_rule_log

from rlstrial.pipeline import verify_raw

sm = snakemake  # noqa: F821
to_rule_log(sm.log[0])
verify_raw(raw_folder(sm.input.raw), sm.input.manifest, sm.output.report)
