"""What the facts stage adds to event building: seconds on the demo pair and on GVA incidents.

    .venv/bin/python bench/facts.py [--data ../shared/eval] [--articles 300] [--runs 3]

For each corpus it times the facts of every event (gold groups: the demo pair is one event, GVA
articles are grouped by incident) in its two parts: analysing each article with spaCy (what an
ingest does once per article, ``analyse_articles``) and combining the analyses of each event's
articles (what describing an event again costs, ``event_facts`` given the analyses). spaCy model
loading is timed apart. Prints a table, writes JSON to bench/results/facts.json. Timings are
medians of ``--runs`` runs, in one process (an ingest spreads the analysis over 2).

It also times the analysis of each corpus in CPU seconds as storyline runs it (thinc's matrix
products through numpy, ``facts.nlp.language``) and with thinc's default, BLIS, and says whether
the analyses are identical.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections import defaultdict
from pathlib import Path

from storyline.config import FactsSettings, Settings
from storyline.evaluate.datasets import gva_articles
from storyline.extract import extract
from storyline.facts import aliases_for, analyse_articles, articles_to_read, event_facts
from storyline.facts.nlp import language, set_layer_ops
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
    read = [a for members in events for a in articles_to_read(members, settings)]
    analyse, combine = [], []
    for _ in range(runs):
        start = time.perf_counter()
        analyses = {found.article_id: found for found in analyse_articles(read, settings)}
        analyse.append(time.perf_counter() - start)
        start = time.perf_counter()
        for members in events:
            event_facts(members, settings, analyses)
        combine.append(time.perf_counter() - start)
    return {"analysed": len(read), "analyse_s": statistics.median(analyse), "combine_s": statistics.median(combine)}


def numpy_against_blis(events: list[list], settings: FactsSettings) -> dict:
    """CPU seconds of one analysis of the articles of ``events`` under the model's numpy products
    and under BLIS, and whether both give the same analyses."""
    from thinc.api import NumpyOps

    read = [a for members in events for a in articles_to_read(members, settings)]
    nlp = language(aliases_for(settings.aliases_path))
    found, seconds = {}, {}
    for name, ops in (("numpy", NumpyOps(use_blis=False)), ("blis", NumpyOps(use_blis=True))):
        set_layer_ops(nlp, ops)
        start = time.process_time()
        found[name] = analyse_articles(read, settings)
        seconds[name] = time.process_time() - start
    set_layer_ops(nlp, NumpyOps(use_blis=False))
    return {
        "numpy_cpu_s": seconds["numpy"],
        "blis_cpu_s": seconds["blis"],
        "identical": found["numpy"] == found["blis"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    settings = FactsSettings()
    start = time.perf_counter()
    language(aliases_for(settings.aliases_path))
    results = {"model_load_s": time.perf_counter() - start, "corpora": {}}
    corpora = {"demo": demo_events()}
    if (args.data / "gva-incidents-dev").is_dir():
        corpora[f"gva-{args.articles}"] = gva_events(args.data, args.articles)
    else:
        print(f"GVA data not found under {args.data}: timing the demo only")
    print(f"spaCy model load: {results['model_load_s']:.2f} s")
    print(
        f"{'corpus':<10} {'articles':>8} {'events':>6} {'with facts':>10} {'analysed':>8} {'analyse s':>9}"
        f" {'ms/analysed':>11} {'combine s':>9}"
    )
    for name, events in corpora.items():
        n_articles = sum(len(e) for e in events)
        with_facts = sum(len(e) >= settings.min_articles for e in events)
        timing = time_events(events, settings, args.runs)
        per_article = 1000 * timing["analyse_s"] / max(timing["analysed"], 1)
        results["corpora"][name] = {"articles": n_articles, "events": len(events), "events_with_facts": with_facts}
        results["corpora"][name] |= timing | {"analyse_ms_per_article": per_article, "load_average": os.getloadavg()[0]}
        print(
            f"{name:<10} {n_articles:>8} {len(events):>6} {with_facts:>10} {timing['analysed']:>8}"
            f" {timing['analyse_s']:>9.2f} {per_article:>11.1f} {timing['combine_s']:>9.2f}"
        )
    for name, events in corpora.items():
        products = numpy_against_blis(events, settings)
        results["corpora"][name]["matrix_products"] = products
        print(
            f"{name}: analysis CPU {products['numpy_cpu_s']:.2f} s with numpy products,"
            f" {products['blis_cpu_s']:.2f} s with BLIS; identical analyses: {products['identical']}"
        )
    out = ROOT / "bench" / "results" / "facts.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
