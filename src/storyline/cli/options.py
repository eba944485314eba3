"""What several ``storyline`` commands share: options, a lazily read choice, warnings."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from ..config import DB_ENV, DEFAULT_DB


class LazyChoice(click.Choice):
    """A ``click.Choice`` whose values are a module's constant, read only when the option is used
    (parsed or shown in a command's help), so that defining the option imports nothing."""

    def __init__(self, module: str, name: str) -> None:  # module: its full name
        self._where = (module, name)
        self.case_sensitive = True

    @property
    def choices(self) -> Sequence[str]:  # type: ignore[override]
        module, name = self._where
        return tuple(getattr(importlib.import_module(module), name))


db_option = click.option(
    "--db",
    envvar=DB_ENV,
    default=DEFAULT_DB,
    show_default=True,
    help=f"SQLite file or database URL (also ${DB_ENV}).",
)


def warn(message: object) -> None:
    click.echo(f"storyline: {message}", err=True)


def data_option(help_text: str, folder_only: bool = False) -> Callable:
    """The ``--data`` option every ``evaluate`` command takes: an existing dataset path, read in place."""
    kind = click.Path(exists=True, file_okay=not folder_only, path_type=Path)
    return click.option("--data", type=kind, required=True, help=help_text)
