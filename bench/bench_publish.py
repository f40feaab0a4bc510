"""Publishing bench: events per second to RabbitMQ and to a webhook receiver,
and the lag from golden change (outbox created_at) to delivery.

    python bench/bench_publish.py [--events 20000] [--seconds 5]

Uses PostgreSQL from MDM_BENCH_DATABASE_URL (default: the local test
database, in a throw-away schema) and RabbitMQ from MDM_TEST_AMQP_URL.
For each sink: (1) throughput: drain a backlog of --events events; (2) lag:
a separate producer process writes outbox events at the goal rate for
--seconds while the dispatcher runs, and each delivery's lag (broker
confirm or 2xx answer minus created_at) is recorded. Goals on a 2-core
machine: >= 5,000 events/s to RabbitMQ, >= 1,000/s to a webhook, p95 lag < 1 s.

Each run also prints the CPU seconds it cost the dispatcher (this process),
PostgreSQL and the broker (read from /proc when they run on this host) and
the producer, since other work on the machine shares the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import aio_pika
from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from receivers.harness import SECRET, WebhookReceiver, add_events  # noqa: E402

from mdm.publish import subscribers as service  # noqa: E402
from mdm.publish.dispatcher import DispatcherConfig, run_dispatcher  # noqa: E402
from mdm.publish.sinks import SinkFactory  # noqa: E402
from mdm.store import Store  # noqa: E402
from mdm.store.migrate import upgrade  # noqa: E402
from mdm.store.tables import OutboxEvent  # noqa: E402

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
AMQP_URL = os.environ.get("MDM_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


class TimedSinks(SinkFactory):
    """The real sinks, recording each successful delivery's lag."""

    def __init__(self, lags: list[float], **kwargs):
        super().__init__(**kwargs)
        self.lags = lags

    async def open(self, sink_kind, sink, secret):
        inner = await super().open(sink_kind, sink, secret)
        lags = self.lags

        class Timed:
            async def send(self, event):
                outcome = await inner.send(event)
                lags.append((datetime.now(timezone.utc) - event.created_at).total_seconds())
                return outcome

            async def aclose(self):
                await inner.aclose()

        if hasattr(inner, "send_many"):

            class TimedMany(Timed):
                async def send_many(self, events):
                    outcomes = await inner.send_many(events)
                    now = datetime.now(timezone.utc)
                    lags.extend((now - e.created_at).total_seconds() for e in events)
                    return outcomes

            return TimedMany()
        return Timed()


