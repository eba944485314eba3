"""Event clustering at scale: articles/second and peak memory at 1k, 10k and 100k articles.

Articles are real: the GVA incidents, DUC 2006/2007 and UCI headline sets from ../shared/eval
(about 10,800 articles), merged in date order. Larger sizes repeat them with new ids, each
repetition shifted 6 years later, so the stream keeps a realistic number of live events (a
repeated story lands long after the first one went dormant) and say so in the output.

MiniLM is the costly part and its cost per article does not depend on the stream size, so the
distinct real texts go through the real model once (timed: the embed/s column) and each size is
then clustered with those vectors looked up by text (repeated texts have equal vectors). Near-duplicate marking (MinHash LSH) is likewise timed once over the real
articles: repeats would all be copies and skip scoring, which would flatter the clusterer.
The table gives the clustering time, and the total with embedding and dedup time per article.
Each size runs in its own process, so peak memory (max RSS) is that size's.

    .venv/bin/python bench/cluster_scale.py [--sizes 1000,10000,100000] [--eval ../shared/eval]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np

from storyline.cluster import EventClusterer, clustering_embedder, dense_text
from storyline.config import ClusterSettings
from storyline.dedup import mark_copies
from storyline.evaluate.clustering import load_dataset
from storyline.model import Article

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_EVAL = ROOT.parent / "shared" / "eval"
RESULTS = ROOT / "bench" / "results"
SOURCES = {"gva": "gva-incidents-dev", "duc": "duc2006-2007", "uci": "uci-news-aggregator-sample"}
SHIFT = timedelta(days=6 * 365)


def real_articles(eval_dir: Path) -> list[Article]:
    articles = [item.article for name, folder in SOURCES.items() for item in load_dataset(name, eval_dir / folder)]
    return sorted(articles, key=lambda a: (a.published.isoformat() if a.published else "", a.id))


def stream(base: list[Article], size: int) -> list[Article]:
    """``size`` articles: the real ones, then repetitions with new ids, each shifted by SHIFT."""
    out = []
    for n in range(size):
        rep, article = divmod(n, len(base))
        source = base[article]
        out.append(
            source
            if rep == 0
            else replace(
                source, id=f"{source.id}~{rep}", published=source.published + rep * SHIFT if source.published else None
            )
        )
    return out


class VectorCache:
    """MiniLM vectors looked up by text: what the real model gave for the same text."""

    def __init__(self, texts: list[str], vectors: np.ndarray) -> None:
        self.dims = vectors.shape[1]
        self.rows = {text: row for text, row in zip(texts, vectors, strict=True)}

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.rows[t] for t in texts])


def _cluster_once(args: tuple) -> dict:
    size, base, texts, vectors = args
    articles = stream(base, size)
    embedder = VectorCache(texts, vectors) if vectors is not None else None
    clusterer = EventClusterer(ClusterSettings(), embedder)
    wall, cpu = time.perf_counter(), time.process_time()
    labels = clusterer.fit_predict(articles)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "size": size,
        "events": len(set(labels)),
        "cluster_seconds": wall,
        "cluster_cpu_seconds": cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--no-embeddings", action="store_true", help="the TF-IDF-only path")
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]
    base = real_articles(options.eval)
    settings = ClusterSettings()

    texts: list[str] = []
    vectors = None
    embed_seconds_per_article = 0.0
    if not options.no_embeddings:
        embedder = clustering_embedder(settings)
        if embedder is None:
            raise SystemExit("cluster_scale: MiniLM is not available; use --no-embeddings")
        texts = sorted({dense_text(a) for a in base})
        start = time.perf_counter()
        vectors = embedder.encode(texts)
        embed_seconds_per_article = (time.perf_counter() - start) / len(texts)

    start = time.perf_counter()
    mark_copies([replace(a) for a in base])
    dedup_seconds_per_article = (time.perf_counter() - start) / len(base)

    rows = []
    context = multiprocessing.get_context("spawn")
    for size in sizes:
        with context.Pool(1) as pool:
            row = pool.apply(_cluster_once, ((size, base, texts, vectors),))
        per_article = row["cluster_seconds"] / size + embed_seconds_per_article + dedup_seconds_per_article
        row.update(
            repeated=size > len(base),
            cluster_articles_per_second=size / row["cluster_seconds"],
            embed_articles_per_second=1 / embed_seconds_per_article if embed_seconds_per_article else None,
            total_articles_per_second=1 / per_article,
            ms_per_article=1000 * per_article,
        )
        rows.append(row)

    print(f"real articles: {len(base)}; larger sizes repeat them with new ids, shifted {SHIFT.days} days per repeat")
    print(f"embeddings: {'off' if options.no_embeddings else f'MiniLM, {settings.embed_tokens} tokens'}")
    print(f"near-duplicate marking: {1 / dedup_seconds_per_article:.0f} articles/s (included in total/s)")
    print(f"{'articles':>9} {'events':>7} {'cluster/s':>10} {'embed/s':>8} {'total/s':>8} {'ms/art':>7} {'peak MB':>8}")
    for row in rows:
        embed = f"{row['embed_articles_per_second']:8.1f}" if row["embed_articles_per_second"] else f"{'-':>8}"
        print(
            f"{row['size']:>9} {row['events']:>7} {row['cluster_articles_per_second']:>10.1f} {embed}"
            f" {row['total_articles_per_second']:>8.1f} {row['ms_per_article']:>7.2f} {row['peak_rss_mb']:>8.0f}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"cluster_scale{'_tfidf' if options.no_embeddings else ''}.json"
    out.write_text(json.dumps(rows, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
