"""What stories cost on top of the pipeline: the share of an ingest's time spent on them, and
its peak memory, at a given corpus size.

    .venv/bin/python bench/story_scale.py [--size 100000] [--work /tmp/storyline-bench]

The ingest is ``storyline ingest FOLDER`` in the bulk mode of ``bench/pipeline_scale.py``
(``--no-facts --lexical-summaries``, the fastest: stories weigh most there) on that script's
corpus of real articles in WARC files, run as a user runs it, stories included; its wall time
and peak memory (the whole process tree) are measured as there. On the store it made, the
stories are then made again by the same functions the ingest ran, each timed: linking the
stored events into stories (``pipeline.link_stories``, with the stored MiniLM vectors), naming
them and writing their digests (``pipeline.build_stories``), and writing them to a store that
holds none (``Store.replace_stories``, what the first ingest paid). The stories' share is
their time over the ingest's time without them (the ingest's time less theirs), in wall time and
in CPU time (steadier when other programs share the cores); issue #20 asks for at most 10 %. Other programs share the 2 cores: the 1-minute load average is printed. Writes
bench/results/story_scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_scale import BULK, DEFAULT_EVAL, RESULTS, corpus, run_ingest
from storyline.config import Settings
from storyline.describe import build_stories
from storyline.embed import MODEL as EMBEDDING_MODEL
from storyline.grouping import link_stories
from storyline.store import Store


def replay(db: str) -> dict:
    """The stories of the store at ``db`` made again, each step timed (seconds)."""
    settings = Settings.from_env(db)
    with Store(db) as store:
        articles = store.articles()
        stored = store.article_vectors(f"{EMBEDDING_MODEL}/{settings.cluster.embed_tokens}", [a.id for a in articles])
        vectors = np.stack([stored[a.id] for a in articles]) if len(stored) == len(articles) else None
        events = store.events()
        event_of = {article.id: event.id for event in events for article in event.articles}
        stored_stories = store.counts()["stories"]
        store.replace_stories([])  # a store without stories, as the first ingest found it

        started, cpu = time.perf_counter(), time.process_time()
        labels = link_stories(articles, [event_of[a.id] for a in articles], settings, vectors)
        linked = time.perf_counter()
        story_of = {event_of[a.id]: label for a, label in zip(articles, labels, strict=True)}
        for event in events:
            event.story_id = story_of[event.id]
        stories = build_stories(events, settings)
        built = time.perf_counter()
        store.replace_stories(stories)
        written, cpu = time.perf_counter(), time.process_time() - cpu
    return {
        "articles": len(articles),
        "events": len(events),
        "stories": len(stories),
        "stories_stored_by_ingest": stored_stories,
        "with_vectors": vectors is not None,
        "link_seconds": linked - started,
        "build_seconds": built - linked,
        "write_seconds": written - built,
        "stories_seconds": written - started,
        "stories_cpu_seconds": cpu,
        "replay_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "storyline-bench")
    options = parser.parse_args()
    options.work.mkdir(parents=True, exist_ok=True)
    folder, meta = corpus(options.size, options.work, options.eval)
    ingest = run_ingest(folder, BULK, options.work, keep=True)
    print(
        f"ingest of {options.size} pages: {ingest['seconds']:.0f} s, peak {ingest['peak_rss_mb']:.0f} MB,"
        f" load {ingest['load_average']:.1f} ({ingest['tally']})"
    )
    load = os.getloadavg()[0]
    steps = replay(ingest["db"])
    without = ingest["seconds"] - steps["stories_seconds"]
    row = {
        "size": options.size,
        "corpus": meta,
        "ingest": ingest,
        **steps,
        "replay_load_average": load,
        "share_of_pipeline_without_stories": steps["stories_seconds"] / without,
        "cpu_share_of_pipeline_without_stories": steps["stories_cpu_seconds"]
        / (ingest["cpu_seconds"] - steps["stories_cpu_seconds"]),
    }
    print(
        f"stories: {steps['stories']} of {steps['events']} events; link {steps['link_seconds']:.1f} s,"
        f" name and digest {steps['build_seconds']:.1f} s, write {steps['write_seconds']:.1f} s;"
        f" {steps['stories_seconds']:.0f} s = {100 * row['share_of_pipeline_without_stories']:.1f} % of the"
        f" pipeline's {without:.0f} s without them (load {load:.1f}); CPU {steps['stories_cpu_seconds']:.0f} s ="
        f" {100 * row['cpu_share_of_pipeline_without_stories']:.1f} % of the pipeline's"
    )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{ingest['db']}{suffix}").unlink(missing_ok=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "story_scale.json").write_text(json.dumps(row, indent=2) + "\n")


if __name__ == "__main__":
    main()
