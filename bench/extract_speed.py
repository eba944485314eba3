"""Extraction throughput (pages/s) on real news pages: trafilatura plus our metadata and cleaning.

    .venv/bin/python bench/extract_speed.py [--data ../shared/eval/scrapinghub-aeb] [--runs 3]

Pages are the 181 real pages of the Scrapinghub article-extraction benchmark (decompressed into
memory first: reading and gunzip are not extraction). For each configuration the whole set is
extracted ``--runs`` times and the median pages/s reported, in process (1 worker) and spread over
processes (``ExtractSettings.workers``), without and with learned boilerplate cleaning. Other
programs share the CPU on a busy machine, so the script also prints the 1-minute load average and
pages per CPU-second, which contention hardly changes; times the core count, that is the rate of
the machine when it runs nothing else. Workers are separate processes, so the per-CPU-second
figure for them counts their time once they exit (the pool is shut down at the end of each run).
Prints a table, writes JSON to bench/results/extract_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from dataclasses import replace
from pathlib import Path

from storyline.clean import BoilerplateModel, line_fingerprint
from storyline.config import CleanSettings, ExtractSettings
from storyline.evaluate.extraction import load_benchmark
from storyline.extract import extract_many

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "scrapinghub-aeb"


def pages_per_second(docs: list, settings: ExtractSettings, clean: bool, runs: int) -> tuple[float, float]:
    """Median wall-clock pages/s, and median pages per CPU-second (this process and its workers).

    CPU time hardly changes when other programs share the cores, so pages per CPU-second times
    the core count is what the machine does when it is ours alone.
    """
    rates, cpu_rates = [], []
    for _ in range(runs):
        line_fingerprint.cache_clear()  # each run meets the pages' lines for the first time
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        articles = [a for _, extraction in extract_many(docs, settings) for a in extraction.articles]
        if clean:
            BoilerplateModel(CleanSettings()).fit_transform(articles)
        rates.append(len(docs) / (time.perf_counter() - started))
        cpu_rates.append(len(docs) / (_cpu_seconds() - cpu_started))
    return statistics.median(rates), statistics.median(cpu_rates)


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # workers, once they have exited
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    docs, _ = load_benchmark(args.data)
    base = ExtractSettings()
    rows = []
    for workers in (1, base.workers):
        for clean in (False, True):
            rate, cpu_rate = pages_per_second(docs, replace(base, workers=workers), clean, args.runs)
            rows.append(
                {
                    "workers": workers,
                    "clean": clean,
                    "pages_per_second": round(rate, 1),
                    "pages_per_cpu_second": round(cpu_rate, 1),
                }
            )
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    print(f"{len(docs)} pages, median of {args.runs} runs, load average {load:.1f} on {cores} cores")
    print(f"{'workers':>7} {'cleaning':>8} {'pages/s':>8} {'pages/CPU-s':>11} {'x cores':>8}")
    for row in rows:
        print(
            f"{row['workers']:>7} {'yes' if row['clean'] else 'no':>8} {row['pages_per_second']:>8.1f}"
            f" {row['pages_per_cpu_second']:>11.1f} {row['pages_per_cpu_second'] * cores:>8.1f}"
        )
    out = ROOT / "bench" / "results" / "extract_speed.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"pages": len(docs), "runs": args.runs, "load_average": load, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
