"""Extractive multi-document summaries: the sentences that best cover an event, each cited.

1. Candidates: sentences that can stand alone (whole statements of sensible length, no byline
   or page furniture, no question to the reader; a leading connective such as "But" is cut off,
   a sentence that opens with a pronoun pointing to an unseen sentence is dropped).
2. Off-topic sentences go: a sentence the event's *other* articles do not cover (an aggregator's
   stray paragraph about another story) is below ``min_topic_similarity``.
3. Each candidate gets a relevance: centrality (cosine to the other articles), support (the share
   of independent outlets that report the same thing, copies of one story counted once), lead
   position, and, when a question is asked, similarity to the question.
4. Selection maximises a monotone submodular objective under the word budget (Lin & Bilmes,
   ACL 2011): how well the summary *covers* every on-topic candidate, saturating so that one
   topic cannot buy the whole budget, plus a diversity reward (square root of relevance per
   cluster of sentences), plus, without a question, the word pairs several outlets use
   (Gillick & Favre's bigram concepts, each counted once however many chosen sentences hold
   it). Greedy by gain, which is how those papers reached the best DUC scores of their time
   with no training. Off-topic candidates only fill what on-topic ones leave of the budget.
   When no two sources share a pair of content words (a lone report, or one beside scraps),
   there is no consensus to find: the sentences are taken in reading order from the lead.
5. Reading order: article date, then article, then position.

Given articles the reader already knows (``known``, an update's earlier reports), a sentence that
repeats one of theirs is never chosen, and coverage of what the whole story is about counts more.

Similarities come from TF-IDF: it rewards the exact names and figures a reader looks for. When a
question is asked and the MiniLM embedder is given, a shortlist of the best candidates is also
embedded: MiniLM matches the question by meaning and catches the same fact told in other words,
and an event of 25 articles is still summarised in well under a second on 2 cores. Without a
question MiniLM is left out (``SummarySettings.model_without_query``): there it only catches
paraphrased repeats, which scored no better, and it cost most of a default ingest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np
from scipy import sparse
from sklearn import config_context
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

from ..config import SentenceSettings, SummarySettings
from ..model import Article, Sentence, spread_evenly
from ..sentences import is_boilerplate, split_sentences

# Built once: a vectorizer given stop words checks them against its tokenizer at every fit,
# which cost a third of a one-article summary.
WORDS = TfidfVectorizer(stop_words="english").build_analyzer()

# A sentence that opens with one of these pronouns leans on a sentence the reader will not see
# ("He said...", "They were..."), so it cannot stand alone in a summary.
DANGLING_OPENERS = frozenset("he she it they him her his hers its their them this these those such".split())
# Connectives that only tie a sentence to the one before: cutting them off leaves a sentence that
# still says the same thing on its own ("But the force slowed down" -> "The force slowed down").
DETACHABLE_CONNECTIVES = re.compile(
    r"^(?:but|and|or|so|yet|however|also|meanwhile|moreover|furthermore|still|thus|therefore|"
    r"instead|nevertheless|nonetheless|in addition|additionally|in fact|indeed)\b,?\s+(?=\S)",
    re.I,
)
_ENDS_LIKE_A_SENTENCE = re.compile(r"[.!]['\"”’)]?$")
# "..., he said." or "X, however, ..." also point back to a sentence that is not there.
_LEANS_ON_CONTEXT = re.compile(r"\b(?:he|she|they)\s+(?:said|says|added|told|tweeted|wrote)\b|,\s*however,", re.I)
# A discourse opener that points back at what came before ("Despite this hinderance, ...", "As a
# result, ...", "In response, ..."): the sentence says nothing whole without it.
_POINTS_BACK = re.compile(
    r"^(?:despite|after|because of|following|in spite of|as a result of|in response to|besides|unlike|"
    r"like|beyond|given|amid|with)\s+(?:this|that|these|those|it|which|such)\b"
    r"|^(?:as a result|in response|in turn|even so|by contrast|on the other hand|at the same time|"
    r"in the meantime|otherwise|likewise|similarly|afterwards?|then|later|earlier|that day|the next day)\b",
    re.I,
)
_FIRST_WORD = re.compile(r"[\W_]*(\w+)")


@dataclass
class Summary:
    """A headline and the cited sentences that summarise one event."""

    headline: str
    sentences: list[Sentence]


def standalone(sentence: Sentence, settings: SentenceSettings = SentenceSettings()) -> Sentence | None:
    """The sentence as it can stand alone in a summary (a leading connective cut off), or None."""
    text = sentence.text
    detached = DETACHABLE_CONNECTIVES.sub("", text, count=1)
    if detached != text:
        text = detached[0].upper() + detached[1:]
        sentence = replace(sentence, text=text)
    if not _whole_statement(sentence, settings) or _leans_on_context(text):
        return None
    return sentence


def follows_on(sentence: Sentence, settings: SentenceSettings = SentenceSettings()) -> bool:
    """Whether the sentence is a whole statement that reads well right after the sentence before
    it in its article, and only there: "She was charged with drunk driving." after the sentence
    that names her. Such a sentence may join a summary that already holds its predecessor."""
    return _whole_statement(sentence, settings) and _leans_on_context(sentence.text)


def _whole_statement(sentence: Sentence, settings: SentenceSettings) -> bool:
    """Of sensible length, ending like a sentence, and not a byline, headline or page furniture."""
    text = sentence.text
    return (
        settings.min_words <= sentence.words <= settings.max_words
        and bool(_ENDS_LIKE_A_SENTENCE.search(text))
        and not is_boilerplate(text)
        and not _opens_mid_sentence(text)
    )


def _opens_mid_sentence(text: str) -> bool:
    """A fragment cut from a longer sentence: "was arrested for drunk driving in Maine ...".
    Only a wholly lower-case first word counts, so "eBay said ..." still stands."""
    first = _FIRST_WORD.match(text)
    return bool(first) and first.group(1).islower()


def _leans_on_context(text: str) -> bool:
    """Opens with a pronoun or connective, or reports speech of someone named earlier."""
    first = _FIRST_WORD.match(text)
    return (
        not first
        or first.group(1).lower() in DANGLING_OPENERS
        or bool(DETACHABLE_CONNECTIVES.match(text))
        or bool(_LEANS_ON_CONTEXT.search(text))
        or bool(_POINTS_BACK.match(text))
    )


def is_candidate(sentence: Sentence, settings: SentenceSettings = SentenceSettings()) -> bool:
    """Whether a sentence can stand in a summary exactly as written."""
    return standalone(sentence, settings) == sentence


# An event's matrices are small and made here: sklearn's input checks cost more than the algebra.
@config_context(assume_finite=True, skip_parameter_validation=True)
def summarize_event(
    articles: Sequence[Article],
    words: int | None = None,
    settings: SummarySettings = SummarySettings(),
    sentence_settings: SentenceSettings = SentenceSettings(),
    embedder=None,
    query: str | None = None,
    fill: bool = False,
    known: Sequence[Article] = (),
) -> Summary:
    """Summarise the articles of one event in at most ``words`` words (default ``settings.words``).

    ``embedder`` (``storyline.embed.load_embedder()``) adds MiniLM when a question is asked (or
    ``settings.model_without_query``): paraphrased repeats are caught and the question is matched
    by meaning;
    ``query`` focuses the summary on a question. Each returned sentence cites its article.
    ``fill`` lets the last sentence run past the budget, for evaluations that cut every system's
    output at the same word.
    ``known`` are articles the reader has already seen (``summarize_update``): a sentence that
    repeats one of theirs is never chosen, and covering what the whole story (known and new
    articles together) is about counts more.
    """
    budget = settings.words if words is None else words
    known = spread_evenly(_distinct(known), settings.max_articles)
    seen = {a.id for a in known}
    articles = spread_evenly(_distinct([a for a in articles if a.id not in seen], known), settings.max_articles)
    per_article = [split_sentences(a) for a in articles]
    everything = [s for sentences in per_article for s in sentences]
    if not everything:
        return Summary(headline=_first_title(articles), sentences=[])
    vectorizer, vectors, centroids, topicality = _read_topics(per_article, settings)

    pool, after, topical = _candidates(everything, topicality, settings, sentence_settings, asked=bool(query))
    if not pool:
        return Summary(headline=_headline(articles, vectorizer, centroids) or _first_title(articles), sentences=[])
    index = np.array([i for i, _ in pool])
    pooled = [s for _, s in pool]
    similarity = np.asarray((vectors[index] @ vectors[index].T).todense())
    sources = _independent_sources(articles, pooled)
    query_similarity = _query_similarity(vectorizer, vectors[index], query)
    relevance = (
        topicality[index]
        + (settings.lead_weight_with_query if query else settings.lead_weight)
        * np.array([_lead_share(s, settings) for s in pooled])
        + settings.support_weight * _support(similarity, sources, settings)
    )
    if query_similarity is not None:
        relevance = relevance + settings.query_weight * query_similarity
    # Every pooled sentence is something to cover; with MiniLM only the best are candidates.
    selectable = np.arange(len(pooled))
    redundant = similarity >= settings.redundancy
    if embedder is not None and (query or settings.model_without_query):
        shortlist = min(settings.embed_shortlist, round(settings.embed_shortlist_per_word * budget))
        best_first = np.lexsort((-relevance, ~topical))  # on-topic sentences first
        selectable = np.sort(best_first[: max(1, shortlist)])
        dense = embedder.encode([pooled[k].text for k in selectable] + ([query] if query else []))
        meaning = dense[: len(selectable)] @ dense[: len(selectable)].T
        redundant = redundant[np.ix_(selectable, selectable)] | (meaning >= settings.embed_redundancy)
        if query:
            semantic = np.clip(dense[:-1] @ dense[-1], 0, 1)
            relevance[selectable] += settings.query_weight * semantic
    else:
        redundant = redundant[np.ix_(selectable, selectable)]
    concepts = _concepts(pooled, sources, settings)
    said = [s.text for a in known for s in split_sentences(a)]
    repeats, story = _against_known(vectors[index], centroids, vectorizer.transform(said) if said else None, settings)
    objective = _Objective(pooled, similarity, query_similarity, topical, concepts, repeats, story, settings)
    chosen = [
        selectable[k] for k in objective.select(selectable, relevance[selectable], redundant, after, budget, fill)
    ]
    order = {a.id: n for n, a in enumerate(articles)}
    chosen.sort(key=lambda k: (_date_key(pooled[k]), order[pooled[k].article_id], pooled[k].position))
    headline = _headline(articles, vectorizer, centroids) or _best_lead(pooled, relevance)
    return Summary(headline=headline, sentences=[pooled[k] for k in chosen])


@config_context(assume_finite=True, skip_parameter_validation=True)
def off_topic_sentences(
    articles: Sequence[Article], settings: SummarySettings = SummarySettings()
) -> dict[str, frozenset[int]]:
    """By article id, the positions of the sentences the summarizer judges off the event's topic
    (as ``summarize_event`` does: below ``min_topic_similarity`` against the event's other
    articles, leads below ``lead_min_topic_similarity``). Facts, timeline and names leave them
    out too: an aggregator's stitched-in paragraph about another story is no fact of this one."""
    articles = _distinct(articles)
    per_article = [split_sentences(a) for a in articles]
    everything = [s for sentences in per_article for s in sentences]
    if len(articles) < 2 or not everything:
        return {}
    try:
        topicality = _read_topics(per_article, settings)[3]
    except ValueError:  # not one content word in the event
        return {}
    found: dict[str, set[int]] = {}
    for sentence, topic in zip(everything, topicality, strict=True):
        if not _on_topic(sentence, topic, settings, asked=False):
            found.setdefault(sentence.article_id, set()).add(sentence.position)
    return {article_id: frozenset(positions) for article_id, positions in found.items()}


