"""Operations commands: `mdm reconcile`, `mdm status`, `mdm trace`."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import typer
from rich.table import Table

from mdm.cli.app import app, console, fail, open_store
from mdm.cli.matching import print_match_reports, run_matching
from mdm.cli.setup import ensure_schema
from mdm.ingest import IngestError, load_mapping
from mdm.ops.reconcile import DIFFERS, MISSING, VANISHED, reconcile as run_reconcile, write_report
from mdm.rules import MATCHED_DOMAINS
from mdm.settings import Settings


@app.command()
def reconcile(
    file: Path = typer.Argument(..., help="a FULL snapshot of one source system's records"),
    mapping: Path = typer.Option(..., "--mapping", "-m"),
    apply: bool = typer.Option(False, "--apply", help="fix the hub: load missing and changed, delete vanished"),
    report: Path | None = typer.Option(None, "--report", help="CSV report path (default: FILE.reconcile.csv)"),
) -> None:
    """Compare a source snapshot with the hub; with --apply, fix the hub."""
    settings = Settings()
    store = open_store(settings)
    ensure_schema(store)
    try:
        parsed = load_mapping(mapping)
        with store.session() as session:
            result, _ = run_reconcile(
                session, file, parsed, apply=apply, now=datetime.now(timezone.utc), default_region=settings.default_region
            )
        if apply and parsed.domain in MATCHED_DOMAINS and result.differences:
            print_match_reports(run_matching(store, settings, [parsed.domain]))
    except IngestError as exc:
        fail(str(exc))
    finally:
        store.close()
    path = write_report(result, report or file.with_name(f"{file.name}.reconcile.csv"))
    table = Table(title=f"reconcile {result.system} {result.domain}" + (" (applied)" if apply else ""))
    for column in ("snapshot rows", "hub records", "hub lacks", "source no longer has", "content differs", "rejected rows"):
        table.add_column(column, justify="right")
    table.add_row(
        str(result.snapshot_rows), str(result.hub_records), str(result.count(MISSING)), str(result.count(VANISHED)),
        str(result.count(DIFFERS)), str(result.rejected),
    )
    console.print(table)
    console.print(f"report: {path}")
