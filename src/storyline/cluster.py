"""Online event clustering: each article, in time order, joins the closest live event or starts one.

The similarity is the cosine between an article's TF-IDF vector and an event's centroid (the
sum of its members' vectors). To keep the cost per article nearly flat as events accumulate,
candidate events are found first with a dense random projection of those vectors (one matrix
product over the live events) and only the best few are scored exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import norm as sparse_norm
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.random_projection import SparseRandomProjection

from .config import ClusterSettings
from .model import Article


def event_id_for(first_article_id: str) -> str:
    """Events are named after the article that started them, so ids stay stable across re-runs."""
    return "ev-" + hashlib.sha1(first_article_id.encode("utf-8")).hexdigest()[:12]


class ArticleVectorizer:
    """TF-IDF vectors of articles (title weighted up), L2-normalised, fitted on the batch at hand."""

    def __init__(self, title_weight: int = 2) -> None:
        self.title_weight = title_weight
        self.tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english", dtype=np.float32)

    def _documents(self, articles: Sequence[Article]) -> list[str]:
        return [" ".join([a.title] * self.title_weight + [a.text]) for a in articles]

    def fit_transform(self, articles: Sequence[Article]) -> sparse.csr_matrix:
        return self.tfidf.fit_transform(self._documents(articles))


class EventClusterer:
    """Single-pass clustering of an article stream into events.

    ``fit_predict(articles)`` takes articles in time order and returns one event id per article.
    An event goes dormant when no article has joined it for ``window_days``; articles without a
    date are compared with every live event.
    """

    def __init__(self, settings: ClusterSettings = ClusterSettings()) -> None:
        self.settings = settings

    def fit_predict(self, articles: Sequence[Article]) -> list[str]:
        if not articles:
            return []
        vectors = ArticleVectorizer(self.settings.title_weight).fit_transform(articles)
        sketches = self._sketch(vectors)
        state = _LiveEvents(len(articles), sketches.shape[1])
        labels: list[int] = []
        window = timedelta(days=self.settings.window_days)
        for i, article in enumerate(articles):
            row = vectors[i]
            best, best_score = -1, self.settings.threshold
            for event in state.candidates(sketches[i], article.published, window, self.settings.candidates):
                score = state.exact_similarity(event, row)
                if score >= best_score:
                    best, best_score = event, score
            if best < 0:
                best = state.open(row, sketches[i], article.published)
            else:
                state.add(best, row, sketches[i], article.published)
            labels.append(best)
        founders = state.founders(labels)
        return [event_id_for(articles[founders[label]].id) for label in labels]

    def _sketch(self, vectors: sparse.csr_matrix) -> np.ndarray:
        dims = self.settings.projection_dims
        if vectors.shape[1] <= dims:
            dense = vectors.toarray()
        else:
            projection = SparseRandomProjection(n_components=dims, dense_output=True, random_state=0)
            dense = projection.fit_transform(vectors)
        return normalize(np.asarray(dense, dtype=np.float32))


class _LiveEvents:
    """The events built so far: sketch sums for candidate search, exact centroids for scoring."""

    def __init__(self, capacity: int, dims: int) -> None:
        self.sketch_sums = np.zeros((capacity, dims), dtype=np.float32)
        self.centroids: list[sparse.csr_matrix] = []
        # POSIX seconds of each event's latest article; NaN when none of its articles is dated.
        self.last_seen = np.full(capacity, np.nan)
        self.count = 0

    def candidates(self, sketch: np.ndarray, when: datetime | None, window: timedelta, k: int) -> list[int]:
        if self.count == 0:
            return []
        sums = self.sketch_sums[: self.count]
        norms = np.linalg.norm(sums, axis=1)
        scores = (sums @ sketch) / np.maximum(norms, 1e-12)
        if when is not None:
            # NaN compares False, so undated events never go dormant.
            scores[when.timestamp() - self.last_seen[: self.count] > window.total_seconds()] = -np.inf
        top = np.argsort(-scores)[:k]
        return [int(e) for e in top if np.isfinite(scores[e])]

    def exact_similarity(self, event: int, row: sparse.csr_matrix) -> float:
        centroid = self.centroids[event]
        norm = sparse_norm(centroid)
        return float(centroid.multiply(row).sum() / norm) if norm else 0.0

    def open(self, row: sparse.csr_matrix, sketch: np.ndarray, when: datetime | None) -> int:
        event = self.count
        self.count += 1
        self.centroids.append(row.copy())
        self.sketch_sums[event] = sketch
        self._seen(event, when)
        return event

    def add(self, event: int, row: sparse.csr_matrix, sketch: np.ndarray, when: datetime | None) -> None:
        self.centroids[event] = self.centroids[event] + row
        self.sketch_sums[event] += sketch
        self._seen(event, when)

    def _seen(self, event: int, when: datetime | None) -> None:
        if when is not None:
            self.last_seen[event] = np.fmax(self.last_seen[event], when.timestamp())

    def founders(self, labels: list[int]) -> dict[int, int]:
        """The index of the first article of each event."""
        first: dict[int, int] = {}
        for index, label in enumerate(labels):
            first.setdefault(label, index)
        return first