def _read_topics(per_article: list[list[Sentence]], settings: SummarySettings) -> tuple:
    """The event's sentences (``per_article``: each article's, in turn) as TF-IDF: the fitted
    vectorizer, the sentence vectors (rows of unit length), each article's centroid and each
    sentence's topicality (``_topicality``)."""
    vectorizer = TfidfVectorizer(analyzer=WORDS, sublinear_tf=True, dtype=np.float32)
    vectors = vectorizer.fit_transform([s.text for sentences in per_article for s in sentences])
    article_of = np.repeat(np.arange(len(per_article)), [len(s) for s in per_article])
    centroids = _article_centroids(vectors, article_of, len(per_article))
    return vectorizer, vectors, centroids, _topicality(vectors, article_of, centroids, settings)


def _on_topic(sentence: Sentence, topicality: float, settings: SummarySettings, asked: bool) -> bool:
    """Whether a sentence is on the event's topic: a lead needs only ``lead_min_topic_similarity``
    (news puts the event first), unless a question is asked, which says what matters."""
    lead = sentence.position < settings.lead_sentences
    bar = settings.lead_min_topic_similarity if lead and not asked else settings.min_topic_similarity
    return topicality >= bar


def _candidates(
    everything: list[Sentence],
    topicality: np.ndarray,
    settings: SummarySettings,
    sentence_settings: SentenceSettings,
    asked: bool,
) -> tuple[list[tuple[int, Sentence]], np.ndarray, np.ndarray]:
    """The sentences a summary may use, as (index in ``everything``, text to print); for each,
    the pool position of the sentence it must follow (-1 if it stands alone), and whether it
    is on the event's topic (the others only fill what on-topic sentences leave of the budget)."""
    pool: list[tuple[int, Sentence]] = []
    after: list[int] = []
    pooled_at: dict[int, int] = {}
    topical: list[bool] = []
    for i, sentence in enumerate(everything):
        on_topic = _on_topic(sentence, topicality[i], settings, asked)
        if not (on_topic or (settings.fill_off_topic and not asked)):
            continue
        if repaired := standalone(sentence, sentence_settings):
            after.append(-1)
        elif (
            i - 1 in pooled_at
            and everything[i - 1].article_id == sentence.article_id
            and follows_on(sentence, sentence_settings)
        ):
            repaired = sentence
            after.append(pooled_at[i - 1])
        else:
            continue
        pooled_at[i] = len(pool)
        pool.append((i, repaired))
        topical.append(on_topic)
    return pool, np.array(after, dtype=np.int64), np.array(topical, dtype=bool)


