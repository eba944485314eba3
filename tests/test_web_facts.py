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
