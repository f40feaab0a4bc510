"""`mdm explain GOLDEN_ID`: where every golden value came from, and why."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table

from mdm.cli.app import app, console, fail, open_store
from mdm.resolve.lookup import decisions, golden_version, resolve_golden_id
from mdm.survivorship import EXPLAIN_COLUMNS, explain_rows


@app.command()
def explain(
    golden_id: str = typer.Argument(..., help="golden id (an alias resolves to its survivor)"),
    version: int | None = typer.Option(None, help="explain this version instead of the latest"),
    at: datetime | None = typer.Option(None, help="explain the version current at this time (ISO)"),
) -> None:
    """Show each golden attribute's value, source, rule and the candidates it beat."""
    store = open_store()
    try:
        with store.session() as session:
            survivor = resolve_golden_id(session, golden_id)
            if survivor is None:
                fail(f"no golden record {golden_id!r}")
            row = golden_version(session, survivor, version=version, at=at)
            if row is None:
                fail(f"golden record {survivor} has no such version")
    finally:
        store.close()
    if survivor != golden_id:
        console.print(f"{golden_id} was merged into {survivor}")
    console.print(
        f"[bold]{survivor}[/] version {row.version} ({row.change_type} at {row.changed_at:%Y-%m-%d %H:%M:%S}), "
        f"{len(row.members)} source record(s)"
    )
    table = Table(show_lines=True)
    for column in EXPLAIN_COLUMNS:
        table.add_column(column.replace("_", " "), overflow="fold")
    for entry in explain_rows(decisions(row.lineage)):
        table.add_row(*(entry[c] for c in EXPLAIN_COLUMNS))
    console.print(table)
