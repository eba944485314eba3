"""Find the inputs a user names and read them as raw documents, one bad input never stopping the rest:
files and directories, page URLs, and feeds (as the pages of their entries, ``documents``).

Files are read whole (within ``max_bytes``); gzip-compressed files (``.html.gz``, ``.jsonl.gz``)
are decompressed with the same limit, so a gzip bomb is refused, not inflated. A WARC file (as in
Common Crawl News, read with warcio) is many pages: ``read_documents`` yields one document per
HTML response record and one error per record it cannot read, and a truncated archive keeps the
records before the damage.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree
import feedparser
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from .config import ExtractSettings
from .errors import InputError, UnsupportedInput
from .fetch import HTML_TYPES, Fetcher, is_url
from .model import RawDocument

KIND_BY_SUFFIX = {
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
    ".jsonl": "jsonl",
    ".rss": "feed",
    ".atom": "feed",
    ".xml": "feed",
    ".warc": "warc",
}
_COMPRESSED = ".gz"
_HTML_TYPES = (b"text/html", b"application/xhtml+xml")

# A NUL in the first block is the cheapest sure sign of a binary file (images, archives, PDFs).
_BINARY_SNIFF_BYTES = 8192


def kind_of(path: Path) -> str | None:
    """The input kind a file's name announces (``.gz`` looked through), or None if storyline does not read it."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == _COMPRESSED:
        suffixes.pop()
    return KIND_BY_SUFFIX.get(suffixes[-1]) if suffixes else None


def find_inputs(paths: Iterable[str | Path]) -> Iterator[Path | InputError]:
    """Expand files and directories (recursively, sorted, hidden entries skipped) into input files.

    A path that does not exist, or a file of a kind storyline does not read, comes out as an
    ``InputError`` in its place so that the caller can report it and go on. Inside a directory,
    a symbolic link to a file outside it is refused, not followed: a folder of downloaded or
    unpacked files must not be able to pull in ``~/.ssh/id_rsa.txt`` (links to directories are
    never followed, so link loops cost nothing).
    """
    for given in paths:
        path = Path(given)
        if path.is_dir():
            root = path.resolve()
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path)
                if not child.is_file() or any(part.startswith(".") for part in relative.parts):
                    continue
                if child.is_symlink() and not child.resolve().is_relative_to(root):
                    yield InputError(str(child), f"symbolic link to a file outside {path}; not followed")
                else:
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
    data = _read_bytes(path, settings.max_bytes)
    if path.suffix.lower() == _COMPRESSED and kind != "warc":
        data = gunzip(data, str(path), settings.max_bytes)
    if not data.strip():
        raise InputError(str(path), "empty file")
    if b"\x00" in data[:_BINARY_SNIFF_BYTES]:
        raise InputError(str(path), "binary file, not text")
    return RawDocument(origin=str(path), kind=kind, data=data)


def read_documents(path: Path, settings: ExtractSettings = ExtractSettings()) -> Iterator[RawDocument | InputError]:
    """The documents of one input file: one for most kinds, one per HTML page for a WARC.

    Problems come out as ``InputError`` items in place of documents so that the caller can
    report each and go on.
    """
    try:
        if kind_of(path) != "warc":
            yield read_document(path, settings)
            return
        yield from warc_documents(path, settings)
    except InputError as exc:
        yield exc


def warc_documents(path: Path, settings: ExtractSettings = ExtractSettings()) -> Iterator[RawDocument | InputError]:
    """HTML response records of a WARC (plain or gzip), each as a document with its target URL."""
    try:
        with path.open("rb") as stream:
            for number, record in enumerate(ArchiveIterator(stream), start=1):
                if number > settings.warc_max_records:
                    yield InputError(str(path), f"more than {settings.warc_max_records} records; the rest skipped")
                    return
                if record.rec_type != "response" or not record.http_headers:
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                item = f"{path}#{url or number}"
                content_type = (record.http_headers.get_header("Content-Type") or "").encode().lower()
                if not content_type.startswith(_HTML_TYPES):
                    continue
                body = record.content_stream().read(settings.max_bytes + 1)
                if len(body) > settings.max_bytes:
                    yield InputError(item, f"too large (over {settings.max_bytes} bytes)")
                elif getattr(record.raw_stream, "limit", 0) > 0:
                    # warcio hands out a cut-off record's bytes without complaint; the record's
                    # declared length, not yet all read, is the only sign.
                    yield InputError(item, "truncated record (archive cut off)")
                elif not body.strip():
                    yield InputError(item, "empty page")
                else:
                    yield RawDocument(origin=item, kind="html", data=body, url=url)
    except (ArchiveLoadFailed, EOFError, OSError, zlib.error, ValueError) as exc:
        # warcio reads lazily: damage (a cut-off download, a non-WARC file) surfaces mid-stream.
        yield InputError(str(path), f"unreadable WARC ({_reason(exc)}); records before it were kept")


