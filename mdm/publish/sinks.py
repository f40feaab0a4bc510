"""Where events go: a webhook or a RabbitMQ exchange, behind one narrow interface.

A sink sends one event and says how it went (`Outcome`); it never raises for
a failed delivery. `SinkFactory` opens the sink a subscriber's row describes
and shares HTTP and AMQP connections between subscribers.

Webhooks go through aiohttp (a pooled keep-alive client; much less CPU per
request than httpx). RabbitMQ takes a round of events at once (`send_many`,
at most one per golden record): one socket write for all of them, then each
waits for its own publisher confirm, so a batch costs a round trip to the
broker rather than one per event."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import datetime, timezone
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import aio_pika
import aiohttp
from standardwebhooks import Webhook

from mdm.publish import amqp
from mdm.publish.events import CONTENT_TYPE, OutgoingEvent
from mdm.publish.policy import DELIVERED, Outcome, Verdict, classify_http, routing_key

# Connect within 5 s, then no more than 10 s without a byte, 30 s in all.
DEFAULT_HTTP_TIMEOUT = aiohttp.ClientTimeout(total=30.0, sock_connect=5.0, sock_read=10.0)
CONFIRM_TIMEOUT = 30.0
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
USER_AGENT = "mdm-hub-dispatcher"


class Sink(Protocol):
    """May also offer `send_many(events) -> list[Outcome]`: the events go
    together (at most one per golden record) and each is judged on its own."""

    async def send(self, event: OutgoingEvent) -> Outcome: ...

    async def aclose(self) -> None: ...


def signed_headers(signer: Webhook, event: OutgoingEvent, now: datetime) -> dict[str, str]:
    """Standard Webhooks headers; webhook-id is the event id, the same on every retry."""
    return {
        "content-type": CONTENT_TYPE,
        "webhook-id": event.event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signer.sign(msg_id=event.event_id, timestamp=now, data=event.body.decode()),
    }


class WebhookSink:
    """POSTs the structured CloudEvent, signed per Standard Webhooks, with the
    change's correlation id (if any) as X-Correlation-ID."""

    def __init__(
        self, client: Callable[[], aiohttp.ClientSession], url: str, secret: str, *, headers: dict[str, str] | None = None,
    ):
        self._client = client
        self._url = url
        self._signer = Webhook(secret)
        self._headers = headers or {}

    async def send(self, event: OutgoingEvent) -> Outcome:
        now = datetime.now(timezone.utc)
        headers = {**self._headers, **signed_headers(self._signer, event, now)}
        if event.correlation_id:
            headers["x-correlation-id"] = event.correlation_id
        try:
            async with self._client().post(self._url, data=event.body, headers=headers, allow_redirects=False) as response:
                # Read the answer so the connection goes back to the pool.
                await response.read()
                status, retry_after = response.status, response.headers.get("retry-after")
        except asyncio.TimeoutError:
            return Outcome(Verdict.RETRY, f"timeout posting to {self._url}")
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return Outcome(Verdict.RETRY, f"cannot reach {self._url}: {type(exc).__name__}: {exc}")
        return classify_http(status, retry_after, now)

    async def aclose(self) -> None:
        """The client is shared; the factory closes it."""


