"""One self-contained HTML report: estimand, tables, figures, validation, provenance.

Everything is embedded (figures as PNG data URIs, tables as HTML), nothing is
fetched, and nothing varies between runs (no timestamps), so the same inputs give
the same file. A small inline script marks the page with how many figures loaded,
which the browser test reads.
"""

from __future__ import annotations

import base64
import hashlib
import html
import subprocess
from importlib import metadata
from pathlib import Path

import yaml

PACKAGES = (
    "rlstrial",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "pingouin",
    "matplotlib",
    "snakemake",
    "pandera",
    "pyarrow",
)

CHECK_FIGURES = """
<script>
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.querySelectorAll("img"));
  var shown = images.filter(function (image) { return image.complete && image.naturalWidth > 0; });
  document.body.setAttribute("data-figures", shown.length + "/" + images.length);
});
</script>
"""

STYLE = """
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; font-size: 0.8em; margin: 0.5em 0 1.5em; }
td, th { border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: left; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; }
figcaption { font-size: 0.85em; color: #444; } code, pre { font-size: 0.8em; }
.synthetic { background: #fff3cd; padding: 0.5em 1em; }
"""


def git_commit(folder: str | Path = ".") -> str:
    """The commit of the working tree, or "unknown" outside a git repository."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def versions() -> dict[str, str]:
    """Installed versions of the packages the results depend on."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _figure(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _without_free_text(config: dict) -> dict:
    """The configuration as the report prints it: the texts of the ``reasons`` mappings
    (free-text reasons from the raw data) left out, only their categories shown.

    Examples
    --------
    >>> _without_free_text({"reasons": {"screening": {"moved away": "Other reasons"}}})
    {'reasons': {'screening': 'texts mapped to: Other reasons'}}
    """
    if not config.get("reasons"):
        return config
    coded = {
        kind: "texts mapped to: " + ", ".join(sorted(set(mapping.values())))
        for kind, mapping in config["reasons"].items()
    }
    return {**config, "reasons": coded}


#: covariance structures in words
STRUCTURE_LABELS = {
    "us": "unstructured",
    "cs": "compound symmetry",
    "csh": "heterogeneous compound symmetry",
    "ar1": "first-order autoregressive",
    "ar1h": "heterogeneous first-order autoregressive",
    "toep": "Toeplitz",
    "toeph": "heterogeneous Toeplitz",
    "adh": "first-order ante-dependence",
}


def analysis_methods(config: dict) -> list[str]:
    """One sentence per analysis of the plan: model, covariance, baseline handling,
    population, covariates, and the df and standard errors of its tests.

    Examples
    --------
    >>> from rlstrial.config import load_config
    >>> for line in analysis_methods(load_config("config/config.yaml"))[:1]:
    ...     print(line)  # doctest: +NORMALIZE_WHITESPACE
    mmrm: MMRM, REML, unstructured covariance (if it does not converge:
    heterogeneous Toeplitz, heterogeneous first-order autoregressive, heterogeneous
    compound symmetry, compound symmetry); change from baseline with baseline as
    covariate; population ITTFL; covariates SITEID; Satterthwaite df, model-based SE.
    """
    from rlstrial.plan import build_plan

    plan = build_plan(config)
    baseline = {
        "covariate": "change from baseline with baseline as covariate",
        "clda": "constrained longitudinal data analysis (baseline in the response)",
        "none": "post-baseline values without baseline",
    }
    lines = []
    for analysis in plan.analyses:
        if analysis.model == "random_intercept":
            model = "random-intercept model (compound symmetry), REML"
        else:
            fallback = ", ".join(STRUCTURE_LABELS[s] for s in plan.model.fallback)
            model = f"MMRM, REML, {STRUCTURE_LABELS[plan.model.covariance]} covariance" + (
                f" (if it does not converge: {fallback})" if fallback else ""
            )
        covariates = ", ".join(analysis.covariates) or "none"
        lines.append(
            f"{analysis.name}: {model}; {baseline[analysis.baseline]}; population"
            f" {analysis.population}; covariates {covariates}; {analysis.inference}."
        )
    return lines


