"""Language packs: what is specific to one language, in one module per language.

A stage never names a language: it asks ``pack_of(article)`` (or ``pack(code)``) for the pack of
the article's stored language and reads its stop words, month names, number words, attribution
verbs and spaCy model from there. English is one pack among the others. A language without a
pack gets ``generic(code)``: spaCy's stop words for it where spaCy has them, no month names or
number words, no model; such articles still group and summarise (the dense vectors, the names
and the figures written in digits need no pack).

The language itself comes from ``identify``: py3langid (langid.py's model, shipped inside the
package, 97 languages, about 0.2 ms an article here) on the title and lead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import import_module

from ..model import Article

PACKED = ("en", "fr", "es", "de")
"""The languages with a pack of their own (``storyline.lang.<code>``)."""
UNKNOWN = "und"
"""ISO 639's "undetermined": what ``identify`` returns for text it cannot tell (too short)."""
_IDENTIFY_CHARS = 400  # title and lead: 99.9% right on SemEval 2022 testing texts, 1 ms (1,500: 2 ms)
_MIN_LETTERS = 12  # below this, langid guesses; the page's declared language is better


@dataclass(frozen=True)
class LanguagePack:
    """Everything the stages read that depends on the language of the text."""

    code: str  # ISO 639-1
    name: str  # in English, for notes and pages
    stop_words: frozenset[str]
    months: tuple[str, ...] = ()  # twelve lower-case month names, January first
    month_abbreviations: dict[str, int] = field(default_factory=dict)  # "janv" -> 1
    weekdays: tuple[str, ...] = ()  # seven lower-case names, Monday first
    number_words: dict[str, int] = field(default_factory=dict)  # "deux" -> 2
    scales: dict[str, int] = field(default_factory=dict)  # "millions" -> 1_000_000
    counted_nouns: frozenset[str] = frozenset()  # what a figure counts: "morts", "personnes"
    attribution_verbs: frozenset[str] = frozenset()  # lemmas: "dire", "annoncer"
    abbreviations: frozenset[str] = frozenset()  # that end with a dot but not the sentence
    spacy_model: str = ""  # importable spaCy pipeline fitting the pinned spaCy; "" when none
    date_order: str = "DMY"  # how a numeric date reads (dateparser's DATE_ORDER)
    other_not_names: frozenset[str] = frozenset()  # capitalised words that are no names: "Police"
    entity_labels: dict[str, str] = field(default_factory=dict)  # its model's labels -> OntoNotes ones

    @cached_property
    def not_names(self) -> frozenset[str]:
        """Capitalised words that are no names: stop words, months, weekdays, titles of address."""
        return self.stop_words | frozenset(self.months) | frozenset(self.weekdays) | self.other_not_names

    def month_number(self, word: str) -> int:
        """1-12 for a month name or abbreviation of this language, 0 otherwise."""
        word = word.lower().rstrip(".")
        if word in self.months:
            return self.months.index(word) + 1
        return self.month_abbreviations.get(word, 0)

    def number_of(self, word: str) -> int | None:
        """The value of a number word ("zwei", "douze"), None when it is not one."""
        return self.number_words.get(word.lower())


@cache
def pack(code: str) -> LanguagePack:
    """The pack of ISO 639-1 ``code``; a generic one for a language without its own."""
    code = (code or "").lower()[:2]
    if code in PACKED:
        return import_module(f"{__name__}.{code}").PACK
    return generic(code)


def pack_of(article: Article) -> LanguagePack:
    """The pack of an article's stored language (English when none was stored)."""
    return pack(article.language or "en")


def has_pack(code: str) -> bool:
    return (code or "").lower()[:2] in PACKED


@cache
def generic(code: str) -> LanguagePack:
    """A pack for a language with none of its own: spaCy's stop words where it has them."""
    try:
        from spacy.util import get_lang_class

        stop_words = frozenset(get_lang_class(code).Defaults.stop_words)
    except (ImportError, KeyError, AttributeError, ValueError):  # spaCy knows no such language
        stop_words = frozenset()
    return LanguagePack(code=code or UNKNOWN, name=code or UNKNOWN, stop_words=stop_words)


def spacy_stop_words(code: str) -> frozenset[str]:
    """spaCy's stop word list of ``code``: maintained per language, and already installed."""
    return frozenset(import_module(f"spacy.lang.{code}.stop_words").STOP_WORDS)


_LETTER = re.compile(r"[^\W\d_]")


def identify(title: str, text: str, declared: str = "") -> str:
    """The ISO 639-1 code of the language ``title`` and ``text`` are written in.

    Detected from the text itself, since pages often declare the site's language rather than the
    article's; the declared one (``<html lang>``, a record's field) is taken when the text is too
    short to tell, and ``UNKNOWN`` when there is neither."""
    sample = f"{title}\n{text[:_IDENTIFY_CHARS]}"
    if len(_LETTER.findall(sample)) < _MIN_LETTERS:
        return (declared or UNKNOWN).lower()[:2] if declared else UNKNOWN
    import py3langid  # loads its model (0.8 s) on first use only

    return py3langid.classify(sample)[0]
