"""Structured logs: human lines by default, JSON lines with MDM_LOG_FORMAT=json,
each carrying the correlation id of the request being handled."""

from __future__ import annotations

import io
import json
import logging

import pytest
from starlette.testclient import TestClient

from mdm.api import create_app
from mdm.logging import LogSettings, configure_logging, correlation, correlation_id_from_headers


@pytest.fixture
def captured():
    """Configure logging into a buffer; put the root logger back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    buffers = []

    def configure(fmt: str) -> io.StringIO:
        buffers.append(io.StringIO())
        configure_logging(LogSettings(log_format=fmt), stream=buffers[-1])
        return buffers[-1]

    yield configure
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_the_correlation_id_and_extra_fields(captured):
    out = captured("json")
    with correlation("sync-7"):
        logging.getLogger("mdm.test").info("stored %d", 3, extra={"system": "CRM"})
    logging.getLogger("mdm.test").warning("outside")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first | {"time": None} == {"time": None, "level": "INFO", "logger": "mdm.test", "message": "stored 3",
                                      "correlation_id": "sync-7", "system": "CRM"}
    assert second["correlation_id"] is None and second["level"] == "WARNING"


def test_human_lines_by_default(captured, monkeypatch):
    monkeypatch.delenv("MDM_LOG_FORMAT", raising=False)
    assert LogSettings().log_format == "human"
    out = captured("human")
    with correlation("sync-8"):
        logging.getLogger("mdm.test").info("hello")
    assert out.getvalue().rstrip().endswith("INFO mdm.test [sync-8] hello")


def test_configuring_twice_keeps_one_handler(captured):
    captured("json")
    captured("json")
    assert sum(1 for h in logging.getLogger().handlers if h.get_name() == "mdm") == 1


@pytest.mark.parametrize("headers, expected", [
    ({"x-correlation-id": "order-42"}, "order-42"),
    ({"x-correlation-id": "order-42", "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, "order-42"),
    ({"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, "4bf92f3577b34da6a3ce929d0e0e4736"),
    ({"traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}, None),
    ({"traceparent": "not a traceparent"}, None),
    ({"x-correlation-id": "x" * 129}, None),
    ({"x-correlation-id": "line\nbreak"}, None),
    ({"x-correlation-id": "trailing-newline\n"}, "trailing-newline"),
    ({}, None),
])
def test_correlation_id_from_headers(headers, expected):
    assert correlation_id_from_headers(headers) == expected


def test_an_upsert_logs_a_json_line_with_its_correlation_id(hub, captured):
    out = captured("json")
    with TestClient(create_app(hub)) as client:
        client.post("/graphql", headers={"Authorization": f"Bearer {hub.keys['publisher']}", "X-Correlation-ID": "push-9"},
                    json={"query": 'mutation { upsertSourceRecords(system: "WEB", domain: CUSTOMER, '
                                   'records: [{key: "W9", given_name: "Pedro", family_name: "Silva"}]) { stored } }'})
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    upserts = [line for line in lines if line["logger"] == "mdm.api.ingest"]
    assert upserts and upserts[0]["correlation_id"] == "push-9"
    assert upserts[0]["system"] == "WEB" and upserts[0]["stored"] == 1
