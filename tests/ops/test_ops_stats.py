"""`opsStats`: per-day trends bucketed by UTC day on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ops_page import history, small_loads

from mdm.ops.stats import ops_stats


def test_trends_are_counted_per_day_and_rejects_per_system(store, tmp_path):
    history(store, small_loads(tmp_path))
    now = datetime.now(timezone.utc)
    with store.session() as session:
        stats = ops_stats(session, now=now, days=7)
        short = ops_stats(session, now=now, days=2)
    created = {c.day: c.count for c in stats.golden_changes if c.key == "created"}
    week_ago = (now.replace(minute=0, second=0, microsecond=0) - timedelta(days=6)).date()
    assert created[week_ago] == 6 and created[now.date()] == 3  # CRM a week ago, EDI's three good rows today
    assert stats.since == (now - timedelta(days=6)).date()
    assert all(c.day >= short.since for c in short.golden_changes) and week_ago not in {c.day for c in short.golden_changes}
    assert {(r.system, r.read, r.rejected_rows) for r in stats.rejects} == {("CRM", 6, 0), ("ERP", 3, 0), ("EDI", 5, 2)}
    assert [s.name for s in stats.status.subscribers] == ["analytics", "crm-sync"]
