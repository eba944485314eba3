"""Wires the stages together; the only module that knows their order.

ingest -> extract -> dedup -> cluster -> summarize -> facts -> store
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from .cluster import EventClusterer
from .config import Settings
from .dedup import ExactDuplicates
from .errors import InputError, UnsupportedInput
from .extract import extract
from .facts import event_timeline
from .ingest import find_inputs, read_document
from .model import Article, Event, Failure, IngestReport
from .store import Store
from .summarize import Summary, summarize_event


def ingest_paths(
    paths: Iterable[str | Path],
    store: Store,
    settings: Settings,
    on_failure: Callable[[Failure], None] = lambda failure: None,
) -> IngestReport:
    """Read, extract and store every input under ``paths``, then rebuild the events.

    Each file is stored in its own transaction, so a bad or interrupted file never costs the
    ones before it, and a re-run stores nothing twice. ``on_failure`` hears of each item that
    was skipped or failed, as it happens.
    """
    report = IngestReport()
    for found in find_inputs(paths):
        try:
            if isinstance(found, InputError):
                raise found
            doc = read_document(found, settings.extract)
        except InputError as exc:
            failure = Failure(exc.item, exc.reason)
            (report.skipped if isinstance(exc, UnsupportedInput) else report.failed).append(failure)
            on_failure(failure)
            continue
        extraction = extract(doc, settings.extract)
        for failure in extraction.failures:
            report.failed.append(failure)
            on_failure(failure)
        if extraction.articles:
            new, duplicate = store.add_document(doc, extraction.articles)
            report.new += new
            report.duplicate += duplicate
    report.events = refresh_events(store, settings)
    return report


def build_events(articles: Sequence[Article], settings: Settings) -> list[Event]:
    """Cluster time-ordered articles into events and give each its summary and timeline."""
    labels = EventClusterer(settings.cluster).fit_predict(articles)
    groups: dict[str, list[Article]] = {}
    for label, article in zip(labels, articles, strict=True):
        groups.setdefault(label, []).append(article)
    events = []
    for event_id, members in groups.items():
        summary = summarize_articles(members, settings)
        events.append(
            Event(
                id=event_id,
                articles=members,
                headline=summary.headline,
                summary=summary.sentences,
                timeline=event_timeline(members),
            )
        )
    return events


def refresh_events(store: Store, settings: Settings) -> int:
    """Rebuild every event from the stored articles and store them; return how many there are."""
    events = build_events(store.articles(), settings)
    store.replace_events(events)
    return len(events)


def summarize_articles(articles: Sequence[Article], settings: Settings, words: int | None = None) -> Summary:
    """Summarise one event's articles, exact copies counted once."""
    seen = ExactDuplicates()
    unique = [a for a in articles if seen.is_new(a)]
    return summarize_event(unique, words=words, settings=settings.summary, sentence_settings=settings.sentences)
