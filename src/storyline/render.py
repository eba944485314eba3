"""Events, stories, their updates and summaries as JSON-ready dicts, plain text and Markdown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from .config import FactsSettings
from .facts.records import disagreement_as_dict, entity_as_dict, figure_as_dict
from .facts.timeline import first_report, is_background
from .model import Event, Figure, FigureChange, Sentence, Story, StoryEvent, TimelineEntry, Update


def _date(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def sentence_as_dict(sentence: Sentence) -> dict[str, Any]:
    return {"text": sentence.text, "article_id": sentence.article_id, "source": sentence.source, "url": sentence.url}


def event_as_dict(event: Event) -> dict[str, Any]:
    first = first_report(event.articles)
    return {
        "id": event.id,
        "story_id": event.story_id,
        "headline": event.headline,
        "summary": [sentence_as_dict(s) for s in event.summary],
        "sources": event.sources,
        "independent_sources": event.independent_sources,
        "first_published": _date(event.first_published),
        "last_published": _date(event.last_published),
        "articles": [
            {
                "id": a.id,
                "title": a.title,
                "source": a.source,
                "url": a.url,
                "published": _date(a.published),
                "language": a.language,
                **({"copy_of": a.copy_of} if a.copy_of else {}),
            }
            for a in event.articles
        ],
        "timeline": [
            {
                "date": _date(t.date),
                "resolution": t.resolution,
                "text": t.text,
                "article_id": t.article_id,
                "background": is_background(t, first, FactsSettings.own_days),
            }
            for t in event.timeline
        ],
        "entities": [entity_as_dict(g) for g in event.entities],
        "figures": [{**figure_as_dict(f), "phrase": figure_phrase(f)} for f in event.figures],
        "disagreements": [disagreement_as_dict(d) for d in event.disagreements],
    }


def story_as_dict(story: Story) -> dict[str, Any]:
    return {
        "id": story.id,
        "name": story.name,
        "first_published": _date(story.first_published),
        "last_published": _date(story.last_published),
        "article_count": story.article_count,
        "sources": story.sources,
        "events": [
            {
                "id": e.id,
                "headline": e.headline,
                "first_published": _date(e.first_published),
                "last_published": _date(e.last_published),
                "article_count": e.article_count,
                "sources": list(e.sources),
            }
            for e in story.events
        ],
        "digest": [{"event_id": lead.event_id, **sentence_as_dict(lead.sentence)} for lead in story.digest],
    }


def update_as_dict(update: Update) -> dict[str, Any]:
    """What one ingest added to an event or a story: the API's, the CLI's and the feeds' form."""
    return {
        "seq": update.seq,
        "kind": update.kind,
        "target_id": update.target_id,
        "headline": update.headline,
        "at": _date(update.at),
        "articles": list(update.articles),
        "opened": update.opened,
        "summary": [sentence_as_dict(s) for s in update.summary],
        "changes": [
            {"quantity": c.quantity, "before": figure_as_dict(c.before), "after": figure_as_dict(c.after)}
            for c in update.changes
        ],
    }


def cited_change(change: FigureChange, cite: Callable[[Figure], str], write: Callable[[str], str] = str) -> str:
    """ "people died: rose from 62 [A] to about 90 [B]": the change with each value followed by
    ``cite`` of its figure; ``write`` writes the quoted words (``html.escape`` for HTML)."""
    before, after = change.before, change.after
    return (
        f"{write(change.quantity)}: {change.verb} from {write(before.text)} {cite(before)}"
        f" to {write(after.text)} {cite(after)}"
    )


def _update_line(update: Update) -> str:
    articles = len(update.articles)
    news = f"{articles} new article{'s' * (articles != 1)}"
    return f"{update.kind} {update.target_id}: {'opened, ' if update.opened else ''}{news}"


