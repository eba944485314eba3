"""Summaries: of one event from its articles (``events``), of one story from its events (``stories``),
of what new articles add to earlier ones (``updates``)."""

from .events import Summary, follows_on, is_candidate, off_topic_sentences, standalone, summarize_event
from .stories import describe_story, story_name
from .updates import summarize_update

__all__ = [
    "Summary",
    "describe_story",
    "follows_on",
    "is_candidate",
    "off_topic_sentences",
    "standalone",
    "story_name",
    "summarize_event",
    "summarize_update",
]
