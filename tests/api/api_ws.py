"""A graphql-transport-ws client over starlette's TestClient, for tests."""

from __future__ import annotations

import contextlib
import queue
import threading

PROTOCOL = "graphql-transport-ws"
TIMEOUT = 10.0


@contextlib.contextmanager
def subscribe(client, key: str | None, query: str, variables: dict, *, in_payload: bool = False):
    headers = {"Authorization": f"Bearer {key}"} if key and not in_payload else {}
    payload = {"Authorization": f"Bearer {key}"} if key and in_payload else {}
    with client.websocket_connect("/graphql", subprotocols=[PROTOCOL], headers=headers) as ws:
        ws.send_json({"type": "connection_init", "payload": payload})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}})
        yield ws
        ws.send_json({"id": "1", "type": "complete"})


def next_message(ws, timeout: float = TIMEOUT) -> dict:
    """The next message, or a failure after `timeout` seconds instead of a hung test."""
    box: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: box.put(ws.receive_json()), daemon=True).start()
    try:
        return box.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"no subscription message within {timeout} s") from None