def update_as_text(update: Update) -> str:
    lines = [f"{update.at:%Y-%m-%d %H:%M}Z  {update.kind}  {update.headline or '(untitled)'}"]
    lines += [f"  {_update_line(update)}"]
    lines += [f"  - {s.text} [{s.source or s.article_id}]" for s in update.summary]
    lines += [f"  ~ {cited_change(c, lambda f: f'[{f.source or f.article_id}]')}" for c in update.changes]
    return "\n".join(lines)


def update_as_markdown(update: Update) -> str:
    lines = [f"### {update.at:%Y-%m-%d %H:%M} UTC: {update.headline or '(untitled)'}", "", f"*{_update_line(update)}*"]
    lines += [""] if update.summary or update.changes else []
    lines += [f"- {s.text} ({_cite_markdown(s)})" for s in update.summary]
    lines += [f"- {cited_change(c, lambda f: f'({f.source or f.article_id})')}" for c in update.changes]
    return "\n".join(lines) + "\n"


def _span(item: Event | Story) -> str:
    first, last = item.first_published, item.last_published
    if not first:
        return "undated"
    if first.date() == last.date():
        return first.date().isoformat()
    return f"{first.date().isoformat()} to {last.date().isoformat()}"


def outlet_count(count: int) -> str:
    """How many outlets, as a reader wants it said: "outlet unknown" where nothing names one,
    since "0 outlets" reads as if no one reported the event."""
    return f"{count} outlet{'s' * (count != 1)}" if count else "outlet unknown"


def _counts(event: Event) -> str:
    articles = len(event.articles)
    return f"{articles} article{'s' * (articles != 1)}, {outlet_count(len(event.sources))}, {_span(event)}"


def _story_line(event: Event, story_name: str) -> str:
    return f"{story_name} ({event.story_id})" if story_name else event.story_id


def event_as_text(event: Event, story_name: str = "") -> str:
    """``event`` as plain text; ``story_name`` names its story (else its id alone is shown)."""
    lines = [event.headline or "(untitled event)", f"  {event.id} | {_counts(event)}"]
    lines += [f"  Story: {_story_line(event, story_name)}", ""] if event.story_id else [""]
    lines += [f"  - {s.text} [{s.source or s.article_id}]" for s in event.summary]
    lines += ["", "  Sources: " + (", ".join(event.sources) or outlet_count(0))]
    names = _named(event)
    if names:
        lines += ["  Names: " + "; ".join(names)]
    if event.disagreements:
        lines += ["  Sources disagree:"] + [
            f"    ! {d.quantity}: " + " vs ".join(f"{_figure_text(f)} [{_cite(event, f)}]" for f in d.figures)
            for d in event.disagreements
        ]
    if event.figures:
        lines += ["  Figures:"] + [f"    {_figure_text(f)} [{_cite(event, f)}]" for f in event.figures]
    if event.timeline:
        lines += ["  Timeline:"] + [f"    {_when(t)}  {t.text}" for t in event.timeline]
    return "\n".join(lines)


def event_as_markdown(event: Event, story_name: str = "") -> str:
    """``event`` as Markdown; ``story_name`` names its story (else its id alone is shown)."""
    lines = [f"## {event.headline or '(untitled event)'}", "", f"*{event.id}: {_counts(event)}*", ""]
    lines += [f"Story: {_story_line(event, story_name)}", ""] if event.story_id else []
    lines += [f"- {s.text} ({_cite_markdown(s)})" for s in event.summary]
    lines += ["", "**Sources:**", ""]
    lines += [
        f"- {a.title or a.id} ({a.source}{', ' + a.published.date().isoformat() if a.published else ''})"
        for a in event.articles
    ]
    names = _named(event)
    if names:
        lines += ["", "**Names:** " + "; ".join(names)]
    if event.disagreements:
        lines += ["", "**Sources disagree:**", ""] + [
            f"- {d.quantity}: " + " vs ".join(f"{_figure_text(f)} ({_cite(event, f)})" for f in d.figures)
            for d in event.disagreements
        ]
    if event.figures:
        lines += ["", "**Figures:**", ""] + [f"- {_figure_text(f)} ({_cite(event, f)})" for f in event.figures]
    if event.timeline:
        lines += ["", "**Timeline:**", ""] + [f"- {_when(t)}: {t.text}" for t in event.timeline]
    return "\n".join(lines) + "\n"


