"""Grouping articles: into events (specific happenings), and events into stories; the stage
after dedup.

``events.EventClusterer`` does the grouping, ``same_event`` holds the learned decision it asks,
``features`` what it reads of each article; ``stories.StoryLinker`` links the events into the
stories they continue.
"""

from .events import EventClusterer, TrainingLog, clustering_embedder, event_id_for
from .features import FeatureExtractor, StreamingTfidf, TermVector, article_names, dense_text
from .same_event import SameEventModel, TreeEnsemble, load_model
from .stories import StoryLinker, story_id_for

__all__ = [
    "EventClusterer",
    "FeatureExtractor",
    "SameEventModel",
    "StoryLinker",
    "StreamingTfidf",
    "TermVector",
    "TrainingLog",
    "TreeEnsemble",
    "article_names",
    "clustering_embedder",
    "dense_text",
    "event_id_for",
    "load_model",
    "story_id_for",
]