def gunzip(data: bytes, item: str, limit: int) -> bytes:
    """Decompress gzip ``data`` up to ``limit`` bytes; a bomb or a cut-off file is an ``InputError``."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            out = stream.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(item, f"bad gzip data ({_reason(exc)})") from None
    if len(out) > limit:
        raise InputError(item, f"too large once decompressed (over {limit} bytes)")
    return out


def _read_bytes(path: Path, limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(str(path), f"too large ({size} bytes, limit {limit})")
        return path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), _reason(exc)) from None


def _reason(exc: BaseException) -> str:
    """The first line of an error's message: warcio's ArchiveLoadFailed spans about ten."""
    message = getattr(exc, "strerror", None) or str(exc)
    reason = next((line.strip() for line in message.splitlines() if line.strip()), exc.__class__.__name__)
    return reason[0].lower() + reason[1:]


def parse_feed(doc: RawDocument) -> feedparser.FeedParserDict:
    """Parse RSS or Atom safely: a feed that declares entities or external references is refused.

    defusedxml vets the bytes first (no entity expansion, no external DTD or entity), then
    feedparser reads them from memory: given a string, feedparser would fetch URLs and open
    local paths itself.
    """
    try:
        defusedxml.ElementTree.fromstring(doc.data)
    except defusedxml.DefusedXmlException as exc:
        raise InputError(
            doc.origin, f"feed refused: {exc.__class__.__name__} (XML entities are not expanded)"
        ) from None
    except (ParseError, ValueError):
        pass  # malformed but harmless XML: feedparser's loose parser may still recover entries
    try:
        return feedparser.parse(io.BytesIO(doc.data), sanitize_html=True, resolve_relative_uris=True)
    except ValueError as exc:  # its loose parser: chr() of a character reference beyond U+10FFFF
        raise InputError(doc.origin, f"not a readable feed ({exc})") from None


def feed_links(doc: RawDocument) -> list[str]:
    """The entry links of a feed, in feed order, without repeats."""
    return list(dict.fromkeys(e.get("link", "") for e in parse_feed(doc).entries if e.get("link")))


def documents(
    paths: Iterable[str | Path], settings: ExtractSettings, fetcher: Fetcher, fetch_entries: bool = False
) -> Iterator[RawDocument | InputError]:
    """Every document the inputs hold, in order, with an ``InputError`` in place of each that
    cannot be read or fetched: files and directories read (``find_inputs``, ``read_documents``),
    page URLs fetched, feed URLs (and feed files when ``fetch_entries``) as their entries'
    pages, fetched with ``fetcher``."""
    for given in paths:
        if is_url(str(given)):
            yield from _url_documents(str(given), fetcher)
            continue
        for found in find_inputs([given]):
            for item in [found] if isinstance(found, InputError) else read_documents(found, settings):
                if isinstance(item, RawDocument) and item.kind == "feed" and fetch_entries:
                    yield from _feed_pages(item, fetcher)
                else:
                    yield item


def _url_documents(url: str, fetcher: Fetcher) -> Iterator[RawDocument | InputError]:
    """A page URL as one document; a feed URL as the pages of its entries."""
    try:
        fetched = fetcher.fetch(url)
    except InputError as exc:
        yield exc
        return
    doc = RawDocument(origin=url, kind=fetched.kind, data=fetched.content, url=fetched.final_url)
    yield from _feed_pages(doc, fetcher) if doc.kind == "feed" else [doc]


def _feed_pages(feed: RawDocument, fetcher: Fetcher) -> Iterator[RawDocument | InputError]:
    try:
        links = feed_links(feed)
    except InputError as exc:
        yield exc
        return
    if not links:
        yield InputError(feed.origin, "feed has no entry links")
    yield from entry_pages(links, fetcher)


def entry_pages(links: Sequence[str], fetcher: Fetcher) -> Iterator[RawDocument | InputError]:
    for link, fetched in fetcher.fetch_many(links, accept=HTML_TYPES):
        yield (
            fetched
            if isinstance(fetched, InputError)
            else RawDocument(origin=link, kind="html", data=fetched.content, url=fetched.final_url)
        )
