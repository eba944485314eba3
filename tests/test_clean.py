"""Learned boilerplate removal: repetition over different stories, not a list of phrases."""

from __future__ import annotations

import pytest

from conftest import EVAL, GVA_ARTICLES, ends_in_tail, gva_records, repeated_tails
from storyline.clean import BoilerplateModel, line_fingerprint
from storyline.config import CleanSettings
from storyline.extract import article_from_record
from storyline.model import Article

STORIES = [
    "The council approved the new budget on Monday after a long debate about school funding.",
    "Firefighters brought a warehouse blaze under control near the docks late on Tuesday night.",
    "The national team won its qualifying match three goals to one in front of a home crowd.",
    "Heavy snow closed the mountain pass for the second time this winter, police said.",
    "A rare manuscript by the poet was found in an attic and will go on show next spring.",
]


def article(n: int, site: str, *lines: str) -> Article:
    return Article(id=f"{site}-{n}", text="\n".join(lines), source=site)


def site_pages(site: str, extra: str) -> list[Article]:
    return [article(n, site, story, extra, f"Reporting by Reporter {n}.") for n, story in enumerate(STORIES)]


def test_a_line_repeated_over_a_sites_stories_is_removed_and_the_story_kept():
    pages = site_pages("Gazette", "Sign up for our morning newsletter and never miss a story!")
    cleaned = BoilerplateModel().fit_transform(pages)
    for before, after in zip(pages, cleaned, strict=True):
        assert "newsletter" not in after.text
        assert after.text.startswith(before.text.splitlines()[0])
        assert "newsletter" in before.text  # the originals are untouched


def test_twice_on_one_site_is_not_yet_boilerplate():
    pages = site_pages("Gazette", "Sign up for our morning newsletter!")[:2]
    assert all("newsletter" in a.text for a in BoilerplateModel().fit_transform(pages))


def test_syndicated_copies_of_one_story_keep_their_text():
    wire = [
        "Ten people were rescued from the collapsed mine on Friday, officials said.",
        "Rescue work went on overnight.",
    ]
    copies = [article(0, f"Outlet {k}", *wire) for k in range(8)]
    cleaned = BoilerplateModel().fit_transform(copies)
    assert [a.text for a in cleaned] == [a.text for a in copies]


def test_a_line_across_many_sites_and_stories_is_removed():
    pages = [
        article(n, f"site{n}.example", story, "Comments are moderated and may take a while to appear.")
        for n, story in enumerate(STORIES)
    ]
    cleaned = BoilerplateModel().fit_transform(pages)
    assert all("moderated" not in a.text for a in cleaned)


def test_template_leads_are_learned_from_their_repetition():
    leads = [
        f"More news: {title}"
        for title in ("Storm warning issued", "Rates held", "Mayor resigns", "Zoo opens", "Bridge shut", "Vote delayed")
    ]
    suffixes = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")
    pages = [article(n, "Herald", f"{STORIES[n % 5]} Filed under {suffixes[n]}.", leads[n]) for n in range(6)]
    model = BoilerplateModel().fit(pages)
    assert model.is_boilerplate("More news: Something else entirely", "herald")
    assert not model.is_boilerplate("More news: Something else entirely", "another site")
    assert not model.is_boilerplate(STORIES[0], "herald")


def test_digits_case_and_punctuation_do_not_hide_a_repetition():
    assert line_fingerprint("Posted 3 hours ago") == line_fingerprint("posted 12 hours ago!")
    assert line_fingerprint("Posted 3 hours ago") != line_fingerprint("Posted 3 days ago")


def test_partial_fit_learns_across_batches_and_fit_forgets():
    pages = site_pages("Gazette", "Follow us on social media for live updates")
    model = BoilerplateModel(CleanSettings(site_min_stories=3))
    model.partial_fit(pages[:2])
    assert not model.is_boilerplate("Follow us on social media for live updates", "gazette")
    model.partial_fit(pages[2:])
    assert model.is_boilerplate("Follow us on social media for live updates", "gazette")
    model.fit(pages[:1])
    assert not model.is_boilerplate("Follow us on social media for live updates", "gazette")


