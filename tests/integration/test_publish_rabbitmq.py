"""Publishing change events to the local RabbitMQ."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import datetime, timezone

import aio_pika
import pytest
from receivers.harness import add_events, amqp_url_or_none, out_of_order

from mdm.publish import subscribers as service
from mdm.publish.dispatcher import DispatcherConfig, run_dispatcher
from mdm.publish.events import OutgoingEvent
from mdm.publish.policy import RetryPolicy, Verdict
from mdm.publish.sinks import SinkFactory

IN_CI = __import__("os").environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="module")
def amqp_url():
    url = amqp_url_or_none()
    if url is None:
        if IN_CI:
            pytest.fail("CI=true but RabbitMQ (MDM_TEST_AMQP_URL) is not reachable")
        pytest.skip("RabbitMQ is not reachable at MDM_TEST_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672/)")
    return url


def subscribe(store, exchange: str, amqp_url: str, **spec) -> None:
    with store.session() as session:
        service.add_subscriber(session, service.SubscriberSpec(
            name="broker", target=service.RabbitMQTarget(exchange=exchange, amqp_url=amqp_url), from_sequence=1, **spec,
        ), now=datetime.now(timezone.utc))


async def publish_and_consume(store, amqp_url: str, exchange_name: str, binding: str, expected: int):
    connection = await aio_pika.connect_robust(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(exchange_name, aio_pika.ExchangeType.TOPIC, auto_delete=True)
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, binding)
        stats = await run_dispatcher(store, stop=asyncio.Event(), config=DispatcherConfig(), once=True)
        messages = []
        async with queue.iterator() as it:
            async for message in it:
                async with message.process():
                    messages.append(message)
                if len(messages) == expected:
                    break
        return stats, messages


def test_events_reach_a_topic_exchange_persistent_and_in_order_per_record(store, amqp_url):
    exchange = f"mdm-test-{uuid.uuid4().hex[:8]}"
    subscribe(store, exchange, amqp_url)
    with store.session() as session:
        rows = add_events(session, 500, subjects=9)
    stats, messages = asyncio.run(publish_and_consume(store, amqp_url, exchange, "mdm.customer.*", 500))
    bodies = [json.loads(m.body) for m in messages]
    assert stats.delivered == 500
    assert sorted(b["id"] for b in bodies) == sorted(r["event_id"] for r in rows)
    assert out_of_order(bodies) == []
    assert {m.routing_key for m in messages} == {"mdm.customer.updated"}
    assert all(m.delivery_mode == aio_pika.DeliveryMode.PERSISTENT for m in messages)
    assert {m.content_type for m in messages} == {"application/cloudevents+json"}
    assert all(m.message_id == b["id"] for m, b in zip(messages, bodies))


def test_a_missing_exchange_is_retried_then_dead_lettered(store, amqp_url):
    subscribe(store, f"mdm-missing-{uuid.uuid4().hex[:8]}", amqp_url, max_attempts=2)
    with store.session() as session:
        add_events(session, 1, subjects=1)
    config = DispatcherConfig(retry=RetryPolicy(base=0.01, cap=0.01))
    for _ in range(50):
        asyncio.run(run_dispatcher(store, stop=asyncio.Event(), config=config, once=True))
        with store.session() as session:
            if dead_letters := service.dead_letters(session, "broker"):
                break
        time.sleep(0.02)
    [dead] = dead_letters
    assert dead.attempts == 2 and "NOT_FOUND" in dead.reason


def test_a_publish_the_broker_refuses_fails_alone_and_the_rest_of_the_round_is_confirmed(amqp_url):
    # A queue that holds 3 messages and nacks further publishes (x-overflow reject-publish).
    async def run():
        connection = await aio_pika.connect_robust(amqp_url)
        async with connection:
            channel = await connection.channel()
            name = f"mdm-test-{uuid.uuid4().hex[:8]}"
            exchange = await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, auto_delete=True)
            queue = await channel.declare_queue(exclusive=True, arguments={"x-max-length": 3, "x-overflow": "reject-publish"})
            await queue.bind(exchange, "#")
            sinks = SinkFactory(amqp_url=amqp_url)
            try:
                sink = await sinks.open("rabbitmq", {"exchange": name, "routing_key": "{type}"}, None)
                first = await sink.send_many([outgoing(i) for i in range(5)])
                await queue.purge()
                again = await sink.send_many([outgoing(i) for i in range(3, 5)])
            finally:
                await sinks.aclose()
            return first, again

    first, again = asyncio.run(run())
    assert [o.verdict for o in first] == [Verdict.DELIVERED] * 3 + [Verdict.RETRY] * 2
    assert all("DeliveryError" in o.reason for o in first[3:])
    assert [o.verdict for o in again] == [Verdict.DELIVERED] * 2


def outgoing(i: int) -> OutgoingEvent:
    return OutgoingEvent(
        sequence=i + 1, event_id=str(uuid.uuid4()), type="mdm.customer.updated", domain="customer",
        subject=f"cus-{i:05d}", version=1, created_at=datetime.now(timezone.utc), body=b'{"specversion": "1.0"}',
    )
