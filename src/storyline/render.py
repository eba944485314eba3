"""Events and summaries as JSON-ready dicts, plain text and Markdown."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .model import Event, Sentence


def _date(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def sentence_as_dict(sentence: Sentence) -> dict[str, Any]:
    return {"text": sentence.text, "article_id": sentence.article_id, "source": sentence.source, "url": sentence.url}


def event_as_dict(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "headline": event.headline,
        "summary": [sentence_as_dict(s) for s in event.summary],
        "sources": event.sources,
        "first_published": _date(event.first_published),
        "last_published": _date(event.last_published),
        "articles": [
            {"id": a.id, "title": a.title, "source": a.source, "url": a.url, "published": _date(a.published)}
            for a in event.articles
        ],
        "timeline": [{"date": _date(t.date), "text": t.text, "article_id": t.article_id} for t in event.timeline],
    }


def _span(event: Event) -> str:
    first, last = event.first_published, event.last_published
    if not first:
        return "undated"
    if first.date() == last.date():
        return first.date().isoformat()
    return f"{first.date().isoformat()} to {last.date().isoformat()}"


def _counts(event: Event) -> str:
    articles, sources = len(event.articles), len(event.sources)
    return f"{articles} article{'s' * (articles != 1)}, {sources} source{'s' * (sources != 1)}, {_span(event)}"


def event_as_text(event: Event) -> str:
    lines = [event.headline or "(untitled event)", f"  {event.id} | {_counts(event)}", ""]
    lines += [f"  - {s.text} [{s.source or s.article_id}]" for s in event.summary]
    lines += ["", "  Sources: " + ", ".join(event.sources)]
    if event.timeline:
        lines += ["  Timeline:"] + [f"    {t.date.date().isoformat()}  {t.text}" for t in event.timeline]
    return "\n".join(lines)


def event_as_markdown(event: Event) -> str:
    lines = [f"## {event.headline or '(untitled event)'}", "", f"*{event.id}: {_counts(event)}*", ""]
    lines += [f"- {s.text} ({_cite_markdown(s)})" for s in event.summary]
    lines += ["", "**Sources:**", ""]
    lines += [
        f"- {a.title or a.id} ({a.source}{', ' + a.published.date().isoformat() if a.published else ''})"
        for a in event.articles
    ]
    if event.timeline:
        lines += ["", "**Timeline:**", ""] + [f"- {t.date.date().isoformat()}: {t.text}" for t in event.timeline]
    return "\n".join(lines) + "\n"


def _cite_markdown(sentence: Sentence) -> str:
    label = sentence.source or sentence.article_id
    return f"[{label}]({sentence.url})" if sentence.url else label
