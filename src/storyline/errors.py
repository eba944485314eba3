"""The project's own exceptions: every message names the input and the reason, on one line."""

from __future__ import annotations


class StorylineError(Exception):
    """Base class: the CLI prints these as one line, never as a traceback."""


class InputError(StorylineError):
    """An input (file, line, feed entry) that cannot be read or parsed."""

    def __init__(self, item: str, reason: str) -> None:
        super().__init__(f"{item}: {reason}")
        self.item = item
        self.reason = reason


class StoreError(StorylineError):
    """The database cannot be opened, migrated or written."""


class UnsupportedInput(InputError):
    """A file of a kind storyline does not read: skipped and reported, not a failure."""

    def __init__(self, item: str) -> None:
        super().__init__(item, "unsupported file type")
