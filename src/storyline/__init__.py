"""storyline: news articles from many outlets in, events with attributed summaries out.

The public names below are imported on first use (PEP 562), not with the package: every
``storyline`` command imports the package, and the stages behind these names bring in
scikit-learn, SciPy and trafilatura (over two seconds), which ``storyline --help`` or
``storyline events`` never need.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
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
    "summarize_articles": "describe",
    "summarize_event": "summarize",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'storyline' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
