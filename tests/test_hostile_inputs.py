"""Bad and hostile input: one line naming the item and the reason, the batch goes on, stored data intact."""

from __future__ import annotations

import gzip
import json
import re
import resource
import sqlite3
import subprocess
import sys
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


# -- fixed time and memory bounds -----------------------------------------------------------

SENTENCE = "The council said the river rose on Monday and forty homes were flooded in the town. "
SECONDS_PER_INPUT = 20  # generous: each takes well under 5 s even on a busy 2-core machine
PEAK_MEMORY_MB = 1500  # the reader process's peak resident size over all inputs
TFIDF_ONLY = {"STORYLINE_EMBEDDINGS": "off"}  # these tests are about reading, not clustering
ADDRESS_SPACE_LIMIT = 4 * 1024**3  # a hard cap: a runaway allocation fails instead of eating the machine

# Reads and extracts each file named on the command line, printing one JSON line per file with
# the outcome, the wall time and the process's peak memory so far.
READER = r"""
import json, resource, sys, time
from pathlib import Path
from storyline.errors import InputError
from storyline.extract import extract
from storyline.ingest import read_documents
for name in sys.argv[1:]:
    started, articles, failures, crash = time.perf_counter(), 0, [], None
    try:
        for doc in read_documents(Path(name)):
            if isinstance(doc, InputError):
                failures.append(doc.reason)
                continue
            extraction = extract(doc)
            articles += len(extraction.articles)
            failures += [f.reason for f in extraction.failures]
    except BaseException as exc:
        crash = f"{exc.__class__.__name__}: {exc}"[:500]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    record = {"name": Path(name).name, "articles": articles, "failures": failures, "crash": crash}
    print(json.dumps({**record, "seconds": time.perf_counter() - started, "peak_mb": peak}), flush=True)
"""


def hostile_files(folder: Path) -> dict[str, str]:
    """Write the hostile inputs; return each file's name and the outcome expected ("" = any clean one)."""
    laughs = folder / "quadratic.xml"
    laughs.write_text(
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + "x" * 100_000 + '">]><rss><channel><item>'
        "<description>" + "&a;" * 20_000 + "</description></item></channel></rss>"
    )
    files = {
        "nested_100k.html": "<html><body>" + "<div>" * 100_000 + SENTENCE + "</div>" * 100_000,
        "huge_attribute.html": '<html><body><p title="' + "x" * 20_000_000 + '">' + SENTENCE * 3 + "</p></body></html>",
        "many_attributes.html": "<p " + " ".join(f'a{i}="v"' for i in range(10_000)) + ">" + SENTENCE * 3 + "</p>",
        "enormous_line.txt": "A title\n" + SENTENCE * 120_000,  # one 10 MB line
        "enormous_title.txt": "T" * 10_000_000 + "\n" + SENTENCE * 3,
        "enormous_line.jsonl": json.dumps({"text": SENTENCE * 120_000}) + "\n",
        "nul_after_sniffing.txt": "A title\n" + SENTENCE * 200 + "\x00" * 1000 + SENTENCE,
        "deep_feed.xml": '<?xml version="1.0"?><rss><channel><item><title>t</title><description>'
        + "<a>" * 30_000
        + "</description></item></channel></rss>",
        "deep_entry.rss": '<?xml version="1.0"?><rss><channel><item><title>t</title><description>'
        + "&lt;div&gt;" * 30_000
        + SENTENCE
        + "</description></item></channel></rss>",
        "many_entries.rss": '<?xml version="1.0"?><rss><channel><title>w</title>'
        + "".join(
            f"<item><title>t{i}</title><link>https://e.example/{i}</link><description>{SENTENCE}{i}</description></item>"
            for i in range(2_000)
        )
        + "</channel></rss>",
        "unclosed_script.html": "<html><body><p>" + SENTENCE * 5 + "</p>" + "<script" * 1_000_000,
        "many_paragraphs.html": "<html><body>" + f"<p>{SENTENCE}" * 200_000,  # 17 MB of paragraphs
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    invalid = b"\xff\xfe\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc\xed\xa0\x80 "  # bad starts, overlong, surrogates
    (folder / "invalid_utf8.txt").write_bytes(b"A title\n" + (invalid + SENTENCE.encode()) * 20_000)
    (folder / "invalid_utf8.html").write_bytes(b"<p>" + (invalid + SENTENCE.encode()) * 20_000 + b"</p>")
    (folder / "bomb.html.gz").write_bytes(gzip.compress(b" " * 200_000_000, 9))  # 200 MB in 200 KB
    expected = dict.fromkeys([*files, "invalid_utf8.txt", "invalid_utf8.html"], "")
    expected |= {
        "quadratic.xml": "EntitiesForbidden",
        "bomb.html.gz": "too large once decompressed",
        "many_paragraphs.html": "refused unparsed",
        "many_attributes.html": "refused unparsed",
    }
    return expected


def _with_address_space_limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))


