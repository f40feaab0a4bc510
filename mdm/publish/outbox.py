"""Outbox rows: change events written in the same transaction as the change.

The dispatcher turns a row into a CloudEvent when it sends it; the row's
`event_id` is the CloudEvent id, so a retry carries the same id."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

CHANGE_TYPES = ("created", "updated", "merged", "split", "deleted")


def event_type(domain: str, change: str) -> str:
    if change not in CHANGE_TYPES:
        raise ValueError(f"unknown change type {change!r}")
    return f"mdm.{domain}.{change}"


def outbox_row(
    *,
    domain: str,
    change: str,
    golden_id: str,
    version: int,
    golden: dict[str, Any],
    changed: dict[str, dict[str, Any]],
    xref: list[dict[str, str]],
    now: datetime,
    correlation_id: str | None,
    extra: dict[str, Any] | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """The outbox row of one change; ``event_id`` a pre-minted id (``mdm.ids.new_event_ids``), else a UUID4."""
    data = {
        "golden_id": golden_id,
        "domain": domain,
        "version": version,
        "golden": golden,
        "changed": changed,
        "xref": xref,
        "correlation_id": correlation_id,
        **(extra or {}),
    }
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "type": event_type(domain, change),
        "domain": domain,
        "subject": golden_id,
        "version": version,
        "data": data,
        "created_at": now,
        "correlation_id": correlation_id,
    }


def changed_attributes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Attribute -> {old, new} for every attribute whose value differs."""
    if not old:  # a new golden record: every attribute it has
        return {key: {"old": None, "new": new[key]} for key in sorted(new) if None != new[key]}  # noqa: E711
    return {
        key: {"old": old.get(key), "new": new.get(key)}
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    }
