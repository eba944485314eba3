"""Turn raw documents into clean articles with metadata.

One plain function per input kind; ``extract`` picks by ``RawDocument.kind``. Each returns the
articles it could read and a failure for each item it could not, so one bad line or entry never
costs the rest of its file.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import multiprocessing
import re
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import charset_normalizer
import trafilatura
from courlan import normalize_url
from dateutil import parser as dateparser
from htmldate import find_date
from lxml import etree
from lxml import html as lxml_html
from lxml.html import HtmlElement
from lxml_html_clean import Cleaner
from trafilatura.metadata import (
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document
from trafilatura.utils import load_html

from .config import ExtractSettings
from .errors import InputError
from .ingest import parse_feed
from .lang import identify
from .model import Article, Failure, RawDocument
from .outlets import outlet_in_text, outlet_name, outlet_of

Passed = TypeVar("Passed")

JSONL_FIELDS = ("id", "title", "text", "url", "source", "published")
_FRAGMENT_CLEANER = Cleaner(scripts=True, javascript=True, style=True, comments=True, forms=True)
_BLOCK_TAGS = ("p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr")
# The page's declared language; trafilatura only reports one when asked to filter by language.
_HTML_LANG = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", re.IGNORECASE)
_LANG_SNIFF_BYTES = 4096
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TAG = re.compile(rb"<[^<>]*>")
# Scripts (but not JSON-LD metadata), styles, inline SVG and comments carry no article text, and
# trafilatura deletes every nav, aside and footer before it looks for the body. Dropping them
# before parsing shrinks the Scrapinghub pages from 170 KB to about 60 KB and the extraction by a
# third, and leaves trafilatura's output unchanged there (F1 0.965, metadata identical).
# <form> and <header> are kept: trafilatura salvages forms that wrap a whole page (ASP.NET), and
# headers hold the headline and byline.
_INERT_OPENER = re.compile(rb"<(script|style|svg|nav|aside|footer)\b|<!--()", re.IGNORECASE)
# Script and style bodies are raw text (a "<script" inside is a string); the others nest.
_RAW_TEXT_TAGS = (b"script", b"style")
_NESTING_TAG = {name: re.compile(rb"<(/?)" + name + rb"\b") for name in (b"svg", b"nav", b"aside", b"footer")}


@dataclass
class Extraction:
    """What one raw document yielded."""

    articles: list[Article] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def extract(doc: RawDocument, settings: ExtractSettings = ExtractSettings()) -> Extraction:
    """Parse ``doc`` according to its kind; an unreadable document becomes one failure."""
    reader = _READERS[doc.kind]
    try:
        result = reader(doc, settings)
    except InputError as exc:
        return Extraction(failures=[Failure(exc.item, exc.reason)])
    except RecursionError:
        # lxml and trafilatura recurse over the tree: a page nested thousands of levels deep
        # (hostile or broken) exhausts the stack instead of parsing.
        return Extraction(failures=[Failure(doc.origin, "markup nested too deeply to parse")])
    for article in result.articles:
        article.document_id = doc.id
        article.language = identify(article.title, article.text, article.language)
    return result


def decode_text(data: bytes, origin: str) -> str:
    """Bytes to text: UTF-8 (with or without BOM) first, else the best charset guess."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(data).best()
        if best is None:
            raise InputError(origin, "undecodable text (no plausible character encoding)") from None
        return str(best)


def parse_date(value: object) -> datetime | None:
    """A timezone-aware UTC datetime from an ISO string, a feed date or a free-form date; None if absent.

    Naive dates are taken as UTC: news feeds that omit the zone mostly mean it.
    """
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = dateparser.parse(str(value))
        except (ValueError, OverflowError) as exc:
            raise ValueError(f"unreadable date {value!r}") from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it
        raise ValueError(f"unreadable date {value!r} (out of range in UTC)") from None


def article_id(text: str, url: str = "") -> str:
    """A stable id for an article that arrived without one: from its URL, else its text."""
    key = url or " ".join(text.split())
    # surrogatepass: a JSON "\ud800" escape is a lone surrogate, which strict UTF-8 cannot encode
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _checked_text(text: str, item: str, minimum: int = 1) -> str:
    text = text.strip()
    if len(text) < minimum:
        raise InputError(item, "no article text found" if minimum > 1 else "empty text")
    return text


def _text_or_title(text: str, title: str, item: str) -> str:
    """The body of a stream item, or its title when it has none: a headline is an article."""
    if text.strip() or not title.strip():
        return _checked_text(text, item)
    return " ".join(title.split())


