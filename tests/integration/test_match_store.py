"""Matching through the store: golden records, stable ids, incremental runs."""

from __future__ import annotations

import csv
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select, text, update

from mdm.ingest import load_file, load_mapping
from mdm.resolve.run import match_domain
from mdm.rules import load_match_rules
from mdm.settings import BUNDLED_RULES_DIR
from mdm.store import Store
from mdm.store.migrate import upgrade
from mdm.store.source_records import mark_deleted
from mdm.store.tables import (
    GoldenAlias, GoldenRecord, GoldenRecordVersion, MatchCandidate, MatchModelRow, OutboxEvent, SourceRecord, Xref,
)

SEED = Path(__file__).resolve().parents[2] / "seed_data"
CUSTOMER_FILES = ["erp_customers", "crm_accounts", "crm_contacts", "wms_ship_to"]
RULES = load_match_rules(BUNDLED_RULES_DIR, "customer")


def now() -> datetime:
    return datetime.now(timezone.utc)


def load(store, stem: str, folder: Path = SEED) -> None:
    data = next(folder.glob(f"{stem}.*[!l]"))  # the data file beside its mapping
    with store.session() as s:
        load_file(s, data, load_mapping(SEED / f"{stem}.mapping.yaml"), rejects_path=folder / f"{stem}.rejects.csv")


def match(store, **kwargs):
    with store.session() as s:
        return match_domain(s, "customer", RULES, now=now(), **kwargs)


def xref(store) -> pd.DataFrame:
    with store.session() as s:
        rows = s.execute(select(Xref.system, Xref.source_key, Xref.golden_id).where(Xref.domain == "customer")).all()
    return pd.DataFrame(rows, columns=["system", "source_key", "golden_id"])


def partition(frame: pd.DataFrame) -> set[frozenset]:
    keyed = frame.assign(member=frame["system"] + ":" + frame["source_key"])
    return {frozenset(group) for _, group in keyed.groupby("golden_id")["member"]}


def count(store, table) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(table))


def load_and_match(store):
    for stem in CUSTOMER_FILES:
        load(store, stem)
    match(store)
    return store


@pytest.fixture
def matched(store):
    """A matched store of the seed customers that the test may change."""
    return load_and_match(store)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def shared(request, tmp_path_factory):
    """One matched store for the tests that only read it (matching is the slow part)."""
    from db_fixtures import fresh_database

    with fresh_database(request.param, tmp_path_factory.mktemp("shared")) as url:
        store = Store.open(url)
        upgrade(store.engine)
        yield load_and_match(store)
        store.close()


def test_every_source_record_gets_exactly_one_golden_record(shared):
    matched = shared
    frame = xref(matched)
    truth = pd.read_csv(SEED / "truth.csv", dtype=str)
    assert len(frame) == (truth["domain"] == "customer").sum()
    assert not frame.duplicated(["system", "source_key"]).any()


def test_duplicates_across_systems_share_a_golden_record(shared):
    matched = shared
    truth = pd.read_csv(SEED / "truth.csv", dtype=str)
    joined = xref(matched).merge(truth, on=["system", "source_key"])
    multi_system = joined.groupby("golden_id")["system"].nunique()
    assert (multi_system >= 2).sum() > 300
    # Records of one golden record are nearly always one real customer.
    purity = joined.groupby("golden_id")["entity"].nunique()
    assert (purity == 1).mean() > 0.98


def test_rerunning_match_changes_nothing(matched):
    versions, events, golden = count(matched, GoldenRecordVersion), count(matched, OutboxEvent), xref(matched)
    report = match(matched)
    assert report.mode == "nothing"
    assert count(matched, GoldenRecordVersion) == versions
    assert count(matched, OutboxEvent) == events
    assert xref(matched).sort_values(["system", "source_key"]).equals(golden.sort_values(["system", "source_key"]))


def test_each_golden_record_is_announced_once_with_its_source_keys(shared):
    matched = shared
    with matched.session() as s:
        events = s.execute(select(OutboxEvent.type, OutboxEvent.subject, OutboxEvent.data)).all()
    assert {e.type for e in events} == {"mdm.customer.created"}
    assert len({e.subject for e in events}) == len(events) == xref(matched)["golden_id"].nunique()
    assert all(e.data["xref"] for e in events)


