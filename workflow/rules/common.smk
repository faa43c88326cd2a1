# Configuration checks, the analysis plan, shared names, and the helpers that give each
# rule the settings it uses as params (so that Snakemake reruns exactly the jobs whose
# settings changed: `snakemake -n` names "Params have changed" as the reason). Each rule
# also gets the digest of the package code its stage runs (rlstrial.sources), so that
# editing the package reruns the jobs that run the edited code.

from rlstrial import registry
from rlstrial.config import check_config_files, validate_config
from rlstrial.io import lock_folders
from rlstrial.plan import build_plan, ci_label
from rlstrial.rawdata import RAW_FILES
from rlstrial.sources import stage_digest


# Config files with Snakemake's YAML templating are refused (by then Snakemake has
# already evaluated them: `make run` checks the files before Snakemake reads them).
check_config_files(*workflow.configfiles, rendered=True)
# The schema fills defaults; the consistency and plan checks report every problem at once.
validate_config(config)
PLAN = build_plan(config)

# The raw folder the workflow reads: paths.raw, or the one it builds from REDCap exports.
REDCAP = config["source"] == "redcap"
RAW = config["redcap"]["folder"] if REDCAP else config["paths"]["raw"]
PROCESSED = config["paths"]["processed"]
RESULTS = config["paths"]["results"]
LOGS = f"{RESULTS}/logs"
MODELS = f"{RESULTS}/models"
FIGURES = f"{RESULTS}/figures"
TABLES = f"{RESULTS}/tables"
RAW_INPUTS = [f"{RAW}/{name}" for name in RAW_FILES]

OUTCOMES = [outcome.code for outcome in PLAN.outcomes]
ANALYSES = [analysis.name for analysis in PLAN.analyses]
PRIMARY = PLAN.primary.outcome
PRIMARY_ANALYSIS = PLAN.primary.analysis
FIGURE_FORMATS = ["pdf", "svg", "png"]
TABLE_FORMATS = ["csv", "md", "html", "docx", "tex"]
# The publication tables and figures, from the registry (rlstrial.registry), in the
# order of the report; the figure files of the primary outcome and analysis.
CI = ci_label(1 - PLAN.alpha)
LABELS = {outcome.code: outcome.label for outcome in PLAN.outcomes}
REPORT_TABLES = registry.files(registry.TABLES, OUTCOMES, labels=LABELS)
REPORT_FIGURES = registry.files(
    registry.FIGURES, OUTCOMES, PRIMARY, PRIMARY_ANALYSIS, CI, labels=LABELS
)
PUBLICATION_TABLES = [
    f.stem for f in registry.files(registry.written_by("publication_tables"), OUTCOMES)
]


wildcard_constraints:
    outcome="|".join(OUTCOMES),
    analysis="|".join(ANALYSES),


def code_digest(rule):
    """The digest of the package code the rule's stage runs and of the scripts' shared
    helpers (workflow/scripts/_common.py), which every script imports."""
    return stage_digest(rule, f"{workflow.basedir}/workflow/scripts/_common.py")


def figure_files(rule, formats=FIGURE_FORMATS):
    """The files of the figures a rule draws, from the registry."""
    return [
        f"{FIGURES}/{f.stem}.{ext}"
        for f in registry.files(registry.written_by(rule), OUTCOMES, PRIMARY, PRIMARY_ANALYSIS)
        for ext in formats
    ]


def config_params(*keys):
    """Top-level config sections, as one params entry (the raw-data contract parts);
    arms and visits in the design's order, so that listing them in another order
    changes nothing."""
    params = {key: config[key] for key in keys}
    if "arms" in params:
        params["arms"] = PLAN.to_params("design")["design"]["arms"]
    if "visits" in params:
        params["visits"] = sorted(config["visits"], key=lambda v: (not v.get("baseline"), v["week"]))
    return params


def validation_params():
    """What the raw-data checks read: arms, aliases, visits, the plausible ranges, and of
    each instrument its schedule and items (not its scales, so that a scoring change
    does not revalidate)."""
    params = config_params("arms", "arm_aliases", "visits")
    params["ranges"] = config.get("ranges", {})
    params["instruments"] = {
        name: {"visits": spec["visits"], "items": spec["items"]}
        for name, spec in config["instruments"].items()
    }
    return params


def analysis_plan(wildcards):
    """The plan sections one analysis job uses: the design, alpha, the multiplicity
    family, the covariance settings and that analysis (not the others, so that
    changing one analysis reruns only it)."""
    params = PLAN.to_params("design", "alpha", "multiplicity", "model", "analyses")
    params["analyses"] = [a for a in params["analyses"] if a["name"] == wildcards.analysis]
    return params


def existing(*files):
    """Inputs that must exist but whose updates do not rerun the job (ancient), as
    fresh strings: ancient() flags the objects it is given, and rule outputs are
    shared with every other rule that reads them."""
    flat = [str(f) for group in files for f in ([group] if isinstance(group, str) else group)]
    return ancient(flat)


def checklist_settings():
    """The config keys that decide which outputs the checklist map expects."""
    keys = ("responder", "imputation", "rerandomization")
    return {"analysis": {key: config["analysis"].get(key) for key in keys}}


# Two runs (from two checkouts, say) must not write the same output folders at once:
# the run holds a lock on each until it ends (rlstrial.io.lock_folders).
HELD_LOCKS = []


onstart:
    HELD_LOCKS.extend(lock_folders([PROCESSED, RESULTS]))


# --- power by simulation (config/power.yaml) ---
POWER = config.get("power")
POWER_FOLDER = f"{RESULTS}/power"
POWER_BATCH_SETTINGS = {
    key: value
    for key, value in (POWER or {}).items()
    if key not in ("target_power", "sample_sizes")
}


def power_batches():
    """Every (scenario, n, batch) of the study, as file names."""
    if not POWER:
        return []
    batches = -(-POWER["replicates"] // POWER["batch_size"])  # ceiling
    return [
        f"{POWER_FOLDER}/replicates/{scenario['name']}_n{n}_b{batch}.parquet"
        for scenario in POWER["scenarios"]
        for n in POWER["sample_sizes"]
        for batch in range(batches)
    ]
