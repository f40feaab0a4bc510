"""Where events go: a webhook or a RabbitMQ exchange, behind one narrow interface.

A sink sends one event and says how it went (`Outcome`); it never raises for
a failed delivery. `SinkFactory` opens the sink a subscriber's row describes
and shares HTTP and AMQP connections between subscribers.

Webhooks go through aiohttp (a pooled keep-alive client; much less CPU per
request than httpx). RabbitMQ publishes that are issued together (one per
golden record of a batch) go out in one socket write and are confirmed
independently, so a batch costs one round trip to the broker instead of one
per event; each `send` still waits for its own publisher confirm."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import aio_pika
import aiohttp
from standardwebhooks import Webhook

from mdm.publish.events import CONTENT_TYPE, OutgoingEvent
from mdm.publish.policy import DELIVERED, Outcome, Verdict, classify_http, routing_key

log = logging.getLogger("mdm.publish")

# Connect within 5 s, then no more than 10 s without a byte, 30 s in all.
DEFAULT_HTTP_TIMEOUT = aiohttp.ClientTimeout(total=30.0, sock_connect=5.0, sock_read=10.0)
CONFIRM_TIMEOUT = 30.0
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
USER_AGENT = "mdm-hub-dispatcher"


class Sink(Protocol):
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

    Publishes issued in the same turn of the event loop are written to the
    channel together (delivery tags in that order) and each waits for its
    own confirm; a nack, a closed channel or a timeout fails only the
    publishes it concerns. Without the aiormq internals this relies on, it
    falls back to one `exchange.publish` per event."""

    def __init__(
        self, connect: Callable[[], Awaitable[aio_pika.abc.AbstractConnection]], exchange: str, routing_key_pattern: str,
    ):
        self._connect = connect
        self._exchange_name = exchange
        self._pattern = routing_key_pattern
        self._channel: aio_pika.abc.AbstractChannel | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._opening = asyncio.Lock()
        # (routing key, message, confirmation) waiting for the next write.
        self._pending: list[tuple[str, aio_pika.Message, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

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

    async def _underlay(self) -> Any | None:
        """The aiormq channel, when it offers what batched writes need."""
        get = getattr(self._channel, "get_underlay_channel", None)
        if get is None:
            return None
        raw = await get()
        if all(hasattr(raw, name) for name in _AIORMQ_CHANNEL) and _FRAMES is not None:
            return raw
        return None

    async def send(self, event: OutgoingEvent) -> Outcome:
        key = routing_key(self._pattern, domain=event.domain, change=event.change, subject=event.subject, type=event.type)
        message = aio_pika.Message(
            event.body, content_type=CONTENT_TYPE, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=event.event_id, headers={"ce-id": event.event_id},
        )
        try:
            exchange = await self._open()
            raw = await self._underlay()
            if raw is None or len(event.body) >= raw.max_content_size:
                await exchange.publish(message, routing_key=key, timeout=CONFIRM_TIMEOUT)
            else:
                confirmation = raw.create_future()
                self._pending.append((key, message, confirmation))
                if self._writer is None or self._writer.done():
                    self._writer = asyncio.create_task(self._write(raw))
                async with asyncio.timeout(CONFIRM_TIMEOUT):
                    await confirmation
        except (aio_pika.exceptions.AMQPError, asyncio.TimeoutError, ConnectionError, OSError) as exc:
            if self._channel is None or self._channel.is_closed:
                self._exchange = None
            return Outcome(Verdict.RETRY, f"RabbitMQ exchange {self._exchange_name}: {type(exc).__name__}: {exc}")
        return DELIVERED

    async def _write(self, raw: Any) -> None:
        """Write what is pending as one frame buffer, registering each
        publish's confirmation under its delivery tag (under the channel's
        publish lock, as aiormq's own basic_publish does)."""
        publish, header, body = _FRAMES
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                async with raw.lock:
                    if raw.is_closed:
                        raise aio_pika.exceptions.ChannelInvalidStateError(f"channel {raw.number} is closed")
                    frames: list[Any] = []
                    for key, message, confirmation in batch:
                        if confirmation.done():  # timed out or failed before it was written
                            continue
                        raw.delivery_tag += 1
                        raw.confirmations[raw.delivery_tag] = confirmation
                        frames += (
                            publish(exchange=self._exchange_name, routing_key=key),
                            header(0, len(message.body), message.properties),
                            body(message.body),
                        )
                    if frames:
                        await raw.write_queue.put(_channel_frame(raw.number, frames))
            except BaseException as exc:
                for _, _, confirmation in batch:
                    if not confirmation.done():
                        confirmation.set_exception(
                            exc if isinstance(exc, Exception) else aio_pika.exceptions.ChannelInvalidStateError(str(exc))
                        )
                if not isinstance(exc, Exception):
                    raise

    async def aclose(self) -> None:
        if self._writer is not None and not self._writer.done():
            await asyncio.gather(self._writer, return_exceptions=True)
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()


# What RabbitMQSink's batched writes use of aiormq (present in aiormq 6.8 and 7).
_AIORMQ_CHANNEL = ("lock", "delivery_tag", "confirmations", "write_queue", "number", "create_future", "is_closed",
                   "max_content_size")
try:
    from aiormq.abc import ChannelFrame as _ChannelFrame
    from pamqp.body import ContentBody as _ContentBody
    from pamqp.commands import Basic as _Basic
    from pamqp.header import ContentHeader as _ContentHeader

    _FRAMES: tuple[Any, Any, Any] | None = (_Basic.Publish, _ContentHeader, _ContentBody)

    def _channel_frame(number: int, frames: list[Any]) -> Any:
        return _ChannelFrame.marshall(channel_number=number, frames=frames)
except ImportError:  # pragma: no cover - another aiormq: publish one by one
    _FRAMES = None


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
