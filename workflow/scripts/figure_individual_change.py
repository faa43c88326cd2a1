from pathlib import Path

from _common import to_rule_log

from rlstrial.pipeline import figure_individual_change

sm = snakemake  # noqa: F821
to_rule_log(sm.log[0])
stem = Path(sm.output[0]).with_suffix("")
figure_individual_change(sm.input.adqs, sm.input.adsl, sm.config, stem)