class RabbitMQSink:
    """Publishes persistent messages with publisher confirms to an existing exchange.

    `send_many` writes all its publishes to the channel at once (delivery
    tags in that order) and then waits for their confirms, each judged on
    its own: a nack, a closed channel or a timeout fails only the publishes
    it concerns. Without the aiormq internals this relies on, it falls back
    to one `exchange.publish` per event."""

    def __init__(
        self, connect: Callable[[], Awaitable[aio_pika.abc.AbstractConnection]], exchange: str, routing_key_pattern: str,
    ):
        self._connect = connect
        self._exchange_name = exchange
        self._pattern = routing_key_pattern
        self._channel: aio_pika.abc.AbstractChannel | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._opening = asyncio.Lock()

    async def _open(self) -> aio_pika.abc.AbstractExchange:
        if self._exchange is not None and self._channel is not None and not self._channel.is_closed:
            return self._exchange
        async with self._opening:
            if self._exchange is None or self._channel is None or self._channel.is_closed:
                if self._channel is not None and not self._channel.is_closed:
                    await self._channel.close()
                connection = await self._connect()
                self._channel = await connection.channel(publisher_confirms=True)
                # Passive: the exchange belongs to the subscribing side.
                self._exchange = await self._channel.get_exchange(self._exchange_name, ensure=True)
            return self._exchange

    def _key(self, event: OutgoingEvent) -> str:
        return routing_key(self._pattern, domain=event.domain, change=event.change, subject=event.subject, type=event.type)

    def _failed(self, exc: BaseException) -> Outcome:
        if self._channel is None or self._channel.is_closed:
            self._exchange = None  # open a new channel next time
        return Outcome(Verdict.RETRY, f"RabbitMQ exchange {self._exchange_name}: {type(exc).__name__}: {exc}")

    async def send(self, event: OutgoingEvent) -> Outcome:
        [outcome] = await self.send_many([event])
        return outcome

    async def send_many(self, events: Sequence[OutgoingEvent]) -> list[Outcome]:
        """Publish `events` together and wait for every confirm; one outcome
        per event, in order. Callers put at most one event per golden record
        in a call, so no event depends on another's confirm."""
        if not events:
            return []
        try:
            exchange = await self._open()
            raw = await self._underlay()
            if raw is None:
                return list(await asyncio.gather(*(self._publish_one(exchange, e) for e in events)))
            closed = raw.create_future()  # aiormq fails it when the channel or its connection closes
            try:
                slots = await self._write(raw, events)
                await _confirmed([c for c in slots if isinstance(c, asyncio.Future)], closed, CONFIRM_TIMEOUT)
            finally:
                if not closed.done():
                    closed.cancel()
        except _AMQP_FAILURES as exc:
            return [self._failed(exc)] * len(events)
        lost = closed.exception() if closed.done() and not closed.cancelled() else None
        outcomes = []
        for confirmation in slots:
            if isinstance(confirmation, Outcome):
                outcomes.append(confirmation)
            elif not confirmation.done():
                confirmation.cancel()
                outcomes.append(self._failed(lost or asyncio.TimeoutError(f"no confirm within {CONFIRM_TIMEOUT:.0f} s")))
            elif confirmation.cancelled():
                outcomes.append(self._failed(asyncio.CancelledError("publish cancelled")))
            elif (exc := confirmation.exception()) is not None:
                outcomes.append(self._failed(exc))
            else:
                outcomes.append(DELIVERED)
        return outcomes

    async def _publish_one(self, exchange: aio_pika.abc.AbstractExchange, event: OutgoingEvent) -> Outcome:
        try:
            await exchange.publish(
                aio_pika.Message(
                    event.body, content_type=CONTENT_TYPE, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    message_id=event.event_id, headers={"ce-id": event.event_id},
                ),
                routing_key=self._key(event),
                timeout=CONFIRM_TIMEOUT,
            )
        except _AMQP_FAILURES as exc:
            return self._failed(exc)
        return DELIVERED

    async def _underlay(self) -> Any | None:
        """The aiormq channel, when it offers what batched writes need."""
        get = getattr(self._channel, "get_underlay_channel", None)
        if get is None or not _BATCHED:
            return None
        raw = await get()
        if not all(hasattr(raw, name) for name in _AIORMQ_CHANNEL):
            return None
        _resolve_confirms_in_order(raw)
        return raw

    async def _write(self, raw: Any, events: Sequence[OutgoingEvent]) -> list[asyncio.Future | Outcome]:
        """Write the publishes as one buffer, each confirmation registered
        under its delivery tag, under the channel's publish lock as aiormq's
        own basic_publish does. An event that cannot be encoded (a routing
        key over 255 bytes) is not written: its outcome is dead at once."""
        slots: list[asyncio.Future | Outcome] = []
        exchange, content_type = amqp.shortstr(self._exchange_name), amqp.shortstr(CONTENT_TYPE)
        async with raw.lock:
            if raw.is_closed:
                raise aio_pika.exceptions.ChannelInvalidStateError(f"channel {raw.number} is closed")
            first_tag = raw.delivery_tag + 1
            chunks: list[bytes] = []
            for event in events:
                try:
                    chunks.append(amqp.publish_frames(
                        raw.number, exchange, self._key(event), content_type, event.event_id, event.body,
                        raw.max_content_size,
                    ))
                except ValueError as exc:
                    slots.append(Outcome(Verdict.DEAD, f"RabbitMQ exchange {self._exchange_name}: {exc}"))
                    continue
                raw.delivery_tag += 1
                # A bare future: the caller's `closed` stands for all of them when the channel goes.
                confirmation = raw.loop.create_future()
                raw.confirmations[raw.delivery_tag] = confirmation
                slots.append(confirmation)
            if chunks:
                try:
                    await raw.write_queue.put(_ChannelFrame(payload=b"".join(chunks), should_close=False))
                except BaseException:
                    # Not written: the broker never numbered these, so neither do we.
                    for tag in range(first_tag, raw.delivery_tag + 1):
                        raw.confirmations.pop(tag, None)
                    raw.delivery_tag = first_tag - 1
                    raise
        return slots

    async def aclose(self) -> None:
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()


_AMQP_FAILURES = (aio_pika.exceptions.AMQPError, asyncio.TimeoutError, ConnectionError, OSError)


