"""Learned boilerplate removal: repetition over different stories, not a list of phrases."""

from __future__ import annotations

from storyline.clean import BoilerplateModel, line_fingerprint
from storyline.config import CleanSettings
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
