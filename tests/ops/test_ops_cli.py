"""The operations commands as an operator runs them: `mdm reconcile` on the
seed data with planted drift, `mdm status`, `mdm subscriber rotate-secret`."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import pytest
from ops_support import SEED, drain, subscribe
from receivers.harness import SECRET, WebhookReceiver, free_port
from test_ops_metrics import plant_review_item

from mdm.publish import subscribers as service
from mdm.store.publishing_tables import Subscriber

MAPPING = SEED / "crm_contacts.mapping.yaml"


def rows_of(table_output: str, first_cell: str) -> list[list[str]]:
    """The cells of the table rows that start with `first_cell`."""
    rows = []
    for line in table_output.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if cells and cells[0] == first_cell:
            rows.append(cells)
    return rows


def drifted_snapshot(tmp: Path) -> tuple[Path, set[str], set[str], set[str]]:
    """The CRM contacts export as the source has it today: three contacts
    gone, four with a new email, two new ones."""
    rows = list(csv.reader((SEED / "crm_contacts.csv").open(encoding="utf-8", newline="")))
    header, body = rows[0], rows[1:]
    email = header.index("Email")
    vanished = {r[0] for r in body[:3]}
    changed = {r[0] for r in body[10:14]}
    body = body[3:]
    for row in body:
        if row[0] in changed:
            row[email] = f"new.{row[0].lower()}@example.org"
    added = [["NEW0001", "Ada", "Lovelace", "ada@example.org", "", "", "12 Ockham Rd", "Boston", "MA", "02108", "US",
              "12/10/1985", "2025-01-01T00:00:00Z"],
             ["NEW0002", "Alan", "Turing", "alan@example.org", "", "", "4 Bletchley Way", "Boston", "MA", "02109", "US",
              "6/23/1982", "2025-01-01T00:00:00Z"]]
    path = tmp / "crm_contacts_today.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *body, *added])
    return path, vanished, changed, {r[0] for r in added}


def report_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_reconcile_reports_the_planted_drift_and_apply_fixes_it(cli, tmp_path):
    cli("load", str(SEED / "crm_contacts.csv"), "--mapping", str(MAPPING))
    snapshot, vanished, changed, added = drifted_snapshot(tmp_path)
    total = sum(1 for _ in csv.reader((SEED / "crm_contacts.csv").open(encoding="utf-8", newline=""))) - 1

    out = cli("reconcile", str(snapshot), "--mapping", str(MAPPING)).output
    assert rows_of(out, str(total - 3 + 2)) == [[str(total - 3 + 2), str(total), "2", "3", "4", "0"]]
    report = report_rows(tmp_path / "crm_contacts_today.csv.reconcile.csv")
    assert {(r["kind"], r["source_key"]) for r in report} == (
        {("missing", k) for k in added} | {("vanished", k) for k in vanished} | {("differs", k) for k in changed})
    assert all(r["system"] == "CRM" and r["domain"] == "customer" for r in report)
    assert {r["columns"] for r in report if r["kind"] == "differs"} == {"Email"}

    out = cli("reconcile", str(snapshot), "--mapping", str(MAPPING), "--apply", "--report", "applied.csv").output
    assert "(applied)" in out and len(report_rows(tmp_path / "applied.csv")) == 9
    cli("reconcile", str(snapshot), "--mapping", str(MAPPING), "--report", "again.csv")
    assert report_rows(tmp_path / "again.csv") == []
    status = cli("status").output
    assert rows_of(status, "customer")[0][1] == str(total - 3 + 2)  # live source records after the fix


def test_status_shows_counts_queues_lag_dead_letters_and_last_loads(hub, cli):
    plant_review_item(hub, hours_ago=2)
    subscribe(hub, "down", f"http://127.0.0.1:{free_port()}/ok", max_attempts=1, from_sequence=1)
    subscribe(hub, "paused", f"http://127.0.0.1:{free_port()}/ok", from_sequence=1)
    with hub.session() as session:
        service.pause_subscriber(session, "paused", now=datetime.now(timezone.utc))
    drain(hub)
    out = cli("status").output
    customer = rows_of(out, "customer")[0]
    assert customer[:6] == ["customer", "9", "6", "0", "0", "1"] and customer[6] != "-"
    assert rows_of(out, "item")[0][:6] == ["item", "0", "0", "0", "0", "0"]
    assert "change log at sequence 6" in out
    down, paused = rows_of(out, "down")[0], rows_of(out, "paused")[0]
    assert (down[1], down[2], down[4]) == ("active", "0", "6")
    assert (paused[1], paused[2], paused[4]) == ("paused", "6", "0") and float(paused[3].rstrip("s")) > 0
    assert rows_of(out, "CRM")[0][1:] == ["customer", "crm.csv", rows_of(out, "CRM")[0][3], "7", "6", "0", "1"]
    assert rows_of(out, "ERP")[0][4:] == ["3", "3", "0", "0"]


def test_rotate_secret_signs_later_deliveries_with_the_new_secret(hub, cli, tmp_path):
    with WebhookReceiver(tmp_path / "old.jsonl") as receiver:
        subscribe(hub, "erp", receiver.url("/ok"), from_sequence=1)
        out = cli("subscriber", "rotate-secret", "erp").output
    new = out.rsplit(":", 1)[1].strip()
    assert new.startswith("whsec_") and new != SECRET
    with hub.session() as session:
        assert session.query(Subscriber).filter_by(name="erp").one().secret == new
    with WebhookReceiver(tmp_path / "new.jsonl", secret=new) as receiver:
        with hub.session() as session:
            sub = session.query(Subscriber).filter_by(name="erp").one()
            sub.sink = {"url": receiver.url("/ok")}
            session.commit()
        drain(hub)
        assert len(receiver.delivered()) == 6


@pytest.mark.parametrize("args, message", [
    (("subscriber", "rotate-secret", "nobody"), "no subscriber named 'nobody'"),
    (("subscriber", "rotate-secret", "erp", "--secret", "whsec_short"), "at least 16 bytes"),
])
def test_rotate_secret_refuses_unknown_subscribers_and_weak_secrets(hub, cli, args, message):
    subscribe(hub, "erp", "http://127.0.0.1:9/ok")
    result = cli(*args, ok=False)
    assert result.exit_code == 1 and message in result.output
