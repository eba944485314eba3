"""Numeric claims in parsed sentences: value, qualifier, what is counted, who said so.

Written by hand over spaCy's parse because what a figure counts is read from the dependency
tree (the noun a number modifies and the verb governing that noun), and no library turns
"more than 10,000 people have left" into (10000, "more than", "people left").
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ..model import Article, Figure

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"dozen": 12, "hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
# Vague amounts: (low, high) bounds. They are shown but never called a disagreement.
_VAGUE = {
    "dozen": (12, 12), "dozens": (24, 99), "scores": (40, 200), "hundreds": (200, 999),
    "thousands": (2_000, 9_999), "millions": (2_000_000, 9_999_999), "tens of thousands": (20_000, 99_999),
    "hundreds of thousands": (200_000, 999_999), "a few hundred": (200, 500), "several hundred": (200, 900),
    "a few thousand": (2_000, 5_000), "several thousand": (2_000, 9_000), "a few dozen": (24, 60),
    "several dozen": (24, 100),
}  # fmt: skip
_FEW_BEFORE = re.compile(r"\b(a few|several)\s+$", re.IGNORECASE)
# Words before a number, longest first, and the qualifier each means.
_QUALIFIERS = [
    ("no fewer than", "at least"), ("no less than", "at least"), ("more than", "more than"),
    ("upwards of", "more than"), ("in excess of", "more than"), ("at least", "at least"),
    ("a minimum of", "at least"), ("as many as", "up to"), ("fewer than", "less than"),
    ("less than", "less than"), ("an estimated", "about"), ("approximately", "about"),
    ("close to", "nearly"), ("nearly", "nearly"), ("almost", "nearly"), ("roughly", "about"),
    ("around", "about"), ("about", "about"), ("some", "about"), ("up to", "up to"), ("at most", "up to"),
    ("over", "more than"), ("under", "less than"), ("estimated", "about"),
]  # fmt: skip
_QUALIFIER_BEFORE = re.compile(
    r"\b(" + "|".join(re.escape(q) for q, _ in _QUALIFIERS) + r")\s+(?:of\s+)?$", re.IGNORECASE
)
_QUALIFIER_MEANING = dict(_QUALIFIERS)
# Nouns that say when or where, or measure rather than count: "four days", "the 13500 block",
# "20 miles away", "weighing 140 pounds", "4.3 billion taka" (money spaCy did not see as such).
_NOT_COUNTED = frozenset(
    "year month week day hour minute second time night morning o'clock a.m. p.m. am pm block percent "
    "per cent point number no. page inch foot feet degree times mile kilometer kilometre km meter metre "
    "yard acre pound lb kilogram kilo kg gram ton tonne ounce gallon liter litre mph dollar cent euro yen "
    "yuan peso rupee taka franc mark dinar ruble rouble lira".split()
)
# Entity types a number can belong to without counting anything: "230 Liquors", "KHOU 11",
# "66 Cottage St.", "Route 66".
_NAME_TYPES = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "WORK_OF_ART", "PRODUCT", "LAW", "EVENT"})
# Determiners between "of" and the whole a part is taken from: "two of the four", "three of his five".
_WHOLE_OF = frozenset({"the", "his", "her", "their", "its", "those", "these"})
# Determiners before "one" that make it "the only" rather than a count: "the one thing".
_ONE_AS_ONLY = frozenset({"the", "this", "that", "every", "each", "any", "no"})
# Lemmas that mean the same quantity, so "killed" and "died" and "dead" compare.
_PREDICATE_CLASS = {
    "kill": "killed", "die": "killed", "dead": "killed", "death": "killed", "slay": "killed",
    "murder": "killed", "fatal": "killed", "perish": "killed", "claim": "killed",
    "injure": "injured", "wound": "injured", "hurt": "injured", "injured": "injured", "wounded": "injured",
    "shoot": "shot", "shot": "shot", "hit": "shot",
    "arrest": "arrested", "detain": "arrested", "charge": "charged",
    "flee": "left", "escape": "left", "evacuate": "evacuated", "rescue": "evacuated",
    "trap": "trapped", "besiege": "trapped", "displace": "displaced",
}  # fmt: skip
_CASUALTY = frozenset({"killed", "injured", "shot"})
# How a casualty figure's key ends ("people|killed"): the classes figures of a toll compare in.
CASUALTY_KEYS = ("|killed", "|injured", "|shot")
# Words that make a figure a part of a larger whole: "two other victims", "two more", "one of them".
_PART_WORDS = frozenset("other others more remaining additional another further first second third last".split())
# "killed three people and himself" (four dead) / "three dead, including the gunman" (two victims):
# a toll may or may not count the shooter, so either reading is allowed.
_SHOOTER_EXCLUDED = re.compile(r"\b(?:himself|herself|themselves|(?:his|her|their) own li(?:fe|ves))\b", re.I)
_SHOOTER_INCLUDED = re.compile(
    r"\bincluding (?:the )?(?:suspected |alleged )?(?:gunman|shooter|suspect|attacker)\b", re.I
)
_ENUMERATION = re.compile(r"\b(?:another|the other|a second|a third|a fourth)\b", re.I)
_RATE = frozenset({"per", "every", "out"})  # "19.3 deaths per 100,000 people" is a rate, not a count
_BACKGROUND_DATE = re.compile(r"\b(?:years?|decades?) (?:ago|earlier|before)\b|\b(?:19|20)\d\d\b", re.I)
# Words that put a sentence's casualties in another incident than the one reported: "in a
# separate shooting", "a man killed last week", "12 killed across the city since Friday".
_ELSEWHERE = re.compile(
    r"\b(?:separate|unrelated|last (?:week|month)|earlier this (?:week|month)|(?:so far )?this year|across the city|"
    r"citywide|since (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"(?:two|three|four|several|multiple) (?:\w+ ){0,3}?(?:shootings|incidents|attacks)|in (?:\w+ ){0,2}?shootings|"
    r"(?:weekend|overnight) (?:shootings|gunfire|violence))\b",
    re.IGNORECASE,
)
_NOUN_CLASS = {
    "person": "people", "people": "people", "individual": "people", "persons": "people",
    "kid": "child", "children": "child", "death": "dead", "fatality": "dead", "casualty": "casualty",
    "soldier": "troop", "troops": "troop",
}  # fmt: skip
_SAY = frozenset("say tell report announce estimate confirm add state claim tweet write put note".split())
_SAY_PREDICATES = _SAY - {"claim", "put"}  # "claimed 12 lives" is a toll; "said 12" says nothing
_PRONOUNS = frozenset("he she they it we i you who this that".split())
_AGE_AFTER_NAME = re.compile(r"^\s*,\s*(\d{1,3})\s*(?:,|\.|$|and\b)")
_YEARS_OLD = re.compile(r"\b(\d{1,3})-year-old\b")
_DEATH_TOLL = re.compile(r"\bdeath toll\b", re.IGNORECASE)
_NUMBER = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$")


# A casualty written without a numeral: "a man was shot and killed", "the victim died at the
# hospital", "his wife was wounded". The words that may say one, for the parse to be run on the
# sentence (``holds_figure``), and the lemmas that say it, by the class they give.
_CASUALTY_WORDS = re.compile(
    r"\b(?:killed|kills?|killing|died|dies|dead|slain|murdered|fatally|wounded|injured|hurt)\b", re.I
)
_UNNUMBERED_VERBS = {"kill": "killed", "slay": "killed", "murder": "killed", "die": "killed",
                     "wound": "injured", "injure": "injured", "hurt": "injured"}  # fmt: skip
# Verbs whose outcome word says the death: "was pronounced dead", "was found dead", "left a man dead".
_DEAD_OUTCOME_VERBS = frozenset("pronounce declare find leave".split())
# What makes the happening not a fact: "could have been killed", "was nearly killed", "not hurt".
_NOT_HAPPENED = frozenset("would could might may can should nearly almost narrowly not never n't".split())
# Who may stand for one casualty: a person named, or "he"/"she" (not "it", "they").
_ONE_PERSON_PRONOUNS = frozenset({"he", "she", "him", "her"})
_RELATIVE = frozenset({"who", "that", "which"})
# Singular nouns that stand for more than one: "killed a young couple".
_SEVERAL_PEOPLE = frozenset("couple family pair group crowd household".split())


@dataclass(frozen=True)
class Claim:
    """A figure with what the comparison needs: its bounds and the words and dates around it."""

    figure: Figure
    low: float
    high: float
    vague: bool
    partial: bool  # counts a part of a larger whole ("two other victims"): never compared
    context: frozenset[str]  # content lemmas of the sentence, numbers left out
    dates: frozenset[str]  # date expressions of the sentence, lower-cased
    places: frozenset[str]  # places the sentence names (GPE, LOC, FAC), lower-cased


def parse_number(words: str) -> float | None:
    """'2,000' -> 2000, 'twenty-five' -> 25, '1.5 million' -> 1500000, 'three hundred' -> 300."""
    total, current = 0.0, 0.0
    seen = False
    for word in re.split(r"[\s-]+", words.lower().replace(" and ", " ")):
        if not word:
            continue
        if _NUMBER.match(word):
            current += float(word.replace(",", ""))
        elif word in _UNITS:
            current += _UNITS[word]
        elif word in _SCALES:
            current = max(current, 1) * _SCALES[word]
            if _SCALES[word] >= 1000:
                total, current = total + current, 0.0
        else:
            return None
        seen = True
    return total + current if seen else None


def bounds(value: float, qualifier: str, tolerance: float) -> tuple[float, float]:
    """The interval a figure allows: "about 90" within ``tolerance`` of 90, "at least 15" 15 and up."""
    if qualifier == "about":
        return value * (1 - tolerance), value * (1 + tolerance)
    if qualifier == "nearly":
        return value * (1 - tolerance), value
    if qualifier == "at least":
        return value, math.inf
    if qualifier == "more than":
        return math.nextafter(value, math.inf), math.inf
    if qualifier == "up to":
        return 0.0, value
    if qualifier == "less than":
        return 0.0, math.nextafter(value, -math.inf)
    return value, value


def figure_bounds(figure: Figure, tolerance: float) -> tuple[float, float]:
    """The interval of values a stated figure allows: its qualifier's (``bounds``), a vague
    amount's range ("dozens": 24-99), and a toll that may or may not count the shooter."""
    if figure.qualifier == "vague":
        low, high = _VAGUE.get(figure.text.lower(), (figure.value, figure.value))
    else:
        low, high = bounds(figure.value, figure.qualifier, tolerance)
    if figure.key.endswith(("|killed", "|shot")):
        high += 1 if _SHOOTER_EXCLUDED.search(figure.sentence) else 0
        low -= 1 if _SHOOTER_INCLUDED.search(figure.sentence) else 0
    return low, high


