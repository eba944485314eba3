"""storyline: news articles from many outlets in, events with attributed summaries out."""

from __future__ import annotations

import importlib
from typing import Any

# Where each public name lives. They are imported on first use (PEP 562): the pipeline's modules
# load scikit-learn, onnxruntime and spaCy (3 to 4 s), which a command that only reads the store
# (``storyline events``, ``serve``'s list pages) never needs.
_EXPORTS = {
    "Article": "model",
    "Event": "model",
    "EventClusterer": "cluster",
    "InputError": "errors",
    "RawDocument": "model",
    "Sentence": "model",
    "Settings": "config",
    "Store": "store",
    "StoreError": "errors",
    "StorylineError": "errors",
    "Summary": "summarize",
    "TimelineEntry": "model",
    "build_events": "pipeline",
    "ingest_paths": "pipeline",
    "summarize_articles": "pipeline",
    "summarize_event": "summarize",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'storyline' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
