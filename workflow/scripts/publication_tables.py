from pathlib import Path

from _common import to_rule_log

from rlstrial.pipeline import publication_tables

sm = snakemake  # noqa: F821
to_rule_log(sm.log[0])
folder = Path(sm.output[0]).parent
publication_tables(
    sm.input.adsl, sm.input.adqs, sm.input.adae, list(sm.input.results), sm.config, folder
)
