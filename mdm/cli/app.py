"""The `mdm` command line: the Typer app and shared helpers."""

from __future__ import annotations

import typer
from rich.console import Console

from mdm.settings import Settings
from mdm.store import Store

app = typer.Typer(
    name="mdm",
    help="Master data management hub: load, match, merge, serve and publish golden records.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def fail(message: str, code: int = 1) -> None:
    # soft_wrap: paths and keys in messages stay on one line, copyable.
    err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    raise typer.Exit(code)


def open_store(settings: Settings | None = None) -> Store:
    settings = settings or Settings()
    return Store.open(settings.database_url)