def test_incremental_matching_reaches_the_same_clusters_as_bulk(shared, tmp_path):
    matched = shared
    with matched.session() as s:
        model = s.get(MatchModelRow, "customer")
        saved = (model.rules_hash, model.model)
    other = Store.open(f"sqlite:///{tmp_path / 'incremental.db'}")
    upgrade(other.engine)
    with other.session() as s:
        s.add(MatchModelRow(domain="customer", rules_hash=saved[0], model=saved[1], trained_at=now()))
        s.commit()
    for stem in CUSTOMER_FILES[:2]:
        load(other, stem)
    assert match(other).mode == "incremental"
    for stem in CUSTOMER_FILES[2:]:
        load(other, stem)
        report = match(other)
        assert report.mode == "incremental"
        assert report.affected < count(other, Xref)
    assert partition(xref(other)) == partition(xref(matched))
    other.close()


def changed_copy(stem: str, tmp_path: Path, key: str, edits: dict[str, str]) -> Path:
    mapping = load_mapping(SEED / f"{stem}.mapping.yaml")
    source = next(SEED.glob(f"{stem}.csv"))
    target = tmp_path / source.name
    with source.open(encoding=mapping.encoding, newline="") as fh:
        rows = list(csv.reader(fh, delimiter=mapping.delimiter))
    header = rows[0]
    for row in rows[1:]:
        if row[header.index(mapping.key)] == key:
            for column, value in edits.items():
                row[header.index(column)] = value
    with target.open("w", encoding=mapping.encoding, newline="") as fh:
        csv.writer(fh, delimiter=mapping.delimiter).writerows(rows)
    return target


def merged_contact(store) -> tuple[str, str]:
    """A CRM contact whose golden record has other members: (key, golden id)."""
    frame = xref(store)
    sizes = frame.groupby("golden_id").size()
    crm = frame[(frame["system"] == "CRM") & frame["golden_id"].map(sizes).ge(3)]
    contacts = pd.read_csv(SEED / "crm_contacts.csv", dtype=str)["Id"]
    row = crm[crm["source_key"].isin(contacts)].iloc[0]
    return row["source_key"], row["golden_id"]


# A CRM contact's fields changed to someone no other record resembles.
UNLIKE_EVERYONE = {"FirstName": "Zebulon", "LastName": "Quartermaine", "Email": "zq@elsewhere.example",
                   "Phone": "(907) 555-0199", "MobilePhone": "", "MailingStreet": "1 Tundra Way",
                   "MailingCity": "Nome", "MailingState": "AK", "MailingPostalCode": "99762", "Birthdate": "1/2/1933"}


def test_a_record_that_no_longer_matches_leaves_its_golden_record(matched, tmp_path):
    key, golden_id = merged_contact(matched)
    changed = changed_copy("crm_contacts", tmp_path, key, UNLIKE_EVERYONE)
    with matched.session() as s:
        load_file(s, changed, load_mapping(SEED / "crm_contacts.mapping.yaml"))
    report = match(matched)
    assert report.mode == "incremental"
    frame = xref(matched)
    new_id = frame.loc[(frame["system"] == "CRM") & (frame["source_key"] == key), "golden_id"].item()
    assert new_id != golden_id
    assert (frame["golden_id"] == golden_id).sum() >= 2  # the others stay together under the old id
    with matched.session() as s:
        types = dict(s.execute(select(OutboxEvent.subject, OutboxEvent.type).where(OutboxEvent.subject.in_([new_id, golden_id])).order_by(OutboxEvent.sequence)).all())
    assert types == {golden_id: "mdm.customer.split", new_id: "mdm.customer.created"}


def test_a_golden_record_loaded_before_a_match_reads_its_new_version_in_the_same_session(matched, tmp_path):
    """The incremental write updates golden rows with plain SQL: a row the session had loaded is
    expired, so the session that matched (the API's upsert) does not serve the old version."""
    key, golden_id = merged_contact(matched)
    changed = changed_copy("crm_contacts", tmp_path, key, UNLIKE_EVERYONE)
    with matched.session() as s:
        before = s.get(GoldenRecord, golden_id)
        version = before.version
        load_file(s, changed, load_mapping(SEED / "crm_contacts.mapping.yaml"))
        report = match_domain(s, "customer", RULES, now=now())
        after = s.get(GoldenRecord, golden_id)
        seen = after.version, after.attributes, after.updated_at
    with matched.session() as s:
        stored = s.get(GoldenRecord, golden_id)
        assert seen == (stored.version, stored.attributes, stored.updated_at)
    assert report.mode == "incremental" and report.golden.split == 1
    assert seen[0] == version + 1


