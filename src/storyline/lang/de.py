"""German: no spaCy model on the registry fits spaCy 3.8 (the de-core-news entries are empty
placeholders), so names come from capitalised words that are not stop words (German capitalises
every noun, so these are noisier) and the alias table; figures and dates from the rules below."""

from . import LanguagePack, spacy_stop_words

_MONTHS = "januar februar märz april mai juni juli august september oktober november dezember".split()
PACK = LanguagePack(
    code="de",
    name="German",
    stop_words=spacy_stop_words("de"),
    months=tuple(_MONTHS),
    month_abbreviations={m[:3]: i + 1 for i, m in enumerate(_MONTHS)} | {"jän": 1, "jänner": 1, "sept": 9},
    weekdays=tuple("montag dienstag mittwoch donnerstag freitag samstag sonntag".split()),
    number_words={
        "null": 0,
        "ein": 1,
        "eine": 1,
        "eins": 1,
        "zwei": 2,
        "drei": 3,
        "vier": 4,
        "fünf": 5,
        "sechs": 6,
        "sieben": 7,
        "acht": 8,
        "neun": 9,
        "zehn": 10,
        "elf": 11,
        "zwölf": 12,
        "zwanzig": 20,
        "dreißig": 30,
        "vierzig": 40,
        "fünfzig": 50,
        "hundert": 100,
    },
    scales={
        "dutzend": 12,
        "hundert": 100,
        "tausend": 1_000,
        "million": 1_000_000,
        "millionen": 1_000_000,
        "milliarde": 1_000_000_000,
        "milliarden": 1_000_000_000,
    },
    counted_nouns=frozenset("menschen personen tote verletzte opfer todesopfer einwohner".split()),
    attribution_verbs=frozenset("sagen erklären mitteilen berichten bestätigen betonen ankündigen laut".split()),
    other_not_names=frozenset("dr herr frau laut polizei".split()),
    abbreviations=frozenset("dr prof nr str bzw ca usw z.b. d.h. u.a.".split()),
)
