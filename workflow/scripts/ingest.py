from _common import raw_folder, to_rule_log

from rlstrial.pipeline import ingest

to_rule_log(snakemake.log[0])  # noqa: F821
ingest(raw_folder(snakemake.input.raw), snakemake.output.manifest)  # noqa: F821
