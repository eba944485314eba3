"""Who and what an event involves: named entities grouped under one canonical name each.

Three kinds of evidence merge two names (written by hand: this resolution is storyline's own idea,
no library does it across the articles of one event):
- the alias table (IS, ISIS, ISIL, Daesh -> Islamic State);
- acronyms: "Syrian Democratic Forces (SDF)" spelled out in a text, or an all-capital name whose
  letters are the initials of exactly one longer name of the event;
- spelling variants of the same type ("Mustefa Bali" / "Mustafa Bali": one word differs, and only
  slightly), and a lone surname that completes exactly one person ("Bali").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from difflib import SequenceMatcher

from ..model import EntityGroup
from .aliases import AliasTable

# NORP (nationalities, religions, political groups) is left out: "Syrian", "Kurdish" and
# "Islamic" describe, they name no one who took part.
ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT"})
# Titles spaCy takes for names when they stand before one: "Det.", "Sgt." Kinds, not names.
_TITLES = frozenset(
    "mr mrs ms dr det sgt cpl lt capt cmdr col gen maj gov sen rep rev supt insp officer deputy".split()
)
# Countries and cities are tagged GPE or LOC inconsistently; for merging they are one type.
_LABEL_FAMILY = {"LOC": "GPE", "FAC": "GPE"}
_SMALL_WORDS = frozenset({"of", "the", "and", "for", "de", "al", "in", "on", "to", "&"})
_SPELLED_ACRONYM = re.compile(r"((?:[A-Z][\w'’.-]*\s+(?:(?:of|the|and|for|de|in|on|to|&)\s+)*){1,8})\(([A-Z]{2,8})\)")
_LEADING_THE = re.compile(r"^(?:the|The)\s+")
# A sentence's opening word that the recogniser took into the name after it: "Beyond Baghouz, IS
# still has ..." names Baghouz, "Despite Smith's ..." Smith.
_LEADING_FRAGMENT = re.compile(
    r"^(?:Beyond|Despite|After|Before|Since|During|Amid|Among|Following|Meanwhile|While|When|Unlike|Like|"
    r"Inside|Outside|Across|Throughout|Near|Under|Without|Within|Against|Toward|Towards|Per|Via|Latest)\s+(?=[A-Z])"
)
# The page's own furniture that a recogniser reads as a name.
_BOILERPLATE_NAMES = frozenset({"latest news", "breaking news", "top stories", "related stories", "more news"})
_PLACES = frozenset({"GPE", "LOC"})
# A local institution is named for the place it serves: "Vallejo police", "the Southern Pines
# Police Department", "Harris County Sheriff's Office". The recogniser tags the bare place name
# ORG when it mostly stands in such names, and a city read as an organisation is a reader's
# place lost.
_INSTITUTION = re.compile(
    r"^(?P<place>[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}?)\s+"
    r"(?:Police|Sheriff|Fire|City Council|Municipal|Public Schools|Mayor|Coroner|District Attorney)\b"
)
# Institutions named for what they serve, not for a place: "State Police", "Transit Police".
_NOT_PLACES = frozenset(
    "state capitol transit university college unified metro metropolitan park tribal military campus airport "
    "housing school port harbor border federal national".split()
)
_POSSESSIVE = re.compile(r"[’']s?$")


def is_name(text: str, label: str) -> bool:
    """Whether a mention spaCy recognised is a name to list: of a listed type, not a title
    ("Sgt."), and not an abbreviation cut short of its full stop ("Mo", "Fla": a state after a
    city); acronyms in capitals ("NBC", "MPD") are names."""
    name = normalise_mention(text)
    if label not in ENTITY_LABELS or len(name) < 2 or not any(c.isupper() for c in name):
        return False
    if name.lower().rstrip(".") in _TITLES or name.lower() in _BOILERPLATE_NAMES:
        return False
    return not (label == "GPE" and len(name) <= 3 and not name.isupper())


def normalise_mention(text: str) -> str:
    """A mention as a name: no leading "the", no possessive, single spaces."""
    name = _POSSESSIVE.sub("", _LEADING_FRAGMENT.sub("", _LEADING_THE.sub("", " ".join(text.split()))))
    return name.strip(' -,."“”')


def spelled_acronyms(text: str) -> dict[str, str]:
    """Acronyms a text spells out, as acronym -> expansion: "Syrian Democratic Forces (SDF)"."""
    found = {}
    for match in _SPELLED_ACRONYM.finditer(text):
        words = match.group(1).split()
        acronym = match.group(2)
        # the shortest tail of the capitalised run whose initials spell the acronym
        for start in range(len(words) - 1, -1, -1):
            if _initials(words[start:]) == acronym:
                found[acronym] = " ".join(words[start:])
                break
    return found


def _initials(words: list[str]) -> str:
    letters = []
    for word in words:
        if word.lower() in _SMALL_WORDS:
            continue
        letters += [part[0] for part in re.split(r"[-–]", word) if part and part[0].isalpha()]
    return "".join(letters).upper()


def _family(label: str) -> str:
    return _LABEL_FAMILY.get(label, label)


class _Groups:
    """Union-find over names."""

    def __init__(self, names: Iterable[str]) -> None:
        self.parent = {name: name for name in names}

    def find(self, name: str) -> str:
        while self.parent[name] != name:
            self.parent[name] = self.parent[self.parent[name]]
            name = self.parent[name]
        return name

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)

    def members(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for name in self.parent:
            groups.setdefault(self.find(name), []).append(name)
        return groups


def similar_spelling(a: str, b: str, min_similarity: float) -> bool:
    """Same number of words, exactly one differing, and that one only slightly (same first letter)."""
    words_a, words_b = a.lower().split(), b.lower().split()
    if len(words_a) != len(words_b) or len(words_a) < 2 or a.lower() == b.lower():
        return False
    differing = [(x, y) for x, y in zip(words_a, words_b, strict=True) if x != y]
    if len(differing) != 1:
        return False
    x, y = differing[0]
    return x[0] == y[0] and min(len(x), len(y)) >= 4 and SequenceMatcher(None, x, y).ratio() >= min_similarity


def group_entities(
    mentions: Iterable[tuple[str, str]],
    acronyms: dict[str, str],
    aliases: AliasTable,
    min_similarity: float,
) -> list[EntityGroup]:
    """Group (name, label) mentions into entities, most mentioned first.

    ``acronyms`` are those the texts spelled out; ``min_similarity`` (difflib ratio) is how close
    the one differing word of two spellings must be.
    """
    counts: Counter[str] = Counter()
    labels: dict[str, Counter[str]] = {}
    for text, label in mentions:
        name = normalise_mention(text)
        if not is_name(text, label):
            continue
        counts[name] += 1
        labels.setdefault(name, Counter())[label] += 1
    _place_institutions(counts, labels)
    groups = _Groups(counts)
    label_of = {name: _label(labels[name]) for name in counts}
    canonical_of = _join_aliases(groups, counts, label_of, aliases)
    _join_acronyms(groups, counts, acronyms)
    _join_spellings(groups, counts, labels, label_of, min_similarity)
    result = [_entity(members, groups, counts, label_of, canonical_of) for members in groups.members().values()]
    return sorted(result, key=lambda g: (-g.mentions, g.name))


def _label(labels: Counter[str]) -> str:
    """The label a name's mentions agree on; a name any mention places is a place, never also a
    person or an organisation ("Alturas" read as a place once and as a person twice is Alturas)."""
    placed = [label for label, _ in labels.most_common() if label in _PLACES]
    return placed[0] if placed else labels.most_common(1)[0][0]


def _place_institutions(counts: Counter[str], labels: dict[str, Counter[str]]) -> None:
    """Count the places that the event's institutions are named for as places: "Vallejo", read
    as an organisation in "Vallejo police said", and "Memphis", named only in "Memphis Police
    Department", are places of the event."""
    for name in list(counts):
        match = _INSTITUTION.match(name)
        place = match.group("place") if match else None
        if place and place.split()[-1].lower() not in _NOT_PLACES and is_name(place, "GPE"):
            counts[place] += counts[name]
            labels.setdefault(place, Counter())["GPE"] += counts[name]


