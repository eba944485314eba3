"""Seconds to summarise one 25-article event once the models are loaded.

The events are real: the first DUC 2006 topics (25 AP/NYT/Xinhua articles each, read from
../shared/eval). Each event is summarised at 100 words with MiniLM (the default path) and with
TF-IDF only (``STORYLINE_EMBEDDINGS=off``), ``--repeats`` times; the table gives the median and
the worst wall time per event, and the median CPU time (all threads), which contention on a
shared machine does not inflate. The load average is printed alongside.

    .venv/bin/python bench/summarize_speed.py [--events 5] [--repeats 5] [--eval ../shared/eval]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from storyline.config import EmbedSettings
from storyline.embed import load_embedder
from storyline.evaluate.datasets import duc_topics
from storyline.summarize import summarize_event

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_EVAL = ROOT.parent / "shared" / "eval"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--words", type=int, default=100)
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    args = parser.parse_args()
    data = args.eval / "duc2006-2007"
    if not data.is_dir():
        raise SystemExit(f"summarize_speed: DUC data not found at {data}")
    events = [t for t in duc_topics(data, "duc2006") if len(t.articles) == 25][: args.events]
    embedder = load_embedder(EmbedSettings())
    paths = {"minilm": embedder, "tfidf": None} if embedder else {"tfidf": None}
    rows = []
    for path, model in paths.items():
        summarize_event(events[0].articles, args.words, embedder=model)  # warm-up: first-call costs
        for event in events:
            times, cpu = [], []
            for _ in range(args.repeats):
                started, started_cpu = time.perf_counter(), time.process_time()
                summarize_event(event.articles, args.words, embedder=model)
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
            sentences = sum(len(a.text.split(".")) for a in event.articles)
            rows.append(
                {
                    "path": path,
                    "event": event.id,
                    "articles": len(event.articles),
                    "approx_sentences": sentences,
                    "median_s": statistics.median(times),
                    "max_s": max(times),
                    "median_cpu_s": statistics.median(cpu),
                }
            )
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores; CPU s = process CPU time (all threads)")
    print(f"{'path':<7} {'event':<8} {'articles':>8} {'median s':>9} {'max s':>7} {'CPU s':>7}")
    for row in rows:
        print(
            f"{row['path']:<7} {row['event']:<8} {row['articles']:>8} {row['median_s']:>9.3f}"
            f" {row['max_s']:>7.3f} {row['median_cpu_s']:>7.3f}"
        )
    for path in paths:
        wall = statistics.median(r["median_s"] for r in rows if r["path"] == path)
        cpu = statistics.median(r["median_cpu_s"] for r in rows if r["path"] == path)
        print(f"{path}: median over events {wall:.3f} s wall, {cpu:.3f} s CPU")
    out = ROOT / "bench" / "results" / "summarize_speed.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"load_average": load, "cores": os.cpu_count(), "rows": rows}, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
