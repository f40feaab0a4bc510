"""Correlation ids for HTTP calls: taken from the caller or made up, set for
the request's logs and ingests, and echoed back.

```python
app = CorrelationMiddleware(app)
# request:  X-Correlation-ID: order-sync-42    (or traceparent: 00-<trace-id>-<span>-01)
# response: X-Correlation-ID: order-sync-42
```
An upsert or delete stores the id with the source record versions it writes;
the golden changes, outbox events and webhooks it causes carry it on."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mdm.logging import correlation, correlation_id_from_headers, new_correlation_id

HEADER = "X-Correlation-ID"


class CorrelationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = correlation_id_from_headers(Headers(scope=scope)) or new_correlation_id()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = correlation_id
            await send(message)

        with correlation(correlation_id):
            await self.app(scope, receive, send_with_id)