def holds_figure(span, entities) -> bool:
    """Whether a sentence (recognised, not yet parsed) may state a figure: a number that is not a
    date, time, amount of money or percentage and may count something (``_not_a_count`` reads
    only the words and entities, which the recogniser gave), or a named person with a number
    (an age: spaCy reads "Jeremy Lewis, 27," as a date), or a casualty word (a death or a wound
    written without a numeral, ``_unnumbered_claims``). ``entities`` are the sentence's. A
    sentence in capitals or a headline is never read for figures (``sentence_claims``). Only
    these sentences are parsed, the dearest part of reading figures."""
    if _shouted(span.text):
        return False
    return (
        any(not _not_a_count(span, start, end) for start, end in number_spans(span))
        or (any(e.label_ == "PERSON" for e in entities) and any(c.isdigit() for c in span.text))
        or bool(_CASUALTY_WORDS.search(span.text))
    )


def number_spans(doc) -> list[tuple[int, int]]:
    """Token ranges [start, end) of numbers, number words joined ("three hundred", "twenty - five";
    digits joined by a hyphen are a phone number or a range, not one number)."""
    spans, i = [], 0
    while i < len(doc):
        token = doc[i]
        if token.like_num and token.ent_type_ not in ("DATE", "TIME", "ORDINAL", "PERCENT", "MONEY"):
            j = i + 1
            while j < len(doc) and (
                doc[j].like_num
                or doc[j].lower_ == "dozen"  # "two dozen"
                or (
                    doc[j].text == "-"
                    and j + 1 < len(doc)
                    and doc[j + 1].like_num
                    and not (doc[j - 1].text[0].isdigit() or doc[j + 1].text[0].isdigit())
                )
            ):
                j += 1
            spans.append((i, j))
            i = j
        elif token.lower_ in _VAGUE and token.ent_type_ != "DATE":
            spans.append((i, i + 1))
            i += 1
        else:
            i += 1
    return spans