def _article_centroids(vectors, article_of: np.ndarray, count: int) -> np.ndarray:
    """One unit vector per article: the mean of its sentences' vectors."""
    rows = [np.asarray(vectors[article_of == k].mean(axis=0)).ravel() for k in range(count)]
    return normalize(np.vstack(rows))


def _topicality(vectors, article_of: np.ndarray, centroids: np.ndarray, settings: SummarySettings) -> np.ndarray:
    """How well the event's *other* articles cover each sentence (cosine to their centroid).

    Leaving the sentence's own article out is what exposes stitched-in, off-topic sentences:
    an aggregator's stray sentence about another story resembles its own page, not the other
    reports. Every article weighs the same, so a long one does not outvote short ones.
    An article that shares nothing with any other (a lone report, or one next to a scraped
    "Tweet with a location" page) has no one to vouch for it: its own centroid stands in,
    discounted, so that its sentences can still be chosen when nothing better exists.
    """
    count = len(centroids)
    if count == 1:
        return np.asarray(vectors @ centroids[0]).ravel()
    total = centroids.sum(axis=0)
    others = normalize((total - centroids) / (count - 1))  # row k: centroid of all but article k
    topicality = np.asarray(vectors.multiply(others[article_of]).sum(axis=1)).ravel()
    between = centroids @ centroids.T
    np.fill_diagonal(between, 0)
    lone = between.max(axis=1) < settings.lone_article_similarity
    if lone.any():
        own = np.asarray(vectors.multiply(centroids[article_of]).sum(axis=1)).ravel()
        in_lone = lone[article_of]
        topicality[in_lone] = np.maximum(topicality[in_lone], settings.lone_article_discount * own[in_lone])
    return topicality