def test_an_article_made_only_of_shared_lines_is_kept_whole():
    shared = "Breaking: markets fall sharply at the open"
    pages = [article(n, "Ticker", shared) for n in range(5)] + site_pages("Ticker", shared)
    cleaned = BoilerplateModel().fit_transform(pages)
    assert cleaned[0].text == shared


def test_long_lines_never_match_by_their_lead():
    quotes = [f"The minister said: {story}" for story in STORIES]
    pages = [article(n, f"site{n}.example", story, quotes[n]) for n, story in enumerate(STORIES)]
    cleaned = BoilerplateModel().fit_transform(pages)
    assert all("The minister said:" in a.text for a in cleaned)


def titled(n: int, site: str, title: str) -> Article:
    return Article(id=f"{site}-t{n}", text=STORIES[n % len(STORIES)], title=title, source=site)


HEADLINES = ["Man shot on Main Street", "Two hurt in crash", "Police seek driver", "Store robbed at gunpoint"]


def test_a_title_tail_three_titles_of_a_site_share_is_removed():
    tail = " - wave3.com-Louisville News, Weather & Sports"
    pages = [titled(n, "www.wave3.com", h + tail) for n, h in enumerate(HEADLINES)]
    pages.append(titled(9, "www.wave3.com", "Shooting - suspect flees - wave3.com-Louisville News, Weather & Sports"))
    cleaned = BoilerplateModel().fit_transform(pages)
    assert [a.title for a in cleaned] == [*HEADLINES, "Shooting - suspect flees"]
    assert pages[0].title.endswith(tail)  # the originals are untouched


def test_the_longest_learned_tail_goes_and_other_sites_keep_theirs():
    tail = " - WMC Action News 5 - Memphis, Tennessee"
    pages = [titled(n, "wmc", h + tail) for n, h in enumerate(HEADLINES[:3])]
    pages += [titled(5, "other", HEADLINES[3] + tail), titled(6, "wmc", HEADLINES[3] + " :: WRAL.com")]
    cleaned = BoilerplateModel().fit_transform(pages)
    assert [a.title for a in cleaned] == [*HEADLINES[:3], HEADLINES[3] + tail, HEADLINES[3] + " :: WRAL.com"]


def test_a_recurring_ending_with_other_figures_is_news_not_a_tail():
    pages = [titled(n, "wmc", f"{h} - {n + 2} dead") for n, h in enumerate(HEADLINES)]
    assert [a.title for a in BoilerplateModel().fit_transform(pages)] == [a.title for a in pages]


def test_a_tail_twice_or_the_whole_title_stays():
    twice = [titled(n, "ksla", h + " | KSLA News 12") for n, h in enumerate(HEADLINES[:2])]
    assert [a.title for a in BoilerplateModel().fit_transform(twice)] == [a.title for a in twice]
    # Three copies of one title are one title, and a tail alone is no headline.
    same = [titled(n, "ksla", "Flood warning | KSLA News 12") for n in range(3)]
    bare = [titled(n, "ksla", "| KSLA News 12") for n in range(3, 6)]
    cleaned = BoilerplateModel().fit_transform(same + bare)
    assert {a.title for a in cleaned} == {"Flood warning | KSLA News 12", "| KSLA News 12"}


@pytest.mark.skipif(not GVA_ARTICLES.is_file(), reason=f"evaluation data not found at {EVAL}")
def test_no_gva_title_keeps_a_tail_its_host_repeats():
    records = gva_records()
    articles = [article_from_record(record, str(n)) for n, record in enumerate(records)]
    tails = repeated_tails(records)
    before = sum(ends_in_tail(a.title, r["source"], tails) for a, r in zip(articles, records, strict=True))
    cleaned = BoilerplateModel().fit_transform(articles)
    after = [a.title for a, r in zip(cleaned, records, strict=True) if ends_in_tail(a.title, r["source"], tails)]
    assert before > 100  # the data do have tails (wave3.com, KSLA, WRAL ...)
    assert after == []
    assert all(a.title for a in cleaned if a.title)
