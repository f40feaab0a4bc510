"""`mdm export changes|golden|xref`."""

from __future__ import annotations

from pathlib import Path

import typer

from mdm.cli.app import app, console, fail, open_store
from mdm.cli.setup import ensure_schema
from mdm.publish import exports
from mdm.publish.subscribers import DOMAINS

export_app = typer.Typer(help="Write changes, golden records or the xref to a file.", no_args_is_help=True)
app.add_typer(export_app, name="export")

DOMAIN = typer.Option(..., "--domain", "-d", help="customer, item or price")
OUT = typer.Option(..., "--out", "-o", help="file to write (replaced whole, never half-written)")
FORMAT = typer.Option(None, "--format", "-f", help="csv, jsonl or parquet (default: from the file name)")


def _run(call, domain: str, *args, **kwargs) -> exports.ExportResult:
    if domain not in DOMAINS:
        fail(f"--domain must be one of {', '.join(DOMAINS)}, not {domain!r}")
    store = open_store()
    ensure_schema(store)
    try:
        return call(store, domain, *args, **kwargs)
    except exports.ExportError as exc:
        fail(str(exc))
    finally:
        store.close()


@export_app.command()
def changes(
    domain: str = DOMAIN,
    out: Path = OUT,
    fmt: str | None = FORMAT,
    since: int | None = typer.Option(None, help="cursor: export events with a greater sequence"),
    consumer: str | None = typer.Option(None, help="named consumer: continue from its watermark, then move it"),
) -> None:
    """Change events of a domain after a cursor or a consumer's watermark."""
    result = _run(exports.export_changes, domain, out, fmt=fmt, since=since, consumer=consumer)
    console.print(f"{result.rows} change(s) in ({result.after}, {result.through}] -> {result.path}")
    console.print(f"next cursor: {result.through}")


@export_app.command()
def golden(domain: str = DOMAIN, out: Path = OUT, fmt: str | None = FORMAT) -> None:
    """A consistent snapshot of the domain's active golden records."""
    result = _run(exports.export_golden, domain, out, fmt=fmt)
    console.print(f"{result.rows} golden record(s) -> {result.path}")
    console.print(f"snapshot at change sequence {result.through}: follow with `mdm export changes --since {result.through}`")


@export_app.command()
def xref(domain: str = DOMAIN, out: Path = OUT, fmt: str | None = FORMAT) -> None:
    """Source record to golden record: system, source_key, golden_id, ..."""
    result = _run(exports.export_xref, domain, out, fmt=fmt)
    console.print(f"{result.rows} xref row(s) -> {result.path}")