def _not_a_count(doc, start: int, end: int) -> bool:
    """Numbers that count nothing: part of a name or an address ("230 Liquors", "66 Cottage St."),
    a modifier ("284-unit", "three-nation", a phone number "866-845-TIPS"), a counter ("Image 4 of
    8"), "one or more", "the one thing", a rate ("0.32 per million")."""
    number, before, after = doc[end - 1], doc[start - 1] if start else None, doc[end] if end < len(doc) else None
    if number.ent_type_ in _NAME_TYPES or number.text == "911" or (after is not None and after.text == "-"):
        return True  # a name, the emergency number, "284-unit"
    if before is not None and before.lower_ in ("to", "-", "–") and start >= 2 and doc[start - 2].like_num:
        return True  # the top of a range ("12,000 to 15,000 militants"), not a count of its own
    if any(t.lower_ in ("per", "every") for t in doc[max(0, start - 6) : start]):
        return True  # a rate: "44.2 per 100,000 people", "for every million juveniles, 38 were murdered"
    if after is not None and after.lower_ in ("of", "or") and end + 1 < len(doc):
        following = doc[end + 1]
        if following.like_num or (after.lower_ == "or" and following.lower_ in ("more", "so", "less")):
            return True
    if before is not None and before.lower_ == "of" and start >= 2 and doc[start - 2].like_num:
        return True
    if start >= 3 and before.lower_ in _WHOLE_OF and doc[start - 2].lower_ == "of" and doc[start - 3].like_num:
        return True  # "two of the four victims died": the four were the victims, the two died
    if number.lower_ == "one" and before is not None and before.lower_ in _ONE_AS_ONLY:
        return True
    return any(t.lower_ == "per" for t in doc[end : end + 4])


