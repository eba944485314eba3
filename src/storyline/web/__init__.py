"""Server-rendered pages: Jinja2 templates, a stylesheet, and the view data they need."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from ..model import Article, Event, Sentence, Story, StoryEvent, TimelineEntry
from ..sentences import split_sentences

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class ListView:
    """What a list page (events or stories) calls its rows, and where it lives: one template
    serves both lists."""

    one: str
    many: str
    home: str
    example: str
    """A search to suggest in the empty words field."""


LIST_VIEWS = {
    "events": ListView(one="event", many="events", home="/", example="e.g. earthquake Nepal"),
    "stories": ListView(one="story", many="stories", home="/stories", example="e.g. Syria war"),
}


@dataclass
class SourceArticle:
    article: Article
    copy_of: Article | None = None  # an earlier article with the same text


@dataclass
class Outlet:
    name: str
    articles: list[SourceArticle] = field(default_factory=list)


def outlets_of(event: Event) -> list[Outlet]:
    """The event's articles grouped by outlet (most articles first), each copy marked with its original.

    Copies are what the dedup stage marked (``Article.copy_of``: a syndicated story republished
    nearly word for word); articles come oldest first within each outlet.
    """
    by_id = {a.id: a for a in event.articles}
    ordered = sorted(event.articles, key=lambda a: (a.published is None, a.published or datetime.min, a.id))
    groups: dict[str, Outlet] = {}
    for article in ordered:
        name = article.source or "Unknown outlet"
        groups.setdefault(name, Outlet(name)).articles.append(SourceArticle(article, by_id.get(article.copy_of)))
    return sorted(groups.values(), key=lambda o: (-len(o.articles), o.name.lower()))


def web_link(url: str) -> str:
    """``url`` if it is an http(s) address, else '': stored URLs come from whoever submitted the
    article, and a ``javascript:`` or ``data:`` one must never become a link (the pages' CSP
    would block it too; this keeps it from being offered at all)."""
    scheme, separator, _ = url.strip().partition(":")
    return url if separator and scheme.lower() in ("http", "https") else ""


def citation_numbers(event: Event) -> dict[str, int]:
    """A number for each cited article, in order of first citation: the summary's footnotes."""
    numbers: dict[str, int] = {}
    for sentence in event.summary:
        numbers.setdefault(sentence.article_id, len(numbers) + 1)
    return numbers


def article_paragraphs(article: Article) -> list[list[Sentence]]:
    """The article's sentences by paragraph, numbered exactly as the summariser numbered them.

    ``split_sentences`` treats each paragraph on its own, so splitting paragraph by paragraph
    and renumbering gives the same sentences and positions while keeping the paragraph breaks.
    """
    paragraphs: list[list[Sentence]] = []
    position = 0
    for block in article.text.split("\n"):
        sentences = split_sentences(Article(id=article.id, text=block))
        if sentences:
            paragraphs.append([_renumbered(s, position + s.position) for s in sentences])
            position += len(sentences)
    return paragraphs


def _renumbered(sentence: Sentence, position: int) -> Sentence:
    return Sentence(text=sentence.text, article_id=sentence.article_id, position=position)


# Colours for outlet lanes: the Okabe-Ito palette, distinguishable with every common colour-vision deficiency.
_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
_CHART = {"width": 720, "lane": 34, "left": 176, "right": 24, "top": 16, "axis": 34, "ticks": 5}


