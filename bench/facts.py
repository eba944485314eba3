"""What the facts stage adds to event building: seconds on the demo pair and on GVA incidents.

    .venv/bin/python bench/facts.py [--data ../shared/eval] [--articles 300] [--runs 3]

For each corpus it times ``event_facts`` over every event (gold groups: the demo pair is one
event, GVA articles are grouped by incident), cold (parsing every article) and warm (the same
process again: articles come from the parse cache, as when events are rebuilt after an ingest
that changed nothing else). spaCy model loading is timed apart. Prints a table, writes JSON to
bench/results/facts.json. Timings are medians of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from storyline.config import FactsSettings, Settings
from storyline.evaluate.datasets import gva_articles
from storyline.extract import extract
from storyline.facts import event_facts, parser_for
from storyline.facts.nlp import language
from storyline.ingest import read_document

ROOT = Path(__file__).resolve().parents[1]


def demo_events() -> list[list]:
    settings = Settings()
    examples = sorted((ROOT / "src" / "storyline" / "examples").glob("*.txt"))
    return [[a for path in examples for a in extract(read_document(path, settings.extract)).articles]]


def gva_events(data: Path, articles: int) -> list[list]:
    groups: dict[str, list] = defaultdict(list)
    for item in gva_articles(data / "gva-incidents-dev")[:articles]:
        groups[item.gold].append(item.article)
    return list(groups.values())


def time_events(events: list[list], settings: FactsSettings, runs: int) -> dict[str, float]:
    cold, warm = [], []
    for run in range(runs):
        # a fresh cache size per run gives a fresh parser (and an empty cache) for the cold pass
        fresh = replace(settings, cache_articles=settings.cache_articles + run)
        for timings in (cold, warm):
            start = time.perf_counter()
            for members in events:
                event_facts(members, fresh)
            timings.append(time.perf_counter() - start)
    return {"cold_s": statistics.median(cold), "warm_s": statistics.median(warm)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    settings = FactsSettings()
    start = time.perf_counter()
    language(parser_for(settings).aliases)
    results = {"model_load_s": time.perf_counter() - start, "corpora": {}}
    corpora = {"demo": demo_events()}
    if (args.data / "gva-incidents-dev").is_dir():
        corpora[f"gva-{args.articles}"] = gva_events(args.data, args.articles)
    else:
        print(f"GVA data not found under {args.data}: timing the demo only")
    print(f"spaCy model load: {results['model_load_s']:.2f} s")
    print(
        f"{'corpus':<10} {'articles':>8} {'events':>6} {'with facts':>10} {'cold s':>8} {'warm s':>8} {'ms/article':>10}"
    )
    for name, events in corpora.items():
        n_articles = sum(len(e) for e in events)
        with_facts = sum(len(e) >= settings.min_articles for e in events)
        timing = time_events(events, settings, args.runs)
        per_article = 1000 * timing["cold_s"] / n_articles
        results["corpora"][name] = {"articles": n_articles, "events": len(events), "events_with_facts": with_facts}
        results["corpora"][name] |= timing | {"cold_ms_per_article": per_article}
        print(
            f"{name:<10} {n_articles:>8} {len(events):>6} {with_facts:>10} {timing['cold_s']:>8.2f}"
            f" {timing['warm_s']:>8.2f} {per_article:>10.1f}"
        )
    out = ROOT / "bench" / "results" / "facts.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
