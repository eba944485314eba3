import pytest

from storyline.model import Article
from storyline.sentences import is_boilerplate, split_sentences


@pytest.mark.parametrize(
    ("paragraph", "first"),
    [
        ("GENEVA - The talks resumed on Monday.", "The talks resumed on Monday."),
        ("WASHINGTON (Reuters) — The Senate voted on Friday.", "The Senate voted on Friday."),
        (
            "PHOENIX _ Victoria Molina wants strangers to stop complaining.",
            "Victoria Molina wants strangers to stop complaining.",
        ),
        ("GENEVA, January 28 (Xinhua) -- Three Europeans set off Wednesday.", "Three Europeans set off Wednesday."),
        (
            "PINE RIDGE, S.D. (AP) -- President Clinton turned his attention today.",
            "President Clinton turned his attention today.",
        ),
        ("NEW BEDFORD, Mass. — Four people were shot early Sunday.", "Four people were shot early Sunday."),
        (
            "The U.S. Army said - in a statement - that it agreed.",
            "The U.S. Army said - in a statement - that it agreed.",
        ),
    ],
)
def test_datelines_are_removed_from_a_paragraph_opening(paragraph, first):
    assert split_sentences(Article(id="a", text=paragraph))[0].text == first


def test_sentences_glued_by_a_lost_paragraph_break_are_split():
    article = Article(id="a", text="TMZ has learned.We've learned she was busted. The U.S.Army said so in 2012.")
    assert [s.text for s in split_sentences(article)] == [
        "TMZ has learned.",
        "We've learned she was busted.",
        "The U.S.Army said so in 2012.",
    ]


def test_sentences_are_numbered_across_paragraphs_and_carry_their_citation():
    article = Article(
        id="a", text="Headline line\n\nFirst sentence here. Second one here.", source="AP", url="https://x.test/a"
    )
    sentences = split_sentences(article)
    assert [(s.text, s.position) for s in sentences] == [
        ("Headline line", 0),
        ("First sentence here.", 1),
        ("Second one here.", 2),
    ]
    assert all((s.article_id, s.source, s.url) == ("a", "AP", "https://x.test/a") for s in sentences)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("By PAT KOSSAN", True),
        ("Reporting by Jane Doe; Editing by John Roe", True),
        ("Click here to subscribe to our daily briefing.", True),
        ("Follow us on Twitter for the latest updates.", True),
        ("Contact the author at someone@example.com for details.", True),
        ("By Tuesday the river had risen three metres above its usual level.", False),
        ("The army said on Tuesday that the town had been retaken from the militants.", False),
    ],
)
def test_boilerplate_lines_are_recognised(text, expected):
    assert is_boilerplate(text) is expected