def _shouted(text: str) -> bool:
    """A sentence in capitals (a broadcast transcript) or a headline in title case ("2 Killed, 2
    Hurt in Shooting"): spaCy's parse of either is not to be trusted."""
    letters = [c for c in text if c.isalpha()]
    words = [w for w in re.findall(r"[A-Za-z]+", text) if len(w) > 3]
    capitalised = sum(w[0].isupper() for w in words)
    headline = len(words) >= 3 and capitalised > 0.6 * len(words) and not re.search(r"[.!?][\"”’']?$", text)
    return headline or (len(letters) > 10 and sum(c.isupper() for c in letters) > 0.8 * len(letters))


def _counted_noun(number, vague: bool):
    """The noun a number counts: "62 people" -> people, "dozens of civilians" -> civilians."""
    if number.dep_ in ("nummod", "quantmod", "compound") and number.head.pos_ in ("NOUN", "PROPN"):
        # "Kurdistan 24", "Route 66", "66 Cottage St.": a name with a number, not a count; a plural
        # name ("seven Concordes", "three Americans") is counted
        if number.head.i < number.i or number.head.tag_ == "NNP":
            return None
        return number.head
    if not vague and number.lower_ not in _SCALES:
        return None  # "two of the victims" is a part, handled by _is_part
    for child in number.children:
        if child.dep_ == "prep" and child.lower_ == "of":
            objects = [c for c in child.children if c.dep_ == "pobj" and c.pos_ in ("NOUN", "PROPN")]
            if objects:
                return objects[0]
    return None


def _is_part(doc, number, noun, vague: bool) -> bool:
    """True when a figure counts part of a whole or nothing at all: "two other victims", "one of
    them", "no one", a bare "one" in an enumeration ("one in the leg, one in the arm")."""
    following = doc[number.i + 1 : number.i + 2]
    preceding = doc[number.i - 1 : number.i] if number.i else None
    if following and (following[0].lower_ in _PART_WORDS or (following[0].lower_ == "of" and not vague)):
        return True
    if preceding and (
        preceding[0].lower_ in _PART_WORDS or preceding[0].lower_ in _RATE or preceding[0].lower_ == "no"
    ):
        return True
    if noun is not None and noun.head.lemma_.lower() == "find":
        return True  # "officers found three people shot": the scene on arrival, not the toll
    if noun is not None and noun.dep_ == "pobj" and noun.head.lower_ in ("with", "among", "including", "inside"):
        return True  # "a van with three wounded people inside", "including two children"
    if number.lower_ == "one" and _ENUMERATION.search(doc.text):
        return True  # "one man was hit in the leg, another in the arm"
    if noun is not None:
        return any(t.lower_ in _PART_WORDS for t in doc[number.i + 1 : noun.i])
    return number.lower_ == "one" or number.dep_ not in ("nsubj", "nsubjpass", "dobj")


def _predicate_class(verb, noun) -> str:
    """What happened to what is counted, as a comparable class: "shot to death" and "died" are "killed"."""
    lemma = verb.lemma_.lower()
    around = [*verb.children, *(noun.children if noun is not None else ())]
    outcome = [t.lemma_.lower() for t in around if t.dep_ in ("oprd", "acomp", "amod", "xcomp", "ccomp", "advmod")]
    if lemma in ("leave", "shoot") and any(_PREDICATE_CLASS.get(o) == "killed" for o in outcome):
        return "killed"  # "leaving two people dead", "shot four people dead"
    if lemma in ("leave", "be", "remain"):
        # "leaving two people injured", "two people are dead"
        classes = [_PREDICATE_CLASS[o] for o in outcome if _PREDICATE_CLASS.get(o) in _CASUALTY]
        return classes[0] if classes else lemma
    if noun is not None and noun.dep_ == "nsubj" and lemma not in ("die", "perish") and lemma in _PREDICATE_CLASS:
        return f"{lemma} (by them)"  # "five people were shooting": those who did it, not those it was done to
    if lemma == "shoot" and (
        "fatally" in outcome or any(t.lower_ == "death" for c in verb.children if c.lower_ == "to" for t in c.children)
    ):
        return "killed"
    return _PREDICATE_CLASS.get(lemma, lemma)


