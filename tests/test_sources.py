"""Code digests: each rule is rerun when the package code its stage runs changes, and
only then."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from rlstrial import sources

RULE_BLOCKS = {
    match.group(1): match.group(0)
    for path in (ROOT / "workflow" / "rules").glob("*.smk")
    for match in re.finditer(r"(?ms)^rule (\w+):.*?(?=^rule |\Z)", path.read_text())
}


@pytest.mark.parametrize("rule", sorted(RULE_BLOCKS))
def test_every_rule_runs_its_own_stage_and_carries_its_digest(rule):
    """The digest assumes that a rule's script calls the pipeline function named after
    the rule: both are checked here."""
    block = RULE_BLOCKS[rule]
    assert f'code=code_digest("{rule}")' in block
    script = re.search(r'script:\s*"\.\./scripts/(\w+)\.py"', block).group(1)
    text = (ROOT / "workflow" / "scripts" / f"{script}.py").read_text()
    assert re.findall(r"from rlstrial\.pipeline import (\w+)", text) == [rule]


def test_a_stage_reaches_the_modules_it_imports_and_no_others():
    assert sources.stage_modules("figure_results") == {
        "rlstrial.pipeline",
        "rlstrial.io",
        "rlstrial.plan",
        "rlstrial.config",
        "rlstrial.figures",
        "rlstrial.figures.consort",
        "rlstrial.figures.diagnostics",
        "rlstrial.figures.forest",
        "rlstrial.figures.power",
        "rlstrial.figures.style",
        "rlstrial.figures.trajectories",
        # plan reads the inference options: the package above them runs (its file
        # counts), but not what its __getattr__ imports on first use (the engine)
        "rlstrial.mmrm.options",
        "rlstrial.mmrm",
    }
    analyze = sources.stage_modules("analyze")
    assert {"rlstrial.analysis", "rlstrial.mmrm.fit", "rlstrial.mmrm.likelihood"} <= analyze
    assert "rlstrial.figures" not in analyze and "rlstrial.validate" not in analyze


def test_the_digest_follows_the_source_of_the_reached_modules(tmp_path, monkeypatch, request):
    def forget():  # the parsed trees and closures of the fake package
        for cached in (
            sources._tree,
            sources._module_imports,
            sources.stage_modules,
            sources._pipeline_lines,
        ):
            cached.cache_clear()

    request.addfinalizer(forget)
    package = tmp_path / "rlstrial"
    package.mkdir()
    (package / "pipeline.py").write_text(
        "from rlstrial.io import write_table\n\n"
        "def draw():\n    from rlstrial import figures\n\n"
        "def fit():\n    from rlstrial.analysis import fit\n"
    )
    for name in ("io", "figures", "analysis"):
        (package / f"{name}.py").write_text(f"# {name}\n")
    monkeypatch.setattr(sources, "PACKAGE", package)
    forget()
    before = {stage: sources.stage_digest(stage) for stage in ("draw", "fit")}
    (package / "analysis.py").write_text("# analysis, edited\n")
    forget()
    assert sources.stage_digest("draw") == before["draw"]
    assert sources.stage_digest("fit") != before["fit"]
    edited = (package / "pipeline.py").read_text().replace("import fit", "import fit  # !")
    (package / "pipeline.py").write_text(edited)  # the fit stage's own function
    forget()
    assert sources.stage_digest("draw") == before["draw"]
