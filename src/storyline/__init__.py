"""storyline: news articles from many outlets in, events with attributed summaries out."""

from .cluster import EventClusterer
from .config import Settings
from .errors import InputError, StoreError, StorylineError
from .model import Article, Event, RawDocument, Sentence, TimelineEntry
from .pipeline import build_events, ingest_paths, summarize_articles
from .store import Store
from .summarize import Summary, summarize_event

__all__ = [
    "Article",
    "Event",
    "EventClusterer",
    "InputError",
    "RawDocument",
    "Sentence",
    "Settings",
    "Store",
    "StoreError",
    "StorylineError",
    "Summary",
    "TimelineEntry",
    "build_events",
    "ingest_paths",
    "summarize_articles",
    "summarize_event",
]
