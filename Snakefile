# rlstrial: analysis pipeline for a 2x2 factorial RLS trial.
# A table of contents: each stage's rules live in workflow/rules/.

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/redcap.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/validate.smk"
include: "workflow/rules/score.smk"
include: "workflow/rules/derive.smk"
include: "workflow/rules/analyze.smk"
include: "workflow/rules/publish.smk"
include: "workflow/rules/meta.smk"
include: "workflow/rules/power.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        rules.verify_raw.output.report,
        rules.validate.output.summary,
        expand(
            f"{PROCESSED}/{{name}}.{{ext}}",
            name=["adsl", "adqs", "adae"],
            ext=["parquet", "csv"],
        ),
        rules.submission.output,
        MODEL_OUTPUTS,
        PUBLICATION_OUTPUTS,
        rules.report.output.report,
        # the meta-analysis, when the config has one
        rules.figure_meta.output if META else [],
    default_target: True


rule power:
    """Power and sample size by simulation (needs a power section: config/power.yaml)."""
    input:
        rules.power_summary.output,
