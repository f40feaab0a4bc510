"""`mdm steward queue|merge|not-a-match|split|override|unpin|undo|bulk`:
the review queue and steward decisions from the command line.

Decisions are recorded under `--actor` (default `cli:$USER`), audited and
re-matched exactly as the console's are."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from datetime import datetime, timezone

import typer
from rich.table import Table

from mdm import steward as service
from mdm.cli.app import app, console, fail, open_store
from mdm.cli.setup import ensure_schema
from mdm.match.rules import RulesError
from mdm.settings import Settings
from mdm.survivorship import SurvivorshipRulesError

steward = typer.Typer(help="Work the steward review queue: merge, not-a-match, split, override, undo.", no_args_is_help=True)
app.add_typer(steward, name="steward")

ACTOR = typer.Option(None, "--actor", help="who decides (default: cli:$USER)")
REASON = typer.Option(None, "--reason", "-r", help="why; kept with the decision and in the audit log")


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _decide(action: Callable[..., service.Outcome], **kwargs) -> None:
    """Run one decision in its own session and print what it did."""
    settings = Settings()
    store = open_store(settings)
    ensure_schema(store)
    rules = service.RuleBook(settings.rules_dir)
    try:
        with store.session() as session:
            outcome = action(session, rules=rules, now=datetime.now(timezone.utc), **kwargs)
    except service.StewardError as exc:
        fail(str(exc))
    except (RulesError, SurvivorshipRulesError) as exc:
        fail(str(exc))
    finally:
        store.close()
    _print_outcome(outcome)


def _print_outcome(outcome: service.Outcome) -> None:
    if outcome.decision_id is None:
        console.print(f"{outcome.kind}: nothing to decide")
        return
    console.print(f"decision [bold]{outcome.decision_id}[/] ({outcome.kind}, {outcome.domain})")
    if outcome.candidate_ids:
        console.print(f"candidates: {', '.join(map(str, outcome.candidate_ids))}")
    for gid in outcome.golden_ids:
        after = outcome.golden_after.get(gid, {})
        members = ", ".join(f"{m['system']}:{m['source_key']}" for m in after.get("members", []))
        console.print(f"  {gid} v{after.get('version')} {after.get('status')}: {members}")
    for event in outcome.events:
        console.print(f"  event {event['type']} {event['subject']} v{event['version']}")


@steward.command("queue")
def queue(
    domain: str | None = typer.Option(None, "--domain", "-d", help="customer | item | price"),
    kind: str | None = typer.Option(None, help="match | price_conflict"),
    system: str | None = typer.Option(None, "--system", help="either record comes from this source system"),
    min_score: float | None = typer.Option(None, help="match probability at least"),
    max_score: float | None = typer.Option(None, help="match probability at most"),
    limit: int = typer.Option(20, help="how many items to show"),
) -> None:
    """List pending review items, most useful first."""
    settings = Settings()
    store = open_store(settings)
    ensure_schema(store)
    rules = service.RuleBook(settings.rules_dir)
    where = service.QueueFilter(domain=domain, kind=kind, source_system=system, min_score=min_score, max_score=max_score)
    try:
        with store.session() as session:
            total, entries = service.review_queue(session, where, rules=rules, now=datetime.now(timezone.utc), first=limit)
            labels = _labels(session, [r for e in entries for r in (e.candidate.left_record_id, e.candidate.right_record_id)])
    finally:
        store.close()
    table = Table(title=f"review queue: {total} pending")
    for col in ("id", "kind", "domain", "score", "priority", "age (d)", "left", "right"):
        table.add_column(col, justify="right" if col in ("id", "score", "priority", "age (d)") else "left")
    for e in entries:
        c = e.candidate
        score = f"{c.match_probability:.3f}" if c.match_probability is not None else ""
        table.add_row(str(c.id), c.kind, c.domain, score, f"{e.priority.score:.3f}", f"{e.priority.age_days:.1f}",
                      labels.get(c.left_record_id, str(c.left_record_id)), labels.get(c.right_record_id, str(c.right_record_id)))
    console.print(table)


def _labels(session, record_ids: list[int]) -> dict[int, str]:
    from sqlalchemy import select

    from mdm.store.tables import SourceRecord

    if not record_ids:
        return {}
    rows = session.execute(select(SourceRecord.id, SourceRecord.system, SourceRecord.source_key).where(SourceRecord.id.in_(record_ids)))
    return {rid: f"{system}:{key}" for rid, system, key in rows}


@steward.command("merge")
def merge(candidate_id: int = typer.Argument(..., help="match candidate id (see `mdm steward queue`)"),
          reason: str | None = REASON, actor: str | None = ACTOR) -> None:
    """Accept a match candidate: its two records stay in one golden record."""
    _decide(service.merge, candidate_id=candidate_id, actor=_actor(actor), reason=reason)


@steward.command("not-a-match")
def not_a_match(candidate_id: int = typer.Argument(..., help="match candidate id"),
                reason: str | None = REASON, actor: str | None = ACTOR) -> None:
    """Reject a match candidate; it stands until a compared field of either record changes."""
    _decide(service.not_a_match, candidate_id=candidate_id, actor=_actor(actor), reason=reason)


@steward.command("split")
def split(record_id: int = typer.Argument(..., help="source record id to move out"),
          into: str | None = typer.Option(None, "--into", help="golden id to move it into (default: a new golden record)"),
          reason: str | None = REASON, actor: str | None = ACTOR) -> None:
    """Move a source record out of its golden record."""
    _decide(service.split, record_id=record_id, into=into, actor=_actor(actor), reason=reason)


@steward.command("override")
def override(golden_id: str = typer.Argument(...), attribute: str = typer.Argument(...),
             value: str = typer.Argument(..., help="the value to pin (JSON is parsed when it parses, e.g. 25000 or null)"),
             reason: str = typer.Option(..., "--reason", "-r", help="why (required)"), actor: str | None = ACTOR) -> None:
    """Pin a value on a golden attribute until unpinned."""
    _decide(service.override, golden_id=golden_id, attribute=attribute, value=_parse(value), actor=_actor(actor), reason=reason)


def _parse(value: str):
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    return parsed if not isinstance(parsed, (dict, list)) else value


@steward.command("unpin")
def unpin(golden_id: str = typer.Argument(...), attribute: str = typer.Argument(...),
          reason: str | None = REASON, actor: str | None = ACTOR) -> None:
    """Unpin a golden attribute: survivorship decides it again."""
    _decide(service.unpin, golden_id=golden_id, attribute=attribute, actor=_actor(actor), reason=reason)


@steward.command("undo")
def undo(decision_id: int = typer.Argument(..., help="steward decision id"),
         reason: str | None = REASON, actor: str | None = ACTOR) -> None:
    """Undo an earlier decision and re-match."""
    _decide(service.undo, decision_id=decision_id, actor=_actor(actor), reason=reason)


@steward.command("bulk")
def bulk(
    domain: str = typer.Option(..., "--domain", "-d", help="customer | item"),
    accept_above: float | None = typer.Option(None, help="merge every pending candidate scoring at or above this"),
    reject_below: float | None = typer.Option(None, help="mark every pending candidate at or below this not-a-match"),
    system: str | None = typer.Option(None, "--system", help="only candidates with a record from this source system"),
    min_score: float | None = typer.Option(None, help="and scoring at least this"),
    max_score: float | None = typer.Option(None, help="and scoring at most this"),
    limit: int = typer.Option(200, help="at most this many candidates (≤ 500)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="list the candidates, decide nothing"),
    reason: str | None = REASON, actor: str | None = ACTOR,
) -> None:
    """Bulk-accept above a score or bulk-reject below one; one decision, one undo."""
    if (accept_above is None) == (reject_below is None):
        fail("give exactly one of --accept-above and --reject-below")
    accept = accept_above is not None
    threshold = accept_above if accept else reject_below
    if dry_run:
        store = open_store()
        ensure_schema(store)
        try:
            with store.session() as session:
                ids = service.bulk_selection(session, accept=accept, threshold=threshold, domain=domain, source_system=system,
                                             min_score=min_score, max_score=max_score, limit=limit)
        finally:
            store.close()
        console.print(f"would {'merge' if accept else 'reject'} {len(ids)} candidate(s): {', '.join(map(str, ids))}")
        return
    _decide(service.bulk, accept=accept, threshold=threshold, domain=domain, source_system=system, min_score=min_score,
            max_score=max_score, limit=limit, actor=_actor(actor), reason=reason)
