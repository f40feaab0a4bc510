"""Golden attributes and lineage from member source records, by the
domain's survivorship rules (mdm.survivorship does the deciding)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import datetime, timezone
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from mdm.models.fields import CANONICAL_FIELDS
from mdm.store.tables import GoldenOverride
from mdm.survivorship import MemberRecord, Override, SurvivorshipRules, build_golden

Built = dict[Hashable, tuple[dict[str, Any], dict[str, Any]]]


def member_records(domain: str, frame: pd.DataFrame) -> dict[int, MemberRecord]:
    fields = [f for f in CANONICAL_FIELDS[domain] if f in frame.columns]
    out = {}
    for rid, row in zip(frame.index.tolist(), frame[[*fields, "system", "source_key", "version", "updated_at"]].to_dict("records")):
        out[rid] = MemberRecord(
            record_id=rid,
            system=row["system"],
            source_key=row["source_key"],
            version=int(row["version"]),
            updated_at=_aware(row["updated_at"]),
            fields={f: row[f] for f in fields if not _empty(row[f])},
        )
    return out


def build_clusters(
    rules: SurvivorshipRules,
    domain: str,
    frame: pd.DataFrame,
    clusters: Mapping[Hashable, list[int]],
    *,
    now: datetime,
    overrides: Mapping[Hashable, Mapping[str, Override]] | None = None,
) -> Built:
    """label -> (attributes without empty values, lineage per attribute)."""
    members = member_records(domain, frame.loc[[rid for ids in clusters.values() for rid in ids]])
    out: Built = {}
    for label, ids in clusters.items():
        build = build_golden(rules, [members[r] for r in ids], now=now, overrides=(overrides or {}).get(label))
        lineage = build.lineage_json()
        attributes = {a: v for a, v in build.attributes.items() if not _empty(v)}
        out[label] = (attributes, {a: lineage[a] for a in lineage if a in attributes or lineage[a].get("override")})
    return out


def pinned_overrides(session: Session, golden_ids: list[str]) -> dict[str, dict[str, Override]]:
    """golden id -> attribute -> the steward override pinned on it."""
    out: dict[str, dict[str, Override]] = {}
    for start in range(0, len(golden_ids), 900):
        rows = session.execute(
            select(GoldenOverride).where(
                GoldenOverride.golden_id.in_(golden_ids[start : start + 900]), GoldenOverride.unpinned_at.is_(None)
            )
        ).scalars()
        for row in rows:
            out.setdefault(row.golden_id, {})[row.attribute] = Override(
                attribute=row.attribute, value=row.value.get("value"), reason=row.reason, actor=row.actor,
                pinned_at=_aware(row.pinned_at),
            )
    return out


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or value == "" or value == []