def test_a_record_deleted_at_the_source_leaves_and_an_empty_golden_record_is_deleted(matched):
    frame = xref(matched)
    sizes = frame.groupby("golden_id").size()
    alone = frame[frame["golden_id"].map(sizes) == 1].iloc[0]
    with matched.session() as s:
        mark_deleted(s, alone["system"], "customer", [alone["source_key"]], now=now())
        s.commit()
    match(matched)
    assert alone["source_key"] not in set(xref(matched)["source_key"])
    with matched.session() as s:
        golden = s.get(GoldenRecord, alone["golden_id"])
        last = s.scalar(select(OutboxEvent.type).where(OutboxEvent.subject == golden.id).order_by(OutboxEvent.sequence.desc()))
    assert golden.status == "deleted"
    assert last == "mdm.customer.deleted"


def test_a_merge_keeps_the_older_id_and_the_other_becomes_an_alias(store, tmp_path):
    folder = tmp_path / "two"
    folder.mkdir()
    header = ["Id", "FirstName", "LastName", "Email", "Phone", "MobilePhone", "MailingStreet", "MailingCity",
              "MailingState", "MailingPostalCode", "MailingCountry", "Birthdate", "LastModifiedDate"]
    first = ["A1", "Margaret", "Oyelaran", "m.oyelaran@example.com", "(617) 555-0142", "", "88 Beacon St",
             "Boston", "MA", "02108", "US", "4/9/1961", "2024-01-01T00:00:00Z"]
    other = ["A2", "Theodore", "Vasquez", "ted.v@example.net", "(303) 555-0177", "", "5 Larimer St",
             "Denver", "CO", "80202", "US", "8/30/1979", "2024-01-01T00:00:00Z"]
    shutil.copy(SEED / "crm_contacts.mapping.yaml", folder / "contacts.mapping.yaml")

    def write(rows):
        with (folder / "contacts.csv").open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([header, *rows])
        with store.session() as s:
            load_file(s, folder / "contacts.csv", load_mapping(folder / "contacts.mapping.yaml"))

    for stem in CUSTOMER_FILES:  # a realistic store, so the model is estimated on real data
        load(store, stem)
    write([first])
    match(store)
    write([first, other])
    match(store)
    ids = xref(store).set_index("source_key")["golden_id"]
    older, newer = ids["A1"], ids["A2"]
    assert older != newer
    write([first, ["A2", *first[1:-1], "2024-02-01T00:00:00Z"]])  # A2 now describes the same person
    match(store)
    ids = xref(store).set_index("source_key")["golden_id"]
    assert ids["A1"] == ids["A2"] == older
    with store.session() as s:
        assert s.get(GoldenAlias, newer).golden_id == older
        assert s.get(GoldenRecord, newer).status == "merged"
        assert s.get(GoldenRecord, newer).merged_into == older


def test_steward_links_outrank_the_model_until_records_change(matched):
    from mdm.resolve.links import add_cannot_link, add_must_link, mark_for_rematch

    frame = xref(matched)
    with matched.session() as s:
        ids = dict(s.execute(select(Xref.source_key, Xref.record_id)).all())
    sizes = frame.groupby("golden_id").size()
    together = frame[frame["golden_id"].map(sizes) == 2].iloc[:2]  # one golden record with two members
    apart = frame[frame["golden_id"].map(sizes) == 1].iloc[:2]  # two unrelated singletons
    a, b = (ids[k] for k in together["source_key"])
    c, d = (ids[k] for k in apart["source_key"])
    with matched.session() as s:
        add_cannot_link(s, "customer", a, b, RULES, now=now())
        add_must_link(s, c, d, now=now())
        mark_for_rematch(s, [a, b, c, d])
        s.commit()
    match(matched)
    golden = xref(matched).set_index("source_key")["golden_id"]
    keys = {v: k for k, v in ids.items()}
    assert golden[keys[a]] != golden[keys[b]]
    assert golden[keys[c]] == golden[keys[d]]


