"""Duplicates: the same article arriving twice (exact), and syndicated copies of one story (near).

An exact duplicate (same id, or same text once case, punctuation and spacing are ignored) is not
stored twice. A near duplicate, typically one wire story republished by many sites with a new
headline, a dateline or a trailing paragraph, is kept as coverage of its event but marked as a
copy of the first article seen with that text, so that it is never counted as an independent
source. Near copies are found with MinHash LSH over word shingles (datasketch's MinHash).

Near copies are found online: ``CopyFinder`` looks for the originals of an ingest's new articles
among those stored before (a ``SignatureIndex``, which the store implements) and among the earlier
new ones, reading only the stored signatures that share an LSH band with a new article, so an
ingest costs what it adds. It gives the rows to store, from which the next ingest continues.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, Protocol

import numpy as np

from .config import DedupSettings
from .model import Article

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


# -- near duplicates ------------------------------------------------------------------------------

# datasketch's default permutation scheme, named because reused permutations must say theirs.
_SCHEME = "affine32"


def signature_of(text: str, settings: DedupSettings = DedupSettings()) -> np.ndarray:
    """The MinHash signature of ``text``'s shingles of ``settings.shingle_words`` words:
    ``settings.num_perm`` uint32 values, all zeros for a text of fewer than
    ``settings.min_words`` words (two one-line items that share a headline are two reports,
    not one syndicated story, so such a text is never a copy)."""
    signature = np.zeros(settings.num_perm, dtype=np.uint32)
    words = normalised_words(text)
    if len(words) < settings.min_words:
        return signature
    # datasketch loads SciPy (a second): imported by those who look for copies, not by every
    # reader of the store (which needs content_hash alone).
    from datasketch import MinHash

    size = settings.shingle_words
    shingles = {" ".join(words[i : i + size]).encode("utf-8") for i in range(max(1, len(words) - size + 1))}
    minhash = MinHash(settings.num_perm, seed=1, permutations=_permutations(settings.num_perm), scheme=_SCHEME)
    minhash.update_batch(list(shingles))
    signature[:] = minhash.hashvalues  # affine32 keeps every value below 2**32
    return signature


@lru_cache
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    # Drawn once per process: MinHash draws its permutations from the seed again for every
    # signature, 0.19 ms each, a fifth of a signature's cost (a rebuild signs every article).
    from datasketch import MinHash

    return MinHash(num_perm, seed=1, scheme=_SCHEME).permutations


@lru_cache
def lsh_bands(settings: DedupSettings = DedupSettings()) -> tuple[int, int]:
    """(bands, rows per band) of the LSH over signatures for ``settings.jaccard``: of all
    choices with bands * rows at most ``num_perm``, the one with the least sum of the chance to
    propose a pair below the threshold and the chance to miss one above it.

    A pair of Jaccard ``s`` shares a band with probability ``1 - (1 - s**rows)**bands``; the two
    chances are the areas under that curve below the threshold and above it under its
    complement. This is MinHashLSH's own criterion with equal weights, so the candidates are
    those datasketch's ``MinHashLSH(threshold=jaccard)`` finds: (14, 9) for 0.7 and 128.
    """
    from scipy.integrate import quad

    def share(s: float, bands: int, rows: int) -> float:
        return 1 - (1 - s**rows) ** bands

    def unshared(s: float, bands: int, rows: int) -> float:
        return (1 - s**rows) ** bands

    best, best_error = (1, 1), float("inf")
    for bands in range(1, settings.num_perm + 1):
        for rows in range(1, settings.num_perm // bands + 1):
            proposed, _ = quad(share, 0.0, settings.jaccard, args=(bands, rows))
            missed, _ = quad(unshared, settings.jaccard, 1.0, args=(bands, rows))
            if proposed + missed < best_error:
                best, best_error = (bands, rows), proposed + missed
    return best


def band_keys(signature: np.ndarray, settings: DedupSettings = DedupSettings()) -> list[str]:
    """The LSH band keys of a signature, ``"<band>:<hex hash of the band's values>"``, one per
    band of ``lsh_bands(settings)``; none for a short text's zeros. Articles that share a key
    are candidate copies."""
    if not signature.any():
        return []
    bands, rows = lsh_bands(settings)
    values = np.ascontiguousarray(signature[: bands * rows], dtype="<u4").reshape(bands, rows)
    # 64 bits of hash: two different bands that collide only add a candidate, which is then
    # verified on the signatures.
    return [f"{band}:{hashlib.blake2b(values[band].tobytes(), digest_size=8).hexdigest()}" for band in range(bands)]


class StoredSignature(NamedTuple):
    """An article's signature as an index holds it."""

    article_id: str
    arrival: int
    """The order the grouping read it in."""
    signature: np.ndarray
    original_id: str
    """The article it copies, '' for none."""
    original_arrival: int
    """The arrival of ``original_id`` (the article's own when it has none): its group's first."""


