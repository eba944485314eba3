"""The CLI as a user runs it: a real process, real files, a real SQLite database."""

import json
import re
import sqlite3
from pathlib import Path

from conftest import run_cli, write_jsonl

DATA = Path(__file__).parent / "data"
TALLY = re.compile(r"(\d+) new, (\d+) duplicate, (\d+) failed, (\d+) skipped; (\d+) events in (\d+) stories in store")


def _tally(stdout: str) -> tuple[int, ...]:
    return tuple(int(n) for n in TALLY.search(stdout).groups())


def test_ingest_is_idempotent(examples, db):
    first = run_cli("ingest", *map(str, examples), "--db", db)
    assert first.returncode == 0, first.stderr
    assert _tally(first.stdout) == (2, 0, 0, 0, 1, 1)
    again = run_cli("ingest", *map(str, examples), "--db", db)
    assert _tally(again.stdout) == (0, 2, 0, 0, 1, 1)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 2
    assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 2


def test_a_bad_file_is_reported_in_one_line_and_the_rest_ingested(tmp_path, db):
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "quake.jsonl").write_bytes((DATA / "quake.jsonl").read_bytes())
    (batch / "page.html").write_bytes((DATA / "page.html").read_bytes())
    (batch / "broken.html").write_bytes(b"\x00\x01\x02 binary junk \xff\xfe")
    (batch / "lines.jsonl").write_text('{"id": "ok", "text": "A fine line about something."}\n{oops\n')
    (batch / "notes.pdf").write_bytes(b"%PDF-1.4")
    result = run_cli("ingest", str(batch), "--db", db)
    assert result.returncode == 1
    assert _tally(result.stdout)[:4] == (5, 0, 2, 1)
    errors = result.stderr.strip().splitlines()
    assert errors == [
        f"storyline: {batch / 'broken.html'}: binary file, not text",
        f"storyline: {batch / 'lines.jsonl'}:2: invalid JSON (Expecting property name enclosed in double quotes)",
        f"storyline: {batch / 'notes.pdf'}: unsupported file type",
    ]
    assert "Traceback" not in result.stderr


def test_database_path_from_the_environment(examples, tmp_path):
    db = tmp_path / "env.db"
    result = run_cli("ingest", str(examples[0]), env={"STORYLINE_DB": str(db)})
    assert result.returncode == 0 and db.exists()


def test_events_in_every_format(examples, db):
    run_cli("ingest", *map(str, examples), "--db", db)
    as_json = run_cli("events", "--format", "json", "--db", db)
    [event] = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert event["headline"] and len(event["articles"]) == 2
    assert event["sources"] == [p.name for p in examples]
    assert all(s["source"] and s["article_id"] and s["text"] for s in event["summary"])
    text = run_cli("events", "--db", db).stdout
    assert event["headline"] in text and event["summary"][0]["text"] in text
    markdown = run_cli("events", "--format", "markdown", "--db", db).stdout
    assert markdown.startswith(f"## {event['headline']}") and "**Sources:**" in markdown


def test_events_are_filtered_ordered_and_limited(tmp_path, db):
    records = [
        {
            "id": f"r{n}",
            "title": f"{topic} in {town}",
            "text": f"The {topic.lower()} in {town} forced {100 + n} residents from their homes on day {n}, officials said.",
            "source": f"Outlet {n % 3}",
            "published": f"2024-03-{1 + 3 * n:02d}T08:00:00Z",
        }
        for n, (topic, town) in enumerate(
            [("Flood", "Aldwick"), ("Fire", "Brora"), ("Flood", "Corbridge"), ("Storm", "Dunoon"), ("Fire", "Ely")]
        )
    ]
    write_jsonl(tmp_path / "towns.jsonl", records)
    assert (
        run_cli("ingest", str(tmp_path / "towns.jsonl"), "--db", db, env={"STORYLINE_EMBEDDINGS": "off"}).returncode
        == 0
    )

    def headlines(*options: str) -> list[str]:
        result = run_cli("events", "--db", db, "--format", "json", *options)
        assert result.returncode == 0, result.stderr
        return [json.loads(line)["headline"] for line in result.stdout.splitlines()]

    newest_first = headlines()
    assert len(newest_first) == 5 and "Ely" in newest_first[0] and "Aldwick" in newest_first[-1]
    assert headlines("--limit", "2") == newest_first[:2]
    assert all("Flood" in h for h in headlines("--q", "flood")) and len(headlines("--q", "FLOOD")) == 2
    assert headlines("--q", "flood", "--outlet", "Outlet 2") == [h for h in newest_first if "Corbridge" in h]
    assert headlines("--since", "2024-03-07", "--until", "2024-03-10") == [
        h for h in newest_first if "Corbridge" in h or "Dunoon" in h
    ]
    assert headlines("--sort", "recent", "--limit", "0") == newest_first
    limited = run_cli("events", "--db", db, "--limit", "2")
    assert limited.stderr == "storyline: 2 of 5 events; --limit 0 shows them all\n"
    assert run_cli("events", "--db", db, "--sort", "best").returncode == 2  # a usage error, named


