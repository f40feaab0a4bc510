"""`mdm match`."""

from __future__ import annotations

from datetime import datetime, timezone

import typer
from rich.table import Table

from mdm.cli.app import app, console, fail, open_store
from mdm.cli.setup import ensure_schema
from mdm.match.rules import RulesError
from mdm.models.fields import DOMAINS
from mdm.resolve.locks import domain_lock
from mdm.resolve.prices import PriceReport, match_prices
from mdm.resolve.run import MatchReport, match_domain
from mdm.rules import load_match_rules
from mdm.settings import Settings
from mdm.survivorship import SurvivorshipRulesError


def run_matching(store, settings: Settings, domains: list[str], retrain: bool = False) -> list:
    """Match in dependency order: prices resolve through customer and item xrefs."""
    reports: list[MatchReport | PriceReport] = []
    for domain in [d for d in DOMAINS if d in domains]:
        now = datetime.now(timezone.utc)
        try:
            with console.status(f"matching {domain}…"), store.session() as session, domain_lock(session, domain):
                if domain == "price":
                    reports.append(match_prices(session, now=now, rules_dir=settings.rules_dir))
                else:
                    rules = load_match_rules(settings.rules_dir, domain)
                    reports.append(match_domain(session, domain, rules, now=now, retrain=retrain))
        except (RulesError, SurvivorshipRulesError) as exc:
            fail(str(exc))
    return reports


def print_match_reports(reports: list) -> None:
    table = Table(title="match")
    for col in ("domain", "mode", "records", "pairs", "created", "updated", "merged", "split", "deleted", "review"):
        table.add_column(col, justify="left" if col in ("domain", "mode") else "right")
    for r in reports:
        if isinstance(r, PriceReport):
            table.add_row("price", "settle", str(r.records), "-", str(r.created), str(r.updated), "-", "-",
                          str(r.deleted), str(r.conflicts))
            continue
        g = r.golden
        cells = [g.created, g.updated, g.merged, g.split, g.deleted] if g else [0] * 5
        table.add_row(r.domain, r.mode, str(r.records), str(r.pairs), *map(str, cells), str(r.review))
    console.print(table)
    for r in reports:
        if isinstance(r, MatchReport) and r.stale_model:
            console.print(f"{r.domain}: the match rules changed since the model was trained; scored with the stored "
                          f"model (run `mdm match --domain {r.domain} --retrain` to re-estimate it and re-match all)")
        if isinstance(r, PriceReport) and r.unresolved:
            console.print(f"prices waiting for their item or customer: {r.unresolved} (retried on the next match)")


@app.command()
def match(
    domain: str | None = typer.Option(None, "--domain", "-d", help="customer, item or price (default: all, in that order)"),
    retrain: bool = typer.Option(
        False, help="re-estimate the match model and re-match everything (the only way a rules change reaches the model)"
    ),
) -> None:
    """Match and merge every source record not yet matched. Re-running changes nothing."""
    if domain is not None and domain not in DOMAINS:
        fail(f"--domain must be one of {', '.join(DOMAINS)}, not {domain!r}")
    settings = Settings()
    store = open_store(settings)
    ensure_schema(store)
    try:
        reports = run_matching(store, settings, [domain] if domain else list(DOMAINS), retrain)
    finally:
        store.close()
    print_match_reports(reports)
