"""The change dispatcher: routes outbox events into subscriber queues and
sends them through each subscriber's sink.

    stop = asyncio.Event()
    await run_dispatcher(store, stop=stop)             # until stop is set
    await run_dispatcher(store, stop=stop, once=True)  # drain what is due, return

Each subscriber has its own worker task, queue and cursor, so a slow or
failing subscriber never holds back another. A worker claims a batch, sends
each golden record's events one after the other and different records
concurrently, then settles the batch (delete, retry later, dead-letter, or
pause the subscriber) by the policy in `mdm.publish.policy`. With a
backlog, several batches of a subscriber may be in flight at once
(`pipeline`): a claim never takes an event whose record still has an
earlier one pending, in flight or not, so batches cannot overtake each
other within a record."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from mdm.publish import queue
from mdm.publish.policy import Outcome, RetryPolicy, Verdict, chains, decide
from mdm.publish.sinks import DEFAULT_AMQP_URL, Sink, SinkFactory
from mdm.publish.subscribers import pause_by_id
from mdm.store import Store
from mdm.store.publishing_tables import Subscriber

log = logging.getLogger("mdm.publish")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class DispatcherConfig:
    batch_size: int = 500
    poll_interval: float = 0.1
    # A claim not settled by then (the dispatcher died) goes back to the queue.
    lease_seconds: float = 60.0
    # Webhook requests in flight per subscriber, across different golden records.
    concurrency: int = 64
    # RabbitMQ publishes written together and awaiting their confirms (one
    # event per golden record at a time; more records wait for the next round).
    confirm_window: int = 5000
    # Claimed batches of one subscriber being sent at the same time.
    pipeline: int = 3
    route_limit: int = 5000
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    amqp_url: str = DEFAULT_AMQP_URL
    worker_id: str = field(default_factory=default_worker_id)


@dataclass
class DispatchStats:
    delivered: int = 0
    retried: int = 0
    dead_lettered: int = 0
    paused: int = 0


@dataclass(frozen=True)
class SubscriberView:
    """What a worker needs of a subscriber row; a change restarts the worker."""

    id: int
    name: str
    status: str
    sink_kind: str
    sink: tuple
    secret: str | None
    max_attempts: int

    @classmethod
    def of(cls, sub: Subscriber) -> SubscriberView:
        return cls(sub.id, sub.name, sub.status, sub.sink_kind, tuple(sorted(sub.sink.items())), sub.secret,
                   sub.max_attempts)


class Dispatcher:
    def __init__(
        self, store: Store, config: DispatcherConfig, sinks: SinkFactory, *,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.store = store
        self.config = config
        self.sinks = sinks
        self.clock = clock
        self.stats = DispatchStats()
        # Set when routing queued new events, so idle workers claim at once.
        self._wakers: dict[int, asyncio.Event] = {}

    # --- store side (runs in worker threads) ---------------------------------

    def route_all(self) -> tuple[list[SubscriberView], int]:
        """Route new events for every subscriber (paused ones too, so a resume
        delivers what happened meanwhile); returns the subscribers and how
        many outbox rows were consumed."""
        consumed = 0
        with self.store.session() as session:
            subs = [SubscriberView.of(s) for s in session.execute(select(Subscriber).order_by(Subscriber.id)).scalars()]
            session.rollback()
            for sub in subs:
                consumed += queue.route(session, sub.id, self.clock(), self.config.route_limit)
        return subs, consumed

    def claim(self, sub: SubscriberView) -> list[queue.Claimed]:
        """Route what is new for this subscriber, then claim: an event goes
        from the outbox to a claim without waiting for the routing loop."""
        with self.store.session() as session:
            queue.route(session, sub.id, self.clock(), self.config.route_limit)
            return queue.claim(
                session, sub.id, owner=self.config.worker_id, now=self.clock(),
                lease=self.config.lease_seconds, limit=self.config.batch_size,
            )

    def settle(self, sub: SubscriberView, claimed: list[queue.Claimed], outcomes: dict[int, Outcome]) -> None:
        now, owner = self.clock(), self.config.worker_id
        delivered, untouched = [], []
        pause_reason = None
        with self.store.session() as session:
            for item in claimed:
                attempts = item.attempts + 1
                decision = decide(outcomes.get(item.delivery_id), attempts, sub.max_attempts, self.config.retry)
                if decision.action == "delete":
                    delivered.append(item)
                elif decision.action == "retry":
                    queue.reschedule(session, item, owner, at=now + timedelta(seconds=decision.delay), error=decision.reason)
                    self.stats.retried += 1
                    log.info("%s: event %s (seq %d) failed (%s), retry %d in %.1fs", sub.name, item.event.event_id,
                             item.event.sequence, decision.reason, attempts, decision.delay)
                elif decision.action == "dead":
                    queue.dead_letter(session, item, owner, attempts=attempts, now=now, error=decision.reason)
                    self.stats.dead_lettered += 1
                    log.warning("%s: event %s (seq %d) dead-lettered: %s", sub.name, item.event.event_id,
                                item.event.sequence, decision.reason)
                else:
                    untouched.append(item)
                    if decision.action == "pause":
                        pause_reason = decision.reason
            queue.complete(session, sub.id, delivered, now)
            queue.release(session, untouched, owner)
            if pause_reason:
                pause_by_id(session, sub.id, now=now, reason=pause_reason)
                self.stats.paused += 1
                log.warning("%s: paused: %s", sub.name, pause_reason)
            session.commit()
        self.stats.delivered += len(delivered)

    # --- sending -----------------------------------------------------------

    async def send(
        self, sink: Sink, claimed: list[queue.Claimed], gate: asyncio.Semaphore | None = None,
    ) -> dict[int, Outcome]:
        """Each golden record's events in order; different records concurrently.
        A record's chain stops at its first failure so nothing overtakes it."""
        outcomes: dict[int, Outcome] = {}
        by_record = chains(claimed, lambda c: c.event.subject)
        send_many = getattr(sink, "send_many", None)
        if send_many is not None:
            # In rounds: every record's next event together, then the events
            # after those that were delivered.
            position = [0] * len(by_record)
            going = list(range(len(by_record)))
            window = max(1, self.config.confirm_window)
            while going:
                heads = [by_record[i][position[i]] for i in going]
                results: list[Outcome] = []
                for start in range(0, len(heads), window):
                    results += await send_many([h.event for h in heads[start : start + window]])
                still = []
                for i, item, outcome in zip(going, heads, results, strict=True):
                    outcomes[item.delivery_id] = outcome
                    position[i] += 1
                    if outcome.verdict is Verdict.DELIVERED and position[i] < len(by_record[i]):
                        still.append(i)
                going = still
            return outcomes
        gate = gate or asyncio.Semaphore(self.config.concurrency)

        async def chain(items: list[queue.Claimed]) -> None:
            for item in items:
                async with gate:
                    outcome = await sink.send(item.event)
                outcomes[item.delivery_id] = outcome
                if outcome.verdict is not Verdict.DELIVERED:
                    return

        await asyncio.gather(*(chain(c) for c in by_record))
        return outcomes

    async def send_and_settle(
        self, sub: SubscriberView, sink: Sink, claimed: list[queue.Claimed], gate: asyncio.Semaphore,
    ) -> int:
        try:
            outcomes = await self.send(sink, claimed, gate)
        except BaseException:
            # Not judged: hand the leases back (what was sent goes again, same ids).
            await asyncio.shield(asyncio.to_thread(self.settle, sub, claimed, {}))
            raise
        await asyncio.to_thread(self.settle, sub, claimed, outcomes)
        return len(claimed)

    async def deliver(self, sub: SubscriberView, sink: Sink, halt: asyncio.Event | None) -> int:
        """Claim, send and settle batches until nothing is due (halt None) or
        until halted. One claim runs at a time; another batch is claimed while
        earlier ones are in flight only when the last claim came back full (a
        backlog), up to `pipeline` batches, each in its own lane (claim, send,
        settle). Caught up, lanes would only split the same events into more,
        smaller batches, and their claims cost the CPU that delivery needs.
        Claims take disjoint rows (SKIP LOCKED) and cannot overtake one
        another, since a batch being claimed or in flight is still pending and
        so holds back later events of its records until it is settled."""
        total = 0
        gate = asyncio.Semaphore(self.config.concurrency)
        lanes: set[asyncio.Task] = set()
        wake = self._wakers.setdefault(sub.id, asyncio.Event())
        settles = 0  # batches settled so far; a claim that found nothing waits for the next
        starved_at: int | None = None
        claiming = False
        backlog = True  # the last claim took a whole batch: more may be due now
        claimed_one = asyncio.Event()

        async def lane() -> tuple[int, int]:
            nonlocal claiming, backlog
            before = settles
            claiming = True
            try:
                claimed = await asyncio.to_thread(self.claim, sub)
            finally:
                claiming = False
                claimed_one.set()
            backlog = len(claimed) >= self.config.batch_size
            if not claimed:
                return 0, before
            return await self.send_and_settle(sub, sink, claimed, gate), before

        try:
            while True:
                halted = halt is not None and halt.is_set()
                if (
                    not halted and starved_at is None and not claiming and (backlog or not lanes)
                    and len(lanes) < max(1, self.config.pipeline)
                ):
                    wake.clear()
                    claimed_one.clear()
                    lanes.add(asyncio.create_task(lane()))
                    # Let this claim start before the loop looks again.
                    await asyncio.sleep(0)
                    continue
                if lanes:
                    claim_done = asyncio.create_task(claimed_one.wait())
                    done, _ = await asyncio.wait({*lanes, claim_done}, return_when=asyncio.FIRST_COMPLETED)
                    claim_done.cancel()
                    for task in done & lanes:
                        lanes.discard(task)
                        sent, before = task.result()
                        if sent:
                            total += sent
                            settles += 1
                            starved_at = None
                        elif settles == before:
                            # Nothing claimable now; more may be after the next settle.
                            starved_at = settles
                    claimed_one.clear()
                    continue
                if halted or halt is None:
                    return total
                await wait_any((halt, wake), self.config.poll_interval)
                starved_at = None
                backlog = True
        except BaseException:
            # Let the batches in flight finish and settle before giving up.
            await asyncio.gather(*lanes, return_exceptions=True)
            raise

    # --- loops ---------------------------------------------------------------

    async def serve(self, sub: SubscriberView, halt: asyncio.Event) -> None:
        """One subscriber's worker: claim, send, settle, until halted."""
        sink = await self.sinks.open(sub.sink_kind, dict(sub.sink), sub.secret)
        try:
            while not halt.is_set():
                try:
                    await self.deliver(sub, sink, halt)
                except Exception:
                    # The store is unreachable or the like: leases return the batch.
                    log.exception("%s: delivery failed", sub.name)
                    await wait_for(halt, max(1.0, self.config.poll_interval))
        finally:
            await sink.aclose()

    async def drain(self, sub: SubscriberView) -> int:
        sink = await self.sinks.open(sub.sink_kind, dict(sub.sink), sub.secret)
        try:
            return await self.deliver(sub, sink, None)
        finally:
            await sink.aclose()

    async def run(self, stop: asyncio.Event, once: bool = False) -> DispatchStats:
        workers: dict[SubscriberView, tuple[asyncio.Event, asyncio.Task]] = {}
        try:
            while not stop.is_set():
                try:
                    subs, consumed = await asyncio.to_thread(self.route_all)
                except Exception:
                    log.exception("routing failed")
                    await wait_for(stop, max(1.0, self.config.poll_interval))
                    continue
                active = [s for s in subs if s.status == "active"]
                if once:
                    # Queue everything there is first, so the drain runs in one go.
                    routed = consumed
                    while routed and not stop.is_set():
                        subs, routed = await asyncio.to_thread(self.route_all)
                        consumed += routed
                    active = [s for s in subs if s.status == "active"]
                    sent = sum(await asyncio.gather(*(self.drain(s) for s in active)))
                    if not consumed and not sent:
                        break
                    continue
                for sub in [s for s in workers if s not in active]:
                    halt, task = workers.pop(sub)
                    halt.set()
                    await task
                for sub in active:
                    if sub not in workers or workers[sub][1].done():
                        halt = asyncio.Event()
                        workers[sub] = (halt, asyncio.create_task(self.serve(sub, halt), name=f"subscriber {sub.name}"))
                if consumed:
                    # Busy workers route for themselves as they claim; idle ones start now.
                    for waker in self._wakers.values():
                        waker.set()
                await wait_for(stop, self.config.poll_interval)
        finally:
            for halt, _ in workers.values():
                halt.set()
            await asyncio.gather(*(task for _, task in workers.values()), return_exceptions=True)
        return self.stats


async def wait_for(event: asyncio.Event, timeout: float) -> None:
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except asyncio.TimeoutError:
        pass


async def wait_any(events: tuple[asyncio.Event, ...], timeout: float) -> None:
    """Until one of `events` is set or `timeout` seconds have passed."""
    if any(e.is_set() for e in events):
        return
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()


async def run_dispatcher(
    store: Store, *, stop: asyncio.Event, config: DispatcherConfig | None = None, sinks: SinkFactory | None = None,
    once: bool = False, clock: Callable[[], datetime] = utcnow,
) -> DispatchStats:
    """Run the dispatcher until `stop` is set (or, with `once`, until nothing
    is due). `mdm publish` and `mdm serve --with-publisher` both call this."""
    config = config or DispatcherConfig()
    own_sinks = sinks is None
    sinks = sinks or SinkFactory(amqp_url=config.amqp_url, max_connections=config.concurrency, worker_id=config.worker_id)
    try:
        return await Dispatcher(store, config, sinks, clock=clock).run(stop, once)
    finally:
        if own_sinks:
            await sinks.aclose()
