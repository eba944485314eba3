"""Bad and hostile input: one line naming the item and the reason, the batch goes on, stored data intact."""

from __future__ import annotations

import gzip
import re
import sqlite3
import time
from pathlib import Path

import pytest

from conftest import run_cli
from storyline.config import ExtractSettings
from storyline.errors import InputError
from storyline.extract import extract, without_inert_markup
from storyline.ingest import read_document

DATA = Path(__file__).parent / "data"
TALLY = re.compile(r"(\d+) new, (\d+) duplicate, (\d+) failed, (\d+) skipped")

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>Laughs</title>
<item><title>Boom</title><link>https://laughs.example/1</link><description>&lol9;</description></item>
</channel></rss>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>Leak</title>
<item><title>Leak</title><link>https://leak.example/1</link><description>&secret;</description></item>
</channel></rss>"""

DUPLICATE_ENTRIES = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Echo Wire</title>
<item><title>Dam repaired</title><link>https://echo.example/dam</link>
<description>Engineers finished repairing the dam on Sunday after a week of work.</description></item>
<item><title>Dam repaired</title><link>https://echo.example/dam</link>
<description>Engineers finished repairing the dam on Sunday after a week of work.</description></item>
</channel></rss>"""


def test_billion_laughs_feed_is_refused_without_expanding(tmp_path):
    path = tmp_path / "laughs.xml"
    path.write_bytes(BILLION_LAUGHS)
    started = time.monotonic()
    extraction = extract(read_document(path))
    assert time.monotonic() - started < 2
    assert extraction.articles == []
    [failure] = extraction.failures
    assert failure.item == str(path) and "EntitiesForbidden" in failure.reason


def test_external_entity_feed_cannot_read_local_files(tmp_path):
    path = tmp_path / "xxe.rss"
    path.write_bytes(XXE)
    extraction = extract(read_document(path))
    assert extraction.articles == []
    assert "feed refused" in extraction.failures[0].reason


def test_script_only_and_empty_pages_have_no_article(tmp_path):
    script = tmp_path / "script.html"
    script.write_text("<html><head><script>var a = 1;" + "x();" * 500 + "</script></head><body></body></html>")
    [failure] = extract(read_document(script)).failures
    assert failure.reason == "no article text found"
    empty = tmp_path / "empty.html"
    empty.write_text("\n \t\n")
    with pytest.raises(InputError, match="empty file"):
        read_document(empty)


def test_gzip_bombs_and_truncated_gzip_are_refused(tmp_path):
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gzip.compress(b" " * 2_000_000))
    with pytest.raises(InputError, match="too large once decompressed"):
        read_document(bomb, ExtractSettings(max_bytes=100_000))
    cut = tmp_path / "cut.html.gz"
    cut.write_bytes(gzip.compress((DATA / "page.html").read_bytes())[:-40])
    with pytest.raises(InputError, match="bad gzip data"):
        read_document(cut)


def test_a_page_over_the_size_limit_is_refused_before_reading(tmp_path):
    huge = tmp_path / "huge.html"
    with huge.open("wb") as f:  # sparse: 50 MB + 1 byte on disk costs nothing
        f.truncate(ExtractSettings().max_bytes + 1)
    with pytest.raises(InputError, match="too large"):
        read_document(huge)


def test_deeply_nested_markup_is_one_failure_not_a_crash(tmp_path):
    nested = tmp_path / "nested.html"
    nested.write_text("<html><body>" + "<div>" * 200_000 + "deep" + "</div>" * 200_000 + "</body></html>")
    extraction = extract(read_document(nested))
    assert extraction.articles == [] and len(extraction.failures) == 1


def test_unclosed_script_tags_cost_linear_time():
    started = time.monotonic()
    for hostile in (b"<script" * 1_000_000, b"<!--" * 1_000_000, b"</script>" * 300_000 + b"<script>" * 300_000):
        assert without_inert_markup(hostile) == hostile
    assert time.monotonic() - started < 5


def test_mixed_encodings_are_decoded_not_fatal(tmp_path):
    mixed = tmp_path / "mixed.txt"
    mixed.write_bytes(
        "Zürich council votes\n".encode()
        + "Le café de la gare a fermé à Genève après quarante ans, ont annoncé ses propriétaires.".encode("latin-1")
    )
    [article] = extract(read_document(mixed)).articles
    assert "Gen" in article.text and len(article.text) > 40


def test_a_hostile_batch_reports_each_item_and_leaves_stored_data_intact(tmp_path, db, examples):
    first = run_cli("ingest", *map(str, examples), "--db", db)
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(db) as conn:
        before = conn.execute("SELECT id, text FROM articles ORDER BY id").fetchall()

    batch = tmp_path / "hostile"
    batch.mkdir()
    (batch / "laughs.xml").write_bytes(BILLION_LAUGHS)
    (batch / "xxe.rss").write_bytes(XXE)
    (batch / "dupes.rss").write_bytes(DUPLICATE_ENTRIES)
    (batch / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (batch / "script.html").write_text("<html><script>alert(1)</script></html>")
    (batch / "cut.html.gz").write_bytes(gzip.compress((DATA / "page.html").read_bytes())[:-40])
    (batch / "broken.xml").write_text("<rss><channel><item><title>unclosed")
    (batch / "good.html").write_bytes((DATA / "page.html").read_bytes())
    result = run_cli("ingest", str(batch), *map(str, examples), "--db", db)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert tuple(int(n) for n in TALLY.search(result.stdout).groups()) == (2, 3, 6, 0)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 6
    for name in ("laughs.xml", "xxe.rss", "image.html", "script.html", "cut.html.gz", "broken.xml"):
        assert sum(f"{batch / name}: " in line for line in lines) == 1, name
    assert "failed: " in result.stdout  # the tally groups failures by reason
    with sqlite3.connect(db) as conn:
        after = dict(conn.execute("SELECT id, text FROM articles").fetchall())
        assert "root:" not in "".join(after.values())
    assert all(after[i] == text for i, text in before)