def _server_cpu() -> dict[str, float]:
    """CPU seconds so far of the PostgreSQL and RabbitMQ processes on this host (empty off Linux)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    totals = {"postgres": 0.0, "broker": 0.0}
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        group = "postgres" if name.startswith("postgres") else "broker" if name.startswith("beam") else None
        if group:
            totals[group] += (int(fields[11]) + int(fields[12])) / tick
    return totals


class CpuMeter:
    """CPU seconds spent between start() and stop(): this process (the
    dispatcher), finished child processes (the producer), and the servers."""

    def start(self) -> CpuMeter:
        self._self = resource.getrusage(resource.RUSAGE_SELF)
        self._children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._servers = _server_cpu()
        return self

    def stop(self) -> str:
        me, kids, servers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN), _server_cpu()
        used = {"dispatcher": me.ru_utime + me.ru_stime - self._self.ru_utime - self._self.ru_stime}
        used.update({k: servers[k] - self._servers.get(k, 0.0) for k in servers})
        producer = kids.ru_utime + kids.ru_stime - self._children.ru_utime - self._children.ru_stime
        if producer > 0.01:
            used["producer"] = producer
        return "CPU s: " + ", ".join(f"{k} {v:.2f}" for k, v in used.items())


def fresh_store(base: str) -> tuple[Store, str, callable]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    store = Store.open(url)
    upgrade(store.engine)

    def drop():
        store.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return store, url, drop


def produce(url: str, rate: int, seconds: float, subjects: int) -> None:
    """A separate process writing outbox events at `rate` per second, as a matcher would."""
    store = Store.open(url)
    tick, batch = 0.02, max(1, int(rate * 0.02))
    start = time.monotonic()
    sent = 0
    while (elapsed := time.monotonic() - start) < seconds:
        due = int(rate * elapsed) - sent
        if due > 0:
            with store.session() as session:
                add_events(session, due, subjects=subjects, start_version=sent + 1)
            sent += due
        time.sleep(max(0.0, tick - (time.monotonic() - start - elapsed)) if batch else tick)
    store.close()


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else (values or [0])[0]


async def throughput(store: Store, config: DispatcherConfig, events: int, subjects: int) -> tuple[float, str]:
    with store.session() as session:
        add_events(session, events, subjects=subjects)
    sinks = SinkFactory(amqp_url=AMQP_URL, max_connections=config.concurrency)
    try:
        meter = CpuMeter().start()
        start = time.perf_counter()
        stats = await run_dispatcher(store, stop=asyncio.Event(), config=config, sinks=sinks, once=True)
        elapsed = time.perf_counter() - start
        cpu = meter.stop()
    finally:
        await sinks.aclose()
    assert stats.delivered == events, stats
    return events / elapsed, cpu


async def lag(store: Store, url: str, config: DispatcherConfig, rate: int, seconds: float, subjects: int):
    lags: list[float] = []
    sinks = TimedSinks(lags, amqp_url=AMQP_URL, max_connections=config.concurrency)
    stop = asyncio.Event()
    meter = CpuMeter().start()
    task = asyncio.create_task(run_dispatcher(store, stop=stop, config=config, sinks=sinks))
    producer = multiprocessing.get_context("spawn").Process(target=produce, args=(url, rate, seconds, subjects))
    producer.start()
    await asyncio.to_thread(producer.join)
    with store.session() as session:
        expected = session.execute(select(func.count()).select_from(OutboxEvent)).scalar_one()
    deadline = time.monotonic() + 30
    while len(lags) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    stop.set()
    await task
    cpu = meter.stop()
    await sinks.aclose()
    return len(lags), expected, percentile(lags, 50), percentile(lags, 95), cpu


def subscribe(store: Store, name: str, target) -> None:
    with store.session() as session:
        service.add_subscriber(session, service.SubscriberSpec(name=name, target=target), now=datetime.now(timezone.utc))


def remove(store: Store, name: str) -> None:
    with store.session() as session:
        service.remove_subscriber(session, name)


async def bench_rabbitmq(base: str, events: int, seconds: float, rate: int) -> None:
    connection = await aio_pika.connect_robust(AMQP_URL)
    exchange_name = f"mdm-bench-{uuid.uuid4().hex[:6]}"
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(exchange_name, aio_pika.ExchangeType.TOPIC, auto_delete=True)
        queue = await channel.declare_queue(exclusive=True, arguments={"x-max-length": 1_000_000})
        await queue.bind(exchange, "mdm.#")
        config = DispatcherConfig(batch_size=1000, concurrency=256, poll_interval=0.05)
        for phase in ("throughput", "lag"):
            store, url, drop = fresh_store(base)
            try:
                subscribe(store, "broker", service.RabbitMQTarget(exchange=exchange_name))
                if phase == "throughput":
                    rps, cpu = await throughput(store, config, events, subjects=events // 10)
                    print(f"RabbitMQ  throughput: {rps:,.0f} events/s ({events:,} events, persistent, confirmed); {cpu}")
                else:
                    n, expected, p50, p95, cpu = await lag(store, url, config, rate, seconds, subjects=2000)
                    print(f"RabbitMQ  lag at {rate:,}/s for {seconds:.0f}s: delivered {n:,}/{expected:,}, "
                          f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; {cpu}")
            finally:
                drop()
        await queue.purge()


async def bench_webhook(base: str, events: int, seconds: float, rate: int) -> None:
    # The aiohttp receiver: it verifies every signature at a fraction of uvicorn's CPU per request.
    with tempfile.TemporaryDirectory() as tmp, WebhookReceiver(Path(tmp) / "received.jsonl", server="aiohttp") as receiver:
        config = DispatcherConfig(batch_size=500, concurrency=64, poll_interval=0.05)
        for phase in ("throughput", "lag"):
            store, url, drop = fresh_store(base)
            try:
                subscribe(store, "hook", service.WebhookTarget(url=receiver.url("/ok"), secret=SECRET))
                if phase == "throughput":
                    rps, cpu = await throughput(store, config, events, subjects=events // 10)
                    print(f"webhook   throughput: {rps:,.0f} events/s ({events:,} events, signed, "
                          f"{config.concurrency} concurrent requests, in order per record); {cpu}")
                else:
                    n, expected, p50, p95, cpu = await lag(store, url, config, rate, seconds, subjects=2000)
                    print(f"webhook   lag at {rate:,}/s for {seconds:.0f}s: delivered {n:,}/{expected:,}, "
                          f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; {cpu}")
            finally:
                drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="backlog drained in the throughput runs")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the lag runs")
    parser.add_argument("--rabbitmq-rate", type=int, default=5000)
    parser.add_argument("--webhook-rate", type=int, default=1000)
    parser.add_argument("--only", choices=["rabbitmq", "webhook"])
    args = parser.parse_args()
    base = os.environ.get("MDM_BENCH_DATABASE_URL", DEFAULT_DB)
    print(f"database {base}; {os.cpu_count()} CPUs")
    if args.only in (None, "rabbitmq"):
        asyncio.run(bench_rabbitmq(base, args.events, args.seconds, args.rabbitmq_rate))
    if args.only in (None, "webhook"):
        asyncio.run(bench_webhook(base, args.events // 2, args.seconds, args.webhook_rate))


if __name__ == "__main__":
    main()
