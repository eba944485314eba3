"""Who published an article: the outlet's name from what the input says.

An article's ``source`` is what its input names (a JSON field, a page's site name, a feed's
title); else the URL's host; else the agency its wire dateline credits ("WASHINGTON (AP) --",
"(Reuters) -") or its document number's wire code ("APW19990101.0001"). Hosts read as names
where a small bundled table (``data/outlets.tsv``) knows them, so that www.nytimes.com and
nytimes.com are one outlet, "The New York Times".
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from urllib.parse import urlsplit

# A dateline at the start of a line near the top: an optional place and date ("WASHINGTON",
# "BEIJING, Jan. 2"), the agency in brackets, then the dash, colon or underscore (DUC's AP
# copy) that opens the story.
_DATELINE = re.compile(
    r"^[ \t]*(?:[A-Z][\w.'’ -]{0,40}?(?:,[^()\n]{0,30}?)?[ \t]*)?"
    r"\((?P<agency>[A-Z][\w&.' -]{0,30})\)[ \t]*(?:--|[-—–_:])",
    re.MULTILINE,
)
# Only the opening of a text holds its dateline (some pages put a timestamp line first).
_DATELINE_CHARS = 300
# An LDC document number: the wire's code, optionally "_ENG_", then the date ("XIE19990101.0001").
_DOCUMENT_NUMBER = re.compile(r"^(?P<code>[A-Z]{3})(?:_ENG_)?\d{8}")
_HOST = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
# Brackets after a dateline also hold places ("MONUMENT (Phoenix) _") and "(UNDATED)": an agency
# is a wire's short capitals (AP, AFP, UPI), a host (CBSLA.com) or an outlet the table names.
_WIRE_CAPITALS = re.compile(r"^[A-Z]{2,5}$")


@functools.cache
def _known_outlets() -> dict[str, str]:
    table = (resources.files("storyline") / "data" / "outlets.tsv").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in table.splitlines() if line.strip() and not line.startswith("#"))
    return {key.strip(): name.strip() for key, name in rows}


def outlet_name(source: str) -> str:
    """``source`` as readers know it: a host the table knows (or a subdomain of one) becomes its
    name, another host loses its ``www.``, anything else is already a name and stays."""
    source = source.strip()
    host = source.casefold()
    if not _HOST.match(host):
        return source
    known = _known_outlets()
    labels = host.split(".")
    for start in range(len(labels) - 1):
        if name := known.get(".".join(labels[start:])):
            return name
    return host.removeprefix("www.")


def outlet_of(url: str) -> str:
    """The outlet of a URL's host, the best name when a page gives none ('' without a host)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # "http://[x": an unclosed IPv6 bracket
        return ""
    return outlet_name(host) if host else ""


def outlet_in_text(text: str, document_id: str = "") -> str:
    """The agency a wire dateline at the top of ``text`` credits, else the outlet the wire code
    of ``document_id`` names, else ''."""
    if (match := _DATELINE.search(text[:_DATELINE_CHARS])) and _is_agency(agency := match.group("agency").strip()):
        return outlet_name(agency)
    if match := _DOCUMENT_NUMBER.match(document_id):
        return _known_outlets().get(match.group("code"), "")
    return ""


def _is_agency(name: str) -> bool:
    return bool(_WIRE_CAPITALS.match(name) or _HOST.match(name.casefold())) or name in _known_outlets().values()
