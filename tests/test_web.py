"""The web pages in a real browser: Debian's Chromium, headless, driven by Playwright.

Screenshots go to ``test-output/screenshots/`` (or ``$STORYLINE_TEST_OUTPUT/screenshots``).
"""

import os
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from conftest import GVA_ARTICLES, endings, gva_records, repeated_tails, run_cli, write_jsonl
from serving import running_server
from storyline.outlets import outlet_in_text

playwright_api = pytest.importorskip("playwright.sync_api")

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = Path(os.environ.get("STORYLINE_TEST_OUTPUT", REPO / "test-output")) / "screenshots"
CHROMIUM_ENV = "STORYLINE_TEST_CHROMIUM"
CHROMIUM = os.environ.get(CHROMIUM_ENV, "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="module")
def server(updated_db) -> Iterator[str]:
    """The examples, the quake and the final, ingested in two batches that recorded updates."""
    with running_server(updated_db) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if CHROMIUM_ENV in os.environ:
            pytest.fail(f"${CHROMIUM_ENV}={CHROMIUM} is set but there is no browser there")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set ${CHROMIUM_ENV})")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield page
    context.close()
    # A CSP violation, a missing file or a script error would all show up here.
    assert problems == []


def _shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")  # the sticky sources panel is drawn where the view is
    page.screenshot(path=str(path), full_page=True)
    return path


def _open_baghouz_event(page):
    page.goto("/")
    link = page.get_by_role("link", name=re.compile("Syria|IS|Baghouz", re.I)).first
    link.click()
    page.wait_for_url(re.compile(r"/events/ev-"))


def test_event_list_shows_every_event_with_its_outlets(page):
    page.goto("/")
    expect = playwright_api.expect
    expect(page).to_have_title(re.compile("Events"))
    cards = page.locator(".event-card")
    assert cards.count() >= 3
    expect(page.locator(".count")).to_have_text(f"{cards.count()} events")  # one page holds them all
    quake = cards.filter(has_text="Norcia").first
    expect(quake.locator(".chips li")).to_have_count(3)  # three outlets covered the quake
    _shot(page, "events")


def test_example_event_page_cites_every_sentence_and_draws_a_timeline(page):
    _open_baghouz_event(page)
    expect = playwright_api.expect
    sentences = page.locator(".summary .sentence")
    assert 3 <= sentences.count() <= 8
    for i in range(sentences.count()):
        expect(sentences.nth(i).locator("a.cite")).to_have_count(1)
    assert "Latest News" not in page.locator(".summary").inner_text()
    expect(page.locator(".sources .outlet")).to_have_count(2)  # both example texts, two outlets
    expect(page.locator(".chart svg circle")).to_have_count(page.locator(".timeline li").count())
    _shot(page, "event-baghouz")


def test_timeline_chart_has_a_lane_per_outlet(page):
    page.goto("/?q=norcia")
    page.locator(".event-card h2 a").first.click()
    labels = page.locator(".chart .lane-label").all_text_contents()
    assert sorted(labels) == ["Example Daily", "Example Times", "Example Wire"]
    dot = page.locator(".chart a").first
    dot.focus()  # the dots are links a keyboard reaches
    playwright_api.expect(dot).to_be_focused()
    _shot(page, "event-norcia")


def test_following_a_citation_opens_the_article_at_the_cited_sentence(page):
    _open_baghouz_event(page)
    cite = page.locator(".summary a.cite").first
    quoted = page.locator(".summary .sentence-text").first.inner_text()
    cite.click()
    page.wait_for_url(re.compile(r"/articles/[^#]+#s\d+$"))
    target = page.locator(".s:target")
    playwright_api.expect(target).to_have_count(1)
    assert target.inner_text().strip() == quoted.strip()  # the summary quotes the article verbatim
    # the cited sentence is marked (yellow), and the page scrolled it into view
    assert target.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(255, 243, 191)"
    playwright_api.expect(target).to_be_in_viewport()
    _shot(page, "article-cited-sentence")


def test_search_from_the_header_and_the_filters(page):
    page.goto("/")
    page.get_by_role("searchbox", name="Search events").fill("Norcia basilica")
    page.get_by_role("searchbox", name="Search events").press("Enter")
    page.wait_for_url(re.compile(r"q=Norcia\+basilica"))
    expect = playwright_api.expect
    expect(page.locator(".event-card")).to_have_count(1)
    expect(page.locator(".event-card h2")).to_contain_text("Norcia")
    _shot(page, "search-norcia")
    page.get_by_label("Words").fill("zzzunmatched")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".count")).to_have_text("No events match.")
    page.get_by_label("Words").fill("")
    page.get_by_label("Outlet").select_option("Example Times")
    page.get_by_role("button", name="Apply").click()
    assert page.locator(".event-card").count() >= 1
    for card in page.locator(".event-card").all():
        expect(card.locator(".chips")).to_contain_text("Example Times")


