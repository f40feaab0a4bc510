"""The bulk write's fast paths give exactly what the straightforward code gave.

``apply_clusters`` groups labels with one sort, reads the records frame
column by column, asks survivorship for the lineage of the kept attributes
only, builds new records' "changed" maps directly, pauses the garbage
collector while building, and inserts plain tuples with the run's timestamp
converted once. Each is checked here against the code it replaced."""

from __future__ import annotations

import gc
import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select, text

from mdm.models.fields import CANONICAL_FIELDS
from mdm.publish.outbox import changed_attributes
from mdm.resolve.apply import _clusters, _column_dict, _slice_bounds
from mdm.resolve.golden import _aware, _empty, build_clusters, member_records
from mdm.resolve.golden import NewRecord
from mdm.resolve.parallel import _without_gc, building
from mdm.rules import load_survivorship_rules
from mdm.settings import BUNDLED_RULES_DIR
from mdm.store import Store
from mdm.store.bulk import bulk_insert, insert_plain, plain_value, row_dicts, write_cache
from mdm.store.jsonenc import dumps, encode
from mdm.store.migrate import upgrade
from mdm.store.tables import GoldenRecord, OutboxEvent
from mdm.survivorship import MemberRecord, Override, build_golden, load_survivorship
from mdm.survivorship.models import GoldenBuild

NOW = datetime(2026, 12, 4, 12, 30, 1, 250, tzinfo=UTC)
CUSTOMER = load_survivorship(BUNDLED_RULES_DIR / "customer.yaml")


# --- clusters from labels -------------------------------------------------------------------------


def _groupby(labels: pd.Series) -> dict:
    return {label: sorted(ids) for label, ids in labels.groupby(labels).groups.items()}


@pytest.mark.parametrize("seed", range(5))
def test_clusters_are_the_groupby_clusters(seed):
    rng = random.Random(seed)
    ids = rng.sample(range(1, 10**6), 2000)
    labels = pd.Series([rng.choice([rng.randint(-5, 300), 10**9 + rng.randint(0, 3)]) for _ in ids], index=ids)
    got = _clusters(labels)
    assert got == _groupby(labels)
    assert list(got) == list(_groupby(labels))  # labels in the same (ascending) order
    assert all(type(k) is int for k in got) and all(type(r) is int for v in got.values() for r in v)


def test_clusters_of_other_labels_and_of_none():
    labels = pd.Series(["b", "a", "b", "c"], index=[4, 3, 2, 1])
    assert _clusters(labels) == {"a": [3], "b": [2, 4], "c": [1]}
    assert _clusters(pd.Series(dtype="int64")) == {}


# --- member records -------------------------------------------------------------------------------


def _member_records_before(domain: str, frame: pd.DataFrame) -> dict[int, MemberRecord]:
    """``member_records`` as it was: ``to_dict("records")``, one row at a time."""
    fields = [f for f in CANONICAL_FIELDS[domain] if f in frame.columns]
    out = {}
    for rid, row in zip(frame.index.tolist(),
                        frame[[*fields, "system", "source_key", "version", "updated_at"]].to_dict("records")):
        out[rid] = MemberRecord(
            record_id=rid, system=row["system"], source_key=row["source_key"], version=int(row["version"]),
            updated_at=_aware(row["updated_at"]), fields={f: row[f] for f in fields if not _empty(row[f])},
        )
    return out


def test_member_records_are_what_to_dict_records_gave():
    rng = random.Random(3)
    n = 300
    odd = [None, "", float("nan"), [], "x", " ", np.int64(7), np.float64(2.5), np.float64("nan"), Decimal("1.50"),
           7, 0, True, ["a"], pd.NaT]
    frame = pd.DataFrame(
        {
            "given_name": [rng.choice(["Anna", None, "", "Kim"]) for _ in range(n)],
            "email": [rng.choice(odd) for _ in range(n)],
            "credit_limit": [rng.choice(odd) for _ in range(n)],
            "city": ["Köln"] * n,
            # Extension arrays (without missing values: pd.NA was never a value survivorship takes).
            "postal_code": pd.array([rng.choice(["50667", ""]) for _ in range(n)], dtype="string"),
            "pack_qty": pd.array([rng.choice([3, 0]) for _ in range(n)], dtype="Int64"),
            "segment": pd.Categorical([rng.choice(["smb", None]) for _ in range(n)]),
            "system": [rng.choice(["ERP", "CRM"]) for _ in range(n)],
            "source_key": [f"K{i}" for i in range(n)],
            "version": np.arange(n) % 3 + 1,
            "updated_at": pd.to_datetime([NOW - timedelta(days=i) for i in range(n)], utc=True),
            "loaded_at": pd.to_datetime([NOW] * n, utc=True),
        },
        index=pd.Index(rng.sample(range(1, 10**5), n)),
    )
    frame["region"] = frame["pack_qty"]  # a nullable integer column among the customer fields
    before, now = _member_records_before("customer", frame), member_records("customer", frame)
    assert list(now) == list(before)
    for rid, m in now.items():
        b = before[rid]
        assert m == b
        assert [type(v) for v in m.fields.values()] == [type(v) for v in b.fields.values()]
        assert type(m.updated_at) is type(b.updated_at) and m.updated_at.tzinfo == b.updated_at.tzinfo
    # Naive timestamps are read as UTC, as before.
    naive = frame.assign(updated_at=frame["updated_at"].dt.tz_localize(None))
    assert member_records("customer", naive) == _member_records_before("customer", naive)


