"""Prometheus metrics: GraphQL operation latency by operation.

```python
metrics = Metrics()
schema = build_schema(extensions=[metrics.extension])
```
Each app has its own registry, so tests can build many apps. With several
uvicorn workers each worker reports its own numbers."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

MAX_OPERATION_NAMES = 200  # client-chosen names; beyond this they count as "other"
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "mdm_graphql_operation_seconds",
            "GraphQL operation latency by operation type and name.",
            ["type", "operation", "outcome"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.names: set[str] = set()

    def extension(self) -> SchemaExtension:
        return OperationLatency(self.latency, self.names)

    async def endpoint(self, _request: Request) -> Response:
        # Collectors may read the store: keep that off the event loop.
        return Response(await run_in_threadpool(generate_latest, self.registry), media_type=CONTENT_TYPE_LATEST)


class OperationLatency(SchemaExtension):
    def __init__(self, histogram: Histogram, names: set[str]) -> None:
        self.histogram = histogram
        self.names = names

    def on_operation(self) -> Iterator[None]:
        start = time.perf_counter()
        yield
        ctx = self.execution_context
        try:
            kind = ctx.operation_type.value
        except Exception:  # unparsable documents have no operation type
            kind = "unknown"
        result = ctx.result
        outcome = "error" if getattr(result, "errors", None) else "ok"
        name = (ctx.operation_name or "anonymous")[:64]
        if name not in self.names:
            if len(self.names) >= MAX_OPERATION_NAMES:
                name = "other"
            else:
                self.names.add(name)
        self.histogram.labels(kind, name, outcome).observe(time.perf_counter() - start)