def test_a_story_leads_to_its_events_and_each_event_back_to_its_story(page):
    expect = playwright_api.expect
    page.goto("/")
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Stories").click()
    page.wait_for_url(re.compile(r"/stories$"))
    expect(page).to_have_title(re.compile("Stories"))
    cards = page.locator(".story-card")
    expect(page.locator(".count")).to_have_text(f"{cards.count()} stories")
    _shot(page, "stories")
    # the header searches stories here: the Baghouz pair is one story of one event
    page.get_by_role("searchbox", name="Search stories").fill("Baghouz")
    page.get_by_role("searchbox", name="Search stories").press("Enter")
    page.wait_for_url(re.compile(r"/stories\?q=Baghouz"))
    expect(cards).to_have_count(1)
    expect(cards.locator(".meta")).to_contain_text("1 event")
    name = cards.locator("h2").inner_text()
    cards.locator("h2 a").click()
    page.wait_for_url(re.compile(r"/stories/st-"))
    expect(page.locator("h1")).to_have_text(name)
    stops = page.locator(".axis .axis-event")
    expect(stops).to_have_count(1)
    # the axis is drawn: a line down the side and a dot on it for the event
    assert page.locator(".axis").evaluate("el => getComputedStyle(el).borderLeftStyle") == "solid"
    assert stops.first.locator("time").evaluate("el => getComputedStyle(el, '::before').borderRadius") == "50%"
    leads = page.locator(".digest .sentence")
    assert leads.count() >= 1 and "Latest News" not in page.locator(".digest").inner_text()
    for i in range(leads.count()):
        expect(leads.nth(i).locator("a.cite")).to_have_count(1)
        expect(leads.nth(i).locator(".from-event a")).to_have_attribute("href", re.compile(r"^/events/ev-"))
    expect(page.locator(".story-outlets li")).to_have_count(2)
    _shot(page, "story-baghouz")
    # the digest quotes the article it cites, at the cited sentence
    quoted = leads.first.locator(".sentence-text").inner_text()
    leads.first.locator("a.cite").click()
    page.wait_for_url(re.compile(r"/articles/[^#]+#s\d+$"))
    assert page.locator(".s:target").inner_text().strip() == quoted.strip()
    page.go_back()
    headline = stops.first.locator("h3 a").inner_text()
    stops.first.locator("h3 a").click()
    page.wait_for_url(re.compile(r"/events/ev-"))
    expect(page.locator("h1")).to_have_text(headline)
    # a story of this one event: no "Part of story" line repeating the event, a quiet link to it
    expect(page.locator(".part-of")).to_have_count(0)
    expect(page.locator(".own-story")).to_contain_text("No other event continues this one yet")
    page.locator(".event-head a.story-link").click()
    page.wait_for_url(re.compile(r"/stories/st-"))
    expect(page.locator("h1")).to_have_text(name)


