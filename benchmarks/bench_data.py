"""Time the data stages (validate, score, derive) on simulated trials of growing size.

Run: uv run python benchmarks/bench_data.py [--sizes 240 2400]
Prints, per trial size: raw rows, seconds for each stage (best of --repeat runs) and
the peak memory of the whole process.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from rlstrial.config import load_config
from rlstrial.derive import derive_adae, derive_adqs, derive_adsl, row_ledger
from rlstrial.ingest import typed_tables
from rlstrial.scoring import score_questionnaires
from rlstrial.simulate import simulate_trial, write_raw_folder
from rlstrial.validate import validate_raw

ROOT = Path(__file__).resolve().parents[1]


def best_of(repeat, function, *args):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - start)
    return min(times), result


def derive_all(tables, scores, config):
    adsl = derive_adsl(tables, config)
    adqs = derive_adqs(scores, adsl, config)
    derive_adae(tables["adverse_events.csv"], adsl)
    return row_ledger(tables, adqs, config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[240, 2400])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'n':>6} {'raw rows':>9} {'simulate':>9} {'validate':>9} {'score':>7} {'derive':>7}")
    for n in args.sizes:
        config = load_config(
            ROOT / "config" / "config.yaml", overrides={"simulation": {"n_randomized": n}}
        )
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            write_raw_folder(simulate_trial(config), folder, "benchmark\n")
            simulate = time.perf_counter() - start
            rows = sum(len(p.read_text().splitlines()) - 1 for p in Path(folder).glob("*.csv"))
            t_validate, (raw, _) = best_of(args.repeat, validate_raw, folder, config)
            tables = typed_tables(raw, config)
            t_score, scores = best_of(
                args.repeat, score_questionnaires, tables["questionnaires.csv"], config
            )
            t_derive, _ = best_of(args.repeat, derive_all, tables, scores, config)
        print(
            f"{n:>6} {rows:>9} {simulate:>9.2f} {t_validate:>9.2f} {t_score:>7.2f} {t_derive:>7.2f}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak:.0f} MB")


if __name__ == "__main__":
    main()
