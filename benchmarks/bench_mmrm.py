"""Time the MMRM engine: FEV and BCVA (if ../shared is present) and simulated trials.

Run: uv run python benchmarks/bench_mmrm.py [--sizes 400 4000 40000] [--cs-size 200000] [--no-r]

Each line: data set, subjects x visits, structure, seconds for the fit *and* the
Satterthwaite df of every coefficient (best of --repeat), peak traced memory. When
Rscript with nlme and lme4 is on the PATH, the same data are fitted with
nlme::gls(corSymm + varIdent) (unstructured, up to --r-max subjects) and
lme4::lmer (random intercept, the same model as compound symmetry, for the cs
rows), and the ratios printed.

Then the first fit in a fresh process: the wall time of a new interpreter that
imports the engine and fits FEV (or a simulated 400 x 5 trial) once, start-up,
imports and warm-up included (best of 3).

Then the inference methods (--inference-only for this part alone; --no-inference to
skip): fit + every coefficient's df with Satterthwaite, Kenward-Roger, KR(linear) and
the empirical covariance (between-within df), and each one's time relative to the
Satterthwaite fit (the target: KR adds at most 50 %).

Then BLAS threads (--threads-sizes, none to skip; --threads-only for this part
alone): the simulated unstructured fit + df, median over --threads-rounds fresh
processes per case of --threads-repeat fits each (after a warm-up fit):
  (a) alone, in a process started with OPENBLAS_NUM_THREADS=1 (and OMP/MKL = 1);
  (b) fit_mmrm(threads=1) in a process with default BLAS threads while a busy-loop
      process keeps another core busy (as a second workflow job would);
  (c) fit_mmrm(threads=None) under the same load;
and, for reference, (a) under that load: what the busy core costs by itself.
The target is (b) no slower than (a).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from rlstrial.mmrm import fit_mmrm

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "reference" / "mmrm-fev"
VISITS = ["W0", "W1", "W2", "W3", "W4"]

R_GLS = """
suppressPackageStartupMessages(library(nlme))
d <- read.csv("{path}"); d$arm <- factor(d$arm); d$visit <- factor(d$visit)
d$vn <- as.integer(d$visit)
t <- system.time(gls(y ~ arm * visit, data = d, correlation = corSymm(form = ~ vn | id),
                     weights = varIdent(form = ~ 1 | visit), method = "REML"))
cat(t[["elapsed"]])
"""
R_LMER = """
suppressPackageStartupMessages(library(lme4))
d <- read.csv("{path}"); d$arm <- factor(d$arm); d$visit <- factor(d$visit)
t <- system.time(lmer(y ~ arm * visit + (1 | id), data = d, REML = TRUE))
cat(t[["elapsed"]])
"""


def simulate(n: int, seed: int = 1) -> pd.DataFrame:
    """n subjects x 5 visits, 4 arms, unstructured covariance, ~10% monotone dropout."""
    rng = np.random.default_rng(seed)
    t = len(VISITS)
    lag = np.abs(np.subtract.outer(np.arange(t), np.arange(t)))
    sd = np.linspace(5, 7, t)
    sigma = np.outer(sd, sd) * 0.7**lag
    arm = rng.integers(0, 4, n)
    y = (
        rng.multivariate_normal(np.zeros(t), sigma, n)
        + 20
        - np.arange(t) * (arm[:, None] + 1) * 0.5
    )
    last = np.where(rng.random(n) < 0.1, rng.integers(1, t, n), t)
    keep = np.arange(t)[None, :] < last[:, None]
    ids, visits = np.nonzero(keep)
    return pd.DataFrame(
        {
            "id": ids,
            "arm": np.array(["control", "massager", "heat", "combined"])[arm[ids]],
            "visit": np.array(VISITS)[visits],
            "y": y[ids, visits],
        }
    )


def timed(repeat: int, function, *args, **kwargs) -> tuple[float, float]:
    """Best wall time of ``repeat`` runs, then the peak traced memory of one more run
    (tracing slows numpy down, so it is not on while timing)."""
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        _ = result.coefficients  # Satterthwaite df of every coefficient
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    _ = function(*args, **kwargs).coefficients
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return best, peak


def r_seconds(script: str, data: pd.DataFrame) -> float | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        data.to_csv(path, index=False)
        out = subprocess.run(
            ["Rscript", "-e", script.format(path=path)], capture_output=True, text=True, check=False
        )
    try:
        return float(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def report(label, n, t, structure, seconds, peak, r_label=None, r_time=None):
    line = f"{label:<14} {n:>7} x {t:<2} {structure:<5} {seconds:>8.3f} s {peak:>8.1f} MB"
    if r_time is not None:
        line += f"   {r_label} {r_time:>7.2f} s  (ratio R/rlstrial {r_time / seconds:,.1f})"
    print(line, flush=True)


THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

# Run in a fresh interpreter (so the thread variables apply before numpy is loaded):
# time fit + df `repeat` times after one warm-up fit, print the seconds as JSON.
TIMING_CHILD = """
import json, sys, time
sys.path.insert(0, {folder!r})
from bench_mmrm import simulate
from rlstrial.mmrm import fit_mmrm
import threadpoolctl
data = simulate({n})
kwargs = dict(subject="id", visit="visit", threads={threads!r})
fit_mmrm(data, "y ~ arm * visit", **kwargs).coefficients
seconds = []
for _ in range({repeat}):
    start = time.perf_counter()
    fit_mmrm(data, "y ~ arm * visit", **kwargs).coefficients
    seconds.append(time.perf_counter() - start)
