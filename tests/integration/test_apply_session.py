"""Golden records a session holds stay true to their rows after a match in that session."""

from __future__ import annotations

from sqlalchemy import select

from mdm.resolve.links import add_must_link, mark_for_rematch
from mdm.resolve.run import match_domain
from mdm.store.tables import GoldenRecord, Xref
from test_match_store import RULES, load_and_match, now, xref


def test_golden_records_loaded_before_a_merge_show_the_merge(store):
    load_and_match(store)
    frame = xref(store)
    sizes = frame.groupby("golden_id").size()
    singles = frame[frame["golden_id"].map(sizes) == 1].iloc[:2]
    with store.session() as s:
        ids = dict(s.execute(select(Xref.source_key, Xref.record_id)).all())
        c, d = (ids[k] for k in singles["source_key"])
        first, second = (s.get(GoldenRecord, gid) for gid in singles["golden_id"])
        before = {first.id: (first.version, first.status), second.id: (second.version, second.status)}
        add_must_link(s, c, d, now=now())
        mark_for_rematch(s, [c, d])
        report = match_domain(s, "customer", RULES, now=now())
        assert report.mode == "incremental" and report.golden.merged == 1
        # Read off the objects the session already held (it keeps them after commit): no refresh asked for.
        after = {g.id: (g.version, g.status, g.merged_into) for g in (first, second)}
    survivor, retired = sorted(after, key=lambda gid: after[gid][1] != "active")
    assert after[survivor][:2] == (before[survivor][0] + 1, "active")
    assert after[retired] == (before[retired][0] + 1, "merged", survivor)
    with store.session() as fresh:
        stored = {gid: (fresh.get(GoldenRecord, gid).version, fresh.get(GoldenRecord, gid).status) for gid in after}
    assert stored == {gid: values[:2] for gid, values in after.items()}