def _shown_predicate(verb, head, after: int) -> str:
    """The words that say what happened to what is counted, as a figure shows them ("people
    killed", "civilians handed over"), or "" when the verb found is not about it (it belongs to
    another subject: "the state owns three million properties", "there are 1,708 radio
    stations", "blasts in four buildings that killed 300"). ``head`` is the counted noun, or the
    number when it stands alone or heads the noun ("dozens of civilians"); words before token
    ``after`` are already shown as part of what is counted ("11 wounded militants")."""
    if verb is None or (verb.i < after and verb.dep_ == "amod"):
        return ""
    # spaCy makes a new Token object on every access: tokens are compared by position
    while head.dep_ == "conj" and head.head.i != head.i:
        head = head.head  # "killing 12 soldiers and one civilian": the civilian is killed too
    lemma = verb.lemma_.lower()
    if head.head.i != verb.i and verb.head.i != head.i:
        return ""  # the verb governs something else
    if verb.head.i == head.i and verb.dep_ in ("acl", "amod"):
        return _with_particle(verb)  # "three people injured", "three wounded people"
    passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in verb.children)
    if verb.head.i == head.i and verb.dep_ == "relcl":
        # "two victims who died", "people who were shot"; not "buildings that killed"
        return _with_particle(verb) if passive or lemma in _UNDERGONE else ""
    if lemma in ("be", "remain") or (lemma == "leave" and head.dep_ == "dobj"):
        # "one person is dead", "leaving two people wounded"
        outcome = [t for t in (*verb.children, *head.children) if t.dep_ in ("acomp", "oprd", "amod", "xcomp")]
        return outcome[0].text if outcome and outcome[0].i > head.i else ""
    if head.dep_ in ("nsubj", "nsubjpass"):
        # "200,000 people are thought to have fled": what they did is the verb reported
        reported = [c for c in verb.children if c.dep_ == "xcomp" and c.pos_ in ("VERB", "AUX")]
        if lemma in _REPORTING and reported:
            verb = next((c for c in reported[0].children if c.dep_ in ("xcomp", "ccomp")), reported[0])
        if head.dep_ == "nsubj" and not passive and lemma in _PREDICATE_CLASS and lemma not in _UNDERGONE:
            return ""  # "two brothers killed 12 people": what they did, not what was done to them
        return _with_particle(verb)  # "two people died", "four were wounded"
    if head.dep_ == "dobj" and lemma in _PREDICATE_CLASS:
        return _PREDICATE_CLASS[lemma]  # "killing 12 soldiers": 12 soldiers killed
    return ""


# Verbs whose subject is the one it happens to: "people who fled", "two men died".
_UNDERGONE = frozenset("die perish flee escape leave survive".split())
# Verbs that report what others think of the counted: the fact is in their complement.
_REPORTING = frozenset("think believe say report expect fear know estimate presume seem appear".split())


def _with_particle(verb) -> str:
    """A verb with its particle: "handed over", "taken out"."""
    particles = [c.text for c in verb.children if c.dep_ == "prt"]
    return " ".join([verb.text, *particles])


def _predicate(node):
    """The verb (or participle) saying what happened to what is counted, as (word, lemma)."""
    for child in node.children:
        if child.dep_ in ("acl", "amod", "relcl") and child.lemma_.lower() in _PREDICATE_CLASS:
            return child
    current = node
    for _ in range(4):
        if current.dep_ in ("ROOT",) or current.head.i == current.i:
            break
        current = current.head
        if current.pos_ in ("VERB", "AUX") or current.lemma_.lower() in _PREDICATE_CLASS:
            return current
    return None


def _said_by(doc) -> str:
    """Who the sentence says gave its figures: "OCHA said", "according to the IRC"."""
    for token in doc:
        if token.lemma_.lower() in _SAY and token.pos_ == "VERB":
            subjects = [c for c in token.children if c.dep_ in ("nsubj", "nsubjpass")]
            if subjects and subjects[0].lower_ not in _PRONOUNS:
                return _phrase(subjects[0])
        if token.lower_ == "according":
            for to in token.children:
                for obj in to.children:
                    if obj.dep_ == "pobj":
                        return _phrase(obj)
    return ""


def _phrase(head) -> str:
    span = head.doc[head.left_edge.i : head.right_edge.i + 1]
    if span[0].lower_ == "the":
        span = span[1:]
    text = span.text.strip(' ,"“”')
    return text if 0 < len(text.split()) <= 8 else head.text


