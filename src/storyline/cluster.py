"""Online event clustering: each article, in time order, joins the best live event or starts one.

An article is scored against an event by a weighted sum of four signals (weights and threshold
in ``ClusterSettings``, chosen by the sweep documented there):

- dense: cosine between the article's MiniLM vector (title + lead) and the event's mean vector;
- lexical: cosine between the article's TF-IDF vector and the event's TF-IDF centroid;
- names: the share of the article's names (capitalised words, acronyms) that the event's
  articles mention, weighted by how many of them do;
- time: exp(-gap / time_scale) for the gap between the article and the event's latest article.

An article that mentions distinctive names (a few other articles of the stream mention them) may only
join an event that mentions one of them: look-alike happenings (two shootings in two cities)
share their vocabulary but not their names.

Candidate events come from a vector index over the events' centroids (one matrix product, then
exact scores for the best few live ones), so the cost per article stays nearly flat as events
accumulate. Dormant events (no article for ``window_days``) are masked out of it, and once the
stream has moved past them they let go of their term vectors and names, so memory follows the
live events rather than the corpus.
When an event grows close enough to another candidate (``merge_threshold``), the two merge and
the older keeps its id. Near-duplicate copies join their original's event without scoring.

The same ``EventClusterer`` serves a batch (``fit_predict``) and a stream (``partial_fit``),
and can be seeded with stored events (``add_event``) so that event ids survive across runs.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, HashingVectorizer
from sklearn.preprocessing import normalize
from sklearn.random_projection import SparseRandomProjection

from .config import ClusterSettings, EmbedSettings
from .embed import MiniLMEmbedder, load_embedder
from .model import Article

_SECONDS_PER_DAY = 86_400.0


def event_id_for(first_article_id: str) -> str:
    """Events are named after the article that started them, so ids stay stable across re-runs."""
    return "ev-" + hashlib.sha1(first_article_id.encode("utf-8")).hexdigest()[:12]


def clustering_embedder(settings: ClusterSettings, embed: EmbedSettings = EmbedSettings()) -> MiniLMEmbedder | None:
    """MiniLM with the clustering token budget, or None when the model is off or missing."""
    return load_embedder(replace(embed, max_tokens=settings.embed_tokens))


# -- features ---------------------------------------------------------------------------------

# Capitalised words that are not names: sentence starts, calendar words, titles of address.
_NOT_NAMES = frozenset(ENGLISH_STOP_WORDS) | {
    *"monday tuesday wednesday thursday friday saturday sunday".split(),
    *"january february march april may june july august september october november december".split(),
    *"mr mrs ms dr st am pm said says new today yesterday police officials".split(),
}
_NAME_TOKEN = re.compile(r"\b(?:[A-Z][a-z]+(?:['’-][A-Za-z]+)*|[A-Z]{2,}[a-z]?)\b")


def article_names(article: Article, lead_chars: int) -> frozenset[str]:
    """Cheap named-entity stand-ins from the title and lead: capitalised words and acronyms.

    Measured against spaCy's NER for clustering (see ``ClusterSettings.name_weight``): about
    100x faster and as useful, since clustering needs shared names, not their types.
    """
    text = f"{article.title}\n{article.text[:lead_chars]}"
    return frozenset(t.lower() for t in _NAME_TOKEN.findall(text) if t.lower() not in _NOT_NAMES)


def dense_text(article: Article) -> str:
    """What the dense vector encodes: the title and the lead, which name the happening."""
    return (
        f"{article.title}. {article.text}"
        if article.title and not article.text.startswith(article.title)
        else article.text
    )


class TermVector:
    """A sparse TF-IDF vector as sorted term indices and weights.

    Written out because scipy's one-row matrices over 262,144 hashed columns cost milliseconds
    per product (a CSC conversion each time), which made scoring 90% of the clustering time.
    """

    __slots__ = ("indices", "norm", "values")

    def __init__(self, indices: np.ndarray, values: np.ndarray) -> None:
        self.indices = indices
        self.values = values
        self.norm = float(np.sqrt(values @ values))

    def dot(self, other: TermVector) -> float:
        _, mine, theirs = np.intersect1d(self.indices, other.indices, assume_unique=True, return_indices=True)
        return float(self.values[mine] @ other.values[theirs])

    def cosine(self, other: TermVector) -> float:
        return self.dot(other) / max(self.norm * other.norm, 1e-12)

    def __add__(self, other: TermVector) -> TermVector:
        indices, where = np.unique(np.concatenate([self.indices, other.indices]), return_inverse=True)
        values = np.bincount(where, weights=np.concatenate([self.values, other.values]), minlength=len(indices))
        return TermVector(indices, values.astype(np.float32))


def _term_vectors(matrix: sparse.csr_matrix) -> list[TermVector]:
    matrix.sort_indices()
    return [
        TermVector(matrix.indices[start:end].astype(np.int64), matrix.data[start:end])
        for start, end in zip(matrix.indptr[:-1], matrix.indptr[1:], strict=True)
    ]


@dataclass
class ArticleFeatures:
    """The clustering view of a batch of articles, one row each."""

    dense: np.ndarray | None  # (n, 384) unit MiniLM vectors, None without the model
    index: np.ndarray  # (n, d) unit vectors for candidate search: dense, else a TF-IDF projection
    lexical: list[TermVector]  # L2-normalised TF-IDF
    names: list[frozenset[str]]
    distinctive: list[frozenset[str]]  # the names few articles of the stream mention
    times: np.ndarray  # POSIX seconds, NaN when undated


class StreamingTfidf:
    """TF-IDF over hashed terms whose document frequencies grow with the stream.

    A fixed vocabulary cannot follow a news stream (new names every hour), so terms are hashed
    (scikit-learn's HashingVectorizer) and only the document-frequency counts are kept.
    """

    def __init__(self, settings: ClusterSettings) -> None:
        self.settings = settings
        self.hasher = HashingVectorizer(
            n_features=settings.hash_features,
            stop_words="english",
            alternate_sign=False,
            norm=None,
            dtype=np.float32,
        )
        self.document_frequency = np.zeros(settings.hash_features, dtype=np.int64)
        self.documents = 0

    def counts(self, articles: Sequence[Article]) -> sparse.csr_matrix:
        title_weight = self.settings.title_weight
        return self.hasher.transform([" ".join([a.title] * title_weight + [a.text]) for a in articles])

    def update(self, counts: sparse.csr_matrix) -> None:
        """Count the documents of ``counts`` into the document frequencies."""
        self.document_frequency += np.bincount(counts.indices, minlength=counts.shape[1])
        self.documents += counts.shape[0]

    def weigh(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        """Sublinear TF times smooth IDF, L2-normalised (as TfidfVectorizer(sublinear_tf=True))."""
        weighted = counts.copy()
        weighted.data = 1.0 + np.log(weighted.data)
        idf = np.log((1.0 + self.documents) / (1.0 + self.document_frequency[weighted.indices])) + 1.0
        weighted.data *= idf.astype(np.float32)
        return normalize(weighted)


class FeatureExtractor:
    """Turns articles into ``ArticleFeatures``; the TF-IDF statistics follow the stream."""

    def __init__(self, settings: ClusterSettings, embedder: MiniLMEmbedder | None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.tfidf = StreamingTfidf(settings)
        self.name_frequency: Counter[str] = Counter()

    @cached_property
    def _projection(self) -> SparseRandomProjection:
        """Without the model, candidate search uses a random projection of the TF-IDF vectors."""
        projection = SparseRandomProjection(self.settings.projection_dims, dense_output=True, random_state=0)
        return projection.fit(sparse.csr_matrix((1, self.settings.hash_features), dtype=np.float32))

    @property
    def index_dims(self) -> int:
        return self.embedder.dims if self.embedder is not None else self.settings.projection_dims

    def transform(self, articles: Sequence[Article], dense: np.ndarray | None = None) -> ArticleFeatures:
        """Features of ``articles``, counting them into the TF-IDF statistics first.

        ``dense`` may hold vectors computed earlier (e.g. stored ones) to skip the model.
        """
        counts = self.tfidf.counts(articles)
        self.tfidf.update(counts)
        lexical = self.tfidf.weigh(counts)
        if dense is None and self.embedder is not None:
            dense = self.embedder.encode([dense_text(a) for a in articles])
        if dense is not None:
            index = np.asarray(dense, dtype=np.float32)
        else:
            index = normalize(np.asarray(self._projection.transform(lexical), dtype=np.float32))
        names = [article_names(a, self.settings.name_lead_chars) for a in articles]
        for found in names:
            self.name_frequency.update(found)
        rare = max(1.0, self.settings.name_gate_share * self.tfidf.documents)
        # A headline or a one-line item names one or two things: a name it lacks is no evidence.
        gated = [len(a.text.split()) >= self.settings.name_gate_min_words for a in articles]
        return ArticleFeatures(
            dense=dense,
            index=index,
            lexical=_term_vectors(lexical),
            names=names,
            # A name no other article mentions cannot tell which event an article belongs to.
            distinctive=[
                frozenset(n for n in found if 2 <= self.name_frequency[n] <= rare) if gate else frozenset()
                for found, gate in zip(names, gated, strict=True)
            ],
            times=np.array([a.published.timestamp() if a.published else np.nan for a in articles]),
        )


# -- live events --------------------------------------------------------------------------------


class _Events:
    """Every event so far: index vectors for candidate search, exact state for scoring.

    Rows are event numbers; a merged event points to its survivor through ``parent``.
    """

    def __init__(self, index_dims: int) -> None:
        self.index = np.zeros((64, index_dims), dtype=np.float32)  # sum of members' index vectors
        self.index_norm = np.zeros(64, dtype=np.float32)
        self.last_seen = np.full(64, np.nan)  # POSIX seconds of the latest dated article
        self.active = np.zeros(64, dtype=bool)  # False once merged into another event
        self.lexical: list[TermVector | None] = []
        self.names: list[Counter[str]] = []
        self.distinctive: list[set[str]] = []  # distinctive names its articles brought
        self.size: list[int] = []
        self.ids: list[str] = []
        self.parent: list[int] = []
        self.count = 0

    def open(self, event_id: str) -> int:
        if self.count == len(self.index):
            grow = len(self.index)
            self.index = np.vstack([self.index, np.zeros_like(self.index)])
            self.index_norm = np.concatenate([self.index_norm, np.zeros(grow, dtype=np.float32)])
            self.last_seen = np.concatenate([self.last_seen, np.full(grow, np.nan)])
            self.active = np.concatenate([self.active, np.zeros(grow, dtype=bool)])
        event = self.count
        self.count += 1
        self.active[event] = True
        self.lexical.append(None)
        self.names.append(Counter())
        self.distinctive.append(set())
        self.size.append(0)
        self.ids.append(event_id)
        self.parent.append(event)
        return event

    def add(self, event: int, index_vector: np.ndarray, lexical: TermVector, names, distinctive, when: float) -> None:
        self.index[event] += index_vector
        self.index_norm[event] = np.linalg.norm(self.index[event])
        self.lexical[event] = lexical if self.lexical[event] is None else self.lexical[event] + lexical
        self.names[event].update(names)
        self.distinctive[event].update(distinctive)
        self.size[event] += 1
        if not math.isnan(when):
            self.last_seen[event] = np.fmax(self.last_seen[event], when)

    def merge(self, survivor: int, other: int) -> None:
        self.index[survivor] += self.index[other]
        self.index_norm[survivor] = np.linalg.norm(self.index[survivor])
        self.lexical[survivor] = self.lexical[survivor] + self.lexical[other]
        self.names[survivor].update(self.names[other])
        self.distinctive[survivor] |= self.distinctive[other]
        self.size[survivor] += self.size[other]
        self.last_seen[survivor] = np.fmax(self.last_seen[survivor], self.last_seen[other])
        self.active[other] = False
        self.parent[other] = survivor
        self.lexical[other] = None
        self.names[other] = Counter()
        self.distinctive[other] = set()

    def retire(self, before: float) -> None:
        """Drop the scoring state of the live events whose latest article is older than ``before``.

        In a time-ordered stream they are dormant for good (out of every candidate list), and
        their term vectors and names would otherwise grow with the corpus: about 10 KB an event,
        most of the clustering's memory at 100,000 articles.
        """
        n = self.count
        for event in np.flatnonzero(self.active[:n] & (self.last_seen[:n] < before)):
            self.active[event] = False
            self.lexical[event] = None
            self.names[event] = Counter()
            self.distinctive[event] = set()

    def index_cosine(self, event: int, unit_vector: np.ndarray) -> float:
        return float(self.index[event] @ unit_vector) / max(float(self.index_norm[event]), 1e-12)

    def lexical_cosine(self, event: int, vector: TermVector) -> float:
        return self.lexical[event].cosine(vector)

    def root(self, event: int) -> int:
        while self.parent[event] != event:
            self.parent[event] = self.parent[self.parent[event]]
            event = self.parent[event]
        return event

    def candidates(self, vector: np.ndarray, when: float, window_seconds: float, k: int) -> np.ndarray:
        """The ``k`` live events whose index centroid is closest to ``vector``, best first."""
        n = self.count
        if n == 0:
            return np.empty(0, dtype=np.int64)
        live = self.active[:n].copy()
        if not math.isnan(when) and math.isfinite(window_seconds):
            # NaN compares False, so events without a dated article never go dormant.
            live &= ~(np.abs(when - self.last_seen[:n]) > window_seconds)
        # Only the live events' rows are multiplied: in a long stream most events are dormant,
        # and a product over all of them made the cost per article grow with the corpus.
        rows = np.flatnonzero(live)
        scores = (self.index[rows] @ vector) / np.maximum(self.index_norm[rows], 1e-12)
        if len(rows) > k:
            top = np.argpartition(-scores, k)[:k]
            top = top[np.argsort(-scores[top])]
        else:
            top = np.argsort(-scores)
        return rows[top]


# -- the clusterer ----------------------------------------------------------------------------


class EventClusterer:
    """Single-pass clustering of an article stream into events.

    ``fit_predict(articles)`` clusters a batch (in time order) from scratch and returns one event
    id per article; ``partial_fit(articles)`` adds a batch to the events so far and returns the
    ids it gave; ``assignments()`` maps every article seen to its event after later merges.
    ``copies`` maps an article id to the id of the article it copies (see dedup.py).
    """

    def __init__(
        self,
        settings: ClusterSettings = ClusterSettings(),
        embedder: MiniLMEmbedder | str | None = "auto",
    ) -> None:
        self.settings = settings
        self.embedder = clustering_embedder(settings) if embedder == "auto" else embedder
        self.reset()

    @property
    def uses_embeddings(self) -> bool:
        return self.embedder is not None

    def reset(self) -> EventClusterer:
        self.features = FeatureExtractor(self.settings, self.embedder)
        self._events = _Events(self.features.index_dims)
        self._article_event: dict[str, int] = {}
        self._order: list[str] = []
        return self

    # -- public shape ------------------------------------------------------------------------

    def fit_predict(self, articles: Sequence[Article], copies: Mapping[str, str] | None = None) -> list[str]:
        """Cluster ``articles`` (in time order) from scratch; one event id per article, final."""
        self.reset()
        self.partial_fit(articles, copies=copies)
        resolved = self.assignments()
        return [resolved[a.id] for a in articles]

    def partial_fit(
        self,
        articles: Sequence[Article],
        copies: Mapping[str, str] | None = None,
        dense: np.ndarray | None = None,
    ) -> list[str]:
        """Assign each article of a new batch (in time order) to an event; return their ids.

        Later merges may re-map earlier articles: ``assignments()`` has the final word.
        """
        if not articles:
            return []
        feats = self.features.transform(articles, dense)
        copies = copies or {}
        labels = []
        for i, article in enumerate(articles):
            original = copies.get(article.id)
            vector = feats.index[i]
            if original in self._article_event:
                event = self._events.root(self._article_event[original])
            else:
                event = self._best_event(vector, feats, i)
            if event < 0:
                event = self._events.open(event_id_for(article.id))
            self._join(event, vector, feats, i)
            self._article_event[article.id] = event
            self._order.append(article.id)
            labels.append(self._events.ids[self._events.root(event)])
        self._events.retire(np.nanmax(feats.times, initial=-np.inf) - self.settings.window_days * _SECONDS_PER_DAY)
        return labels

    def add_event(self, event_id: str, articles: Sequence[Article], dense: np.ndarray | None = None) -> None:
        """Seed an existing event (e.g. from the store) with its articles, without scoring them."""
        if not articles:
            return
        feats = self.features.transform(articles, dense)
        event = self._events.open(event_id)
        for i, article in enumerate(articles):
            self._join(event, feats.index[i], feats, i, merge=False)
            self._article_event[article.id] = event
            self._order.append(article.id)

    def assignments(self) -> dict[str, str]:
        """Every article seen so far -> the id of its event, merges applied."""
        events = self._events
        return {a: events.ids[events.root(self._article_event[a])] for a in self._order}

    # -- scoring -----------------------------------------------------------------------------

    def _threshold(self) -> float:
        s = self.settings
        return s.threshold if self.uses_embeddings else s.threshold_lexical

    def _weights(self) -> tuple[float, float, float, float]:
        s = self.settings
        if self.uses_embeddings:
            return s.dense_weight, s.lexical_weight, s.name_weight, s.time_weight
        return 0.0, s.lexical_weight_alone, s.name_weight, s.time_weight

    def _score(self, event: int, vector: np.ndarray, feats: ArticleFeatures, i: int) -> float:
        events, s = self._events, self.settings
        distinctive = feats.distinctive[i]
        if s.name_gate_share and distinctive and not any(events.names[event][n] for n in distinctive):
            # Look-alike events (two shootings, two cities) differ in the few names they mention;
            # without this gate a big event's generic centroid swallows its look-alikes.
            return -math.inf
        w_dense, w_lexical, w_names, w_time = self._weights()
        score = w_dense * events.index_cosine(event, vector) if w_dense else 0.0
        score += w_lexical * events.lexical_cosine(event, feats.lexical[i])
        names = feats.names[i]
        if w_names and names:
            seen = events.names[event]
            score += w_names * sum(seen[n] for n in names) / (events.size[event] * len(names))
        when, last = feats.times[i], events.last_seen[event]
        gap_days = abs(when - last) / _SECONDS_PER_DAY if not (math.isnan(when) or math.isnan(last)) else 0.0
        return score + w_time * math.exp(-gap_days / s.time_scale_days)

    def _best_event(self, vector: np.ndarray, feats: ArticleFeatures, i: int) -> int:
        candidates = self._events.candidates(
            vector, feats.times[i], self.settings.window_days * _SECONDS_PER_DAY, self.settings.candidates
        )
        best, best_score = -1, self._threshold()
        for event in candidates:
            score = self._score(int(event), vector, feats, i)
            if score >= best_score:
                best, best_score = int(event), score
        return best

    def _join(self, event: int, vector: np.ndarray, feats: ArticleFeatures, i: int, merge: bool = True) -> None:
        events = self._events
        events.add(event, vector, feats.lexical[i], feats.names[i], feats.distinctive[i], feats.times[i])
        if merge and math.isfinite(self.settings.merge_threshold) and events.size[event] > 1:
            self._merge_converged(event, feats.times[i])

    def _merge_converged(self, event: int, when: float) -> None:
        """Merge ``event`` with the live events whose centroids it has come close to: the
        weighted dense and lexical cosines between the two centroids reach ``merge_threshold``."""
        events = self._events
        w_dense, w_lexical, _, _ = self._weights()
        window = self.settings.window_days * _SECONDS_PER_DAY
        vector = events.index[event] / max(float(events.index_norm[event]), 1e-12)
        for other in events.candidates(vector, when, window, self.settings.merge_candidates):
            other = int(other)
            if other == event or not self._may_merge(event, other):
                continue
            lexical = events.lexical_cosine(other, events.lexical[event])
            score = (w_dense * events.index_cosine(other, vector) + w_lexical * lexical) / (w_dense + w_lexical)
            if score < self.settings.merge_threshold:
                continue
            survivor, merged = (other, event) if other < event else (event, other)
            events.merge(survivor, merged)
            event = survivor
            vector = events.index[event] / max(float(events.index_norm[event]), 1e-12)

    def _may_merge(self, event: int, other: int) -> bool:
        """The name gate for merges: two events that each brought distinctive names merge only
        if they share one, or look-alike events (two shootings) would merge through their
        generic vocabulary, bypassing the gate their articles met one by one."""
        mine, theirs = self._events.distinctive[event], self._events.distinctive[other]
        return not (self.settings.name_gate_share and mine and theirs and mine.isdisjoint(theirs))
