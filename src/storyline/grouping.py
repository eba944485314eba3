"""Updating the grouping: articles, in time order, join events and events join stories,
continuing from what the last ingest left.

``Grouping`` pairs the event clusterer and the story linker (``cluster/``), both online
learners; ``Grouping.add`` gives them a batch and says what changed (``GroupingChange``). In a
store, the grouping's state persists (``cluster.state``, ``store/grouping.py``):
``continue_grouping`` loads it, groups only the articles stored since, and ``save_grouping``
writes back the parts that changed, so an ingest costs what it adds. The state records the
version and settings that made it (``grouping_fingerprint``); a state made otherwise is never
continued: everything is grouped again (``storyline rebuild`` does that on demand).

``cluster_stories`` groups a stream held in memory (``storyline cluster``, the evaluations)
through the same ``Grouping``.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from importlib import resources
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from .cluster import EventClusterer, StoryLinker, clustering_embedder
from .cluster.same_event import MODEL_FILE
from .cluster.state import dumps, loads
from .config import Settings
from .dedup import CopyFinder, MemorySignatureIndex, SignatureRow
from .embed import MODEL as EMBEDDING_MODEL
from .model import Article
from .scale import Executor, LocalExecutor, article_features, chunks, worker_embed_settings
from .store import Store

GROUPING_VERSION = 1
"""Raised whenever a change of the grouping code would group the same articles otherwise: a
store grouped by an earlier version is then grouped again, never continued."""


@dataclass
class GroupingChange:
    """What one batch changed: the events given articles or merged (ids as they are now), the
    events merged away (-> survivor), and the same for stories."""

    events: set[str] = field(default_factory=set)
    merged_events: dict[str, str] = field(default_factory=dict)
    stories: set[str] = field(default_factory=set)
    merged_stories: dict[str, str] = field(default_factory=dict)


class Grouping:
    """The event clusterer and the story linker, continued batch after batch (``add``).

    ``grouped`` is the ``ingest_order`` of the last stored article it read (0 in memory).
    """

    def __init__(self, settings: Settings, embedder="auto") -> None:
        self.settings = settings
        embedder = clustering_embedder(settings.cluster, settings.embed) if embedder == "auto" else embedder
        self.clusterer = EventClusterer(settings.cluster, embedder)
        self.linker = StoryLinker(settings.stories, settings.cluster)
        self.grouped = 0

    @property
    def embedder(self):
        return self.clusterer.embedder

    def add(
        self,
        articles: Sequence[Article],
        copies: dict[str, str],
        dense: np.ndarray | None,
        on_join: Callable[[str, str], None] | None = None,
    ) -> GroupingChange:
        """Group a batch of time-ordered articles (``copies``: copy id -> original id; ``dense``:
        their MiniLM vectors, None without the model), ``scale.cluster_batch`` at a time; the
        clusterer tells ``on_join`` as articles join events (``EventClusterer.partial_fit``)."""
        change = GroupingChange()
        # One BLAS thread: a multi-threaded product may sum in another order from run to run,
        # and a score on the threshold then flips; the products here are small anyway.
        with threadpool_limits(1):
            for start in range(0, len(articles), self.settings.scale.cluster_batch):
                stop = start + self.settings.scale.cluster_batch
                part = articles[start:stop]
                vectors = None if dense is None else dense[start:stop]
                opened = self.clusterer.partial_fit(part, copies=copies, dense=vectors, on_join=on_join)
                self.linker.partial_fit(part, opened, dense=vectors)
                events, merged_events = self.clusterer.changes()
                self.linker.merge_events(merged_events)
                stories, merged_stories = self.linker.changes()
                _fold(change.events, change.merged_events, events, merged_events)
                _fold(change.stories, change.merged_stories, stories, merged_stories)
        return change

    def event_of(self, article_id: str) -> str:
        return self.clusterer.event_of(article_id)

    def story_of(self, event_id: str) -> str:
        return self.linker.story_of(event_id)

    def members(self, event_id: str) -> list[str]:
        return self.clusterer.members(event_id)


def _fold(touched: set[str], merged: dict[str, str], more: set[str], more_merged: dict[str, str]) -> None:
    """Add one chunk's changes to the batch's: a survivor merged away later points to the last one."""
    for gone, survivor in more_merged.items():
        merged[gone] = survivor
    for gone, survivor in merged.items():
        while survivor in merged:
            survivor = merged[survivor]
        merged[gone] = survivor
    touched |= more
    touched -= set(merged)


def grouping_fingerprint(settings: Settings) -> str:
    """What makes a grouping state: the grouping code's version, the settings of the clusterer,
    linker, near duplicates and MiniLM, and the same-event model's bytes. A state with another
    fingerprint is not continued."""
    model = Path(settings.cluster.model_path) if settings.cluster.model_path else None
    model_bytes = (model or resources.files("storyline") / "cluster" / MODEL_FILE).read_bytes()
    shaping = (
        GROUPING_VERSION,
        settings.cluster,
        settings.stories,
        settings.dedup,
        settings.embed.enabled,
        EMBEDDING_MODEL,
        settings.scale.cluster_batch,
        hashlib.sha256(model_bytes).hexdigest(),
    )
    return hashlib.sha256(repr(shaping).encode()).hexdigest()[:16]


def continue_grouping(store: Store, settings: Settings) -> Grouping | None:
    """The grouping the store's state continues, or None when there is none (nothing grouped
    yet) or it was made by another version or settings (then everything must be grouped again)."""
    head = store.grouping_head()
    if head is None:
        return None
    state = loads(head)
    if state["fingerprint"] != grouping_fingerprint(settings):
        return None
    grouping = Grouping(settings)
    grouping.clusterer.restore(state["clusterer"], lambda block: _stored_views(store, block))
    grouping.linker.restore(state["linker"])
    grouping.grouped = state["grouped"]
    return grouping


def _stored_views(store: Store, block: int) -> list:
    """A stored block of article views (none when the block was never stored)."""
    stored = store.grouping_views(block)
    return loads(stored) if stored is not None else []


def grouping_is_stale(store: Store, settings: Settings) -> bool:
    """Whether the store holds a grouping state made by another version or settings."""
    head = store.grouping_head()
    return head is not None and loads(head)["fingerprint"] != grouping_fingerprint(settings)


def grouping_state(grouping: Grouping) -> tuple[bytes, dict[int, bytes]]:
    """The head and the changed view blocks of ``grouping``, as the store keeps them."""
    head = dumps(
        {
            "fingerprint": grouping_fingerprint(grouping.settings),
            "grouped": grouping.grouped,
            "clusterer": grouping.clusterer.state(),
            "linker": grouping.linker.state(),
        }
    )
    return head, {block: dumps(views) for block, views in grouping.clusterer.view_blocks().items()}


@dataclass
class ArticleInputs:
    """What the grouping reads of a batch of articles besides their text."""

    dense: np.ndarray | None  # MiniLM vectors, one row per article (None without the model)
    copies: dict[str, str]  # copy id -> original id (also set as each article's ``copy_of``)
    signatures: list[SignatureRow]  # what the near-duplicate index keeps of them


def article_inputs(
    articles: Sequence[Article],
    settings: Settings,
    executor: Executor | None = None,
    store: Store | None = None,
    first_arrival: int = 0,
) -> ArticleInputs:
    """The MiniLM vectors and near-duplicate copies of time-ordered ``articles``, the
    ``first_arrival``-th article onwards of the grouping: vectors in ``store`` are reused and new
    ones kept there; copies are found among them and the signatures ``store`` keeps (those
    the grouping's commit writes: ``ArticleInputs.signatures``), else among them alone.

    Vectors and MinHash signatures are computed partition by partition on ``executor``.
    """
    executor = executor or LocalExecutor()
    embedder = clustering_embedder(settings.cluster, settings.embed)
    model = f"{EMBEDDING_MODEL}/{settings.cluster.embed_tokens}"
    ids = [a.id for a in articles]
    stored = store.article_vectors(model, ids) if store is not None and embedder is not None else {}
    features = partial(
        article_features,
        cluster=settings.cluster,
        embed=worker_embed_settings(settings.embed, executor),
        dedup=settings.dedup,
    )
    tasks = ((part, [a.id not in stored for a in part]) for part in chunks(articles, settings.scale.partition_articles))
    parts = list(executor.map(features, tasks))
    signatures = np.vstack([p[1] for p in parts]) if parts else np.zeros((0, settings.dedup.num_perm), np.uint32)
    vectors = np.vstack([p[0] for p in parts]) if embedder is not None and parts else None
    del parts  # the stacked copies suffice (at 100,000 articles the parts hold 200 MB)
    if vectors is not None:
        for row, article in enumerate(articles):
            if article.id in stored:
                vectors[row] = stored[article.id]
        if store is not None:
            fresh = [row for row, a in enumerate(articles) if a.id not in stored]
            store.add_article_vectors(model, [articles[row].id for row in fresh], vectors[fresh])
    index = store if store is not None else MemorySignatureIndex()
    rows = CopyFinder(index, settings.dedup).find_copies(ids, signatures, first_arrival)
    del signatures  # 50 MB at 100,000 articles; the rows hold them again for the index
    copies = {}
    for article, row in zip(articles, rows, strict=True):
        article.copy_of = row.original_id
        if row.original_id:
            copies[article.id] = row.original_id
    return ArticleInputs(vectors, copies, rows)


def cluster_stories(
    articles: Sequence[Article], settings: Settings, executor: Executor | None = None
) -> tuple[list[str], list[str]]:
    """Group time-ordered articles held in memory into events and stories: one event id and
    one story id per article."""
    inputs = article_inputs(articles, settings, executor)
    grouping = Grouping(settings)
    grouping.add(articles, inputs.copies, inputs.dense)
    events = [grouping.event_of(a.id) for a in articles]
    return events, [grouping.story_of(event) for event in events]


GROUPING_LEASE = "grouping"
_LEASE_SECONDS = 60.0  # renewed every third of it: a holder that stops renewing has died
_WAIT_SECONDS = 0.5


@contextmanager
def exclusive_grouping(store: Store, on_wait: Callable[[str], None] = lambda message: None) -> Iterator[None]:
    """Hold the store's grouping for the block: one process at a time continues it (a CLI
    ingest, ``watch``, the API's jobs). Another holder is waited for, and ``on_wait`` hears once
    that it is; a holder on this machine whose process is gone (killed) is not waited for."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    told = False
    while not store.take_lease(GROUPING_LEASE, holder, _LEASE_SECONDS):
        other = store.lease_holder(GROUPING_LEASE)
        if other and _has_died(other):
            store.release_lease(GROUPING_LEASE, other)
            continue
        if not told:
            on_wait(f"waiting for another process to finish grouping this store ({other or 'just released'})")
            told = True
        time.sleep(_WAIT_SECONDS)
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(_LEASE_SECONDS / 3):
            store.take_lease(GROUPING_LEASE, holder, _LEASE_SECONDS)

    renewing = threading.Thread(target=renew, name="storyline-grouping-lease", daemon=True)
    renewing.start()
    try:
        yield
    finally:
        stop.set()
        renewing.join()
        store.release_lease(GROUPING_LEASE, holder)


def _has_died(holder: str) -> bool:
    """Whether a lease ``holder`` ("host:pid:nonce") is a process of this machine that is gone."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(slots=True)
class Clustering:
    """What the event clusterer gave a time-ordered stream held in memory, as the story
    linker's fitting reads it (``bench/story_fit.py``): each article's event when it arrived
    (``opened``), each article's final event (``resolved``, by article id) and the MiniLM
    vectors it used (None without the model)."""

    opened: list[str]
    resolved: dict[str, str]
    vectors: np.ndarray | None


def cluster_events(
    articles: Sequence[Article],
    settings: Settings,
    executor: Executor | None = None,
    on_join: Callable[[str, str], None] | None = None,
) -> Clustering:
    """The events alone of time-ordered articles held in memory (``on_join``: see
    ``EventClusterer.partial_fit``), as ``Grouping.add`` clusters them."""
    inputs = article_inputs(articles, settings, executor)
    dense, copies = inputs.dense, inputs.copies
    clusterer = Grouping(settings).clusterer
    opened: list[str] = []
    with threadpool_limits(1):  # as in ``Grouping.add``
        for start in range(0, len(articles), settings.scale.cluster_batch):
            stop = start + settings.scale.cluster_batch
            vectors = None if dense is None else dense[start:stop]
            opened += clusterer.partial_fit(articles[start:stop], copies=copies, dense=vectors, on_join=on_join)
    return Clustering(opened, clusterer.assignments(), dense)


def link_stories(
    articles: Sequence[Article],
    events: Sequence[str],
    settings: Settings,
    vectors: np.ndarray | None = None,
    merged: Mapping[str, str] | None = None,
) -> list[str]:
    """One story id per time-ordered article: the events the clusterer gave (``events``, one id
    per article as it arrived; ``merged``, article id -> final event id) linked into stories,
    as ``Grouping.add`` links them, with the articles' MiniLM ``vectors`` if given."""
    linker = StoryLinker(settings.stories, settings.cluster)
    with threadpool_limits(1):
        for start in range(0, len(articles), settings.scale.cluster_batch):
            stop = start + settings.scale.cluster_batch
            dense = None if vectors is None else vectors[start:stop]
            linker.partial_fit(articles[start:stop], events[start:stop], dense=dense)
    stories = linker.assignments(merged)
    return [stories[a.id] for a in articles]
