"""Online event clustering: each article, in time order, joins the event it reports or opens one.

For each article the clusterer finds *candidate articles* among the earlier ones:

- the nearest by MiniLM vector and by words (a random projection of TF-IDF) among the last
  ``pool_articles`` articles, those published within ``window_days`` of it;
- of any age, the latest articles that share one of its distinctive names (a name few articles
  mention: a victim, a street, a small town), so that a trial months later finds its shooting.

The learned pair model (``same_event.py``) scores the article against each candidate article;
the learned event model then scores it against each event those candidates belong to, from how
many of the event's own members it matches and how well. The article joins the best event if
that score reaches ``threshold``, else it opens an event. Two rules keep events from chaining
into one another through look-alikes (one roundup after another of a city's shootings):

- an event more than ``core_window_days`` old takes a new article only if the article matches
  one of the event's first ``core_members`` articles, the reports that opened it;
- two events merge only when one article matches both at ``merge_threshold``, the same model's
  judgement, at a stricter bar than a join.

Near-duplicate copies (``copies``) join their original's event without scoring.

The same ``EventClusterer`` serves a batch (``fit_predict``) and a stream (``partial_fit``).
With gold labels (``partial_fit(..., gold=...)``) it instead follows them and logs what the
models are fitted on (``TrainingLog``, used by ``storyline train events``), so that training
sees exactly the candidates and features that clustering will.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from threadpoolctl import threadpool_limits

from ..config import ClusterSettings, EmbedSettings
from ..embed import MiniLMEmbedder, load_embedder
from ..model import Article
from .features import ArticleView, FeatureExtractor
from .groups import find_root, join_best
from .same_event import EventState, SameEventModel, event_features, load_model, model_kind, pair_features
from .state import ViewBlocks


def event_id_for(first_article_id: str) -> str:
    """Events are named after the article that started them, so ids stay stable across re-runs."""
    return "ev-" + hashlib.sha1(first_article_id.encode("utf-8")).hexdigest()[:12]


def clustering_embedder(settings: ClusterSettings, embed: EmbedSettings = EmbedSettings()) -> MiniLMEmbedder | None:
    """MiniLM with the clustering token budget, or None when the model is off or missing."""
    return load_embedder(replace(embed, max_tokens=settings.embed_tokens))


class _Pool:
    """The last ``size`` articles' search vectors, a ring buffer: the recent past to search."""

    def __init__(self, size: int, dense_dims: int | None, index_dims: int) -> None:
        self.rows = np.full(size, -1, dtype=np.int64)
        self.dense = np.zeros((size, dense_dims), dtype=np.float32) if dense_dims else None
        self.index = np.zeros((size, index_dims), dtype=np.float32)
        self.days = np.full(size, np.nan)
        self.next = 0

    def add(self, row: int, view: ArticleView, index: np.ndarray) -> int:
        """Put ``row`` in; return the row it pushed out (-1 if none)."""
        slot = self.next % len(self.rows)
        leaving = int(self.rows[slot])
        self.rows[slot] = row
        if self.dense is not None:
            self.dense[slot] = view.dense
        self.index[slot] = index
        self.days[slot] = view.day
        self.next += 1
        return leaving

    def nearest(self, view: ArticleView, index: np.ndarray, settings: ClusterSettings) -> set[int]:
        """Rows nearest to the article by MiniLM and by words, among those in its time window."""
        filled = min(self.next, len(self.rows))
        if not filled:
            return set()
        # NaN compares False: an undated article, or an undated neighbour, is never out of window.
        near = ~(np.abs(self.days[:filled] - view.day) > settings.window_days)
        found: set[int] = set()
        searches = [(self.index, index, settings.lexical_candidates)]
        if self.dense is not None and view.dense is not None:
            searches.append((self.dense, view.dense, settings.dense_candidates))
        for matrix, vector, k in searches:
            scores = np.where(near, matrix[:filled] @ vector, -np.inf)
            top = np.argpartition(-scores, k)[:k] if filled > k else np.arange(filled)
            found.update(int(self.rows[slot]) for slot in top if scores[slot] > -np.inf)
        return found