def timeline_chart(event: Event) -> dict[str, Any] | None:
    """Geometry of an SVG chart: one lane per outlet, one dot per timeline entry, a date axis.

    Drawn on the server so the page needs no charting script and works with a strict CSP.
    """
    sources = {a.id: a.source or "Unknown outlet" for a in event.articles}
    entries = [e for e in event.timeline if e.date]
    if not entries:
        return None
    lanes = list(dict.fromkeys(sources.get(e.article_id, "Unknown outlet") for e in entries))
    start, end = min(e.date for e in entries), max(e.date for e in entries)
    coarsest = max((getattr(e, "resolution", "day") for e in entries), key=_RESOLUTIONS.index)
    if end - start < _PADDING[coarsest] * 2:  # one moment: give it a visible span around it
        start, end = start - _PADDING[coarsest], end + _PADDING[coarsest]
    c = _CHART
    span = (end - start).total_seconds()
    plot = c["width"] - c["left"] - c["right"]

    def x(moment: datetime) -> float:
        return round(c["left"] + plot * (moment - start).total_seconds() / span, 1)

    dots = [
        {
            "x": x(e.date),
            "y": c["top"] + c["lane"] * lanes.index(sources.get(e.article_id, "Unknown outlet")) + c["lane"] / 2,
            "colour": _PALETTE[lanes.index(sources.get(e.article_id, "Unknown outlet")) % len(_PALETTE)],
            "entry": e,
        }
        for e in entries
    ]
    fmt = "%d %b %H:%M" if end - start < timedelta(days=2) else _DATE_FORMATS[coarsest]
    ticks = [start + (end - start) * i / (c["ticks"] - 1) for i in range(c["ticks"])]
    height = c["top"] + c["lane"] * len(lanes) + c["axis"]
    return {
        "width": c["width"],
        "height": height,
        "left": c["left"],
        "right": c["width"] - c["right"],
        "axis_y": height - c["axis"],
        "lanes": [
            {"name": name, "y": c["top"] + c["lane"] * i + c["lane"] / 2, "colour": _PALETTE[i % len(_PALETTE)]}
            for i, name in enumerate(lanes)
        ],
        "dots": dots,
        "ticks": _distinct_labels([{"x": x(t), "label": t.strftime(fmt)} for t in ticks]),
    }


def _distinct_labels(ticks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop ticks that would repeat their neighbour's label (several ticks within one year or day)."""
    return [t for n, t in enumerate(ticks) if n == 0 or t["label"] != ticks[n - 1]["label"]]


_RESOLUTIONS = ("day", "month", "year")
_PADDING = {"day": timedelta(hours=1), "month": timedelta(days=31), "year": timedelta(days=366)}
_DATE_FORMATS = {"day": "%-d %b %Y", "month": "%b %Y", "year": "%Y"}


def entry_date(entry: TimelineEntry) -> str:
    """A timeline date written only as precisely as its source gave it ("2014", "March 2019")."""
    return entry.date.strftime(_DATE_FORMATS.get(getattr(entry, "resolution", "day"), _DATE_FORMATS["day"]))


class Dated(Protocol):
    @property
    def first_published(self) -> datetime | None: ...

    @property
    def last_published(self) -> datetime | None: ...


def date_span(item: Dated) -> str:
    """When an event, a story or a list row of either was reported: one day, or first to last."""
    first, last = item.first_published, item.last_published
    if not first or not last:
        return "undated"
    if first.date() == last.date():
        return first.strftime("%-d %B %Y")
    return f"{first.strftime('%-d %b %Y')} – {last.strftime('%-d %b %Y')}"


@dataclass(frozen=True)
class AxisStop:
    """An event on its story's time axis, and how long after the one before it began."""

    event: StoryEvent
    after: str


def story_axis(story: Story) -> list[AxisStop]:
    """The story's events in time order, each with the time since the previous dated one began
    ("3 weeks later"): a story runs over weeks or years, and the gaps are what a reader of a
    vertical list cannot see from the dates alone."""
    stops: list[AxisStop] = []
    previous: datetime | None = None
    for event in story.events:
        began = event.first_published
        stops.append(AxisStop(event, _elapsed(began - previous) if began and previous else ""))
        previous = began or previous
    return stops


# Units of a gap, largest first, each used from two of it on: "10 days later", not "1 week later".
_GAP_UNITS = ((365, "year"), (30, "month"), (7, "week"))


def _elapsed(gap: timedelta) -> str:
    days = gap.days
    if days < 1:
        return "the same day"
    length, unit = next(((n, u) for n, u in _GAP_UNITS if days >= 2 * n), (1, "day"))
    count = round(days / length)
    return f"{count} {unit}{'s' * (count != 1)} later"


def story_outlets(story: Story) -> list[tuple[str, int]]:
    """The story's outlets (most events first, as ``Story.sources`` orders them) with how many
    of its events each covered."""
    covered = Counter(source for event in story.events for source in event.sources)
    return [(source, covered[source]) for source in story.sources]
