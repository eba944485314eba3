"""Facts about an event: for now its timeline of reports, from the articles' publication dates."""

from __future__ import annotations

from collections.abc import Sequence

from .model import Article, TimelineEntry


def event_timeline(articles: Sequence[Article]) -> list[TimelineEntry]:
    """One entry per dated article, oldest first: when each report appeared and what it said."""
    entries = [
        TimelineEntry(date=a.published, text=a.title or a.text.split("\n", 1)[0], article_id=a.id)
        for a in articles
        if a.published
    ]
    return sorted(entries, key=lambda e: (e.date, e.article_id))