def _distinct(articles: Sequence[Article], known: Sequence[Article] = ()) -> list[Article]:
    """The articles with copies counted once: exact copies (same words), and near copies whose
    original (``copy_of``, set by dedup) is in the event too, or among the ``known`` articles.
    A copy adds no evidence."""
    present = {a.id for a in (*articles, *known)}
    seen = {" ".join(a.text.lower().split()) for a in known}
    distinct = []
    for article in articles:
        words = " ".join(article.text.lower().split())
        if words not in seen and article.copy_of not in present:
            seen.add(words)
            distinct.append(article)
    return distinct


def _query_similarity(vectorizer: TfidfVectorizer, vectors, query: str | None) -> np.ndarray | None:
    if not query:
        return None
    asked = vectorizer.transform([query])
    return np.asarray((vectors @ asked.T).todense()).ravel()


def _against_known(vectors, centroids: np.ndarray, said, settings: SummarySettings) -> tuple[np.ndarray, np.ndarray]:
    """Per sentence, whether it repeats (``redundancy``) a sentence the reader has seen (rows of
    ``said``, None when nothing is known), and how much more covering it counts: up to
    ``story_coverage_weight`` more for the sentence closest to what the whole story is about.

    The earlier reports say what the story is, which a few new articles alone may not. Counting
    the earlier content against a sentence (a penalty, TF-IDF or concepts fitted on it) cost
    ROUGE on DUC 2007 update instead (docs/tuning.md).
    """
    if said is None:
        return np.zeros(vectors.shape[0], dtype=bool), np.ones(vectors.shape[0], dtype=np.float32)
    repeats = np.asarray((vectors @ said.T).max(axis=1).todense()).ravel() >= settings.redundancy
    new = normalize(centroids.mean(axis=0, keepdims=True))
    earlier = normalize(np.asarray(said.mean(axis=0)))
    about = np.asarray(vectors @ normalize(new + earlier)[0]).ravel()
    return repeats, 1 + settings.story_coverage_weight * about / max(about.max(), np.finfo(np.float32).tiny)