def test_links_of_a_whole_domain_read_at_once_equal_links_read_by_id(matched, monkeypatch):
    """A bulk run reads the link tables whole; what it finds equals the per-chunk reads."""
    from mdm.resolve import links
    from mdm.resolve.frames import current_records
    from mdm.resolve.links import add_cannot_link, add_must_link, must_link_pairs, standing_cannot_links

    with matched.session() as s:
        ids = sorted(s.scalars(select(Xref.record_id)).all())
        pairs = [(ids[0], ids[5]), (ids[7], ids[3]), (ids[10], ids[-1])]
        for a, b in pairs:
            add_cannot_link(s, "customer", a, b, RULES, now=now())
        add_must_link(s, ids[20], ids[2], now=now())
        add_must_link(s, ids[-2], ids[30], now=now())
        s.commit()
        frame = current_records(s, "customer")
        some = frame.loc[ids[:12]]  # holds both records of two cannot-links, one record of the third
        monkeypatch.setattr(links, "WHOLE_TABLE_IDS", 5)
        whole = (standing_cannot_links(s, "customer", RULES, frame), must_link_pairs(s, frame.index.tolist()),
                 standing_cannot_links(s, "customer", RULES, some), must_link_pairs(s, some.index.tolist()))
        monkeypatch.setattr(links, "WHOLE_TABLE_IDS", 10**9)
        chunked = (standing_cannot_links(s, "customer", RULES, frame), must_link_pairs(s, frame.index.tolist()),
                   standing_cannot_links(s, "customer", RULES, some), must_link_pairs(s, some.index.tolist()))
    assert whole == chunked
    assert sorted(zip(*whole[0])) == sorted(links.ordered(a, b) for a, b in pairs)
    assert sorted(zip(*whole[2])) == sorted(links.ordered(a, b) for a, b in pairs[:2])
    assert whole[1] == sorted([links.ordered(ids[20], ids[2]), links.ordered(ids[-2], ids[30])])
    assert whole[3] == [links.ordered(ids[20], ids[2])]


def test_id_list_statements_read_what_a_plain_in_reads(shared):
    """The incremental path's prebuilt statements (expanding IN on SQLite, ``= ANY(array)``
    on PostgreSQL) return exactly the rows of a freshly built IN query, for int and text ids."""
    from mdm.resolve.apply import _XREF_OF_GOLDEN, golden_rows, xref_rows
    from mdm.store.statements import ids_statement
    from mdm.store.tables import GoldenRecord, Xref

    with shared.session() as s:
        ids = s.scalars(select(Xref.record_id).order_by(Xref.record_id)).all()
        gids = s.scalars(select(GoldenRecord.id).order_by(GoldenRecord.id)).all()
        for picked in (ids[:1], ids[3:40], [ids[0], -5, ids[-1]]):
            want = {rid: gid for rid, gid in s.execute(
                select(Xref.record_id, Xref.golden_id).where(Xref.domain == "customer", Xref.record_id.in_(picked)))}
            got = {rid: gid for rid, (gid, _) in xref_rows(s, "customer", picked).items()}
            assert got == want and (len(got) > 0)
        for picked in (gids[:1], gids[2:30], [gids[0], "no-such-id"]):
            assert sorted(golden_rows(s, picked)) == sorted(g for g in picked if g in set(gids))
        statement = ids_statement(s, _XREF_OF_GOLDEN)
        one = str(statement.compile(s.get_bind()))
        if s.get_bind().dialect.name == "postgresql":
            # One SQL text for any number of ids: the driver prepares it once.
            assert "ANY" in one and "IN (" not in one
        else:
            assert "IN (" in one


def test_postgres_sessions_return_utc_timestamps(shared):
    """PostgreSQL connections run in UTC, so timestamps come back with ``timezone.utc``
    (not the server's ``Etc/UTC`` zone object) and frames get ``datetime64[ns, UTC]``."""
    from mdm.resolve.frames import current_records

    with shared.session() as s:
        frame = current_records(s, "customer", None)
        assert str(frame["loaded_at"].dtype) == "datetime64[ns, UTC]"
        loaded = s.scalar(select(SourceRecord.created_at).limit(1))
        if s.get_bind().dialect.name == "postgresql":
            assert s.execute(text("SHOW TimeZone")).scalar() == "UTC"
            assert loaded.tzinfo is timezone.utc


def test_prepared_records_equal_prepare_of_current_records(shared):
    """The incremental run's list path gives the very frame the pandas path gives."""
    from mdm.match import prepare
    from mdm.resolve.frames import current_records, prepared_records

    with shared.session() as s:
        ids = s.scalars(select(SourceRecord.id).where(SourceRecord.domain == "customer").order_by(SourceRecord.id)).all()
        for picked in (ids[:1], ids[5:9], ids[::7][:200], [ids[3], -1]):
            expected = prepare(current_records(s, "customer", picked), RULES)
            got = prepared_records(s, "customer", RULES, picked)
            pd.testing.assert_frame_equal(got, expected)
            assert list(got.columns) == list(expected.columns) and len(got) == len([i for i in picked if i > 0])


