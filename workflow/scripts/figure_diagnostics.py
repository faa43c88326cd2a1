from pathlib import Path

from _common import to_rule_log

from rlstrial.pipeline import figure_diagnostics

sm = snakemake  # noqa: F821
to_rule_log(sm.log[0])
title = f"{sm.wildcards.outcome} ({sm.wildcards.analysis})"
stem = Path(sm.output[0]).with_suffix("")
figure_diagnostics(sm.input.residuals, sm.input.correlation, stem, title)
