"""API keys and roles: who may call what."""

from __future__ import annotations

from sqlalchemy import select
from starlette.testclient import TestClient

from api_client import Api
from api_data import person
from mdm.api import create_app, require_role
from mdm.api.errors import Forbidden
from mdm.api.keys import Principal, hash_key
from mdm.store.tables import ApiKey

UPSERT = """mutation($s: String!, $r: [JSON!]!) { upsertSourceRecords(system: $s, domain: CUSTOMER, records: $r) { stored } }"""
ME = "{ me { role } }"


def test_no_key_is_401(app_client):
    response = app_client.post("/graphql", json={"query": ME})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_wrong_key_is_401(app_client, fresh):
    forged = fresh.keys["reader"][:-4] + "AAAA"
    for headers in ({"Authorization": f"Bearer {forged}"}, {"Authorization": "Bearer nonsense"}, {"X-API-Key": "mdm_x_y"}):
        assert app_client.post("/graphql", json={"query": ME}, headers=headers).status_code == 401


def test_the_key_may_come_in_x_api_key(app_client, fresh):
    response = app_client.post("/graphql", json={"query": ME}, headers={"X-API-Key": fresh.keys["steward"]})
    assert response.json() == {"data": {"me": {"role": "steward"}}}


def test_keys_are_stored_hashed_never_in_clear(fresh):
    with fresh.session() as session:
        rows = session.scalars(select(ApiKey)).all()
    stored = {r.key_hash for r in rows}
    for key in fresh.keys.values():
        assert key not in stored and hash_key(key) in stored
        assert not any(key in (r.name or "") or key in r.prefix for r in rows)


def test_a_reader_cannot_ingest(api):
    body = api["reader"](UPSERT, {"s": "WEB", "r": [person(9)]})
    error = body["errors"][0]
    assert error["extensions"] == {"code": "FORBIDDEN", "required_role": "publisher"}
    assert "publisher role" in error["message"] and "reader" in error["message"]


def test_a_publisher_ingests_only_for_its_own_system(api):
    body = api["publisher"](UPSERT, {"s": "CRM", "r": [person(9)]})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "'WEB' only" in body["errors"][0]["message"]
    assert api["publisher"].data(UPSERT, {"s": "WEB", "r": [person(9)]})["upsertSourceRecords"]["stored"] == 1


def test_stewards_and_readers_cannot_manage_keys_but_admins_can(api):
    create = 'mutation { createApiKey(role: "reader", name: "app-1") { key info { prefix role name } } }'
    for role in ("reader", "steward", "publisher"):
        assert api[role](create)["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    created = api["admin"].data(create)["createApiKey"]
    new = Api(api["admin"].client, created["key"])
    assert new.data(ME) == {"me": {"role": "reader"}}
    listed = api["admin"].data("{ apiKeys { prefix name revokedAt } }")["apiKeys"]
    assert {"prefix": created["info"]["prefix"], "name": "app-1", "revokedAt": None} in listed
    revoked = api["admin"].data('mutation($p: String!) { revokeApiKey(prefixOrName: $p) { prefix revokedAt } }',
                                {"p": created["info"]["prefix"]})["revokeApiKey"]
    assert revoked[0]["revokedAt"]
    assert new.post(ME).status_code == 401  # key_cache_seconds=0 in these tests


def test_a_publisher_key_needs_a_system(api):
    body = api["admin"]('mutation { createApiKey(role: "publisher") { key } }')
    assert "needs the source system" in body["errors"][0]["message"]


def test_require_role_lets_admins_act_as_stewards_and_refuses_readers():
    class Info:
        def __init__(self, role):
            self.context = type("C", (), {"principal": Principal(1, "p", role, None, None)})()

    assert require_role(Info("admin"), "steward").role == "admin"
    assert require_role(Info("steward"), "steward").role == "steward"
    for role in ("reader", "publisher"):
        try:
            require_role(Info(role), "steward")
        except Forbidden as exc:
            assert exc.extensions["code"] == "FORBIDDEN"
        else:
            raise AssertionError(f"{role} acted as steward")


def test_graphiql_is_served_without_a_key(app_client):
    response = app_client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200 and "graphiql" in response.text.lower()


def test_a_cached_key_is_checked_against_the_store_once(fresh):
    app = create_app(fresh, key_cache_seconds=60)
    queries = []
    from sqlalchemy import event

    def count(conn, cursor, statement, *args):
        if "api_key" in statement:
            queries.append(statement)

    event.listen(fresh.engine, "before_cursor_execute", count)
    try:
        with TestClient(app) as client:
            for _ in range(3):
                client.post("/graphql", json={"query": ME}, headers={"X-API-Key": fresh.keys["reader"]})
    finally:
        event.remove(fresh.engine, "before_cursor_execute", count)
    assert len([q for q in queries if q.lstrip().upper().startswith("SELECT")]) == 1
