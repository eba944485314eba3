"""Property-based tests (hypothesis) for every parser and normaliser: whatever the input, each
one returns a value or raises the project's own clear error, never anything else.

Examples are generated, not listed: bytes and text of every kind (invalid UTF-8, NUL, lone
surrogates, line and paragraph separators, right-to-left marks), extreme dates, malformed URLs.
``PROFILE`` keeps the search modest and without per-example deadlines, so that CI on a busy
2-core machine stays fast and stable; ``HYPOTHESIS_PROFILE=thorough`` searches ten times longer.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import os
import re
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.provisional import urls

from storyline.errors import InputError
from storyline.extract import (
    article_from_record,
    canonical_url,
    decode_text,
    extract,
    html_fragment_text,
    outlet_of,
    parse_date,
)
from storyline.facts.aliases import read_aliases
from storyline.facts.figures import parse_number
from storyline.facts.timeline import resolve_date
from storyline.fetch import is_public_address, is_url
from storyline.ingest import gunzip, read_document
from storyline.model import Article, RawDocument
from storyline.sentences import is_boilerplate, split_sentences
from storyline.web import article_paragraphs

# derandomize: CI tries the same examples on every run, so a red build is a change in the code,
# never the luck of the draw; the thorough profile explores afresh each time.
settings.register_profile(
    "storyline",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("thorough", parent=settings.get_profile("storyline"), max_examples=400, derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "storyline"))

# Characters that break naive parsers: NUL, controls, BOM, separators str.splitlines() honours,
# bidi overrides, a lone surrogate, combining marks, wide and astral characters.
AWKWARD = "\x00\x01\x0b\x0c\x1c\x1e\x7f\x85\ufeff\u2028\u2029\u202e\u200b\ud800\u0301\u3000𝟏١٢٣é中\r\n\t <>&\"'/"
awkward_text = st.text(alphabet=st.characters(codec=None) | st.sampled_from(AWKWARD), max_size=300)
printable_words = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"], exclude_characters="<>&"),
    min_size=1,
    max_size=80,
)
non_latin1_words = st.text(
    alphabet=st.characters(
        codec="utf-8",
        categories=["L", "N", "P", "Zs"],
        exclude_characters="<>&" + "".join(map(chr, range(0x80, 0x100))),
    ),
    min_size=1,
    max_size=80,
).filter(str.strip)
MARKUP = [
    "<html>", "</html>", "<head>", "<title>", "</title>", "<body>", "</body>", "<article>", "</article>",
    "<p>", "</p>", "<div>", "</div>", "<br>", "<h1>", "</h1>", "<script>", "</script>", "<style>", "<!--", "-->",
    "<![CDATA[", "]]>", "<svg>", "<meta charset='utf-16'>", '<meta property="article:published_time" content="',
    '">', '<link rel="canonical" href="', "http://[", "https://example.org/a?utm_source=x#f", "&amp;", "&#0;",
    "&#x110000;", "&lol;", "<?xml version='1.0'?>", "<!DOCTYPE html>", '<html lang="', "<a href='javascript:x'>",
    '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "0001-01-01T00:00:00+05:00"}',
]  # fmt: skip
html_bytes = st.one_of(
    st.binary(max_size=2000),
    st.lists(st.sampled_from(MARKUP) | awkward_text, max_size=40).map(
        lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
    ),
)
extreme_datetimes = st.one_of(
    st.datetimes(
        timezones=st.none()
        | st.just(UTC)
        | st.builds(timezone, st.timedeltas(timedelta(hours=-23), timedelta(hours=23)))
    ),
    st.sampled_from(
        [datetime.min, datetime.max, datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)]
    ),
)


def _assert_one_line(failure_or_error) -> None:
    reason = failure_or_error.reason
    assert reason and "\n" not in reason and "Traceback" not in reason


def _check_extraction(doc: RawDocument) -> None:
    """``extract`` never raises: every item is an article with text or a failure with one reason."""
    extraction = extract(doc)
    for failure in extraction.failures:
        assert failure.item.startswith(doc.origin)
        _assert_one_line(failure)
    for article in extraction.articles:
        assert article.id and article.text.strip() == article.text and article.text
        assert article.published is None or article.published.utcoffset() == timedelta(0)


# -- HTML, text, JSONL and feed extraction --------------------------------------------------


@given(html_bytes)
@example(b'<html><head><link rel="canonical" href="http://[x/a"></head><body><p>' + b"Words and more words. " * 5)
def test_html_extraction_never_raises(data):
    _check_extraction(RawDocument(origin="page.html", kind="html", data=data))


@given(st.binary(max_size=500) | awkward_text.map(lambda t: t.encode("utf-8", "surrogatepass")))
@example("\u3000\n".encode())  # only Unicode whitespace: no line to take the title from
def test_text_extraction_never_raises(data):
    _check_extraction(RawDocument(origin="story.txt", kind="text", data=data))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | awkward_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(awkward_text, children, max_size=3),
    max_leaves=10,
)
json_records = st.fixed_dictionaries(
    {},
    optional={
        name: json_values
        | awkward_text
        | st.sampled_from(["http://[x", "0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
        for name in ("id", "title", "text", "url", "source", "published")
    },
)


@given(st.lists(json_records | json_values, max_size=5), st.booleans())
@example([{"text": "A story.", "url": "http://[x"}], True)
@example([{"text": "A story.", "published": "0001-01-01T00:00:00+05:00"}], True)
def test_jsonl_lines_are_articles_or_one_failure_each(records, ascii_only):
    lines = [json.dumps(r, ensure_ascii=ascii_only) for r in records]
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    extraction = extract(RawDocument(origin="feed.jsonl", kind="jsonl", data=data))
    for failure in extraction.failures:
        _assert_one_line(failure)
    if ascii_only:  # every line survives decoding intact: one outcome per non-blank line
        assert len(extraction.articles) + len(extraction.failures) == sum(1 for line in lines if line.strip())


@given(st.binary(max_size=1000))
def test_jsonl_bytes_never_raise(data):
    _check_extraction(RawDocument(origin="feed.jsonl", kind="jsonl", data=data))


def test_a_line_nested_too_deeply_costs_only_itself():
    data = b"[" * 100_000 + b'\n{"text": "The line after a hostile one is kept."}\n'
    extraction = extract(RawDocument(origin="feed.jsonl", kind="jsonl", data=data))
    assert [f.item for f in extraction.failures] == ["feed.jsonl:1"]
    assert [a.text for a in extraction.articles] == ["The line after a hostile one is kept."]


@given(st.lists(st.fixed_dictionaries({"title": printable_words, "text": printable_words}), min_size=1, max_size=5))
@example([{"title": "Line\u2028separator", "text": "Paragraph\u2029separator and NEL\x85 inside."}])
def test_jsonl_round_trip_keeps_every_article(records):
    """Valid JSON Lines, whatever characters the strings hold, give back every article's text.

    JSON may carry U+2028, U+2029 and U+0085 raw inside a string; they do not end a line.
    """
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    extraction = extract(RawDocument(origin="feed.jsonl", kind="jsonl", data=data))
    assert extraction.failures == []
    assert [a.text for a in extraction.articles] == [r["text"].strip() for r in records]


@given(awkward_text)
@example("\ud800")  # a JSON "\\ud800" escape: a lone surrogate, not encodable as UTF-8
def test_record_fields_of_any_text_are_read_or_refused_clearly(value):
    for name in ("id", "title", "text", "url", "source", "published"):
        try:
            article = article_from_record({"text": "Body text.", name: value}, "api:1")
        except InputError as exc:
            assert exc.item == "api:1"
            _assert_one_line(exc)
        else:
            assert article.text


@given(st.binary(max_size=2000) | html_bytes)
@example(b"<>&#2000000;")  # a character reference beyond Unicode
def test_feed_bytes_never_raise(data):
    _check_extraction(RawDocument(origin="news.rss", kind="feed", data=data))


@given(
    st.lists(
        st.tuples(non_latin1_words, non_latin1_words),
        min_size=1,
        max_size=4,
        unique_by=lambda e: e[1],
    )
)
def test_feed_round_trip_gives_each_entry_title_and_text(entries):
    """(Outside Latin-1: feedparser repairs text that reads like UTF-8 decoded as Latin-1, so a
    title that really is "Â¡" comes back as "¡".)"""
    items = "".join(
        f"<item><title>{escape(title)}</title><link>https://example.org/{n}</link>"
        f"<description>{escape(escape(text))}</description></item>"
        for n, (title, text) in enumerate(entries)
    )
    data = (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>{items}</channel></rss>'
    )
    extraction = extract(RawDocument(origin="news.rss", kind="feed", data=data.encode()))
    assert extraction.failures == []
    assert [" ".join(a.title.split()) for a in extraction.articles] == [" ".join(t.split()) for t, _ in entries]
    assert [" ".join(a.text.split()) for a in extraction.articles] == [" ".join(t.split()) for _, t in entries]


@given(awkward_text | st.lists(st.sampled_from(MARKUP) | awkward_text, max_size=20).map("".join))
def test_feed_fragment_text_never_raises(fragment):
    assert isinstance(html_fragment_text(fragment), str)


@given(st.binary(max_size=400))
def test_any_bytes_decode_to_text_or_a_clear_error(data):
    try:
        text = decode_text(data, "in.txt")
    except InputError as exc:
        assert exc.item == "in.txt"
    else:
        assert isinstance(text, str)
        if data.isascii():
            assert text == data.decode("ascii").removeprefix("\ufeff")


# -- reading files ---------------------------------------------------------------------------


@given(
    st.binary(max_size=3000),
    st.sampled_from(["a.html", "a.htm", "a.txt", "a.jsonl", "a.rss", "a.xml", "a.html.gz", "a.jsonl.gz", "a.pdf"]),
    st.booleans(),
)
def test_any_file_is_read_or_refused_with_its_name(payload, name, compress):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(gzip.compress(payload) if compress else payload)
        try:
            doc = read_document(path)
        except InputError as exc:
            assert exc.item == str(path)
            _assert_one_line(exc)
        else:
            assert doc.data.strip() and b"\x00" not in doc.data[:8192]
            _check_extraction(doc)


@given(st.binary(max_size=5000), st.integers(min_value=0, max_value=6000), st.integers(min_value=0, max_value=60))
def test_gunzip_round_trips_within_the_limit_and_refuses_the_rest(payload, limit, cut):
    packed = gzip.compress(payload)
    if len(payload) <= limit:
        assert gunzip(packed, "x.gz", limit) == payload
    else:
        with pytest.raises(InputError, match="too large once decompressed"):
            gunzip(packed, "x.gz", limit)
    if cut:
        try:
            out = gunzip(packed[:-cut], "x.gz", limit)
        except InputError as exc:
            _assert_one_line(exc)
        else:
            assert payload.startswith(out)


# -- sentence splitting -----------------------------------------------------------------------


def _subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(c in it for c in needle)


@given(
    awkward_text
    | st.lists(printable_words | st.sampled_from(["\n", "\n\n", ". ", "GENEVA - ", "U.S. "]), max_size=30).map("".join)
)
@example("a\x00b. c")
@example("A lone \ud800 surrogate. And more.")
def test_sentences_are_numbered_stripped_and_quote_the_text(text):
    article = Article(id="a", text=text)
    sentences = split_sentences(article)
    assert [s.position for s in sentences] == list(range(len(sentences)))
    for sentence in sentences:
        assert sentence.text and sentence.text == sentence.text.strip() and "\n" not in sentence.text
        assert sentence.article_id == "a"
    # Nothing is invented: the sentences' visible characters appear in the article in order
    # (the splitter turns NUL into a space, so spaces and NUL are left out of the comparison).
    # A lone surrogate (not encodable) becomes U+FFFD.
    visible = "".join("".join(s.text.split()) for s in sentences)
    source = re.sub("[\ud800-\udfff]", "\ufffd", text)
    assert _subsequence(visible.replace("\x00", ""), "".join(source.split()).replace("\x00", ""))
    # The article page numbers sentences as the summariser does, so citations land on the right one.
    assert [s.text for p in article_paragraphs(article) for s in p] == [s.text for s in sentences]
    assert isinstance(is_boilerplate(text), bool)


# -- numbers -----------------------------------------------------------------------------------

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _spelled(n: int) -> str:
    """English words for 0 <= n < 10**9, as reporters write them ("three hundred and five")."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("-" + _ONES[n % 10] if n % 10 else "")
    if n < 1000:
        return _ONES[n // 100] + " hundred" + (" and " + _spelled(n % 100) if n % 100 else "")
    for scale, name in ((1_000_000, "million"), (1_000, "thousand")):
        if n >= scale:
            return _spelled(n // scale) + " " + name + (" " + _spelled(n % scale) if n % scale else "")
    raise AssertionError(n)


@given(st.integers(min_value=0, max_value=999_999_999))
def test_numbers_in_digits_commas_and_words_parse_to_their_value(n):
    assert parse_number(str(n)) == n
    assert parse_number(f"{n:,}") == n
    assert parse_number(_spelled(n)) == n


@given(
    awkward_text
    | st.lists(
        st.sampled_from(
            _ONES + _TENS[2:] + ["hundred", "thousand", "million", "billion", "and", "-", "1.5", "9" * 400]
        ),
        max_size=8,
    ).map(" ".join)
)
def test_parse_number_gives_a_number_or_none(words):
    value = parse_number(words)
    assert value is None or (isinstance(value, float) and value >= 0)


# -- dates -------------------------------------------------------------------------------------


@given(awkward_text | st.datetimes(timezones=st.none() | st.just(UTC)).map(datetime.isoformat))
@example("0001-01-01T00:00:00+05:00")
@example("9999-12-31T23:00:00-05:00")
def test_parse_date_gives_utc_or_a_value_error(value):
    try:
        parsed = parse_date(value)
    except ValueError as exc:
        assert "unreadable date" in str(exc) or "out of range" in str(exc)
    else:
        assert parsed is None or parsed.utcoffset() == timedelta(0)


@given(
    st.datetimes(timezones=st.just(UTC) | st.builds(timezone, st.timedeltas(timedelta(hours=-14), timedelta(hours=14))))
)
def test_iso_dates_keep_their_instant(moment):
    try:
        parsed = parse_date(moment.isoformat())
    except ValueError:
        assume(False)  # at the ends of the calendar the instant has no UTC twin; refusing is right
    assert parsed == moment


WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
date_expressions = st.one_of(
    awkward_text,
    st.sampled_from(WEEKDAYS).map(lambda d: f"on {d.title()}"),
    st.sampled_from(
        [
            "yesterday",
            "today",
            "tonight",
            "this morning",
            "December",
            "early March",
            "in 2014",
            "Sept. 31",
            "February 29",
            "31st of June 2019",
            "2019-02-30",
        ]
    ),
    st.tuples(st.sampled_from(["January", "Feb.", "sept", "Oct"]), st.integers(-1, 40), st.integers(1800, 2200)).map(
        lambda t: f"{t[0]} {t[1]}, {t[2]}"
    ),
)


@given(date_expressions, st.none() | extreme_datetimes)
@example("yesterday", datetime(1, 1, 1, tzinfo=UTC))
@example("on Sunday", datetime(1, 1, 1, tzinfo=UTC))
@example("December", datetime(1, 1, 1, tzinfo=UTC))
def test_resolved_dates_are_real_and_never_after_the_report(expression, anchor):
    resolved = resolve_date(expression, anchor)
    if resolved is None:
        return
    moment, resolution = resolved
    assert resolution in ("day", "month", "year") and isinstance(moment, datetime)
    relative = expression.lower().lstrip("on ").split(" ")[0] in [*WEEKDAYS, "yesterday", "today", "tonight", "this"]
    if anchor is not None and relative:
        day = anchor.replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
        assert timedelta(0) <= day - moment <= timedelta(days=6)
        if expression.startswith("on "):
            assert WEEKDAYS[moment.weekday()] == expression[3:].lower()


# -- URLs and addresses -----------------------------------------------------------------------


@given(urls() | awkward_text | st.sampled_from(["http://[x", "https://[::1", "http://a:99999999/", "http://%zz/"]))
def test_url_helpers_never_raise(url):
    assert isinstance(is_url(url), bool)
    assert isinstance(outlet_of(url), str)
    assert isinstance(canonical_url(url), str)


@given(urls())
def test_canonical_urls_are_stable_and_carry_no_fragment(url):
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert "#" not in once
    assert is_url(once)


@given(st.ip_addresses(v=4))
def test_an_ipv4_address_is_judged_the_same_when_mapped_into_ipv6(address):
    assert is_public_address(str(address)) == is_public_address(f"::ffff:{address}")


@given(
    st.sampled_from(
        [
            "127.0.0.0/8",
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "169.254.0.0/16",
            "100.64.0.0/10",
            "0.0.0.0/8",
            "fc00::/7",
            "fe80::/10",
            "::1/128",
        ]
    ),
    st.integers(min_value=0),
)
def test_every_address_of_a_private_range_is_refused(network, offset):
    net = ipaddress.ip_network(network)
    assert not is_public_address(str(net[offset % net.num_addresses]))


# -- alias tables ------------------------------------------------------------------------------


@given(awkward_text)
def test_alias_tables_parse_or_name_the_bad_line(text):
    try:
        entries = read_aliases(text, "aliases.tsv")
    except InputError as exc:
        assert exc.item.startswith("aliases.tsv:")
    else:
        assert all(alias and canonical and label for alias, canonical, label in entries)
