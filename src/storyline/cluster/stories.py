"""Online story linking: each event, when it opens, joins the story it continues or opens one.

A story links events that continue one another over weeks or years (a siege inside a civil
war; a hurricane, its landfall, the aid, the inquiry). Events come from ``events.py`` and are
never changed here: every article's story is the story of its event.

When an article opens an event, the linker compares it with the stories so far:

- candidate stories are the nearest by words (a random projection of each story's TF-IDF) and,
  with MiniLM vectors, by meaning, and every story that shares one of the article's distinctive
  names (a name few articles mention: a person, a small town, a ship);
- each candidate is scored (``story_scores``) from the cosine of the article's TF-IDF with the
  story's TF-IDF profile, the share of the article's distinctive names the story mentions, the
  MiniLM cosine with the story's centroid, less a penalty growing with the gap in time;
- the event joins the best story whose score reaches ``threshold``, else opens a story; other
  candidates that score ``merge_threshold`` are merged into it (the event shows they are one).

After each batch, the small stories it touched are read again (``_relink_small``): one that
matches a larger story (by exact profile cosine) far better than the next few joins it. Later
articles of an event only add to its story's profile. Story ids are named after the story's
first event (``story_id_for``), so they are stable across runs; when two events merge, their
stories merge too (``assignments(events)``), the older story's id surviving.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.preprocessing import normalize
from sklearn.random_projection import SparseRandomProjection

from ..config import ClusterSettings, StorySettings
from ..model import Article
from .features import (
    NameStatistics,
    StreamingTfidf,
    TermVector,
    cosines,
    names_in,
    term_matrix,
    term_vectors,
)
from .groups import find_root, join_best

_SECONDS_PER_DAY = 86_400.0


def story_id_for(first_event_id: str) -> str:
    """Stories are named after the event that started them, so ids stay stable across re-runs."""
    return "st-" + hashlib.sha1(first_event_id.encode("utf-8")).hexdigest()[:12]


@dataclass(slots=True)
class _Opening:
    """What the linker reads of the article that opens an event."""

    lexical: TermVector
    index: np.ndarray  # unit random projection of ``lexical``, for the candidate search
    dense: np.ndarray | None
    names: frozenset[str]
    day: float


class _Stories:
    """Every story so far: a TF-IDF profile, a projection and MiniLM sum, names, days; a merged
    story points to its survivor through ``parent``."""

    def __init__(self, index_dims: int, dense_dims: int | None) -> None:
        self.index = np.zeros((64, index_dims), dtype=np.float32)
        self.dense = np.zeros((64, dense_dims), dtype=np.float32) if dense_dims else None
        self.profiles: list[TermVector] = []
        self.names: list[Counter[str]] = []  # articles of the story that mention each name
        self.articles: list[int] = []
        self.last_day: list[float] = []
        self.ids: list[str] = []
        self.parent: list[int] = []
        self.touched: set[int] = set()  # stories given an event's article or merged since the last look
        self.merged: list[tuple[int, int]] = []  # (survivor, merged) since the last look

    def __len__(self) -> int:
        return len(self.ids)

    def open(self, story_id: str) -> int:
        story = len(self.ids)
        if story == len(self.index):
            self.index = np.vstack([self.index, np.zeros_like(self.index)])
            if self.dense is not None:
                self.dense = np.vstack([self.dense, np.zeros_like(self.dense)])
        self.profiles.append(TermVector(np.zeros(0, np.int32), np.zeros(0, np.float32)))
        self.names.append(Counter())
        self.articles.append(0)
        self.last_day.append(math.nan)
        self.ids.append(story_id)
        self.parent.append(story)
        return story

    def add(self, story: int, opening: _Opening, profile_terms: int) -> None:
        self.touched.add(story)
        self.profiles[story] = _summed(self.profiles[story], opening.lexical, profile_terms)
        self.index[story] += opening.index
        if self.dense is not None and opening.dense is not None:
            self.dense[story] += opening.dense
        self.names[story].update(opening.names)
        self.articles[story] += 1
        self.last_day[story] = float(np.fmax(self.last_day[story], opening.day))

    def merge(self, survivor: int, other: int, profile_terms: int) -> None:
        self.profiles[survivor] = _summed(self.profiles[survivor], self.profiles[other], profile_terms)
        self.profiles[other] = TermVector(np.zeros(0, np.int32), np.zeros(0, np.float32))
        self.index[survivor] += self.index[other]
        self.index[other] = 0.0
        if self.dense is not None:
            self.dense[survivor] += self.dense[other]
            self.dense[other] = 0.0
        self.names[survivor] += self.names[other]
        self.names[other] = Counter()
        self.articles[survivor] += self.articles[other]
        self.articles[other] = 0
        self.last_day[survivor] = float(np.fmax(self.last_day[survivor], self.last_day[other]))
        self.parent[other] = survivor
        self.touched.add(survivor)
        self.merged.append((survivor, other))

    def root(self, story: int) -> int:
        return find_root(self.parent, story)


def _summed(a: TermVector, b: TermVector, limit: int) -> TermVector:
    """``a + b``, keeping the ``limit`` heaviest terms: a story's profile stays small however
    many articles it has (its distinctive words weigh most)."""
    indices, inverse = np.unique(np.concatenate([a.indices, b.indices]), return_inverse=True)
    values = np.bincount(inverse, weights=np.concatenate([a.values, b.values])).astype(np.float32)
    if len(indices) > limit:
        keep = np.sort(np.argpartition(-values, limit)[:limit])
        indices, values = indices[keep], values[keep]
    return TermVector(indices.astype(np.int32), values)


class _ProfileSearch:
    """Exact TF-IDF cosines of one story's profile with every other story's.

    Written for ``_relink_small`` because the random projection that finds an opening article's
    candidates blurs cosines by about 0.06 (256 dimensions), as much as a small story's true
    neighbours stand out (0.1-0.3): read through it, fragments of one DUC topic missed each
    other. One sparse matrix of the profiles (at most ``profile_terms`` terms each) is built
    per pass; a story merged since (``merge``) is compared from its current profile instead of
    its row."""

    def __init__(self, stories: _Stories, features: int) -> None:
        self.stories = stories
        self.rows = np.flatnonzero(np.asarray(stories.articles) > 0)  # merged stories hold none
        self.row_of = {int(k): row for row, k in enumerate(self.rows)}
        profiles = [stories.profiles[k] for k in self.rows]
        # By term (CSC): a query reads only the stories that share one of its terms.
        self.matrix = normalize(term_matrix(profiles, features)).tocsc()
        self.alive = np.ones(len(self.rows), dtype=bool)
        self.changed: set[int] = set()  # rows whose profile grew by a merge since the matrix was built

    def merge(self, survivor: int, merged: int, profile_terms: int) -> None:
        """Merge two stories, keeping the search exact."""
        self.stories.merge(survivor, merged, profile_terms)
        self.alive[self.row_of[merged]] = False
        self.changed.add(self.row_of[survivor])

    def nearest(self, story: int, wanted: int) -> tuple[list[int], np.ndarray]:
        """The ``wanted`` stories nearest ``story`` by TF-IDF profile, best first (ties to the
        older), and their cosines."""
        profile = self.stories.profiles[story]
        similar = self.matrix[:, profile.indices] @ (profile.values / max(profile.norm, 1e-12))
        if self.changed:
            changed = sorted(self.changed)
            similar[changed] = np.nan_to_num(
                cosines(profile, [self.stories.profiles[self.rows[row]] for row in changed])
            )
        similar[~self.alive] = -np.inf
        similar[self.row_of[story]] = -np.inf
        count = min(wanted, int(self.alive.sum()) - 1)
        top = np.argpartition(-similar, count)[:count] if count < len(similar) else np.arange(len(similar))
        order = top[np.lexsort((top, -similar[top]))]
        return [int(self.rows[row]) for row in order], similar[order]


def story_scores(
    lexical: np.ndarray, names: np.ndarray, dense: np.ndarray, gap_days: np.ndarray, settings: StorySettings
) -> np.ndarray:
    """How well an opening article continues each candidate story: the linear score ``threshold``
    applies to, from arrays with one entry per candidate. A missing signal (NaN: no MiniLM, no
    date) adds nothing."""
    score = np.nan_to_num(lexical) + np.nan_to_num(settings.names_weight * (names - settings.names_baseline))
    score += np.nan_to_num(settings.dense_weight * (dense - settings.dense_baseline))
    score -= np.nan_to_num(settings.gap_weight * np.log1p(gap_days / 7.0))
    return score


class StoryLinker:
    """Single-pass linking of events into stories.

    ``fit_predict(articles, events)`` links a batch (in time order, one event id per article)
    from scratch and returns one story id per article; ``partial_fit(articles, events)`` adds a
    batch to the stories so far and returns the ids it gave; ``assignments(events)`` maps every
    article seen to its story, the stories of events that merged since merged too. ``dense``
    may hold the articles' MiniLM vectors (unit rows, as the event clusterer computed them).
    """

    def __init__(self, settings: StorySettings = StorySettings(), cluster: ClusterSettings = ClusterSettings()) -> None:
        self.settings = settings
        self.cluster = cluster
        self.reset()

    def reset(self) -> StoryLinker:
        self.tfidf = StreamingTfidf(self.cluster)
        self.names = NameStatistics(self.cluster.name_prior_articles)
        self._projection = SparseRandomProjection(self.settings.projection_dims, dense_output=True, random_state=0)
        self._projection.fit(sparse.csr_matrix((1, self.cluster.hash_features), dtype=np.float32))
        self._stories: _Stories | None = None
        self._postings: dict[str, list[int]] = {}
        self._event_story: dict[str, int] = {}
        self._article_event: dict[str, str] = {}
        return self

    # -- public shape ------------------------------------------------------------------------

    def fit_predict(
        self, articles: Sequence[Article], events: Sequence[str], dense: np.ndarray | None = None
    ) -> list[str]:
        """Link the events of ``articles`` (in time order) from scratch; one story id per article."""
        self.reset()
        self.partial_fit(articles, events, dense)
        resolved = self.assignments()
        return [resolved[a.id] for a in articles]

    def partial_fit(
        self, articles: Sequence[Article], events: Sequence[str], dense: np.ndarray | None = None
    ) -> list[str]:
        """Put each article of a new batch (in time order) in its event's story, linking each
        event that opens here; return their story ids (``assignments`` has the final word)."""
        if len(articles) != len(events):
            raise ValueError(f"{len(events)} event ids for {len(articles)} articles")
        if not articles:
            return []
        openings = self._read(articles, dense)
        if self._stories is None:
            self._stories = _Stories(self.settings.projection_dims, None if dense is None else dense.shape[1])
        stories, labels, touched = self._stories, [], set()
        for article, event, opening in zip(articles, events, openings, strict=True):
            self._article_event[article.id] = event
            self.names.frequency.update(opening.names)
            self.names.articles += 1
            story = self._event_story.get(event)
            if story is None:
                story = self._link(opening)
                if story < 0:
                    story = stories.open(story_id_for(event))
                self._event_story[event] = story
            story = stories.root(story)
            stories.add(story, opening, self.settings.profile_terms)
            story = self._absorb(story)
            self._remember(story, opening)
            touched.add(story)
            labels.append(stories.ids[story])
        self._relink_small(touched)
        return labels

    def assignments(self, events: Mapping[str, str] | None = None) -> dict[str, str]:
        """Every article seen so far -> the id of its story. ``events`` (article id -> event id,
        as ``EventClusterer.assignments`` gives after later merges) merges the stories of events
        that merged, so that every event belongs to exactly one story."""
        stories = self._stories
        if stories is None:
            return {}
        if events:
            survivor_of: dict[str, int] = {}
            for article_id, event in self._article_event.items():
                story = stories.root(self._event_story[event])
                final = events.get(article_id, event)
                other = survivor_of.setdefault(final, story)
                if stories.root(other) != story:
                    first, second = sorted((stories.root(other), story))
                    stories.merge(first, second, self.settings.profile_terms)
        return {
            article_id: stories.ids[stories.root(self._event_story[event])]
            for article_id, event in self._article_event.items()
        }

    def changes(self) -> tuple[set[str], dict[str, str]]:
        """What changed since the last call: the ids of the stories given an article or merged
        with others (as they are now), and each story merged away -> its survivor."""
        stories = self._stories
        if stories is None:
            return set(), {}
        touched = {stories.ids[stories.root(k)] for k in stories.touched}
        merged = {stories.ids[other]: stories.ids[stories.root(survivor)] for survivor, other in stories.merged}
        stories.touched, stories.merged = set(), []
        return touched, merged

    def story_of(self, event_id: str) -> str:
        """The id of the story an event (by the id it opened under) belongs to now."""
        return self._stories.ids[self._stories.root(self._event_story[event_id])]

    def merge_events(self, merged: Mapping[str, str]) -> None:
        """Merge the stories of events that merged (``merged``: event merged away -> its
        survivor, as ``EventClusterer.changes`` gives), so that every event keeps one story;
        the older story survives."""
        stories = self._stories
        for gone, survivor in merged.items():
            if gone not in self._event_story or survivor not in self._event_story:
                continue
            first, second = sorted(
                (self._stories.root(self._event_story[gone]), stories.root(self._event_story[survivor]))
            )
            if first != second:
                stories.merge(first, second, self.settings.profile_terms)

    def state(self) -> dict:
        """What it learned, as plain records (``cluster.state`` stores them)."""
        return {
            "documents": self.tfidf.documents,
            "document_frequency": self.tfidf.document_frequency,
            "names": self.names,
            "stories": self._stories,
            "postings": self._postings,
            "event_story": self._event_story,
            "article_event": self._article_event,
        }

    def restore(self, state: dict) -> StoryLinker:
        """Continue from ``state`` (what ``state()`` gave)."""
        self.reset()
        self.tfidf.documents = state["documents"]
        self.tfidf.document_frequency = state["document_frequency"]
        self.names = state["names"]
        self._stories = state["stories"]
        self._postings = state["postings"]
        self._event_story = state["event_story"]
        self._article_event = state["article_event"]
        return self

    # -- one event ---------------------------------------------------------------------------

    def _read(self, articles: Sequence[Article], dense: np.ndarray | None) -> list[_Opening]:
        counts = self.tfidf.counts(articles)
        self.tfidf.update(counts)
        lexical = self.tfidf.weigh(counts)
        index = normalize(np.asarray(self._projection.transform(lexical), dtype=np.float32))
        return [
            _Opening(
                lexical=vector,
                index=index[row],
                dense=None if dense is None else np.asarray(dense[row], dtype=np.float32),
                names=names_in(f"{a.title}\n{a.text}"),
                day=math.floor(a.published.timestamp() / _SECONDS_PER_DAY) if a.published else math.nan,
            )
            for row, (a, vector) in enumerate(zip(articles, term_vectors(lexical), strict=True))
        ]

    def _distinctive(self, names: frozenset[str]) -> list[str]:
        return [name for name in names if self.names.is_rare(name, self.settings.rare_name_share)]

    def _candidates(self, opening: _Opening) -> list[int]:
        """Stories worth scoring: nearest by words and by meaning, and distinctive-name sharers."""
        stories, s = self._stories, self.settings
        count = len(stories)
        found: set[int] = set()
        searches = [(stories.index, opening.index)]
        if stories.dense is not None and opening.dense is not None:
            searches.append((stories.dense, opening.dense))
        for matrix, vector in searches:
            scores = matrix[:count] @ vector
            top = np.argpartition(-scores, s.candidates)[: s.candidates] if count > s.candidates else np.arange(count)
            found.update(stories.root(int(story)) for story in top)
        for name in self._distinctive(opening.names):
            found.update(stories.root(story) for story in self._postings.get(name, ()))
        return sorted(found)

    def _link(self, opening: _Opening) -> int:
        """The story an opening article's event joins (merging those it proves one), or -1."""
        stories, s = self._stories, self.settings
        if not len(stories):
            return -1
        candidates = self._candidates(opening)
        # A signal whose weight is 0 is not computed: at 10,000 articles an opening meets some 65
        # candidate stories, and scoring them one by one in Python was most of the linking time.
        missing = np.full(len(candidates), np.nan)
        scores = story_scores(
            cosines(opening.lexical, [stories.profiles[story] for story in candidates]),
            self._shared_names(opening, candidates) if s.names_weight else missing,
            self._dense_similarity(opening, candidates) if s.dense_weight else missing,
            np.abs(opening.day - np.asarray([stories.last_day[k] for k in candidates])) if s.gap_weight else missing,
            s,
        )
        return join_best(
            scores.tolist(),
            candidates,
            s.threshold,
            s.merge_threshold,
            stories.root,
            lambda survivor, other: stories.merge(survivor, other, s.profile_terms),
        )

    def _shared_names(self, opening: _Opening, candidates: list[int]) -> np.ndarray:
        """How much each story is about the opening article's distinctive names: for each name
        (weighted by its IDF), the share of the story's articles that mention it. A share, not a
        yes or no: a story of hundreds of articles mentions almost any name once, and would
        otherwise draw every event in."""
        weights = {name: self.names.idf(name) for name in self._distinctive(opening.names)}
        total = sum(weights.values())
        if not total:
            return np.full(len(candidates), np.nan)  # nothing to go by: the signal adds nothing
        names, articles = self._stories.names, self._stories.articles
        # Names a story never mentions add nothing: skipped, not counted as 0 (a Counter's
        # __missing__ is a Python call, 20 million of them at 10,000 articles).
        shares = []
        for k in candidates:
            counts = names[k]
            mentions = sum(w * counts[name] for name, w in weights.items() if name in counts)
            shares.append(mentions / (total * max(articles[k], 1)))
        return np.asarray(shares)

    def _dense_similarity(self, opening: _Opening, candidates: list[int]) -> np.ndarray:
        """MiniLM cosine of the opening article with each story's centroid (NaN without vectors)."""
        if self._stories.dense is None or opening.dense is None:
            return np.full(len(candidates), np.nan)
        centroids = self._stories.dense[candidates]
        norms = np.maximum(np.linalg.norm(centroids, axis=1), 1e-12)
        return (centroids @ opening.dense) / norms

    def _nearest(self, story: int, wanted: int) -> list[int]:
        """The ``wanted`` stories nearest ``story`` by words (its projection), as roots."""
        stories = self._stories
        count = len(stories)
        scores = stories.index[:count] @ stories.index[story]
        scores[story] = -np.inf
        top = np.argpartition(-scores, wanted)[:wanted] if count > wanted else np.arange(count)
        return sorted({stories.root(int(k)) for k in top} - {story})

    def _absorb(self, story: int) -> int:
        """Merge into ``story`` the stories its grown profile now matches at ``story_merge_threshold``:
        a story's first reports can be too few to show what it continues; its later ones do."""
        stories, s = self._stories, self.settings
        if len(stories) < 2:
            return story
        others = self._nearest(story, s.candidates)
        similar = cosines(stories.profiles[story], [stories.profiles[k] for k in others])
        for other, similarity in zip(others, similar, strict=True):
            if similarity >= s.story_merge_threshold:
                survivor, merged = sorted((stories.root(story), stories.root(other)))
                if survivor != merged:
                    stories.merge(survivor, merged, s.profile_terms)
                story = survivor
        return stories.root(story)

    def _relink_small(self, touched: set[int]) -> None:
        """Merge each small story of ``touched`` into the larger story its profile matches far
        better than any other, until none moves.

        An event is linked when its first article arrives, against stories that may still hold
        a few articles, with a young IDF: DUC topics ("art and music in public schools") came
        out as one large story and a tail of stories of one or two articles. Read again once
        the batch has grown the stories, those tails point to their story. A look-alike (a
        shooting in another city) matches many stories about as well, and the ratio test
        (``relink_ratio``) keeps it apart where a lower threshold alone would not. The ratio is
        taken to the mean of the next few (``relink_runners_up``), not to the next one: that one
        is often another fragment of the same topic, which alone would fail the test."""
        stories, s = self._stories, self.settings
        moved = True
        while moved:
            moved = False
            roots = {stories.root(k) for k in touched}
            small = sorted(
                (k for k in roots if stories.articles[k] <= s.relink_articles), key=lambda k: (stories.articles[k], k)
            )
            if not small:
                return
            search = _ProfileSearch(stories, self.cluster.hash_features)
            for story in small:
                if stories.root(story) != story:
                    continue  # merged into another earlier in this pass
                others, similar = search.nearest(story, 1 + s.relink_runners_up)
                if len(others) < 2:
                    continue
                target = others[0]
                if (
                    stories.articles[target] >= stories.articles[story]
                    and similar[0] >= s.relink_threshold
                    and similar[0] >= s.relink_ratio * similar[1:].mean()
                ):
                    search.merge(*sorted((story, target)), s.profile_terms)
                    moved = True

    def _remember(self, story: int, opening: _Opening) -> None:
        """Make ``story`` findable under the article's distinctive names."""
        for name in opening.names:
            if self.names.frequency[name] > self.names.rare_bound(self.settings.rare_name_share):
                self._postings.pop(name, None)
                continue
            posting = self._postings.setdefault(name, [])
            if not posting or posting[-1] != story:
                posting.append(story)
            if len(posting) > self.settings.name_postings:
                del posting[0]
