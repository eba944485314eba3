"""The story linker as shipped on every visible set with a story level: where story precision is lost.

    .venv/bin/python bench/story_sets.py [--eval ../shared/eval] [--cache DIR] [--story NAME=VALUE ...]

Each whole set is fed in time order as ``storyline cluster`` feeds it: DUC 2006 and DUC 2007
(topic folders are stories) as given and shuffled with titles and dates removed, the UCI
Google News headlines (gold stories), GVA (each incident its own story) and the Multi-News
pooled clusters (each its own story). The events are the product's (``grouping.cluster_events``,
default settings, MiniLM), made once per set and kept under ``--cache`` if given (they are most
of the time). Their stories are linked by ``grouping.link_stories`` with the default settings,
and again without the relinking of small stories (``relink_articles`` 0), the step that joins
fragments of a DUC topic and, on collections of other kinds, look-alikes. Printed: BCubed P / R /
F1 at both levels. A story can be no more precise than its events: the event column bounds it.
``--story`` sets a ``StorySettings`` field for both runs (``--story threshold=0.34``), to see a
point of the settings again. Nothing is chosen here. Writes bench/results/story_sets.json (only
with the shipped settings).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_scale import DEFAULT_EVAL, RESULTS
from storyline.config import Settings
from storyline.evaluate.clustering import load_dataset, score_clustering, variant
from storyline.grouping import Clustering, cluster_events, link_stories

SETS = {
    "duc2006": ("duc2006-2007", ("as given", "shuffled bare")),
    "duc2007": ("duc2006-2007", ("as given", "shuffled bare")),
    "uci": ("uci-news-aggregator-sample", ("as given",)),
    "gva": ("gva-incidents-dev", ("as given",)),
    "multinews": ("multinews-test-sample", ("as given",)),
}


def events_of(articles: list, settings: Settings, kept: Path | None) -> Clustering:
    if kept is not None and kept.exists():
        return pickle.loads(kept.read_bytes())
    events = cluster_events(articles, settings)
    if kept is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_bytes(pickle.dumps(events))
    return events


def scored(labels: list[str], gold: list[str]) -> dict:
    found = score_clustering(labels, gold)
    return {
        "bcubed_p": round(found.bcubed_precision, 4),
        "bcubed_r": round(found.bcubed_recall, 4),
        "bcubed_f1": round(found.bcubed_f1, 4),
        "groups": found.clusters,
        "gold": found.gold_clusters,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--cache", type=Path, default=None, help="keep each set's events here")
    parser.add_argument("--story", action="append", default=[], metavar="NAME=VALUE", help="a StorySettings field")
    options = parser.parse_args()
    settings = Settings()
    changes = {name: type(getattr(settings.stories, name))(value) for name, value in map(_setting, options.story)}
    settings = replace(settings, stories=replace(settings.stories, **changes))
    no_relink = replace(settings, stories=replace(settings.stories, relink_articles=0))
    result = {}
    print(f"{'stream':<26} {'events P/R/F1':>20} {'stories P/R/F1':>20} {'no relinking P/R/F1':>22}")
    for dataset, (folder, fed) in SETS.items():
        items = load_dataset(dataset, options.eval / folder)
        for name in fed:
            chosen = variant(items, name)
            articles, gold = [i.article for i in chosen], [i.gold for i in chosen]
            kept = options.cache / f"{dataset}-{name.replace(' ', '-')}.pickle" if options.cache else None
            events = events_of(articles, settings, kept)
            row = {"articles": len(articles), "events": scored([events.resolved[a.id] for a in articles], gold)}
            for key, chosen_settings in (("stories", settings), ("stories_no_relinking", no_relink)):
                labels = link_stories(articles, events.opened, chosen_settings, events.vectors, events.resolved)
                row[key] = scored(labels, gold)
            result[f"{dataset} ({name})"] = row
            cells = [row[k] for k in ("events", "stories", "stories_no_relinking")]
            print(
                f"{dataset + ' (' + name + ')':<26}"
                + "".join(f"   {c['bcubed_p']:.3f}/{c['bcubed_r']:.3f}/{c['bcubed_f1']:.3f}" for c in cells),
                flush=True,
            )
    if not changes:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "story_sets.json").write_text(json.dumps(result, indent=2))
        print(f"wrote {RESULTS / 'story_sets.json'}")


def _setting(given: str) -> tuple[str, str]:
    name, _, value = given.partition("=")
    if not value or not hasattr(Settings().stories, name):
        raise SystemExit(f"story_sets: --story {given!r}: give NAME=VALUE with a StorySettings field")
    return name, value


if __name__ == "__main__":
    main()
