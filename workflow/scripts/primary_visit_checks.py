from _common import to_rule_log

from rlstrial.pipeline import primary_visit_checks

sm = snakemake  # noqa: F821
to_rule_log(sm.log[0])
primary_visit_checks(sm.input.adqs, sm.input.adsl, sm.config, dict(sm.output.items()))
