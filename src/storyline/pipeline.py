"""Wires the stages together; the only module that knows their order.

ingest -> extract -> dedup -> group (events, stories) -> describe (summaries, facts, updates) -> store
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from .clean import BoilerplateModel
from .config import Settings
from .dedup import SignatureRow
from .describe import (
    build_stories,
    describe_events,
    description_fingerprint,
    event_updates,
    story_updates,
)
from .errors import InputError, UnsupportedInput
from .extract import Extraction, extract_many
from .facts import analysis_fingerprint
from .fetch import FEED_TYPES, Fetcher, is_url
from .grouping import (
    Grouping,
    GroupingChange,
    article_inputs,
    continue_grouping,
    exclusive_grouping,
    grouping_is_stale,
    grouping_state,
)
from .ingest import documents, entry_pages, feed_links
from .lang import UNKNOWN, has_pack
from .model import Article, Event, Failure, FigureChange, IngestReport, RawDocument, Story, Update, spread_evenly
from .scale import (
    EarlyAnalysis,
    Executor,
    LocalExecutor,
    early_analysis,
    extract_inputs,
    holds_articles,
)
from .store import Store
from .store.grouping import GroupingCommit
from .summarize import describe_story


def ingest_paths(
    paths: Iterable[str | Path],
    store: Store,
    settings: Settings,
    on_failure: Callable[[Failure], None] = lambda failure: None,
    on_document: Callable[[RawDocument], None] = lambda doc: None,
    fetch_entries: bool = False,
    executor: Executor | None = None,
    rebuild: bool = True,
    on_notice: Callable[[str], None] = lambda message: None,
) -> IngestReport:
    """Read, extract, clean and store every input under ``paths``, then bring the events and
    stories up to them (``refresh_events``, which tells ``on_notice`` what a user should know;
    unless not ``rebuild``: the API's job runner refreshes once for several jobs).

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
    with Fetcher(settings.fetch) as fetcher, early_analysis(settings, executor, rebuild) as early:
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

        reader = partial(documents, settings=settings.extract, fetcher=fetcher, fetch_entries=fetch_entries)
        extracted = extract_inputs(
            paths, reader, settings, executor, here=lambda path: fetch_entries or is_url(str(path))
        )
        _store_documents(extracted, store, settings, report, on_failure, on_document, on_articles)
        _note_languages_without_pack(report, on_notice)
        if rebuild:
            report.events, report.stories, report.analysed = refresh_events(store, settings, executor, early, on_notice)
    return report


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
    on_notice: Callable[[str], None] = lambda message: None,
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
        pages = entry_pages(fresh, fetcher)
        _store_documents(
            extract_many(pages, settings.extract), store, settings, report, on_failure, boilerplate=boilerplate
        )
        # A page that failed for a passing reason (timeout, 5xx) is tried again at the next poll,
        # which must then read the feed in full: its validators are not kept.
        retry = {f.item for f in report.failed if f.reason.startswith(_TRANSIENT_FAILURES)} & set(fresh)
        validators = ("", "") if retry else (fetched.etag, fetched.last_modified)
        store.record_feed(feed_url, *validators, [link for link in fresh if link not in retry])
    _note_languages_without_pack(report, on_notice)
    if report.new:
        report.events, report.stories, report.analysed = refresh_events(store, settings, on_notice=on_notice)
    return report


def _note_languages_without_pack(report: IngestReport, on_notice: Callable[[str], None]) -> None:
    """One line per ingest for the languages read that have no pack of their own: their articles
    are grouped and summarised all the same, with what a generic pack knows."""
    if report.without_pack:
        counted = ", ".join(f"{code} ({count})" for code, count in report.without_pack.most_common())
        on_notice(
            f"articles in languages without a language pack: {counted}; grouped and summarised with"
            f" generic rules (spaCy's stop words where it has them, no month names or number words;"
            f" names only from the alias table)"
        )


_TRANSIENT_FAILURES = ("timed out", "connection failed", "HTTP 5", "HTTP 429", "robots.txt unreachable")


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
            report.without_pack.update(
                a.language for a in cleaned if a.language not in (UNKNOWN, "") and not has_pack(a.language)
            )
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


def refresh_events(
    store: Store,
    settings: Settings,
    executor: Executor | None = None,
    early: EarlyAnalysis | None = None,
    on_notice: Callable[[str], None] = lambda message: None,
) -> tuple[int, int, int]:
    """Bring the stored events and stories up to the stored articles: continue the grouping
    from the store's state with the articles stored since, describe and write only the events
    and stories that changed, and record their updates; return how many events and stories
    there are, and how many articles spaCy analysed (on ``early``'s processes if given).

    One process at a time updates a store's grouping (``exclusive_grouping``); the others wait,
    and ``on_notice`` says so. When the store holds no state this version and these settings
    can continue (an upgrade, other settings), every stored article is grouped again and
    ``on_notice`` says that too (``rebuild_events`` does it on demand).
    """
    with exclusive_grouping(store, on_notice):
        grouping = continue_grouping(store, settings)
        if grouping is None:
            stale = grouping_is_stale(store, settings)
            grouped_before = stale or store.counts()["events"] > 0
            if stale:
                on_notice(
                    "the events were grouped by another version or other settings: grouping every stored article again"
                )
            elif grouped_before:
                on_notice("this store keeps no grouping state yet (made by an earlier storyline): grouping it once")
            return _regroup(store, settings, executor, early, record_updates=not grouped_before)
        return _continue(grouping, store, settings, executor, early, on_notice)


def rebuild_events(
    store: Store,
    settings: Settings,
    executor: Executor | None = None,
    on_notice: Callable[[str], None] = lambda message: None,
) -> tuple[int, int, int]:
    """Group every stored article again from nothing and describe the events anew where their
    articles changed (``storyline rebuild``); no updates are recorded: nothing arrived."""
    with exclusive_grouping(store, on_notice), early_analysis(settings, executor or LocalExecutor()) as early:
        return _regroup(store, settings, executor, early, record_updates=False)


def _regroup(
    store: Store, settings: Settings, executor: Executor | None, early: EarlyAnalysis | None, record_updates: bool
) -> tuple[int, int, int]:
    """Group every stored article from nothing, reusing the stored events whose articles are
    unchanged, and replace the stored events, stories and grouping state."""
    last = store.last_ingest_order()
    articles = store.articles_after(0, last)
    known = store.events_made_with(description_fingerprint(settings), {a.id: a for a in articles})
    store.clear_grouping()  # the old signatures must not be found as earlier articles
    grouping = Grouping(settings)
    change, signatures = _add(grouping, articles, store, settings, executor, early)
    grouping.grouped = last
    groups = _members(grouping, change.events, articles, store)
    events, analysed, _ = describe_events(
        groups, _stories_of(grouping, groups), settings, known, executor, store, early
    )
    stories = build_stories(events, settings)
    updates = _updates(events, stories, {}, {e.id: e for e in events}, articles, settings) if record_updates else []
    head, blocks = grouping_state(grouping)
    store.commit_change(
        GroupingCommit(events, stories, head, blocks, updates=updates, signatures=signatures, whole=True)
    )
    return len(events), len(stories), analysed


def _continue(
    grouping: Grouping,
    store: Store,
    settings: Settings,
    executor: Executor | None,
    early: EarlyAnalysis | None,
    on_notice: Callable[[str], None],
) -> tuple[int, int, int]:
    """Group the articles stored since ``grouping`` last read, then describe and write what
    changed (and the events described under other settings or another version), the updates
    and the state, in the store."""
    last = store.last_ingest_order()
    arrived = store.articles_after(grouping.grouped, last)
    described_otherwise = set(store.events_made_otherwise(description_fingerprint(settings)))
    if not arrived and not described_otherwise:
        counts = store.counts()
        return counts["events"], counts["stories"], 0
    if described_otherwise:
        on_notice(
            f"{len(described_otherwise)} events were described by another version or settings: describing them again"
        )
    change, signatures = _add(grouping, arrived, store, settings, executor, early)
    grouping.grouped = last
    redo = described_otherwise - set(change.merged_events)
    change.stories |= {grouping.story_of(event_id) for event_id in redo}
    groups = _members(grouping, change.events | redo, arrived, store)
    events, analysed, moved = describe_events(
        groups, _stories_of(grouping, groups), settings, (), executor, store, early, {a.id for a in arrived}
    )
    story_events = _story_members(grouping, store, change, events)
    changed = {e.id: e for e in events}
    unchanged = [e for e in store.events_by_id(sorted(set(story_events) - set(changed)))]
    everything = {**{e.id: e for e in unchanged}, **changed}
    members: dict[str, list[Event]] = {}
    for event_id, story_id in story_events.items():
        if event_id in everything:
            members.setdefault(story_id, []).append(replace(everything[event_id], story_id=story_id))
    stories = [describe_story(story_id, group, settings.stories) for story_id, group in members.items()]
    updates = _updates(
        events, stories, moved, everything, arrived, settings, _earlier_articles(store, members, changed, settings)
    )
    head, blocks = grouping_state(grouping)
    store.commit_change(
        GroupingCommit(
            events,
            stories,
            head,
            blocks,
            gone_events=list(change.merged_events),
            gone_stories=list(change.merged_stories),
            updates=updates,
            signatures=signatures,
            renamed={"event": change.merged_events, "story": change.merged_stories},
        )
    )
    counts = store.counts()
    return counts["events"], counts["stories"], analysed


def _add(
    grouping: Grouping,
    articles: list[Article],
    store: Store,
    settings: Settings,
    executor: Executor | None,
    early: EarlyAnalysis | None,
) -> tuple[GroupingChange, list[SignatureRow]]:
    """Add time-ordered stored ``articles`` to ``grouping``; return what changed and the
    near-duplicate signatures to keep for them."""
    if not articles:
        return GroupingChange(), []
    inputs = article_inputs(articles, settings, executor, store, first_arrival=len(grouping.clusterer))
    if early is not None:
        early.expect(articles, store.analysed_among(analysis_fingerprint(settings.facts), [a.id for a in articles]))
    change = grouping.add(articles, inputs.copies, inputs.dense, on_join=early.joined if early is not None else None)
    return change, inputs.signatures


def _members(
    grouping: Grouping, event_ids: Iterable[str], arrived: Sequence[Article], store: Store
) -> dict[str, list[Article]]:
    """The articles of each of ``event_ids``, in arrival order: those of ``arrived`` as given,
    the others read from the store."""
    given = {a.id: a for a in arrived}
    member_ids = {event_id: grouping.members(event_id) for event_id in sorted(event_ids)}
    earlier = store.articles_by_id([i for ids in member_ids.values() for i in ids if i not in given])
    return {event_id: [given.get(i) or earlier[i] for i in ids] for event_id, ids in member_ids.items()}


def _stories_of(grouping: Grouping, groups: Mapping[str, list[Article]]) -> dict[str, str]:
    return {event_id: grouping.story_of(event_id) for event_id in groups}


def _story_members(grouping: Grouping, store: Store, change: GroupingChange, events: Sequence[Event]) -> dict[str, str]:
    """Every event of the stories ``change`` touched -> its story: those stored in them (or in
    stories merged into them) and those described now, less the events merged away."""
    touched = set(change.stories) | set(change.merged_stories)
    found = {
        event_id: grouping.story_of(event_id)
        for event_id in store.story_event_ids(sorted(touched))
        if event_id not in change.merged_events
    }
    found.update((e.id, e.story_id) for e in events)
    return found


def _updates(
    events: Sequence[Event],
    stories: Sequence[Story],
    moved: Mapping[str, Sequence[FigureChange]],
    everything: Mapping[str, Event],
    arrived: Sequence[Article],
    settings: Settings,
    known: Mapping[str, Sequence[Article]] | None = None,
) -> list[Update]:
    """The updates of the events and stories that hold an article of ``arrived`` (``known``:
    see ``describe.story_updates``)."""
    at = datetime.now(UTC)
    ids = {a.id for a in arrived}
    events_now = event_updates(events, moved, ids, at, settings)
    return events_now + story_updates(stories, everything, events_now, ids, at, settings, known)


def _earlier_articles(
    store: Store, members: Mapping[str, Sequence[Event]], changed: Mapping[str, Event], settings: Settings
) -> dict[str, list[Article]]:
    """For each story, the articles of its unchanged events (at most ``summary.max_articles``,
    spread over them), with their texts: what a reader of the story had read before."""
    chosen = {
        story_id: spread_evenly(
            [a.id for e in group if e.id not in changed for a in e.articles], settings.summary.max_articles
        )
        for story_id, group in members.items()
    }
    texts = store.articles_by_id(sorted({i for ids in chosen.values() for i in ids}))
    return {story_id: [texts[i] for i in ids if i in texts] for story_id, ids in chosen.items()}


def build_events(
    articles: Sequence[Article],
    settings: Settings,
    known: Sequence[Event] = (),
    executor: Executor | None = None,
    store: Store | None = None,
) -> list[Event]:
    """Group time-ordered articles held in memory into events and give each its summary, facts
    and timeline (an event of ``known`` with the same articles, described alike, is reused: see
    ``describe.describe_events``; analyses in ``store`` are reused)."""
    grouping = Grouping(settings)
    inputs = article_inputs(articles, settings, executor)
    grouping.add(articles, inputs.copies, inputs.dense)
    groups: dict[str, list[Article]] = {}
    for article in articles:
        groups.setdefault(grouping.event_of(article.id), []).append(article)
    return describe_events(groups, _stories_of(grouping, groups), settings, known, executor, store)[0]
