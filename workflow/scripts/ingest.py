from _logging import to_rule_log

from rlstrial.pipeline import ingest

to_rule_log(snakemake.log[0])  # noqa: F821
ingest(snakemake.params.raw, snakemake.output.manifest)  # noqa: F821
