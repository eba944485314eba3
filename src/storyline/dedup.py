"""Duplicates: the same article arriving twice (exact), and syndicated copies of one story (near).

An exact duplicate (same id, or same text once case, punctuation and spacing are ignored) is not
stored twice. A near duplicate, typically one wire story republished by many sites with a new
headline, a dateline or a trailing paragraph, is kept as coverage of its event but marked as a
copy of the first article seen with that text, so that it is never counted as an independent
source. Near copies are found with MinHash LSH over word shingles (datasketch).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from .config import DedupSettings
from .model import Article

if TYPE_CHECKING:
    from datasketch import MinHash

_NON_WORD = re.compile(r"\W+")


def normalised_words(text: str) -> list[str]:
    """Lower-case words without punctuation: the form both dedup tests compare."""
    return _NON_WORD.sub(" ", text.lower()).split()


def content_hash(text: str) -> str:
    """A hash of the text that ignores case, punctuation and spacing, so re-encoded copies match."""
    return hashlib.sha256(" ".join(normalised_words(text)).encode("utf-8")).hexdigest()


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


class NearDuplicates:
    """Finds, for each article, an earlier article whose text it nearly copies.

    ``original_of(article)`` answers and records the article, so articles must be given in the
    order they should be considered originals (time order). Texts shorter than
    ``settings.min_words`` are never called copies: two one-line items that share a headline
    are two reports, not one syndicated story.
    """

    def __init__(self, settings: DedupSettings = DedupSettings()) -> None:
        # datasketch loads SciPy (a second): imported by those who look for copies, not by every
        # reader of the store (which needs content_hash alone).
        from datasketch import MinHash, MinHashLSH

        self.settings = settings
        self._minhash = MinHash
        self.lsh = MinHashLSH(threshold=settings.jaccard, num_perm=settings.num_perm)
        self.signatures: dict[str, MinHash] = {}
        self.originals: dict[str, str] = {}  # copy id -> original id
        self.arrival: dict[str, int] = {}  # article id -> order recorded
        # Drawn once: MinHash draws its permutations from the seed again for every signature,
        # 0.19 ms each, a fifth of a signature's cost (a rebuild signs every stored article).
        first = MinHash(num_perm=settings.num_perm, seed=1)
        self._permutations, self._scheme = first.permutations, first.scheme

    def signature(self, words: Sequence[str]) -> MinHash:
        size = self.settings.shingle_words
        shingles = {" ".join(words[i : i + size]).encode("utf-8") for i in range(max(1, len(words) - size + 1))}
        minhash = self._minhash(self.settings.num_perm, seed=1, permutations=self._permutations, scheme=self._scheme)
        minhash.update_batch(list(shingles))
        return minhash

    def original_of(self, article: Article) -> str | None:
        """The id of the earliest recorded article that ``article`` copies, or None; then records it."""
        if article.id in self.signatures:
            return self.originals.get(article.id)
        words = normalised_words(article.text)
        if len(words) < self.settings.min_words:
            return None
        signature = self.signature(words)
        matches = [
            m for m in self.lsh.query(signature) if signature.jaccard(self.signatures[m]) >= self.settings.jaccard
        ]
        self.lsh.insert(article.id, signature)
        self.signatures[article.id] = signature
        self.arrival[article.id] = len(self.arrival)
        if not matches:
            return None
        # The copy of a copy points to the first original, so a story's copies form one star.
        original = min(matches, key=self.arrival.__getitem__)
        original = self.originals.get(original, original)
        self.originals[article.id] = original
        return original


def mark_copies(articles: Sequence[Article], settings: DedupSettings = DedupSettings()) -> dict[str, str]:
    """Set ``copy_of`` on every article (in time order) that nearly copies an earlier one;
    return the copy -> original map."""
    finder = NearDuplicates(settings)
    for article in articles:
        article.copy_of = finder.original_of(article) or ""
    return dict(finder.originals)
