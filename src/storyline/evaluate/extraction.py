"""Article-body extraction scored as the Zyte/Scrapinghub article-extraction-benchmark scores it.

The benchmark (github.com/scrapinghub/article-extraction-benchmark, ``evaluate.py``) tokenises
with ``\\w+``, compares bags of 4-token shingles per page (TP/FP/FN normalised by their sum so
that long pages weigh no more than short ones), averages precision and recall over pages, and
takes F1 of the two averages. ``shingle_counts`` and ``corpus_scores`` follow that code exactly,
so our figures compare with the published table (trafilatura 2.0.0: F1 0.958).
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..clean import BoilerplateModel
from ..config import CleanSettings, ExtractSettings
from ..errors import InputError
from ..extract import extract_many
from ..model import Article, RawDocument

SHINGLE = 4
# The benchmark's tokenizer, as it is there: any run of word characters.
_TOKEN = re.compile(r"\w+", re.UNICODE)


def shingle_counts(text: str, n: int = SHINGLE) -> Counter[tuple[str, ...]]:
    """The bag of n-token shingles of ``text`` (one short shingle for texts under n tokens)."""
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def page_counts(true: str, predicted: str) -> tuple[float, float, float]:
    """TP, FP, FN over shingles of one page, normalised to sum to 1."""
    gold, pred = shingle_counts(true), shingle_counts(predicted)
    tp = fp = fn = 0.0
    for key in gold.keys() | pred.keys():
        g, p = gold.get(key, 0), pred.get(key, 0)
        tp += min(g, p)
        fp += max(0, p - g)
        fn += max(0, g - p)
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def corpus_scores(counts: list[tuple[float, float, float]]) -> dict[str, float]:
    """Mean per-page precision and recall, and the F1 of those means (the benchmark's way)."""
    precision = statistics.mean(_precision(*c) for c in counts if c[0] + c[1] > 0)
    recall = statistics.mean(_recall(*c) for c in counts if c[0] + c[2] > 0)
    return {"precision": precision, "recall": recall, "f1": 2 * precision * recall / (precision + recall)}


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


@dataclass
class ExtractionReport:
    """Scores with and without learned cleaning, and extraction speed."""

    pages: int
    failed: int
    raw: dict[str, float]
    cleaned: dict[str, float]
    seconds: float
    workers: int

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def load_benchmark(folder: Path) -> tuple[list[RawDocument], dict[str, str]]:
    """The benchmark's pages (``html/<id>.html.gz``) and gold bodies keyed by document origin."""
    truth_path = folder / "ground-truth.json"
    if not truth_path.is_file():
        raise InputError(str(folder), "not the Scrapinghub benchmark (no ground-truth.json)")
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    docs, gold = [], {}
    for key, record in sorted(truth.items()):
        path = folder / "html" / f"{key}.html.gz"
        docs.append(
            RawDocument(origin=str(path), kind="html", data=gzip.decompress(path.read_bytes()), url=record["url"])
        )
        gold[str(path)] = record.get("articleBody", "")
    return docs, gold


def evaluate_extraction(
    folder: Path, settings: ExtractSettings = ExtractSettings(), clean: CleanSettings = CleanSettings()
) -> ExtractionReport:
    """Extract every benchmark page, learn boilerplate over them, score both texts against gold."""
    docs, gold = load_benchmark(folder)
    started = time.perf_counter()
    results = list(extract_many(docs, settings))
    seconds = time.perf_counter() - started
    articles: dict[str, Article] = {}
    for doc, extraction in results:
        if extraction.articles:
            articles[doc.origin] = extraction.articles[0]
    cleaned = (
        BoilerplateModel(clean).fit_transform(list(articles.values())) if clean.enabled else list(articles.values())
    )
    cleaned_by_origin = dict(zip(articles, cleaned, strict=True))

    def score(chosen: dict[str, Article]) -> dict[str, float]:
        return corpus_scores([page_counts(gold[o], chosen[o].text if o in chosen else "") for o in gold])

    return ExtractionReport(
        pages=len(docs),
        failed=len(docs) - len(articles),
        raw=score(articles),
        cleaned=score(cleaned_by_origin),
        seconds=seconds,
        workers=max(1, settings.workers),
    )
