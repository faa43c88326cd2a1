"""The workflow on a real SLURM cluster: a single-node cluster from Debian's slurm-wlm
and munge (tests/slurm_cluster.py) runs a small power study through the repository's
profile (profiles/slurm); every job must really be a SLURM job, and the results must
equal a local run's byte for byte. Skips where the daemons are not installed or do not
start (`.ci/run` installs them where it runs as root)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from slurm_cluster import ClusterUnavailable, missing_programs, start_cluster

pytestmark = pytest.mark.skipif(
    bool(missing_programs()), reason=f"SLURM not installed: {', '.join(missing_programs())}"
)

OUTPUTS = ["power.csv", "replicates.csv", "sample_size.csv", "power_curves.png"]
TIMEOUT = 600  # seconds: a hung cluster fails the test instead of the whole CI run


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    try:
        running = start_cluster(tmp_path_factory.mktemp("slurm"))
    except ClusterUnavailable as error:
        pytest.skip(f"no SLURM cluster could be started here: {error}")
    yield running
    running.stop()


def power_config(folder: Path) -> Path:
    """A small power study (2 scenarios x 1 size x 2 batches) writing under ``folder``."""
    power = yaml.safe_load((ROOT / "config" / "power.yaml").read_text())["power"]
    power.update(replicates=4, sample_sizes=[12], batch_size=2)
    paths = {"processed": str(folder / "processed"), "results": str(folder / "results")}
    folder.mkdir(parents=True)
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump({"paths": paths, "power": power}))
    return config


def snakemake(*arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "power", "--nolock", *arguments],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-5000:]
    return result


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory):
    """The same power study on the cluster and locally on 2 cores."""
    folder = tmp_path_factory.mktemp("power")
    on_cluster = power_config(folder / "slurm")
    submitted = snakemake(
        "--profile", "profiles/slurm", "--configfile", str(on_cluster),
        "--slurm-init-seconds-before-status-checks", "2",
        "--slurm-logdir", str(folder / "slurm_logs"),
        env=cluster.env,
    )  # fmt: skip
    snakemake("--cores", "2", "--configfile", str(power_config(folder / "local")))
    return folder, submitted.stderr + submitted.stdout


def test_every_job_ran_as_a_slurm_job(cluster, runs):
    folder, output = runs
    submitted = re.findall(r"submitted with SLURM jobid (\d+)", output)
    assert len(submitted) == 2 * 2 + 1  # 2 scenarios x 2 batches, then the summary
    logs = sorted((folder / "slurm" / "results" / "logs" / "power").glob("*.log"))
    assert len(logs) == len(submitted)
    in_logs = [re.search(r"running as SLURM job (\d+)", log.read_text()) for log in logs]
    assert all(in_logs), [log.name for log, found in zip(logs, in_logs, strict=True) if not found]
    assert sorted(m.group(1) for m in in_logs) == sorted(submitted)
    queue = cluster.run("squeue", "--states=all", "--noheader", "--format=%i %T").stdout
    states = dict(line.split() for line in queue.splitlines())
    assert {states[job] for job in submitted} == {"COMPLETED"}


def test_the_cluster_run_equals_the_local_run_byte_for_byte(runs):
    folder, _ = runs
    for name in OUTPUTS:
        on_cluster = folder / "slurm" / "results" / "power" / name
        local = folder / "local" / "results" / "power" / name
        assert on_cluster.read_bytes() == local.read_bytes(), name


def test_local_runs_name_no_slurm_job(runs):
    folder, _ = runs
    for log in (folder / "local" / "results" / "logs" / "power").glob("*.log"):
        assert "SLURM job" not in log.read_text(), log.name


def test_the_daemons_stop_by_pid(cluster):
    cluster.stop()
    assert {name: process.poll() is not None for name, process in cluster.processes.items()} == {
        "munged": True,
        "slurmctld": True,
        "slurmd": True,
    }
    assert cluster.run("sinfo", "-h", timeout=30).returncode != 0
