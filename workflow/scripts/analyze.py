from _common import to_rule_log

from rlstrial.pipeline import analyse

sm = snakemake  # noqa: F821
to_rule_log(sm.log[0])
analyse(
    sm.input.adqs,
    sm.input.adsl,
    sm.config,
    sm.wildcards.outcome,
    sm.wildcards.analysis,
    dict(sm.output.items()),
)
