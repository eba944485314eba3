from pathlib import Path

import pytest

from storyline.errors import InputError
from storyline.extract import article_from_record, canonical_url, extract, parse_date, without_inert_markup
from storyline.ingest import find_inputs, read_document

DATA = Path(__file__).parent / "data"


def test_text_file_takes_title_from_first_line(examples):
    article = extract(read_document(examples[0])).articles[0]
    assert article.title == "Civilians at risk as US-backed Syrian forces target IS"
    assert article.text.startswith("UN rights chief says")
    assert article.source == examples[0].name


def test_html_page_yields_body_and_metadata_without_boilerplate():
    article = extract(read_document(DATA / "page.html")).articles[0]
    assert article.title == "Wildfire forces thousands to flee in California"
    assert article.source == "Example Times"
    assert article.url == "https://times.example.net/california-wildfire"
    assert article.published is not None and article.published.date().isoformat() == "2018-11-09"
    assert "Paradise" in article.text
    for noise in ("cookies", "Most read", "Copyright", "Home"):
        assert noise not in article.text
    assert not article.text.startswith(article.title)


def test_jsonl_fields_are_read():
    articles = extract(read_document(DATA / "quake.jsonl")).articles
    assert [a.id for a in articles] == ["quake-1", "quake-2", "quake-3"]
    assert articles[0].source == "Example Wire"
    assert articles[0].published.isoformat() == "2016-10-30T07:40:00+00:00"


def test_jsonl_bad_lines_are_reported_and_the_rest_kept(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        '{"id": "a", "text": "First good article text."}\n'
        "{not json\n"
        '["a list"]\n'
        '{"id": "b", "text": ""}\n'
        '{"id": "c", "text": "Third", "published": "not a date at all"}\n'
        '{"id": "d", "text": "Last good one", "title": {"nested": 1}}\n'
        '{"text": "An article without an id gets one from its text."}\n',
        encoding="utf-8",
    )
    extraction = extract(read_document(path))
    assert len(extraction.articles) == 2
    assert extraction.articles[0].id == "a"
    assert len(extraction.articles[1].id) == 16
    reasons = {f.item.rsplit(":", 1)[1]: f.reason for f in extraction.failures}
    assert reasons.keys() == {"2", "3", "4", "5", "6"}
    assert reasons["2"].startswith("invalid JSON")
    assert reasons["3"] == "not a JSON object"
    assert reasons["4"] == "empty text"
    assert "date" in reasons["5"]
    assert "title" in reasons["6"]


def test_a_headline_without_a_body_is_an_article(tmp_path):
    path = tmp_path / "headlines.jsonl"
    path.write_text(
        '{"id": "h", "title": "  Three shot on   Prospect Ave  ", "text": ""}\n{"id": "n", "title": "", "text": " "}\n',
        encoding="utf-8",
    )
    extraction = extract(read_document(path))
    assert [(a.id, a.title, a.text) for a in extraction.articles] == [
        ("h", "Three shot on Prospect Ave", "Three shot on Prospect Ave")
    ]
    assert [f.reason for f in extraction.failures] == ["empty text"]


def test_rss_feed_entries_become_articles():
    extraction = extract(read_document(DATA / "feed.rss"))
    assert [a.title for a in extraction.articles] == [
        "Floods force evacuation of riverside towns in Germany",
        "Central bank holds rates steady",
    ]
    first = extraction.articles[0]
    assert "<p>" not in first.text and "Ahr river" in first.text
    assert first.source == "Example Wire"
    assert first.url == "https://news.example.org/floods-germany"
    assert first.published.isoformat() == "2021-07-14T18:00:00+00:00"


def test_binary_and_empty_files_are_refused_with_a_reason(tmp_path):
    binary = tmp_path / "image.html"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    with pytest.raises(InputError, match="binary file"):
        read_document(binary)
    with pytest.raises(InputError, match="empty file"):
        read_document(empty)