@dataclass(frozen=True)
class SignatureRow:
    """What an index keeps of a new article: its signature, its original ('' for none) and its
    band keys (none for a short text)."""

    article_id: str
    arrival: int
    signature: np.ndarray
    original_id: str
    band_keys: tuple[str, ...]


class SignatureIndex(Protocol):
    """The signatures of the articles grouped before, found by band key (the store is one)."""

    def signature_candidates(self, band_keys: Sequence[str]) -> list[StoredSignature]:
        """The stored signatures that have at least one of ``band_keys``, each once."""
        ...


class CopyFinder:
    """Finds which new articles nearly copy an earlier one: one of ``index`` (all arrived before
    the new ones) or an earlier new one.

    A candidate (an article sharing a band key) is a copy when its estimated Jaccard, the share
    of equal MinHash values, reaches ``settings.jaccard``. Copies are the connected components
    of those pairs, and each points to its component's first-arrived article, so a copy of a
    copy points to the first original. Over a single batch this is the grouping of the whole
    stream at once. Over several, one thing differs: stored originals are never rewritten. When
    a new article copies members of two stored groups, the new articles of the joined group
    point to the earlier group's original, while the later group's stored members keep their
    own, and a later batch's copy of one of those still points to it.
    """

    def __init__(self, index: SignatureIndex, settings: DedupSettings = DedupSettings()) -> None:
        self.index = index
        self.settings = settings

    def find_copies(
        self, article_ids: Sequence[str], signatures: np.ndarray, first_arrival: int = 0
    ) -> list[SignatureRow]:
        """For new articles in time order (none of them in the index yet) and their signatures
        (``signature_of``, one row each), the rows for the index, each with its article's
        original ('' for none). Arrivals are numbered from ``first_arrival``, which follows the
        index's last.

        Only the index's signatures that share a band key with a new article are read, in one
        call, so the cost follows the new articles and their candidates, not the index's size.
        """
        if len(article_ids) != len(signatures) or signatures.shape[1:] != (self.settings.num_perm,):
            raise ValueError(f"expected one signature of {self.settings.num_perm} values per article")
        if not article_ids:
            return []
        keys = [band_keys(signature, self.settings) for signature in signatures]
        wanted = {key for article_keys in keys for key in article_keys}
        stored_by_key: dict[str, list[StoredSignature]] = {}
        for stored in self.index.signature_candidates(sorted(wanted)):
            for key in wanted.intersection(band_keys(stored.signature, self.settings)):
                stored_by_key.setdefault(key, []).append(stored)
        # Graph nodes: the stored originals that new articles copy, then the new articles.
        stored_originals: dict[str, int] = {}  # id -> arrival
        edges: list[tuple[str | int, int]] = []  # (stored original id or new row, new row)
        new_by_key: dict[str, list[int]] = {}
        for row, (signature, article_keys) in enumerate(zip(signatures, keys, strict=True)):
            stored = list({s.article_id: s for key in article_keys for s in stored_by_key.get(key, ())}.values())
            earlier = sorted({r for key in article_keys for r in new_by_key.get(key, ())})
            candidates = [s.signature for s in stored] + [signatures[r] for r in earlier]
            if candidates:
                agree = (np.vstack(candidates) == signature).mean(axis=1) >= self.settings.jaccard
                for s in itertools.compress(stored, agree[: len(stored)]):
                    stored_originals[s.original_id or s.article_id] = s.original_arrival
                    edges.append((s.original_id or s.article_id, row))
                edges += [(r, row) for r in itertools.compress(earlier, agree[len(stored) :])]
            for key in article_keys:
                new_by_key.setdefault(key, []).append(row)
        originals = self._originals(article_ids, stored_originals, edges)
        return [
            SignatureRow(article_id, first_arrival + row, signatures[row], originals[row], tuple(keys[row]))
            for row, article_id in enumerate(article_ids)
        ]

    @staticmethod
    def _originals(
        article_ids: Sequence[str], stored_originals: dict[str, int], edges: Sequence[tuple[str | int, int]]
    ) -> list[str]:
        """Each new article's original: the first-arrived node of its connected component."""
        from scipy import sparse
        from scipy.sparse.csgraph import connected_components

        # Stored originals first, in arrival order, then the new articles: a lower node number
        # is an earlier arrival, so a component's first article is its lowest node.
        names = sorted(stored_originals, key=lambda name: (stored_originals[name], name)) + list(article_ids)
        node = {name: n for n, name in enumerate(names[: len(stored_originals)])}
        offset, count = len(stored_originals), len(names)
        left = [node[a] if isinstance(a, str) else offset + a for a, _ in edges]
        right = [offset + b for _, b in edges]
        graph = sparse.coo_matrix((np.ones(len(edges)), (left, right)), shape=(count, count))
        _, component = connected_components(graph, directed=False)
        first = np.full(component.max() + 1, count)
        np.minimum.at(first, component, np.arange(count))
        leaders = first[component[offset:]]
        return [names[lead] if lead != offset + row else "" for row, lead in enumerate(leaders)]


