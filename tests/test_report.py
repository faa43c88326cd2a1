"""The report's provenance helpers (the rendering is tested in a browser in test_workflow)."""

from __future__ import annotations

from rlstrial.report import git_commit, versions


def test_git_commit_outside_a_repository_is_unknown(tmp_path):
    assert git_commit(tmp_path) == "unknown"


def test_versions_name_the_installed_packages():
    found = versions()
    assert found["numpy"][0].isdigit() and found["rlstrial"] == "0.1.0"


def test_the_power_section_states_the_sample_size_in_words(tmp_path):
    import matplotlib.pyplot as plt
    import pandas as pd
    from conftest import ROOT

    from rlstrial.config import load_config
    from rlstrial.report import _power_section

    config = load_config(ROOT / "config" / "config.yaml", ROOT / "config" / "power.yaml")
    summary = pd.DataFrame(
        {
            "scenario": "planned",
            "n_per_arm": [20, 40],
            "estimand": "massager vs control",
            "rejection": [0.5, 0.85],
            "rejection_mcse": [0.035, 0.025],
            "coverage": [0.95, 0.94],
        }
    )
    needed = pd.DataFrame(
        [
            {
                "scenario": "planned",
                "contrast": "massager vs control",
                "multiplicity": "holm",
                "target_power": 0.8,
                "smallest_n_per_arm": 40.0,
            }
        ]
    )
    summary.to_csv(tmp_path / "power.csv", index=False)
    needed.to_csv(tmp_path / "sample_size.csv", index=False)
    figure = plt.figure()
    figure.savefig(tmp_path / "curves.png")
    plt.close(figure)
    parts = _power_section(
        config, tmp_path / "power.csv", tmp_path / "sample_size.csv", tmp_path / "curves.png"
    )
    text = "".join(parts)
    assert "80% power for Foot massager vs no intervention" in text
    assert "(scenario planned, holm adjustment) is 40." in text
    assert "0.850 (0.025)" in text and "massager vs control" not in text
