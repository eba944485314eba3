"""The store's followed feeds (``storyline watch``): each feed's validators and the entries seen."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ..listing import to_iso as _iso


class FeedStore:
    """Followed feeds (a mixin of ``Store``, which gives ``engine`` and ``_writes``)."""

    engine: Engine
    _writes: Engine

    def feed_validators(self, url: str) -> tuple[str, str]:
        """The ETag and Last-Modified of the feed's last answer ('' when never fetched)."""
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT etag, last_modified FROM feeds WHERE url = :u"), {"u": url}).first()
        return (row.etag, row.last_modified) if row else ("", "")

    def unseen_links(self, url: str, links: Sequence[str]) -> list[str]:
        """Those of ``links`` (entries of feed ``url``) not recorded as seen, in order."""
        with self.engine.connect() as conn:
            seen = {
                row.link for row in conn.execute(text("SELECT link FROM feed_entries WHERE feed_url = :u"), {"u": url})
            }
        return [link for link in links if link not in seen]

    def record_feed(self, url: str, etag: str, last_modified: str, links: Iterable[str]) -> None:
        """Remember the feed's validators and mark ``links`` seen, in one transaction."""
        now = _iso(datetime.now(UTC))
        with self._writes.begin() as conn:
            if conn.execute(text("SELECT 1 FROM feeds WHERE url = :u"), {"u": url}).first():
                conn.execute(
                    text("UPDATE feeds SET etag = :e, last_modified = :m, checked_at = :t WHERE url = :u"),
                    {"u": url, "e": etag, "m": last_modified, "t": now},
                )
            else:
                conn.execute(
                    text("INSERT INTO feeds (url, etag, last_modified, checked_at) VALUES (:u, :e, :m, :t)"),
                    {"u": url, "e": etag, "m": last_modified, "t": now},
                )
            for link in dict.fromkeys(links):
                if not conn.execute(
                    text("SELECT 1 FROM feed_entries WHERE feed_url = :u AND link = :l"), {"u": url, "l": link}
                ).first():
                    conn.execute(
                        text("INSERT INTO feed_entries (feed_url, link, seen_at) VALUES (:u, :l, :t)"),
                        {"u": url, "l": link, "t": now},
                    )
