"""Throughput of the power study: simulated trials analysed per second per core.

Run: uv run python benchmarks/bench_power.py [--replicates 200] [--n-per-arm 60]
[--processes 2]

One process (one core, one BLAS thread) simulates and analyses trials of the default
design (4 arms x n per arm, baseline and 4 post-baseline visits, dropout) with the
plan's primary analysis, as `snakemake power` does in each job; printed: milliseconds
per replicate (wall clock, and the process's CPU time) and fits per second per core. A
first replicate warms the process up and is not timed. With ``--processes N``, N such
processes run at the same time (as N workflow jobs on N cores do) and each prints its
figures; their total is the machine's throughput. The CPU time is the steadier figure
on a shared machine (it leaves out waiting for a core); both are printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import yaml  # noqa: E402

from rlstrial.config import load_config  # noqa: E402
from rlstrial.plan import build_plan  # noqa: E402
from rlstrial.power import run_replicates  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def measure(replicates: int, n_per_arm: int) -> tuple[float, float]:
    """Seconds per replicate, wall clock and CPU, after one warm-up replicate."""
    plan = build_plan(load_config(ROOT / "config" / "config.yaml"))
    power = yaml.safe_load((ROOT / "config" / "power.yaml").read_text())["power"]
    run_replicates(plan, power, 0, n_per_arm, range(1))  # warm-up
    wall, cpu = time.perf_counter(), time.process_time()
    run_replicates(plan, power, 0, n_per_arm, range(1, replicates + 1))
    return (
        (time.perf_counter() - wall) / replicates,
        (time.process_time() - cpu) / replicates,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--n-per-arm", type=int, default=60)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()
    if args.processes > 1:
        command = [sys.executable, __file__, "--replicates", str(args.replicates)]
        command += ["--n-per-arm", str(args.n_per_arm)]
        jobs = [subprocess.Popen(command) for _ in range(args.processes)]
        sys.exit(max(job.wait() for job in jobs))
    wall, cpu = measure(args.replicates, args.n_per_arm)
    print(
        f"{4 * args.n_per_arm} participants x 5 visits: {wall * 1000:.1f} ms per replicate"
        f" ({cpu * 1000:.1f} ms CPU), {1 / wall:.1f} fits per second per core"
    )


if __name__ == "__main__":
    main()
