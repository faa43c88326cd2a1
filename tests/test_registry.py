"""The registry of publication outputs: each written by a rule of the workflow, through
the pipeline stage of the same name, and each caption and title filled in."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from rlstrial import pipeline, registry

RULES = {
    name
    for path in (ROOT / "workflow" / "rules").glob("*.smk")
    for name in re.findall(r"^rule (\w+):", path.read_text(), flags=re.MULTILINE)
}


@pytest.mark.parametrize(
    "output", registry.TABLES + registry.FIGURES + registry.DATA, ids=lambda o: o.stem
)
def test_each_output_is_written_by_a_rule_its_stage_and_its_builder(output):
    import inspect

    assert output.rule in RULES
    stage = getattr(pipeline, output.rule)
    assert callable(output.function)
    if output.rule != "publication_tables":  # that stage calls each output.function
        assert output.function.__name__ in inspect.getsource(stage)


def test_files_expand_outcomes_and_the_primary_analysis():
    files = registry.files(registry.FIGURES, ["IRLSTOT", "RLSQOL"], "IRLSTOT", "mmrm")
    assert [f.stem for f in files] == [
        "consort",
        "trajectories_IRLSTOT",
        "trajectories_RLSQOL",
        "forest",
        "forest_factorial",
        "interaction",
        "individual_change",
        "diagnostics_IRLSTOT_mmrm",
    ]
    assert files[2].caption == "RLSQOL: LS-mean change by arm and visit (95% CI)."
    labelled = registry.files(registry.FIGURES[1:2], ["RLSQOL"], labels={"RLSQOL": "RLS-QoL"})
    assert (labelled[0].stem, labelled[0].title) == ("trajectories_RLSQOL", "RLS-QoL")
    assert "{" not in "".join(f.caption + f.title for f in files)
