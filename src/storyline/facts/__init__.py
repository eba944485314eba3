"""Facts about an event: who and what it involves, its figures, where sources disagree, its timeline.

``event_facts`` runs spaCy over one event's articles only (never over every ingested page), with
the model loaded once per process and each article parsed once (see ``nlp.ArticleParser``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC

from ..config import FactsSettings
from ..model import Article, Disagreement, EntityGroup, Figure, TimelineEntry, spread_evenly
from .aliases import AliasTable, load_aliases
from .disagreements import conflicting, find_disagreements
from .entities import group_entities, spelled_acronyms
from .figures import Claim, sentence_claims
from .nlp import ArticleParser
from .timeline import mentioned_entries, publication_entries, sort_timeline

__all__ = [
    "AliasTable",
    "ArticleParser",
    "Claim",
    "EventFacts",
    "article_claims",
    "conflicting",
    "event_facts",
    "event_timeline",
    "load_aliases",
]


@dataclass
class EventFacts:
    """Everything ``event_facts`` finds for one event."""

    entities: list[EntityGroup] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)


_parsers: dict[tuple[str, int], ArticleParser] = {}


def parser_for(settings: FactsSettings) -> ArticleParser:
    """The process-wide parser (and its cache) for these settings' alias table."""
    key = (settings.aliases_path, settings.cache_articles)
    if key not in _parsers:
        _parsers[key] = ArticleParser(load_aliases(settings.aliases_path), cache_size=settings.cache_articles)
    return _parsers[key]


def event_timeline(articles: Sequence[Article], limit: int = FactsSettings.max_timeline) -> list[TimelineEntry]:
    """The publication-date timeline alone: one entry per dated article, oldest first (no spaCy)."""
    return sort_timeline(publication_entries(articles), limit)


def article_claims(articles: Sequence[Article], settings: FactsSettings) -> dict[str, list[Claim]]:
    """Every figure of each article (with what comparing them needs), by article id."""
    parsed = parser_for(settings).parse(articles)
    by_id = {a.id: a for a in articles}
    return {
        article_id: [
            claim
            for sentence in sentences
            if sentence.parsed
            for claim in sentence_claims(sentence.doc, by_id[article_id], settings.about_tolerance)
        ]
        for article_id, sentences in parsed.items()
    }


def event_facts(articles: Sequence[Article], settings: FactsSettings) -> EventFacts:
    """Entities, figures, disagreements and timeline of one event's articles.

    Events with fewer than ``settings.min_articles`` articles (nothing to compare across
    sources) get the publication timeline only, which keeps ingest fast. Of a larger event than
    ``settings.max_articles``, spaCy reads that many articles spread over it; every article's
    publication date still enters the timeline.
    """
    if not settings.enabled or len(articles) < settings.min_articles:
        return EventFacts(timeline=event_timeline(articles, settings.max_timeline))
    read = spread_evenly(articles, settings.max_articles)
    parser = parser_for(settings)
    parsed = parser.parse(read)
    mentions, acronyms, claims, dated = [], {}, [], publication_entries(articles)
    for article in read:
        acronyms |= spelled_acronyms(f"{article.title}\n{article.text}")
        sentences = parsed[article.id]
        mentions += [(e.text, e.label_) for s in sentences for e in s.doc.ents]
        body = [s for s in sentences if s.index >= 0]
        claims += [c for s in body if s.parsed for c in sentence_claims(s.doc, article, settings.about_tolerance)]
        dated += [
            TimelineEntry(
                date=e.date.replace(tzinfo=UTC), text=e.text, article_id=e.article_id, resolution=e.resolution
            )
            for e in mentioned_entries(article, [s.doc for s in body], settings.timeline_text_chars)
        ]
    return EventFacts(
        entities=group_entities(mentions, acronyms, parser.aliases, settings.spelling_similarity)[
            : settings.max_entities
        ],
        figures=[c.figure for c in claims][: settings.max_figures],
        disagreements=find_disagreements(claims, settings),
        timeline=sort_timeline(dated, settings.max_timeline),
    )
