"""What the event clusterer knows of each article: one ``ArticleView`` per article.

A view holds the signals the same-event model compares (see ``same_event.py``): a MiniLM vector
of title and lead, TF-IDF vectors of the whole text and of the lead, the names the text
mentions, the ages and figures it gives, its day, length and outlet. ``FeatureExtractor`` turns
batches of articles into views and keeps the statistics that follow the stream: term and name
document frequencies, and each outlet's own vocabulary.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, HashingVectorizer
from sklearn.preprocessing import normalize
from sklearn.random_projection import SparseRandomProjection

from ..config import ClusterSettings
from ..embed import MiniLMEmbedder
from ..model import Article

_SECONDS_PER_DAY = 86_400.0

# Capitalised words that are not names: sentence starts, calendar words, titles of address.
_NOT_NAMES = frozenset(ENGLISH_STOP_WORDS) | {
    *"monday tuesday wednesday thursday friday saturday sunday".split(),
    *"january february march april may june july august september october november december".split(),
    *"mr mrs ms dr st am pm said says new today yesterday police officials".split(),
}
_NAME_TOKEN = re.compile(r"\b(?:[A-Z][a-z]+(?:['’-][A-Za-z]+)*|[A-Z]{2,}[a-z]?)\b")
_AGE = re.compile(r"\b(\d{1,3})[- ](?:year|yr)s?[- ]old\b|\b(?:age|aged)\s+(\d{1,3})\b|,\s*(\d{1,2}),")
_NUMBER = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])|(?<![\d.,])\d+(?:\.\d+)?(?![\d,])")


def names_in(text: str) -> frozenset[str]:
    """Cheap named-entity stand-ins: capitalised words and acronyms, lower-cased.

    About 100x faster than spaCy's NER and as useful here: matching needs shared names, not types.
    """
    return frozenset(t.lower() for t in _NAME_TOKEN.findall(text) if t.lower() not in _NOT_NAMES)


def article_names(article: Article, lead_chars: int) -> frozenset[str]:
    """The names of the title and the first ``lead_chars`` characters of the text."""
    return names_in(f"{article.title}\n{article.text[:lead_chars]}")


def ages_in(text: str) -> frozenset[str]:
    """Ages as written ("23-year-old", "aged 23", "Smith, 23,"): victims and suspects differ by them."""
    return frozenset(next(group for group in match.groups() if group) for match in _AGE.finditer(text))


def figures_in(text: str) -> frozenset[str]:
    """Numbers that can tell two happenings apart (tolls, sums, addresses): years and counts up
    to twelve are left out, since every report has them."""
    found = set()
    for match in _NUMBER.finditer(text):
        value = match.group().replace(",", "")
        number = float(value)
        if number > 12 and not 1900 <= number <= 2100:
            found.add(value)
    return frozenset(found)


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
    per product (a CSC conversion each time), which made scoring most of the clustering time.
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


def cosines(new: TermVector | None, others: Sequence[TermVector | None]) -> np.ndarray:
    """Cosines of ``new`` with each of ``others`` at once (NaN where either is missing): one
    sorted search over all their terms instead of an intersection per pair."""
    out = np.full(len(others), np.nan)
    present = [k for k, other in enumerate(others) if other is not None]
    if new is None or not present or not len(new.indices):
        return out
    indices = np.concatenate([others[k].indices for k in present])
    values = np.concatenate([others[k].values for k in present])
    lengths = np.array([len(others[k].indices) for k in present])
    where = np.minimum(np.searchsorted(new.indices, indices), len(new.indices) - 1)
    products = np.where(new.indices[where] == indices, new.values[where] * values, 0.0)
    dots = np.bincount(np.repeat(np.arange(len(present)), lengths), weights=products, minlength=len(present))
    norms = np.array([others[k].norm for k in present])
    out[present] = dots / np.maximum(new.norm * norms, 1e-12)
    return out


def term_vectors(matrix: sparse.csr_matrix) -> list[TermVector]:
    matrix.sort_indices()
    return [
        TermVector(matrix.indices[start:end].astype(np.int32), matrix.data[start:end])
        for start, end in zip(matrix.indptr[:-1], matrix.indptr[1:], strict=True)
    ]


def term_matrix(vectors: Sequence[TermVector], features: int) -> sparse.csr_matrix:
    """The rows of ``vectors`` as one sparse matrix (the inverse of ``term_vectors``)."""
    return sparse.csr_matrix(
        (
            np.concatenate([v.values for v in vectors]) if vectors else np.zeros(0, np.float32),
            np.concatenate([v.indices for v in vectors]) if vectors else np.zeros(0, np.int32),
            np.concatenate([[0], np.cumsum([len(v.indices) for v in vectors])]),
        ),
        shape=(len(vectors), features),
    )


@dataclass(slots=True)
class ArticleView:
    """One article as the clusterer compares it."""

    dense: np.ndarray | None  # (384,) unit MiniLM vector of title + lead; None without the model
    lexical: TermVector | None  # TF-IDF of the whole text; dropped once the article leaves the pool
    lead: TermVector | None  # TF-IDF of title + lead; dropped with ``lexical``
    names: frozenset[str]  # names anywhere in title and text
    lead_names: frozenset[str]  # names of title and lead
    ages: frozenset[str]
    figures: frozenset[str]
    day: float  # days since 1970 (UTC calendar day), NaN when undated
    words: int
    source: str

    def forget_text(self) -> None:
        """Let go of the term vectors, the bulk of a view's memory (about 4 KB)."""
        self.lexical = self.lead = None


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

    def counts(self, articles: Sequence[Article], chars: int | None = None) -> sparse.csr_matrix:
        """Term counts of title (``title_weight`` times) and text (its first ``chars`` if given)."""
        weight = self.settings.title_weight
        return self.hasher.transform([" ".join([a.title] * weight + [a.text[:chars]]) for a in articles])

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


