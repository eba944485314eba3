"""Split article text into sentences that remember where they came from."""

from __future__ import annotations

import re

import blingfire

from .model import Article, Sentence

_PARAGRAPH_BREAK = re.compile(r"\n+")
# "GENEVA - ", "WASHINGTON (Reuters) — ": where the story was filed, not part of what it says.
_DATELINE = re.compile(r"^[A-Z][A-Z .,'/]{1,40}(?:\([^)]{1,40}\))?\s+[-–—]+\s+(?=[A-Z\"“])")


def split_sentences(article: Article) -> list[Sentence]:
    """The sentences of an article's body, numbered from 0 in reading order.

    Lines are split first: scraped pages put headlines and boilerplate on lines of their own
    without end punctuation, and a sentence splitter would glue them to the next sentence.
    """
    sentences: list[Sentence] = []
    for paragraph in _PARAGRAPH_BREAK.split(article.text):
        paragraph = _DATELINE.sub("", " ".join(paragraph.split()))
        if not paragraph:
            continue
        for text in blingfire.text_to_sentences(paragraph).split("\n"):
            if text.strip():
                sentences.append(
                    Sentence(
                        text=text.strip(),
                        article_id=article.id,
                        position=len(sentences),
                        source=article.source,
                        url=article.url,
                        published=article.published,
                    )
                )
    return sentences
