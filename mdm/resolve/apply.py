"""Write a clustering into the store: golden records, versions, xref,
aliases and outbox events, all in the caller's transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from operator import itemgetter
from datetime import datetime
from typing import Any

import numpy as np
import orjson
import pandas as pd
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from mdm.match.framecols import column_array
from mdm.ids import new_event_ids, new_golden_ids
from mdm.publish.outbox import changed_attributes, outbox_row
from mdm.resolve.assign import assign_golden_ids
from mdm.resolve.golden import NewRecord, column_values, pinned_overrides
from mdm.resolve.parallel import build_workers, building
from mdm.resolve.versions import keep_version_lineage
from mdm.store.bulk import (
    bulk_insert, indexes_rebuilt, insert_plain, plain_value, rebuild_pays, update_plain, write_cache,
)
from mdm.store import jsonenc
from mdm.store.statements import ids_statement, ids_statements
from mdm.store.tables import GoldenAlias, GoldenRecord, GoldenRecordVersion, OutboxEvent, Xref
from mdm.survivorship import SurvivorshipRules

CHUNK = 900
WRITE_CHUNK = 5000
CLUSTER_SLICE = 20000
PARALLEL_SLICE = 5000  # smaller slices keep the writer and the workers in step
WRITE_CACHE_MIB = 128  # SQLite page cache while a whole domain is written


@dataclass
class ApplyStats:
    created: int = 0
    updated: int = 0
    merged: int = 0
    split: int = 0
    deleted: int = 0
    unchanged: int = 0
    golden_of: dict[int, str] = field(default_factory=dict)
    # attribute -> how many golden records changed its value
    changed_attributes: Counter = field(default_factory=Counter)


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def current_xref(session: Session, domain: str, record_ids: list[int] | None) -> dict[int, str]:
    return {rid: gid for rid, (gid, _) in xref_rows(session, domain, record_ids).items()}


def xref_rows(session: Session, domain: str, record_ids: list[int] | None) -> dict[int, tuple[str, tuple]]:
    """record id -> (golden id, seniority: when it was linked, then its id)."""
    rows = []
    if record_ids is None:
        rows = session.execute(_XREF_OF_DOMAIN, {"domain": domain}).all()
    else:
        for chunk in _chunks(sorted(record_ids)):
            rows.extend(session.connection().execute(ids_statement(session, _XREF_OF_RECORDS), {"domain": domain, "ids": chunk}).all())
    return {rid: (gid, (_naive(linked), rid)) for rid, gid, linked in rows}


# The incremental path's statements are built once: building one per call
# costs more than SQLite takes to run it for a handful of rows.
_XREF_OF_DOMAIN = select(Xref.record_id, Xref.golden_id, Xref.linked_at).where(Xref.domain == bindparam("domain"))
_XREF_OF_RECORDS = ids_statements(lambda ids: _XREF_OF_DOMAIN.where(ids(Xref.record_id)))
_XREF_OF_GOLDEN = ids_statements(lambda ids: select(Xref.record_id, Xref.golden_id, Xref.linked_at).where(ids(Xref.golden_id)))
_MEMBERS_OF = ids_statements(lambda ids: select(Xref.record_id, Xref.golden_id).where(ids(Xref.golden_id)))
# No Xref objects are loaded where xref rows are rewritten: nothing in the session to synchronize.
_DELETE_XREF = ids_statements(
    lambda ids: delete(Xref).where(ids(Xref.record_id)).execution_options(synchronize_session=False))
_GOLDEN_ROWS = ids_statements(lambda ids: select(GoldenRecord).where(ids(GoldenRecord.id)))
_GOLDEN_HEADS = ids_statements(lambda ids: select(
    GoldenRecord.id, GoldenRecord.version, GoldenRecord.status, GoldenRecord.attributes, GoldenRecord.created_at,
).where(ids(GoldenRecord.id)))


def _naive(value: datetime) -> datetime:
    # SQLite returns naive, PostgreSQL aware datetimes; compare like with like.
    return value.replace(tzinfo=None) if value.tzinfo else value


def members_of(session: Session, golden_ids: list[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for chunk in _chunks(sorted(golden_ids)):
        for rid, gid in session.connection().execute(ids_statement(session, _MEMBERS_OF), {"ids": chunk}):
            out.setdefault(gid, []).append(rid)
    return out


def member_xref_rows(session: Session, golden_ids: list[str]) -> dict[int, tuple[str, tuple]]:
    """``xref_rows`` of every member of ``golden_ids`` (record id -> (golden id, seniority))."""
    rows = []
    for chunk in _chunks(sorted(golden_ids)):
        rows.extend(session.connection().execute(ids_statement(session, _XREF_OF_GOLDEN), {"ids": chunk}).all())
    return {rid: (gid, (_naive(linked), rid)) for rid, gid, linked in rows}


@dataclass(frozen=True)
class KnownLinks:
    """What the caller read already: the xref rows of every member of ``golden_ids``
    (the golden records the affected records belong to), so ``apply_clusters`` need
    not read them again."""

    golden_ids: frozenset[str]
    rows: dict[int, tuple[str, tuple]]

    def members(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for rid, (gid, _) in self.rows.items():
            out.setdefault(gid, []).append(rid)
        return out


def golden_heads(session: Session, golden_ids: list[str]) -> dict[str, Any]:
    """What ``apply_clusters`` reads of the golden rows (id, version, status, attributes, created_at)
    by id, as plain rows: loading ORM objects cost more than the query (0.7 ms a merge)."""
    out: dict[str, Any] = {}
    conn = session.connection()
    for chunk in _chunks(sorted(golden_ids)):
        for row in conn.execute(ids_statement(conn, _GOLDEN_HEADS), {"ids": chunk}):
            out[row.id] = row
    return out


def _expire_loaded(session: Session, golden_ids: list[str]) -> None:
    """Expire the golden records among ``golden_ids`` the session holds (a caller's, loaded before
    the run): their rows were rewritten in plain SQL, behind the ORM's back."""
    identity = session.identity_map
    if not len(identity):  # the usual case: nothing loaded, nothing to look up (a bulk run updates 100,000s)
        return
    for gid in golden_ids:
        loaded = identity.get(session.identity_key(GoldenRecord, gid))
        if loaded is not None:
            session.expire(loaded)


