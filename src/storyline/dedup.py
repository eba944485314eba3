"""Exact duplicates: the same article arriving twice, under the same or another id."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from .model import Article

_NON_WORD = re.compile(r"\W+")


def content_hash(text: str) -> str:
    """A hash of the text that ignores case, punctuation and spacing, so re-encoded copies match."""
    normalised = _NON_WORD.sub(" ", text.lower()).strip()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


class ExactDuplicates:
    """Remembers the ids and content hashes seen so far; ``is_new`` answers and records."""

    def __init__(self, ids: Iterable[str] = (), hashes: Iterable[str] = ()) -> None:
        self.ids = set(ids)
        self.hashes = set(hashes)

    def is_new(self, article: Article) -> bool:
        digest = content_hash(article.text)
        if article.id in self.ids or digest in self.hashes:
            return False
        self.ids.add(article.id)
        self.hashes.add(digest)
        return True