class MemorySignatureIndex:
    """A ``SignatureIndex`` in memory: for a grouping without a store (``storyline cluster``)."""

    def __init__(self) -> None:
        self._rows: dict[str, SignatureRow] = {}
        self._by_key: dict[str, list[str]] = {}

    def add(self, rows: Iterable[SignatureRow]) -> None:
        """Keep ``rows`` (``CopyFinder.find_copies``'s), as a store keeps them."""
        for row in rows:
            self._rows[row.article_id] = row
            for key in row.band_keys:
                self._by_key.setdefault(key, []).append(row.article_id)

    def signature_candidates(self, band_keys: Sequence[str]) -> list[StoredSignature]:
        found = dict.fromkeys(a for key in band_keys for a in self._by_key.get(key, ()))
        return [self._stored(self._rows[article_id]) for article_id in found]

    def _stored(self, row: SignatureRow) -> StoredSignature:
        original = self._rows.get(row.original_id)
        arrival = original.arrival if original is not None else row.arrival
        return StoredSignature(row.article_id, row.arrival, row.signature, row.original_id, arrival)


def mark_copies(articles: Sequence[Article], settings: DedupSettings = DedupSettings()) -> dict[str, str]:
    """Set ``copy_of`` on every article (in time order) that nearly copies an earlier one of
    ``articles``; return the copy -> original map."""
    signatures = np.zeros((len(articles), settings.num_perm), dtype=np.uint32)
    for row, article in enumerate(articles):
        signatures[row] = signature_of(article.text, settings)
    rows = CopyFinder(MemorySignatureIndex(), settings).find_copies([a.id for a in articles], signatures)
    for article, row in zip(articles, rows, strict=True):
        article.copy_of = row.original_id
    return {row.article_id: row.original_id for row in rows if row.original_id}