async def _confirmed(confirmations: list[asyncio.Future], closed: asyncio.Future, timeout: float) -> None:
    """Until every confirmation is settled, `closed` is, or `timeout` passes."""
    if not confirmations:
        return
    loop = asyncio.get_running_loop()
    settled = loop.create_future()
    left = len(confirmations)

    def one(_: asyncio.Future) -> None:
        nonlocal left
        left -= 1
        if not left and not settled.done():
            settled.set_result(None)

    for confirmation in confirmations:
        confirmation.add_done_callback(one)
    try:
        await asyncio.wait((settled, closed), timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        settled.cancel()


def _resolve_confirms_in_order(raw: Any) -> None:
    """Replace aiormq's handler of publisher confirms on this channel with
    one that takes the settled publishes off the front of its ordered
    `confirmations`. aiormq's handler scans every outstanding confirmation
    for each ack frame and schedules a callback per delivery tag, which with
    thousands in flight costs more CPU than the publishing itself. Same
    results: an ack resolves, a nack fails with DeliveryError, `multiple`
    settles every tag up to the frame's."""
    confirmations = raw.confirmations
    if getattr(raw, "_mdm_confirms_in_order", False) or not isinstance(confirmations, OrderedDict):
        return

    def settle(confirmation: Any, frame: Any) -> None:
        if not isinstance(confirmation, asyncio.Future) or confirmation.done():
            return  # a returned message, or a publish given up on
        if isinstance(frame, _Ack):
            confirmation.set_result(frame)
        else:
            confirmation.set_exception(_DeliveryError(None, frame))

    async def on_confirm_frame(frame: Any) -> None:
        tag = frame.delivery_tag
        if not getattr(frame, "multiple", False):
            if (confirmation := confirmations.pop(tag, None)) is not None:
                settle(confirmation, frame)
            return
        while confirmations:
            first = next(iter(confirmations))
            if first > tag:
                break
            settle(confirmations.pop(first), frame)

    raw._on_confirm_frame = on_confirm_frame
    raw._mdm_confirms_in_order = True

# What RabbitMQSink's batched writes use of aiormq (present in aiormq 6.8 and 7).
_AIORMQ_CHANNEL = ("lock", "delivery_tag", "confirmations", "write_queue", "number", "create_future", "is_closed",
                   "max_content_size", "loop", "_on_confirm_frame")
try:
    from aiormq.abc import ChannelFrame as _ChannelFrame
    from aiormq.exceptions import DeliveryError as _DeliveryError
    from pamqp.commands import Basic

    _Ack = Basic.Ack

    _ChannelFrame(payload=b"", should_close=False)
    _BATCHED = True
except (ImportError, TypeError):  # pragma: no cover - another aiormq: publish one by one
    _BATCHED = False


class SinkFactory:
    """Opens sinks for subscriber rows; one HTTP client and one AMQP
    connection per broker URL, shared by every subscriber."""

    def __init__(
        self, *, amqp_url: str = DEFAULT_AMQP_URL, http_timeout: aiohttp.ClientTimeout = DEFAULT_HTTP_TIMEOUT,
        max_connections: int = 100, worker_id: str = "",
    ):
        self._amqp_url = amqp_url
        self._http_timeout = http_timeout
        self._max_connections = max_connections
        # Made on first use, inside the running event loop.
        self._client: aiohttp.ClientSession | None = None
        self._headers = {"user-agent": f"{USER_AGENT}/{worker_id}" if worker_id else USER_AGENT}
        self._connections: dict[str, aio_pika.abc.AbstractRobustConnection] = {}
        self._connecting = asyncio.Lock()

    async def open(self, sink_kind: str, sink: dict[str, Any], secret: str | None) -> Sink:
        if sink_kind == "webhook":
            return WebhookSink(self._http, sink["url"], secret or "", headers=self._headers)
        if sink_kind == "rabbitmq":
            url = sink.get("amqp_url") or self._amqp_url
            return RabbitMQSink(lambda: self._connection(url), sink["exchange"], sink["routing_key"])
        raise ValueError(f"unknown sink kind {sink_kind!r}")

    def _http(self) -> aiohttp.ClientSession:
        if self._client is None or self._client.closed:
            self._client = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections, limit_per_host=self._max_connections),
                timeout=self._http_timeout,
                # Our own user-agent goes with every request; no cookies between requests.
                skip_auto_headers=("User-Agent",),
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._client

    async def _connection(self, url: str) -> aio_pika.abc.AbstractConnection:
        async with self._connecting:
            connection = self._connections.get(url)
            if connection is None or connection.is_closed:
                connection = self._connections[url] = await aio_pika.connect_robust(url, timeout=10)
            return connection

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
        for connection in self._connections.values():
            await connection.close()
        self._connections.clear()
