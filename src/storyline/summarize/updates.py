"""Update summaries: what the new articles of an event or story report that the earlier ones did not.

The DUC update task's approach on top of ``summarize_event``: the earlier articles are known to
the reader, so a new sentence that repeats one of theirs is never chosen, one close to them is
worth less, and the word pairs they used are no concepts to carry.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import SentenceSettings, SummarySettings
from ..model import Article
from .events import Summary, summarize_event


def summarize_update(
    earlier: Sequence[Article],
    new: Sequence[Article],
    words: int | None = None,
    settings: SummarySettings = SummarySettings(),
    sentence_settings: SentenceSettings = SentenceSettings(),
    embedder=None,
) -> Summary:
    """What ``new`` reports that ``earlier`` did not, in at most ``words`` words (default
    ``settings.update_words``). Every sentence comes from a new article and cites it; without
    earlier articles this is the event summary of ``new``."""
    budget = settings.update_words if words is None else words
    return summarize_event(new, budget, settings, sentence_settings, embedder=embedder, known=earlier)
