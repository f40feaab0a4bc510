"""`mdm rules apply [--dry-run]`: re-run survivorship after a rule change."""

from __future__ import annotations

from datetime import datetime, timezone

import typer
from rich.table import Table
from sqlalchemy import select

from mdm.cli.app import app, console, fail, open_store
from mdm.cli.setup import ensure_schema
from mdm.match.rules import RulesError
from mdm.resolve.apply import apply_clusters
from mdm.resolve.frames import current_records
from mdm.rules import MATCHED_DOMAINS, load_survivorship_rules
from mdm.settings import Settings
from mdm.store.tables import Xref
from mdm.survivorship import SurvivorshipRulesError

rules_app = typer.Typer(help="Rule files: re-apply survivorship after a change.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("apply")
def apply(
    domain: str | None = typer.Option(None, "--domain", "-d", help="customer or item (default: both)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="show what would change, change nothing"),
) -> None:
    """Rebuild every golden record with the current survivorship rules."""
    settings = Settings()
    store = open_store(settings)
    ensure_schema(store)
    table = Table(title="rules apply" + (" (dry run: nothing written)" if dry_run else ""))
    for column in ("domain", "golden records", "would change" if dry_run else "changed", "attributes", "events"):
        table.add_column(column, justify="left" if column == "domain" else "right")
    changed_attributes: dict[str, int] = {}
    try:
        for name in [domain] if domain else list(MATCHED_DOMAINS):
            try:
                rules = load_survivorship_rules(settings.rules_dir, name)
            except (RulesError, SurvivorshipRulesError) as exc:
                fail(str(exc))
            with store.session() as session:
                stats, attrs = reapply(session, name, rules)
                if dry_run:
                    session.rollback()
                else:
                    session.commit()
            for attribute, count in attrs.items():
                changed_attributes[f"{name}.{attribute}"] = count
            total = stats.updated + stats.merged + stats.split
            table.add_row(name, str(stats.unchanged + total), str(total), str(sum(attrs.values())), str(total))
    finally:
        store.close()
    console.print(table)
    for attribute, count in sorted(changed_attributes.items()):
        console.print(f"  {attribute}: {count} golden record(s)")


def reapply(session, domain: str, rules):
    """Apply survivorship to every golden record as it stands (no re-matching).
    Returns the stats and, per attribute, how many golden records change it."""
    frame = current_records(session, domain)
    members = dict(session.execute(select(Xref.record_id, Xref.golden_id).where(Xref.domain == domain)).all())
    frame = frame.loc[frame.index.intersection(list(members))]
    labels = frame.index.to_series().map(members)
    stats = apply_clusters(
        session, domain, frame, labels, now=datetime.now(timezone.utc), survivorship=rules, whole_domain=True,
        correlation_id="rules-apply",
    )
    return stats, stats.changed_attributes
