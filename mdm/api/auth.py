"""Authentication (API keys in headers) and role checks for resolvers.

```python
@strawberry.mutation
def merge(self, info: Info, ...) -> ...:
    principal = require_role(info, "steward")
```
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from mdm.api.errors import Forbidden, Unauthenticated
from mdm.api.keys import Principal, verify_key

# What each role may do; admin may do everything.
GRANTS: dict[str, frozenset[str]] = {
    "reader": frozenset({"reader"}),
    "publisher": frozenset({"reader", "publisher"}),
    "steward": frozenset({"reader", "steward"}),
    "admin": frozenset({"reader", "publisher", "steward", "admin"}),
}
DEFAULT_CACHE_SECONDS = 30.0
MAX_CACHED_KEYS = 10_000


def key_from_headers(headers: dict[str, str]) -> str | None:
    """The key from `Authorization: Bearer <key>` or `X-API-Key: <key>`."""
    auth = headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    key = headers.get("x-api-key")
    return key.strip() if key and key.strip() else None


def key_from_connection_params(params: object) -> str | None:
    """The key a websocket client sent in its connection_init payload."""
    if not isinstance(params, dict):
        return None
    lowered = {str(k).lower(): v for k, v in params.items() if isinstance(v, str)}
    nested = params.get("headers")
    if isinstance(nested, dict):
        lowered.update({str(k).lower(): v for k, v in nested.items() if isinstance(v, str)})
    return key_from_headers(lowered) or lowered.get("apikey") or lowered.get("api_key")


class Keyring:
    """Verifies keys against the store, caching outcomes briefly so a lookup
    does not cost a database round trip per request. A revoked key stops
    working within `cache_seconds` on every worker."""

    def __init__(self, store, *, cache_seconds: float = DEFAULT_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.store = store
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._cache: dict[str, tuple[Principal | None, float]] = {}

    async def verify(self, key: str) -> Principal | None:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        hit = self._cache.get(digest)
        now = self.clock()
        if hit is not None and hit[1] > now:
            return hit[0]
        principal = await run_in_threadpool(self._verify, key)
        if self.cache_seconds > 0:
            if len(self._cache) >= MAX_CACHED_KEYS:
                self._cache.clear()
            self._cache[digest] = (principal, now + self.cache_seconds)
        return principal

    def _verify(self, key: str) -> Principal | None:
        with self.store.session() as session:
            return verify_key(session, key)


class ApiKeyAuth:
    """ASGI wrapper: HTTP calls without a valid key get 401; the principal of
    a valid one goes into `scope["state"]["principal"]`. The GraphiQL page is
    served without a key (it sends the key with each query). Websockets may
    send their key in the handshake headers or in connection_init."""

    def __init__(self, app: ASGIApp, keyring: Keyring) -> None:
        self.app = app
        self.keyring = keyring

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        key = key_from_headers(headers)
        principal = await self.keyring.verify(key) if key else None
        scope.setdefault("state", {})["principal"] = principal
        if principal is None and scope["type"] == "http" and not _is_ide_request(scope, headers):
            await _unauthorized(send, "a valid API key is required" if key is None else "the API key is not valid")
            return
        if principal is None and scope["type"] == "websocket" and key is not None:
            await send({"type": "websocket.close", "code": 4401, "reason": "the API key is not valid"})
            return
        await self.app(scope, receive, send)


def _is_ide_request(scope: Scope, headers: dict[str, str]) -> bool:
    return (
        scope["method"] == "GET"
        and "text/html" in headers.get("accept", "")
        and b"query=" not in scope.get("query_string", b"")
    )


async def _unauthorized(send: Send, message: str) -> None:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="mdm"'),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def principal_of(info) -> Principal:
    principal = info.context.principal
    if principal is None:
        raise Unauthenticated("a valid API key is required")
    return principal


def has_role(principal: Principal, role: str) -> bool:
    return role in GRANTS.get(principal.role, frozenset())


def require_role(info, role: str, *, system: str | None = None) -> Principal:
    """The caller's principal if it may act as `role` (for a publisher: for
    `system`); else a Forbidden error that names what is missing."""
    principal = principal_of(info)
    if not has_role(principal, role):
        raise Forbidden(f"this needs the {role} role; the API key has the {principal.role} role", required_role=role)
    if role == "publisher" and system is not None and principal.role == "publisher" and principal.system != system:
        raise Forbidden(
            f"this API key publishes for source system {principal.system!r} only, not {system!r}", required_role=role
        )
    return principal
