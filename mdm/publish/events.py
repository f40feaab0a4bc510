"""Outbox rows as CloudEvents 1.0, JSON structured mode.

    {"specversion": "1.0", "id": "<outbox event_id>", "source": "/mdm/customer",
     "type": "mdm.customer.updated", "subject": "<golden id>", "time": "...Z",
     "datacontenttype": "application/json", "version": 3, "sequence": 1042,
     "correlationid": "...", "data": {golden, changed, xref, version, ...}}

`version` (per golden record) and `sequence` (global, for replay) are
integer extension attributes; `correlationid` is left out when unknown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import orjson
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from mdm.publish.policy import change_of

CONTENT_TYPE = JSONFormat.CONTENT_TYPE
SOURCE_PREFIX = "/mdm/"


class OrjsonFormat(JSONFormat):
    """The SDK's JSON structured format with the document encoded by orjson:
    the same members and values (time as RFC 3339 with `Z`), compact and
    UTF-8, at a tenth of the standard library's CPU. Anything but JSON data
    goes through the SDK's own writer."""

    def write(self, event: BaseCloudEvent) -> bytes:
        data = event.get_data()
        document = dict(event.get_attributes())
        if not isinstance(data, dict) or not self.JSON_CONTENT_TYPE_PATTERN.match(
            document.get("datacontenttype", self.DEFAULT_CONTENT_TYPE)
        ):
            return super().write(event)
        document["data"] = data
        return orjson.dumps(document, default=_rfc3339, option=orjson.OPT_PASSTHROUGH_DATETIME)


def _rfc3339(value: Any) -> str:
    # As the SDK writes times: isoformat, with UTC as `Z`.
    if isinstance(value, datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_FORMAT = OrjsonFormat()


def aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def to_cloudevent(row: Any) -> CloudEvent:
    """`row`: an OutboxEvent (or anything with its attributes)."""
    attributes: dict[str, Any] = {
        "id": row.event_id,
        "source": SOURCE_PREFIX + row.domain,
        "type": row.type,
        "subject": row.subject,
        "time": aware(row.created_at),
        "datacontenttype": "application/json",
        "version": row.version,
        "sequence": row.sequence,
    }
    if row.correlation_id:
        attributes["correlationid"] = row.correlation_id
    return CloudEvent(attributes, row.data)


def encode(event: CloudEvent) -> bytes:
    return _FORMAT.write(event)


def decode(body: bytes | str) -> CloudEvent:
    return _FORMAT.read(None, body)


@dataclass(frozen=True)
class OutgoingEvent:
    """An event ready for a sink: what sinks need to address and sign it."""

    sequence: int
    event_id: str
    type: str
    domain: str
    subject: str
    version: int
    created_at: datetime
    body: bytes
    correlation_id: str | None = None

    @property
    def change(self) -> str:
        return change_of(self.type)

    @classmethod
    def of(cls, row: Any) -> OutgoingEvent:
        return cls(
            sequence=row.sequence, event_id=row.event_id, type=row.type, domain=row.domain,
            subject=row.subject, version=row.version, created_at=aware(row.created_at),
            body=encode(to_cloudevent(row)), correlation_id=row.correlation_id,
        )