class _Events:
    """Every event so far; a merged event points to its survivor through ``parent``."""

    def __init__(self, dense_dims: int | None) -> None:
        self.members: list[list[int]] = []  # rows, in arrival order
        self.dense_sum = np.zeros((64, dense_dims), dtype=np.float32) if dense_dims else None
        self.first_day: list[float] = []
        self.last_day: list[float] = []
        self.ids: list[str] = []
        self.parent: list[int] = []
        self.touched: set[int] = set()  # events given an article or merged since the last look
        self.merged: list[tuple[int, int]] = []  # (survivor, merged) since the last look

    def open(self, event_id: str) -> int:
        event = len(self.ids)
        if self.dense_sum is not None and event == len(self.dense_sum):
            self.dense_sum = np.vstack([self.dense_sum, np.zeros_like(self.dense_sum)])
        self.members.append([])
        self.first_day.append(math.nan)
        self.last_day.append(math.nan)
        self.ids.append(event_id)
        self.parent.append(event)
        return event

    def add(self, event: int, row: int, view: ArticleView) -> None:
        self.touched.add(event)
        self.members[event].append(row)
        if self.dense_sum is not None and view.dense is not None:
            self.dense_sum[event] += view.dense
        self.first_day[event] = float(np.fmin(self.first_day[event], view.day))
        self.last_day[event] = float(np.fmax(self.last_day[event], view.day))

    def merge(self, survivor: int, other: int) -> None:
        self.members[survivor] = sorted(self.members[survivor] + self.members[other])
        self.members[other] = []
        if self.dense_sum is not None:
            self.dense_sum[survivor] += self.dense_sum[other]
        self.first_day[survivor] = float(np.fmin(self.first_day[survivor], self.first_day[other]))
        self.last_day[survivor] = float(np.fmax(self.last_day[survivor], self.last_day[other]))
        self.parent[other] = survivor
        self.touched.add(survivor)
        self.merged.append((survivor, other))

    def root(self, event: int) -> int:
        return find_root(self.parent, event)

    def state(self, event: int, view: ArticleView, core_members: int) -> EventState:
        members = self.members[event]
        centroid = math.nan
        if self.dense_sum is not None and view.dense is not None:
            total = self.dense_sum[event]
            centroid = float(total @ view.dense) / max(float(np.linalg.norm(total)), 1e-12)
        return EventState(
            size=len(members),
            core=tuple(members[:core_members]),
            centroid_dense=centroid,
            gap_last=abs(view.day - self.last_day[event]),
            gap_first=abs(view.day - self.first_day[event]),
        )