@dataclass(frozen=True)
class _Sentence:
    """What every figure of one parsed sentence shares: its words, dates, places and speaker."""

    doc: Any
    text: str  # the sentence's text, read once: a spaCy ``Doc.text`` is joined anew from every token on each access
    article: Article
    tolerance: float
    context: frozenset[str]
    dates: frozenset[str]
    places: frozenset[str]
    background: bool
    said_by: str

    @classmethod
    def of(cls, doc, text: str, article: Article, tolerance: float) -> _Sentence:
        context = frozenset(
            t.lemma_.lower() for t in doc if t.is_alpha and not t.is_stop and not t.like_num and len(t) > 2
        )
        return cls(doc, text, article, tolerance, context, *_dates_and_places(doc.ents, article), _said_by(doc))

    def claim(self, value: float, qualifier: str, counts: str, key: str, written: str, partial: bool = False) -> Claim:
        """The claim of one figure of this sentence: ``value`` of what ``counts`` says, as ``written``."""
        sentence, article = self.text, self.article
        figure = Figure(
            value=value,
            qualifier=qualifier,
            counts=counts,
            text=written,
            sentence=sentence,
            article_id=article.id,
            source=article.source,
            published=article.published,
            said_by=self.said_by,
            key=key,
        )
        low, high = figure_bounds(figure, self.tolerance)
        return Claim(
            figure=figure,
            low=low,
            high=high,
            vague=qualifier == "vague",
            partial=partial or self.background,
            context=self.context,
            dates=self.dates,
            places=self.places,
        )


def _dates_and_places(ents, article: Article) -> tuple[frozenset[str], frozenset[str], bool]:
    """A sentence's date expressions and places (lower-cased), and whether a date puts it in the
    past (then its figures are history, not this event's news)."""
    # spaCy tags ages ("Jeremy Lewis, 27", "20-year-old") as dates: only expressions with words count
    dates = frozenset(
        " ".join(e.text.lower().split())
        for e in ents
        if e.label_ in ("DATE", "TIME") and any(c.isalpha() for c in e.text) and "-year-old" not in e.text
    )
    places = frozenset(re.sub(r"[’']s?$", "", e.text.lower()) for e in ents if e.label_ in ("GPE", "LOC", "FAC"))
    # a figure dated years back ("three years ago", "in 2012") is history, not this event's news
    publication_year = str(article.published.year) if article.published else ""
    background = any(_BACKGROUND_DATE.search(d) and publication_year not in d for d in dates)
    return dates, places, background


def elsewhere(text: str) -> bool:
    """Whether a sentence's casualties are another incident's than the one reported."""
    return bool(_ELSEWHERE.search(text))


def claim_maker(sentence, article: Article, tolerance: float) -> Callable[..., Claim]:
    """What makes a claim of a sentence the recogniser alone read (``nlp.Recognised``: a title)
    for readers of another form (``headlines``): the figure keeps the sentence's words, dates and
    places, as ``_Sentence.claim`` does for a parsed one."""
    words = frozenset(w.lower() for w in re.findall(r"[A-Za-z]{3,}", sentence.text))
    where_when = _dates_and_places(sentence.ents, article)
    return _Sentence(sentence, sentence.text, article, tolerance, words, *where_when, "").claim


def article_claims(docs, article: Article, tolerance: float) -> list[Claim]:
    """Every figure of an article's parsed sentences (``sentence_claims``), and a casualty
    written without a numeral ("a man was shot and killed": one killed) where no sentence of the
    article numbers that class: "two people were killed ... a man died at the scene" is two, not
    also one; only the first such sentence of each class counts, as it is mostly the same
    victim told again ("the victim died at the hospital")."""
    claims, unnumbered = [], {}
    for doc in docs:
        if elsewhere(doc.text):
            # its casualties are another incident's; its other counts may still be this one's
            claims += [c for c in sentence_claims(doc, article, tolerance) if not c.figure.key.endswith(CASUALTY_KEYS)]
            continue
        found = sentence_claims(doc, article, tolerance)
        claims += found
        if not _shouted(doc.text):
            for claim in _unnumbered_claims(_Sentence.of(doc, doc.text, article, tolerance)):
                unnumbered.setdefault(claim.figure.key.rpartition("|")[2], claim)
    numbered = {c.figure.key.rpartition("|")[2] for c in claims}
    return claims + [c for outcome, c in unnumbered.items() if outcome not in numbered]


def sentence_claims(doc, article: Article, tolerance: float) -> list[Claim]:
    """Every numbered figure of one parsed sentence."""
    text = doc.text
    if _shouted(text):
        return []
    sentence = _Sentence.of(doc, text, article, tolerance)
    claims = [c for start, end in number_spans(doc) if (c := _number_claim(sentence, start, end)) is not None]
    # Two figures of one quantity in one sentence are parts of an enumeration ("two at the
    # barbershop, two more at the car wash"), not totals.
    keys = Counter(c.figure.key for c in claims)
    claims = [replace(c, partial=True) if keys[c.figure.key] > 1 else c for c in claims]
    claims += _ages(doc, text, sentence.claim)
    return claims


