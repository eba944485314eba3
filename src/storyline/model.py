"""The plain data types that flow through the pipeline, in one direction.

ingest -> RawDocument -> extract -> Article -> dedup -> cluster -> Event (in a story)
-> summarize (Sentence; a Story of Events) -> facts (TimelineEntry) -> store -> cli.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


@dataclass(frozen=True)
class RawDocument:
    """Bytes as they arrived, kept so that everything can be reprocessed."""

    origin: str  # path or URL, as the user gave it
    kind: str  # "html", "text", "jsonl" or "feed"
    data: bytes
    url: str = ""  # where the bytes were fetched from (after redirects), if they came over HTTP

    @property
    def id(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Article:
    """One news article after extraction: clean text plus metadata."""

    id: str
    text: str
    title: str = ""
    url: str = ""
    source: str = ""  # outlet or site name
    published: datetime | None = None
    author: str = ""
    language: str = ""
    document_id: str = ""  # the RawDocument it came from
    copy_of: str = ""  # id of the earlier article this one nearly copies (syndication), if any


@dataclass(frozen=True)
class Sentence:
    """A sentence of an article, with everything needed to cite it."""

    text: str
    article_id: str
    position: int  # index of the sentence within its article, from 0
    source: str = ""
    url: str = ""
    published: datetime | None = None

    @classmethod
    def cited(cls, text: str, article: Article, position: int) -> Sentence:
        """Sentence ``position`` of ``article``, citing it."""
        return cls(
            text=text,
            article_id=article.id,
            position=position,
            source=article.source,
            url=article.url,
            published=article.published,
        )

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class TimelineEntry:
    """A dated happening in an event, with the article that reports it."""

    date: datetime
    text: str
    article_id: str
    resolution: str = "day"  # "day", "month" or "year": how much of ``date`` the source gave


@dataclass(frozen=True)
class EntityGroup:
    """One person, place or organisation of an event, under every name its sources use."""

    name: str  # the canonical name
    label: str  # spaCy entity type: PERSON, ORG, GPE, LOC, NORP, FAC, EVENT
    variants: tuple[tuple[str, int], ...]  # (name as written, mentions), most used first

    @property
    def mentions(self) -> int:
        return sum(count for _, count in self.variants)


@dataclass(frozen=True)
class Figure:
    """A number an article states: its value, what it counts, who said it, where."""

    value: float
    qualifier: str  # "exactly", "about", "nearly", "at least", "more than", "up to", "less than", "vague"
    counts: str  # what is counted, e.g. "people died"
    text: str  # the figure as written, e.g. "around 90 people"
    sentence: str
    article_id: str
    source: str = ""
    published: datetime | None = None
    said_by: str = ""  # who the sentence says gave the figure, e.g. "OCHA"
    key: str = ""  # the quantity it measures, e.g. "people|died": figures with equal keys are comparable


@dataclass(frozen=True)
class Disagreement:
    """Two articles giving incompatible figures for the same quantity about the same thing."""

    quantity: str  # e.g. "people died"
    figures: tuple[Figure, Figure]


@dataclass
class Event:
    """One specific happening and the articles that report it."""

    id: str
    articles: list[Article]
    headline: str = ""
    summary: list[Sentence] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    entities: list[EntityGroup] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    made_with: str = ""
    """Fingerprint of the settings and version that wrote the summary and facts ('' if unknown):
    a rebuild reuses a stored event only when its articles and this are unchanged."""
    story_id: str = ""
    """The story the event belongs to ('' when events were clustered without stories)."""

    @property
    def sources(self) -> list[str]:
        """Distinct outlets, in order of first appearance."""
        return list(dict.fromkeys(a.source for a in self.articles if a.source))

    @property
    def independent_sources(self) -> list[str]:
        """Outlets with an article of their own: a syndicated copy (``copy_of``) does not count."""
        return list(dict.fromkeys(a.source for a in self.articles if a.source and not a.copy_of))

    @property
    def first_published(self) -> datetime | None:
        dates = [a.published for a in self.articles if a.published]
        return min(dates) if dates else None

    @property
    def last_published(self) -> datetime | None:
        dates = [a.published for a in self.articles if a.published]
        return max(dates) if dates else None


@dataclass(frozen=True)
class StoryEvent:
    """One event as its story shows it: what happened, when, and how widely it was covered."""

    id: str
    headline: str
    first_published: datetime | None
    last_published: datetime | None
    article_count: int
    sources: tuple[str, ...]

    @classmethod
    def of(cls, event: Event) -> StoryEvent:
        return cls(
            id=event.id,
            headline=event.headline,
            first_published=event.first_published,
            last_published=event.last_published,
            article_count=len(event.articles),
            sources=tuple(event.sources),
        )


@dataclass(frozen=True)
class Lead:
    """A sentence of a story's digest: the lead of one of its events, citing its article."""

    event_id: str
    sentence: Sentence


