"""How the story linker's defaults were chosen, run again: a grid of ``StorySettings`` scored at
story level on both halves of the visible sets, chosen on one half and reported on the other.

    .venv/bin/python bench/story_fit.py [--eval ../shared/eval] [--threshold 0.2 0.28 ...]
        [--runners-up 25 50 ...] [--ratio 2.5 3.0 ...]

The events are the product's (``pipeline.cluster_events``, default settings, MiniLM), made once
per set: DUC 2006 and DUC 2007 (topic folders are stories) as given and shuffled with titles and
dates removed, GVA 2013-14 and 2015-17 as given (each shooting its own story). Each point of
the grid then links them (``pipeline.link_stories``, as ``storyline cluster`` does) and is
scored by BCubed F1. The objective is the mean over DUC 2006 as given, DUC 2006 shuffled bare
and GVA 2013-14; the point it chooses is reported on DUC 2007 and GVA 2015-17, which it never
saw. Then the other way round: chosen on the later sets, reported on the earlier ones. Writes
bench/results/story_fit.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_scale import DEFAULT_EVAL, RESULTS
from storyline.config import Settings
from storyline.evaluate.clustering import load_dataset, score_clustering, time_split, variant
from storyline.grouping import cluster_events, link_stories

EARLIER = ("DUC 2006 as given", "DUC 2006 shuffled bare", "GVA 2013-14")
LATER = ("DUC 2007 as given", "DUC 2007 shuffled bare", "GVA 2015-17")


def clustered_sets(eval_root: Path, settings: Settings) -> dict[str, tuple]:
    """Each set's articles, gold stories and events, clustered once."""
    duc2006, duc2007 = time_split("duc2007", load_dataset("duc", eval_root / "duc2006-2007"))
    gva_early, gva_late = time_split("gva", load_dataset("gva", eval_root / "gva-incidents-dev"))
    sources = {
        EARLIER[0]: variant(duc2006, "as given"),
        EARLIER[1]: variant(duc2006, "shuffled bare"),
        EARLIER[2]: variant(gva_early, "as given"),
        LATER[0]: variant(duc2007, "as given"),
        LATER[1]: variant(duc2007, "shuffled bare"),
        LATER[2]: variant(gva_late, "as given"),
    }
    sets = {}
    for name, items in sources.items():
        articles = [item.article for item in items]
        started = time.perf_counter()
        sets[name] = (articles, [item.gold for item in items], cluster_events(articles, settings))
        print(f"{name}: {len(articles)} articles, events in {time.perf_counter() - started:.0f} s", flush=True)
    return sets


def score_point(sets: dict[str, tuple], settings: Settings) -> dict[str, float]:
    """Story-level BCubed F1 of each set under ``settings``."""
    scores = {}
    for name, (articles, gold, clustering) in sets.items():
        stories = link_stories(articles, clustering.opened, settings, clustering.vectors, clustering.resolved)
        scores[name] = score_clustering(stories, gold).bcubed_f1
    return scores


def chosen(rows: list[dict], fit: tuple[str, ...]) -> dict:
    """The grid point with the best mean over the sets of ``fit`` (the first of equals)."""
    return max(rows, key=lambda row: sum(row["scores"][name] for name in fit) / len(fit))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--threshold", type=float, nargs="+", default=[0.2, 0.22, 0.24, 0.26, 0.28])
    parser.add_argument("--runners-up", type=int, nargs="+", default=[25, 35, 50])
    parser.add_argument("--ratio", type=float, nargs="+", default=[2.5, 2.75, 3.0])
    options = parser.parse_args()
    base = Settings()
    sets = clustered_sets(options.eval, base)
    rows = []
    print("threshold runners-up ratio | " + " | ".join(sets), flush=True)
    for threshold, runners_up, ratio in itertools.product(options.threshold, options.runners_up, options.ratio):
        stories = replace(base.stories, threshold=threshold, relink_runners_up=runners_up, relink_ratio=ratio)
        scores = score_point(sets, replace(base, stories=stories))
        rows.append({"threshold": threshold, "relink_runners_up": runners_up, "relink_ratio": ratio, "scores": scores})
        print(f"{threshold} {runners_up} {ratio} | " + " | ".join(f"{v:.3f}" for v in scores.values()), flush=True)
    result = {"grid": rows, "defaults": score_point(sets, base)}
    for fit, reported in ((EARLIER, LATER), (LATER, EARLIER)):
        best = chosen(rows, fit)
        point = {k: best[k] for k in ("threshold", "relink_runners_up", "relink_ratio")}
        result[f"chosen on {', '.join(fit)}"] = {**point, "reported": {name: best["scores"][name] for name in reported}}
        print(
            f"chosen on {', '.join(fit)}: {point}; "
            + ", ".join(f"{name} {best['scores'][name]:.3f}" for name in reported),
            flush=True,
        )
    print("defaults: " + ", ".join(f"{name} {v:.3f}" for name, v in result["defaults"].items()))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "story_fit.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
