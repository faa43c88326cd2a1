# One MMRM per outcome x analysis of the plan (config "analysis").

OUTCOMES = config["analysis"]["outcomes"]
ANALYSES = [analysis["name"] for analysis in config["analysis"]["analyses"]]
MODELS = f"{RESULTS}/models"


wildcard_constraints:
    outcome="|".join(OUTCOMES),
    analysis="|".join(ANALYSES),


rule analyze:
    """Fit the MMRM of one outcome under one analysis; LS-means and contrasts."""
    input:
        adqs=rules.derive.output.adqs_parquet,
        adsl=rules.derive.output.adsl_parquet,
    output:
        csv=f"{MODELS}/{{outcome}}_{{analysis}}.csv",
        parquet=f"{MODELS}/{{outcome}}_{{analysis}}.parquet",
        fit=f"{MODELS}/{{outcome}}_{{analysis}}_fit.csv",
        residuals=f"{MODELS}/{{outcome}}_{{analysis}}_residuals.parquet",
        correlation=f"{MODELS}/{{outcome}}_{{analysis}}_correlation.csv",
    log:
        f"{LOGS}/analyze_{{outcome}}_{{analysis}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/analyze_{{outcome}}_{{analysis}}.tsv"
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
    log:
        f"{LOGS}/replication.log",
    script:
        "../scripts/replication.py"


MODEL_OUTPUTS = [
    *expand(f"{MODELS}/{{outcome}}_{{analysis}}.csv", outcome=OUTCOMES, analysis=ANALYSES),
    f"{MODELS}/estimand.yaml",
    *(rules.primary_visit_checks.output if config["analysis"].get("responder") else []),
    *([f"{MODELS}/replication.csv"] if config.get("published") else []),
]
