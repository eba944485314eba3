"""Rows of the store's tables: what is written to them and read back (``schema.py`` holds the
schema, ``store.py`` the transactions; these are the statements inside them)."""

from .events import (
    ARTICLE_COLUMNS,
    EVENT_ORDERS,
    EVENTS,
    article_from_row,
    count_change,
    delete_events,
    digest,
    fill_list_rows,
    fill_search_vectors,
    insert_event,
    load_events,
    search_vector,
)
from .stories import (
    STORIES,
    StoryHead,
    delete_stories,
    insert_story,
    load_story,
    stories_of_events,
    story_digest,
    story_heads,
)

__all__ = [
    "ARTICLE_COLUMNS",
    "EVENTS",
    "EVENT_ORDERS",
    "STORIES",
    "StoryHead",
    "article_from_row",
    "count_change",
    "delete_events",
    "delete_stories",
    "digest",
    "fill_list_rows",
    "fill_search_vectors",
    "insert_event",
    "insert_story",
    "load_events",
    "load_story",
    "search_vector",
    "stories_of_events",
    "story_digest",
    "story_heads",
]
