from pathlib import Path

from _common import to_rule_log

from rlstrial.pipeline import figure_interaction

sm = snakemake  # noqa: F821
to_rule_log(sm.log[0])
figure_interaction(sm.input.results, sm.config, Path(sm.output[0]).with_suffix(""))
