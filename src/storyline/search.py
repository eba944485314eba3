"""Full-text search with the database's own index: one query language on SQLite and PostgreSQL.

SQLite keeps an FTS5 index (external content: the index holds no copy of the text, it points at
the rows of the table it indexes, and triggers keep it in step with every write); PostgreSQL a
``tsvector`` column with a GIN index, filled by the store on every write. What a query means is
the same on both:

- Text is cut into words and folded exactly as SQLite's ``unicode61`` tokenizer with
  ``remove_diacritics 2`` cuts and folds it: letters and digits make words, anything else
  separates them ("covid-19" is "covid" and "19", "turnout_rate" is "turnout" and "rate"); case
  and accents do not count ("Müller" is "muller"). PostgreSQL is given the words ready cut
  (``words``), never its own parser, whose rules differ (it keeps "example.com" or "covid-19"
  whole), so both databases index the same words.
- A query is a list of words that must all appear in one document: an article (title and text)
  or an event's headline and summary. A word ending in ``*`` matches every word it begins
  ("shoot*": shooting, shooter), when at least ``SearchSettings.min_prefix_chars`` letters come
  before the star. No stemming, no stop words: "shooting" does not find "shot".
- A query without any word (only punctuation) matches nothing.

Results come ranked by each engine's relevance function (bm25 in SQLite, ``ts_rank`` in
PostgreSQL): the same events match on both, in orders that may differ where scores are close.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# -- folding: SQLite's unicode61 tokenizer, character by character -----------------------------------

_TOKENIZER = "unicode61 remove_diacritics 2"


class _FoldTable(dict):
    """``str.translate`` table: each character to what unicode61 makes of it inside a word
    (its folded self, '' when it is a mark that folding drops, ' ' when it separates words).

    Asked of SQLite itself, one character at a time as characters are first met, rather than
    written out from Unicode tables: SQLite's tables are of an older Unicode version than
    Python's (over 2,000 characters differ in category), and only SQLite's answer makes the
    PostgreSQL index agree with the FTS5 one.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(f"CREATE VIRTUAL TABLE probe USING fts5(x, tokenize='{_TOKENIZER}')")
        self._db.execute("CREATE VIRTUAL TABLE probe_words USING fts5vocab(probe, 'instance')")
        # Latin, Greek, Cyrillic and general punctuation up front: most news text is in them.
        self._learn(chr(c) for c in [*range(0x530), *range(0x2000, 0x2070)])

    def __missing__(self, code: int) -> str:
        self._learn([chr(code)])
        return self[code]

    def _learn(self, chars: Iterable[str]) -> None:
        chars = [c for c in chars if ord(c) not in self]
        with self._lock:
            # Each character between two letters: one word "aXb" if it joins them (X folded),
            # two words "a", "b" if it separates them.
            self._db.executemany(
                "INSERT INTO probe (rowid, x) VALUES (?, ?)", [(ord(c), f"a{c}b") for c in chars if c != "\x00"]
            )
            words: dict[int, list[str]] = {}
            for word, row in self._db.execute("SELECT term, doc FROM probe_words ORDER BY doc, offset"):
                words.setdefault(row, []).append(word)
            self._db.execute("DELETE FROM probe")
        for c in chars:
            found = words.get(ord(c), [])
            self[ord(c)] = found[0][1:-1] if len(found) == 1 else " "


_FOLD: _FoldTable | None = None
_FOLD_LOCK = threading.Lock()


def _fold_table() -> _FoldTable:
    global _FOLD
    with _FOLD_LOCK:
        if _FOLD is None:
            _FOLD = _FoldTable()
        return _FOLD


def words(text: str) -> list[str]:
    """The words of ``text`` as the index holds them: cut and folded as unicode61 does."""
    return text.translate(_fold_table()).split()


# -- queries ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One word of a query; ``prefix``: it matches every word that begins with it."""

    word: str
    prefix: bool = False


def parse_query(query: str, min_prefix_chars: int) -> list[Term]:
    """The terms of a user's query: its words, folded; a word written with a trailing ``*``
    (after at least ``min_prefix_chars`` characters) is a prefix. Repeated terms count once."""
    terms: dict[Term, None] = {}
    for chunk in query.split():
        found = words(chunk)
        for n, word in enumerate(found):
            prefix = n == len(found) - 1 and chunk.endswith("*") and len(word) >= min_prefix_chars
            terms.setdefault(Term(word, prefix))
    return list(terms)


def fts5_query(terms: list[Term], spelled: Mapping[Term, Sequence[str]] | None = None) -> str:
    """An FTS5 MATCH expression for ``terms``: each a quoted string (never FTS5 syntax), all
    required. A prefix given in ``spelled`` is written as the words that begin with it, any of
    them (``spelled_prefix`` says when that is worth it)."""
    spelled = spelled or {}

    def term(t: Term) -> str:
        if spelled.get(t):
            return "(" + " OR ".join(_fts5_string(word) for word in spelled[t]) + ")"
        return _fts5_string(t.word) + ("*" if t.prefix else "")

    return " AND ".join(term(t) for t in terms)


