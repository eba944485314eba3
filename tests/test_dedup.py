import json
import random

from conftest import run_cli, write_jsonl
from storyline.config import DedupSettings
from storyline.dedup import ExactDuplicates, NearDuplicates, content_hash, mark_copies
from storyline.model import Article

WIRE = (
    "Rescue teams in the mountain town of Amatrice pulled two more survivors from the rubble on "
    "Thursday, two days after a magnitude 6.2 earthquake flattened much of the historic centre. "
    "The civil protection agency said the confirmed death toll had risen to 250, with hundreds "
    "more injured and thousands of residents sleeping in tents set up on the town's sports field. "
    "Prime Minister Matteo Renzi visited the area and promised that no one would be left alone, "
    "while aftershocks continued to rattle the region through the night."
)


def _syndicated(base: str, site: str) -> str:
    """A copy as a syndicating site publishes it: its own dateline and a trailing line."""
    return f"AMATRICE, Italy ({site}) — {base} Copyright 2016 {site}. All rights reserved."


def test_exact_duplicates_ignore_case_punctuation_and_spacing():
    seen = ExactDuplicates()
    assert seen.is_new(Article(id="a", text="Quake hits Italy."))
    assert not seen.is_new(Article(id="b", text="  quake HITS italy "))
    assert not seen.is_new(Article(id="a", text="another text, same id"))
    assert content_hash("A  b, c") == content_hash("a b c") != content_hash("a b d")


def test_syndicated_copies_point_to_the_first_original():
    articles = [Article(id="wire", text=WIRE)] + [
        Article(id=f"copy-{n}", text=_syndicated(WIRE, site)) for n, site in enumerate(["AP", "Reuters", "ANSA"])
    ]
    copies = mark_copies(articles)
    assert copies == {"copy-0": "wire", "copy-1": "wire", "copy-2": "wire"}
    assert [a.copy_of for a in articles] == ["", "wire", "wire", "wire"]


def test_a_rewritten_report_of_the_same_event_is_not_a_copy():
    rewrite = (
        "Two days after the earthquake, rescuers in Amatrice found two more people alive under "
        "collapsed buildings. Officials now count 250 dead. Many residents are living in tents, and "
        "Matteo Renzi, the prime minister, toured the damage, pledging support as aftershocks went on."
    )
    finder = NearDuplicates()
    assert finder.original_of(Article(id="wire", text=WIRE)) is None
    assert finder.original_of(Article(id="rewrite", text=rewrite)) is None


def test_copies_that_drift_stay_tied_to_the_first_original():
    """Each copy edits the previous one a little; all of them name the first as original."""
    rng = random.Random(3)
    words = WIRE.split()
    articles = [Article(id="v0", text=WIRE)]
    for n in range(1, 5):
        words = list(words)
        words[rng.randrange(len(words))] = "edited"
        articles.append(Article(id=f"v{n}", text=" ".join(words)))
    assert set(mark_copies(articles).values()) == {"v0"}


def test_short_items_are_never_copies():
    settings = DedupSettings(min_words=30)
    finder = NearDuplicates(settings)
    headline = "Strong earthquake strikes central Italy near Norcia"
    assert finder.original_of(Article(id="a", text=headline)) is None
    assert finder.original_of(Article(id="b", text=headline + " again")) is None


def test_stored_events_mark_syndicated_copies_and_count_only_independent_sources(tmp_path):
    records = [
        {"id": "wire", "source": "AP", "title": "Survivors pulled from Amatrice rubble", "text": WIRE},
        {"id": "copy", "source": "Daily Herald", "title": "Two more found alive", "text": _syndicated(WIRE, "AP")},
    ]
    stream = write_jsonl(tmp_path / "stream.jsonl", records)
    db = str(tmp_path / "store.db")
    assert run_cli("ingest", str(stream), "--db", db).returncode == 0
    result = run_cli("events", "--format", "json", "--db", db)
    assert result.returncode == 0, result.stderr
    (event,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert {a["id"]: a.get("copy_of") for a in event["articles"]} == {"wire": None, "copy": "wire"}
    assert event["sources"] == ["AP", "Daily Herald"] and event["independent_sources"] == ["AP"]
