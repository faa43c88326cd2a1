from pathlib import Path

from _common import to_rule_log

from rlstrial.pipeline import figure_consort

sm = snakemake  # noqa: F821
to_rule_log(sm.log[0])
stem = Path(sm.output.figures[0]).with_suffix("")
figure_consort(sm.input.ledger, sm.input.adsl, sm.input.adqs, sm.config, stem, sm.output.counts)