@dataclass
class Story:
    """Events that continue one another over weeks or years, in time order, with a name and a
    digest (the leads of its most covered events)."""

    id: str
    name: str
    events: list[StoryEvent]
    digest: list[Lead] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        """Distinct outlets over all its events, most events first."""
        counts: dict[str, int] = {}
        for event in self.events:
            for source in event.sources:
                counts[source] = counts.get(source, 0) + 1
        return sorted(counts, key=lambda source: -counts[source])

    @property
    def article_count(self) -> int:
        return sum(e.article_count for e in self.events)

    @property
    def first_published(self) -> datetime | None:
        dates = [e.first_published for e in self.events if e.first_published]
        return min(dates) if dates else None

    @property
    def last_published(self) -> datetime | None:
        dates = [e.last_published for e in self.events if e.last_published]
        return max(dates) if dates else None


@dataclass(frozen=True)
class Failure:
    """An item that was not ingested, and why."""

    item: str
    reason: str

    def __str__(self) -> str:
        return f"{self.item}: {self.reason}"


@dataclass(frozen=True)
class FigureChange:
    """A quantity whose stated value changed with an update: the toll rose from 62 to about 90.
    Both figures keep their article, so each value is cited."""

    quantity: str  # what is counted, e.g. "people died"
    before: Figure
    after: Figure

    @property
    def verb(self) -> str:
        return "rose" if self.after.value > self.before.value else "fell"

    @property
    def text(self) -> str:
        return f"{self.quantity}: {self.verb} from {self.before.text} to {self.after.text}"


@dataclass(frozen=True)
class Update:
    """What one ingest added to an event or a story: when, which articles arrived, and what they
    report that the earlier ones did not (``summary``, every sentence cited; ``changes``, the
    figures whose value moved). ``opened`` when the ingest opened the event or story."""

    kind: Literal["event", "story"]
    target_id: str
    at: datetime  # when the ingest stored it (UTC)
    articles: tuple[str, ...]  # ids of the articles that arrived, in time order
    headline: str  # the event's headline (the story's name) as the update left it
    summary: tuple[Sentence, ...] = ()
    changes: tuple[FigureChange, ...] = ()
    opened: bool = False
    seq: int = 0  # the store's order of updates (0 until stored): newer updates have larger ones


@dataclass
class IngestReport:
    """The tally of one ingest run."""

    new: int = 0
    duplicate: int = 0
    failed: list[Failure] = field(default_factory=list)
    skipped: list[Failure] = field(default_factory=list)
    events: int = 0
    stories: int = 0
    analysed: int = 0  # articles whose facts spaCy found in this run (the others' were stored)
    without_pack: Counter[str] = field(default_factory=Counter)  # articles read per language with no pack


def spread_evenly(articles: Sequence[Article], count: int) -> list[Article]:
    """At most ``count`` of ``articles``, evenly spaced over their order, first and last kept.

    How a large event is read: summary and facts compare every article's sentences or figures
    with every other's, so their cost grows with the square of the event's size, while a spread
    of 40 reports over the event's time says what all 8,000 do.
    """
    if len(articles) <= count:
        return list(articles)
    last = len(articles) - 1
    return [articles[round(k * last / (count - 1))] for k in range(count)] if count > 1 else [articles[0]]