def _unnumbered_claims(sentence: _Sentence) -> list[Claim]:
    """Casualties the sentence counts without a numeral: one for each person it says was killed
    or wounded ("a man was shot and killed", "his wife and daughter were wounded": two, "the
    victim, who died at the hospital", "was pronounced dead"). Never compared (``partial``): the
    sentence may speak of one victim of several."""
    found = []
    for verb in sentence.doc:
        outcome = _unnumbered_class(verb)
        if outcome is None or _did_not_happen(verb):
            continue
        people = _casualties(verb)
        if not people:
            continue
        head = people[0]
        noun_class = _NOUN_CLASS.get(head.lemma_.lower(), "people" if head.pos_ != "NOUN" else head.lemma_.lower())
        written = sentence.doc[head.left_edge.i : people[-1].i + 1].text  # "a 20-year-old man", "Smith and his wife"
        found.append(
            sentence.claim(
                float(len(people)), "exactly", f"{head.text} {verb.text}", f"{noun_class}|{outcome}", written, True
            )
        )
    return found[:1]  # one sentence, one toll: "was shot and killed" is one death, not two


def _unnumbered_class(verb) -> str | None:
    """ "killed" or "injured" when the token says that happened to someone, else None."""
    lemma = verb.lemma_.lower()
    if verb.pos_ not in ("VERB", "AUX") and verb.tag_ != "VBN":
        return None
    if lemma in _UNNUMBERED_VERBS:
        return _UNNUMBERED_VERBS[lemma]
    outcomes = [c.lemma_.lower() for c in verb.children if c.dep_ in ("acomp", "oprd", "xcomp", "advmod", "ccomp")]
    if lemma in _DEAD_OUTCOME_VERBS and "dead" in outcomes:
        return "killed"
    if lemma == "shoot" and (
        "fatally" in outcomes or any(t.lower_ == "death" for c in verb.children if c.lower_ == "to" for t in c.children)
    ):
        return "killed"
    return None


def _did_not_happen(verb) -> bool:
    """A death or wound the sentence only fears, denies or nearly saw: a modal, a negation,
    "nearly", on the verb or on the verb it is joined to ("was shot and killed")."""
    verbs = [verb, verb.head] if verb.dep_ in ("conj", "xcomp") else [verb]
    return any(c.lower_ in _NOT_HAPPENED or c.dep_ == "neg" for v in verbs for c in v.children)


def _casualties(verb) -> list:
    """The people a casualty verb says it happened to, one token each: its passive subject (the
    subject of "die"), the object of an active "killed" ("police shot and killed a man"), the
    same of the verb it is joined to ("a man was shot and killed"), or the noun a participle
    describes ("a man killed in the shooting"); a relative pronoun stands for its noun. Empty
    when any of them is counted by a number or in the plural ("two men", "people"): those are
    read as numbers, or not at all."""
    wanted = ("nsubj", "nsubjpass") if verb.lemma_.lower() == "die" else ("nsubjpass", "dobj")
    subjects = []
    for linked in [verb, verb.head] if verb.dep_ == "conj" else [verb]:
        subjects = [c for c in linked.children if c.dep_ in wanted]
        if subjects:
            break
    if not subjects and verb.dep_ == "acl" and verb.tag_ == "VBN":
        subjects = [verb.head]
    if not subjects:
        return []
    subject = verb.head if subjects[0].lower_ in _RELATIVE and verb.dep_ == "relcl" else subjects[0]
    people = [subject, *subject.conjuncts]
    if any(not _one_person(p) for p in people):
        return []
    # "killed his wife and then himself": the shooter is left to the toll's bounds, which allow him
    return [p for p in people if p.lower_ not in ("himself", "herself")]


def _one_person(token) -> bool:
    """Whether a token stands for one person and no number counts it: a singular noun ("man",
    "victim", "Smith"), "he" or "she", or a reflexive."""
    if any(c.like_num or c.dep_ == "nummod" for c in token.children) or token.like_num:
        return False
    if token.pos_ == "PRON":
        return token.lower_ in _ONE_PERSON_PRONOUNS or token.lower_ in ("himself", "herself")
    return (
        token.tag_ in ("NN", "NNP")
        and token.ent_type_ in ("", "PERSON")
        and not token.is_stop
        and token.lemma_.lower() not in _SEVERAL_PEOPLE
    )