def _story_counts(story: Story) -> str:
    events, articles = len(story.events), story.article_count
    return (
        f"{events} event{'s' * (events != 1)}, {articles} article{'s' * (articles != 1)},"
        f" {outlet_count(len(story.sources))}, {_span(story)}"
    )


def _event_line(event: StoryEvent) -> str:
    day = event.first_published.date().isoformat() if event.first_published else "undated"
    articles = f"{event.article_count} article{'s' * (event.article_count != 1)}"
    return f"{day}  {event.headline or '(untitled event)'} ({articles}; {event.id})"


def story_as_text(story: Story) -> str:
    lines = [story.name or "(untitled story)", f"  {story.id} | {_story_counts(story)}", ""]
    lines += [f"  - {lead.sentence.text} [{lead.sentence.source or lead.sentence.article_id}]" for lead in story.digest]
    lines += ["", "  Events:"] + [f"    {_event_line(e)}" for e in story.events]
    lines += ["  Sources: " + (", ".join(story.sources) or outlet_count(0))]
    return "\n".join(lines)


def story_as_markdown(story: Story) -> str:
    lines = [f"## {story.name or '(untitled story)'}", "", f"*{story.id}: {_story_counts(story)}*", ""]
    lines += [f"- {lead.sentence.text} ({_cite_markdown(lead.sentence)})" for lead in story.digest]
    lines += ["", "**Events:**", ""] + [f"- {_event_line(e)}" for e in story.events]
    lines += ["", "**Sources:** " + (", ".join(story.sources) or outlet_count(0))]
    return "\n".join(lines) + "\n"


def _cite_markdown(sentence: Sentence) -> str:
    label = sentence.source or sentence.article_id
    return f"[{label}]({sentence.url})" if sentence.url else label


def _when(entry: TimelineEntry) -> str:
    """The date as precisely as the source gave it: 2019-03-05, 2019-03 or 2019."""
    return entry.date.date().isoformat()[: {"year": 4, "month": 7}.get(entry.resolution, 10)]


def _named(event: Event) -> list[str]:
    """Entities named more than once (a name said once is rarely what the event is about), with variants."""
    return [
        f"{g.name} ({', '.join(f'{n} {c}' for n, c in g.variants) if len(g.variants) > 1 else g.mentions})"
        for g in event.entities
        if g.mentions > 1
    ]


def figure_phrase(figure: Figure) -> str:
    """A figure as a reader says it: the number as written, then what it counts ("62 people
    died", "four civilians killed", "Around 90 people died"), not "killed 3 (people)"."""
    counted = figure.counts.split()
    lowered = {w.lower() for w in counted}
    kept = [w for w in figure.text.split() if w.lower().strip(",.") not in lowered]
    return " ".join(kept + counted) if counted else figure.text


def _figure_text(figure: Figure) -> str:
    """ "62 people died (International Rescue Committee said)": the figure, what it counts, who said it."""
    written = figure_phrase(figure)
    return f"{written} ({figure.said_by} said)" if figure.said_by else written


def timeline_parts(
    event: Event, own_days: int = FactsSettings.own_days
) -> tuple[list[TimelineEntry], list[TimelineEntry]]:
    """The event's own dated happenings and the background (``facts.timeline.is_background``),
    each in the timeline's order."""
    first = first_report(event.articles)
    own = [t for t in event.timeline if not is_background(t, first, own_days)]
    return own, [t for t in event.timeline if is_background(t, first, own_days)]


def _cite(event: Event, figure: Figure) -> str:
    return figure.source or figure.article_id
