"""Helpers for publishing tests and the bench: a webhook receiver process,
the local RabbitMQ, outbox events in bulk, and order checks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import httpx
from sqlalchemy import insert

from mdm.publish.outbox import outbox_row
from mdm.store.tables import OutboxEvent

RECEIVER = Path(__file__).resolve().parent / "webhook_receiver.py"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebhookReceiver:
    """The receiver as a separate process; it can go down and come back on
    the same port, keeping its log file."""

    def __init__(self, log_path: Path, secret: str = SECRET, port: int | None = None, server: str = "uvicorn"):
        self.log_path = Path(log_path)
        self.secret = secret
        self.port = port or free_port()
        # uvicorn (starts fastest) or aiohttp (least CPU per request: the bench)
        self.server = server
        self.process: subprocess.Popen | None = None

    def url(self, path: str = "/ok") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> WebhookReceiver:
        self.process = subprocess.Popen(
            [sys.executable, str(RECEIVER), "--port", str(self.port), "--secret", self.secret,
             "--log", str(self.log_path), "--server", self.server],
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url("/healthz"), timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("webhook receiver did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def log(self) -> list[dict]:
        if not self.log_path.exists():
            return []
        text = self.log_path.read_text()
        # The receiver may be writing its last line right now: complete lines only.
        lines = text.split("\n")[:-1]
        return [json.loads(line) for line in lines if line.strip()]

    def delivered(self) -> list[dict]:
        """Requests that verified and were answered 2xx, in arrival order."""
        return [r for r in self.log() if r["verified"] and 200 <= r["status"] < 300]

    def wait_for(self, count: int, timeout: float = 20) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.delivered()
            if len({r["id"] for r in got}) >= count:
                return got
            time.sleep(0.05)
        return self.delivered()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *_) -> None:
        self.stop()


def amqp_url_or_none() -> str | None:
    """The local broker's URL, or None when it cannot be reached."""
    url = os.environ.get("MDM_TEST_AMQP_URL", DEFAULT_AMQP_URL)
    host = httpx.URL(url.replace("amqp://", "http://", 1))
    try:
        socket.create_connection((host.host, host.port or 5672), timeout=1).close()
    except OSError:
        return None
    return url


def add_events(session, count: int, *, subjects: int = 10, domain: str = "customer", start_version: int = 1,
               attribute: str = "email", change: str = "updated") -> list[dict]:
    """`count` outbox events spread round-robin over `subjects` golden records."""
    now = datetime.now(timezone.utc)
    rows = []
    for i in range(count):
        version = start_version + i // subjects
        rows.append(outbox_row(
            domain=domain, change=change, golden_id=f"{domain[:3]}-{i % subjects:05d}", version=version,
            golden={attribute: f"v{version}"}, changed={attribute: {"old": f"v{version - 1}", "new": f"v{version}"}},
            xref=[{"system": "CRM", "source_key": f"K{i % subjects}"}], now=now, correlation_id=f"test-{i}",
        ))
    for start in range(0, len(rows), 1000):
        session.execute(insert(OutboxEvent), rows[start : start + 1000])
    session.commit()
    return rows


def out_of_order(records: list[dict]) -> list[tuple[str, int, int]]:
    """(subject, earlier, later) where a record's event arrived before an
    earlier one; re-sends of events already received are ignored."""
    last: dict[str, int] = defaultdict(int)
    seen: set[str] = set()
    bad = []
    for r in records:
        if r["id"] in seen:
            continue
        seen.add(r["id"])
        if r["sequence"] < last[r["subject"]]:
            bad.append((r["subject"], last[r["subject"]], r["sequence"]))
        last[r["subject"]] = max(last[r["subject"]], r["sequence"])
    return bad
