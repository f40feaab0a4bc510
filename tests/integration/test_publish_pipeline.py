"""How many batches a subscriber's worker has in flight: several only while
there is a backlog (each claim came back full), one at a time once caught up
(extra claims would only split the same events into smaller batches). Real
webhook receiver process, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timezone

import pytest
from receivers.harness import SECRET, WebhookReceiver, add_events, out_of_order

from mdm.publish import subscribers as service
from mdm.publish.dispatcher import Dispatcher, DispatcherConfig
from mdm.publish.sinks import SinkFactory


class CountingDispatcher(Dispatcher):
    """Counts claims and the batches claimed but not yet settled."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lock = threading.Lock()
        self.claims = self.in_flight = self.most_in_flight = self.claims_beside_a_batch = 0

    def claim(self, sub):
        with self.lock:
            self.claims_beside_a_batch += self.in_flight > 0
        got = super().claim(sub)
        with self.lock:
            self.claims += 1
            if got:
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
        return got

    def settle(self, sub, claimed, outcomes):
        super().settle(sub, claimed, outcomes)
        with self.lock:
            self.in_flight -= 1


@pytest.fixture(scope="module")
def receiver(tmp_path_factory):
    with WebhookReceiver(tmp_path_factory.mktemp("receiver") / "received.jsonl") as r:
        yield r


def drain(store, receiver, *, events: int, batch_size: int) -> CountingDispatcher:
    receiver.log_path.write_text("")
    with store.session() as session:
        service.add_subscriber(session, service.SubscriberSpec(
            # Each request takes 200 ms, so a batch stays in flight far longer than a claim takes.
            name="crm", target=service.WebhookTarget(url=receiver.url("/slow/200"), secret=SECRET), from_sequence=1,
        ), now=datetime.now(timezone.utc))
        add_events(session, events, subjects=events)
    config = DispatcherConfig(batch_size=batch_size, pipeline=3, concurrency=64, poll_interval=0.02)

    async def main() -> CountingDispatcher:
        sinks = SinkFactory(max_connections=config.concurrency)
        try:
            dispatcher = CountingDispatcher(store, config, sinks)
            await dispatcher.run(asyncio.Event(), once=True)
            return dispatcher
        finally:
            await sinks.aclose()

    dispatcher = asyncio.run(main())
    got = receiver.wait_for(events)
    assert len({r["id"] for r in got}) == events and not out_of_order(got)
    assert dispatcher.stats.delivered == events
    return dispatcher


def test_a_backlog_is_sent_in_overlapping_batches_up_to_the_pipeline(store, receiver):
    dispatcher = drain(store, receiver, events=100, batch_size=20)
    assert dispatcher.most_in_flight == 3
    assert dispatcher.claims_beside_a_batch >= 2


def test_once_caught_up_one_batch_at_a_time(store, receiver):
    dispatcher = drain(store, receiver, events=10, batch_size=20)
    # The claim of 10 was not full: no other claim ran while that batch was out.
    assert (dispatcher.most_in_flight, dispatcher.claims_beside_a_batch) == (1, 0)
    assert dispatcher.claims <= 3
