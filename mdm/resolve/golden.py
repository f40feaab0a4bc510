"""Golden attributes and lineage from member source records, by the
domain's survivorship rules (mdm.survivorship does the deciding)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from datetime import datetime, timezone
from typing import Any, NamedTuple

import numpy as np
import orjson
import pandas as pd
from pandas.api.extensions import ExtensionDtype
from pandas.core.dtypes.cast import maybe_box_native
from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from mdm.match.framecols import column_array
from mdm.models.fields import CANONICAL_FIELDS
from mdm.publish.outbox import changed_attributes, event_type, outbox_row
from mdm.store.jsonenc import dumps
from mdm.store.statements import ids_statement, ids_statements
from mdm.store.tables import GoldenOverride
from mdm.survivorship import MemberRecord, Override, SurvivorshipRules, build_golden, columnar

Built = dict[Hashable, tuple[dict[str, Any], dict[str, Any]]]


def member_records(domain: str, frame: pd.DataFrame) -> dict[int, MemberRecord]:
    fields = [f for f in CANONICAL_FIELDS[domain] if f in frame.columns]
    # Column by column, with the values ``frame.to_dict("records")`` gives (Python scalars).
    columns = {c: column_values(column_array(frame, c)) for c in [*fields, "system", "source_key", "version", "updated_at"]}
    filled = [(f, [not _empty(v) for v in columns[f]], columns[f]) for f in fields]
    out = {}
    validate = MemberRecord.model_validate
    for i, (rid, system, source_key, version, updated_at) in enumerate(
        zip(frame.index.tolist(), columns["system"], columns["source_key"], columns["version"], columns["updated_at"])
    ):
        out[rid] = validate(
            {
                "record_id": rid,
                "system": system,
                "source_key": source_key,
                "version": int(version),
                "updated_at": _aware(updated_at),
                "fields": {f: values[i] for f, keep, values in filled if keep[i]},
            }
        )
    return out


# Types ``maybe_box_native`` leaves as they are.
_NATIVE = frozenset({str, int, float, bool, type(None), pd.Timestamp})


def column_values(series) -> list:
    """``series``' values (a Series, or a column's array: ``framecols.column_array``) as
    ``DataFrame.to_dict("records")`` gives them: as iterating the column gives them, and
    for an object or extension column boxed by ``maybe_box_native``."""
    # A numpy-backed column iterates as its ``tolist`` gives it (Python scalars, Timestamps).
    values = series.tolist() if isinstance(series.dtype, np.dtype) else list(series)
    boxed = series.dtype == object or isinstance(series.dtype, ExtensionDtype)
    if boxed and not _NATIVE.issuperset(map(type, values)):
        values = [maybe_box_native(v) for v in values]
    return values


def build_clusters(
    rules: SurvivorshipRules,
    domain: str,
    frame: pd.DataFrame,
    clusters: Mapping[Hashable, list[int]],
    *,
    now: datetime,
    overrides: Mapping[Hashable, Mapping[str, Override]] | None = None,
) -> Built:
    """label -> (attributes without empty values, lineage per attribute in the stored (compact) form:
    ``mdm.survivorship.lineage.expand`` reads it back)."""
    wanted = member_ids(clusters)
    # An incremental run's frame and a build worker's slice hold just these records, in this order: no copy then.
    same = len(frame) == len(wanted) and frame.index.tolist() == wanted
    frame = frame if same else frame.loc[wanted]
    pinned = overrides or {}
    if len(clusters) < COLUMNAR_MIN_CLUSTERS or not columnar.supports(rules) or len(set(wanted)) < len(wanted):
        return _built_one_by_one(rules, domain, frame, clusters, now, pinned)
    # Clusters with a steward's pins go through the engine; the output keeps the clusters' order.
    plain = {label: ids for label, ids in clusters.items() if label not in pinned}
    rest = {label: ids for label, ids in clusters.items() if label in pinned}
    members = member_columns(domain, frame.loc[member_ids(plain)] if rest else frame, plain.values())
    built = dict(zip(plain, columnar.build(rules, members)))
    if not rest:
        return built
    built.update(_built_one_by_one(rules, domain, frame.loc[member_ids(rest)], rest, now, pinned))
    return {label: built[label] for label in clusters}


# Below this many clusters the engine, one golden record at a time, is as fast.
COLUMNAR_MIN_CLUSTERS = 32


def _built_one_by_one(rules, domain, frame, clusters, now, overrides) -> Built:
    members = member_records(domain, frame)
    out: Built = {}
    for label, ids in clusters.items():
        build = build_golden(rules, [members[r] for r in ids], now=now, overrides=overrides.get(label))
        attributes = {a: v for a, v in build.attributes.items() if not _empty(v)}
        # Lineage of the attributes with a value, and of any a steward pinned (even to empty).
        out[label] = (attributes, build.lineage_stored(only=attributes))
    return out


def member_columns(domain: str, frame: pd.DataFrame, clusters) -> columnar.Members:
    """``frame`` (the clusters' records, cluster after cluster) as ``columnar.Members``."""
    fields = [f for f in CANONICAL_FIELDS[domain] if f in frame.columns]
    updated = frame["updated_at"]
    moments = _json_moments(updated)
    return columnar.Members(
        sizes=np.fromiter(map(len, clusters), dtype=np.int64),
        record_id=frame.index.tolist(),
        system=column_values(frame["system"]),
        source_key=column_values(frame["source_key"]),
        version=[int(v) for v in column_values(frame["version"])],
        updated_at=[_aware(v) for v in column_values(updated)],
        updated_ns=_nanoseconds(updated),
        moments=moments,
        fields={f: column_values(frame[f]) for f in fields},
    )


def _nanoseconds(updated: pd.Series) -> np.ndarray:
    if isinstance(updated.dtype, pd.DatetimeTZDtype):
        return updated.dt.as_unit("ns").array.asi8.copy()
    return np.array([pd.Timestamp(_aware(v)).value for v in column_values(updated)], dtype=np.int64)


def _json_moments(updated: pd.Series) -> list[str]:
    """``updated_at`` as the stored lineage writes it (pydantic's JSON of an aware datetime)."""
    if isinstance(updated.dtype, pd.DatetimeTZDtype) and str(updated.dtype.tz) == "UTC":
        ns = updated.dt.as_unit("ns").array.asi8
        if not (ns % 1000).any():
            text = np.datetime_as_string(ns.view("datetime64[ns]").astype("datetime64[us]"), unit="us")
            return [t[:-7] + "Z" if t.endswith(".000000") else t + "Z" for t in text.tolist()]
    return [_ANY.dump_python(_aware(v), mode="json") for v in column_values(updated)]


_ANY = TypeAdapter(Any)


def member_ids(clusters: Mapping[Hashable, list[int]]) -> list[int]:
    """Every cluster's record ids, cluster by cluster: the frame order ``build_clusters`` takes without a copy."""
    return [rid for ids in clusters.values() for rid in ids]


class NewRecord(NamedTuple):
    """A golden record a bulk write creates, as its builder needs to know it to make its rows."""

    golden_id: str
    correlation_id: str | None
    extra: dict[str, Any]  # more for the event's data ({"split_from": ...})


class Created(NamedTuple):
    """A new golden record's rows, made (encoded) where it was built: the golden row, its first
    version and its event without the event id (the writer mints those, in order)."""

    golden: tuple
    version: tuple
    event: tuple


class Encoded(NamedTuple):
    """A slice of golden records as a bulk write stores them: label -> (attributes, attributes as
    JSON, lineage as JSON, the rows of a new record or None); for a new record the attributes are
    None (its rows hold them), and ``changed`` counts its attributes (all of them are new).

    The JSON is plain ``str``, not ``jsonenc.EncodedJSON``: a slice travels back from a build
    worker pickled, and a str subclass pickles and unpickles as a constructor call per string
    (1.9M of them at a million records: seconds on both sides). ``insert_plain`` stores it as is."""

    golden: dict[Hashable, tuple[dict[str, Any] | None, str, str, Created | None]]
    changed: Counter


def build_encoded(
    rules: SurvivorshipRules,
    domain: str,
    frame: pd.DataFrame,
    clusters: Mapping[Hashable, list[int]],
    *,
    now: datetime,
    overrides: Mapping[Hashable, Mapping[str, Override]] | None = None,
    new: Mapping[Hashable, NewRecord] | None = None,
    stamp: Any = None,
) -> Encoded:
    """``build_clusters`` with attributes and lineage encoded (``jsonenc.dumps``), so the
    text is made once for the golden row and its version, and in the process that built it
    (a build worker's, when a bulk run has them). The clusters in ``new`` get their rows
    made here too (``stamp``: the write's timestamp as the rows store it)."""
    built = build_clusters(rules, domain, frame, clusters, now=now, overrides=overrides)
    new = new or {}
    out: dict = {}
    names: list[str] = []
    source = None
    kind = event_type(domain, "created")
    for label, ids in clusters.items():
        attributes, lineage = built[label]
        stored_attrs, stored_lineage = dumps(attributes), dumps(lineage)
        fresh = new.get(label)
        if fresh is None:
            out[label] = (attributes, stored_attrs, stored_lineage, None)
            continue
        if source is None:
            source = _sources(frame, clusters)
        gid, why = fresh.golden_id, fresh.correlation_id
        xref = [{"system": source[r][0], "source_key": source[r][1]} for r in ids]
        event = outbox_row(domain=domain, change="created", golden_id=gid, version=1,
                           golden=orjson.Fragment(str(stored_attrs)), changed=changed_attributes({}, attributes),
                           xref=xref, now=now, correlation_id=why, extra=fresh.extra, event_id="-")
        names.extend(attributes)
        out[label] = (None, stored_attrs, stored_lineage, Created(
            (gid, domain, 1, "active", None, stored_attrs, stored_lineage, stamp, stamp),
            (gid, 1, "created", stored_attrs, None, dumps(ids), stamp, why),
            (kind, domain, gid, 1, dumps(event["data"]), stamp, why),
        ))
    return Encoded(out, Counter(names))


def _sources(frame: pd.DataFrame, clusters: Mapping[Hashable, list[int]]) -> dict[int, tuple[str, str]]:
    """record id -> (system, source key) of the clusters' records (a slice of ``frame``, which may hold more)."""
    wanted = member_ids(clusters)
    if len(frame) != len(wanted):
        frame = frame.loc[wanted, ["system", "source_key"]]
    systems, keys = column_values(column_array(frame, "system")), column_values(column_array(frame, "source_key"))
    return dict(zip(frame.index.tolist(), zip(systems, keys)))


def pinned_overrides(session: Session, golden_ids: list[str]) -> dict[str, dict[str, Override]]:
    """golden id -> attribute -> the steward override pinned on it."""
    out: dict[str, dict[str, Override]] = {}
    conn = session.connection()
    for start in range(0, len(golden_ids), 900):
        rows = conn.execute(ids_statement(conn, _PINNED), {"ids": golden_ids[start : start + 900]})
        for row in rows:
            out.setdefault(row.golden_id, {})[row.attribute] = Override(
                attribute=row.attribute, value=row.value.get("value"), reason=row.reason, actor=row.actor,
                pinned_at=_aware(row.pinned_at),
            )
    return out


# Built once: every incremental run asks, and most golden records have no override. Plain
# rows of the columns read: loading ORM objects cost more than the query.
_PINNED = ids_statements(lambda ids: select(
    GoldenOverride.golden_id, GoldenOverride.attribute, GoldenOverride.value, GoldenOverride.reason,
    GoldenOverride.actor, GoldenOverride.pinned_at,
).where(ids(GoldenOverride.golden_id), GoldenOverride.unpinned_at.is_(None)))


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or value == "" or value == []