def golden_rows(session: Session, golden_ids: list[str]) -> dict[str, GoldenRecord]:
    """The golden records (ORM objects) by id."""
    out: dict[str, GoldenRecord] = {}
    for chunk in _chunks(sorted(golden_ids)):
        for row in session.execute(ids_statement(session, _GOLDEN_ROWS), {"ids": chunk}).scalars():
            out[row.id] = row
    return out


def apply_clusters(
    session: Session,
    domain: str,
    frame: pd.DataFrame,
    labels: pd.Series,
    *,
    now: datetime,
    removed: Iterable[int] = (),
    decided_by: dict[int, tuple[str, float | None]] | None = None,
    survivorship: SurvivorshipRules,
    correlation_id: str | None = None,
    whole_domain: bool = False,
    known: KnownLinks | None = None,
    alongside: Callable[[int], Iterator[None]] | None = None,
) -> ApplyStats:
    """frame: the affected live records (every member of every golden record
    they belong to); labels: cluster label per record; removed: record ids
    that left (deleted at the source). decided_by: record -> (how, probability).
    known: xref rows the caller read already, when they cover every golden
    record the frame's and the removed records belong to. alongside: other
    writes of the caller's, as ``alongside(parts)`` giving an iterator that does
    one part per step; one step is taken before the first slice of golden
    records and one after each, so they overlap the build workers, and the
    rest after the last."""
    removed = sorted(set(removed))
    decided_by = decided_by or {}
    record_ids = None if whole_domain else [*frame.index.tolist(), *removed]
    if known is None:
        linked = xref_rows(session, domain, record_ids)
    else:
        linked = {rid: known.rows[rid] for rid in record_ids if rid in known.rows}
    current = {rid: gid for rid, (gid, _) in linked.items()}
    involved = sorted(set(current.values()))
    if known is None:
        previous = members_of(session, involved)
    else:
        if not known.golden_ids.issuperset(involved):
            raise ValueError("known links do not cover the affected golden records")
        every = known.members()
        previous = {gid: every[gid] for gid in involved if gid in every}
    stray = {rid for members in previous.values() for rid in members} - set(frame.index) - set(removed)
    if stray:
        raise ValueError(f"records {sorted(stray)[:10]} belong to affected golden records but are not in the frame")
    # Lineage is not read: a retired record keeps its own, and its versions copy it (``keep_version_lineage``).
    existing = golden_heads(session, involved)
    clusters = _clusters(labels)
    assignment = assign_golden_ids(
        clusters, current, {g: (r.created_at, g) for g, r in existing.items()}, previous_members=previous,
        seniority={rid: since for rid, (_, since) in linked.items()},
    )
    pinned = pinned_overrides(session, sorted(assignment.kept.values()))
    overrides = {label: pinned[gid] for label, gid in assignment.kept.items() if gid in pinned}

    stats = ApplyStats()
    # Golden records are built and written a slice at a time, so memory holds
    # one slice's attributes and lineage, not the whole domain's.
    labels_in_order = list(clusters)
    workers = build_workers(len(labels_in_order)) if whole_domain else 1
    bounds = _slice_bounds(len(labels_in_order), CLUSTER_SLICE if workers == 1 else PARALLEL_SLICE, workers > 1)
    slices = [{label: clusters[label] for label in labels_in_order[start:end]} for start, end in bounds]
    gid_of_label = dict(assignment.kept)
    gid_of_label.update(zip(assignment.new, new_golden_ids(domain, len(assignment.new))))
    merged_from: dict[str, list[str]] = {}
    for retired, survivor in assignment.merged.items():
        merged_from.setdefault(survivor, []).append(retired)
    # A golden record that lives on but lost members to other golden records
    # (new ones, or existing ones a steward split sent them to) was split.
    split_into: dict[str, list[str]] = {}
    split_from: dict[str, str] = {}
    for label, members in clusters.items():
        gid = gid_of_label[label]
        parents = sorted({current[r] for r in members if r in current} - {gid})
        for parent in parents:
            if parent not in assignment.merged and parent not in assignment.emptied:
                split_into.setdefault(parent, []).append(gid)
                split_from.setdefault(gid, parent)
    cause = _causes(frame, labels) if correlation_id is None else {}
    # Rows are inserted as plain tuples (executemany on SQLite, COPY on PostgreSQL): JSON is
    # encoded once (golden and version rows share the text) and the run's timestamp
    # converted once, instead of SQLAlchemy processing every value of every row. A new
    # golden record's rows are made where it is built (a build worker, in a bulk run).
    stamp = plain_value(session, GoldenRecord.__table__.c.updated_at, now)
    new = {
        label: NewRecord(gid, correlation_id or cause.get(label),
                         {"split_from": split_from[gid]} if gid in split_from else {})
        for label, gid in gid_of_label.items() if gid not in existing
    }
    # A bulk write gets a large SQLite page cache (see ``write_cache``). With workers, the first
    # slices are being built while the rest of the bookkeeping below is done.
    work = alongside(len(slices) + 1) if alongside is not None else iter(())
    with (closing(work) if alongside is not None else nullcontext(),
          write_cache(session, WRITE_CACHE_MIB) if whole_domain else nullcontext(),
          building(survivorship, domain, frame, slices, now=now, overrides=overrides, workers=workers, new=new,
                   stamp=stamp) as built_parts):
        next(work, None)
        systems, keys = _column_dict(frame, "system"), _column_dict(frame, "source_key")
        deferred: list[tuple] | None = (
            [] if whole_domain and len(frame) >= SORTED_XREF and session.get_bind().dialect.name == "sqlite" else None)
        for part, built in zip(slices, built_parts):
            new_rows, updates, versions, events = [], [], [], []
            event_ids = iter(new_event_ids(len(part)))  # at most one event per golden record
            golden = built.golden
            for label, members in part.items():
                gid = gid_of_label[label]
                attributes, stored_attrs, stored_lineage, created = golden.pop(label)
                if created is not None:
                    # A new golden record: its rows came built (``golden.Created``).
                    new_rows.append(created.golden)
                    versions.append(created.version)
                    events.append((next(event_ids), *created.event))
                    stats.created += 1
                    continue
                old = existing[gid]
                old_attrs = old.attributes
                same_members = sorted(previous.get(gid, [])) == members
                if gid in merged_from:
                    change, extra = "merged", {"merged_from": sorted(merged_from[gid])}
                    stats.merged += 1
                elif gid in split_into:
                    change, extra = "split", {"split_into": sorted(split_into[gid])}
                    stats.split += 1
                elif old.status != "active" or old_attrs != attributes or not same_members:
                    change, extra = "updated", {}
                    stats.updated += 1
                else:
                    stats.unchanged += 1
                    continue
                version = old.version + 1
                # The texts built for the version row; the loaded row is expired after the write.
                updates.append((version, "active", None, stored_attrs, stored_lineage, stamp, gid))
                why = correlation_id or cause.get(label)
                # The version reads its lineage from the golden row (stored once: ``mdm.resolve.versions``).
                versions.append((gid, version, change, stored_attrs, None, jsonenc.dumps(members), stamp, why))
                changed = changed_attributes(old_attrs, attributes)
                stats.changed_attributes.update(changed.keys())
                # The golden record's attributes go into the event as the text already encoded.
                xref = [{"system": systems[r], "source_key": keys[r]} for r in members]
                event = outbox_row(domain=domain, change=change, golden_id=gid, version=version,
                                   golden=orjson.Fragment(str(stored_attrs)), changed=changed, xref=xref, now=now,
                                   correlation_id=why, extra=extra, event_id=next(event_ids))
                events.append((event["event_id"], event["type"], domain, gid, version, jsonenc.dumps(event["data"]),
                               stamp, why))
            stats.changed_attributes.update(built.changed)
            _insert_golden(session, new_rows, updates, versions, events)
            _expire_loaded(session, [row[-1] for row in updates])
            # The slice's xref rows too, while the workers build the next slices (a large bulk
            # write on SQLite keeps them for one sorted insert after the last slice).
            _write_xref(session, domain, systems, keys, part, gid_of_label, current, decided_by, now, deferred)
            next(work, None)
        for _ in work:
            pass
        if deferred is not None:
            _insert_xref_sorted(session, deferred)

    updates, versions, events = [], [], []
    aliases = []
    for retired, survivor in sorted(assignment.merged.items()):
        _retire(existing[retired], "merged", survivor, now, correlation_id, domain, updates, versions, events)
        aliases.append({"alias_id": retired, "golden_id": survivor, "merged_at": now})
    for gone in assignment.emptied:
        if existing[gone].status == "active":
            _retire(existing[gone], "deleted", None, now, correlation_id, domain, updates, versions, events)
            stats.deleted += 1

    _write_golden(session, [], updates, versions, events)
    _expire_loaded(session, [row["id"] for row in updates])
    if aliases:
        bulk_insert(session, GoldenAlias, aliases)
        # Aliases of a retired id follow it to the new survivor.
        for row in aliases:
            session.execute(
                update(GoldenAlias).where(GoldenAlias.golden_id == row["alias_id"]).values(golden_id=row["golden_id"])
            )
    # Records deleted at the source leave the xref.
    for chunk in _chunks(sorted(set(removed) & set(current))):
        session.connection().execute(ids_statement(session, _DELETE_XREF), {"ids": chunk})
    stats.golden_of = {rid: gid_of_label[label] for label, members in clusters.items() for rid in members}
    return stats


