"""Outbox rows as CloudEvents: the body is the SDK's JSON structured format."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from cloudevents.core.formats.json import JSONFormat

from mdm.publish.events import OutgoingEvent, decode, encode, to_cloudevent
from mdm.publish.outbox import outbox_row


def row(now: datetime, **golden) -> SimpleNamespace:
    fields = outbox_row(
        domain="customer", change="updated", golden_id="cus-00042", version=3, golden=golden,
        changed={k: {"old": None, "new": v} for k, v in golden.items()},
        xref=[{"system": "CRM", "source_key": "K42"}], now=now, correlation_id="load-7",
    )
    return SimpleNamespace(sequence=1042, **fields)


@pytest.mark.parametrize("now", [
    datetime(2026, 12, 4, 13, 45, 43, 255768, tzinfo=timezone.utc),
    datetime(2026, 12, 4, 13, 45, 43, tzinfo=timezone.utc),  # no fraction of a second
])
def test_the_body_reads_back_as_the_event_the_sdk_writes(now):
    event = to_cloudevent(row(now, name="Zoë Ågren", credit_limit=1500.5, tags=["a", None], active=True))
    ours = decode(encode(event))
    sdk = JSONFormat().read(None, JSONFormat().write(event))
    assert ours.get_attributes() == sdk.get_attributes() == event.get_attributes()
    assert ours.get_data() == sdk.get_data() == event.get_data()


def test_the_time_is_rfc3339_in_utc_with_z():
    body = encode(to_cloudevent(row(datetime(2026, 12, 4, 13, 45, 43, 5, tzinfo=timezone.utc), email="a@b.example")))
    assert b'"time":"2026-12-04T13:45:43.000005Z"' in body


def test_an_outgoing_event_carries_the_ids_receivers_deduplicate_by():
    source = row(datetime.now(timezone.utc), email="a@b.example")
    event = OutgoingEvent.of(source)
    body = decode(event.body)
    assert body.get_id() == event.event_id == source.event_id
    assert body.get_subject() == event.subject == "cus-00042"
    assert body.get_extension("sequence") == 1042 and body.get_extension("version") == 3
    assert body.get_extension("correlationid") == "load-7"
