"""Throughput of the power study: simulated trials analysed per second per core.

Run: uv run python benchmarks/bench_power.py [--replicates 100] [--n-per-arm 60]

One process (one core, one BLAS thread) simulates and analyses trials of the default
design (4 arms x n per arm, baseline and 4 post-baseline visits, dropout) with the
plan's primary analysis, as `snakemake power` does in each job; printed: seconds per
replicate and fits per second per core. A first replicate warms the process up and is
not timed.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import yaml  # noqa: E402

from rlstrial.config import load_config  # noqa: E402
from rlstrial.plan import build_plan  # noqa: E402
from rlstrial.power import run_replicates  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replicates", type=int, default=100)
    parser.add_argument("--n-per-arm", type=int, default=60)
    args = parser.parse_args()
    plan = build_plan(load_config(ROOT / "config" / "config.yaml"))
    power = yaml.safe_load((ROOT / "config" / "power.yaml").read_text())["power"]
    run_replicates(plan, power, 0, args.n_per_arm, range(1))  # warm-up
    start = time.perf_counter()
    run_replicates(plan, power, 0, args.n_per_arm, range(1, args.replicates + 1))
    seconds = (time.perf_counter() - start) / args.replicates
    participants = 4 * args.n_per_arm
    print(
        f"{participants} participants x 5 visits: {seconds * 1000:.1f} ms per replicate,"
        f" {1 / seconds:.1f} fits per second per core"
    )


if __name__ == "__main__":
    main()
