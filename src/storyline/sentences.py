"""Split article text into sentences that remember where they came from."""

from __future__ import annotations

import re

import blingfire

from .model import Article, Sentence

_PARAGRAPH_BREAK = re.compile(r"\n+")
# Scraped pages lose the space between paragraphs: "TMZ has learned.We've learned ...".
_GLUED_SENTENCES = re.compile(r"(?<=[a-z][.!?])(?=[A-Z][a-z])")
# A JSON "\\ud800" escape leaves a lone surrogate, which blingfire cannot encode as UTF-8.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Where the story was filed, not part of what it says: "GENEVA - ", "WASHINGTON (Reuters) — ",
# "PHOENIX _ " (NYT wire), "GENEVA, January 28 (Xinhua) -- ", "PINE RIDGE, S.D. (AP) -- ",
# "NEW BEDFORD, Mass. — " (a state as the AP abbreviates it).
_DATELINE = re.compile(
    r"^[A-Z][A-Z .,'/]{1,40}(?:,\s+[A-Z][a-z]{1,5}\.)?(?:,\s+[A-Z][a-z]+\.?\s+\d{1,2})?\s*(?:\([^)]{1,40}\))?\s+"
    r"(?:[-–—]+|_)\s+(?=[A-Z\"“'`])"
)
# Page furniture and bylines that scraped pages and wire copy put among the sentences.
_BOILERPLATE = re.compile(
    r"^(?:by\s+[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3}\s*$|reporting by|editing by|writing by|additional reporting"
    r"|photo(?:graph)?:|image:|credit:|source:|related:|read more|click here|sign up|subscribe|follow us|share this"
    r"|advertisement|copyright|\(c\)|©)"
    r"|all rights reserved|associated press writer|contributed to this report|newsletter|cookies?\b.*\b(?:use|policy)"
    r"|(?:https?://|www\.)\S+|\S+@\S+\.\w+|terms of (?:use|service)|privacy policy|javascript|your browser",
    re.I,
)


def is_boilerplate(text: str) -> bool:
    """Whether a line is a byline, a credit, a link or page furniture rather than reporting."""
    return bool(_BOILERPLATE.search(text))


def split_sentences(article: Article) -> list[Sentence]:
    """The sentences of an article's body, numbered from 0 in reading order.

    Lines are split first: scraped pages put headlines and boilerplate on lines of their own
    without end punctuation, and a sentence splitter would glue them to the next sentence.
    """
    sentences: list[Sentence] = []
    for paragraph in _PARAGRAPH_BREAK.split(article.text):
        paragraph = _LONE_SURROGATE.sub("\ufffd", paragraph)
        paragraph = _DATELINE.sub("", " ".join(_GLUED_SENTENCES.sub(" ", paragraph).split()))
        if not paragraph:
            continue
        for text in blingfire.text_to_sentences(paragraph).split("\n"):
            if text.strip():
                sentences.append(Sentence.cited(text.strip(), article, len(sentences)))
    return sentences
