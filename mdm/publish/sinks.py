"""Where events go: a webhook or a RabbitMQ exchange, behind one narrow interface.

A sink sends one event and says how it went (`Outcome`); it never raises for
a failed delivery. `SinkFactory` opens the sink a subscriber's row describes
and shares HTTP and AMQP connections between subscribers."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import aio_pika
import httpx
from standardwebhooks import Webhook

from mdm.publish.events import CONTENT_TYPE, OutgoingEvent
from mdm.publish.policy import DELIVERED, Outcome, Verdict, classify_http, routing_key

DEFAULT_HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
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

    def __init__(self, client: httpx.AsyncClient, url: str, secret: str, *, headers: dict[str, str] | None = None):
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
            response = await self._client.post(self._url, content=event.body, headers=headers)
        except httpx.TimeoutException:
            return Outcome(Verdict.RETRY, f"timeout posting to {self._url}")
        except httpx.HTTPError as exc:
            return Outcome(Verdict.RETRY, f"cannot reach {self._url}: {type(exc).__name__}: {exc}")
        return classify_http(response.status_code, response.headers.get("retry-after"), now)

    async def aclose(self) -> None:
        """The client is shared; the factory closes it."""


class RabbitMQSink:
    """Publishes persistent messages with publisher confirms to an existing exchange."""

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
        async with self._opening:
            if self._exchange is None or self._channel is None or self._channel.is_closed:
                connection = await self._connect()
                self._channel = await connection.channel(publisher_confirms=True)
                # Passive: the exchange belongs to the subscribing side.
                self._exchange = await self._channel.get_exchange(self._exchange_name, ensure=True)
            return self._exchange

    async def send(self, event: OutgoingEvent) -> Outcome:
        key = routing_key(self._pattern, domain=event.domain, change=event.change, subject=event.subject, type=event.type)
        try:
            exchange = await self._open()
            await exchange.publish(
                aio_pika.Message(
                    event.body, content_type=CONTENT_TYPE, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    message_id=event.event_id, headers={"ce-id": event.event_id},
                ),
                routing_key=key,
                timeout=30,
            )
        except (aio_pika.exceptions.AMQPError, asyncio.TimeoutError, ConnectionError, OSError) as exc:
            self._exchange = None
            return Outcome(Verdict.RETRY, f"RabbitMQ exchange {self._exchange_name}: {type(exc).__name__}: {exc}")
        return DELIVERED

    async def aclose(self) -> None:
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()


class SinkFactory:
    """Opens sinks for subscriber rows; one HTTP client and one AMQP
    connection per broker URL, shared by every subscriber."""

    def __init__(
        self, *, amqp_url: str = DEFAULT_AMQP_URL, http_timeout: httpx.Timeout = DEFAULT_HTTP_TIMEOUT,
        max_connections: int = 100, worker_id: str = "",
    ):
        self._amqp_url = amqp_url
        self._client = httpx.AsyncClient(
            timeout=http_timeout,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            follow_redirects=False,
        )
        self._headers = {"user-agent": f"{USER_AGENT}/{worker_id}" if worker_id else USER_AGENT}
        self._connections: dict[str, aio_pika.abc.AbstractRobustConnection] = {}
        self._connecting = asyncio.Lock()

    async def open(self, sink_kind: str, sink: dict[str, Any], secret: str | None) -> Sink:
        if sink_kind == "webhook":
            return WebhookSink(self._client, sink["url"], secret or "", headers=self._headers)
        if sink_kind == "rabbitmq":
            url = sink.get("amqp_url") or self._amqp_url
            return RabbitMQSink(lambda: self._connection(url), sink["exchange"], sink["routing_key"])
        raise ValueError(f"unknown sink kind {sink_kind!r}")

    async def _connection(self, url: str) -> aio_pika.abc.AbstractConnection:
        async with self._connecting:
            connection = self._connections.get(url)
            if connection is None or connection.is_closed:
                connection = self._connections[url] = await aio_pika.connect_robust(url, timeout=10)
            return connection

    async def aclose(self) -> None:
        await self._client.aclose()
        for connection in self._connections.values():
            await connection.close()
        self._connections.clear()