def test_keyboard_reaches_the_skip_link_then_the_search(page):
    page.goto("/")
    page.keyboard.press("Tab")
    playwright_api.expect(page.locator("a.skip")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    playwright_api.expect(page.locator("#site-q")).to_be_focused()


def test_pages_read_well_on_a_phone(browser, server):
    context = browser.new_context(base_url=server, viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    _open_baghouz_event(page)
    # nothing is wider than the screen: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "event-baghouz-phone")
    page.locator(".event-head a.story-link").click()
    page.wait_for_url(re.compile(r"/stories/st-"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "story-baghouz-phone")
    context.close()


def test_every_page_names_its_feed_and_the_feed_follows_it(page, ingest_times):
    """The front page, a search, an event page and a story page each name their Atom feed in
    their head; the feed a reader finds there is valid and holds the page's updates."""
    _open_baghouz_event(page)
    event_url = page.url
    page.locator(".event-head a.story-link").click()
    page.wait_for_url(re.compile(r"/stories/st-"))
    story_url = page.url
    for url in ("/", "/?q=Norcia", event_url, story_url):
        page.goto(url)
        link = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
        playwright_api.expect(link).to_have_count(1)
        assert link.get_attribute("title").startswith("storyline: ")
        answer = page.request.get(link.get_attribute("href"))
        assert answer.status == 200
        feed = feedparser.parse(answer.body())
        assert not feed.bozo and feed.entries, url
        assert all(entry.link for entry in feed.entries)
        if url in (event_url, story_url):
            assert {entry.link for entry in feed.entries} == {url}
        if url == "/?q=Norcia":
            assert all("Norcia" in entry.title for entry in feed.entries)
    page.goto(event_url)
    playwright_api.expect(page.locator(".updates h2")).to_have_text(f"New since {ingest_times[0]:%-d %b %Y}")
    # the second ingest's update, newest first: the aggregator's figure moved the wire's
    change = page.locator(".updates .update").first.locator(".changes li")
    playwright_api.expect(change).to_have_count(1)
    playwright_api.expect(change).to_contain_text("people died: rose from 62 people")
    playwright_api.expect(change).to_contain_text("to Around 90 people")
    playwright_api.expect(change.locator("a.cite")).to_have_count(2)
    _shot(page, "event-baghouz-updates")


needs_gva = pytest.mark.skipif(not GVA_ARTICLES.is_file(), reason=f"GVA dev articles not found at {GVA_ARTICLES}")


@pytest.fixture(scope="module")
def gva_site(tmp_path_factory) -> Iterator[tuple[str, set[tuple[str, str]]]]:
    """A server over real GVA articles, and the tails their sites repeat in them: six incidents
    whose titles carry their site's tail, with every article of those sites (so that each tail
    recurs in the run, as on a real ingest), and two incidents whose articles name no outlet
    (source dropped, no URL, no dateline), as the DUC inputs of the issue did."""
    records = gva_records()
    tails = repeated_tails(records)
    by_incident: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        by_incident[record["incident"]].append(record)
    covered = sorted(i for i, rs in by_incident.items() if len(rs) >= 2)
    tailed = [
        i
        for i in covered
        if any(ending in {e for _, e in tails} for r in by_incident[i] for ending in endings(r["title"]))
    ]
    sites = {r["source"] for i in tailed[:6] for r in by_incident[i]}
    chosen = [r for r in records if r["incident"] in tailed[:6] or r["source"] in sites]
    unnamed = [i for i in covered if not any(outlet_in_text(r["text"]) for r in by_incident[i]) and i not in tailed][:2]
    chosen += [{k: v for k, v in r.items() if k != "source"} for i in unnamed for r in by_incident[i]]
    folder = tmp_path_factory.mktemp("gva")
    db = str(folder / "gva.db")
    result = run_cli("ingest", str(write_jsonl(folder / "gva.jsonl", chosen)), "--db", db, "--no-facts")
    assert result.returncode == 0, result.stderr
    with running_server(db) as base:
        yield base, repeated_tails(chosen)


@pytest.fixture
def gva_page(browser, gva_site):
    context = browser.new_context(base_url=gva_site[0], viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def _keeps_a_tail(headline: str, tails: set[tuple[str, str]]) -> bool:
    repeated = {ending for _, ending in tails}
    return any(ending in repeated for ending in endings(headline))


@needs_gva
def test_no_gva_headline_keeps_a_tail_its_site_repeats(gva_page, gva_site):
    """Lists, event pages, their JSON twins and the Atom feeds show titles without site tails."""
    tails = gva_site[1]
    assert tails  # the run's articles do repeat their sites' tails
    shown = []
    for kind in ("events", "stories"):
        gva_page.goto(f"/{kind}?limit=100")
        shown += gva_page.locator(".card h2").all_inner_texts()
        feed = feedparser.parse(gva_page.request.get(f"/{kind}.atom").body())
        shown += [entry.title for entry in feed.entries]
    gva_page.locator(".card h2 a").first.click()
    gva_page.wait_for_url(re.compile(r"/stories/st-"))
    shown.append(gva_page.locator("h1").inner_text())
    listed = gva_page.request.get("/events?limit=100&format=json").json()
    shown += [row["headline"] for row in listed["items"]]
    assert len(shown) > 40
    assert [headline for headline in shown if _keeps_a_tail(headline, tails)] == []
    _shot(gva_page, "gva-headlines")


@needs_gva
def test_only_a_story_of_several_events_is_named_as_the_story_an_event_is_part_of(gva_page):
    """A "Part of story" line on an event of a one-event story would repeat the event: the list
    shows it exactly on the events whose story holds others, with their count."""
    listed = gva_page.request.get("/events?limit=100&format=json").json()["items"]
    counts = {row["id"]: row["story"]["events"] for row in listed if row["story"]}
    assert set(counts.values()) - {1}, "the GVA store links some events into stories"
    gva_page.goto("/events?limit=100")
    for card in gva_page.locator(".event-card").all():
        event_id = card.locator("h2 a").get_attribute("href").rsplit("/", 1)[1]
        part_of = card.locator(".part-of")
        if counts.get(event_id, 1) > 1:
            playwright_api.expect(part_of).to_contain_text(f"· {counts[event_id]} events")
        else:
            playwright_api.expect(part_of).to_have_count(0)


@needs_gva
def test_an_event_no_input_names_an_outlet_says_outlet_unknown(gva_page):
    gva_page.goto("/events?limit=100")
    metas = gva_page.locator(".card .meta").all_inner_texts()
    assert not [meta for meta in metas if re.search(r"\b0 outlets", meta)]
    unknown = gva_page.locator(".event-card").filter(has_text="outlet unknown")
    assert unknown.count() >= 2  # the two incidents whose articles name no outlet
    unknown.first.locator("h2 a").click()
    gva_page.wait_for_url(re.compile(r"/events/ev-"))
    playwright_api.expect(gva_page.locator(".event-head .meta")).to_contain_text("outlet unknown")
    _shot(gva_page, "gva-outlet-unknown")
    gva_page.locator(".event-head a.story-link").click()
    gva_page.wait_for_url(re.compile(r"/stories/st-"))
    # its story may hold a named outlet's event too: then it counts that one
    playwright_api.expect(gva_page.locator(".event-head .meta")).to_have_text(
        re.compile(r"outlet unknown|[1-9]\d* outlet")
    )
    gva_page.goto("/stories?limit=100")
    assert not [m for m in gva_page.locator(".card .meta").all_inner_texts() if re.search(r"\b0 outlets", m)]
