"""The report's provenance helpers (the rendering is tested in a browser in test_workflow)."""

from __future__ import annotations

from rlstrial.report import git_commit, versions


def test_git_commit_outside_a_repository_is_unknown(tmp_path):
    assert git_commit(tmp_path) == "unknown"


def test_versions_name_the_installed_packages():
    found = versions()
    assert found["numpy"][0].isdigit() and found["rlstrial"] == "0.1.0"
