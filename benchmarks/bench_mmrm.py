"""Time the MMRM engine: FEV and BCVA (if ../shared is present) and simulated trials.

Run: uv run python benchmarks/bench_mmrm.py [--sizes 400 4000 40000] [--cs-size 200000] [--no-r]

Each line: data set, subjects x visits, structure, seconds for the fit *and* the
Satterthwaite df of every coefficient (best of --repeat), peak traced memory. When
Rscript with nlme and lme4 is on the PATH, the same data are fitted with
nlme::gls(corSymm + varIdent) (unstructured, up to --r-max subjects) and
lme4::lmer (random intercept, the same model as compound symmetry, for the cs
rows), and the ratios printed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[400, 4000, 40000])
    parser.add_argument("--cs-size", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--r-max", type=int, default=4000, help="largest n fitted with nlme")
    parser.add_argument("--no-r", action="store_true")
    args = parser.parse_args()
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