def test_summarize_prints_one_json_object_per_input(tmp_path):
    quake, final = str(DATA / "quake.jsonl"), str(DATA / "final.jsonl")
    result = run_cli("summarize", quake, str(tmp_path / "missing.jsonl"), final, "--words", "60", "--format", "json")
    assert result.returncode == 1
    assert result.stderr.strip() == f"storyline: {tmp_path / 'missing.jsonl'}: no such file or directory"
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["input"] for r in records] == [quake, final]
    for record in records:
        assert set(record) == {"input", "headline", "sentences"}
        assert record["sentences"]
        assert sum(len(s["text"].split()) for s in record["sentences"]) <= 60
        for sentence in record["sentences"]:
            assert set(sentence) >= {"text", "article_id", "source"}
    assert "Norcia" in records[0]["headline"] and "Portugal" in records[1]["headline"]


def test_summarize_default_budget_is_100_words(examples, tmp_path):
    records = [{"id": p.stem, "title": p.read_text().splitlines()[0], "text": p.read_text()} for p in examples]
    path = write_jsonl(tmp_path / "baghouz.jsonl", records)
    [record] = [json.loads(line) for line in run_cli("summarize", str(path)).stdout.splitlines()]
    words = sum(len(s["text"].split()) for s in record["sentences"])
    assert 60 <= words <= 100


def test_cluster_prints_one_line_per_article_in_input_order(tmp_path):
    lines = (DATA / "quake.jsonl").read_text().splitlines() + (DATA / "final.jsonl").read_text().splitlines()
    stream = tmp_path / "stream.jsonl"
    stream.write_text("\n".join(sorted(lines, key=lambda line: json.loads(line)["published"])) + "\n")
    result = run_cli("cluster", str(stream), "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["final-1", "final-2", "quake-1", "quake-2", "quake-3"]
    assert len({r["event_id"] for r in rows}) == 2


def test_cluster_reports_a_refused_line_and_exits_1_after_clustering_the_rest(tmp_path):
    lines = (DATA / "quake.jsonl").read_text().splitlines()
    stream = tmp_path / "stream.jsonl"
    headline = json.dumps({"id": "headline-only", "title": "Aftershocks hit Norcia again", "text": ""})
    stream.write_text("\n".join([*lines, "{broken", headline]) + "\n")
    result = run_cli("cluster", str(stream), "--format", "json")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"storyline: {stream}:4: invalid JSON (Expecting property name enclosed in double quotes)"
    )
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["quake-1", "quake-2", "quake-3", "headline-only"]


def test_demo_reads_well(tmp_path):
    result = run_cli("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "2 new, 0 duplicate, 0 failed, 0 skipped; 1 events in 1 stories in store" in out
    bullets = [line for line in out.splitlines() if line.startswith("  - ")]
    assert 3 <= len(bullets) <= 7
    cited = {re.search(r"\[([^\]]+)\]$", line).group(1) for line in bullets}
    assert cited == {"000_59335bc80742e154.txt", "003_94fbe2f2ab094934.txt"}
    for noise in ("Latest News", "Charlie Hebdo", "constitution"):
        assert noise not in out
    assert not (tmp_path / "storyline.db").exists()  # the demo leaves the working directory alone


def test_store_errors_are_one_line_not_a_traceback(tmp_path):
    result = run_cli("events", "--db", str(tmp_path / "no" / "such" / "dir.db"))
    assert result.returncode == 1
    assert result.stderr.startswith("storyline: error: ") and len(result.stderr.strip().splitlines()) == 1
