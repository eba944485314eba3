"""An ingest continues the grouping the store keeps: what it adds costs what it adds, the result
agrees with one ingest of everything, a crash at any point is completed by the next run, and
two writers take turns. Real stores (SQLite, PostgreSQL), the real CLI, real models."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import EVAL, EXAMPLES, postgres_database, run_cli, write_jsonl
from storyline.cluster import state
from storyline.config import Settings
from storyline.grouping import continue_grouping
from storyline.pipeline import ingest_paths, rebuild_events
from storyline.store import Store

DATA = Path(__file__).parent / "data"
GVA = EVAL / "gva-incidents-dev"


def _gva_records(count: int) -> list[dict]:
    from storyline.evaluate.datasets import gva_articles

    return [
        {
            "id": item.article.id,
            "title": item.article.title,
            "text": item.article.text,
            "source": item.article.source,
            "published": item.article.published.isoformat(),
        }
        for item in gva_articles(GVA)[:count]
        if item.article.text
    ]


def _grouping(store: Store) -> tuple[dict[str, str], dict[str, str]]:
    """Article id -> event id, and event id -> story id, as stored."""
    events = store.events()
    return {a.id: e.id for e in events for a in e.articles}, {e.id: e.story_id for e in events}


def _agreement(one: dict[str, str], other: dict[str, str]) -> float:
    """BCubed F1 of two partitions of the same items."""
    from storyline.evaluate.clustering import score_clustering

    items = sorted(one)
    return score_clustering([one[i] for i in items], [other[i] for i in items]).bcubed_f1


@pytest.mark.skipif(not GVA.exists(), reason="needs ../shared/eval/gva-incidents-dev")
def test_adding_articles_continues_the_grouping_as_one_ingest_of_everything_would(tmp_path):
    records = _gva_records(400)
    earlier, later = records[:-25], records[-25:]
    settings = replace(Settings(), facts=replace(Settings().facts, enabled=False))
    first, second = write_jsonl(tmp_path / "earlier.jsonl", earlier), write_jsonl(tmp_path / "later.jsonl", later)
    with Store(str(tmp_path / "whole.db")) as whole:
        ingest_paths([first, second], whole, settings)
        whole_events, whole_stories = _grouping(whole)
    with Store(str(tmp_path / "added.db")) as added:
        ingest_paths([first], added, settings)
        before_events, before_stories = _grouping(added)
        report = ingest_paths([second], added, settings)
        events, stories = _grouping(added)
        updates = added.updates(limit=0)
        stored = added.counts()["articles"]
    assert report.new == len(later) and len(events) == stored == len(whole_events)
    assert _agreement(events, whole_events) >= 0.99
    article_story = {a: stories[e] for a, e in events.items()}
    assert _agreement(article_story, {a: whole_stories[e] for a, e in whole_events.items()}) >= 0.99
    kept = [a for a in before_events if events[a] == before_events[a]]
    assert len(kept) >= 0.99 * len(before_events)  # earlier articles keep their event id
    kept_story = [a for a in before_events if stories[events[a]] == before_stories[before_events[a]]]
    assert len(kept_story) >= 0.99 * len(before_events)
    # This ingest's updates name its articles only, each event's and story's newest first.
    arrived = {r["id"] for r in later}
    newest = [u for u in updates if set(u.articles) & arrived]
    assert newest and all(set(u.articles) <= arrived for u in newest)
    assert {u.target_id for u in newest if u.kind == "event"} == {events[a] for a in arrived}


def test_an_ingest_reads_and_writes_only_the_state_its_articles_touch(tmp_path, monkeypatch):
    monkeypatch.setattr(state, "BLOCK_ROWS", 4)
    base = Settings(db=str(tmp_path / "s.db"))
    settings = replace(
        base,
        cluster=replace(base.cluster, pool_articles=6),
        facts=replace(base.facts, enabled=False),
        embed=replace(base.embed, enabled=False),
    )
    records = [json.loads(line) for line in (DATA / "quake.jsonl").read_text().splitlines()]
    records += [json.loads(line) for line in (DATA / "final.jsonl").read_text().splitlines()]
    filler = [
        {"id": f"brief-{n}", "title": f"Council notice {n}", "text": f"The council meets on day {n} about item {n}."}
        for n in range(20)
    ]
    with Store(settings.db) as store:
        ingest_paths([write_jsonl(tmp_path / "a.jsonl", filler + records[:-1])], store, settings)
        stored_blocks = _blocks(store)
        grouping = continue_grouping(store, settings)
        assert grouping is not None and grouping.clusterer.views.loaded() == 0  # nothing read yet
        ingest_paths([write_jsonl(tmp_path / "b.jsonl", records[-1:])], store, settings)
        assert len(_blocks(store)) == len(stored_blocks) or len(_blocks(store)) == len(stored_blocks) + 1
        rewritten = [k for k, v in _blocks(store).items() if stored_blocks.get(k) != v]
        assert 0 < len(rewritten) <= 2  # the block filled now, and at most one the pool left
    assert len(stored_blocks) >= 6


def _blocks(store: Store) -> dict[str, bytes]:
    from sqlalchemy import text

    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT name, value FROM grouping_state WHERE name LIKE 'views/%'")).all()
    return {row.name: bytes(row.value) for row in rows}


def test_an_update_names_what_the_new_report_adds_and_the_figure_that_moved(tmp_path):
    wire, aggregator = sorted(EXAMPLES.glob("*.txt"))
    settings = Settings(db=str(tmp_path / "u.db"))
    with Store(settings.db) as store:
        ingest_paths([wire], store, settings)
        [opened] = store.updates(kind="event")
        assert opened.opened and opened.summary
        ingest_paths([aggregator], store, settings)
        newest = store.updates(kind="event")[0]
        story = store.updates(kind="story")[0]
        event = store.event(newest.target_id)
    assert newest.target_id == opened.target_id and not newest.opened
    new_ids = {a.id for a in event.articles} - set(opened.articles)
    assert set(newest.articles) == new_ids and {s.article_id for s in newest.summary} <= new_ids
    assert newest.summary, "the aggregator's report adds something"
    [moved] = [c for c in newest.changes if c.before.value == 62]
    assert moved.after.value == 90 and moved.after.article_id in new_ids and moved.before.article_id not in new_ids
    assert story.target_id == event.story_id and story.changes == newest.changes


def test_a_changed_setting_regroups_the_store_and_says_so(tmp_path):
    db = str(tmp_path / "r.db")
    off = {"STORYLINE_EMBEDDINGS": "off"}
    assert run_cli("ingest", str(DATA / "quake.jsonl"), "--db", db, "--no-facts", env=off).returncode == 0
    later = run_cli("ingest", str(DATA / "final.jsonl"), "--db", db, "--no-facts")  # MiniLM on now
    assert later.returncode == 0, later.stderr
    assert "grouping every stored article again" in later.stderr
    again = run_cli("ingest", str(DATA / "final.jsonl"), "--db", db, "--no-facts")
    assert "again" not in again.stderr  # the state is this version's now
    rebuilt = run_cli("rebuild", "--db", db, "--no-facts")
    assert rebuilt.returncode == 0 and "grouped again" in rebuilt.stdout
    with Store(db) as store:
        assert continue_grouping(store, Settings()) is not None
        assert len(_grouping(store)[0]) == store.counts()["articles"]


def _kill_trial_inputs(tmp_path: Path) -> tuple[Path, Path]:
    """Two batches: a base and what is added, real articles (the bundled tests' and Baghouz)."""
    base = write_jsonl(
        tmp_path / "base.jsonl", [json.loads(x) for x in (DATA / "quake.jsonl").read_text().splitlines()]
    )
    added = tmp_path / "added"
    added.mkdir()
    (added / "final.jsonl").write_text((DATA / "final.jsonl").read_text())
    for example in EXAMPLES.glob("*.txt"):
        (added / example.name).write_text(example.read_text())
    return base, added


def _lexical(db: str) -> Settings:
    """The settings of the CLI runs here (``STORYLINE_EMBEDDINGS=off``)."""
    settings = Settings.from_env(db)
    return replace(settings, embed=replace(settings.embed, enabled=False))


def _state_of(db: str) -> tuple:
    with Store(db) as store:
        events, stories = _grouping(store)
        updates = sorted((u.kind, u.target_id, u.articles, u.opened) for u in store.updates(limit=0))
        grouping = continue_grouping(store, _lexical(db))
        counts = store.counts()
    assert grouping is not None
    return events, stories, updates, grouping.grouped, counts


def _kill_runs(make_db, tmp_path: Path, trials: int) -> None:
    """``trials`` times: a base ingested, then an ingest of more killed (SIGKILL) at a random
    point, then run again; each must end as an ingest that was never interrupted."""
    base, added = _kill_trial_inputs(tmp_path)
    env = {**os.environ, "STORYLINE_EMBEDDINGS": "off"}
    command = [sys.executable, "-m", "storyline", "ingest", "--no-facts"]
    reference_db = make_db("reference")
    for path in (base, added):
        subprocess.run([*command, str(path), "--db", reference_db], env=env, check=True, capture_output=True)
    reference = _state_of(reference_db)
    started = time.monotonic()
    subprocess.run([*command, str(added), "--db", make_db("timing")], env=env, check=True, capture_output=True)
    duration = time.monotonic() - started
    chance = random.Random(7)
    for trial in range(trials):
        db = make_db(f"trial{trial}")
        subprocess.run([*command, str(base), "--db", db], env=env, check=True, capture_output=True)
        victim = subprocess.Popen(
            [*command, str(added), "--db", db], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(chance.uniform(0.1, duration))
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        again = subprocess.run([*command, str(added), "--db", db], env=env, capture_output=True, text=True)
        assert again.returncode == 0, again.stderr
        assert _state_of(db) == reference, f"trial {trial} (killed with status {victim.returncode})"


def test_an_ingest_killed_at_any_point_is_completed_by_the_next_run(tmp_path):
    _kill_runs(lambda name: str(tmp_path / f"{name}.db"), tmp_path, trials=10)


def test_an_ingest_killed_at_any_point_is_completed_by_the_next_run_on_postgresql(tmp_path):
    from contextlib import ExitStack

    with ExitStack() as databases:
        _kill_runs(lambda name: databases.enter_context(postgres_database()), tmp_path, trials=10)


def test_two_writers_take_turns_and_store_nothing_twice(tmp_path):
    db = str(tmp_path / "w.db")
    env = {**os.environ, "STORYLINE_EMBEDDINGS": "off"}
    base, added = _kill_trial_inputs(tmp_path)
    command = [sys.executable, "-m", "storyline", "ingest", "--no-facts", "--db", db]
    writers = [
        subprocess.Popen([*command, str(path)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for path in (base, added)
    ]
    outputs = [w.communicate(timeout=300) for w in writers]
    assert [w.returncode for w in writers] == [0, 0], outputs
    with Store(db) as store:
        events, _ = _grouping(store)
        counts = store.counts()
        grouping = continue_grouping(store, _lexical(db))
        assert grouping is not None and grouping.grouped == store.last_ingest_order()
    assert len(events) == counts["articles"]  # every article in exactly one event, none stored twice
    reference = str(tmp_path / "one.db")
    for path in (base, added):
        assert (
            run_cli(
                "ingest", "--no-facts", str(path), "--db", reference, env={"STORYLINE_EMBEDDINGS": "off"}
            ).returncode
            == 0
        )
    with Store(reference) as store:
        assert store.counts()["articles"] == counts["articles"]


def test_rebuild_groups_again_to_the_same_events(tmp_path):
    settings = replace(Settings(db=str(tmp_path / "b.db")), facts=replace(Settings().facts, enabled=False))
    with Store(settings.db) as store:
        ingest_paths([DATA / "quake.jsonl"], store, settings)
        ingest_paths([DATA / "final.jsonl"], store, settings)
        before = _grouping(store)
        changes = store.change_count()
        rebuild_events(store, settings)
        assert _grouping(store) == before
        assert store.change_count() == changes  # the same events: nothing rewritten