def _lead_share(sentence: Sentence, settings: SummarySettings) -> float:
    """1 for an article's first sentence, falling to 0 after ``lead_sentences``: news puts the facts first."""
    lead = settings.lead_sentences
    return max(0, lead - sentence.position) / lead


def _independent_sources(articles: Sequence[Article], sentences: list[Sentence]) -> list[str]:
    """Who independently reports each sentence: the story a near copy reproduces (``copy_of``,
    when its original is not in the event), else the outlet."""
    original = {a.id: a.copy_of for a in articles}
    return [original.get(s.article_id) or s.source or s.article_id for s in sentences]


def _support(similarity: np.ndarray, sources: list[str], settings: SummarySettings) -> np.ndarray:
    """Share of the *other* independent sources that carry a similar sentence (0-1)."""
    owner = _owners(sources)
    reports = (similarity >= settings.support_similarity).astype(np.float32) @ owner  # sentence x source
    carried = (reports > 0).sum(axis=1) - 1  # minus the sentence's own source
    return np.clip(carried, 0, None) / max(owner.shape[1] - 1, 1)


def _owners(sources: list[str]) -> np.ndarray:
    """Sentence x source: 1 where the sentence comes from that source."""
    names = {name: k for k, name in enumerate(dict.fromkeys(sources))}
    owner = np.zeros((len(sources), len(names)), dtype=np.float32)
    owner[np.arange(len(sources)), [names[s] for s in sources]] = 1
    return owner


