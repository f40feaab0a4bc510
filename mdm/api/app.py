"""The ASGI app: GraphQL (+ GraphiQL and websockets) at /graphql, probes,
metrics and the steward console.

```python
app = create_app(Store.open("sqlite:///mdm.db"))   # tests pass their own store
uvicorn.run("mdm.api.app:create_app_from_env", factory=True)
```
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET

from mdm.api.auth import DEFAULT_CACHE_SECONDS, ApiKeyAuth, Keyring, key_from_connection_params
from mdm.api.context import Context, Services
from mdm.api.correlation import CorrelationMiddleware
from mdm.api.metrics import Metrics
from mdm.api.schema import build_schema
from mdm.logging import configure_logging
from mdm.ops.metrics import HubCollector
from mdm.publish.dispatcher import run_dispatcher
from mdm.settings import Settings
from mdm.store import Store
from mdm.store.migrate import pending

STEWARD_DIR = Path(__file__).resolve().parent.parent.parent / "stewardship"


class GraphQLView(GraphQL):
    def __init__(self, schema, services: Services, **kwargs) -> None:
        super().__init__(schema, **kwargs)
        self.services = services

    async def get_context(self, request, response) -> Context:
        principal = request.scope.get("state", {}).get("principal")
        return Context(self.services, principal, request, response)

    async def on_ws_connect(self, context: Context):
        if context.principal is None:
            key = key_from_connection_params(context.connection_params)
            context.principal = await self.services.keyring.verify(key) if key else None
            if context.principal is None:
                raise ConnectionRejectionError({"message": "a valid API key is required"})
        return UNSET


def create_app(
    settings_or_store: Settings | Store | None = None,
    *,
    settings: Settings | None = None,
    key_cache_seconds: float = DEFAULT_CACHE_SECONDS,
    poll_interval: float = 0.5,
    steward_dir: Path | None = STEWARD_DIR,
    extra_routes: list | None = None,
    with_publisher: bool | None = None,
) -> Starlette:
    """Build the app around a store (or the store named by settings).

    ``with_publisher`` (default: MDM_SERVE_WITH_PUBLISHER) runs the change
    dispatcher inside the server for as long as it is up."""
    if isinstance(settings_or_store, Store):
        store, owned = settings_or_store, False
        settings = settings or Settings()
    else:
        settings = settings_or_store or settings or Settings()
        store, owned = Store.open(settings.database_url), True
    keyring = Keyring(store, cache_seconds=key_cache_seconds)
    services = Services(store=store, settings=settings, keyring=keyring, poll_interval=poll_interval)
    metrics = Metrics()
    metrics.registry.register(HubCollector(store))
    schema = build_schema(extensions=[metrics.extension])
    graphql = ApiKeyAuth(GraphQLView(schema, services, graphql_ide="graphiql"), keyring)

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> JSONResponse:
        try:
            behind = await run_in_threadpool(_schema_behind, store)
        except Exception as exc:  # any failure to reach the database means not ready
            return JSONResponse({"status": "unavailable", "reason": f"database unreachable: {type(exc).__name__}"}, 503)
        if behind:
            return JSONResponse({"status": "unavailable", "reason": "database migrations pending: run `mdm init`"}, 503)
        return JSONResponse({"status": "ready"})

    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics.endpoint),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        *(extra_routes or []),
    ]
    if steward_dir is not None and steward_dir.is_dir():
        routes.append(Mount("/steward", app=StaticFiles(directory=steward_dir, html=True), name="steward"))

    publish = (settings or Settings()).serve_with_publisher if with_publisher is None else with_publisher

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette):
        stop = asyncio.Event()
        dispatcher = asyncio.create_task(run_dispatcher(store, stop=stop)) if publish else None
        # Upserts commit in the request: WAL checkpoints move to a thread of their own (SQLite).
        checkpoints = store.checkpointer is None and store.start_checkpoints() is not None
        yield
        if dispatcher is not None:
            stop.set()
            await dispatcher
        if checkpoints:
            store.stop_checkpoints()
        if owned:
            store.close()

    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(CorrelationMiddleware)])
    app.state.services = services
    app.state.schema = schema
    return app


def _schema_behind(store: Store) -> bool:
    with store.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return pending(store.engine)


def create_app_from_env() -> Starlette:
    """Factory for uvicorn (`--factory`), configured from MDM_* variables."""
    configure_logging()
    return create_app(Settings())
