"""Extractive multi-document summaries: the sentences that best cover an event, each cited.

Sentences are scored by centrality (cosine to the event's centroid, where every article weighs
the same), support (how many other outlets report the same thing) and lead position; they are
chosen greedily under a word budget, skipping any that repeat a chosen one, and printed in
reading order (article date, then position).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from .config import SentenceSettings, SummarySettings
from .model import Article, Sentence
from .sentences import split_sentences

# A sentence that opens with one of these leans on a sentence the reader will not see
# ("But the force slowed down...", "He said..."), so it cannot stand alone in a summary.
DANGLING_OPENERS = frozenset(
    "but and or so yet however also meanwhile moreover furthermore still thus therefore instead "
    "nevertheless he she it they him her his hers its their them this these those such".split()
)
_ENDS_LIKE_A_SENTENCE = re.compile(r"[.!]['\"”’)]?$")
# "..., he said." or "X, however, ..." also point back to a sentence that is not there.
_LEANS_ON_CONTEXT = re.compile(r"\b(?:he|she|they)\s+(?:said|says|added|told|tweeted|wrote)\b|,\s*however,", re.I)
_FIRST_WORD = re.compile(r"[\W_]*(\w+)")


@dataclass
class Summary:
    """A headline and the cited sentences that summarise one event."""

    headline: str
    sentences: list[Sentence]


def is_candidate(sentence: Sentence, settings: SentenceSettings = SentenceSettings()) -> bool:
    """Whether a sentence can stand alone in a summary: a whole statement of sensible length."""
    text = sentence.text
    if not settings.min_words <= sentence.words <= settings.max_words:
        return False
    if not _ENDS_LIKE_A_SENTENCE.search(text):
        return False  # headlines, fragments, questions to the reader
    first = _FIRST_WORD.match(text)
    if not first or first.group(1).lower() in DANGLING_OPENERS:
        return False
    return not _LEANS_ON_CONTEXT.search(text)


def summarize_event(
    articles: Sequence[Article],
    words: int | None = None,
    settings: SummarySettings = SummarySettings(),
    sentence_settings: SentenceSettings = SentenceSettings(),
) -> Summary:
    """Summarise the articles of one event in at most ``words`` words (default ``settings.words``)."""
    budget = settings.words if words is None else words
    per_article = [split_sentences(a) for a in articles]
    everything = [s for sentences in per_article for s in sentences]
    if not everything:
        return Summary(headline=_first_title(articles), sentences=[])
    vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", dtype=np.float32)
    vectors = normalize(vectorizer.fit_transform([s.text for s in everything]))
    article_of = np.repeat(np.arange(len(per_article)), [len(s) for s in per_article])
    centroids = _article_centroids(vectors, article_of, len(per_article))
    topicality = _topicality(vectors, article_of, centroids)

    candidates = [
        i
        for i, s in enumerate(everything)
        if is_candidate(s, sentence_settings) and topicality[i] >= settings.min_topic_similarity
    ]
    scores = {i: topicality[i] + _lead_bonus(everything[i], settings) for i in candidates}
    _add_support(scores, everything, vectors, settings)
    chosen = _select(scores, everything, vectors, budget, settings.redundancy)
    order = {a.id: n for n, a in enumerate(articles)}
    chosen.sort(key=lambda i: (_date_key(everything[i]), order[everything[i].article_id], everything[i].position))
    event_centroid = normalize(centroids.mean(axis=0, keepdims=True))[0]
    headline = _headline(articles, vectorizer, event_centroid) or (everything[chosen[0]].text if chosen else "")
    return Summary(headline=headline, sentences=[everything[i] for i in chosen])


def _article_centroids(vectors, article_of: np.ndarray, count: int) -> np.ndarray:
    """One unit vector per article: the mean of its sentences' vectors."""
    rows = [np.asarray(vectors[article_of == k].mean(axis=0)).ravel() for k in range(count)]
    return normalize(np.vstack(rows))


def _topicality(vectors, article_of: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """How well the event's *other* articles cover each sentence (cosine to their centroid).

    Leaving the sentence's own article out is what exposes stitched-in, off-topic sentences:
    an aggregator's stray sentence about another story resembles its own page, not the other
    reports. With a single article there is nothing else to compare with, so its own centroid
    stands in. Every article weighs the same, so a long one does not outvote short ones.
    """
    count = len(centroids)
    if count == 1:
        return np.asarray(vectors @ centroids[0]).ravel()
    total = centroids.sum(axis=0)
    others = normalize((total - centroids) / (count - 1))  # row k: centroid of all but article k
    return np.asarray(vectors.multiply(others[article_of]).sum(axis=1)).ravel()


def _lead_bonus(sentence: Sentence, settings: SummarySettings) -> float:
    lead = settings.lead_sentences
    return settings.lead_weight * max(0, lead - sentence.position) / lead


def _add_support(scores: dict[int, float], sentences: list[Sentence], vectors, settings: SummarySettings) -> None:
    """Reward what several outlets say: a share of the other outlets with a similar sentence.

    Outlets, not articles, are counted, so syndicated copies on one site do not inflate support.
    """
    if not scores:
        return
    index = list(scores)
    similarity = (vectors[index] @ vectors.T).toarray()
    outlets = [s.source or s.article_id for s in sentences]
    others = max(len(set(outlets)) - 1, 1)
    for row, i in enumerate(index):
        similar = np.flatnonzero(similarity[row] >= settings.support_similarity)
        supporting = {outlets[j] for j in similar} - {outlets[i]}
        scores[i] += settings.support_weight * len(supporting) / others


def _select(scores: dict[int, float], sentences: list[Sentence], vectors, budget: int, redundancy: float) -> list[int]:
    """Greedy choice by score under the word budget, skipping near-repeats of chosen sentences."""
    chosen: list[int] = []
    used = 0
    for i in sorted(scores, key=lambda i: -scores[i]):
        size = sentences[i].words
        if used + size > budget:
            continue
        if chosen and (vectors[chosen] @ vectors[i].T).max() >= redundancy:
            continue
        chosen.append(i)
        used += size
    return chosen


def _headline(articles: Sequence[Article], vectorizer: TfidfVectorizer, centroid: np.ndarray) -> str:
    """The title closest to the event's centroid: the most representative of the coverage."""
    titles = [a.title for a in articles if a.title]
    if not titles:
        return ""
    similarity = normalize(vectorizer.transform(titles)) @ centroid
    return titles[int(np.argmax(similarity))]


def _first_title(articles: Sequence[Article]) -> str:
    return next((a.title for a in articles if a.title), "")


def _date_key(sentence: Sentence) -> float:
    return sentence.published.timestamp() if sentence.published else float("-inf")
