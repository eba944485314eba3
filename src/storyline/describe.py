"""Describing what changed: the summary, facts and timeline of each event an ingest changed,
the name and digest of each story, and the updates (what the new articles added).

Only the events handed here are described, each from all of its articles; their facts combine
their articles' stored analyses (``article_facts``: spaCy reads only the articles it never read).
Summaries are written on the executor's workers while spaCy reads on other processes.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import replace
from datetime import datetime
from functools import partial
from importlib.metadata import version

from .config import Settings
from .dedup import ExactDuplicates
from .embed import load_embedder
from .facts import (
    ArticleFacts,
    analyse_articles,
    analysis_fingerprint,
    articles_to_read,
    event_facts,
)
from .facts.changes import figure_changes
from .model import Article, Event, Figure, FigureChange, Story, Update
from .scale import EarlyAnalysis, Executor, LocalExecutor, analysts, chunks, early_analysis, worker_embed_settings
from .store import Store
from .summarize import Summary, describe_story, off_topic_sentences, summarize_event, summarize_update


def description_fingerprint(settings: Settings) -> str:
    """What shapes an event's summary and facts besides its articles: storyline's version and the
    settings the describing stages read. Two runs with the same fingerprint describe the same
    articles alike."""
    shaping = (
        version("storyline"),
        "facts from on-topic sentences, own days first",  # how facts are combined changed within the version
        settings.summary,
        settings.sentences,
        settings.facts,
        settings.embed.enabled,
        settings.embed.max_tokens,
    )
    return hashlib.sha256(repr(shaping).encode()).hexdigest()[:16]


def describe_events(
    groups: Mapping[str, list[Article]],
    story_of: Mapping[str, str],
    settings: Settings,
    known: Iterable[Event] = (),
    executor: Executor | None = None,
    store: Store | None = None,
    early: EarlyAnalysis | None = None,
    arrived: Collection[str] = (),
) -> tuple[list[Event], int, dict[str, list[FigureChange]]]:
    """The events of ``groups`` (event id -> its articles, in time order), each in its story
    (``story_of``), how many articles spaCy analysed to describe them, and, for each event that
    had articles before those of ``arrived`` (ids), the figures its new articles changed.

    An event of ``known`` with exactly the same articles and copies, described under the same
    settings and version (``Event.made_with``), is reused as it stands. The others are described
    ``scale.partition_events`` at a time on ``executor``, their facts combined from their
    articles' analyses (``article_facts``; on ``early``'s processes if given, else on this run's).
    """
    executor = executor or LocalExecutor()
    made_with = description_fingerprint(settings)
    reusable = {_members(e.articles): e for e in known if e.made_with == made_with}
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
    with (
        nullcontext(early) if early is not None else early_analysis(settings, executor) as analysis,
        ThreadPoolExecutor(1) as background,
    ):
        analysing = background.submit(article_facts, to_read, settings, executor, store, analysis)
        summaries = executor.map(
            partial(_summarize_events, settings=worker_settings), chunks(changed, settings.scale.partition_events)
        )
        summarised = dict(itertools.chain.from_iterable(summaries))
        analyses, analysed = analysing.result()
    moved = {
        event_id: _figures_moved(members, arrived, analyses)
        for event_id, members in changed
        if any(a.id in arrived for a in members) and not all(a.id in arrived for a in members)
    }
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
    return [reused.get(event_id) or described[event_id] for event_id in groups], analysed, moved


def _figures_moved(
    members: Sequence[Article], arrived: Collection[str], analyses: Mapping[str, ArticleFacts]
) -> list[FigureChange]:
    """The figures the new articles (``arrived``) of an event state otherwise than its earlier
    ones did, from every figure each article's analysis found (an event of one article shows no
    figures, yet what it said is what a reader knew)."""

    def figures(new: bool) -> list[Figure]:
        return [
            claim.figure
            for a in members
            if (a.id in arrived) == new and a.id in analyses
            for claim in analyses[a.id].claims
        ]

    return figure_changes(figures(False), figures(True), set(arrived))


def build_stories(events: Sequence[Event], settings: Settings) -> list[Story]:
    """The stories of ``events`` (by their ``story_id``), each with its name and digest, in the
    order of their first event here."""
    members: dict[str, list[Event]] = {}
    for event in events:
        members.setdefault(event.story_id or event.id, []).append(event)
    return [describe_story(story_id, group, settings.stories) for story_id, group in members.items()]


def event_updates(
    events: Sequence[Event],
    moved: Mapping[str, Sequence[FigureChange]],
    arrived: set[str],
    at: datetime,
    settings: Settings,
) -> list[Update]:
    """One update per event of ``events`` that holds an article of ``arrived`` (ids): a new event
    is reported with its own summary; an event that had articles before with what its new
    articles add and the figures that moved (``moved``, by event, as ``describe_events`` gives)."""
    updates = []
    for event in events:
        new = [a for a in event.articles if a.id in arrived]
        if not new:
            continue
        earlier = [a for a in event.articles if a.id not in arrived]
        if earlier:
            summary = summarize_update(
                earlier, new, settings=settings.summary, sentence_settings=settings.sentences
            ).sentences
            changes = list(moved.get(event.id, ()))
        else:
            summary, changes = event.summary, []
        updates.append(
            Update(
                kind="event",
                target_id=event.id,
                at=at,
                articles=tuple(a.id for a in new),
                headline=event.headline,
                summary=tuple(summary),
                changes=tuple(changes),
                opened=not earlier,
            )
        )
    return updates


def story_updates(
    stories: Sequence[Story],
    events: Mapping[str, Event],
    event_updates: Sequence[Update],
    arrived: set[str],
    at: datetime,
    settings: Settings,
    known: Mapping[str, Sequence[Article]] | None = None,
) -> list[Update]:
    """One update per story of ``stories`` that holds an article of ``arrived``: what its new
    articles add to what its earlier articles said. ``events`` holds every event of those
    stories (those changed now with their articles' texts); ``known`` (story id -> articles,
    with their texts) the earlier articles of its other events, read as the reader knew them;
    ``event_updates`` the events' own updates, whose figure changes the story's carries."""
    changes = {u.target_id: u.changes for u in event_updates}
    found = []
    for story in stories:
        members = [events[e.id] for e in story.events if e.id in events]
        new = sorted((a for ev in members for a in ev.articles if a.id in arrived), key=_time_order)
        if not new:
            continue
        opened = len(new) == story.article_count
        if opened:  # a new story: what its digest says
            summary = [lead.sentence for lead in story.digest]
        else:
            earlier = [a for ev in members for a in ev.articles if a.id not in arrived and a.text]
            earlier += (known or {}).get(story.id, ())
            summary = summarize_update(
                earlier, new, settings=settings.summary, sentence_settings=settings.sentences
            ).sentences
        found.append(
            Update(
                kind="story",
                target_id=story.id,
                at=at,
                articles=tuple(a.id for a in new),
                headline=story.name,
                summary=tuple(summary),
                changes=tuple(c for ev in members for c in changes.get(ev.id, ())),
                opened=opened,
            )
        )
    return found


def _time_order(article: Article) -> tuple[bool, datetime]:
    return (article.published is not None, article.published or datetime.min)


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
        with analysts(len(missing), settings, executor) as runner:
            parts = runner.map(
                partial(analyse_articles, settings=settings.facts), chunks(missing, settings.scale.analysis_partition)
            )
            made = [facts for part in parts for facts in part]
    if store is not None:
        store.add_article_facts(made_with, made)
    found.update((f.article_id, f) for f in made)
    return found, len(made)


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
        stray = off_topic_sentences(articles_to_read(members, settings.facts), settings.summary)
        facts = event_facts(members, settings.facts, analyses, stray)
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
