"""Grouping articles: into events (specific happenings), the stage after dedup.

``events.EventClusterer`` does the grouping, ``same_event`` holds the learned decision it asks,
``features`` what it reads of each article.
"""

from .events import EventClusterer, TrainingLog, clustering_embedder, event_id_for
from .features import FeatureExtractor, StreamingTfidf, TermVector, article_names, dense_text
from .same_event import SameEventModel, TreeEnsemble, load_model

__all__ = [
    "EventClusterer",
    "FeatureExtractor",
    "SameEventModel",
    "StreamingTfidf",
    "TermVector",
    "TrainingLog",
    "TreeEnsemble",
    "article_names",
    "clustering_embedder",
    "dense_text",
    "event_id_for",
    "load_model",
]