def _slice_bounds(n: int, size: int, ramp: bool) -> list[tuple[int, int]]:
    """(start, end) of each slice of ``n`` clusters: ``size`` each; with ``ramp`` (workers build,
    the parent writes) the first slices are smaller, so the parent starts writing sooner."""
    sizes = [max(size // 5, 1), max(size // 2, 1)] if ramp else []
    out, start = [], 0
    while start < n:
        end = min(start + (sizes.pop(0) if sizes else size), n)
        out.append((start, end))
        start = end
    return out


def _clusters(labels: pd.Series) -> dict[Hashable, list[int]]:
    """label -> its record ids, ascending; labels ascending (``labels.groupby(labels).groups``, sorted)."""
    if labels.dtype.kind not in "iu" or labels.index.dtype.kind not in "iu":
        return {label: sorted(ids) for label, ids in labels.groupby(labels).groups.items()}
    # Integer labels and record ids (a bulk run): one sort instead of an Index per cluster.
    values, ids = labels.to_numpy(), labels.index.to_numpy()
    order = np.lexsort((ids, values))
    values, ids = values[order], ids[order].tolist()
    starts = [0, *(np.flatnonzero(values[1:] != values[:-1]) + 1).tolist()]
    ends = [*starts[1:], len(ids)]
    return dict(zip(values[starts].tolist() if len(ids) else [], [ids[a:b] for a, b in zip(starts, ends)]))


def _column_dict(frame: pd.DataFrame, column: str) -> dict:
    """``frame[column].to_dict()`` (record id -> value, Python scalars) without boxing value by value."""
    return dict(zip(frame.index.tolist(), column_values(column_array(frame, column))))


GOLDEN_COLUMNS = ("id", "domain", "version", "status", "merged_into", "attributes", "lineage", "created_at",
                  "updated_at")
VERSION_COLUMNS = ("golden_id", "version", "change_type", "attributes", "lineage", "members", "changed_at",
                   "correlation_id")
OUTBOX_COLUMNS = ("event_id", "type", "domain", "subject", "version", "data", "created_at", "correlation_id")
XREF_COLUMNS = ("record_id", "golden_id", "domain", "system", "source_key", "decided_by", "match_probability",
                "linked_at")


# An updated golden row: these columns, then its id (``update_plain``).
UPDATE_COLUMNS = ("version", "status", "merged_into", "attributes", "lineage", "updated_at")


def _insert_golden(session: Session, new_rows: list[tuple], updates: list[tuple], versions: list[tuple],
                   events: list[tuple]) -> None:
    """``_write_golden`` for golden rows (new, and updated: ``UPDATE_COLUMNS`` and the id),
    versions and events as plain tuples (JSON encoded, timestamps as ``plain_value``)."""
    for chunk in _chunks(new_rows, WRITE_CHUNK):
        insert_plain(session, GoldenRecord, GOLDEN_COLUMNS, chunk)
    keep_version_lineage(session, [row[-1] for row in updates])
    for chunk in _chunks(updates, WRITE_CHUNK):
        update_plain(session, GoldenRecord, "id", UPDATE_COLUMNS, chunk)
    for chunk in _chunks(versions, WRITE_CHUNK):
        insert_plain(session, GoldenRecordVersion, VERSION_COLUMNS, chunk)
    for chunk in _chunks(events, WRITE_CHUNK):
        insert_plain(session, OutboxEvent, OUTBOX_COLUMNS, chunk)


def _write_golden(session: Session, new_rows, updates, versions, events) -> None:
    for chunk in _chunks(new_rows, WRITE_CHUNK):
        bulk_insert(session, GoldenRecord, chunk)
    keep_version_lineage(session, [row["id"] for row in updates])
    for chunk in _chunks(updates, WRITE_CHUNK):
        session.execute(update(GoldenRecord), chunk)
    for chunk in _chunks(versions, WRITE_CHUNK):
        bulk_insert(session, GoldenRecordVersion, chunk)
    for chunk in _chunks(events, WRITE_CHUNK):
        bulk_insert(session, OutboxEvent, chunk)


def _causes(frame: pd.DataFrame, labels: pd.Series) -> dict:
    """Per cluster, the correlation id of its most recently loaded member:
    the ingest that caused this change of the golden record."""
    if "correlation_id" not in frame.columns or frame.empty:
        return {}
    ordered = pd.DataFrame(
        {"label": labels.reindex(frame.index).to_numpy(), "loaded_at": frame["loaded_at"].to_numpy(),
         "cid": frame["correlation_id"].to_numpy()}
    ).dropna(subset=["cid"]).sort_values("loaded_at", kind="stable")
    return ordered.groupby("label")["cid"].last().to_dict()


def _retire(row, change, survivor, now, correlation_id, domain, updates, versions, events) -> None:
    version = row.version + 1
    status = "merged" if change == "merged" else "deleted"
    # Attributes and lineage stay as they are: the retiring version reads the lineage through.
    updates.append(
        {"id": row.id, "version": version, "status": status, "merged_into": survivor, "updated_at": now}
    )
    versions.append(
        {"golden_id": row.id, "version": version, "change_type": change, "attributes": row.attributes,
         "lineage": None, "members": [], "changed_at": now, "correlation_id": correlation_id}
    )
    extra: dict[str, Any] = {"merged_into": survivor} if survivor else {}
    events.append(
        outbox_row(domain=domain, change=change, golden_id=row.id, version=version, golden=row.attributes,
                   changed={}, xref=[], now=now, correlation_id=correlation_id, extra=extra)
    )


def _write_xref(session, domain, systems, keys, clusters, gid_of_label, current, decided_by, now,
                deferred: list[tuple] | None = None) -> None:
    """Xref rows of the records in ``clusters`` that changed golden record (or how they were decided).
    The stale rows are deleted now; the new ones are inserted, or added to ``deferred`` when given."""
    stamp = plain_value(session, Xref.__table__.c.linked_at, now)
    rows, changed_ids = [], []
    for label, members in clusters.items():
        gid = gid_of_label[label]
        fallback = ("auto" if len(members) > 1 else "new", None)
        for rid in members:
            if current.get(rid) == gid and rid not in decided_by:
                continue
            how, prob = decided_by.get(rid, fallback)
            changed_ids.append(rid)
            rows.append((rid, gid, domain, systems[rid], keys[rid], how, prob, stamp))
    stale = sorted(set(changed_ids) & set(current))
    for chunk in _chunks(stale):
        session.connection().execute(ids_statement(session, _DELETE_XREF), {"ids": chunk})
    if deferred is not None:
        deferred.extend(rows)
        return
    for chunk in _chunks(rows, WRITE_CHUNK):
        insert_plain(session, Xref, XREF_COLUMNS, chunk)


# From this many records a bulk write on SQLite inserts its xref rows at the end, by record id.
SORTED_XREF = 50_000


def _insert_xref_sorted(session: Session, rows: list[tuple]) -> None:
    """A bulk write's xref rows in record id order (the table's key: appends), into the table
    without its two indexes when they are most of it (``rebuild_pays``), which are built again
    after (one sort each): the rows came cluster
    by cluster, and both the table and its source-key index took them at random places
    (1M rows: 4.2 s -> 2.6 s)."""
    rows.sort(key=itemgetter(0))
    with indexes_rebuilt(session, Xref, rebuild=rebuild_pays(session, Xref, len(rows))):
        for chunk in _chunks(rows, 10 * WRITE_CHUNK):
            insert_plain(session, Xref, XREF_COLUMNS, chunk)
