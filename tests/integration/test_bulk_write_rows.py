"""A bulk match stores, row for row, what the straightforward write stored.

The bulk write builds golden records in workers (or with the garbage
collector paused), encodes JSON once per row, splices the attributes' text
into the outbox event and inserts plain tuples (executemany on SQLite, COPY on
PostgreSQL). Here every golden record, version, outbox event and xref row of a
bulk match of the seed customers is compared with the rows built the plain
way from the same clusters: survivorship per cluster, ``outbox_row`` with the
attributes dict, ``jsonenc`` for every JSON column (the exact text on SQLite).
A version stores no lineage of its own while it is current: it reads the golden row's."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text

import mdm.resolve.run as run
from mdm.publish.outbox import changed_attributes, outbox_row
from mdm.resolve.golden import build_clusters
from mdm.rules import load_survivorship_rules
from mdm.settings import BUNDLED_RULES_DIR
from mdm.store import jsonenc
from mdm.store.tables import GoldenRecordVersion
from test_match_store import CUSTOMER_FILES, RULES, load

NOW = datetime(2026, 12, 4, 12, 0, 0, 123456, tzinfo=timezone.utc)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_bulk_match_rows_are_the_straightforward_rows(store, monkeypatch, workers):
    monkeypatch.setenv("MDM_BUILD_WORKERS", workers)
    monkeypatch.setattr("mdm.resolve.apply.PARALLEL_SLICE", 300)
    for stem in CUSTOMER_FILES:
        load(store, stem)
    seen = {}
    real = run.apply_clusters

    def spy(session, domain, frame, labels, **kw):
        if kw.get("whole_domain"):
            seen.update(frame=frame, labels=labels, decided_by=kw["decided_by"])
        return real(session, domain, frame, labels, **kw)

    monkeypatch.setattr(run, "apply_clusters", spy)
    with store.session() as s:
        assert run.match_domain(s, "customer", RULES, now=NOW).mode == "bulk"
    frame, labels, decided_by = seen["frame"], seen["labels"], seen["decided_by"]
    sqlite = store.engine.dialect.name == "sqlite"

    def as_stored(value):
        # SQLite keeps the JSON text as written; PostgreSQL's jsonb keeps its own form of it.
        return jsonenc.dumps(value) if sqlite else value

    clusters = {label: sorted(ids) for label, ids in labels.groupby(labels).groups.items()}
    built = build_clusters(load_survivorship_rules(BUNDLED_RULES_DIR, "customer"), "customer", frame, clusters,
                           now=NOW)
    with store.session() as s:
        json_text = "CAST({} AS TEXT)" if sqlite else "{}"
        golden_of = dict(s.execute(text("SELECT record_id, golden_id FROM xref")).all())
        gid_of = {label: golden_of[ids[0]] for label, ids in clusters.items()}
        rows = {r[0]: r[1:] for r in s.execute(text(
            f"SELECT id, domain, version, status, merged_into, {json_text.format('attributes')}, "
            f"{json_text.format('lineage')}, created_at, updated_at FROM golden_record"))}
        versions = {r[0]: r[1:] for r in s.execute(text(
            f"SELECT golden_id, version, change_type, {json_text.format('attributes')}, "
            f"{json_text.format('lineage')}, {json_text.format('members')}, changed_at, correlation_id "
            "FROM golden_record_version"))}
        events = s.execute(text(
            f"SELECT type, domain, subject, version, {json_text.format('data')}, created_at, correlation_id "
            "FROM outbox ORDER BY sequence")).all()
        xref = {r[0]: r[1:] for r in s.execute(text(
            "SELECT record_id, golden_id, domain, system, source_key, decided_by, match_probability FROM xref"))}
        read_lineage = dict(s.execute(select(GoldenRecordVersion.golden_id, GoldenRecordVersion.lineage)).all())
        stamps = {str(v) for (v,) in s.execute(text(
            "SELECT created_at FROM golden_record UNION SELECT updated_at FROM golden_record "
            "UNION SELECT changed_at FROM golden_record_version UNION SELECT created_at FROM outbox "
            "UNION SELECT linked_at FROM xref"))}
    assert len(stamps) == 1  # one timestamp, stored alike in every table

    systems, keys = frame["system"].to_dict(), frame["source_key"].to_dict()
    assert len(rows) == len(versions) == len(events) == len(clusters)
    for n, (label, members) in enumerate(clusters.items()):
        gid = gid_of[label]
        attributes, lineage = built[label]
        assert rows[gid][:4] == ("customer", 1, "active", None)
        assert rows[gid][4:6] == (as_stored(attributes), as_stored(lineage))
        # The lineage is stored once, in the golden row; the version reads it from there.
        assert versions[gid][:5] == (1, "created", as_stored(attributes), None, as_stored(members))
        assert read_lineage[gid] == lineage
        xref_keys = [{"system": systems[r], "source_key": keys[r]} for r in members]
        expected = outbox_row(domain="customer", change="created", golden_id=gid, version=1, golden=attributes,
                              changed=changed_attributes({}, attributes), xref=xref_keys, now=NOW,
                              correlation_id=versions[gid][6], extra={})
        # Events in cluster order, as before (the sequence is the replay order).
        assert events[n][:4] == ("mdm.customer.created", "customer", gid, 1)
        assert events[n][4] == as_stored(expected["data"])
        for rid in members:
            how, prob = decided_by.get(rid, ("auto" if len(members) > 1 else "new", None))
            assert xref[rid] == (gid, "customer", systems[rid], keys[rid], how, prob)
