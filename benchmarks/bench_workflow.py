"""Wall time of the whole workflow on the default trial, as a user reruns it.

In one run, in a fresh folder (the environment already installed):

1. cold: every job, from the raw files;
2. no-op: the same command again (nothing to do);
3. after an analysis setting changes (``analysis.alpha``): the jobs it reaches;
4. after a figure-only change (``figures.dpi``): the figures and the report.

Each step is the README's command, ``snakemake --cores 2`` with a ``--configfile``.
``--busy`` keeps one core busy with another process meanwhile (jobs in parallel on two
busy cores, as on a shared machine). Prints one line per step: wall seconds, jobs run.

Usage: ``uv run python benchmarks/bench_workflow.py [--busy] [--keep]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

STEPS = [
    ("cold run", {}),
    ("no-op rerun", {}),
    ("after analysis.alpha changes", {"analysis": {"alpha": 0.01}}),
    (
        "after figures.dpi changes (figures only)",
        {"analysis": {"alpha": 0.01}, "figures": {"dpi": 200}},
    ),
]


def jobs_run(output: str) -> int:
    """The number of jobs Snakemake reports as done (0 when nothing was to be done)."""
    for line in reversed(output.splitlines()):
        if "steps (100%) done" in line:
            return int(line.split(" of ")[0].split()[-1])
    return 0


def run(folder: Path, settings: dict) -> tuple[float, int]:
    config = {
        "paths": {
            "raw": str(ROOT / "data" / "raw"),
            "processed": str(folder / "processed"),
            "results": str(folder / "results"),
        },
        **settings,
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    command = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", str(path)]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return wall, jobs_run(result.stdout + result.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", action="store_true", help="keep one core busy meanwhile")
    parser.add_argument("--keep", action="store_true", help="keep the output folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_workflow_"))
    busy = None
    if args.busy:
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        print(f"default trial, snakemake --cores 2, {os.cpu_count()} cores", end="")
        print(", one core kept busy by another process" if busy else ", quiet machine")
        for name, settings in STEPS:
            wall, jobs = run(folder, settings)
            print(f"{name:<42} {wall:6.1f} s  {jobs:3d} jobs")
    finally:
        if busy:
            busy.kill()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
