"""The language filter of every list: ``--language`` on ``events``, ``stories`` and ``updates``,
``language=`` on the API, the web lists and their feeds, over a store that a real ingest built
from English, French and German reports (each article's language identified by the product)."""

import json
import re
from pathlib import Path

import feedparser
import httpx
import pytest

from conftest import EXAMPLES, run_cli, write_jsonl
from serving import running_server

FRENCH = [
    {
        "id": "fr-1",
        "title": "Inondations à Nice : deux morts et des centaines de sinistrés",
        "source": "Nice-Matin",
        "published": "2024-10-17",
        "text": (
            "Deux personnes sont mortes et des centaines d'habitants ont dû quitter leur maison après les "
            "pluies torrentielles qui ont frappé Nice dans la nuit de mercredi à jeudi, selon la préfecture. "
            "Le fleuve Var est sorti de son lit et plusieurs quartiers de la ville restent inondés. "
            "Les pompiers ont effectué plus de trois cents interventions, a indiqué le maire de la ville."
        ),
    },
    {
        "id": "fr-2",
        "title": "Nice : le bilan des inondations s'alourdit",
        "source": "Le Monde",
        "published": "2024-10-18",
        "text": (
            "Le bilan des inondations qui ont touché Nice s'élève désormais à deux morts, a annoncé jeudi la "
            "préfecture des Alpes-Maritimes. Le Var a débordé après des pluies torrentielles et des centaines "
            "d'habitants ont été évacués. Les pompiers ont mené plus de trois cents interventions dans la nuit."
        ),
    },
]
GERMAN = [
    {
        "id": "de-1",
        "title": "Bahnstreik in München legt den Nahverkehr lahm",
        "source": "Süddeutsche Zeitung",
        "published": "2024-11-05",
        "text": (
            "Ein Streik der Lokführergewerkschaft hat am Dienstag den Nahverkehr in München weitgehend "
            "lahmgelegt. Nach Angaben der Bahn fielen mehr als zwei Drittel der S-Bahnen aus, Pendler mussten "
            "auf Busse und Autos ausweichen. Die Gewerkschaft fordert höhere Löhne und kürzere Arbeitszeiten."
        ),
    },
]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("languages")
    db = str(folder / "languages.db")
    wire, aggregator = sorted(EXAMPLES.glob("*.txt"))
    mixed = write_jsonl(folder / "mixed.jsonl", FRENCH + GERMAN)
    result = run_cli("ingest", str(wire), str(aggregator), str(mixed), "--db", db)
    assert result.returncode == 0, result.stderr
    return db


def _listed(db: str, command: str, *options: str) -> list[dict]:
    result = run_cli(command, "--db", db, "--format", "json", "--limit", "0", *options)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _languages(item: dict) -> set[str]:
    return {a["language"] for a in item["articles"]}


def test_events_stories_and_updates_filter_by_the_articles_language(db):
    every = _listed(db, "events")
    assert {frozenset(_languages(e)) for e in every} == {frozenset({"en"}), frozenset({"fr"}), frozenset({"de"})}
    for code in ("en", "fr", "de"):
        found = _listed(db, "events", "--language", code)
        assert found and all(code in _languages(e) for e in found)
        assert {e["id"] for e in found} == {e["id"] for e in every if code in _languages(e)}
    (french,) = _listed(db, "events", "--language", "fr")
    assert {a["id"] for a in french["articles"]} == {"fr-1", "fr-2"}
    stories = _listed(db, "stories", "--language", "de")
    assert len(stories) == 1 and len(_listed(db, "stories")) == 3
    updates = _listed(db, "updates", "--language", "fr")
    assert updates and {u["target_id"] for u in updates} == {french["id"], french["story_id"]}
    assert _listed(db, "events", "--language", "pt") == []  # a language nothing was reported in


def test_the_api_the_web_list_and_its_feed_keep_the_language(db):
    with running_server(db) as base, httpx.Client(base_url=base, timeout=30) as client:
        items = client.get("/events", params={"language": "de"}).json()["items"]
        assert len(items) == 1 and "Bahnstreik" in items[0]["headline"]
        page = client.get("/events", params={"language": "fr"}, headers={"accept": "text/html"}).text
        assert "Nice" in page and "Bahnstreik" not in page and "Baghouz" not in page
        assert 'href="/events.atom?language=fr"' in page  # the page's feed keeps its filter
        feed = feedparser.parse(client.get("/events.atom", params={"language": "fr"}).content)
        assert not feed.bozo and feed.entries and all("Nice" in e.title for e in feed.entries)
        updates = client.get("/updates", params={"language": "de", "kind": "story"}).json()["items"]
        assert updates and all(u["kind"] == "story" for u in updates)
        assert len(client.get("/stories", params={"language": "en"}).json()["items"]) == 1


def test_the_list_forms_language_field_narrows_the_list_in_a_browser(db):
    """The list page's filter form offers each stored language with its articles; choosing one
    lists only what was reported in it, and the form keeps the choice."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    from test_web import CHROMIUM, CHROMIUM_ARGS, CHROMIUM_ENV

    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set ${CHROMIUM_ENV})")
    with running_server(db) as base, playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(base_url=base)
        page.goto("/events")
        options = page.locator("select#language option").all_inner_texts()
        assert options[0] == "All languages" and "fr (2 articles)" in options and "de (1 article)" in options
        page.select_option("select#language", "fr")
        page.locator("form.filters button[type=submit]").click()
        page.wait_for_url(re.compile(r"language=fr"))
        headlines = page.locator(".event-card h2").all_inner_texts()
        assert headlines and all("Nice" in h for h in headlines)
        assert page.locator("select#language").input_value() == "fr"
        browser.close()