def test_column_dict_is_series_to_dict():
    frame = pd.DataFrame({"system": ["ERP", np.str_("CRM"), None], "n": [np.int64(1), 2.5, None]}, index=[5, 1, 9])
    for column in frame:
        got, expected = _column_dict(frame, column), frame[column].to_dict()
        assert repr(got) == repr(expected) and [type(v) for v in got.values()] == [type(v) for v in expected.values()]


# --- lineage of the kept attributes ---------------------------------------------------------------


def test_lineage_of_kept_attributes_is_the_filtered_lineage():
    rng = random.Random(5)
    pinned = NOW - timedelta(days=1)
    for i in range(200):
        members = [
            MemberRecord(record_id=i * 10 + k, system=rng.choice(["ERP", "CRM", "WMS", "EDI"]), source_key=f"K{k}",
                         updated_at=NOW - timedelta(days=rng.choice([0, 3, 400])),
                         fields={f: rng.choice(["x", "DE1", "a@b.de", "", "US", "bad mail"])
                                 for f in ("organization", "email", "city", "country", "address_line1", "tax_id")
                                 if rng.random() < 0.6})
            for k in range(rng.choice([1, 1, 2, 3]))
        ]
        overrides = None
        if i % 7 == 0:  # pinned, also to an empty value (kept in the lineage though not in the attributes)
            overrides = {"city": Override(attribute="city", value=rng.choice(["Bonn", None]), reason="r", actor="kim",
                                          pinned_at=pinned)}
        build = build_golden(CUSTOMER, members, now=NOW, overrides=overrides)
        attributes = {a: v for a, v in build.attributes.items() if not _empty(v)}
        lineage = build.lineage_json()
        expected = {a: lineage[a] for a in lineage if a in attributes or lineage[a].get("override")}
        assert encode(build.lineage_json(only=attributes)) == encode(expected)
        # A build made from Decision models filters alike.
        from_models = GoldenBuild(build.attributes, build.decisions)
        assert encode(from_models.lineage_json(only=attributes)) == encode(expected)


# --- outbox: what changed on a new golden record --------------------------------------------------


def _changed_before(old: dict, new: dict) -> dict:
    return {key: {"old": old.get(key), "new": new.get(key)} for key in sorted(set(old) | set(new))
            if old.get(key) != new.get(key)}


@pytest.mark.parametrize("new", [{}, {"b": 1, "a": "x"}, {"z": None, "a": [], "n": float("nan"), "d": {"k": 1}}])
def test_changed_attributes_of_a_new_record(new):
    assert list(changed_attributes({}, new).items()) == list(_changed_before({}, new).items())
    assert changed_attributes({"a": "y"}, new) == _changed_before({"a": "y"}, new)


# --- building without the garbage collector -------------------------------------------------------


def test_building_makes_no_reference_cycles():
    """What lets the build run with the cyclic collector off: everything it allocates is freed by reference counts."""
    rules = load_survivorship_rules(BUNDLED_RULES_DIR, "customer")
    frame = pd.DataFrame(
        {"organization": ["Acme", "ACME Inc", None, "Beta"], "email": ["a@x.de", "bad", "c@y.de", None],
         "city": ["Köln", "Koeln", "Bonn", ""], "system": ["ERP", "CRM", "WMS", "CRM"],
         "source_key": ["E1", "C1", "W1", "C2"], "version": [1, 2, 1, 1],
         "updated_at": pd.to_datetime([NOW, NOW - timedelta(days=2), NOW, NOW], utc=True)},
        index=[1, 2, 3, 4],
    )
    clusters = {10: [1, 2], 11: [3], 12: [4]}
    overrides = {11: {"city": Override(attribute="city", value="Bonn", reason="r", actor="kim", pinned_at=NOW)}}
    build_clusters(rules, "customer", frame, clusters, now=NOW, overrides=overrides)  # warm caches
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for _ in range(20):
            build_clusters(rules, "customer", frame, clusters, now=NOW, overrides=overrides)
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()


