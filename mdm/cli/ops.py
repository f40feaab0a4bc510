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
from mdm.models.fields import DOMAINS
from mdm.ops.reconcile import DIFFERS, MISSING, VANISHED, reconcile as run_reconcile, write_report
from mdm.ops.status import hub_status, trace as trace_path
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


@app.command()
def status() -> None:
    """Counts per domain, review queues, subscriber lag, dead letters and the last load per system."""
    store = open_store()
    ensure_schema(store)
    try:
        with store.session() as session:
            hub = hub_status(session, now=datetime.now(timezone.utc))
    finally:
        store.close()
    domains = Table(title="domains")
    for column in ("domain", "source records", "golden active", "merged (aliases)", "deleted", "review queue", "oldest pending"):
        domains.add_column(column, justify="left" if column == "domain" else "right")
    for domain in DOMAINS:
        kind = "price_conflict" if domain == "price" else "match"
        queued, oldest = hub.queue.get((domain, kind), (0, None))
        domains.add_row(
            domain, str(hub.source_records.get(domain, 0)), str(hub.golden.get((domain, "active"), 0)),
            str(hub.golden.get((domain, "merged"), 0)), str(hub.golden.get((domain, "deleted"), 0)), str(queued),
            f"{oldest:%Y-%m-%d %H:%M}" if oldest else "-",
        )
    console.print(domains)
    subs = Table(title=f"subscribers (change log at sequence {hub.outbox_sequence})")
    for column in ("subscriber", "state", "backlog", "lag", "dead letters", "last delivery"):
        subs.add_column(column, justify="left" if column in ("subscriber", "state") else "right")
    for s in hub.subscribers:
        subs.add_row(s.name, s.state, str(s.backlog), f"{s.lag_seconds:.1f}s", str(s.dead_letters),
                     f"{s.last_delivered_at:%Y-%m-%d %H:%M:%S}" if s.last_delivered_at else "-")
    console.print(subs if hub.subscribers else "no subscribers")
    loads = Table(title="last load per system")
    for column in ("system", "domain", "file", "finished", "read", "stored", "unchanged", "rejected"):
        loads.add_column(column, justify="left" if column in ("system", "domain", "file", "finished") else "right")
    for load in hub.last_loads:
        loads.add_row(load["system"], load["domain"], Path(load["file"]).name if load["file"] else "(API)",
                      f"{load['finished_at']:%Y-%m-%d %H:%M}" if load["finished_at"] else "-",
                      *(str(load[k]) for k in ("read", "stored", "unchanged", "rejected")))
    console.print(loads)


@app.command()
def trace(correlation_id: str = typer.Argument(..., help="from an ingest's X-Correlation-ID, a load, or an event")) -> None:
    """Follow one correlation id: source record versions, golden changes, outbox events, deliveries."""
    store = open_store()
    ensure_schema(store)
    try:
        with store.session() as session:
            steps = trace_path(session, correlation_id)
    finally:
        store.close()
    if not steps:
        fail(f"nothing carries the correlation id {correlation_id!r}")
    table = Table(title=f"trace {correlation_id}")
    for column in ("at", "step", "detail"):
        table.add_column(column)
    for step in steps:
        table.add_row(f"{step.at:%Y-%m-%d %H:%M:%S}" if step.at else "", step.what, step.detail)
    console.print(table)
