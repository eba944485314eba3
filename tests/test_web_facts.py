"""What an event page says, read in a real browser (Chromium, as tests/test_web.py drives it), on
the bundled Baghouz pair ingested as dated reports: its figures, names and dates come only from
the sentences that belong to the event, its figures read as phrases, its timeline puts the
event's own days first and the background apart, and its summary has no sentence that leans on
one it does not show."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import run_cli, write_jsonl
from serving import running_server
from storyline.summarize.events import WORDS
from test_web import CHROMIUM, CHROMIUM_ARGS, CHROMIUM_ENV

playwright_api = pytest.importorskip("playwright.sync_api")

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "storyline" / "examples"
# The aggregator page's stitched-in sentence about the 2015 Paris attacks.
CHARLIE_HEBDO = ("Charlie Hebdo", "Malian", "12 people", "two brothers")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[str]:
    """A server over the two example texts, each dated and named as a feed would give them."""
    records = []
    for path, (day, source) in zip(
        sorted(EXAMPLES.glob("*.txt")),
        [("2019-03-05", "Example Wire"), ("2019-03-06", "Example Aggregator")],
        strict=True,
    ):
        title, _, body = path.read_text(encoding="utf-8").partition("\n")
        records.append({"id": path.stem, "title": title, "text": body, "published": day, "source": source})
    folder = tmp_path_factory.mktemp("baghouz")
    db = str(folder / "baghouz.db")
    result = run_cli("ingest", str(write_jsonl(folder / "baghouz.jsonl", records)), "--db", db)
    assert result.returncode == 0, result.stderr
    with running_server(db) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set ${CHROMIUM_ENV})")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def event_page(browser, site):
    context = browser.new_context(base_url=site, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto("/")
    page.locator(".event-card h2 a").first.click()
    page.wait_for_url(re.compile(r"/events/ev-"))
    yield page
    context.close()


def _open_all(page) -> None:
    """Open every folded list ("All 13 figures", "3 more names"), as a reader would."""
    page.locator("details").evaluate_all("found => found.forEach(d => { d.open = true; })")


def _names(page) -> dict[str, str]:
    """Every name the page lists (also those behind "more names"), with its label."""
    _open_all(page)
    items = page.locator(".entities li")
    return {
        items.nth(i).locator("strong").inner_text(): items.nth(i).locator(".label").inner_text()
        for i in range(items.count())
    }


def test_no_figure_name_or_date_comes_from_the_off_topic_sentence(event_page):
    page = event_page
    _open_all(page)
    figures = page.locator("table.figures").all_inner_texts()
    shown = " ".join(figures) + " ".join(_names(page)) + page.locator(".timeline").first.inner_text()
    assert figures and not [words for words in CHARLIE_HEBDO if words in shown]


def test_the_tolls_disagreement_is_still_flagged(event_page):
    disagreement = event_page.locator(".disagreements li").all_inner_texts()
    assert any("62 people" in d and "90 people" in d for d in disagreement)


def test_no_boilerplate_or_fragment_is_a_name_and_places_are_places(event_page):
    names = _names(event_page)
    assert not {"Latest News", "Beyond Baghouz", "Observatory"} & set(names)
    assert {names.get(place) for place in ("Baghouz", "Syria", "Khan Sheikhun", "Iraq")} == {"GPE"}
    assert all(label != "PERSON" for name, label in names.items() if name in ("Khan Sheikhun", "Baghouz"))


def test_figures_read_as_phrases_casualties_first_without_trivia(event_page):
    phrases = event_page.locator("table.figures td.phrase").all_inner_texts()
    assert phrases[0] == "62 people died"  # the toll leads
    assert "Around 90 people died" in phrases and "four civilians killed" in phrases
    assert not [p for p in phrases if "(" in p or p.startswith(("killed", "died"))]
    assert not [p for p in phrases if "options" in p]  # "two options" is no fact of the siege


def test_timeline_lists_the_events_own_days_first_and_the_background_apart(event_page):
    page = event_page
    own = page.locator("ol.timeline.own li time").all_inner_texts()
    background = page.locator("ol.timeline.background li").all_inner_texts()
    headings = page.locator("section[aria-labelledby=timeline-h] h3").all_inner_texts()
    assert headings == ["The event’s own days", "Background"]
    assert own and all("2019" in day for day in own)
    assert any("2014" in entry and "caliphate" in entry for entry in background)


def test_summary_opens_no_sentence_on_what_it_does_not_show_nor_says_a_thing_twice(event_page):
    sentences = event_page.locator(".summary .sentence-text").all_inner_texts()
    assert len(sentences) >= 3
    assert not [s for s in sentences if re.match(r"(?i)(but )?despite this", s)]
    words = [set(WORDS(s)) for s in sentences]
    for i, a in enumerate(words):
        for b in words[i + 1 :]:
            assert len(a & b) / min(len(a), len(b)) < 0.6


# Two local reports of one shooting as a local site writes them: the toll in the headline, a
# dateline, a town named by its police, a state abbreviated, and another incident in passing.
LOCAL = [
    {
        "id": "nb-1",
        "title": "4 Shot, 1 Dead Outside New Bedford Bar",
        "source": "South Coast Today",
        "published": "2015-06-07",
        "text": "NEW BEDFORD, Mass. — Four people were shot, one of them fatally, outside a bar on Acushnet Avenue"
        " early Sunday, New Bedford police said.\nThe man who died was identified as John Carter, 24, of Fall River,"
        " Mass.\nThree others were taken to St. Luke's Hospital with wounds that were not life-threatening.\n"
        "Police said the gunman fled on foot toward Coggeshall Street.\n"
        "In a separate shooting last week, two men were killed in Brockton.",
    },
    {
        "id": "nb-2",
        "title": "One killed, three wounded in New Bedford bar shooting",
        "source": "Standard-Times",
        "published": "2015-06-08",
        "text": "A Fall River man was killed and three other people were wounded when a gunman opened fire outside a"
        " bar on Acushnet Avenue in New Bedford early Sunday, police said.\nJohn Carter, 24, died at St. Luke's"
        " Hospital.\nNew Bedford police said the three wounded were expected to survive.\n"
        "No arrests have been made, and police asked anyone with information to call detectives.",
    },
]


@pytest.fixture(scope="module")
def local_page(browser, tmp_path_factory):
    folder = tmp_path_factory.mktemp("local")
    db = str(folder / "local.db")
    result = run_cli("ingest", str(write_jsonl(folder / "local.jsonl", LOCAL)), "--db", db)
    assert result.returncode == 0, result.stderr
    with running_server(db) as base:
        context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto("/")
        assert page.locator(".event-card").count() == 1  # one shooting, one event
        page.locator(".event-card h2 a").first.click()
        page.wait_for_url(re.compile(r"/events/ev-"))
        yield page
        context.close()


def test_a_local_reports_toll_dead_and_wounded_and_not_another_incidents(local_page):
    _open_all(local_page)
    phrases = local_page.locator("table.figures td.phrase").all_inner_texts()
    assert "4 people shot" in phrases and "1 person dead" in phrases  # read from the headline
    assert "3 people wounded" in phrases  # four shot, one dead: three wounded
    assert not [p for p in phrases if "two men" in p]  # killed in Brockton, in a separate shooting
    assert "Brockton" not in " ".join(local_page.locator("table.figures").all_inner_texts())


def test_a_town_named_by_its_police_and_an_abbreviated_state_are_places(local_page):
    names = _names(local_page)
    places = ("GPE", "LOC")
    assert names.get("New Bedford") in places and names.get("Fall River") in places
    assert names.get("Massachusetts") in places and "Mass" not in names