def _read_html(doc: RawDocument, settings: ExtractSettings) -> Extraction:
    if len(doc.data) > settings.max_page_bytes:
        raise InputError(doc.origin, f"page larger than {settings.max_page_bytes // 2**20} MiB (refused unparsed)")
    data = without_inert_markup(doc.data)
    if _has_tag_with_more_attributes(data, settings.max_tag_attributes):
        raise InputError(doc.origin, f"a tag with over {settings.max_tag_attributes} attributes (refused unparsed)")
    tree = load_html(data)
    if tree is None:
        raise InputError(doc.origin, "no HTML document found")
    body = trafilatura.bare_extraction(tree, url=doc.url or None, fast=settings.fast, include_comments=False)
    if body is None:
        raise InputError(doc.origin, "no article text found")
    meta = page_metadata(tree, doc.url, settings.byline_search)
    title = " ".join((meta.title or "").split())
    text = body.text or ""
    # trafilatura keeps the <h1> as the first line of the body; the title is stored apart.
    first, _, rest = text.partition("\n")
    if title and " ".join(first.split()) == title:
        text = rest
    url = canonical_url(meta.url or doc.url)
    text = _checked_text(text, doc.origin, settings.min_text_chars)
    article = Article(
        id=article_id(text, url),
        text=text,
        title=title,
        url=url,
        source=outlet_name(meta.sitename or "") or outlet_of(url) or outlet_in_text(text) or Path(doc.origin).name,
        published=_lenient_date(meta.date),
        author=meta.author or "",
        language=(meta.language or declared_language(doc.data)).lower(),
    )
    return Extraction(articles=[article])


def page_metadata(tree: HtmlElement, url: str, byline_search: bool = False) -> Document:
    """Title, canonical URL, site name, author, language and date of a parsed page.

    trafilatura's ``extract_metadata`` with the parts we do not store left out: categories, tags
    and licence searches cost an eighth of the extraction time. The byline search in the page
    body (trafilatura's author XPaths) is optional: it costs a quarter of the extraction time and
    is only needed where neither meta tags nor JSON-LD name an author.
    """
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None  # a one-word "author" in meta tags is mostly a site or a handle
    with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):  # malformed JSON-LD
        meta = extract_meta_json(tree, meta)
    meta.title = meta.title or extract_title(tree)
    if not meta.author and byline_search:
        meta.author = extract_author(tree)
    meta.url = meta.url or extract_url(tree, url or None)
    meta.sitename = (meta.sitename or extract_sitename(tree) or "").lstrip("@")
    # The page's own metadata (meta tags, JSON-LD, URL) is what we trust for the date: the
    # extensive search through the body costs a third of the time and finds unrelated dates.
    meta.date = find_date(tree, url=meta.url, original_date=True, extensive_search=False, max_date=_today())
    meta.clean_and_trim()
    return meta


def _has_tag_with_more_attributes(data: bytes, limit: int) -> bool:
    """Whether one tag holds more than ``limit`` '=' signs (a bound on its attributes), in linear
    time; a page with fewer in all settles it without the scan."""
    if data.count(b"=") <= limit:
        return False
    return any(match.group().count(b"=") > limit for match in _TAG.finditer(data))


def without_inert_markup(data: bytes) -> bytes:
    """``data`` without its script (except JSON-LD), style, svg, nav, aside, footer and comment
    blocks, in linear time; JSON-LD inside a dropped block is kept.

    A regular expression with a lazy ``.*?</script>`` would rescan to the end of the page for
    every unclosed opener; here the first tag or block left open ends the stripping.
    """
    lower = data.lower()
    kept, pos, search = [], 0, 0
    while match := _INERT_OPENER.search(data, search):
        if match.group(2) is not None:
            body = match.end()
            end = lower.find(b"-->", body)
        else:
            name = match.group(1).lower()
            body = lower.find(b">", match.end()) + 1
            if not body:
                break
            if b"ld+json" in lower[match.start() : body]:
                search = body  # JSON-LD holds the page's metadata: keep it
                continue
            end = lower.find(b"</" + name, body) if name in _RAW_TEXT_TAGS else _matching_closer(lower, name, body)
        if end < 0:
            break
        kept.append(data[pos : match.start()])
        kept.extend(_json_ld_blocks(data, lower, body, end))
        pos = search = lower.find(b">", end) + 1 or len(data)
    kept.append(data[pos:])
    return b"".join(kept)


def _matching_closer(lower: bytes, name: bytes, start: int) -> int:
    """Where the closing tag of an element named ``name`` opened just before ``start`` begins,
    counting nested elements of the same name; -1 if it is never closed."""
    depth = 1
    for tag in _NESTING_TAG[name].finditer(lower, start):
        depth += -1 if tag.group(1) else 1
        if not depth:
            return tag.start()
    return -1


