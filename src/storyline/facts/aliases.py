"""The curated table of known aliases (IS, ISIS, ISIL, Daesh -> Islamic State), extendable by users."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import InputError


@dataclass(frozen=True)
class AliasTable:
    """Alias (as written) -> (canonical name, label). Hashable, so a loaded model can be keyed on it."""

    entries: tuple[tuple[str, str, str], ...]  # (alias, canonical, label)

    def lookup(self, name: str) -> tuple[str, str] | None:
        """The canonical name and label of ``name``, if it is a known alias or canonical name."""
        return self._index().get(name if _exact_case(name) else name.lower())

    def exact_case_aliases(self) -> list[tuple[str, str]]:
        """(alias, label) of the all-capital aliases: the ones a recogniser tends to miss."""
        return sorted({(alias, label) for alias, _, label in self.entries if _exact_case(alias)})

    def _index(self) -> dict[str, tuple[str, str]]:
        index = self.__dict__.get("_cached_index")
        if index is None:
            index = {}
            for alias, canonical, label in self.entries:
                index[alias if _exact_case(alias) else alias.lower()] = (canonical, label)
            object.__setattr__(self, "_cached_index", index)
        return index


def _exact_case(name: str) -> bool:
    # "IS" must not match the verb "is"; "Daesh" may match "DAESH" or "daesh".
    letters = [c for c in name if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def read_aliases(text: str, origin: str) -> list[tuple[str, str, str]]:
    """Parse the TSV format: ``canonical<TAB>label<TAB>alias|alias|...``; ``#`` starts a comment."""
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.rstrip("\n").split("\t")
        if len(fields) != 3 or not fields[0].strip() or not fields[1].strip():
            raise InputError(f"{origin}:{number}", "expected 'canonical<TAB>LABEL<TAB>alias|alias|...'")
        canonical, label = fields[0].strip(), fields[1].strip().upper()
        names = [canonical] + [a.strip() for a in fields[2].split("|") if a.strip()]
        entries += [(name, canonical, label) for name in names]
    return entries


def load_aliases(extra_path: str = "") -> AliasTable:
    """The bundled table, then the rows of ``extra_path`` (a user's file overrides bundled rows)."""
    bundled = (resources.files("storyline") / "data" / "aliases.tsv").read_text(encoding="utf-8")
    entries = read_aliases(bundled, "aliases.tsv")
    if extra_path:
        path = Path(extra_path)
        try:
            entries += read_aliases(path.read_text(encoding="utf-8"), str(path))
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(str(path), f"cannot read alias table ({exc.__class__.__name__})") from None
    return AliasTable(tuple(entries))