def _join_aliases(
    groups: _Groups, counts: Counter[str], label_of: dict[str, str], aliases: AliasTable
) -> dict[str, str]:
    """Step 1, the alias table: every name it knows joins its canonical entry (and takes its
    label). Returns the canonical name of each group it joined, by the group's root then."""
    canonical_of: dict[str, str] = {}
    by_canonical: dict[str, str] = {}
    for name in counts:
        # "U.S." loses its last full stop as a mention ("U.S"): the table knows it with it
        known = aliases.lookup(name) or (aliases.lookup(f"{name}.") if "." in name else None)
        if known:
            canonical, label = known
            label_of[name] = label
            if canonical in by_canonical:
                groups.union(name, by_canonical[canonical])
            else:
                by_canonical[canonical] = name
            canonical_of[groups.find(name)] = canonical
    return canonical_of


def _join_acronyms(groups: _Groups, counts: Counter[str], acronyms: dict[str, str]) -> None:
    """Step 2: acronyms spelled out in the texts, then initials matching exactly one longer name."""
    lowered = {name.lower(): name for name in counts}
    for acronym, expansion in acronyms.items():
        if acronym in counts and expansion.lower() in lowered:
            groups.union(acronym, lowered[expansion.lower()])
    long_names = [n for n in counts if len(n.split()) >= 2]
    for name in counts:
        if re.fullmatch(r"[A-Z]{2,8}", name):
            matches = {groups.find(n) for n in long_names if _initials(n.split()) == name}
            if len(matches) == 1:
                groups.union(name, matches.pop())