class NameStatistics:
    """How many articles of the stream, and of each outlet, mention each name.

    The stream is counted as if ``prior`` articles mentioning none of its names came first: a
    name that 3 of 5 articles mention is still distinctive (news at large rarely names Norcia),
    while in a stream of 100,000 the prior no longer matters.
    """

    def __init__(self, prior: int = 0) -> None:
        self.prior = prior
        self.frequency: Counter[str] = Counter()
        self.articles = 0
        self.by_source: dict[str, Counter[str]] = {}
        self.source_articles: Counter[str] = Counter()

    def update(self, view: ArticleView) -> None:
        self.frequency.update(view.names)
        self.articles += 1
        if view.source:
            self.by_source.setdefault(view.source, Counter()).update(view.names)
            self.source_articles[view.source] += 1

    def idf(self, name: str) -> float:
        return self.idf_of_count(self.frequency[name])

    def idf_of_count(self, count: int) -> float:
        """The IDF of a name that ``count`` articles mention."""
        return math.log((1 + self.prior + self.articles) / (1 + count))

    def is_rare(self, name: str, share: float) -> bool:
        """Mentioned by another article, and by at most ``share`` of the stream: distinctive."""
        return 2 <= self.frequency[name] <= self.rare_bound(share)

    def is_distinctive(self, name: str, share: float) -> bool:
        """Mentioned by at most ``share`` of the stream, by this article alone too: a report
        that names a victim or a town its look-alike does not is evidence of another event."""
        return 1 <= self.frequency[name] <= self.rare_bound(share)

    def rare_bound(self, share: float) -> float:
        return max(2.0, share * (self.prior + self.articles))

    def outlet_names(self, source: str, names: frozenset[str], share: float, min_articles: int) -> frozenset[str]:
        """Those of ``names`` that the outlet uses in at least ``share`` of its articles: its
        town, its own name. Two stories of one local outlet share these whatever they report,
        so they are no evidence."""
        seen = self.source_articles[source]
        if seen < min_articles:
            return frozenset()
        counts = self.by_source[source]
        return frozenset(name for name in names if counts[name] >= share * seen)


class FeatureExtractor:
    """Turns articles into ``ArticleView``s; the TF-IDF and name statistics follow the stream."""

    def __init__(self, settings: ClusterSettings, embedder: MiniLMEmbedder | None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.tfidf = StreamingTfidf(settings)
        self.names = NameStatistics(settings.name_prior_articles)

    @cached_property
    def _projection(self) -> SparseRandomProjection:
        """Candidate search by words uses a random projection of the TF-IDF vectors."""
        projection = SparseRandomProjection(self.settings.projection_dims, dense_output=True, random_state=0)
        return projection.fit(sparse.csr_matrix((1, self.settings.hash_features), dtype=np.float32))

    def transform(
        self, articles: Sequence[Article], dense: np.ndarray | None = None
    ) -> tuple[list[ArticleView], np.ndarray]:
        """Views of ``articles`` and their (n, projection_dims) unit word-index vectors, counting
        them into the TF-IDF statistics first. ``dense`` may hold MiniLM vectors computed earlier
        (e.g. stored ones) to skip the model. Name statistics are counted one article at a time
        by the caller (``NameStatistics.update``), in stream order."""
        counts = self.tfidf.counts(articles)
        self.tfidf.update(counts)
        lexical = self.tfidf.weigh(counts)
        lead = self.tfidf.weigh(self.tfidf.counts(articles, self.settings.name_lead_chars))
        if dense is None and self.embedder is not None:
            dense = self.embedder.encode([dense_text(a) for a in articles])
        index = normalize(np.asarray(self._projection.transform(lexical), dtype=np.float32))
        views = [
            ArticleView(
                dense=None if dense is None else np.asarray(dense[row], dtype=np.float32),
                lexical=lexical_vector,
                lead=lead_vector,
                names=names_in(f"{a.title}\n{a.text}"),
                lead_names=article_names(a, self.settings.name_lead_chars),
                ages=ages_in(f"{a.title}\n{a.text}"),
                figures=figures_in(f"{a.title}\n{a.text[: self.settings.figure_chars]}"),
                day=math.floor(a.published.timestamp() / _SECONDS_PER_DAY) if a.published else math.nan,
                words=len(a.text.split()),
                source=a.source,
            )
            for row, (a, lexical_vector, lead_vector) in enumerate(
                zip(articles, term_vectors(lexical), term_vectors(lead), strict=True)
            )
        ]
        return views, index
