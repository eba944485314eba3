"""Find the inputs a user names and read them as raw documents, one bad file never stopping the rest."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from .config import ExtractSettings
from .errors import InputError, UnsupportedInput
from .model import RawDocument

KIND_BY_SUFFIX = {
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
    ".jsonl": "jsonl",
    ".rss": "feed",
    ".atom": "feed",
    ".xml": "feed",
}

# A NUL in the first block is the cheapest sure sign of a binary file (images, archives, PDFs).
_BINARY_SNIFF_BYTES = 8192


def kind_of(path: Path) -> str | None:
    """The input kind a file's name announces, or None if storyline does not read it."""
    return KIND_BY_SUFFIX.get(path.suffix.lower())


def find_inputs(paths: Iterable[str | Path]) -> Iterator[Path | InputError]:
    """Expand files and directories (recursively, sorted, hidden entries skipped) into input files.

    A path that does not exist, or a file of a kind storyline does not read, comes out as an
    ``InputError`` in its place so that the caller can report it and go on.
    """
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path)
                if child.is_file() and not any(part.startswith(".") for part in relative.parts):
                    yield child if kind_of(child) else UnsupportedInput(str(child))
        elif path.is_file():
            yield path if kind_of(path) else UnsupportedInput(str(path))
        else:
            yield InputError(str(path), "no such file or directory")


def read_document(path: Path, settings: ExtractSettings = ExtractSettings()) -> RawDocument:
    """Read one input file as a ``RawDocument``; raise ``InputError`` naming the file and the reason."""
    kind = kind_of(path)
    if kind is None:
        raise UnsupportedInput(str(path))
    try:
        size = path.stat().st_size
        if size > settings.max_bytes:
            raise InputError(str(path), f"too large ({size} bytes, limit {settings.max_bytes})")
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise InputError(str(path), reason[0].lower() + reason[1:]) from None
    if not data.strip():
        raise InputError(str(path), "empty file")
    if b"\x00" in data[:_BINARY_SNIFF_BYTES]:
        raise InputError(str(path), "binary file, not text")
    return RawDocument(origin=str(path), kind=kind, data=data)