pools = sorted({{pool["num_threads"] for pool in threadpoolctl.threadpool_info()}})
print(json.dumps({{"seconds": seconds, "pools": pools}}))
"""


def child_seconds(n: int, threads: int | None, repeat: int, single: bool) -> tuple[list, list]:
    """Seconds of ``repeat`` fits in a new process, and its BLAS pools' thread counts
    outside the fit; ``single`` starts the process with every thread variable at 1,
    otherwise they are removed (library defaults: one thread per core)."""
    environment = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    if single:
        environment.update(dict.fromkeys(THREAD_VARIABLES, "1"))
    code = TIMING_CHILD.format(
        folder=str(Path(__file__).resolve().parent), n=n, threads=threads, repeat=repeat
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["seconds"], result["pools"]


def busy_loop() -> subprocess.Popen:
    """A process that keeps one core busy until it is terminated."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def thread_section(sizes: list[int], repeat: int, rounds: int) -> None:
    """Fit + df seconds (median) for (a) alone single-threaded, (b) threads=1 and
    (c) threads=None with another core busy. The cases are measured in turn, round
    after round and each round starting with the next case, so that a slow spell of
    the machine hits all of them alike."""
    print(
        f"\nBLAS threads on {os.cpu_count()} cores: simulated us fit + df, median of"
        f" {rounds} x {repeat} runs (each round a fresh process per case);"
        f" load average before: {os.getloadavg()[0]:.2f}"
    )
    print(f"{'subjects':>8} x T  {'case':<55} {'median':>9}  {'range':<15}  pools")
    cases = [
        ("(a) alone, OPENBLAS_NUM_THREADS=1", 1, True, False),
        ("(b) default threads, fit_mmrm(threads=1), core busy", 1, False, True),
        ("(c) default threads, fit_mmrm(threads=None), core busy", None, False, True),
        ("    reference: OPENBLAS_NUM_THREADS=1, core busy", 1, True, True),
    ]
    for n in sizes:
        seconds: dict[str, list[float]] = {label: [] for label, *_ in cases}
        pools: dict[str, list[int]] = {}
        for start in range(rounds):
            for label, threads, single, loaded in (
                cases[start % len(cases) :] + cases[: start % len(cases)]
            ):
                load = busy_loop() if loaded else None
                try:
                    if load is not None:
                        time.sleep(0.2)  # let the busy loop start and take a core
                    times, pools[label] = child_seconds(n, threads, repeat, single)
                finally:
                    if load is not None:
                        load.terminate()
                        load.wait()
                seconds[label] += times
        for label, *_ in cases:
            values = seconds[label]
            print(
                f"{n:>8} x 5  {label:<55} {statistics.median(values):>7.3f} s"
                f"  {min(values):.3f}-{max(values):.3f} s  {pools[label]}",
                flush=True,
            )
        a, b, _, reference = (statistics.median(seconds[label]) for label, *_ in cases)
        print(f"{'':>13} (b)/(a) = {b / a:.2f}, (b)/reference = {b / reference:.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[400, 4000, 40000])
    parser.add_argument("--cs-size", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--r-max", type=int, default=4000, help="largest n fitted with nlme")
    parser.add_argument("--no-r", action="store_true")
    parser.add_argument("--threads-sizes", type=int, nargs="*", default=[400, 4000])
    parser.add_argument("--threads-repeat", type=int, default=5, help="fits per process")
    parser.add_argument("--threads-rounds", type=int, default=5, help="processes per case")
    parser.add_argument("--threads-only", action="store_true", help="only the BLAS threads part")
    parser.add_argument("--inference-only", action="store_true", help="only the inference part")
    parser.add_argument("--no-inference", action="store_true")
    args = parser.parse_args()
    if args.inference_only:
        inference_section(args.repeat)
        return
    if not args.threads_only:
        engine(args)
        seconds = first_fit_seconds()
        print(f"\nfirst fit in a fresh process (start-up, imports, fit + df): {seconds:.2f} s")
        if not args.no_inference:
            inference_section(args.repeat)
    if args.threads_sizes:
        thread_section(args.threads_sizes, args.threads_repeat, args.threads_rounds)


INFERENCE = {
    "satterthwaite": {},
    "kenward-roger": {"df": "kenward-roger"},
    "kr-linear": {"df": "kenward-roger-linear"},
    "empirical": {"vcov": "empirical"},
}


FIRST_FIT = """
import sys
sys.path.insert(0, {folder!r})
import pandas as pd
from rlstrial.mmrm import fit_mmrm
from bench_mmrm import SHARED, simulate
if (SHARED / "fev_data.csv").exists():
    data = pd.read_csv(SHARED / "fev_data.csv")
    fit_mmrm(data, "FEV1 ~ ARMCD * AVISIT + RACE + SEX", "USUBJID", "AVISIT").coefficients
else:
    fit_mmrm(simulate(400), "y ~ arm * visit", "id", "visit").coefficients
"""


def first_fit_seconds(rounds: int = 3) -> float:
    """Wall time of a fresh interpreter importing the engine and fitting once."""
    code = FIRST_FIT.format(folder=str(Path(__file__).resolve().parent))
    best = np.inf
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        best = min(best, time.perf_counter() - start)
    return best


def inference_section(repeat: int) -> None:
    cases = []
    if (SHARED / "fev_data.csv").exists():
        fev = pd.read_csv(SHARED / "fev_data.csv")
        formula = "FEV1 ~ ARMCD * AVISIT + RACE + SEX"
        cases.append(("FEV", 200, 4, fev, formula, "USUBJID", "AVISIT"))
        bcva = pd.read_csv(SHARED / "bcva_data.csv")
        formula = "BCVA_CHG ~ ARMCD * AVISIT + RACE + BCVA_BL"
        cases.append(("BCVA", 1000, 10, bcva, formula, "USUBJID", "AVISIT"))
    for n in (400, 4000):
        cases.append(("simulated", n, 5, simulate(n), "y ~ arm * visit", "id", "visit"))
    print(f"\n{'data':<14} {'subjects':>7} x T  " + "  ".join(f"{k:>22}" for k in INFERENCE))
    for label, n, t, data, formula, subject, visit in cases:
        times = {
            name: timed(repeat, fit_mmrm, data, formula, subject=subject, visit=visit, **options)[0]
            for name, options in INFERENCE.items()
        }
        base = times["satterthwaite"]
        cells = [f"{seconds:>8.3f} s ({seconds / base - 1:+5.0%})" for seconds in times.values()]
        print(f"{label:<14} {n:>7} x {t:<2} " + "  ".join(f"{c:>22}" for c in cells), flush=True)


def engine(args: argparse.Namespace) -> None:
    print(f"{'data':<14} {'subjects':>7} x T  cov   fit + df      peak memory")
    if (SHARED / "fev_data.csv").exists():
        fev = pd.read_csv(SHARED / "fev_data.csv")
        seconds, peak = timed(
            args.repeat,
            fit_mmrm,
            fev,
            "FEV1 ~ ARMCD * AVISIT + RACE + SEX",
            subject="USUBJID",
            visit="AVISIT",
        )
        report("FEV", 200, 4, "us", seconds, peak)
        bcva = pd.read_csv(SHARED / "bcva_data.csv")
        seconds, peak = timed(
            args.repeat,
            fit_mmrm,
            bcva,
            "BCVA_CHG ~ ARMCD * AVISIT + RACE + BCVA_BL",
            subject="USUBJID",
            visit="AVISIT",
        )
        report("BCVA", 1000, 10, "us", seconds, peak)
    use_r = not args.no_r and shutil.which("Rscript") is not None
    for n in args.sizes:
        data = simulate(n)
        seconds, peak = timed(
            args.repeat, fit_mmrm, data, "y ~ arm * visit", subject="id", visit="visit"
        )
        r_time = r_seconds(R_GLS, data) if use_r and n <= args.r_max else None
        report("simulated", n, 5, "us", seconds, peak, "nlme::gls", r_time)
    data = simulate(args.cs_size)
    seconds, peak = timed(
        1, fit_mmrm, data, "y ~ arm * visit", subject="id", visit="visit", covariance="cs"
    )
    r_time = r_seconds(R_LMER, data) if use_r else None
    report("simulated", args.cs_size, 5, "cs", seconds, peak, "lme4::lmer", r_time)


if __name__ == "__main__":
    main()
