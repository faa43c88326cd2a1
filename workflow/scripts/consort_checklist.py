from pathlib import Path

from _common import to_rule_log

from rlstrial.pipeline import consort_checklist

sm = snakemake  # noqa: F821
to_rule_log(sm.log[0])
consort_checklist(sm.config, Path(sm.output[0]).parent)