def _number_claim(sentence: _Sentence, start: int, end: int) -> Claim | None:
    """The claim of the number at tokens ``start:end`` of the sentence, if it counts something
    the sentence names (or a casualty verb implies)."""
    doc = sentence.doc
    span = doc[start:end]
    number = span[-1]
    if _not_a_count(doc, start, end):
        return None  # "20-year-old" too: an age, read by _ages
    written_number = span.text.lower()
    few = _FEW_BEFORE.search(doc[:start].text + " ")
    if few and written_number in ("hundred", "thousand", "dozen"):
        written_number = f"{few.group(1).lower()} {written_number}"
        start = doc.char_span(few.start(1), few.start(1) + 1, alignment_mode="expand").start
    vague = written_number in _VAGUE and written_number != "dozen"
    value = parse_number(span.text) if not vague else float(_VAGUE[written_number][0])
    if value is None:
        return None
    noun = _counted_noun(number, vague)
    if noun is not None and (noun.lemma_.lower() in _NOT_COUNTED or noun.ent_type_ in _NAME_TYPES - {"NORP"}):
        return None  # a measure, or a name ("96 Main Street"); "62 Kurds" is counted
    head = noun if noun is not None else number
    verb = _predicate(head)
    predicate = _predicate_class(verb, noun) if verb is not None else ""
    if predicate in _SAY_PREDICATES:
        predicate, verb = "", None  # the verb of the source, not of what is counted
    joined = []
    if _DEATH_TOLL.search(sentence.text) and noun is None and number.dep_ == "pobj":
        noun_word, noun_class, predicate, verb = "death toll", "people", "killed", None
    elif noun is not None:
        first = end + 1 if end < len(doc) and doc[end].lower_ == "of" else end  # "dozens of civilians"
        # "Three men and a woman were wounded": four
        joined = _joined_ones(noun) if not vague and predicate in _CASUALTY else []
        value += len(joined)
        noun_word = doc[first : (joined[-1] if joined else noun).i + 1].text if noun.i >= first else noun.text
        noun_class = _NOUN_CLASS.get(noun.lemma_.lower(), noun.lemma_.lower())
    elif predicate in _CASUALTY and number.dep_ in ("nsubj", "nsubjpass", "conj"):
        noun_word, noun_class = "people", "people"  # "four were wounded", "10 were dead and seven wounded"
    else:
        return None  # a bare number whose meaning the sentence does not say
    qualifier = "vague" if vague else _qualifier(doc, start)
    subject = number if noun is not None and noun.head.head.i == number.i else head  # "dozens of civilians"
    shown = _shown_predicate(verb, subject, (noun.i if noun is not None else number.i) + 1)
    counts = noun_word if noun_word == "death toll" else f"{noun_word} {shown}"
    written_start = start
    match = _QUALIFIER_BEFORE.search(doc[:start].text + " ")
    if match and not vague:
        written_start = doc.char_span(match.start(1), match.start(1) + 1, alignment_mode="expand").start
    last = joined[-1] if joined else noun
    written = doc[written_start : (last.i + 1) if last is not None and last.i >= end else end].text
    partial = _is_part(doc, number, noun, vague)
    return sentence.claim(value, qualifier, counts.strip(), f"{noun_class}|{predicate}", written, partial)


def _joined_ones(noun) -> list:
    """Single people joined to a counted noun, each one more: "three men and a woman"."""
    return [c for c in noun.conjuncts if c.i > noun.i and any(d.lower_ in ("a", "an") for d in c.children)]


def _qualifier(doc, start: int) -> str:
    match = _QUALIFIER_BEFORE.search(doc[:start].text + " ") if start else None
    return qualifier_meaning(match.group(1)) if match else "exactly"


def qualifier_meaning(words: str) -> str:
    """The qualifier words before a number mean ("around" -> "about"), "exactly" for none."""
    return _QUALIFIER_MEANING.get(words.lower(), "exactly") if words else "exactly"


def _ages(doc, text: str, claim) -> list[Claim]:
    """Ages of named people: "Bernard Gillis, 20," and "20-year-old John Smith"."""
    found = []
    for ent in doc.ents:
        if ent.label_ != "PERSON":
            continue
        after = text[ent.end_char : ent.end_char + 12]
        match = _AGE_AFTER_NAME.match(after)
        before = text[max(0, ent.start_char - 16) : ent.start_char]
        prior = _YEARS_OLD.search(before)
        age = (
            match.group(1)
            if match
            else (
                prior.group(1) if prior and before.rstrip().endswith(("old", "man", "woman", "boy", "girl")) else None
            )
        )
        if age is None or not 0 < int(age) < 120:
            continue
        found.append(
            claim(float(age), "exactly", f"age of {ent.text}", f"age|{_person_key(ent.text)}", f"{ent.text}, {age}")
        )
    return found


def _person_key(name: str) -> str:
    """First and last name, lower-cased: "Christopher A. Hart" and "Christopher Hart" are one person,
    "Sarah Griego" and "Angelina Griego" are two."""
    words = [w for w in re.sub(r"[\"“”(].*?[\"“”)]", " ", name).split() if not re.fullmatch(r"[A-Z]\.?", w)]
    words = [w.lower().rstrip(".,") for w in words] or [name.lower()]
    return f"{words[0]} {words[-1]}" if len(words) > 1 else words[0]
