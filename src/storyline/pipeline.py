"""Wires the stages together; the only module that knows their order.

ingest -> extract -> dedup -> cluster -> summarize -> facts -> store
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from functools import partial
from importlib.metadata import version
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from .clean import BoilerplateModel
from .cluster import EventClusterer, StoryLinker, clustering_embedder
from .config import Settings
from .dedup import CopyFinder, ExactDuplicates, MemorySignatureIndex
from .embed import MODEL as EMBEDDING_MODEL
from .embed import load_embedder
from .errors import InputError, UnsupportedInput
from .extract import Extraction, extract_many, feed_links
from .facts import (
    ArticleFacts,
    analyse_articles,
    analysis_fingerprint,
    articles_to_read,
    event_facts,
    ready_process,
)
from .fetch import FEED_TYPES, HTML_TYPES, Fetcher, is_url
from .ingest import find_inputs, read_documents
from .model import Article, Event, Failure, IngestReport, RawDocument, Story
from .scale import (
    EarlyAnalysis,
    Executor,
    LocalExecutor,
    article_features,
    chunks,
    extract_partition,
    holds_articles,
    input_partitions,
    local_processes,
    worker_embed_settings,
)
from .store import Store
from .summarize import Summary, describe_story, summarize_event


def ingest_paths(
    paths: Iterable[str | Path],
    store: Store,
    settings: Settings,
    on_failure: Callable[[Failure], None] = lambda failure: None,
    on_document: Callable[[RawDocument], None] = lambda doc: None,
    fetch_entries: bool = False,
    executor: Executor | None = None,
    rebuild: bool = True,
) -> IngestReport:
    """Read, extract, clean and store every input under ``paths``, then rebuild the events
    (unless not ``rebuild``: the API's job runner rebuilds once for several jobs).

    An input is a file, a directory, or an http(s) URL of a page or a feed. A feed given as a
    URL has each entry's page fetched and extracted; a feed file too when ``fetch_entries``,
    else its entries' own text is used. Each document is stored in its own transaction, so a
    bad or interrupted input never costs the ones before it, and a re-run stores nothing twice.
    ``on_failure`` hears of each item that was skipped or failed, ``on_document`` of each
    document read, as it happens. With a Dask ``executor`` (scale.py) the workers read and
    extract the input files, a partition each, and embed and summarise; URLs (and every input
    when ``fetch_entries``: feed entries are fetched) are read here.
    """
    report = IngestReport()
    executor = executor or LocalExecutor()
    paths = list(paths)
    with Fetcher(settings.fetch) as fetcher, _early_analysis(settings, executor, rebuild) as early:
        enough = settings.scale.analysis_pool_min_articles
        promised = early is not None and holds_articles(paths, enough, settings.scale)
        read = 0

        def on_articles(count: int) -> None:
            # As many articles as make the analysis processes worth starting, promised by the
            # input's files or read: start them now, so that spaCy loads while the input is read
            # (a re-run of stored input wastes their start). Not before the first article: the
            # analysis pool runs a thread, and extraction forks its workers only in a process
            # without one (``extract.extract_many``); by the first article they run.
            nonlocal read
            read += count
            if early is not None and (promised or read >= enough):
                early.start()

        if isinstance(executor, LocalExecutor):
            extracted = extract_many(_documents(paths, settings, fetcher, fetch_entries), settings.extract)
        else:
            extracted = _extract_on(executor, paths, settings, fetcher, fetch_entries)
        _store_documents(extracted, store, settings, report, on_failure, on_document, on_articles)
        if rebuild:
            report.events, report.stories, report.analysed = refresh_events(store, settings, executor, early)
    return report


def _extract_on(
    executor: Executor, paths: Iterable[str | Path], settings: Settings, fetcher: Fetcher, fetch_entries: bool
) -> Iterator[tuple[RawDocument, Extraction] | tuple[InputError, None]]:
    """Input files extracted on the executor's workers, partition by partition, in order; then
    what must be fetched (URLs; every input when feed entries are fetched) extracted here."""
    given = list(paths)
    here = [p for p in given if fetch_entries or is_url(str(p))]
    files = [p for p in given if not (fetch_entries or is_url(str(p)))]
    extract_settings = replace(settings.extract, workers=1)
    partitions = executor.map(
        partial(extract_partition, settings=extract_settings), input_partitions(files, settings.scale)
    )
    yield from itertools.chain.from_iterable(partitions)
    if here:
        yield from extract_many(_documents(here, settings, fetcher, fetch_entries), settings.extract)


def ingest_documents(
    docs: Iterable[RawDocument],
    store: Store,
    settings: Settings,
    on_failure: Callable[[Failure], None] = lambda failure: None,
    rebuild: bool = True,
) -> IngestReport:
    """Extract and store documents that were read elsewhere (the HTTP API), then rebuild the
    events unless not ``rebuild``."""
    report = IngestReport()
    _store_documents(extract_many(docs, settings.extract), store, settings, report, on_failure)
    if rebuild:
        report.events, report.stories, report.analysed = refresh_events(store, settings)
    return report


def watch_feeds(
    feeds: Sequence[str],
    store: Store,
    settings: Settings,
    fetcher: Fetcher,
    boilerplate: BoilerplateModel,
    on_failure: Callable[[Failure], None] = lambda failure: None,
) -> IngestReport:
    """Poll ``feeds`` once: a conditional GET each, then the pages of entries never seen before.

    ``boilerplate`` is the watch process's model, which keeps learning from poll to poll.
    Events are rebuilt only when something new arrived.
    """
    report = IngestReport()
    for feed_url in feeds:
        etag, last_modified = store.feed_validators(feed_url)
        try:
            fetched = fetcher.fetch(feed_url, accept=FEED_TYPES, etag=etag, last_modified=last_modified)
            if fetched.not_modified:
                continue
            links = feed_links(RawDocument(origin=feed_url, kind="feed", data=fetched.content, url=fetched.final_url))
        except InputError as exc:
            _fail(Failure(exc.item, exc.reason), report, on_failure)
            continue
        fresh = store.unseen_links(feed_url, links)
        pages = _entry_pages(fresh, fetcher)
        _store_documents(
            extract_many(pages, settings.extract), store, settings, report, on_failure, boilerplate=boilerplate
        )
        # A page that failed for a passing reason (timeout, 5xx) is tried again at the next poll,
        # which must then read the feed in full: its validators are not kept.
        retry = {f.item for f in report.failed if f.reason.startswith(_TRANSIENT_FAILURES)} & set(fresh)
        validators = ("", "") if retry else (fetched.etag, fetched.last_modified)
        store.record_feed(feed_url, *validators, [link for link in fresh if link not in retry])
    if report.new:
        report.events, report.stories, report.analysed = refresh_events(store, settings)
    return report


_TRANSIENT_FAILURES = ("timed out", "connection failed", "HTTP 5", "HTTP 429", "robots.txt unreachable")


def _documents(
    paths: Iterable[str | Path], settings: Settings, fetcher: Fetcher, fetch_entries: bool
) -> Iterator[RawDocument | InputError]:
    """Every document the inputs hold, in order, with an ``InputError`` in place of each that
    cannot be read or fetched."""
    for given in paths:
        if is_url(str(given)):
            yield from _url_documents(str(given), fetcher)
            continue
        for found in find_inputs([given]):
            for item in [found] if isinstance(found, InputError) else read_documents(found, settings.extract):
                if isinstance(item, RawDocument) and item.kind == "feed" and fetch_entries:
                    yield from _feed_pages(item, fetcher)
                else:
                    yield item


def _url_documents(url: str, fetcher: Fetcher) -> Iterator[RawDocument | InputError]:
    """A page URL as one document; a feed URL as the pages of its entries."""
    try:
        fetched = fetcher.fetch(url)
    except InputError as exc:
        yield exc
        return
    doc = RawDocument(origin=url, kind=fetched.kind, data=fetched.content, url=fetched.final_url)
    yield from _feed_pages(doc, fetcher) if doc.kind == "feed" else [doc]


def _feed_pages(feed: RawDocument, fetcher: Fetcher) -> Iterator[RawDocument | InputError]:
    try:
        links = feed_links(feed)
    except InputError as exc:
        yield exc
        return
    if not links:
        yield InputError(feed.origin, "feed has no entry links")
    yield from _entry_pages(links, fetcher)


def _entry_pages(links: Sequence[str], fetcher: Fetcher) -> Iterator[RawDocument | InputError]:
    for link, fetched in fetcher.fetch_many(links, accept=HTML_TYPES):
        yield (
            fetched
            if isinstance(fetched, InputError)
            else RawDocument(origin=link, kind="html", data=fetched.content, url=fetched.final_url)
        )


def _store_documents(
    extracted: Iterable[tuple[RawDocument, Extraction] | tuple[InputError, None]],
    store: Store,
    settings: Settings,
    report: IngestReport,
    on_failure: Callable[[Failure], None],
    on_document: Callable[[RawDocument], None] = lambda doc: None,
    on_articles: Callable[[int], None] = lambda count: None,
    boilerplate: BoilerplateModel | None = None,
) -> None:
    """Take extracted documents batch by batch, learn boilerplate over each batch, store each
    document's cleaned articles in its own transaction, tallying into ``report`` (errors in their place).
    ``on_document`` hears of each document read, ``on_articles`` how many articles it gave.

    The boilerplate model lives for one run (or one ``watch`` process) and keeps learning batch
    after batch; the batch is the unit so that a page is cleaned with what its neighbours taught.
    """
    model = boilerplate or BoilerplateModel(settings.clean)
    batch: list[tuple[RawDocument, list[Article]]] = []

    def flush() -> None:
        if settings.clean.enabled:
            model.partial_fit(a for _, articles in batch for a in articles)
        for doc, articles in batch:
            cleaned = model.transform(articles) if settings.clean.enabled else articles
            new, duplicate = store.add_document(doc, cleaned)
            report.new += new
            report.duplicate += duplicate
        batch.clear()

    for item, extraction in extracted:
        if isinstance(item, InputError):
            _fail(Failure(item.item, item.reason), report, on_failure, skipped=isinstance(item, UnsupportedInput))
            continue
        on_document(item)
        for failure in extraction.failures:
            _fail(failure, report, on_failure)
        if extraction.articles:
            on_articles(len(extraction.articles))
            batch.append((item, extraction.articles))
        if len(batch) >= settings.clean.batch_documents:
            flush()
    flush()


def _fail(failure: Failure, report: IngestReport, on_failure: Callable[[Failure], None], skipped: bool = False) -> None:
    (report.skipped if skipped else report.failed).append(failure)
    on_failure(failure)


@dataclass(slots=True)
class Clustering:
    """What the event clusterer gave a time-ordered stream, as the story linker reads it: each
    article's event when it arrived (``opened``), each article's final event after the
    clusterer's later merges (``resolved``, by article id) and the MiniLM vectors it used
    (None without the model)."""

    opened: list[str]
    resolved: dict[str, str]
    vectors: np.ndarray | None


def cluster_stories(
    articles: Sequence[Article],
    settings: Settings,
    executor: Executor | None = None,
    store: Store | None = None,
    link: bool = True,
    on_join: Callable[[str, str], None] | None = None,
) -> tuple[list[str], list[str]]:
    """Cluster time-ordered articles into events (``cluster_events``, which tells ``on_join``
    as articles join events) and, when ``link``, the events into stories; one event id and one
    story id per article (story ids empty when not linked). The stories never change the events."""
    clustering = cluster_events(articles, settings, executor, store, on_join)
    events = [clustering.resolved[a.id] for a in articles]
    if not link:
        return events, [""] * len(articles)
    return events, link_stories(articles, clustering.opened, settings, clustering.vectors, clustering.resolved)


def cluster_events(
    articles: Sequence[Article],
    settings: Settings,
    executor: Executor | None = None,
    store: Store | None = None,
    on_join: Callable[[str, str], None] | None = None,
) -> Clustering:
    """Mark near-duplicate copies (``copy_of``) and cluster time-ordered articles into events
    (``on_join``: see ``EventClusterer.partial_fit``).

    MiniLM vectors and MinHash signatures are computed partition by partition on ``executor``
    (vectors already in ``store`` are reused, new ones kept there); copies are grouped over the
    whole stream; the clusterer then consumes the embedded stream ``scale.cluster_batch``
    articles at a time, so memory stays bounded however large the store.
    """
    executor = executor or LocalExecutor()
    embedder = clustering_embedder(settings.cluster, settings.embed)
    model = f"{EMBEDDING_MODEL}/{settings.cluster.embed_tokens}"
    stored = store.article_vectors(model) if store is not None and embedder is not None else {}
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
    copies = {}
    found = CopyFinder(MemorySignatureIndex(), settings.dedup).find_copies([a.id for a in articles], signatures)
    del signatures  # 50 MB at 100,000 articles, not needed by the clustering
    for article, row in zip(articles, found, strict=True):
        article.copy_of = row.original_id
        if row.original_id:
            copies[article.id] = row.original_id
    del found  # the signatures again, and their band keys
    clusterer = EventClusterer(settings.cluster, embedder)
    opened: list[str] = []  # each article's event as the clusterer gave it, before later merges
    # One BLAS thread: a multi-threaded matrix-vector product may sum in another order from run
    # to run, and a score on the threshold then flips; the products here are small anyway.
    with threadpool_limits(1):
        for start in range(0, len(articles), settings.scale.cluster_batch):
            stop = start + settings.scale.cluster_batch
            dense = None if vectors is None else vectors[start:stop]
            opened += clusterer.partial_fit(articles[start:stop], copies=copies, dense=dense, on_join=on_join)
    return Clustering(opened, clusterer.assignments(), vectors)


def link_stories(
    articles: Sequence[Article],
    events: Sequence[str],
    settings: Settings,
    vectors: np.ndarray | None = None,
    merged: Mapping[str, str] | None = None,
) -> list[str]:
    """One story id per time-ordered article: the events the clusterer gave (``events``, one id
    per article; ``merged``, article id -> final event id, after the merges it made later)
    linked into stories, ``scale.cluster_batch`` articles at a time, with the articles' MiniLM
    ``vectors`` if given. The stories never change the events."""
    linker = StoryLinker(settings.stories, settings.cluster)
    with threadpool_limits(1):  # as in the clustering: the same sums in the same order every run
        for start in range(0, len(articles), settings.scale.cluster_batch):
            stop = start + settings.scale.cluster_batch
            dense = None if vectors is None else vectors[start:stop]
            linker.partial_fit(articles[start:stop], events[start:stop], dense=dense)
    stories = linker.assignments(merged)
    return [stories[a.id] for a in articles]


def build_events(
    articles: Sequence[Article],
    settings: Settings,
    known: Sequence[Event] = (),
    executor: Executor | None = None,
    store: Store | None = None,
) -> list[Event]:
    """Cluster time-ordered articles into events and give each its summary, facts and timeline.

    An event of ``known`` (as stored before) with exactly the same articles and copies, described
    under the same settings and version (``Event.made_with``), is reused as it stands: rebuilding
    after an ingest summarises only the events that changed. The others are described
    ``scale.partition_events`` events at a time on ``executor``, their facts combined from their
    articles' analyses (``article_facts``: those in ``store`` are reused, spaCy reads the rest).
    """
    return _build_events(articles, settings, known, executor, store)[0]


def build_stories(events: Sequence[Event], settings: Settings) -> list[Story]:
    """The stories of ``events`` (by their ``story_id``), each with its name and digest, in the
    order of their first event here."""
    members: dict[str, list[Event]] = {}
    for event in events:
        members.setdefault(event.story_id or event.id, []).append(event)
    return [describe_story(story_id, group, settings.stories) for story_id, group in members.items()]


def _build_events(
    articles: Sequence[Article],
    settings: Settings,
    known: Sequence[Event] = (),
    executor: Executor | None = None,
    store: Store | None = None,
    early: EarlyAnalysis | None = None,
) -> tuple[list[Event], int]:
    """``build_events``, and how many articles spaCy analysed to describe them: on ``early``'s
    processes if given, else on processes of this run's own (``_early_analysis``)."""
    executor = executor or LocalExecutor()
    with nullcontext(early) if early is not None else _early_analysis(settings, executor) as analysis:
        if analysis is not None:
            fingerprint = analysis_fingerprint(settings.facts)
            analysis.expect(articles, store.analysed_articles(fingerprint) if store is not None else ())
        return _describe_clustered(articles, settings, known, executor, store, analysis)


def _describe_clustered(
    articles: Sequence[Article],
    settings: Settings,
    known: Sequence[Event],
    executor: Executor,
    store: Store | None,
    early: EarlyAnalysis | None,
) -> tuple[list[Event], int]:
    made_with = description_fingerprint(settings)
    reusable = {_members(e.articles): e for e in known if e.made_with == made_with}
    on_join = early.joined if early is not None else None
    labels, story_labels = cluster_stories(articles, settings, executor, store, on_join=on_join)
    groups: dict[str, list[Article]] = {}
    story_of: dict[str, str] = {}
    for label, story_id, article in zip(labels, story_labels, articles, strict=True):
        groups.setdefault(label, []).append(article)
        story_of[label] = story_id
    reused = {
        event_id: replace(reusable[key], id=event_id, articles=members, story_id=story_of[event_id])
        for event_id, members in groups.items()
        if (key := _members(members)) in reusable
    }
    changed = [(event_id, members) for event_id, members in groups.items() if event_id not in reused]
    to_read = [a for _, members in changed for a in articles_to_read(members, settings.facts)]
    # Workers need no database (and a PostgreSQL URL may carry a password): it is left out.
    worker_settings = replace(settings, db="", embed=worker_embed_settings(settings.embed, executor))
    # spaCy reads the articles (on other processes, driven from a thread) while the summaries are
    # written: a summary needs no analysis, and each alone leaves a core idle on this machine.
    with ThreadPoolExecutor(1) as background:
        analysing = background.submit(article_facts, to_read, settings, executor, store, early)
        summaries = executor.map(
            partial(_summarize_events, settings=worker_settings), chunks(changed, settings.scale.partition_events)
        )
        summarised = dict(itertools.chain.from_iterable(summaries))
        analyses, analysed = analysing.result()
    tasks = [
        (
            event_id,
            members,
            summarised.pop(event_id),
            {a.id: analyses[a.id] for a in articles_to_read(members, settings.facts)},
        )
        for event_id, members in changed
    ]
    del analyses  # each task holds its own events' share
    made = executor.map(
        partial(_describe_events, settings=worker_settings, made_with=made_with, story_of=story_of),
        chunks(tasks, settings.scale.partition_events),
    )
    described = {event.id: event for event in itertools.chain.from_iterable(made)}
    return [reused.get(event_id) or described[event_id] for event_id in groups], analysed


def article_facts(
    members: Sequence[Article],
    settings: Settings,
    executor: Executor,
    store: Store | None = None,
    early: EarlyAnalysis | None = None,
) -> tuple[dict[str, ArticleFacts], int]:
    """The analyses the facts of the events of ``members`` combine, by article id, and how many
    were made now: those in ``store`` are read, the others analysed (with those ``early``
    analysed during the clustering) and stored.

    Without ``early``, the analysis runs ``scale.analysis_partition`` articles at a time on
    ``executor``'s workers; on a ``LocalExecutor`` of several ``processes``, on that many
    processes of this machine once there are ``scale.analysis_pool_min_articles`` to analyse
    (fewer are analysed here).
    """
    wanted = {a.id: a for a in members}
    made_with = analysis_fingerprint(settings.facts)
    found = store.article_facts(made_with, list(wanted)) if store is not None else {}
    missing = [a for a in wanted.values() if a.id not in found]
    if early is not None:
        made = early.analyse(missing)
    else:
        with _analysts(len(missing), settings, executor) as runner:
            parts = runner.map(
                partial(analyse_articles, settings=settings.facts), chunks(missing, settings.scale.analysis_partition)
            )
            made = [facts for part in parts for facts in part]
    if store is not None:
        store.add_article_facts(made_with, made)
    found.update((f.article_id, f) for f in made)
    return found, len(made)


@contextmanager
def _analysts(count: int, settings: Settings, executor: Executor) -> Iterator[Executor]:
    """Where ``count`` analyses run: on a Dask ``executor``, its workers; else on
    ``executor.processes`` fresh processes if there are ``scale.analysis_pool_min_articles``,
    fewer in this process."""
    if not isinstance(executor, LocalExecutor):
        yield executor
        return
    few = count < settings.scale.analysis_pool_min_articles
    ready = (settings.facts, settings.scale.analysis_niceness)
    with local_processes(1 if few else executor.processes, settings.scale, ready_process, ready) as local:
        yield local


@contextmanager
def _early_analysis(settings: Settings, executor: Executor, wanted: bool = True) -> Iterator[EarlyAnalysis | None]:
    """An early analysis (``scale.EarlyAnalysis``) where spaCy runs on processes of this
    machine and the run describes events (``wanted``); None when facts are off, on Dask, or
    when analyses go to this process."""
    if not (wanted and settings.facts.enabled and isinstance(executor, LocalExecutor) and executor.processes > 1):
        yield None
        return
    with EarlyAnalysis(settings) as early:
        yield early


def description_fingerprint(settings: Settings) -> str:
    """What shapes an event's summary and facts besides its articles: storyline's version and the
    settings the describing stages read. Two runs with the same fingerprint describe the same
    articles alike."""
    shaping = (
        version("storyline"),
        settings.summary,
        settings.sentences,
        settings.facts,
        settings.embed.enabled,
        settings.embed.max_tokens,
    )
    return hashlib.sha256(repr(shaping).encode()).hexdigest()[:16]


def _members(articles: Iterable[Article]) -> frozenset[tuple[str, str]]:
    return frozenset((a.id, a.copy_of) for a in articles)


def _summarize_events(tasks: Sequence[tuple[str, list[Article]]], settings: Settings) -> list[tuple[str, Summary]]:
    """(event id, summary) for each task."""
    return [(event_id, summarize_articles(members, settings)) for event_id, members in tasks]


def _describe_events(
    tasks: Sequence[tuple[str, list[Article], Summary, dict[str, ArticleFacts]]],
    settings: Settings,
    made_with: str,
    story_of: Mapping[str, str],
) -> list[Event]:
    """Events with their summary and facts (combined from their articles' analyses), one per task,
    marked as ``made_with``, each in its story (``story_of``, by event id)."""
    events = []
    for event_id, members, summary, analyses in tasks:
        facts = event_facts(members, settings.facts, analyses)
        events.append(
            Event(
                id=event_id,
                articles=members,
                headline=summary.headline,
                summary=summary.sentences,
                timeline=facts.timeline,
                entities=facts.entities,
                figures=facts.figures,
                disagreements=facts.disagreements,
                made_with=made_with,
                story_id=story_of[event_id],
            )
        )
    return events


def refresh_events(
    store: Store, settings: Settings, executor: Executor | None = None, early: EarlyAnalysis | None = None
) -> tuple[int, int, int]:
    """Rebuild every event and story from the stored articles, reusing the unchanged events, and
    store them; return how many events and stories there are, and how many articles spaCy
    analysed to describe them (on ``early``'s processes if given, see ``_build_events``)."""
    articles = store.articles()
    known = store.events_made_with(description_fingerprint(settings), {a.id: a for a in articles})
    events, analysed = _build_events(articles, settings, known, executor, store, early)
    stories = build_stories(events, settings)
    store.replace_events(events)
    store.replace_stories(stories)
    return len(events), len(stories), analysed


def summarize_articles(
    articles: Sequence[Article],
    settings: Settings,
    words: int | None = None,
    query: str | None = None,
) -> Summary:
    """Summarise one event's articles (exact copies counted once), focused on ``query`` if given.
    MiniLM is used with a question when available (loaded once per process; see summarize.py)."""
    seen = ExactDuplicates()
    unique = [a for a in articles if seen.is_new(a)]
    return summarize_event(
        unique,
        words=words,
        settings=settings.summary,
        sentence_settings=settings.sentences,
        embedder=load_embedder(settings.embed) if query or settings.summary.model_without_query else None,
        query=query,
    )
