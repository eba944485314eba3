"""Learned boilerplate removal: lines that repeat across different stories are not news.

trafilatura removes the page furniture it can recognise from markup (menus, footers, comment
sections). What survives inside the article container is text that *looks* like article text:
"Latest News", "Share this article", "Sign up for our newsletter", "Photo: AP", a comment policy,
an author bio. No list of phrases can keep up with every outlet, but all of these share one
property: the same line comes back on many pages that tell different stories. A
``BoilerplateModel`` learns exactly that, per site and across the corpus, and ``transform``
drops the lines it has learned.

This is written by hand because it is the product's own idea; no library learns line-level
repetition across a news stream.

Where the learned state lives: in memory, for one ingest run (learned over batches of
``CleanSettings.batch_documents`` before they are stored) or for the life of one ``watch``
process, which keeps learning poll after poll. Not in the store: the statistics grow with every
distinct line ever seen, and they can always be relearned from the raw documents the store keeps.
The price is that a run of a few pages learns little (two files teach nothing); the summary stage
filters short lines such as "Latest News" on its own.

Two cautions shape the statistics:

- Syndication. A wire story republished by ten outlets repeats every one of its lines on ten
  sites. Repetition is therefore counted over distinct *stories*, not pages: a page's story is
  the fingerprint of its two longest lines, so copies of one story count once.
- Templates. "More news: <headline>" or "Photo: <name>/Reuters" never repeat verbatim, but their
  lead ("more news", "photo") does. The lead of a short line (a few words and a colon) is learned
  like a line, and a short line is dropped when its lead has been learned.

Titles have boilerplate of their own: the site's tail ("... - wave3.com-Louisville News, Weather &
Sports", "... :: WRAL.com"). It is learned the same way, per site: an ending after a separator
that distinct titles of one site share. It is removed here, where titles enter, so that every
headline chosen from titles, and every page, feed and listing that shows one, reads the cleaned
title; the raw title stays in the raw bytes the store keeps. Learning it per run rather than from
the titles stored so far keeps one learner with one life cycle for all boilerplate, and the
stored titles are the cleaned ones, so they could not teach it anyway. The price is the same as
for lines: a site with fewer than ``CleanSettings.title_tail_min_titles`` titles in a run keeps
its tail.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .config import CleanSettings
from .model import Article

_NON_WORD = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")
# A template's lead: a few words at the start of a line, then a colon and a space ("Photo: ...",
# "Related: ..."); "http://" is no lead.
_LEAD = re.compile(r"^\s*([^:]{1,40}?)\s*:\s")


# Learning and cleaning a batch fingerprint each line twice, and boilerplate lines recur on
# every page: the cache halves the cleaning time of the Scrapinghub pages.
@functools.lru_cache(maxsize=1 << 15)
def line_fingerprint(line: str) -> str:
    """What identifies a line across pages: case, digits, punctuation and spacing ignored.

    Digits are folded so that "Posted 3 hours ago" and "Posted 5 hours ago" are one line.
    """
    return _fingerprint(line, fold_digits=True)


def title_fingerprint(text: str) -> str:
    """What identifies a title, or its ending, across one site's pages: case, punctuation and
    spacing ignored, digits kept, since "... - 3 dead" and "... - 2 dead" are news, not a tail."""
    return _fingerprint(text, fold_digits=False)


def _fingerprint(text: str, fold_digits: bool) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    if fold_digits:
        folded = _DIGITS.sub("0", folded)
    key = _NON_WORD.sub(" ", folded).strip()
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest() if key else ""


def lead_fingerprint(line: str, max_words: int, max_line_words: int) -> str:
    """The fingerprint of a short line's template lead ("Photo" in "Photo: Jane Doe/AP"), or ''.

    Only short lines have one: "Smith said: ..." opening a long paragraph is reporting, and a
    dateline ("LONDON (Reuters) - ...") is no lead at all.
    """
    match = _LEAD.match(line)
    if not match or len(match.group(1).split()) > max_words or len(line.split()) > max_line_words:
        return ""
    return "lead:" + line_fingerprint(match.group(1))


@dataclass
class _Counts:
    """Per key (a line or lead fingerprint): the distinct stories and sites it was seen in."""

    stories: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    sites: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


class BoilerplateModel:
    """Learns which lines are boilerplate from their repetition over different stories.

    ``partial_fit`` may be called batch after batch (a stream, a ``watch`` loop); ``transform``
    returns cleaned copies of articles, never touching the originals. A line is boilerplate when

    - on one site it occurs in at least ``site_min_stories`` different stories, or
    - across the corpus it occurs on at least ``corpus_min_sites`` different sites (each a
      different story), or
    - its template lead passes the same tests with ``lead_factor`` times the bar.

    A title's tail is an ending after one of ``title_separators`` that at least
    ``title_tail_min_titles`` distinct titles of the site share.
    """

    def __init__(self, settings: CleanSettings = CleanSettings()) -> None:
        self.settings = settings
        self._enough = max(settings.site_min_stories, settings.corpus_min_sites) * max(1, settings.lead_factor)
        self._by_site: dict[str, _Counts] = defaultdict(_Counts)
        self._corpus = _Counts()
        self._tails: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))

    def fit(self, articles: Iterable[Article]) -> BoilerplateModel:
        """Forget what was learned and learn from ``articles``."""
        self._by_site = defaultdict(_Counts)
        self._corpus = _Counts()
        self._tails = defaultdict(lambda: defaultdict(set))
        return self.partial_fit(articles)

    def partial_fit(self, articles: Iterable[Article]) -> BoilerplateModel:
        """Add ``articles`` to what was learned."""
        for article in articles:
            site = site_of(article)
            self._learn_title(article.title, site)
            lines = _lines(article.text)
            if not lines:
                continue
            story_key = story_fingerprint(lines)
            counts = self._by_site[site]
            for key in self._keys(lines):
                for seen, value in (
                    (counts.stories[key], story_key),
                    (self._corpus.stories[key], story_key),
                    (self._corpus.sites[key], site),
                ):
                    # Counting past the highest bar decides nothing: the sets stay small.
                    if len(seen) < self._enough:
                        seen.add(value)
        return self

    def is_boilerplate(self, line: str, site: str) -> bool:
        """Whether ``line``, found on ``site``, is learned boilerplate."""
        key = line_fingerprint(line)
        if key and self._repeated(key, site, 1):
            return True
        lead = self._lead(line)
        return bool(lead) and self._repeated(lead, site, self.settings.lead_factor)

    def title_without_tail(self, title: str, site: str) -> str:
        """``title`` without the learned tails of ``site``, the longest first; never empty for a
        non-empty title.

        Cutting repeats, since a site can stack its tails ("... | Local News - WRAL"), and some
        of its titles carry only the inner one.
        """
        tails = self._tails.get(site, {})
        cut = True
        while cut:
            cut = False
            for start, end in self._tail_starts(title):
                if len(tails.get(title_fingerprint(title[end:]), ())) >= self.settings.title_tail_min_titles:
                    title, cut = title[:start].rstrip(), True
                    break
        return title

    def transform(self, articles: Iterable[Article]) -> list[Article]:
        """Copies of ``articles`` without their boilerplate lines and title tails.

        An article that would lose all its text keeps its text: a page whose every line is
        shared is more likely a short wire brief republished than pure boilerplate.
        """
        cleaned = []
        for article in articles:
            site = site_of(article)
            kept = [
                line
                for line in article.text.splitlines()
                if not line.strip() or not self.is_boilerplate(line.strip(), site)
            ]
            text = "\n".join(kept).strip() or article.text
            cleaned.append(replace(article, text=text, title=self.title_without_tail(article.title, site)))
        return cleaned

    def fit_transform(self, articles: list[Article]) -> list[Article]:
        return self.fit(articles).transform(articles)

    def _learn_title(self, title: str, site: str) -> None:
        if not (title_key := title_fingerprint(title)):
            return
        for _, end in self._tail_starts(title):
            seen = self._tails[site][title_fingerprint(title[end:])]
            if len(seen) < self.settings.title_tail_min_titles:  # past the bar decides nothing
                seen.add(title_key)

    def _tail_starts(self, title: str) -> list[tuple[int, int]]:
        """Where each separator of ``title`` starts and ends, earliest first (the longest tail),
        where both the headline before it and the tail after it hold a word: a tail is never the
        whole title."""
        found: set[tuple[int, int]] = set()
        for separator in self.settings.title_separators:
            start = title.find(separator)
            while start >= 0:
                found.add((start, start + len(separator)))
                start = title.find(separator, start + 1)
        return sorted(
            (start, end) for start, end in found if title_fingerprint(title[:start]) and title_fingerprint(title[end:])
        )

    def _keys(self, lines: list[str]) -> set[str]:
        keys = {line_fingerprint(line) for line in lines}
        keys |= {self._lead(line) for line in lines}
        keys.discard("")
        return keys

    def _lead(self, line: str) -> str:
        return lead_fingerprint(line, self.settings.lead_max_words, self.settings.lead_line_max_words)

    def _repeated(self, key: str, site: str, factor: int) -> bool:
        site_counts = self._by_site.get(site)
        if site_counts and len(site_counts.stories.get(key, ())) >= self.settings.site_min_stories * factor:
            return True
        return (
            len(self._corpus.sites.get(key, ())) >= self.settings.corpus_min_sites * factor
            and len(self._corpus.stories.get(key, ())) >= self.settings.corpus_min_sites * factor
        )


def story_fingerprint(lines: list[str]) -> str:
    """What identifies a page's story: its two longest lines together.

    Copies of one wire story share their longest paragraphs; one line alone would not do, since
    a long template paragraph (an author bio, a disclaimer) can be the longest line of every
    page of a site.
    """
    longest = sorted(lines, key=len, reverse=True)[:2]
    return "|".join(sorted(line_fingerprint(line) for line in longest))


def site_of(article: Article) -> str:
    """The scope of per-site statistics: the outlet name, else the URL's host."""
    return (article.source or article.url).casefold()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]