def test_building_in_one_process_keeps_the_collector_state():
    rules = load_survivorship_rules(BUNDLED_RULES_DIR, "customer")
    frame = pd.DataFrame({"organization": ["Acme"], "system": ["ERP"], "source_key": ["E1"], "version": [1],
                          "updated_at": pd.to_datetime([NOW], utc=True)}, index=[1])
    assert gc.isenabled()
    built = _without_gc(rules, "customer", frame, {1: [1]}, NOW, {}, {}, None).golden
    assert gc.isenabled()
    assert built[1][0] == {"organization": "Acme"} and built[1][1] == encode({"organization": "Acme"})
    with building(rules, "customer", frame, [{1: [1]}], now=NOW, overrides={}) as parts:
        assert [p.golden[1][1] for p in parts] == [built[1][1]]
    assert gc.isenabled()


def test_worker_processes_build_what_one_process_builds_with_overrides():
    """Workers get each slice's member records and the slice's own overrides, and build what one process builds."""
    rules = load_survivorship_rules(BUNDLED_RULES_DIR, "customer")
    frame = pd.DataFrame(
        {"organization": ["Acme", "ACME Inc", None, "Beta", "Gamma"], "city": ["Köln", "Koeln", "Bonn", "", "Ulm"],
         "system": ["ERP", "CRM", "WMS", "CRM", "ERP"], "source_key": ["E1", "C1", "W1", "C2", "E2"],
         "version": [1, 2, 1, 1, 3], "updated_at": pd.to_datetime([NOW, NOW - timedelta(days=2), NOW, NOW, NOW], utc=True)},
        index=[1, 2, 3, 4, 5],
    )
    slices = [{10: [1, 2]}, {11: [3], 12: [4]}, {13: [5]}]
    pin = Override(attribute="city", value="Berlin", reason="moved", actor="kim", pinned_at=NOW)
    overrides = {11: {"city": pin}, 13: {"organization": pin.model_copy(update={"attribute": "organization"})}}
    # Two clusters become new golden records: their rows are made with them.
    new = {10: NewRecord("CUS-A", "load-1", {}), 12: NewRecord("CUS-B", None, {"split_from": "CUS-X"})}
    one = [_without_gc(rules, "customer", frame, part, NOW, overrides, new, "2026-01-01 00:00:00.000000")
           for part in slices]
    with building(rules, "customer", frame, slices, now=NOW, overrides=overrides, workers=2, new=new,
                  stamp="2026-01-01 00:00:00.000000") as parts:
        two = list(parts)
    assert two == one
    assert two[1].golden[11][0]["city"] == "Berlin" and two[2].golden[13][0]["organization"] == "Berlin"
    # A new record's rows: the golden row, its first version and its event (without the id) share the text.
    attributes, stored_attrs, _, created = two[0].golden[10]
    assert attributes is None and created.golden[0] == created.version[0] == created.event[2] == "CUS-A"
    assert created.golden[5] is stored_attrs or created.golden[5] == stored_attrs == created.version[3]
    data = json.loads(created.event[4])
    assert data["golden_id"] == "CUS-A" and data["correlation_id"] == "load-1"
    assert data["xref"] == [{"system": "ERP", "source_key": "E1"}, {"system": "CRM", "source_key": "C1"}]
    assert set(data["changed"]) == set(json.loads(stored_attrs)) and two[0].changed == Counter(list(data["changed"]))
    assert json.loads(two[1].golden[12][3].event[4])["split_from"] == "CUS-X"
    assert two[1].golden[11][3] is None and two[2].golden[13][3] is None


# --- plain inserts store what SQLAlchemy stored ---------------------------------------------------


@pytest.fixture
def store(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'mdm.db'}")
    upgrade(store.engine)
    yield store
    store.close()


