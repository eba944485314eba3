"""Facts about an event: who and what it involves, its figures, where sources disagree, its timeline.

spaCy reads each article once (``analyse_articles``, whose result the store keeps); an event's
facts combine what its articles hold (``event_facts``): names grouped across articles, figures
compared pair by pair, dates in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..config import FactsSettings
from ..model import Article, Disagreement, EntityGroup, Figure, TimelineEntry
from .aliases import AliasTable, load_aliases
from .analysis import (
    ArticleFacts,
    aliases_for,
    analyse_articles,
    analysis_fingerprint,
    articles_to_read,
    ready_process,
)
from .disagreements import conflicting, find_disagreements
from .entities import group_entities
from .figures import Claim
from .timeline import publication_entries, sort_timeline

__all__ = [
    "AliasTable",
    "ArticleFacts",
    "Claim",
    "EventFacts",
    "analyse_articles",
    "analysis_fingerprint",
    "articles_to_read",
    "conflicting",
    "event_facts",
    "event_timeline",
    "load_aliases",
    "ready_process",
]


@dataclass
class EventFacts:
    """Everything ``event_facts`` finds for one event."""

    entities: list[EntityGroup] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)


def event_timeline(articles: Sequence[Article], limit: int = FactsSettings.max_timeline) -> list[TimelineEntry]:
    """The publication-date timeline alone: one entry per dated article, oldest first (no spaCy)."""
    return sort_timeline(publication_entries(articles), limit)


def event_facts(
    articles: Sequence[Article], settings: FactsSettings, analyses: Mapping[str, ArticleFacts] | None = None
) -> EventFacts:
    """Entities, figures, disagreements and timeline of one event's articles.

    The articles' ``analyses`` (by article id) are combined; those missing are made here.
    Events with fewer than ``settings.min_articles`` articles (nothing to compare across
    sources) get the publication timeline only. Of a larger event than ``settings.max_articles``,
    that many articles spread over it are read; every article's publication date still enters
    the timeline.
    """
    read = articles_to_read(articles, settings)
    if not read:
        return EventFacts(timeline=event_timeline(articles, settings.max_timeline))
    known = dict(analyses or {})
    missing = [a for a in read if a.id not in known]
    if missing:
        known.update((found.article_id, found) for found in analyse_articles(missing, settings))
    mentions, acronyms, claims, dated = [], {}, [], publication_entries(articles)
    for article in read:
        found = known[article.id]
        mentions += found.mentions
        acronyms |= dict(found.acronyms)
        claims += found.claims
        dated += found.dates
    return EventFacts(
        entities=group_entities(mentions, acronyms, aliases_for(settings.aliases_path), settings.spelling_similarity)[
            : settings.max_entities
        ],
        figures=[c.figure for c in claims][: settings.max_figures],
        disagreements=find_disagreements(claims, settings),
        timeline=sort_timeline(dated, settings.max_timeline),
    )