def _power_section(config: dict, summary_path, sample_size_path, curves_path) -> list[str]:
    """The power study: the sample size reaching the target power, the rejection
    rates by sample size (with Monte Carlo SEs), and the curves."""
    import pandas as pd

    from rlstrial.plan import build_plan

    design = build_plan(config).design
    needed = pd.read_csv(sample_size_path).iloc[0]
    summary = pd.read_csv(summary_path)
    n = needed["smallest_n_per_arm"]
    contrast = design.contrast_label(needed["contrast"])
    power = config["power"]
    sentence = (
        f"With {power['replicates']} simulated trials per scenario and sample size, the"
        f" smallest sample size per arm reaching {needed['target_power']:.0%} power for"
        f" {contrast} (scenario {needed['scenario']}, {needed['multiplicity']} adjustment)"
        f" is {int(n) if pd.notna(n) else 'beyond the simulated grid'}."
    )
    table = summary.assign(
        contrast=summary["estimand"].map(design.contrast_label),
        rejection=summary["rejection"].map("{:.3f}".format)
        + " ("
        + summary["rejection_mcse"].map("{:.3f}".format)
        + ")",
        coverage=summary["coverage"].map("{:.3f}".format),
    )[["scenario", "n_per_arm", "contrast", "rejection", "coverage"]]
    table.columns = [
        "Scenario",
        "Participants per arm",
        "Contrast",
        "Rejection rate (Monte Carlo SE)",
        "CI coverage",
    ]
    return [
        "<h2>Power and sample size by simulation</h2>",
        f"<p>{html.escape(sentence)}</p>",
        table.to_html(index=False, border=0),
        _figure(
            Path(curves_path),
            "Power curves by sample size per arm (bands: 1.96 Monte"
            " Carlo SE; dashed: target power; dotted: 0.05).",
        ),
    ]


def _meta_section(
    config: dict, studies_path, models_path, leave_one_out_path, egger_path, forest, funnel
):
    """The meta-analysis: the pooled estimate with and without this trial, the models
    of the sensitivity analyses, small-study effects, the forest and funnel plots."""
    import pandas as pd

    models = pd.read_csv(models_path)
    main = models[models["role"] == "main"].iloc[0]
    trial = config["meta_analysis"]["trial"]["study"]
    without = pd.read_csv(leave_one_out_path)
    without = without[without["omitted"] == trial]

    def interval(row) -> str:
        return f"{row['estimate']:.2f} ({row['ci_lower']:.2f} to {row['ci_upper']:.2f})"

    model = f"{main['method']}{' with HKSJ' if main['hksj'] else ''}"
    studies = pd.read_csv(studies_path)
    published = studies[~studies["is_trial"]]
    invented = int(published["illustrative"].astype(str).str.lower().eq("true").sum())
    spread = f"; I\u00b2 {main['i2']:.0f}%"
    if pd.notna(main["pi_lower"]):
        spread += f", prediction interval {main['pi_lower']:.2f} to {main['pi_upper']:.2f}"
    sentence = (
        f"Pooled with the {len(published)} studies of {config['meta_analysis']['studies']}"
        f"{f' ({invented} of them illustrative, not from a publication)' if invented else ''},"
        f" this trial's primary contrast gives a mean difference of {interval(main)}"
        f" ({model}{spread})."
    )
    if len(without):
        sentence += f" Without this trial: {interval(without.iloc[0])}."
    table = models.assign(
        model=models["method"] + models["hksj"].map({True: " (HKSJ)", False: ""}),
        estimate=models.apply(interval, axis=1),
        tau2=models["tau2"].map("{:.2f}".format),
        i2=models["i2"].map("{:.0f}%".format),
    )[["model", "role", "estimate", "tau2", "i2"]]
    table.columns = ["Model", "Role", "Estimate (CI)", "tau\u00b2", "I\u00b2"]
    egger = pd.read_csv(egger_path).iloc[0]
    small_studies = (
        f"Egger's test: asymmetry p = {egger['p_value']:.3f}."
        if egger["tested"]
        else str(egger["note"])
    )
    return [
        "<h2>The trial in the context of the evidence</h2>",
        f"<p>{html.escape(sentence)}</p>",
        table.to_html(index=False, border=0),
        f"<p>{html.escape(small_studies)}</p>",
        _figure(Path(forest), "Forest plot: published studies and this trial."),
        _figure(Path(funnel), "Funnel plot: effect against its standard error."),
    ]


