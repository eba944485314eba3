"""spaCy over articles: the model loaded once per process, each article read in two passes, each
with only the components its use needs (measured in ``bench/facts.py``):

1. the entity recogniser over the sentences facts can use, as one document per article: the
   title and the lead (who and where), the sentences that hold a number or name a day, a month
   or a year (figures and dates; a sentence without one can give neither), and those that name
   someone or something the others do not (a capitalised word not seen yet: every spelling of
   every name is read, "Mustafa Bali" beside "Mustefa Bali"). A sentence whose names all
   appear elsewhere adds only a count, and leaving those out spares a fifth of the recogniser's
   work on local and wire stories alike. The recogniser has token vectors of its own, so the
   shared ``tok2vec`` is left out of this pass;
2. the tagger, parser and lemmatizer over only the sentences that may state a figure (a number
   that is not a date, time, amount of money or percentage, or a person's age): figures need
   the noun a number counts and the verb that governs it, nothing else does.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import import_module

from threadpoolctl import threadpool_limits

from ..lang import PACKED, pack, pack_of
from ..model import Article, Sentence
from ..sentences import is_boilerplate, split_sentences
from .aliases import AliasTable
from .figures import holds_figure

# What a sentence needs for the recogniser to be worth running on it (besides being in the lead):
# digits, number words, vague amounts, and the words a date expression is made of.
_WORTH_RECOGNISING = re.compile(
    r"\d|\b(?i:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundreds?|thousands?|millions?|billions?|dozens?|scores|today|tonight|yesterday|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
    # month names are capitalised in news; "may" and "march" in lower case are other words
    r"|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b"
)
# Lines of a page that are no reporting though the sentence splitter lets them through: a
# publication line ("(Published Friday, July 31, 2015)", "Posted: Sunday, May 12, 2013 5:16 AM"),
# a menu ("Print | View Guest Book | ...").
_PAGE_FURNITURE = re.compile(r"^\(?published\b|\|.*\||\b(?:posted|updated):", re.I)
# A capitalised word after a sentence's first: what a name is made of.
_CAPITALISED = re.compile(r"(?<=\s)[A-Z][\w'’.-]*")
_PARSING = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer")
_RECOGNISING = ("entity_ruler", "ner")
# Longer articles are read as several documents: the recogniser's memory grows with a document's
# length, and a news article is a few thousand characters.
_DOCUMENT_CHARS = 20_000
# Documents per ``nlp.pipe`` batch. Few: a batch's arrays set each analysis process's peak
# memory. On 800 GVA articles, 32 peaked at 418 MB and 8 at 339 MB, for 7 % more CPU (32.6 ->
# 34.8 s) and the same analyses; the 10k default ingest's peak over all its processes fell from
# 1,745 to 1,450 MB (scratch sampler; bench/pipeline_scale.py gives the run's figures).
_BATCH = 8
# Sentences per batch of the parsing pass. A sentence is a few dozen tokens, so 64 of them hold
# fewer than 8 articles do, and the tagger and parser's per-batch work is shared by more: on the
# 2,179 sentences of 271 GVA articles, 3.2-3.4 s of CPU against 4.4-5.5 s with 8, parses identical
# (the recogniser's own pass is cheapest at 8: 3.2 s against 3.8 s with 32).
_SENTENCE_BATCH = 64


@dataclass(frozen=True)
class Recognised:
    """A sentence the recogniser alone read: its text and its entities (spaCy ``Span`` objects of
    the article's document). Reads like a ``Doc`` where only ``text`` and ``ents`` are needed."""

    text: str
    ents: tuple


@dataclass(frozen=True)
class ParsedSentence:
    """A sentence of an article with spaCy's analysis; index -1 is the title."""

    index: int
    doc: object  # a parsed spacy.tokens.Doc, or Recognised; untyped so that importing stays cheap
    parsed: bool  # True when the tagger and parser ran on it


ENGLISH_MODEL = pack("en").spacy_model


def pipeline_of(article: Article) -> str:
    """The spaCy pipeline an article is read with: its language pack's model, or a blank
    pipeline of its language (``blank:de``) where no model fits the pinned spaCy: its names then
    come from the alias table's entity ruler alone, not from an English model misreading it."""
    found = pack_of(article)
    return found.spacy_model or f"blank:{found.code}"


@cache
def language(aliases: AliasTable, pipeline: str = ENGLISH_MODEL):
    """The spaCy ``pipeline`` (by default the English small model) with an entity ruler for
    the all-capital aliases, loaded once.

    The statistical recogniser misses short acronyms such as "IS" (it reads them as the verb);
    the ruler marks them first, and the recogniser respects entities already set.

    The model's layers multiply matrices through numpy (OpenBLAS), not thinc's default BLIS:
    on this machine's AMD EPYC cores BLIS runs its matrix products 3-4x slower, and the same
    271 GVA articles were analysed in 14.2 s of CPU instead of 20.6 s, every analysis
    identical (``bench/facts.py`` measures both).
    """
    from thinc.api import NumpyOps

    nlp = _load(pipeline)
    set_layer_ops(nlp, NumpyOps(use_blis=False))
    relabel = next((pack(c).entity_labels for c in PACKED if pack(c).spacy_model == pipeline), {})
    if relabel:
        _register_relabel()
        nlp.add_pipe("storyline_entity_labels", after="ner", config={"relabel": relabel})
    patterns = [
        {"label": label, "pattern": [{"ORTH": part} for part in alias.split()]}
        for alias, label in aliases.exact_case_aliases()
    ]
    if patterns:
        before = {"before": "ner"} if "ner" in nlp.pipe_names else {}
        ruler = nlp.add_pipe("entity_ruler", **before, config={"overwrite_ents": False})
        ruler.add_patterns(patterns)
    return nlp


def _load(pipeline: str):
    import spacy

    if pipeline.startswith("blank:"):
        code = pipeline.partition(":")[2]
        try:
            return spacy.blank(code)
        except ImportError:  # a language spaCy has no tokenizer for: the multi-language one
            return spacy.blank("xx")
    return import_module(pipeline).load()


class _Relabel:
    """Names the entities of another language's model with the English model's labels, which
    the fact stages read (``PER`` becomes ``PERSON``)."""

    def __init__(self, relabel: dict[str, str]) -> None:
        self.relabel = relabel

    def __call__(self, doc):
        from spacy.tokens import Span

        doc.ents = [Span(doc, e.start, e.end, label=self.relabel.get(e.label_, e.label_)) for e in doc.ents]
        return doc


def _relabel_factory(nlp, name: str, relabel: dict[str, str]) -> _Relabel:
    return _Relabel(relabel)


def _register_relabel() -> None:
    from spacy.language import Language

    if not Language.has_factory("storyline_entity_labels"):
        Language.factory("storyline_entity_labels", default_config={"relabel": {}})(_relabel_factory)


def set_layer_ops(nlp, ops) -> None:
    """Give every layer of every model in ``nlp`` the thinc ``ops`` that run its arithmetic."""
    from thinc.api import Model

    for _, component in nlp.pipeline:
        if isinstance(getattr(component, "model", None), Model):
            for layer in component.model.walk():
                layer.ops = ops


def parse_articles(articles: Sequence[Article], aliases: AliasTable, lead_sentences: int) -> list[list[ParsedSentence]]:
    """Each article's title and the sentences worth reading (the first ``lead_sentences``, and
    those that hold a number or a date) with spaCy's analysis, in reading order."""
    # One BLAS thread: the model's matrices are small, and a second thread spins more than it
    # helps (CPU 14.5 s against 30.2 s on 271 GVA articles); where several analyses run at once,
    # each has a core of its own.
    with threadpool_limits(1, user_api="blas"):
        by_pipeline: dict[str, list[int]] = {}
        for number, article in enumerate(articles):
            by_pipeline.setdefault(pipeline_of(article), []).append(number)
        parsed: list[list[ParsedSentence]] = [[] for _ in articles]
        for pipeline, numbers in by_pipeline.items():
            found = _parse([articles[n] for n in numbers], language(aliases, pipeline), lead_sentences)
            for number, sentences in zip(numbers, found, strict=True):
                parsed[number] = sentences
        return parsed


def _parse(articles: Sequence[Article], nlp, lead_sentences: int) -> list[list[ParsedSentence]]:
    pieces = [(number, chunk) for number, article in enumerate(articles) for chunk in _chunks(article, lead_sentences)]
    recognised = nlp.pipe(
        (text for _, (text, _) in pieces), batch_size=_BATCH, disable=[p for p in nlp.pipe_names if p in _PARSING]
    )
    parsed: list[list[ParsedSentence]] = [[] for _ in articles]
    to_parse: list[tuple[int, int]] = []  # (article number, position in its list)
    for (number, (text, offsets)), doc in zip(pieces, recognised, strict=True):
        # ``Doc.ents`` and ``Doc.text`` are built anew on every access, from every token of the
        # document: read once per document, not once per sentence.
        entities = doc.ents
        starts = [e.start_char for e in entities]
        for index, start, end in offsets:
            first, last = bisect_left(starts, start), bisect_left(starts, end)
            sentence = Recognised(text[start:end], tuple(e for e in entities[first:last] if e.end_char <= end))
            span = doc.char_span(start, end, alignment_mode="expand")
            if index >= 0 and holds_figure(span, sentence.ents):
                to_parse.append((number, len(parsed[number])))
                sentence = span.as_doc()
            parsed[number].append(ParsedSentence(index=index, doc=sentence, parsed=False))
    docs = nlp.pipe(
        (parsed[n][k].doc for n, k in to_parse),
        batch_size=_SENTENCE_BATCH,
        disable=[p for p in nlp.pipe_names if p in _RECOGNISING],
    )
    for (number, k), doc in zip(to_parse, docs, strict=True):
        parsed[number][k] = ParsedSentence(index=parsed[number][k].index, doc=doc, parsed=True)
    return parsed


def _chunks(article: Article, lead_sentences: int) -> Iterator[tuple[str, list[tuple[int, int, int]]]]:
    """The sentences of the article worth reading as documents of at most about ``_DOCUMENT_CHARS``
    characters: each a text and the (sentence index, start, end) of the sentences in it, the title
    first (index -1)."""
    title = " ".join(article.title.split())
    pending = [(-1, title)] if title else []
    pending += [(s.position, s.text) for s in _worth_reading(split_sentences(article), lead_sentences, title)]
    text, offsets = "", []
    for index, sentence in pending:
        if offsets and len(text) + len(sentence) > _DOCUMENT_CHARS:
            yield text, offsets
            text, offsets = "", []
        if offsets:
            # a line break of its own, not a space: a sentence cut out of the document (``as_doc``)
            # keeps no trailing space, and the title stands apart from the body
            text += "\n\n" if offsets[-1][0] < 0 else "\n"
        offsets.append((index, len(text), len(text) + len(sentence)))
        text += sentence
    if offsets:
        yield text, offsets


def _worth_reading(sentences: Sequence[Sentence], lead_sentences: int, title: str) -> list[Sentence]:
    """The sentences the recogniser reads, in order: the lead, those with a number or a date
    word, and those with a capitalised word that neither these nor an earlier one have. Page
    furniture ("Copyright 2015 WGCL-TV") is no reporting: it is never read."""
    sentences = [s for s in sentences if not (is_boilerplate(s.text) or _PAGE_FURNITURE.search(s.text))]
    chosen = [s.position < lead_sentences or bool(_WORTH_RECOGNISING.search(s.text)) for s in sentences]
    seen = set(title.split()) | {
        w for s, c in zip(sentences, chosen, strict=True) if c for w in _CAPITALISED.findall(s.text)
    }
    for k, sentence in enumerate(sentences):
        if not chosen[k] and (names := set(_CAPITALISED.findall(sentence.text)) - seen):
            chosen[k] = True
            seen |= names
    return [s for s, c in zip(sentences, chosen, strict=True) if c]