def test_plain_rows_are_stored_as_sqlalchemy_stored_them(store):
    attributes, lineage = {"name": "Ä & \"b\"", "n": 1.5}, {"name": {"value": "Ä", "candidates": []}}
    with store.session() as s:
        bulk_insert(s, GoldenRecord, [{"id": "G1", "domain": "customer", "version": 1, "status": "active",
                                       "merged_into": None, "attributes": attributes, "lineage": lineage,
                                       "created_at": NOW, "updated_at": NOW}])
        stamp = plain_value(s, GoldenRecord.__table__.c.updated_at, NOW)
        insert_plain(s, GoldenRecord, ("id", "domain", "version", "status", "merged_into", "attributes", "lineage",
                                       "created_at", "updated_at"),
                     [("G2", "customer", 1, "active", None, encode(attributes), encode(lineage), stamp, stamp)])
        bulk_insert(s, OutboxEvent, [{"event_id": "e1", "type": "mdm.customer.created", "domain": "customer",
                                      "subject": "G1", "version": 1, "data": {"golden": attributes}, "created_at": NOW,
                                      "correlation_id": None}])
        insert_plain(s, OutboxEvent, ("event_id", "type", "domain", "subject", "version", "data", "created_at",
                                      "correlation_id"),
                     [("e2", "mdm.customer.created", "customer", "G1", 1, encode({"golden": attributes}),
                       plain_value(s, OutboxEvent.__table__.c.created_at, NOW), None)])
        s.commit()
        rows = s.execute(text("SELECT attributes, lineage, created_at, updated_at, typeof(created_at) "
                              "FROM golden_record ORDER BY id")).all()
        events = s.execute(text("SELECT sequence, data, created_at FROM outbox ORDER BY sequence")).all()
    assert rows[0] == rows[1]
    assert [e[1:] for e in events[:1]] == [e[1:] for e in events[1:]] and events[1][0] == events[0][0] + 1


def test_write_cache_is_the_connections_own_size_after(store):
    with store.session() as s:
        before = s.connection().exec_driver_sql("PRAGMA cache_size").scalar()
        with write_cache(s, 64):
            assert s.connection().exec_driver_sql("PRAGMA cache_size").scalar() == -64 * 1024
        assert s.connection().exec_driver_sql("PRAGMA cache_size").scalar() == before


@pytest.mark.parametrize("n, size, ramp", [(0, 5, True), (1, 5, True), (12, 5, True), (12, 5, False), (47958, 5000, True),
                                           (3, 97, True), (20000, 20000, False)])
def test_slices_cover_every_cluster_once_in_order(n, size, ramp):
    bounds = _slice_bounds(n, size, ramp)
    assert [i for start, end in bounds for i in range(start, end)] == list(range(n))
    assert all(0 < end - start <= size for start, end in bounds)
    if ramp and n > size:
        assert bounds[0][1] - bounds[0][0] < size  # the parent gets its first slice sooner


def test_plain_inserts_few_and_many_store_what_sqlalchemy_stored(db_url):
    """Few rows (one INSERT on PostgreSQL) and many (COPY) store the same as SQLAlchemy's insert."""
    import mdm.store.bulk as bulk

    store = Store.open(db_url)
    upgrade(store.engine)
    attributes, lineage = {"name": "Ä & \"b\" \\ \t", "n": 1.5}, {"name": {"value": "Ä", "candidates": []}}
    columns = ("id", "domain", "version", "status", "merged_into", "attributes", "lineage", "created_at", "updated_at")
    with store.session() as s:
        bulk_insert(s, GoldenRecord, [dict(zip(columns, ("G0", "customer", 1, "active", None, attributes, lineage,
                                                          NOW, NOW)))])
        stamp = plain_value(s, GoldenRecord.__table__.c.updated_at, NOW)
        few = [(f"F{i}", "customer", 1, "active", None, encode(attributes), encode(lineage), stamp, stamp)
               for i in range(3)]
        many = [(f"M{i:03d}", "customer", 1, "active", None, encode(attributes), encode(lineage), stamp, stamp)
                for i in range(bulk.SMALL_INSERT + 1)]
        # JSON text as a plain str, as build workers send it: stored the same.
        plain = [(f"P{i:03d}", "customer", 1, "active", None, dumps(attributes), dumps(lineage), stamp, stamp)
                 for i in (1, bulk.SMALL_INSERT + 1) for _ in range(i)]
        plain = [(f"P{i:03d}", *row[1:]) for i, row in enumerate(plain)]
        insert_plain(s, GoldenRecord, columns, few)
        insert_plain(s, GoldenRecord, columns, many)
        insert_plain(s, GoldenRecord, columns, plain[:1])
        insert_plain(s, GoldenRecord, columns, plain[1:])
        # Another dialect's path: SQLAlchemy's insert of the same tuples as dicts.
        # (there ``plain_value`` leaves timestamps as they are.)
        bulk_insert(s, GoldenRecord, row_dicts(GoldenRecord.__table__, columns, [("D1", *plain[0][1:7], NOW, NOW)]))
        s.commit()
        rows = s.execute(select(GoldenRecord.id, GoldenRecord.attributes, GoldenRecord.lineage,
                                GoldenRecord.created_at, GoldenRecord.updated_at)).all()
    store.close()
    assert len(rows) == 1 + 3 + bulk.SMALL_INSERT + 1 + 1 + bulk.SMALL_INSERT + 1 + 1
    first = rows[0][1:]
    assert all(row[1:] == first for row in rows), [r for r in rows if r[1:] != first][:1]


