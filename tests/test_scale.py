"""Scale-out on Dask: the same input gives the same store on 2 workers as in one process.

The input is real (GVA incident articles from ../shared/eval; where that folder is absent, as in
CI, the bundled Baghouz pair and the test data's reports) set in news pages and packed in WARC
files, as Common Crawl News ships them, plus a JSONL shard, with syndicated copies placed in other
partitions than their originals, so that near-duplicate grouping must work across partitions.
"""

from __future__ import annotations

import gzip
import html
import io
import json
from pathlib import Path

import numpy as np
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from conftest import EVAL, EXAMPLES, run_cli
from storyline.config import ClusterSettings, DedupSettings, EmbedSettings, ScaleSettings
from storyline.dedup import CopyFinder, MemorySignatureIndex, mark_copies
from storyline.model import Article
from storyline.scale import article_features, holds_articles, input_partitions
from storyline.store import Store

GVA = EVAL / "gva-incidents-dev" / "gva_incidents_2013_2015.jsonl.gz"
DATA = Path(__file__).resolve().parent / "data"
ARTICLES = 40


def _records() -> list[dict]:
    return _gva_records(ARTICLES) if GVA.is_file() else _bundled_records()


def _copies(records: list[dict]) -> int:
    """How many stories get a wire copy in another partition (and a JSONL copy of their own)."""
    return min(6, len(records) // 3)


def _bundled_records() -> list[dict]:
    """The project's own articles: the bundled Baghouz texts (title on the first line) and the
    earthquake and football reports of the test data."""
    records = []
    for number, path in enumerate(sorted(EXAMPLES.glob("*.txt"))):
        title, _, text = path.read_text(encoding="utf-8").partition("\n")
        source = ("wire.example.org", "aggregator.example.net")[number % 2]
        records.append(
            {
                "id": path.stem,
                "title": title,
                "text": text.strip(),
                "source": source,
                "published": "2019-03-05T10:00:00Z",
            }
        )
    for name in ("quake.jsonl", "final.jsonl"):
        records += [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
    return records


def _gva_records(n: int) -> list[dict]:
    records = []
    with gzip.open(GVA, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if len(record.get("text") or "") > 400:
                records.append(record)
            if len(records) == n:
                return records
    return records


def _page(record: dict, url: str) -> bytes:
    esc = html.escape
    paragraphs = "".join(f"<p>{esc(p)}</p>" for p in record["text"].split("\n") if p.strip())
    return (
        f'<html lang="en"><head><title>{esc(record["title"])}</title>'
        f'<meta property="og:title" content="{esc(record["title"])}">'
        f'<meta property="og:site_name" content="{esc(record["source"])}">'
        f'<meta property="article:published_time" content="{record["published"]}"></head><body>'
        f'<nav><a href="/">Home</a> <a href="/local">Local</a></nav><article><h1>{esc(record["title"])}</h1>'
        f"{paragraphs}</article><footer>Copyright {esc(record['source'])}</footer></body></html>"
    ).encode()


def _write_warc(path: Path, pages: list[tuple[str, bytes]]) -> None:
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for url, body in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
            writer.write_record(record)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two WARC files and a JSONL shard; the second WARC holds syndicated copies of the first's stories."""
    folder = tmp_path_factory.mktemp("corpus")
    records = _records()
    copied = _copies(records)
    pages = [
        (f"https://{r['source']}/story/{r['id']}", _page(r, f"https://{r['source']}/story/{r['id']}")) for r in records
    ]
    copies = []
    for r in records[:copied]:
        # A wire story on another site: a new headline and an editor's line of its own, the same body.
        note = f"Editors: this story about {r['title']} was distributed to members."
        copy = {**r, "title": "Wire: " + r["title"], "source": "wire.example", "text": r["text"] + "\n" + note}
        copies.append((f"https://wire.example/{r['id']}", _page(copy, f"https://wire.example/{r['id']}")))
    half = len(pages) // 2
    _write_warc(folder / "a.warc.gz", pages[:half])
    _write_warc(folder / "b.warc.gz", pages[half:-copied] + copies)
    with (folder / "c.jsonl").open("w", encoding="utf-8") as shard:
        for r in records[-copied:]:
            shard.write(json.dumps({k: r[k] for k in ("id", "title", "text", "published", "source")}) + "\n")
    return folder


def _snapshot(db: str) -> dict:
    with Store(db) as store:
        return {
            e.id: (
                sorted((a.id, a.copy_of) for a in e.articles),
                e.headline,
                [(s.article_id, s.text) for s in e.summary],
                [(t.date, t.text) for t in e.timeline],
                e.entities,
                e.figures,
                e.disagreements,
                store.story(e.story_id),
            )
            for e in store.events()
        }


def test_dask_on_two_workers_gives_the_single_process_result(corpus: Path, tmp_path: Path) -> None:
    single, dask = str(tmp_path / "single.db"), str(tmp_path / "dask.db")
    first = run_cli("ingest", str(corpus), "--db", single)
    assert first.returncode == 0, first.stderr
    second = run_cli("ingest", str(corpus), "--db", dask, "--workers", "2")
    assert second.returncode == 0, second.stderr
    assert first.stdout == second.stdout  # the same tally: new, duplicate, failed, events, stories
    assert "distributed" not in second.stderr  # Dask's logs are silenced
    expected, got = _snapshot(single), _snapshot(dask)
    assert got == expected
    copies = [a for members, *_ in expected.values() for a in members if a[1]]
    records = _records()
    assert len(copies) >= _copies(records)  # the wire copies, found across partitions
    assert len(expected) < len(records)  # articles were grouped into events
    assert any(entities and figures for _, _, _, _, entities, figures, _, _ in expected.values())  # facts on workers
    stories = {story.id: story for *_, story in expected.values()}
    assert None not in stories.values() and 1 < len(stories) <= len(expected)  # every event in a stored story


def test_an_existing_scheduler_is_used_and_a_rerun_stores_nothing_twice(corpus: Path, tmp_path: Path) -> None:
    from distributed import LocalCluster

    db = str(tmp_path / "remote.db")
    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None, processes=True) as cluster:
        first = run_cli("ingest", str(corpus), "--db", db, "--no-facts", "--scheduler", cluster.scheduler_address)
        assert first.returncode == 0, first.stderr
        again = run_cli("ingest", str(corpus), "--db", db, "--no-facts", "--scheduler", cluster.scheduler_address)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("0 new,")
    with Store(db) as store:
        assert store.counts()["articles"] == int(first.stdout.split()[0])


def test_an_unreachable_scheduler_is_one_clear_line(tmp_path: Path, examples: list[Path]) -> None:
    result = run_cli("ingest", *map(str, examples), "--db", str(tmp_path / "x.db"), "--scheduler", "tcp://127.0.0.1:9")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "tcp://127.0.0.1:9: cannot reach the Dask scheduler" in result.stderr
    assert "Traceback" not in result.stderr


def _wire_articles() -> list[Article]:
    body = " ".join(f"word{n} of the story about the flood in the valley town" for n in range(12))
    other = " ".join(f"term{n} in a report on the election results in the capital" for n in range(12))
    return [
        Article(id="a", text=body),
        Article(id="b", text=other),
        Article(id="c", text=body + " Copyright wire service."),
        Article(id="d", text="Short item."),
        Article(id="e", text="BREAKING " + body),
        Article(id="f", text=other.replace("capital", "city", 1)),
    ]


def test_signatures_made_in_partitions_find_the_copies_of_one_pass() -> None:
    """Copies spread over partitions (features made 2 articles at a time) are found as
    ``mark_copies`` finds them, signing the articles in this process one after another."""
    settings = DedupSettings()
    articles = _wire_articles()
    no_model = EmbedSettings(enabled=False)
    parts = [
        article_features((articles[i : i + 2], [False, False]), ClusterSettings(), no_model, settings)[1]
        for i in range(0, len(articles), 2)
    ]
    rows = CopyFinder(MemorySignatureIndex(), settings).find_copies([a.id for a in articles], np.vstack(parts))
    grouped = {row.article_id: row.original_id for row in rows if row.original_id}
    assert grouped == mark_copies([Article(id=a.id, text=a.text) for a in articles], settings)
    assert grouped == {"c": "a", "e": "a", "f": "b"}


def test_partitions_follow_the_single_process_reading_order(tmp_path: Path) -> None:
    for name in ("b.html", "a.html", "c.warc.gz", "d.txt", "e.jsonl"):
        (tmp_path / name).write_text("x")
    partitions = list(input_partitions([tmp_path], ScaleSettings(partition_files=1)))
    assert [[p.name for p in part] for part in partitions] == [
        ["a.html"],
        ["b.html"],
        ["c.warc.gz"],
        ["d.txt"],
        ["e.jsonl"],
    ]
    grouped = list(input_partitions([tmp_path], ScaleSettings(partition_files=64)))
    assert [[p.name for p in part] for part in grouped] == [["a.html", "b.html"], ["c.warc.gz"], ["d.txt"], ["e.jsonl"]]


def test_an_input_is_judged_to_hold_articles_by_its_files_and_its_many_document_bytes(tmp_path: Path) -> None:
    settings = ScaleSettings(bytes_per_article=1_000)
    pages = tmp_path / "pages"
    pages.mkdir()
    for k in range(3):
        (pages / f"{k}.html").write_text("<p>" + "word " * 2_000 + "</p>")  # 10 kB: still one page each
    (tmp_path / "feed.jsonl").write_text("x" * 5_000)
    assert holds_articles([pages], 3, settings) and not holds_articles([pages], 4, settings)
    assert holds_articles([tmp_path / "feed.jsonl"], 5, settings)
    assert not holds_articles([tmp_path / "feed.jsonl"], 6, settings)
    mixed = [pages, tmp_path / "feed.jsonl", "https://example.com/a", tmp_path / "gone"]  # a URL, a missing file: 0
    assert holds_articles(mixed, 8, settings) and not holds_articles(mixed, 9, settings)
