# The trial in the context of the evidence (config meta_analysis): the published studies
# pooled with the primary contrast, then the forest and funnel plots drawn from the tables.

META = config.get("meta_analysis")
META_FOLDER = f"{RESULTS}/meta"
META_TABLES = [
    "studies",
    "models",
    "weights",
    "subgroups",
    "subgroup_test",
    "leave_one_out",
    "cumulative",
    "egger",
]


rule meta_analysis:
    """Pool the published studies with this trial's primary contrast."""
    input:
        studies=META["studies"] if META else [],
        results=f"{MODELS}/{PRIMARY}_{PRIMARY_ANALYSIS}.csv",
    output:
        **{name: f"{META_FOLDER}/{name}.csv" for name in META_TABLES},
    params:
        code=code_digest("meta_analysis"),
        meta={key: META[key] for key in ("trial", "settings")} if META else {},
        plan=PLAN.to_params("design", "primary"),
    threads: 1
    resources:
        mem_mb=512,
        runtime=10,
    log:
        f"{LOGS}/meta_analysis.log",
    script:
        "../scripts/meta_analysis.py"


rule figure_meta:
    """The meta-analysis' forest and funnel plots, from its tables."""
    input:
        **{name: f"{META_FOLDER}/{name}.csv" for name in META_TABLES},
    output:
        forest=expand(f"{META_FOLDER}/forest.{{ext}}", ext=FIGURE_FORMATS),
        funnel=expand(f"{META_FOLDER}/funnel.{{ext}}", ext=FIGURE_FORMATS),
    params:
        code=code_digest("figure_meta"),
        favours=META["favours"] if META else [],
        dpi=config["figures"]["dpi"],
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    log:
        f"{LOGS}/figure_meta.log",
    script:
        "../scripts/figure_meta.py"
