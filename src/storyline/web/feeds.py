"""Atom feeds of updates: one entry per update of an event or a story, written by feedgen.

A feed is built from the updates it shows and serialised once. Its validators (ETag,
Last-Modified) are derived from the same updates, so a reader's conditional GET is answered 304
exactly when it would get the same feed again, without building it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from urllib.parse import quote

from feedgen.feed import FeedGenerator

from ..model import Article, Figure, Update
from ..render import cited_change
from . import web_link

# An Atom feed needs an updated time: one with no updates yet shows the epoch, the same every
# time, so that its validators hold.
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)
PAGES = {"event": "events", "story": "stories"}
"""Where the pages of each kind of update live: ``/events/{id}``, ``/stories/{id}``."""
_ARRIVALS_LISTED = 10  # articles an entry names; the rest are counted


@dataclass(frozen=True)
class Feed:
    """What a feed follows: its title, its own path and query (its id and self link), and the
    page it is the feed of."""

    title: str
    path: str
    page: str


@dataclass(frozen=True)
class Validators:
    etag: str
    last_modified: datetime

    @property
    def headers(self) -> dict[str, str]:
        return {"ETag": self.etag, "Last-Modified": format_datetime(self.last_modified, usegmt=True)}

    def fresh_for(self, if_none_match: str, if_modified_since: str) -> bool:
        """Whether a reader holding the copy those request headers describe has this feed
        already: If-None-Match decides when given (weak comparison), else If-Modified-Since."""
        if if_none_match:
            held = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return "*" in held or self.etag.removeprefix("W/") in held
        if not if_modified_since:
            return False
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False  # an unreadable date is no copy: send the feed
        return since.tzinfo is not None and self.last_modified <= since


def validators(feed: Feed, base: str, updates: Sequence[Update], version: str) -> Validators:
    """The ETag and Last-Modified of ``feed`` showing ``updates`` at ``base``: they change when
    an update is added to it or leaves it, when it is renamed, and with storyline's version."""
    shown = ",".join(str(u.seq) for u in updates)
    digest = hashlib.sha256("\n".join((version, base, feed.path, feed.title, shown)).encode()).hexdigest()
    newest = max((u.at for u in updates), default=_NEVER)
    # HTTP dates count whole seconds: a copy fetched within the second is as new as the feed.
    return Validators(f'W/"{digest[:32]}"', newest.astimezone(UTC).replace(microsecond=0))


def atom_feed(feed: Feed, base: str, updates: Sequence[Update], arrivals: Mapping[str, Article], version: str) -> bytes:
    """``feed`` as Atom: one entry per update, newest first, each linking to its event's (or
    story's) page at ``base`` and holding its cited summary and figure changes as HTML."""
    generator = FeedGenerator()
    generator.id(base + feed.path)
    generator.title(feed.title)
    generator.author({"name": "storyline"})
    generator.link(href=base + feed.page, rel="alternate", type="text/html")
    generator.link(href=base + feed.path, rel="self", type="application/atom+xml")
    generator.generator("storyline", version=version)
    generator.updated(validators(feed, base, updates, version).last_modified)
    for update in updates:
        page = f"{base}/{PAGES[update.kind]}/{quote(update.target_id)}"
        entry = generator.add_entry(order="append")
        entry.id(f"urn:storyline:update:{update.seq}")
        entry.title(_entry_title(update))
        entry.link(href=page, rel="alternate", type="text/html")
        entry.updated(update.at)
        entry.published(update.at)
        entry.content(_entry_html(update, page, base, arrivals), type="html")
    return generator.atom_str(pretty=True)


def _entry_title(update: Update) -> str:
    headline = update.headline or f"(untitled {update.kind})"
    if update.opened:
        return f"New {update.kind}: {headline}"
    count = len(update.articles)
    return f"{headline}: {count} new article{'s' * (count != 1)}"


def _entry_html(update: Update, page: str, base: str, arrivals: Mapping[str, Article]) -> str:
    """The entry's content: the articles that arrived, the cited sentences, the figures that
    moved (each value citing its article) and a link to the page; every text escaped."""

    def article_page(article_id: str, anchor: str = "") -> str:
        return f"{base}/articles/{quote(article_id, safe='')}{anchor}"

    def cited(label: str, url: str) -> str:
        return f'<a href="{escape(url)}">{escape(label or "source")}</a>'

    def cite_figure(figure: Figure) -> str:
        return cited(figure.source, article_page(figure.article_id))

    parts = []
    named = [arrivals[a] for a in update.articles if a in arrivals]
    if named:
        listed = ", ".join(
            f"{cited(a.title or a.id, web_link(a.url) or article_page(a.id))} ({escape(a.source or 'unknown outlet')})"
            for a in named[:_ARRIVALS_LISTED]
        )
        more = len(update.articles) - min(len(named), _ARRIVALS_LISTED)
        parts.append(f"<p>New articles: {listed}{f' and {more} more' if more > 0 else ''}.</p>")
    if update.summary:
        sentences = "".join(
            f"<li>{escape(s.text)} {cited(s.source, web_link(s.url) or article_page(s.article_id, f'#s{s.position}'))}</li>"
            for s in update.summary
        )
        parts.append(f"<ul>{sentences}</ul>")
    if update.changes:
        changes = "".join(f"<li>{cited_change(c, cite_figure, escape)}</li>" for c in update.changes)
        parts.append(f"<p>Figures that changed:</p><ul>{changes}</ul>")
    parts.append(f'<p><a href="{escape(page)}">The whole {update.kind} on storyline</a></p>')
    return "".join(parts)