def _join_spellings(
    groups: _Groups,
    counts: Counter[str],
    labels: dict[str, Counter[str]],
    label_of: dict[str, str],
    min_similarity: float,
) -> None:
    """Step 3: spelling variants of one type, then lone surnames completing exactly one person."""
    names = sorted(counts)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            same_type = {_family(x) for x in labels[a]} & {_family(x) for x in labels[b]}
            if same_type and similar_spelling(a, b, min_similarity):
                groups.union(a, b)
    people = [n for n in counts if label_of[n] == "PERSON" and len(n.split()) >= 2]
    organisations = [n for n in counts if label_of[n] == "ORG" and len(n.split()) >= 2]
    for name in counts:
        # a lone word mostly tagged as a place is the place ("Baghouz"), not someone's surname
        if " " in name or not name[0].isupper() or _family(label_of[name]) == "GPE":
            continue
        owners = {groups.find(p) for p in people if p.split()[-1] == name}
        if len(owners) == 1:
            groups.union(name, owners.pop())
            continue
        # "the Observatory" after "The Syrian Observatory for Human Rights": the one organisation
        # whose name holds the word
        owners = {groups.find(o) for o in organisations if name in o.split()[1:]}
        if len(owners) == 1 and label_of[name] != "ORG":
            label_of[name] = "ORG"
        if len(owners) == 1:
            groups.union(name, owners.pop())


def _entity(
    members: list[str], groups: _Groups, counts: Counter[str], label_of: dict[str, str], canonical_of: dict[str, str]
) -> EntityGroup:
    """The entity of one group of names: its canonical name, label and spellings by use."""
    variants = tuple(sorted(((m, counts[m]) for m in members), key=lambda v: (-v[1], v[0])))
    group_labels = Counter()
    for member in members:
        group_labels[label_of[member]] += counts[member]
    canonical = next((canonical_of[groups.find(m)] for m in members if groups.find(m) in canonical_of), None)
    name = canonical or _canonical(variants)
    return EntityGroup(
        name=name,
        label=label_of[name] if name in label_of else group_labels.most_common(1)[0][0],
        variants=variants,
    )


def _canonical(variants: tuple[tuple[str, int], ...]) -> str:
    """The most used full form: not an acronym, not a lone word that a longer variant ends with."""
    names = [name for name, _ in variants]
    full = [
        name
        for name in names
        if not name.isupper() and not any(other != name and other.split()[-1] == name for other in names)
    ]
    return full[0] if full else names[0]
