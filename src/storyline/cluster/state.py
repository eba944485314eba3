"""What the online grouping learned, in a form that outlives the process.

The event clusterer and the story linker are online learners (``partial_fit``): what they hold
after a batch is all the next batch needs. ``grouping.py`` keeps it in the store so that an
ingest continues it instead of replaying every stored article. The state comes in two parts:

- the *head*: statistics and indexes that every new article reads (term and name document
  frequencies, the recent-articles pool, name postings, events' and stories' summaries);
- the clusterer's *views* (one per article), in blocks of ``BLOCK_ROWS`` rows, read only when a
  new article's candidates reach them (``ViewBlocks``) and written only when they change: an
  ingest of 20 articles reads the pool's recent blocks and those its names point to, and writes
  the last block or two, whatever the store holds.

Both are pickled, and read back through an unpickler that only builds the types listed in
``_ALLOWED``: a store is data, and reading one must never run code named in it.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable, Iterator
from typing import Any

BLOCK_ROWS = 1_000
"""Views per stored block: small enough that an ingest rewrites little (the block being filled),
large enough that a store of 100,000 articles is 100 rows, not 100,000."""

# (module, name) of every type a stored state may hold: containers, numpy arrays, and the
# clusterer's and linker's own plain record types.
_ALLOWED = {
    ("builtins", "frozenset"),
    ("builtins", "set"),
    ("collections", "Counter"),
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.numeric", "_frombuffer"),
    ("storyline.cluster.features", "ArticleView"),
    ("storyline.cluster.features", "TermVector"),
    ("storyline.cluster.features", "NameStatistics"),
    ("storyline.cluster.events", "_Pool"),
    ("storyline.cluster.events", "_Events"),
    ("storyline.cluster.stories", "_Stories"),
}


class _StateUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"a grouping state may not hold {module}.{name}")
        return super().find_class(module, name)


def dumps(value: Any) -> bytes:
    """``value`` as bytes for the store."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes) -> Any:
    """What ``dumps`` wrote; refuses any type a grouping state does not hold."""
    return _StateUnpickler(io.BytesIO(data)).load()


class ViewBlocks:
    """A list of the clusterer's article views, kept in blocks of ``BLOCK_ROWS`` that are read
    on first use (``load(block)`` gives a stored block's views) and remembered as changed when
    a view is added or let go of its text (``changed()``).

    ``forget_before``: views below this row left the recent pool before they were stored with
    their text; they are let go of it as their block is read, as the pool would have done.
    """

    def __init__(self, length: int = 0, load: Callable[[int], list] | None = None, forget_before: int = 0) -> None:
        self._length = length
        self._load = load
        self._blocks: dict[int, list] = {}
        self._changed: set[int] = set()
        self._forget_before = forget_before

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, row: int):
        if not 0 <= row < self._length:
            raise IndexError(row)
        return self._block(row // BLOCK_ROWS)[row % BLOCK_ROWS]

    def __iter__(self) -> Iterator:
        return (self[row] for row in range(self._length))

    def append(self, view) -> None:
        number = self._length // BLOCK_ROWS
        self._block(number).append(view)
        self._changed.add(number)
        self._length += 1

    def forget_text(self, row: int) -> None:
        """Let the view of ``row`` go of its term vectors (it left the recent pool)."""
        self[row].forget_text()
        self._changed.add(row // BLOCK_ROWS)

    def changed(self) -> dict[int, list]:
        """The blocks changed since the last call, by number: what must be stored."""
        found = {number: self._blocks[number] for number in sorted(self._changed)}
        self._changed.clear()
        return found

    def loaded(self) -> int:
        """How many blocks are in memory (for tests and benches: what an ingest read)."""
        return len(self._blocks)

    def _block(self, number: int) -> list:
        block = self._blocks.get(number)
        if block is None:
            stored = number * BLOCK_ROWS < self._length and self._load is not None
            block = self._load(number) if stored else []
            start = number * BLOCK_ROWS
            for offset in range(max(0, min(len(block), self._forget_before - start))):
                block[offset].forget_text()
            self._blocks[number] = block
        return block