def test_records_read_by_id_from_sqlites_driver_equal_sqlalchemys_rows(shared):
    """On SQLite an incremental run reads its records straight from the driver: the very
    values SQLAlchemy's statement gives, deleted records and unknown ids left out (on
    PostgreSQL the read is that statement's)."""
    from mdm.resolve import frames
    from mdm.store.statements import ids_statement

    with shared.session() as s:
        conn = s.connection()
        ids = s.scalars(select(SourceRecord.id).where(SourceRecord.domain == "customer").order_by(SourceRecord.id)).all()
        picked = [ids[0], ids[9], *ids[::11][:150], -5, ids[3]]
        gone = ids[9]
        conn.execute(update(SourceRecord).where(SourceRecord.id == gone).values(deleted=True))
        try:
            expected = [tuple(r) for r in conn.execute(ids_statement(conn, frames._CURRENT_OF),
                                                        {"domain": "customer", "ids": sorted(set(picked))})]
            got = frames._current_rows(s, "customer", picked)
        finally:
            s.rollback()
    assert got == sorted(expected) and gone not in [r[0] for r in got]
    assert [type(v) for v in got[0]] == [type(v) for v in expected[0]]
    assert any(r[5] is not None for r in got)  # source change times parsed too, not only load times


def test_a_bulk_run_leaves_planner_statistics_on_postgresql(store):
    """After a bulk run PostgreSQL has statistics of what it wrote, so the first
    incremental runs are not planned for the near-empty tables of before the load."""
    from mdm.resolve.run import BULK_TABLES

    load(store, CUSTOMER_FILES[0])
    report = match(store)
    assert report.mode == "bulk" and "analyze" in report.timings
    if store.engine.dialect.name != "postgresql":
        return
    with store.session() as s:
        analyzed = dict(s.execute(text(
            "SELECT relname, last_analyze FROM pg_stat_user_tables WHERE schemaname = current_schema()"
        )).all())
    assert all(analyzed.get(table) is not None for table in BULK_TABLES), analyzed


def test_a_retrain_keeps_one_candidate_per_pair_and_the_stewards_verdicts(matched):
    def candidates() -> dict[tuple[int, int], str]:
        with matched.session() as s:
            rows = s.execute(select(MatchCandidate.left_record_id, MatchCandidate.right_record_id, MatchCandidate.status)
                             .where(MatchCandidate.domain == "customer", MatchCandidate.kind == "match")).all()
        pairs = [(lo, hi) for lo, hi, _ in rows]
        assert len(pairs) == len(set(pairs)), "a pair stored twice"
        return {(lo, hi): status for lo, hi, status in rows}

    before = candidates()
    pending = sorted(pair for pair, status in before.items() if status == "pending")
    assert len(pending) >= 2
    rejected = pending[0]
    with matched.session() as s:
        s.execute(update(MatchCandidate).where(MatchCandidate.left_record_id == rejected[0],
                                               MatchCandidate.right_record_id == rejected[1])
                  .values(status="rejected"))
        s.commit()
    report = match(matched, retrain=True)
    assert report.mode == "bulk"
    after = candidates()
    assert after[rejected] == "rejected"
    # The same data and rules: every other pair is back in the queue, none is new.
    assert {pair for pair, status in after.items() if status == "pending"} == set(pending[1:])


