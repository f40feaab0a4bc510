"""Probes, metrics, the console mount, and the guards of the GraphQL endpoint."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from mdm.api import create_app, reads
from mdm.store import Store


def test_healthz_and_readyz_answer_when_the_database_is_migrated(loaded_app):
    assert loaded_app.get("/healthz").json() == {"status": "ok"}
    assert loaded_app.get("/readyz").json() == {"status": "ready"}


def test_readyz_is_503_while_migrations_are_pending(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'empty.db'}")
    with TestClient(create_app(store)) as client:
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
    assert response.status_code == 503 and "migrations pending" in response.json()["reason"]
    store.close()


def test_metrics_report_latency_by_operation(reader, loaded_app):
    reader.data("query LookupMe { me { role } }", operation="LookupMe")
    text = loaded_app.get("/metrics").text
    assert 'mdm_graphql_operation_seconds_count{operation="LookupMe",outcome="ok",type="query"}' in text


def test_the_steward_console_is_served_when_its_folder_exists(loaded_store, tmp_path):
    (tmp_path / "index.html").write_text("<h1>steward</h1>")
    with TestClient(create_app(loaded_store, steward_dir=tmp_path)) as client:
        assert client.get("/steward/").text == "<h1>steward</h1>"


def test_internal_errors_are_masked(reader, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("password=secret in a stack trace")

    monkeypatch.setattr(reads, "page_of_golden", broken)
    body = reader("{ customers(first: 1) { edges { cursor } } }")
    assert body["errors"][0]["message"] == "Internal error."
    assert "secret" not in str(body)


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("{ customers { edges { node { " + "prices { item { " * 5 + "id" + " } }" * 5 + " } } } }", "exceeds maximum operation depth"),
        ("{ " + " ".join(f"a{i}: me {{ role }}" for i in range(40)) + " }", "aliases found"),
        ("{ me { " + "role " * 2500 + "} }", "token"),
        ("{ nope }", "Cannot query field"),
    ],
    ids=["depth", "aliases", "tokens", "unknown-field"],
)
def test_abusive_or_wrong_queries_get_a_readable_error(reader, query, reason):
    response = reader.post(query)
    assert response.status_code in (200, 400)
    assert reason.lower() in response.json()["errors"][0]["message"].lower()