@dataclass
class TrainingLog:
    """What the models are fitted on, as a gold-following run met it.

    ``pair_rows`` and ``pair_labels``: one row per (article, candidate article), label 1 when both
    report the same gold event; ``pair_groups`` the gold event of the article, for grouped
    cross-validation. ``event_candidates``: per (article, candidate event), the event's state,
    which pair rows compared the article with which members, and the label.
    """

    pair_rows: list[list[float]] = field(default_factory=list)
    pair_labels: list[int] = field(default_factory=list)
    pair_groups: list[str] = field(default_factory=list)
    event_candidates: list[tuple[int, EventState, dict[int, int], int, int]] = field(default_factory=list)
    """(article number, state, member row -> pair row, words of the article, label)"""


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
        model: SameEventModel | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = clustering_embedder(settings) if embedder == "auto" else embedder
        self._model = model
        self.reset()

    @property
    def model(self) -> SameEventModel:
        """The same-event model for this way of running, loaded when first asked for (a run that
        follows gold labels to fit one needs none)."""
        if self._model is None:
            self._model = load_model(model_kind(self.uses_embeddings), self.settings.model_path)
        return self._model

    @property
    def uses_embeddings(self) -> bool:
        return self.embedder is not None

    def reset(self) -> EventClusterer:
        dense_dims = self.embedder.dims if self.embedder is not None else None
        self.features = FeatureExtractor(self.settings, self.embedder)
        self.views = ViewBlocks()
        self._pool = _Pool(self.settings.pool_articles, dense_dims, self.settings.projection_dims)
        self._postings: dict[str, list[int]] = {}
        self._events = _Events(dense_dims)
        self._row_event: list[int] = []
        self._ids: list[str] = []
        self._row_of: dict[str, int] = {}
        self._event_of: dict[str, int] = {}  # event id -> its number (merged ones too)
        self._gold_event: dict[Hashable, int] = {}
        self._event_gold: dict[int, Hashable] = {}
        self.log = TrainingLog()
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
        gold: Sequence[Hashable] | None = None,
        on_join: Callable[[str, str], None] | None = None,
    ) -> list[str]:
        """Assign each article of a new batch (in time order) to an event; return their ids.

        Later merges may re-map earlier articles: ``assignments()`` has the final word. With
        ``gold`` (one label per article), follow the labels and log training rows instead.
        ``on_join(article_id, event_id)`` hears of each article as it joins an event that
        already had one (events only grow and merge, so that article's event keeps two or
        more): what depends on that can start before the batch is done.
        """
        if not articles:
            return []
        views, index = self.features.transform(articles, dense)
        copies = copies or {}
        labels = []
        # One BLAS thread: a multi-threaded product may sum in another order from run to run,
        # and a score on the threshold then flips; the products here are small anyway.
        with threadpool_limits(1):
            for k, (article, view) in enumerate(zip(articles, views, strict=True)):
                row = len(self.views)
                self.views.append(view)
                self._row_of[article.id] = row
                self._ids.append(article.id)
                self.features.names.update(view)
                original = self._row_of.get(copies.get(article.id, ""))
                if gold is not None:
                    event = self._follow_gold(row, index[k], gold[k])
                elif original is not None:
                    event = self._events.root(self._row_event[original])
                else:
                    event = self._decide(row, index[k])
                if event < 0:
                    event = self._events.open(event_id_for(article.id))
                    self._event_of[self._events.ids[event]] = event
                elif on_join is not None:
                    on_join(article.id, self._events.ids[self._events.root(event)])
                self._events.add(event, row, view)
                self._row_event.append(event)
                self._remember(row, view, index[k])
                labels.append(self._events.ids[self._events.root(event)])
        return labels

    def assignments(self) -> dict[str, str]:
        """Every article seen so far -> the id of its event, merges applied."""
        events = self._events
        return {
            article_id: events.ids[events.root(event)]
            for article_id, event in zip(self._ids, self._row_event, strict=False)
        }

    def changes(self) -> tuple[set[str], dict[str, str]]:
        """What changed since the last call: the ids of the events that were given an article
        or merged others in (as they are now), and each event merged away -> its survivor."""
        events = self._events
        touched = {events.ids[events.root(e)] for e in events.touched}
        merged = {events.ids[other]: events.ids[events.root(survivor)] for survivor, other in events.merged}
        events.touched, events.merged = set(), []
        return touched, merged

    def members(self, event_id: str) -> list[str]:
        """The ids of an event's articles (as it is now), in arrival order."""
        event = self._event_of[event_id]
        return [self._ids[row] for row in self._events.members[self._events.root(event)]]

    def event_of(self, article_id: str) -> str:
        """The id of the event ``article_id`` belongs to now."""
        return self._events.ids[self._events.root(self._row_event[self._row_of[article_id]])]

    def __len__(self) -> int:
        """How many articles it has seen."""
        return len(self._ids)

    def state(self) -> dict:
        """What it learned, as plain records (``cluster.state`` stores them); the views are
        stored apart, block by block (``view_blocks``)."""
        return {
            "documents": self.features.tfidf.documents,
            "document_frequency": self.features.tfidf.document_frequency,
            "names": self.features.names,
            "pool": self._pool,
            "postings": self._postings,
            "events": self._events,
            "row_event": self._row_event,
            "ids": self._ids,
        }

    def view_blocks(self) -> dict[int, list[ArticleView]]:
        """The blocks of views changed since the last call, by number."""
        return self.views.changed()

    def restore(self, state: dict, load_views: Callable[[int], list[ArticleView]]) -> EventClusterer:
        """Continue from ``state`` (what ``state()`` gave), reading views through ``load_views``
        (block number -> the stored block) as candidates reach them."""
        self.reset()
        self.features.tfidf.documents = state["documents"]
        self.features.tfidf.document_frequency = state["document_frequency"]
        self.features.names = state["names"]
        self._pool = state["pool"]
        self._postings = state["postings"]
        self._events = state["events"]
        self._row_event = state["row_event"]
        self._ids = state["ids"]
        self._row_of = {article_id: row for row, article_id in enumerate(self._ids)}
        self._event_of = {event_id: event for event, event_id in enumerate(self._events.ids)}
        count = len(self._ids)
        self.views = ViewBlocks(count, load_views, forget_before=count - self.settings.pool_articles)
        return self

    # -- one article ---------------------------------------------------------------------------

    def _candidates(self, row: int, index: np.ndarray) -> list[int]:
        """Earlier rows worth comparing with ``row``: recent neighbours and distinctive-name sharers."""
        view, s = self.views[row], self.settings
        found = self._pool.nearest(view, index, s)
        names = self.features.names
        for name in view.lead_names:
            if names.is_rare(name, s.rare_name_share):
                found.update(self._postings.get(name, ()))
        return sorted(found)

    def _compare(self, row: int, index: np.ndarray) -> tuple[list[int], np.ndarray, dict[int, dict[int, int]]]:
        """The candidates of ``row``, its pair features against each, and for each candidate
        event which pair rows compared the article with which of its members."""
        view, candidates = self.views[row], self._candidates(row, index)
        names, s = self.features.names, self.settings
        pairs = pair_features(view, [self.views[other] for other in candidates], names, s)
        by_event: dict[int, dict[int, int]] = defaultdict(dict)
        for k, other in enumerate(candidates):
            by_event[self._events.root(self._row_event[other])][other] = k
        return candidates, pairs, by_event

    def _decide(self, row: int, index: np.ndarray) -> int:
        """The event ``row`` joins (merging the others it matches at ``merge_threshold``), or -1."""
        _, pairs, by_event = self._compare(row, index)
        if not by_event:
            return -1
        view, s = self.views[row], self.settings
        p = self.model.pairs.predict_proba(pairs)
        events = list(by_event)
        scores = [{member: float(p[k]) for member, k in by_event[e].items()} for e in events]
        best = [max(found.values()) for found in scores]
        states = [self._events.state(e, view, s.core_members) for e in events]
        rows = [
            event_features(found, state, view.words, max(best[:n] + best[n + 1 :], default=0.0))
            for n, (found, state) in enumerate(zip(scores, states, strict=True))
        ]
        q = self.model.events.predict_proba(rows)
        for n, (found, state) in enumerate(zip(scores, states, strict=True)):
            # An old event takes only what matches the reports that opened it.
            if state.gap_first > s.core_window_days and max(found.get(r, 0.0) for r in state.core) < s.threshold:
                q[n] = 0.0
        return join_best(q, events, s.threshold, s.merge_threshold, self._events.root, self._events.merge)

    def _follow_gold(self, row: int, index: np.ndarray, label: Hashable) -> int:
        """Log the candidates of ``row`` as training rows, then put it in its gold event."""
        candidates, pairs, by_event = self._compare(row, index)
        view, log, s = self.views[row], self.log, self.settings
        first = len(log.pair_rows)
        log.pair_rows.extend(pairs.tolist())
        log.pair_labels.extend(int(self._event_gold[self._row_event[other]] == label) for other in candidates)
        log.pair_groups.extend([str(label)] * len(candidates))
        for event, members in by_event.items():
            log.event_candidates.append(
                (
                    row,
                    self._events.state(event, view, s.core_members),
                    {member: first + k for member, k in members.items()},
                    view.words,
                    int(self._event_gold[event] == label),
                )
            )
        if label not in self._gold_event:
            event = self._events.open(f"gold-{label}")
            self._gold_event[label], self._event_gold[event] = event, label
        return self._gold_event[label]

    def _remember(self, row: int, view: ArticleView, index: np.ndarray) -> None:
        """Make ``row`` findable: in the recent pool, and under its distinctive names."""
        leaving = self._pool.add(row, view, index)
        if leaving >= 0:
            self.views.forget_text(leaving)
        names, s = self.features.names, self.settings
        for name in view.names:
            # A name too common to be distinctive needs no list of its articles (memory).
            if names.frequency[name] > names.rare_bound(s.rare_name_share):
                self._postings.pop(name, None)
                continue
            posting = self._postings.setdefault(name, [])
            posting.append(row)
            if len(posting) > s.name_postings:
                del posting[0]
