"""Turn raw documents into clean articles with metadata.

One plain function per input kind; ``extract`` picks by ``RawDocument.kind``. Each returns the
articles it could read and a failure for each item it could not, so one bad line or entry never
costs the rest of its file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import charset_normalizer
import feedparser
import trafilatura
from dateutil import parser as dateparser
from lxml import etree
from lxml import html as lxml_html
from lxml_html_clean import Cleaner

from .config import ExtractSettings
from .errors import InputError
from .model import Article, Failure, RawDocument

JSONL_FIELDS = ("id", "title", "text", "url", "source", "published")
_FRAGMENT_CLEANER = Cleaner(scripts=True, javascript=True, style=True, comments=True, forms=True)
_BLOCK_TAGS = ("p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr")


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
    for article in result.articles:
        article.document_id = doc.id
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
    return parsed.astimezone(UTC)


def article_id(text: str, url: str = "") -> str:
    """A stable id for an article that arrived without one: from its URL, else its text."""
    key = url or " ".join(text.split())
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def outlet_of(url: str) -> str:
    """The host of a URL without ``www.``, the best outlet name when a page gives none."""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def _checked_text(text: str, item: str, minimum: int = 1) -> str:
    text = text.strip()
    if len(text) < minimum:
        raise InputError(item, "no article text found" if minimum > 1 else "empty text")
    return text


def _read_html(doc: RawDocument, settings: ExtractSettings) -> Extraction:
    result = trafilatura.bare_extraction(doc.data, with_metadata=True, include_comments=False)
    if result is None:
        raise InputError(doc.origin, "no article text found")
    meta = result.as_dict()
    title = (meta.get("title") or "").strip()
    text = meta.get("text") or ""
    # trafilatura keeps the <h1> as the first line of the body; the title is stored apart.
    first, _, rest = text.partition("\n")
    if title and first.strip() == title:
        text = rest
    url = meta.get("url") or ""
    text = _checked_text(text, doc.origin, settings.min_text_chars)
    article = Article(
        id=article_id(text, url),
        text=text,
        title=title,
        url=url,
        source=meta.get("sitename") or meta.get("hostname") or outlet_of(url) or Path(doc.origin).name,
        published=_lenient_date(meta.get("date")),
        author=meta.get("author") or "",
        language=meta.get("language") or "",
    )
    return Extraction(articles=[article])


def _read_text(doc: RawDocument, settings: ExtractSettings) -> Extraction:
    """Plain text: the first non-empty line is the title, the rest the body."""
    lines = decode_text(doc.data, doc.origin).strip().splitlines()
    title, body = lines[0].strip(), "\n".join(lines[1:])
    text = _checked_text(body, doc.origin, settings.min_text_chars)
    article = Article(id=article_id(text), text=text, title=title, source=Path(doc.origin).name)
    return Extraction(articles=[article])


def _read_jsonl(doc: RawDocument, settings: ExtractSettings) -> Extraction:
    """One JSON object per line with ``text`` and optionally the other ``JSONL_FIELDS``."""
    extraction = Extraction()
    for number, line in enumerate(decode_text(doc.data, doc.origin).splitlines(), start=1):
        if not line.strip():
            continue
        item = f"{doc.origin}:{number}"
        try:
            extraction.articles.append(article_from_record(json.loads(line), item))
        except json.JSONDecodeError as exc:
            extraction.failures.append(Failure(item, f"invalid JSON ({exc.msg})"))
        except InputError as exc:
            extraction.failures.append(Failure(exc.item, exc.reason))
    return extraction


def article_from_record(record: object, item: str) -> Article:
    """An ``Article`` from one JSON record; ``InputError`` names ``item`` when a field is wrong.

    Any non-empty text is accepted: a headline alone is a valid article in a stream."""
    if not isinstance(record, dict):
        raise InputError(item, "not a JSON object")
    for name in JSONL_FIELDS:
        value = record.get(name)
        if value is not None and not isinstance(value, str | int | float):
            raise InputError(item, f"field {name!r} must be a string")
    text = _checked_text(str(record.get("text") or ""), item)
    url = str(record.get("url") or "")
    try:
        published = parse_date(record.get("published"))
    except ValueError as exc:
        raise InputError(item, str(exc)) from None
    return Article(
        id=str(record.get("id") or "") or article_id(text, url),
        text=text,
        title=str(record.get("title") or "").strip(),
        url=url,
        source=str(record.get("source") or "") or outlet_of(url),
        published=published,
    )


def _read_feed(doc: RawDocument, settings: ExtractSettings) -> Extraction:
    """RSS or Atom: one article per entry, its text from the entry's content or summary.

    feedparser resolves no external entities, so a hostile feed cannot read local files.
    """
    feed = feedparser.parse(doc.data)
    if not feed.entries:
        reason = f"not a readable feed ({feed.bozo_exception})" if feed.bozo else "feed has no entries"
        raise InputError(doc.origin, reason)
    outlet = feed.feed.get("title", "")
    extraction = Extraction()
    for number, entry in enumerate(feed.entries, start=1):
        item = f"{doc.origin}#{entry.get('id') or entry.get('link') or number}"
        html = entry.content[0].value if entry.get("content") else entry.get("summary", "")
        try:
            text = _checked_text(html_fragment_text(html), item)
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
                source=outlet or outlet_of(url),
                published=_lenient_date(entry.get("published") or entry.get("updated")),
                author=entry.get("author", ""),
            )
        )
    if feed.bozo and not extraction.articles:
        raise InputError(doc.origin, f"not a well-formed feed ({feed.bozo_exception})")
    return extraction


def html_fragment_text(fragment: str) -> str:
    """The visible text of an HTML fragment (a feed entry's summary), one line per block.

    trafilatura wants whole pages; a feed's few paragraphs only need their tags dropped.
    """
    if "<" not in fragment:
        return fragment
    try:
        tree = _FRAGMENT_CLEANER.clean_html(lxml_html.fragment_fromstring(fragment, create_parent="div"))
    except (etree.ParserError, ValueError):
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