def test_latin1_text_is_decoded(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes(
        "Café owners protest\nThe café owners of Montréal protested on Friday against new rules.".encode("latin-1")
    )
    article = extract(read_document(path)).articles[0]
    assert article.title == "Café owners protest"
    assert "Montréal" in article.text


def test_broken_feed_is_one_failure(tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text("<rss><channel><item><title>unclosed")
    extraction = extract(read_document(path))
    assert extraction.articles == []
    assert len(extraction.failures) == 1 and extraction.failures[0].item == str(path)


def test_find_inputs_walks_directories_and_flags_unsupported(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("T\nbody")
    (tmp_path / "notes.pdf").write_text("x")
    (tmp_path / ".hidden.txt").write_text("x")
    found = list(find_inputs([tmp_path, tmp_path / "missing.txt"]))
    assert tmp_path / "sub" / "a.txt" in found
    errors = sorted(str(f) for f in found if isinstance(f, InputError))
    assert errors == [
        f"{tmp_path / 'missing.txt'}: no such file or directory",
        f"{tmp_path / 'notes.pdf'}: unsupported file type",
    ]
    assert len(found) == 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-03-05", "2019-03-05T00:00:00+00:00"),
        ("2019-03-05T10:00:00+02:00", "2019-03-05T08:00:00+00:00"),
        ("Tue, 05 Mar 2019 10:00:00 GMT", "2019-03-05T10:00:00+00:00"),
    ],
)
def test_dates_are_normalised_to_utc(value, expected):
    assert parse_date(value).isoformat() == expected


def test_unreadable_date_raises_value_error():
    with pytest.raises(ValueError):
        parse_date("yesterday-ish")


def test_canonical_urls_drop_tracking_parameters_and_fragments():
    assert (
        canonical_url("HTTPS://News.Example.com:443/a/story?utm_source=rss&id=7#comments")
        == "https://news.example.com/a/story?id=7"
    )
    assert canonical_url("") == "" and canonical_url("urn:x") == "urn:x"


def test_html_language_comes_from_the_page():
    article = extract(read_document(DATA / "page.html")).articles[0]
    assert article.language == "en"


def test_inert_markup_is_dropped_but_json_ld_metadata_kept():
    page = (
        b'<p>a</p><SCRIPT src="x.js">var s = "<p>not text</p>";</script><!-- note --><style>p{}</style>'
        b'<script type="application/ld+json">{"@type": "NewsArticle"}</script><svg><text>logo</text></svg><p>b</p>'
    )
    assert without_inert_markup(page) == (
        b'<p>a</p><script type="application/ld+json">{"@type": "NewsArticle"}</script><p>b</p>'
    )
    unclosed = b"<p>keep</p><script>never closed <p>x</p>"
    assert without_inert_markup(unclosed) == unclosed


def test_navigation_asides_and_footers_are_dropped_whole_keeping_their_json_ld():
    page = (
        b"<p>a</p><NAV><ul><nav>menu</nav></ul>more menu</nav><p>b</p>"
        b'<footer>(c) <script type="application/ld+json">{"@type": "NewsArticle"}</script></footer>'
        b"<navigation>kept: not a nav element</navigation><aside>never closed"
    )
    assert without_inert_markup(page) == (
        b'<p>a</p><p>b</p><script type="application/ld+json">{"@type": "NewsArticle"}</script>'
        b"<navigation>kept: not a nav element</navigation><aside>never closed"
    )


@pytest.mark.parametrize(
    ("record", "outlet"),
    [
        ({"text": "Story.", "source": "Example Wire", "url": "https://www.nytimes.com/a"}, "Example Wire"),
        ({"text": "Story.", "source": "www.nytimes.com"}, "The New York Times"),
        ({"text": "Story.", "url": "https://www.bbc.co.uk/news/world-1"}, "BBC"),
        ({"text": "Story.", "url": "https://latimesblogs.latimes.com/lanow/x"}, "Los Angeles Times"),
        ({"text": "Story.", "url": "https://www.wave3.com/story/1"}, "wave3.com"),
        ({"text": "WASHINGTON (AP) _ The Senate voted on Tuesday."}, "AP"),
        ({"text": "BEIJING, Jan. 2 (Xinhua) -- China opened a bridge."}, "Xinhua"),
        ({"text": "March 3, 2015 7:18 PM\n\n(Reuters) - Shares fell."}, "Reuters"),
        ({"id": "APW19990101.0001", "text": "The Senate voted on Tuesday."}, "AP"),
        ({"id": "XIE_ENG_20050101.0001", "text": "A bridge opened."}, "Xinhua"),
        ({"id": "ABC12345678", "text": "Smith (R-Texas) said little."}, ""),
        ({"text": "MONUMENT (Phoenix) _ Interior Secretary Bruce Babbitt will ask for four monuments."}, ""),
        ({"text": "(UNDATED) _ It's too easy to get angry about the death penalty."}, ""),
        ({"text": "HAWTHORNE (CBSLA.com) — A man was shot."}, "cbsla.com"),
    ],
)
def test_an_articles_outlet_is_what_its_input_names_and_known_hosts_read_as_names(record, outlet):
    assert article_from_record(record, "item").source == outlet
