"""A webhook receiver for tests and the bench, run as its own process:

    python tests/receivers/webhook_receiver.py --port 8765 --secret whsec_... --log received.jsonl [--server aiohttp]

It verifies Standard Webhooks signatures (an unverifiable request gets 401)
and appends one JSON line per request to the log: path, status answered,
whether the signature verified, the event's id, subject, sequence and
version, its correlation id (X-Correlation-ID header and CloudEvent
attribute), the dispatcher's user agent and the receive time. The path picks
the answer, so each subscriber URL is a behaviour:

    /ok                      204
    /status/<code>           <code>, with Retry-After if ?retry_after=N
    /flaky/<n>               503 for the first n deliveries of each event id, then 204
    /slow/<ms>               204 after <ms> milliseconds

GET /log returns the log lines as a JSON array; GET /healthz answers 200.

Two servers answer the same way: uvicorn + Starlette (the default; starts
fastest, which tests that stop and restart the receiver rely on) and aiohttp
(`--server aiohttp`; several times less CPU per request, so the bench
measures the dispatcher rather than the receiver).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from collections.abc import Mapping

from standardwebhooks import Webhook, WebhookVerificationError


class Behaviour:
    """What the receiver answers and logs, whatever the server."""

    def __init__(self, secret: str, log_path: str):
        self.verifier = Webhook(secret)
        self.log_path = log_path
        self.log = open(log_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (lives as long as the process)
        self.seen: Counter[str] = Counter()

    def record(self, path: str, headers: Mapping[str, str], status: int, verified: bool, event: dict | None) -> None:
        event = event or {}
        self.log.write(json.dumps({
            "path": path, "status": status, "verified": verified,
            "id": event.get("id"), "subject": event.get("subject"), "sequence": event.get("sequence"),
            "version": event.get("version"), "type": event.get("type"), "time": event.get("time"),
            "webhook_id": headers.get("webhook-id"), "agent": headers.get("user-agent"),
            "correlation_header": headers.get("x-correlation-id"), "correlationid": event.get("correlationid"),
            "received_at": time.time(),
        }) + "\n")

    async def receive(
        self, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes,
    ) -> tuple[int, dict[str, str]]:
        """`headers` with lower-case names; returns (status, response headers)."""
        try:
            event = self.verifier.verify(body, dict(headers))
        except WebhookVerificationError:
            self.record(path, headers, 401, False, None)
            return 401, {}
        kind, _, arg = path.strip("/").partition("/")
        status, answer = 204, {}
        if kind == "status":
            status = int(arg)
            if "retry_after" in query:
                answer["retry-after"] = query["retry_after"]
        elif kind == "flaky":
            self.seen[event["id"]] += 1
            if self.seen[event["id"]] <= int(arg):
                status = 503
        elif kind == "slow":
            await asyncio.sleep(int(arg) / 1000)
        self.record(path, headers, status, True, event)
        return status, answer

    def read_log(self) -> list[dict]:
        with open(self.log_path, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]


def make_app(secret: str, log_path: str):
    """The Starlette app (served by uvicorn)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    behaviour = Behaviour(secret, log_path)

    async def receive(request: Request) -> Response:
        status, headers = await behaviour.receive(
            request.url.path, request.query_params, request.headers, await request.body(),
        )
        return Response(status_code=status, headers=headers)

    async def read_log(_: Request) -> JSONResponse:
        return JSONResponse(behaviour.read_log())

    async def healthz(_: Request) -> Response:
        return Response("ok")

    return Starlette(routes=[
        Route("/log", read_log, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/{path:path}", receive, methods=["POST"]),
    ])


def make_aiohttp_app(secret: str, log_path: str):
    from aiohttp import web

    behaviour = Behaviour(secret, log_path)

    async def receive(request: web.Request) -> web.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, answer = await behaviour.receive(request.path, request.query, headers, await request.read())
        return web.Response(status=status, headers=answer)

    async def read_log(_: web.Request) -> web.Response:
        return web.json_response(behaviour.read_log())

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_get("/log", read_log)
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/{path:.*}", receive)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--server", choices=["uvicorn", "aiohttp"], default="uvicorn")
    args = parser.parse_args()
    if args.server == "aiohttp":
        from aiohttp import web

        web.run_app(make_aiohttp_app(args.secret, args.log), host="127.0.0.1", port=args.port, print=None,
                    access_log=None, shutdown_timeout=0.5)
    else:
        import uvicorn

        uvicorn.run(make_app(args.secret, args.log), host="127.0.0.1", port=args.port, log_level="warning",
                    access_log=False)


if __name__ == "__main__":
    main()
