# The analyses of the plan: one job per analysis fits every outcome (in sorted order,
# so that listing the outcomes in another order reruns nothing).

ANALYSED = sorted(OUTCOMES)


rule analyze:
    """Fit the model of every outcome under one analysis; LS-means and contrasts."""
    input:
        adqs=rules.derive.output.adqs_parquet,
        adsl=rules.derive.output.adsl_parquet,
    output:
        csv=expand(f"{MODELS}/{{outcome}}_{{{{analysis}}}}.csv", outcome=ANALYSED),
        parquet=expand(f"{MODELS}/{{outcome}}_{{{{analysis}}}}.parquet", outcome=ANALYSED),
        fit=expand(f"{MODELS}/{{outcome}}_{{{{analysis}}}}_fit.csv", outcome=ANALYSED),
        residuals=expand(
            f"{MODELS}/{{outcome}}_{{{{analysis}}}}_residuals.parquet", outcome=ANALYSED
        ),
        correlation=expand(
            f"{MODELS}/{{outcome}}_{{{{analysis}}}}_correlation.csv", outcome=ANALYSED
        ),
    params:
        code=code_digest("analyze"),
        plan=analysis_plan,
        outcomes=ANALYSED,
    threads: 1
    resources:
        mem_mb=1024,
        runtime=15,
    log:
        f"{LOGS}/analyze_{{analysis}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/analyze_{{analysis}}.tsv"
    script:
        "../scripts/analyze.py"


rule primary_visit_checks:
    """Primary outcome at the primary visit: Hedges' g, responders, rank-based check,
    completers-only ANOVA, re-randomization test, multiple imputation and tipping point."""
    input:
        adqs=rules.derive.output.adqs_parquet,
        adsl=rules.derive.output.adsl_parquet,
    output:
        effect_sizes=f"{MODELS}/primary_effect_sizes.csv",
        responders=f"{MODELS}/primary_responders.csv",
        rank_test=f"{MODELS}/primary_rank_test.csv",
        completers_anova=f"{MODELS}/primary_completers_anova.csv",
        rerandomization=f"{MODELS}/primary_rerandomization.csv",
        imputation=f"{MODELS}/primary_imputation.csv",
    params:
        code=code_digest("primary_visit_checks"),
        plan=PLAN.to_params(
            "design",
            "primary",
            "population",
            "alpha",
            "responder",
            "imputation",
            "rerandomization",
        ),
    threads: 1
    resources:
        mem_mb=1024,
        runtime=20,
    log:
        f"{LOGS}/primary_visit_checks.log",
    benchmark:
        f"{RESULTS}/benchmarks/primary_visit_checks.tsv"
    script:
        "../scripts/primary_visit_checks.py"


rule estimand:
    """Write the estimand and the plan beside the results."""
    output:
        estimand=f"{MODELS}/estimand.yaml",
    params:
        code=code_digest("estimand"),
        trial=config["trial"],
        estimand=config["analysis"]["estimand"],
        plan=PLAN.to_params("primary", "alpha", "multiplicity", "analyses"),
    threads: 1
    resources:
        mem_mb=512,
        runtime=10,
    log:
        f"{LOGS}/estimand.log",
    script:
        "../scripts/estimand.py"


rule replication:
    """Our estimates beside the published ones (config "published")."""
    input:
        results=expand(f"{MODELS}/{{outcome}}_{{analysis}}.parquet", outcome=OUTCOMES, analysis=ANALYSES),
    output:
        table=f"{MODELS}/replication.csv",
    params:
        code=code_digest("replication"),
        published=config.get("published", []),
    threads: 1
    resources:
        mem_mb=512,
        runtime=10,
    log:
        f"{LOGS}/replication.log",
    script:
        "../scripts/replication.py"


MODEL_OUTPUTS = [
    *expand(f"{MODELS}/{{outcome}}_{{analysis}}.csv", outcome=OUTCOMES, analysis=ANALYSES),
    f"{MODELS}/estimand.yaml",
    *(rules.primary_visit_checks.output if PLAN.responder else []),
    *([f"{MODELS}/replication.csv"] if config.get("published") else []),
]