def read_in_bounded_process(paths: list[Path], timeout: float) -> list[dict]:
    done = subprocess.run(
        [sys.executable, "-c", READER, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_with_address_space_limit,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_each_hostile_input_is_handled_within_time_and_memory_bounds(tmp_path):
    expected = hostile_files(tmp_path)
    outcomes = read_in_bounded_process(
        [tmp_path / name for name in expected], timeout=SECONDS_PER_INPUT * len(expected)
    )
    assert [o["name"] for o in outcomes] == list(expected)
    for outcome in outcomes:
        name = outcome["name"]
        assert outcome["crash"] is None, outcome
        assert outcome["articles"] or outcome["failures"], name  # something was said about it
        assert all(reason and "\n" not in reason for reason in outcome["failures"]), name
        assert expected[name] in " ".join(outcome["failures"]), (name, outcome["failures"])
        assert outcome["seconds"] < SECONDS_PER_INPUT, (name, outcome["seconds"])
    assert max(o["peak_mb"] for o in outcomes) < PEAK_MEMORY_MB


def test_a_tag_with_200k_attributes_is_refused_in_bounded_time(tmp_path):
    # libxml2 compares each new attribute with those before it: 20k attributes take 1 s, 200k take minutes.
    page = tmp_path / "attributes.html"
    page.write_text("<p " + " ".join(f'a{i}="v"' for i in range(200_000)) + ">" + SENTENCE * 3 + "</p>")
    [outcome] = read_in_bounded_process([page], timeout=8)
    assert outcome["crash"] is None and outcome["seconds"] < 5
    assert outcome["failures"] == [
        f"a tag with over {ExtractSettings().max_tag_attributes} attributes (refused unparsed)"
    ]


def test_nul_bytes_and_invalid_unicode_reach_the_store_cleaned_or_not_at_all(tmp_path, db):
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "nul.txt").write_text("Dam opens\n" + SENTENCE * 200 + "\x00\x00" + "The dam opened on Friday.")
    (folder / "escapes.jsonl").write_text(
        '{"id": "lone", "title": "Lone \\ud800 surrogate", "text": "A story with a lone \\udc00 surrogate in it."}\n'
        '{"id": "nul", "text": "A story with a \\u0000 NUL in it."}\n'
    )
    (folder / "latin.txt").write_bytes(
        b"Caf\xe9 reopens\n" + b"The caf\xe9 on the corner of the square reopened on Monday."
    )
    result = run_cli("ingest", str(folder), "--db", db, env=TFIDF_ONLY)
    assert result.returncode == 0, result.stderr
    assert TALLY.search(result.stdout).groups() == ("4", "0", "0", "0")
    with sqlite3.connect(db) as conn:
        stored = dict(conn.execute("SELECT id, title || ' ' || text FROM articles"))
    assert all("\x00" not in text for text in stored.values())
    assert stored["lone"] == "Lone \ufffd surrogate A story with a lone \ufffd surrogate in it."
    assert stored["nul"].strip() == "A story with a  NUL in it."
    assert any("café on the corner" in text for text in stored.values())


def test_links_out_of_an_input_folder_are_not_followed(tmp_path, db):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "id_rsa.txt").write_text("Private key\n" + "SECRET-KEY-MATERIAL " * 10)
    folder = tmp_path / "inbox"
    (folder / "sub").mkdir(parents=True)
    (folder / "story.txt").write_text("Dam opens\nThe new dam on the river opened on Friday after four years of work.")
    (folder / "key.txt").symlink_to(outside / "id_rsa.txt")
    (folder / "story-again.txt").symlink_to(folder / "story.txt")  # inside the folder: fine
    (folder / "sub" / "out").symlink_to(outside, target_is_directory=True)
    (folder / "sub" / "loop").symlink_to(folder, target_is_directory=True)
    result = run_cli("ingest", str(folder), "--db", db, env=TFIDF_ONLY)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"storyline: {folder / 'key.txt'}: symbolic link to a file outside {folder}; not followed"
    ]
    assert TALLY.search(result.stdout).groups() == ("1", "1", "1", "0")
    with sqlite3.connect(db) as conn:
        assert "SECRET" not in " ".join(t for (t,) in conn.execute("SELECT text FROM articles"))
