"""A story told from its events: a name and a digest, both taken from what its events say.

The name is the headline of the event that best stands for the whole story: the one whose
content words the story's events share most (a word counts once per event that uses it in its
headline or lead), weighed by the event's coverage (log of 1 + its articles): the turn most
outlets reported usually names a story better than a later, smaller one ("Norcia basilica in
ruins after strongest Italian earthquake", not "Norcia begins rebuilding the basilica"). A
generated title could read better, but a headline one of the outlets wrote is faithful by
construction and can be traced to its event.

The digest is the lead sentence of each of the story's most covered events (the summary sentence
nearest the top of its article), cited, in time order: a reader sees what happened at each turn
that many outlets reported.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from ..config import StorySettings
from ..model import Event, Lead, Sentence, Story, StoryEvent
from .events import WORDS


def describe_story(story_id: str, events: Sequence[Event], settings: StorySettings = StorySettings()) -> Story:
    """The story ``story_id`` of ``events``: its events in time order, its name and digest."""
    ordered = sorted(events, key=_start)
    covered = sorted(ordered, key=lambda e: -len(e.articles))[: settings.digest_events]
    digest = [Lead(e.id, _lead(e)) for e in sorted(covered, key=_start) if e.summary]
    return Story(id=story_id, name=story_name(ordered), events=[StoryEvent.of(e) for e in ordered], digest=digest)


def story_name(events: Sequence[Event]) -> str:
    """The headline, among ``events``', whose words the most of them share (see the module)."""
    if not events:
        return ""
    words = [_content_words(e.headline + " " + (_lead(e).text if e.summary else "")) for e in events]
    shared = Counter(word for event_words in words for word in event_words)

    def standing(k: int) -> tuple[float, int]:
        own = _content_words(events[k].headline)
        typical = sum(shared[w] for w in own) / len(own) if own else 0.0
        return (typical * math.log1p(len(events[k].articles)), len(events[k].articles))

    best = max(range(len(events)), key=standing)
    return events[best].headline


def _lead(event: Event) -> Sentence:
    """The event's summary sentence that stands nearest the top of its article (the earliest in
    the summary on a tie): news puts what happened in its first sentence."""
    return min(event.summary, key=lambda s: s.position)


def _content_words(text: str) -> set[str]:
    return {w for w in WORDS(text) if not w.isdigit()}  # WORDS drops stop words already


def _start(event: Event) -> tuple[bool, datetime, str]:
    first = event.first_published
    return (first is None, first or datetime.max, event.id)