def spelled_prefix(term: Term) -> bool:
    """Whether FTS5 is better asked for the words that begin with ``term`` than for the prefix:
    a prefix longer than any prefix index makes FTS5 merge the list of every word it begins,
    whole, before the first match; words joined by OR are read together lazily, newest first,
    and a capped search stops early. In the 100k benchmark store's article index (load 2), the
    newest 500 matches of "investig*" (11 words) took 8.4 ms ranked and 4.4 ms unranked as a
    prefix, 2.6 and 0.7 ms as those words plus 1.2 ms to find them in FTS5's vocabulary."""
    return term.prefix and len(term.word) > LONGEST_PREFIX_INDEX


def _fts5_string(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def tsquery(terms: list[Term]) -> str:
    """A PostgreSQL ``tsquery`` literal for ``terms`` (cast with ``::tsquery``, no parser involved)."""
    return " & ".join(_lexeme(t.word) + (":*" if t.prefix else "") for t in terms)


# -- PostgreSQL vectors ----------------------------------------------------------------------------

# tsvector limits: positions run to 16,383 and a lexeme keeps at most 255 of them; a vector may
# hold 1 MB. Words past the last position are still indexed, without a position.
_MAX_POSITION = 16_383
_MAX_POSITIONS_PER_WORD = 255
_MAX_VECTOR_CHARS = 1_000_000


def tsvector(*texts: str) -> str:
    """A PostgreSQL ``tsvector`` literal of the words of ``texts`` (cast with ``::tsvector``)."""
    positions: dict[str, list[int]] = {}
    position = 0
    for text in texts:
        for word in words(text or ""):  # a missing title is the database's to refuse (NOT NULL)
            position += 1
            found = positions.setdefault(word, [])
            if position <= _MAX_POSITION and len(found) < _MAX_POSITIONS_PER_WORD:
                found.append(position)
    entries, size = [], 0
    for word, at in positions.items():
        entry = _lexeme(word) + (":" + ",".join(map(str, at)) if at else "")
        size += len(entry) + 1
        if size > _MAX_VECTOR_CHARS:  # only a text of well over 100,000 distinct words
            break
        entries.append(entry)
    return " ".join(entries)


def _lexeme(word: str) -> str:
    return "'" + re.sub(r"(['\\])", r"\\\1", word) + "'"


# -- SQLite FTS5 tables ----------------------------------------------------------------------------


# Prefix lengths FTS5 keeps an index of its own for: a "shoot*" reads one list of documents
# instead of merging those of every word that begins so. In an index of the 100k benchmark
# corpus's texts, the newest 500 matches of "sho*" and "shoot*" took 56 and 14 ms without them,
# under 1 ms with them, and the database grew from 506 to 892 MB. Words of 3 to 6 letters
# before the star: fewer than ``SearchSettings.min_prefix_chars`` make no prefix, and a longer
# prefix is searched as the words it begins (``spelled_prefix``).
PREFIX_INDEXES = "3 4 5 6"
LONGEST_PREFIX_INDEX = max(int(n) for n in PREFIX_INDEXES.split())


def fts5_schema(index: str, table: str, rowid: str, columns: tuple[str, ...], prefix_indexes: str = "") -> list[str]:
    """SQL that makes ``index`` an FTS5 index of ``table``'s ``columns`` (external content: rows
    known by the integer column ``rowid``; ``prefix_indexes``: FTS5's ``prefix`` option), kept
    in step by triggers on every insert, delete and update of ``table``, and filled from the rows
    already there."""
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    add = f"INSERT INTO {index} (rowid, {names}) VALUES (new.{rowid}, {new});"
    drop = f"INSERT INTO {index} ({index}, rowid, {names}) VALUES ('delete', old.{rowid}, {old});"
    prefixes = f", prefix='{prefix_indexes}'" if prefix_indexes else ""
    return [
        f"CREATE VIRTUAL TABLE {index} USING fts5({names}, content='{table}', content_rowid='{rowid}',"
        f" tokenize='{_TOKENIZER}'{prefixes})",
        f"CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN {drop} END",
        f"CREATE TRIGGER {index}_update AFTER UPDATE ON {table} BEGIN {drop} {add} END",
        f"INSERT INTO {index} ({index}) VALUES ('rebuild')",
    ]


def fts5_vocabulary(index: str) -> str:
    """SQL that makes ``{index}_words``, FTS5's list of the words in ``index`` (one row each,
    in order: a prefix's words are a range of it)."""
    return f"CREATE VIRTUAL TABLE {index}_words USING fts5vocab({index}, 'row')"


def fts5_dropped(index: str, table: str) -> list[str]:
    """SQL that drops what ``fts5_schema`` made of ``index`` on ``table``."""
    triggers = [f"DROP TRIGGER {index}_{change}" for change in ("insert", "delete", "update")]
    return [*triggers, f"DROP TABLE {index}"]
