"""The hand-encoded publish frames are byte for byte what aio-pika/pamqp write."""

from __future__ import annotations

import aio_pika
import pytest
from aiormq.abc import ChannelFrame
from pamqp.body import ContentBody
from pamqp.commands import Basic
from pamqp.header import ContentHeader

from mdm.publish.amqp import publish_frames, shortstr

CONTENT_TYPE = "application/cloudevents+json"


def pamqp_bytes(channel: int, exchange: str, key: str, message_id: str, body: bytes, max_body: int) -> bytes:
    message = aio_pika.Message(
        body, content_type=CONTENT_TYPE, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message_id, headers={"ce-id": message_id},
    )
    frames = [Basic.Publish(exchange=exchange, routing_key=key), ContentHeader(0, len(body), message.properties)]
    frames += [ContentBody(body[i : i + max_body]) for i in range(0, len(body), max_body)]
    return ChannelFrame.marshall(channel_number=channel, frames=frames).payload


@pytest.mark.parametrize(("channel", "exchange", "key", "message_id", "body", "max_body"), [
    (1, "mdm-events", "mdm.customer.updated", "1b0e5d1c-6a43-4b43-9c1e-5d0f6b1e2a11", b'{"id": "x"}', 131064),
    (7, "x", "mdm.item.created.itm-00042", "e" * 64, b"y" * 1000, 300),  # body split over 4 frames
    (2, "", "ключ.é", "id-ü", "ÿ".encode() * 10, 131064),  # default exchange, UTF-8 names
    (65535, "a" * 127, "k" * 255, "m", b"", 131064),  # longest names, empty body
])
def test_publish_frames_match_pamqp(channel, exchange, key, message_id, body, max_body):
    ours = publish_frames(channel, shortstr(exchange), key, shortstr(CONTENT_TYPE), message_id, body, max_body)
    assert ours == pamqp_bytes(channel, exchange, key, message_id, body, max_body)


def test_names_longer_than_a_short_string_are_refused():
    with pytest.raises(ValueError):
        shortstr("k" * 256)