def key_table(store) -> tuple[list, list]:
    """The blocking-key rows (without ids) and the key table's index definitions."""
    from sqlalchemy import inspect

    from mdm.store.tables import BlockingKey

    with store.session() as s:
        rows = sorted(s.execute(select(BlockingKey.key_hash, BlockingKey.record_id)).all())
    indexes = sorted((ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
                     for ix in inspect(store.engine).get_indexes("blocking_key"))
    return rows, indexes


def test_a_bulk_run_that_rebuilds_the_key_indexes_writes_the_same_keys_and_indexes(store, monkeypatch):
    import mdm.resolve.run as run

    load_and_match(store)
    kept = key_table(store)
    assert len(kept[0]) > 100 and {name for name, _, _ in kept[1]} == {"ix_blocking_key_record_id"}
    monkeypatch.setattr(run, "REBUILD_KEY_INDEXES", 0)
    match(store, retrain=True)
    assert key_table(store) == kept


def test_a_failed_write_keeps_the_key_indexes(store):
    """The drop is part of the transaction: a rollback brings the indexes back."""
    from sqlalchemy import inspect

    from mdm.store.bulk import indexes_rebuilt
    from mdm.store.tables import BlockingKey

    before = inspect(store.engine).get_indexes("blocking_key")
    with pytest.raises(RuntimeError), store.session() as s:
        with indexes_rebuilt(s, BlockingKey):
            assert inspect(s.connection()).get_indexes("blocking_key") == [] or s.bind.dialect.name != "sqlite"
            raise RuntimeError("the write failed")
    assert inspect(store.engine).get_indexes("blocking_key") == before
    assert len(before) == 1


def test_index_builds_get_sorter_threads_and_give_them_back(tmp_path):
    """SQLite sorts an index build on helper threads; the connection's own setting returns afterwards."""
    from mdm.store.bulk import sorter_threads

    store = Store.open(f"sqlite:///{tmp_path / 'threads.db'}")
    upgrade(store.engine)
    try:
        with store.session() as s:
            conn = s.connection()
            (before,) = conn.exec_driver_sql("PRAGMA threads").one()
            with sorter_threads(s, 3):
                assert conn.exec_driver_sql("PRAGMA threads").one()[0] == 3
            assert conn.exec_driver_sql("PRAGMA threads").one()[0] == before
    finally:
        store.close()


def test_a_whole_domain_read_on_sqlite_gives_the_frame_of_the_row_path(tmp_path):
    """The bulk read (driver rows, orjson, vectorized timestamps) builds the same frame as
    ``records_frame`` over SQLAlchemy's rows: values, their Python types and the column types."""
    from mdm.models.fields import CANONICAL_FIELDS
    from mdm.resolve.frames import _current_rows, current_records, records_frame

    store = Store.open(f"sqlite:///{tmp_path / 'read.db'}")
    upgrade(store.engine)
    try:
        for stem in [*CUSTOMER_FILES, "erp_materials", "crm_products", "erp_prices"]:
            load(store, stem)
        with store.session() as s:  # JSON Lines: numbers stay numbers
            load_file(s, SEED / "wms_items.jsonl", load_mapping(SEED / "wms_items.mapping.yaml"),
                      rejects_path=tmp_path / "wms_items.rejects.csv")
        typed = 0
        with store.session() as s:
            for domain in ("customer", "item", "price"):
                fast = current_records(s, domain)
                stored = _current_rows(s, domain, None)
                rows = records_frame(domain, stored)
                pd.testing.assert_frame_equal(fast, rows, check_exact=True)
                # The field columns as pandas' ``where`` gave them before the masks.
                fields = pd.DataFrame.from_records([r[4] for r in stored], columns=list(CANONICAL_FIELDS[domain]))
                fields = fields.astype(object).where(fields.notna(), None)
                for column in fields.columns:
                    assert fast[column].tolist() == fields[column].tolist(), (domain, column)
                    assert list(map(type, fast[column])) == list(map(type, fields[column])), (domain, column)
                for column in fast.columns:
                    assert list(map(type, fast[column])) == list(map(type, rows[column])), (domain, column)
                typed += sum(fast[c].map(lambda v: type(v) in (int, float)).any() for c in fast.columns
                             if c not in ("version",))
                assert len(fast) == s.scalar(select(func.count()).select_from(SourceRecord)
                                             .where(SourceRecord.domain == domain, SourceRecord.deleted.is_(False)))
        assert typed > 0  # a numeric field column went through the typed branch
    finally:
        store.close()


def test_a_bulk_run_replaces_only_its_own_domains_keys(store):
    """The key table has no domain column: a customer retrain drops the customer records' keys
    (through source_record) and leaves the items' keys as they were."""
    from mdm.store.tables import BlockingKey

    load_and_match(store)
    for stem in ["erp_materials", "crm_products"]:
        load(store, stem)
    with store.session() as s:
        match_domain(s, "item", load_match_rules(BUNDLED_RULES_DIR, "item"), now=now())

    def keys_of(domain):
        with store.session() as s:
            return sorted(s.execute(
                select(BlockingKey.key_hash, BlockingKey.record_id).join(SourceRecord, SourceRecord.id == BlockingKey.record_id)
                .where(SourceRecord.domain == domain)).all())

    items, customers = keys_of("item"), keys_of("customer")
    assert len(items) > 100 and len(customers) > 100
    match(store, retrain=True)
    assert keys_of("item") == items
    assert keys_of("customer") == customers
    assert count(store, BlockingKey) == len(items) + len(customers)


def test_a_bulk_run_writes_every_key_once_between_its_slices(store, monkeypatch):
    """The parent writes the blocking keys in parts between slices of golden records: together
    they are exactly the domain's keys, and the steps were spread over the slices."""
    import mdm.resolve.apply as apply
    import mdm.resolve.run as run
    from mdm.match import blocking_keys, prepare
    from mdm.match.keyhash import key_rows
    from mdm.resolve.frames import current_records
    from mdm.store.tables import BlockingKey

    monkeypatch.setattr(apply, "CLUSTER_SLICE", 40)
    steps, parts, hashed = [], [], []
    real = run._key_writes

    def counted(*args, **kwargs):
        parts.append(args[-1])  # apply_clusters asks for one part per slice, and one before the first
        hashed.append(kwargs.get("hashed"))  # the rows match_frame hashed while it clustered
        for step in real(*args, **kwargs):
            steps.append(step)
            yield step

    monkeypatch.setattr(run, "_key_writes", counted)
    load_and_match(store)
    with store.session() as s:
        stored = sorted(s.execute(select(BlockingKey.key_hash, BlockingKey.record_id)).all())
        hashes, ids = key_rows("customer", blocking_keys(prepare(current_records(s, "customer"), RULES), RULES))
    assert [tuple(r) for r in stored] == list(zip(hashes.tolist(), ids.tolist()))
    assert len(parts) == 1 and 10 < len(steps) <= parts[0]
    assert len(hashed) == 1 and hashed[0] is not None and hashed[0].done()


def test_a_bulk_run_that_fails_midway_keeps_the_stored_keys_and_indexes(store, monkeypatch):
    import mdm.resolve.apply as apply
    from sqlalchemy import inspect

    from mdm.store.tables import BlockingKey

    load_and_match(store)
    kept = key_table(store)
    monkeypatch.setattr(apply, "CLUSTER_SLICE", 40)
    monkeypatch.setattr("mdm.resolve.run.REBUILD_KEY_INDEXES", 0)
    calls = []
    real = apply._insert_golden

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the disk is full")
        return real(*args, **kwargs)

    monkeypatch.setattr(apply, "_insert_golden", failing)
    with pytest.raises(RuntimeError, match="the disk is full"):
        match(store, retrain=True)
    assert key_table(store) == kept
    assert {ix["name"] for ix in inspect(store.engine).get_indexes(BlockingKey.__tablename__)} == {
        "ix_blocking_key_record_id"}


def _marks(store) -> list[tuple]:
    with store.session() as s:
        return sorted(s.execute(select(SourceRecord.id, SourceRecord.version, SourceRecord.matched_version)).all())


def test_matched_marks_from_json_id_lists_equal_marks_by_statement(store, monkeypatch):
    """SQLite takes a bulk run's marks as JSON id lists with the two matched-version indexes built
    again after; the marks, the indexes and the pending lookup are those of the per-chunk path."""
    import mdm.resolve.run as run
    import mdm.store.bulk as bulk
    from sqlalchemy import inspect

    before = sorted((ix["name"], tuple(ix["column_names"])) for ix in inspect(store.engine).get_indexes("source_record"))
    monkeypatch.setattr(run, "JSON_MARKS", 0)
    monkeypatch.setattr(bulk, "REBUILD_MIN_ROWS", 0)  # the seed records are the whole store: rebuilt
    monkeypatch.setattr(bulk, "JSON_IDS_CHUNK", 7)  # many statements
    load_and_match(store)
    marks = _marks(store)
    assert len(marks) > 100 and all(matched == version for _, version, matched in marks)
    assert sorted((ix["name"], tuple(ix["column_names"]))
                  for ix in inspect(store.engine).get_indexes("source_record")) == before
    if store.engine.dialect.name == "sqlite":
        with store.session() as s:
            assert s.connection().exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    # A changed record is pending again, found through the rebuilt index, and matched incrementally.
    with store.session() as s:
        first = s.scalar(select(SourceRecord.id).order_by(SourceRecord.id).limit(1))
        s.execute(update(SourceRecord).where(SourceRecord.id == first).values(matched_version=None))
        s.commit()
        assert run.pending_records(s, "customer")[0] == [first]
    assert match(store).mode == "incremental"
    assert _marks(store) == marks


def test_update_ids_changes_exactly_the_given_rows(sqlite_store, monkeypatch):
    import mdm.store.bulk as bulk

    load(sqlite_store, CUSTOMER_FILES[0])
    with sqlite_store.session() as s:
        ids = s.scalars(select(SourceRecord.id).order_by(SourceRecord.id)).all()
        chosen = ids[::3]
        monkeypatch.setattr(bulk, "JSON_IDS_CHUNK", 4)
        bulk.update_ids(s, SourceRecord, "matched_version = version + 40", chosen)
        s.commit()
    marks = {rid: (version, matched) for rid, version, matched in _marks(sqlite_store)}
    assert {rid for rid, (_, matched) in marks.items() if matched is not None} == set(chosen)
    assert all(marks[rid][1] == marks[rid][0] + 40 for rid in chosen)


def test_indexes_rebuilt_drops_only_the_named_indexes(sqlite_store):
    from sqlalchemy import inspect

    from mdm.store.bulk import indexes_rebuilt

    def names(conn):
        return {ix["name"] for ix in inspect(conn).get_indexes("source_record")}

    before = names(sqlite_store.engine)
    with sqlite_store.session() as s:
        with indexes_rebuilt(s, SourceRecord, only=["ix_source_record_pending"]):
            assert names(s.connection()) == before - {"ix_source_record_pending"}
        assert names(s.connection()) == before
        s.commit()
    assert names(sqlite_store.engine) == before and "ix_source_record_pending" in before


def _indexes_now(session, table: str) -> list:
    from sqlalchemy import inspect

    return [ix["name"] for ix in inspect(session.connection()).get_indexes(table)]


def _indexes(store, table: str) -> list:
    from sqlalchemy import inspect

    return sorted((ix["name"], tuple(ix["column_names"])) for ix in inspect(store.engine).get_indexes(table))


def test_a_retrain_that_defers_its_xref_rows_keeps_the_links(store, monkeypatch):
    """A retrain over existing links (stale rows deleted slice by slice, the new ones inserted
    after the last slice) gives the same partition, and the indexes are whole."""
    import mdm.resolve.apply as apply

    load_and_match(store)
    before, xref_indexes = partition(xref(store)), _indexes(store, "xref")
    monkeypatch.setattr(apply, "SORTED_XREF", 0)
    monkeypatch.setattr("mdm.store.bulk.REBUILD_MIN_ROWS", 0)
    monkeypatch.setattr(apply, "CLUSTER_SLICE", 40)
    assert match(store, retrain=True).mode == "bulk"
    assert partition(xref(store)) == before
    assert _indexes(store, "xref") == xref_indexes and len(xref_indexes) == 2


def test_a_bulk_run_that_fails_after_its_marks_keeps_the_record_and_xref_indexes(sqlite_store, monkeypatch):
    """On SQLite the marks' index rebuild and the xref rows' are inside the run's transaction: a
    failure after them rolls back the marks, the links and the dropped indexes alike."""
    import mdm.resolve.apply as apply
    import mdm.resolve.run as run

    store = sqlite_store

    for stem in CUSTOMER_FILES:
        load(store, stem)
    records, xref_indexes = _indexes(store, "source_record"), _indexes(store, "xref")
    monkeypatch.setattr(run, "JSON_MARKS", 0)
    monkeypatch.setattr(apply, "SORTED_XREF", 0)
    monkeypatch.setattr("mdm.store.bulk.REBUILD_MIN_ROWS", 0)
    real = apply.insert_plain

    def failing(session, table, columns, rows):
        if getattr(table, "__tablename__", None) == "xref":  # while the xref indexes are dropped
            assert _indexes_now(session, "xref") == []
            raise RuntimeError("the disk is full")
        return real(session, table, columns, rows)

    monkeypatch.setattr(apply, "insert_plain", failing)
    with pytest.raises(RuntimeError, match="the disk is full"):
        match(store)
    assert _indexes(store, "source_record") == records and _indexes(store, "xref") == xref_indexes
    assert count(store, Xref) == 0
    assert all(matched is None for _, _, matched in _marks(store))


def test_indexes_are_rebuilt_only_for_most_of_a_table(sqlite_store, monkeypatch):
    """Rebuilding sorts the whole table: it pays for enough rows that are at least half of it."""
    import mdm.store.bulk as bulk

    load(sqlite_store, CUSTOMER_FILES[0])
    with sqlite_store.session() as s:
        stored = s.scalar(select(func.count()).select_from(SourceRecord))
        assert stored > 100
        assert not bulk.rebuild_pays(s, SourceRecord, stored)  # below REBUILD_MIN_ROWS
        monkeypatch.setattr(bulk, "REBUILD_MIN_ROWS", 10)
        assert bulk.rebuild_pays(s, SourceRecord, stored) and bulk.rebuild_pays(s, SourceRecord, stored // 2 + 1)
        assert not bulk.rebuild_pays(s, SourceRecord, stored // 3)
        assert bulk.rebuild_pays(s, Xref, 10)  # an empty table
