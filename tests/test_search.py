"""Full-text search: SQLite FTS5 and PostgreSQL tsvector give the same results, kept in step with
every write (articles stored, events rebuilt), and the rules of a query hold on both."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from conftest import EXAMPLES, postgres_database
from storyline.config import SearchSettings
from storyline.listing import ListQuery
from storyline.model import Article, Event, RawDocument, Sentence
from storyline.schema import MIGRATIONS
from storyline.search import PREFIX_INDEXES, fts5_query, parse_query, spelled_prefix, words
from storyline.store import Store

# Articles with what tokenizers disagree on: accents, ß, dotted İ, hyphens, apostrophes, URLs,
# e-mail addresses, decimals, underscores, CJK, emoji, Cyrillic and Greek.
TEXTS = [
    ("Flood in Zürich", "The flood in Zürich forced 2,000 people from their homes on Monday, Müller said."),
    ("Crue à Genève", "La crue a touché Genève et Besançon ; l'évacuation a commencé à 3h30."),
    ("Straße gesperrt", "Die Hauptstraße in Köln bleibt gesperrt, sagte die Polizei (STRASSE 3)."),
    ("İstanbul ferry", "A ferry in İstanbul carried 3.5 tonnes; officials at port-authority@example.com said so."),
    ("Covid-19 update", "Covid-19 cases rose; see https://health.example.org/covid-19 for the O'Neil report."),
    ("Turnout", "The count ended with a 50% turnout_rate in the north-east, a co-operative said."),
    ("東京 earthquake", "An earthquake shook 東京 on Tuesday 😀; the Москва office and the Αθήνα office closed."),
    ("Shooting in Dayton", "A shooting in Dayton left two people hurt; the shooter fled, police said."),
    ("Shot fired", "A shot was fired near the school; nobody was shooting at people, police said."),
    ("Bridge opens", "A new bridge opened to traffic on Friday after years of delays."),
    (
        "Weather roundup",
        "Sunshine in the south, rain in the west, wind on the coast, fog in the valleys, snow on the hills,"
        " a small flood warning in one village, and mild nights everywhere through the long weekend ahead.",
    ),
    ("Inquiry opens", "Investigators opened an investigation into the investment fund, investigated once in 2019."),
]
QUERIES = [
    "flood",
    "FLOOD homes",
    "zurich",
    "ZÜRICH müller",
    "geneve",
    "évacuation",
    "l'évacuation",
    "strasse",
    "straße",
    "hauptstraße köln",
    "istanbul",
    "İstanbul",
    "3.5",
    "3 5",
    "example.com",
    "example",
    "port-authority",
    "covid-19",
    "covid",
    "o'neil",
    "neil",
    "turnout_rate",
    "north-east",
    "cooperative",
    "co-operative",
    "東京",
    "москва",
    "αθηνα",
    "😀",
    "shoot*",
    "shooting",
    "shot",
    "sh*",
    "police said",
    "bridge flood",
    "%",
    "'",
    "-- ;",
    'x" OR "1"="1',
    "people*",
    "invest*",
    "investig*",
    "investigat*",
    "investigators*",
    "investm*",
    "investmentz*",
]


def _article(n: int, title: str, body: str) -> Article:
    return Article(
        id=f"t{n}",
        title=title,
        text=body,
        source=f"Outlet {n % 3}",
        url=f"https://outlet{n % 3}.example/{n}",
        published=datetime(2024, 3, 1 + n, tzinfo=UTC),
    )


def _baghouz() -> list[Article]:
    return [
        Article(id=f"b{n}", title=path.stem, text=path.read_text(encoding="utf-8"), source="Examples")
        for n, path in enumerate(sorted(EXAMPLES.glob("*.txt")))
    ]


def _events(articles: list[Article]) -> list[Event]:
    """One event per article, but the two shootings and the Baghouz texts each share one."""
    by_id = {a.id: a for a in articles}
    grouped = {"shootings": ["t7", "t8"], "baghouz": [a.id for a in articles if a.id.startswith("b")]}
    events = [
        Event(
            id=name,
            articles=[by_id[i] for i in ids],
            headline=by_id[ids[0]].title,
            summary=[Sentence.cited(by_id[ids[0]].text.split(";")[0], by_id[ids[0]], 0)],
        )
        for name, ids in grouped.items()
    ]
    grouped_ids = {i for ids in grouped.values() for i in ids}
    events += [
        Event(id=f"ev-{a.id}", articles=[a], headline=a.title, summary=[Sentence.cited(a.text, a, 0)])
        for a in articles
        if a.id not in grouped_ids
    ]
    return events


def _fill(store: Store) -> None:
    articles = [_article(n, title, body) for n, (title, body) in enumerate(TEXTS)] + _baghouz()
    store.add_document(RawDocument(origin="search.jsonl", kind="jsonl", data=b"search"), articles)
    store.replace_events(_events(articles))


def _found(store: Store, q: str, **query) -> tuple[list[str], int]:
    page = store.find_events(ListQuery(text=q, limit=100, **query))
    return [row.id for row in page.rows], page.total


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> Iterator[dict[str, Store]]:
    """The same articles and events in SQLite and in PostgreSQL."""
    with postgres_database() as url:
        stores = {"sqlite": Store(str(tmp_path_factory.mktemp("search") / "search.db")), "postgresql": Store(url)}
        for store in stores.values():
            _fill(store)
        yield stores
        for store in stores.values():
            store.close()


def test_the_test_set_finds_the_same_events_on_sqlite_and_postgresql(both):
    found_any = 0
    for q in QUERIES:
        on_sqlite, total_sqlite = _found(both["sqlite"], q, order="recent")
        on_postgres, total_postgres = _found(both["postgresql"], q, order="recent")
        assert on_sqlite == on_postgres and total_sqlite == total_postgres == len(on_sqlite), q
        found_any += bool(on_sqlite)
        # best first: the order may differ where scores tie, never the events
        assert sorted(_found(both["sqlite"], q)[0]) == sorted(_found(both["postgresql"], q)[0]), q
    assert found_any >= len(QUERIES) * 2 // 3  # most queries do find something


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@pytest.mark.parametrize("order", ["recent", "coverage"])
def test_found_rows_are_listed_in_the_order_of_the_lists(both, dialect, order):
    store = both[dialect]
    listed = [row.id for row in store.find_events(ListQuery(order=order, limit=0)).rows]
    for q in ("the", "flood", "people", "poli*"):
        found = _found(store, q, order=order)[0]
        assert len(found) >= 2, q
        assert found == [i for i in listed if i in set(found)], q  # undated ones last, ties by id
        page = store.find_events(ListQuery(text=q, order=order, offset=1, limit=2))
        assert [row.id for row in page.rows] == found[1:3]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_folding_prefixes_and_separators(both, dialect):
    store = both[dialect]

    def ids(q: str) -> set[str]:
        return set(_found(store, q)[0])

    assert ids("zurich") == ids("ZÜRICH") == {"ev-t0"}  # case and accents do not count
    assert ids("geneve besancon") == {"ev-t1"}
    assert ids("covid") == ids("covid-19") == {"ev-t4"}  # a hyphen separates words
    assert ids("health example org") == {"ev-t4"}  # so do the dots of a web address
    assert ids("shooting") == {"shootings"}  # both shootings are one event
    assert ids("shoot*") == {"shootings"}  # shooting, shooter
    assert ids("shoot") == set()  # no stemming, and whole words without a star
    assert ids("sh*") == ids("sh")  # two letters are too few for a prefix: a word "sh"
    assert ids("baghouz") == {"baghouz"}
    assert ids("flood bridge") == set()  # every word, in one document
    assert ids("%") == ids("'") == set()  # no word at all: nothing
    assert ids("москва") == ids("Москва") == {"ev-t6"}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_best_match_first_and_filters_apply_to_searches(both, dialect):
    store = both[dialect]
    # in the headline, the title and the text of a short report, against once in a long one
    assert _found(store, "flood")[0] == ["ev-t0", "ev-t10"]
    outlet = next(row.sources[0] for row in store.find_events(ListQuery(text="bridge")).rows)
    assert _found(store, "bridge", source=outlet)[0] == ["ev-t9"]
    assert _found(store, "bridge", source="Nobody")[0] == []
    assert _found(store, "bridge", since=datetime(2024, 3, 11, tzinfo=UTC))[0] == []
    assert _found(store, "bridge", until=datetime(2024, 3, 11, tzinfo=UTC))[0] == ["ev-t9"]


def test_a_long_prefix_finds_the_words_it_begins_spelled_out_or_not(tmp_path):
    db = str(tmp_path / "prefixes.db")
    with Store(db) as store:
        _fill(store)
    queries = ("investig*", "investigat*", "investigators*", "investm*", "investmentz*", "shootin* police")
    found = {}
    for cap in (SearchSettings().max_prefix_words, 1):  # spelled out, or too many words to spell
        with Store(db, SearchSettings(max_prefix_words=cap)) as store:
            found[cap] = {q: _found(store, q, order="recent")[0] for q in queries}
    assert found[1] == found[SearchSettings().max_prefix_words]
    assert found[1]["investig*"] == found[1]["investm*"] == ["ev-t11"]
    assert found[1]["shootin* police"] == ["shootings"] and found[1]["investmentz*"] == []


def test_a_search_reads_a_bounded_number_of_matches(tmp_path):
    capped = SearchSettings(max_matches=3)
    with Store(str(tmp_path / "cap.db"), capped) as store:
        articles = [_article(n, f"Storm {n}", f"The storm number {n} passed.") for n in range(8)]
        store.add_document(RawDocument(origin="x", kind="jsonl", data=b"x"), articles)
        store.replace_events([Event(id=f"e{a.id}", articles=[a], headline=f"Event {a.id}") for a in articles])
        page = store.find_events(ListQuery(text="storm"))
        assert not page.complete and page.total == 3
        assert {row.id for row in page.rows} == {"et7", "et6", "et5"}  # the newest matches
        narrow = store.find_events(ListQuery(text="storm 2"))
        assert narrow.complete and [row.id for row in narrow.rows] == ["et2"]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_index_follows_event_rebuilds(tmp_path, request, dialect):
    db = str(tmp_path / "rebuild.db") if dialect == "sqlite" else request.getfixturevalue("postgres_url")
    articles = [_article(n, title, body) for n, (title, body) in enumerate(TEXTS[:3])]
    with Store(db) as store:
        store.add_document(RawDocument(origin="x", kind="jsonl", data=b"x"), articles)
        first = [Event(id=f"e{a.id}", articles=[a], headline=f"Old headline {a.id}") for a in articles]
        store.replace_events(first)
        assert _found(store, "old headline")[1] == 3
        # rebuilt: two events merge under a new headline, one keeps its own
        merged = Event(id="et0", articles=articles[:2], headline="Alpine floods", summary=[])
        store.replace_events([merged, first[2]])
        assert _found(store, "old headline")[0] == ["et2"]
        assert _found(store, "alpine")[0] == ["et0"]
        assert _found(store, "geneve")[0] == ["et0"]  # its articles lead to the merged event now
        store.replace_events([])
        assert _found(store, "alpine") == ([], 0) and _found(store, "geneve") == ([], 0)
        if dialect == "sqlite":
            with store.engine.connect() as conn:  # FTS5's own check of an external-content index
                for index in ("articles_search", "events_search"):
                    conn.execute(text(f"INSERT INTO {index} ({index}, rank) VALUES ('integrity-check', 1)"))


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_stores_made_before_search_get_their_index_and_list_rows(tmp_path, monkeypatch, request, dialect):
    db = str(tmp_path / "old.db") if dialect == "sqlite" else request.getfixturevalue("postgres_url")
    monkeypatch.setattr("storyline.store.SCHEMA_VERSION", 7)  # a store as storyline made it before #22
    with Store(db) as store, store.engine.begin() as conn:
        conn.execute(text("INSERT INTO documents VALUES ('d', 'x', 'jsonl', :raw, '2024-03-01')"), {"raw": b"\0"})
        for n, (title, body) in enumerate(TEXTS[7:9], start=7):
            conn.execute(
                text(
                    "INSERT INTO articles VALUES (:id, 'd', :id, :n, :title, :body, '', :source,"
                    " '2024-03-01T00:00:00+00:00', '', 'en')"
                ),
                {"id": f"t{n}", "n": n, "title": title, "body": body, "source": f"Outlet {n % 3}"},
            )
        conn.execute(text("INSERT INTO events (id, headline, article_count) VALUES ('old', 'Shootings', 2)"))
        conn.execute(text("INSERT INTO event_articles (event_id, article_id) VALUES ('old', 't7'), ('old', 't8')"))
        conn.execute(text("INSERT INTO summary_sentences VALUES ('old', 0, 'Two people were hurt.', 't7', 0)"))
    monkeypatch.setattr("storyline.store.SCHEMA_VERSION", len(MIGRATIONS))
    with Store(db) as store:
        [row] = store.find_events(ListQuery(text="shooter")).rows
        assert (row.id, row.lead, row.sources) == ("old", "Two people were hurt.", ["Outlet 1", "Outlet 2"])
        assert _found(store, "hurt people")[0] == ["old"]  # the summary is indexed too
        assert _found(store, "shoot*")[0] == _found(store, "shootin*")[0] == ["old"]
        assert store.outlets() == [("Outlet 1", 1), ("Outlet 2", 1)]
    if dialect == "sqlite":
        with Store(db) as store, store.engine.connect() as conn:  # made again with prefix indexes, and sound
            for index in ("articles_search", "events_search", "stories_search"):
                made = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": index}).scalar_one()
                assert f"prefix='{PREFIX_INDEXES}'" in made
                conn.execute(text(f"INSERT INTO {index} ({index}, rank) VALUES ('integrity-check', 1)"))
                vocabulary = conn.execute(text(f"SELECT COUNT(*) FROM {index}_words")).scalar_one()
                assert vocabulary > 0 or index == "stories_search"  # this store has no story


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40))
def test_words_are_cut_and_folded_exactly_as_sqlite_fts5_does(sample):
    with sqlite3.connect(":memory:") as db:
        db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='unicode61 remove_diacritics 2')")
        db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        db.execute("INSERT INTO t (rowid, x) VALUES (1, ?)", (sample,))
        expected = [term for (term,) in db.execute("SELECT term FROM v ORDER BY offset")]
    assert words(sample) == expected
    assert words(" ".join(expected)) == expected  # folding twice changes nothing


def test_queries_are_words_with_optional_prefixes():
    terms = parse_query('Shoot* covid-19 "x" a* flo*', min_prefix_chars=3)
    assert [(t.word, t.prefix) for t in terms] == [
        ("shoot", True),
        ("covid", False),
        ("19", False),
        ("x", False),
        ("a", False),
        ("flo", True),
    ]
    assert parse_query("% -- ;", 3) == [] and parse_query("same SAME Same", 3)[0].word == "same"


def test_a_spelled_prefix_is_any_of_its_words():
    [shooting, investig] = parse_query("shooting investig*", min_prefix_chars=3)
    assert spelled_prefix(investig) and not spelled_prefix(shooting)
    assert not spelled_prefix(parse_query("invest*", 3)[0])  # FTS5 has an index for six letters
    spelled = fts5_query([shooting, investig], {investig: ["investigation", 'odd"word']})
    assert spelled == '"shooting" AND ("investigation" OR "odd""word")'
    assert fts5_query([shooting, investig]) == '"shooting" AND "investig"*'