class _Objective:
    """Coverage + diversity (Lin & Bilmes 2011), maximised greedily under a word budget.

    Coverage: every pooled sentence ``i`` is covered by the summary as much as the chosen
    sentences resemble it, up to ``coverage_saturation`` of what the whole pool gives it; what
    the articles' leads say, and with a question what answers it, counts more. Diversity: the
    square root of the relevance chosen in each cluster, so a second sentence from a cluster
    already represented earns less.
    """

    def __init__(
        self,
        pooled: list[Sentence],
        similarity: np.ndarray,
        query_similarity: np.ndarray | None,
        topical: np.ndarray,
        concepts: tuple[sparse.csr_matrix, np.ndarray],
        repeats: np.ndarray,
        story: np.ndarray,
        settings: SummarySettings,
    ) -> None:
        self.settings = settings
        self.topical = topical
        self.repeats = repeats  # what the reader has already seen is no news
        self.concepts, self.concept_weight = concepts
        self.similarity = similarity
        self.sizes = np.array([s.words for s in pooled], dtype=np.float32)
        lead = np.array([_lead_share(s, settings) for s in pooled], dtype=np.float32)
        asked = query_similarity is not None
        self.weight = 1 + (settings.lead_coverage_weight_with_query if asked else settings.lead_coverage_weight) * lead
        if query_similarity is not None and query_similarity.max() > 0:
            self.weight += settings.query_coverage_weight * query_similarity / query_similarity.max()
        self.weight *= topical  # what the other reports do not confirm is not a fact to cover
        self.weight *= story
        self.cap = settings.coverage_saturation * similarity.sum(axis=0) * topical
        # Concepts and similarities are in different units: a full set of concepts weighs
        # ``concept_weight`` times what full coverage does.
        weight = settings.concept_weight_with_query if asked else settings.concept_weight
        total = self.concept_weight.sum()
        self.concept_scale = weight * self.cap.sum() / total if total > 0 else 0.0
        # No two sources share a pair of content words: a lone report (or one next to scraps)
        # has no consensus to find, and its lead, written as its summary, beats any other pick
        # (Multi-News ROUGE-2 recall, TF-IDF only: 19.73 -> 19.89 over 250 clusters, 23 of them such).
        self.in_reading_order = not asked and total == 0

    def select(
        self,
        selectable: np.ndarray,
        relevance: np.ndarray,
        redundant: np.ndarray,
        after: np.ndarray,
        budget: int,
        fill: bool,
    ) -> list[int]:
        """Positions in ``selectable`` of the chosen sentences, in the order chosen.

        ``after`` gives, per pooled sentence, the pooled sentence it may only follow (or -1):
        such a sentence becomes available once its predecessor is chosen.
        """
        rows = self.similarity[selectable]
        sizes = self.sizes[selectable]
        # Reading order needs no diversity clusters (k-means is the dearest step of a small summary).
        cluster = np.zeros(len(selectable), dtype=int) if self.in_reading_order else _clusters(rows, self.settings)
        gathered = np.zeros(cluster.max() + 1, dtype=np.float32)
        reward = np.clip(relevance, 0, None)
        diversity_scale = self.settings.diversity_weight * rows.sum() / max(len(selectable), 1)
        covered = np.zeros(len(self.cap), dtype=np.float32)
        concepts = self.concepts[selectable]
        unmet = self.concept_weight.copy()
        on_topic = self.topical[selectable]
        slot = np.full(len(after), -1)
        slot[selectable] = np.arange(len(selectable))
        predecessor = np.where(after[selectable] >= 0, slot[np.maximum(after[selectable], 0)], -1)
        available = ~((after[selectable] >= 0) & (predecessor < 0))  # its predecessor cannot be chosen
        available &= ~self.repeats[selectable]
        picked = np.zeros(len(selectable), dtype=bool)
        chosen: list[int] = []
        used = 0.0
        while used < budget:
            available &= (used + sizes <= budget) | fill
            ready = available & ((predecessor < 0) | picked[np.maximum(predecessor, 0)])
            if (ready & on_topic).any():
                ready &= on_topic  # the rest only fills what on-topic sentences leave
            if not ready.any():
                break
            if self.in_reading_order:
                best = int(np.argmax(ready))  # the first ready sentence
            else:
                current = np.minimum(covered, self.cap)
                coverage = (np.minimum(covered[None, :] + rows, self.cap[None, :]) - current[None, :]) @ self.weight
                diversity = np.sqrt(gathered[cluster] + reward) - np.sqrt(gathered[cluster])
                concept = self.concept_scale * (concepts @ unmet)
                gain = (coverage + diversity_scale * diversity + concept) / sizes**self.settings.cost_exponent
                gain[~ready] = -np.inf
                best = int(np.argmax(gain))
            available[best] = False
            if chosen and redundant[best, chosen].any():
                continue  # says nothing new: never print the same fact twice
            chosen.append(best)
            picked[best] = True
            used += sizes[best]
            covered += rows[best]
            unmet[concepts[best].indices] = 0
            gathered[cluster[best]] += reward[best]
        return chosen


