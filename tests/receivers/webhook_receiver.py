"""A webhook receiver for tests and the bench, run as its own process:

    python tests/receivers/webhook_receiver.py --port 8765 --secret whsec_... --log received.jsonl

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
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter

import uvicorn
from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def make_app(secret: str, log_path: str) -> Starlette:
    verifier = Webhook(secret)
    log = open(log_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (lives as long as the process)
    seen: Counter[str] = Counter()

    def record(request: Request, status: int, verified: bool, event: dict | None) -> None:
        event = event or {}
        log.write(json.dumps({
            "path": request.url.path, "status": status, "verified": verified,
            "id": event.get("id"), "subject": event.get("subject"), "sequence": event.get("sequence"),
            "version": event.get("version"), "type": event.get("type"), "time": event.get("time"),
            "webhook_id": request.headers.get("webhook-id"), "agent": request.headers.get("user-agent"),
            "correlation_header": request.headers.get("x-correlation-id"), "correlationid": event.get("correlationid"),
            "received_at": time.time(),
        }) + "\n")

    async def receive(request: Request) -> Response:
        body = await request.body()
        try:
            event = verifier.verify(body, dict(request.headers))
        except WebhookVerificationError:
            record(request, 401, False, None)
            return Response(status_code=401)
        kind, _, arg = request.url.path.strip("/").partition("/")
        status, headers = 204, {}
        if kind == "status":
            status = int(arg)
            if "retry_after" in request.query_params:
                headers["retry-after"] = request.query_params["retry_after"]
        elif kind == "flaky":
            seen[event["id"]] += 1
            if seen[event["id"]] <= int(arg):
                status = 503
        elif kind == "slow":
            await asyncio.sleep(int(arg) / 1000)
        record(request, status, True, event)
        return Response(status_code=status, headers=headers)

    async def read_log(_: Request) -> JSONResponse:
        with open(log_path, encoding="utf-8") as fh:
            return JSONResponse([json.loads(line) for line in fh if line.strip()])

    async def healthz(_: Request) -> Response:
        return Response("ok")

    return Starlette(routes=[
        Route("/log", read_log, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/{path:path}", receive, methods=["POST"]),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    uvicorn.run(make_app(args.secret, args.log), host="127.0.0.1", port=args.port, log_level="warning",
                access_log=False)


if __name__ == "__main__":
    main()