def test_integer_pairs_are_stored_exactly(db_url):
    """Blocking keys go in as two int64 arrays (a JSON array read by SQLite, tuples elsewhere):
    every 64-bit hash comes back as the same integer, the extremes included."""
    import numpy as np

    from mdm.store.bulk import LARGE_INSERT, insert_int_pairs
    from mdm.store.tables import BlockingKey

    rng = np.random.default_rng(7)
    hashes = np.concatenate([np.array([-2**63, 2**63 - 1, 0, -1], np.int64),
                             rng.integers(-2**63, 2**63 - 1, LARGE_INSERT + 10, dtype=np.int64)])
    ids = rng.integers(1, 2**40, len(hashes), dtype=np.int64)
    store = Store.open(db_url)
    upgrade(store.engine)
    with store.session() as s:
        insert_int_pairs(s, BlockingKey, ("key_hash", "record_id"), hashes[:3], ids[:3])  # a few
        insert_int_pairs(s, BlockingKey, ("key_hash", "record_id"), hashes[3:], ids[3:])  # many
        insert_int_pairs(s, BlockingKey, ("key_hash", "record_id"), hashes[:0], ids[:0])  # none
        s.commit()
        stored = s.execute(select(BlockingKey.key_hash, BlockingKey.record_id)).all()
    store.close()
    assert sorted((int(h), int(i)) for h, i in stored) == sorted(zip(hashes.tolist(), ids.tolist()))


def test_plain_updates_store_what_the_orm_update_stored(db_url):
    """Updated golden rows go in as plain tuples (JSON text, the run's timestamp converted once):
    the row reads back as the ORM bulk update by primary key left it, and other rows are untouched."""
    from sqlalchemy import update

    from mdm.store.bulk import update_plain

    store = Store.open(db_url)
    upgrade(store.engine)
    columns = ("id", "domain", "version", "status", "merged_into", "attributes", "lineage", "created_at", "updated_at")
    old = {"name": "old"}
    attributes, lineage = {"name": "Ä & \"b\" \\ \t", "n": 1.5, "tags": ["x"]}, {"name": {"value": "Ä", "candidates": []}}
    later = NOW + timedelta(hours=1)
    with store.session() as s:
        bulk_insert(s, GoldenRecord, [dict(zip(columns, (gid, "customer", 1, "merged", "G9", old, old, NOW, NOW)))
                                      for gid in ("G0", "G1", "G2", "G3")])
        s.execute(update(GoldenRecord), [{"id": "G0", "version": 2, "status": "active", "merged_into": None,
                                          "attributes": attributes, "lineage": lineage, "updated_at": later}])
        stamp = plain_value(s, GoldenRecord.__table__.c.updated_at, later)
        names = ("version", "status", "merged_into", "attributes", "lineage", "updated_at")
        update_plain(s, GoldenRecord, "id", names, [(2, "active", None, dumps(attributes), encode(lineage), stamp, "G1")])
        update_plain(s, GoldenRecord, "id", names, [])  # nothing
        s.commit()
        rows = {r.id: r[1:] for r in s.execute(select(GoldenRecord.id, GoldenRecord.version, GoldenRecord.status,
                                                      GoldenRecord.merged_into, GoldenRecord.attributes,
                                                      GoldenRecord.lineage, GoldenRecord.updated_at))}
    store.close()
    assert rows["G1"] == rows["G0"]
    assert rows["G1"][:5] == (2, "active", None, attributes, lineage)
    assert rows["G2"] == rows["G3"] and rows["G2"][:2] == (1, "merged")