def _concepts(
    pooled: list[Sentence], sources: list[str], settings: SummarySettings
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Which word pairs each sentence holds (a 0/1 matrix), and each pair's weight: the number of
    independent sources that use it, once at least ``concept_min_df`` do (Gillick & Favre's
    bigram concepts). The pairs a summary should carry are those the outlets agree on."""
    try:
        holds = CountVectorizer(analyzer=_word_pairs, binary=True, dtype=np.float32).fit_transform(
            [s.text for s in pooled]
        )
    except ValueError:  # not one pair of words in the whole pool
        return sparse.csr_matrix((len(pooled), 1), dtype=np.float32), np.zeros(1, dtype=np.float32)
    outlets = np.asarray(((holds.T @ _owners(sources)) > 0).sum(axis=1), dtype=np.float32).ravel()
    outlets[outlets < settings.concept_min_df] = 0
    return holds.tocsr(), outlets


def _word_pairs(text: str) -> list[str]:
    """Adjacent words once stop words are dropped: the pairs that name things ("drunk driving",
    "Marissa Mayer") rather than glue them ("of the")."""
    words = WORDS(text)
    return [f"{a} {b}" for a, b in pairwise(words)]


def _clusters(rows: np.ndarray, settings: SummarySettings) -> np.ndarray:
    """A cluster label per candidate (k-means over its similarities to the pool)."""
    n = len(rows)
    k = max(1, min(n, round(n * settings.cluster_share)))
    if k == 1:
        return np.zeros(n, dtype=int)
    # Random seeding: k-means++ seeding cost more than all the rest of a summary (0.9 of 1.2 s).
    return KMeans(n_clusters=k, init="random", n_init=1, max_iter=50, random_state=0).fit_predict(rows)


def _headline(articles: Sequence[Article], vectorizer: TfidfVectorizer, centroids: np.ndarray) -> str:
    """The title closest to the event's centroid: the most representative of the coverage."""
    titles = [a.title for a in articles if a.title]
    if len(set(titles)) < 2:
        return titles[0] if titles else ""
    centroid = normalize(centroids.mean(axis=0, keepdims=True))[0]
    similarity = vectorizer.transform(titles) @ centroid
    return titles[int(np.argmax(similarity))]


def _best_lead(candidates: list[Sentence], relevance: np.ndarray) -> str:
    """Without titles: the most relevant opening sentence (else the most relevant sentence)."""
    leads = [k for k, s in enumerate(candidates) if s.position == 0] or list(range(len(candidates)))
    return candidates[max(leads, key=lambda k: relevance[k])].text


def _first_title(articles: Sequence[Article]) -> str:
    return next((a.title for a in articles if a.title), "")


def _date_key(sentence: Sentence) -> float:
    return sentence.published.timestamp() if sentence.published else float("-inf")