def _json_ld_blocks(data: bytes, lower: bytes, start: int, end: int) -> list[bytes]:
    """The JSON-LD scripts between ``start`` and ``end``."""
    blocks = []
    while (found := lower.find(b"ld+json", start, end)) >= 0:
        opener = lower.rfind(b"<script", start, found)
        closer = lower.find(b"</script", found, end)
        if opener < 0 or closer < 0:
            break
        blocks.append(data[opener:closer] + b"</script>")
        start = closer + 1
    return blocks


def canonical_url(url: str) -> str:
    """The page's address in one spelling: scheme and host lower-case, default port, tracking
    parameters and fragment dropped (courlan), so that two links to one page compare equal."""
    try:
        if not url or urlsplit(url).scheme not in ("http", "https"):
            return url
        return urlunsplit(urlsplit(normalize_url(url))._replace(fragment=""))
    except ValueError:  # unparseable ("http://[x"): kept as given
        return url


def declared_language(data: bytes) -> str:
    """The ISO 639 code in ``<html lang="...">``, or '' when the page declares none."""
    match = _HTML_LANG.search(data[: _LANG_SNIFF_BYTES * 4])
    return match.group(1).decode("ascii") if match else ""


def _today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def _read_text(doc: RawDocument, settings: ExtractSettings) -> Extraction:
    """Plain text: the first non-empty line is the title, the rest the body."""
    lines = decode_text(doc.data, doc.origin).strip().splitlines()
    if not lines:  # only Unicode whitespace (U+3000...), which the reader's byte check lets by
        raise InputError(doc.origin, "empty text")
    title, body = lines[0].strip(), "\n".join(lines[1:])
    text = _checked_text(body, doc.origin, settings.min_text_chars)
    source = outlet_in_text(text) or Path(doc.origin).name
    article = Article(id=article_id(text), text=text, title=title, source=source)
    return Extraction(articles=[article])


def _read_jsonl(doc: RawDocument, settings: ExtractSettings) -> Extraction:
    """One JSON object per line with ``text`` and optionally the other ``JSONL_FIELDS``."""
    extraction = Extraction()
    # JSON Lines end at "\n" only: str.splitlines() would also cut at U+2028, U+2029 and U+0085,
    # which JSON strings may hold raw (web text is full of U+2028).
    for number, line in enumerate(decode_text(doc.data, doc.origin).split("\n"), start=1):
        if not line.strip():
            continue
        item = f"{doc.origin}:{number}"
        try:
            extraction.articles.append(article_from_record(json.loads(line), item))
        except json.JSONDecodeError as exc:
            extraction.failures.append(Failure(item, f"invalid JSON ({exc.msg})"))
        except RecursionError:  # "[[[[..." thousands deep: this line only, not the whole file
            extraction.failures.append(Failure(item, "invalid JSON (nested too deeply)"))
        except InputError as exc:
            extraction.failures.append(Failure(exc.item, exc.reason))
    return extraction


def article_from_record(record: object, item: str) -> Article:
    """An ``Article`` from one JSON record; ``InputError`` names ``item`` when a field is wrong.

    Any non-empty text is accepted, and a record with a title but no text is its title: a
    headline alone is a valid article in a stream."""
    if not isinstance(record, dict):
        raise InputError(item, "not a JSON object")
    for name in JSONL_FIELDS:
        value = record.get(name)
        if value is not None and not isinstance(value, str | int | float):
            raise InputError(item, f"field {name!r} must be a string")
    title = " ".join(str(record.get("title") or "").split())
    text = _text_or_title(str(record.get("text") or ""), title, item)
    url = str(record.get("url") or "")
    try:
        published = parse_date(record.get("published"))
    except ValueError as exc:
        raise InputError(item, str(exc)) from None
    given_id = str(record.get("id") or "")
    return Article(
        id=given_id or article_id(text, url),
        text=text,
        title=title,
        url=url,
        source=outlet_name(str(record.get("source") or "")) or outlet_of(url) or outlet_in_text(text, given_id),
        published=published,
    )


def _read_feed(doc: RawDocument, settings: ExtractSettings) -> Extraction:
    """RSS or Atom: one article per entry, its text from the entry's content or summary."""
    feed = parse_feed(doc)
    if not feed.entries:
        reason = f"not a readable feed ({feed.bozo_exception})" if feed.bozo else "feed has no entries"
        raise InputError(doc.origin, reason)
    outlet = feed.feed.get("title", "")
    extraction = Extraction()
    for number, entry in enumerate(feed.entries, start=1):
        item = f"{doc.origin}#{entry.get('id') or entry.get('link') or number}"
        html = entry.content[0].value if entry.get("content") else entry.get("summary", "")
        try:
            text = _text_or_title(html_fragment_text(html), entry.get("title", ""), item)
        except InputError as exc:
            extraction.failures.append(Failure(exc.item, exc.reason))
            continue
        url = entry.get("link", "")
        extraction.articles.append(
            Article(
                id=article_id(text, url),
                text=text,
                title=entry.get("title", "").strip(),
                url=url,
                source=outlet or outlet_of(url) or outlet_in_text(text),
                published=_lenient_date(entry.get("published") or entry.get("updated")),
                author=entry.get("author", ""),
            )
        )
    if feed.bozo and not extraction.articles:
        raise InputError(doc.origin, f"not a well-formed feed ({feed.bozo_exception})")
    return extraction


