"""`mdm match`."""

from __future__ import annotations

from datetime import datetime, timezone

import typer
from rich.table import Table

from mdm.cli.app import app, console, fail, open_store
from mdm.cli.setup import ensure_schema
from mdm.match.rules import RulesError
from mdm.survivorship import SurvivorshipRulesError
from mdm.resolve.run import MatchReport, match_domain
from mdm.rules import MATCHED_DOMAINS, load_match_rules
from mdm.settings import Settings


def run_matching(store, settings: Settings, domains: list[str], retrain: bool = False) -> list[MatchReport]:
    reports = []
    for domain in domains:
        try:
            rules = load_match_rules(settings.rules_dir, domain)
        except (RulesError, SurvivorshipRulesError) as exc:
            fail(str(exc))
        with console.status(f"matching {domain}…"), store.session() as session:
            reports.append(match_domain(session, domain, rules, now=datetime.now(timezone.utc), retrain=retrain))
    return reports


def print_match_reports(reports: list[MatchReport]) -> None:
    table = Table(title="match")
    for col in ("domain", "mode", "records", "pairs", "created", "updated", "merged", "split", "deleted", "review"):
        table.add_column(col, justify="left" if col in ("domain", "mode") else "right")
    for r in reports:
        g = r.golden
        cells = [g.created, g.updated, g.merged, g.split, g.deleted] if g else [0] * 5
        table.add_row(r.domain, r.mode, str(r.records), str(r.pairs), *map(str, cells), str(r.review))
    console.print(table)


@app.command()
def match(
    domain: str | None = typer.Option(None, "--domain", "-d", help="customer or item (default: both)"),
    retrain: bool = typer.Option(False, help="re-estimate the match model and re-match everything"),
) -> None:
    """Match and merge every source record not yet matched. Re-running changes nothing."""
    if domain is not None and domain not in MATCHED_DOMAINS:
        fail(f"--domain must be one of {', '.join(MATCHED_DOMAINS)}, not {domain!r}")
    settings = Settings()
    store = open_store(settings)
    ensure_schema(store)
    try:
        reports = run_matching(store, settings, [domain] if domain else list(MATCHED_DOMAINS), retrain)
    finally:
        store.close()
    print_match_reports(reports)