def build_report(
    config: dict,
    estimand_path: str | Path,
    validation_summary_path: str | Path,
    manifest_path: str | Path,
    figures: list[tuple[str | Path, str]],
    tables: list[str | Path],
    commit: str,
    power: list[str | Path] = (),
    meta: list[str | Path] = (),
) -> str:
    """The report as one HTML string.

    Parameters
    ----------
    config
        The configuration (written into the provenance section, with its SHA-256).
    estimand_path, validation_summary_path, manifest_path
        The estimand YAML, the validation summary (Markdown) and the raw SHA-256 manifest.
    figures
        (PNG path, caption) pairs, in order.
    tables
        HTML table fragments written by :func:`rlstrial.tables.write_table_formats`.
    commit
        The git commit of the code that produced the results.
    power
        The power study's summary CSV, sample-size CSV and curves PNG (a section of
        the report), or nothing.
    meta
        The meta-analysis' studies, models, leave-one-out and Egger CSVs and its forest and
        funnel PNGs (a section of the report), or nothing.
    """
    import pandas as pd

    estimand = yaml.safe_load(Path(estimand_path).read_text(encoding="utf-8"))
    config_text = yaml.safe_dump(config, sort_keys=True)
    manifest = pd.read_csv(manifest_path)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(config['trial']['name'])}</title>",
        f"<style>{STYLE}</style>{CHECK_FIGURES}</head><body>",
        f"<h1>{html.escape(config['trial']['name'])}</h1>",
    ]
    if config["trial"].get("synthetic"):
        parts.append('<p class="synthetic">All data in this report are synthetic.</p>')
    parts.append("<h2>Estimand</h2><ul>")
    for key, value in estimand["estimand"].items():
        if isinstance(value, list):
            value = "; ".join(f"{v['event']}: {v['strategy']}" for v in value)
        parts.append(f"<li><b>{html.escape(key)}</b>: {html.escape(str(value))}</li>")
    parts.append("</ul>")
    parts.append("<h2>Analyses</h2><ul>")
    parts += [f"<li>{html.escape(line)}</li>" for line in analysis_methods(config)]
    parts.append("</ul>")
    parts.append("<h2>Tables</h2>")
    parts += [Path(t).read_text(encoding="utf-8") for t in tables]
    parts.append("<h2>Figures</h2>")
    parts += [_figure(Path(path), caption) for path, caption in figures]
    if meta:
        parts += _meta_section(config, *meta)
    if power:
        parts += _power_section(config, *power)
    parts.append("<h2>Raw data validation</h2>")
    parts.append(
        f"<pre>{html.escape(Path(validation_summary_path).read_text(encoding='utf-8'))}</pre>"
    )
    parts.append("<h2>Provenance</h2>")
    parts.append(f"<p>Code: git commit <code>{html.escape(commit)}</code>.</p>")
    parts.append(manifest.to_html(index=False, border=0))
    version_table = pd.DataFrame(versions().items(), columns=["package", "version"])
    parts.append(version_table.to_html(index=False, border=0))
    seed = config.get("simulation", {}).get("seed")
    if seed is not None:
        parts.append(f"<p>Simulator seed: {seed}.</p>")
    digest = hashlib.sha256(config_text.encode("utf-8")).hexdigest()
    config_text = yaml.safe_dump(_without_free_text(config), sort_keys=True)
    parts.append(
        f"<p>Configuration (SHA-256 <code>{digest}</code> of the whole of it; the texts"
        " of the <code>reasons</code> mappings, which come from the raw data, are not"
        " shown):</p>"
    )
    parts.append(f"<pre>{html.escape(config_text)}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