def extract_many(
    items: Iterable[RawDocument | Passed], settings: ExtractSettings = ExtractSettings()
) -> Iterator[tuple[RawDocument, Extraction] | tuple[Passed, None]]:
    """``extract`` over many documents, in order, with HTML pages spread over ``settings.workers``
    processes (trafilatura is pure CPU; threads would share one core).

    Items that are not documents (a reader's errors) come out untouched in their place, so that
    whatever reports on the stream keeps the input order. Documents go to the workers in small
    tasks, a bounded number in flight: pages differ tenfold in cost, and small tasks keep both
    cores busy while memory stays flat. A stream that starts small or mostly not HTML is
    extracted in process, where starting workers would cost more than it saves.
    """
    stream = iter(items)
    tasks = iter(lambda: tuple(itertools.islice(stream, _TASK_ITEMS)), ())  # itertools.batched, 3.12
    window = list(itertools.islice(tasks, max(1, settings.workers) * _TASKS_IN_FLIGHT))
    if not _parallel_worthwhile(window, settings):
        for task in itertools.chain(window, tasks):
            yield from _in_place(task, [extract(doc, settings) for doc in _documents(task)])
        return
    # fork: workers start at once with trafilatura already imported, and need no ``__main__``
    # guard in the caller's script (spawn and forkserver would).
    pool = ProcessPoolExecutor(settings.workers, mp_context=multiprocessing.get_context("fork"))
    try:
        pending = deque((task, pool.submit(_extract_all, _documents(task), settings)) for task in window)
        while pending:
            task, future = pending.popleft()
            if (following := next(tasks, None)) is not None:
                pending.append((following, pool.submit(_extract_all, _documents(following), settings)))
            yield from _in_place(task, future.result())
    finally:
        pool.shutdown(cancel_futures=True)


def _extract_all(docs: list[RawDocument], settings: ExtractSettings) -> list[Extraction]:
    return [extract(doc, settings) for doc in docs]


def _documents(task: tuple) -> list[RawDocument]:
    return [item for item in task if isinstance(item, RawDocument)]


def _in_place(task: tuple, extractions: list[Extraction]) -> Iterator[tuple]:
    """The task's items paired with their extractions; a reader's error paired with None."""
    results = iter(extractions)
    for item in task:
        yield (item, next(results)) if isinstance(item, RawDocument) else (item, None)


def _parallel_worthwhile(window: list[tuple], settings: ExtractSettings) -> bool:
    """Worth it for a full window of mostly HTML, and only in a single-threaded process: forking
    a process with other threads (a web server, a model's thread pool) can copy a held lock."""
    items = [item for task in window for item in task]
    html = sum(isinstance(item, RawDocument) and item.kind == "html" for item in items)
    full = len(window) == settings.workers * _TASKS_IN_FLIGHT and len(window[-1]) == _TASK_ITEMS
    return settings.workers > 1 and full and html * 2 >= len(items) and threading.active_count() == 1


# Documents per task (few, so that uneven pages still share out evenly) and tasks queued per
# worker (enough that none waits for the next, few enough to keep memory flat).
_TASK_ITEMS = 4
_TASKS_IN_FLIGHT = 4


def html_fragment_text(fragment: str) -> str:
    """The visible text of an HTML fragment (a feed entry's summary), one line per block.

    trafilatura wants whole pages; a feed's few paragraphs only need their tags dropped.
    """
    if "<" not in fragment:
        return fragment
    fragment = _CONTROL_CHARACTERS.sub("", fragment)  # lxml refuses them in text and tails
    try:
        tree = _FRAGMENT_CLEANER.clean_html(lxml_html.fragment_fromstring(fragment, create_parent="div"))
    except (etree.ParserError, ValueError, AssertionError):  # lxml *asserts* one body ("<html>")
        return ""
    for element in tree.iter(*_BLOCK_TAGS):
        element.tail = "\n" + (element.tail or "")
    return tree.text_content()


def _lenient_date(value: object) -> datetime | None:
    """Dates found inside pages and feeds are hints: an unreadable one is dropped, not fatal."""
    try:
        return parse_date(value)
    except ValueError:
        return None


_READERS = {"html": _read_html, "text": _read_text, "jsonl": _read_jsonl, "feed": _read_feed}
