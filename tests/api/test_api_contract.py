"""The API contract kept in graphql/: the exported SDL and the example
operations, each run against a real app."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import event, func, select

from api_client import GRAPHQL_DIR
from api_ws import next_message, subscribe
from api_data import person
from mdm.api.schema import sdl
from mdm.store.tables import OutboxEvent

EXAMPLES = sorted(p.name for p in GRAPHQL_DIR.glob("*.graphql") if p.name != "schema.graphql")


def example(name: str) -> tuple[str, dict]:
    text = (GRAPHQL_DIR / name).read_text(encoding="utf-8")
    found = re.search(r"^# variables: (.*)$", text, re.MULTILINE)
    return text, json.loads(found.group(1)) if found else {}


def test_schema_graphql_is_the_schema_the_code_serves():
    on_disk = (GRAPHQL_DIR / "schema.graphql").read_text(encoding="utf-8")
    assert on_disk == sdl(), "graphql/schema.graphql drifted from the code: regenerate it with `mdm schema > graphql/schema.graphql`"


def test_every_use_has_an_example():
    assert {"lookup_by_source_key.graphql", "search.graphql", "paginate.graphql", "explain_lineage.graphql",
            "upsert.graphql", "subscribe.graphql"} <= set(EXAMPLES)


@pytest.mark.parametrize("name", [e for e in EXAMPLES if e != "subscribe.graphql"])
def test_example_operation_runs(name, api):
    query, variables = example(name)
    if variables.get("id") == "CUS-...":
        found = api["reader"].data('{ bySourceKey(system: "CRM", domain: CUSTOMER, key: "C3") { id } }')
        variables["id"] = found["bySourceKey"]["id"]
    if name == "delete.graphql":
        api["publisher"].data(*example("upsert.graphql"))
    role = "publisher" if query.lstrip("# \n").startswith("mutation") or "mutation " in query else "reader"
    data = api[role].data(query, variables)
    payload = next(iter(data.values()))
    assert payload, f"{name} returned nothing: {data}"


def test_subscribe_example_delivers_a_change(api, app_client, fresh):
    query, variables = example("subscribe.graphql")
    # Resume from now, so the change below is the next one whenever the subscription starts.
    with fresh.session() as s:
        variables["afterSequence"] = s.scalar(select(func.max(OutboxEvent.sequence)))
    newcomer = person(10)
    with subscribe(app_client, fresh.keys["reader"], query, variables) as ws:
        api["publisher"].data(
            'mutation($r: [JSON!]!) { upsertSourceRecords(system: "WEB", domain: CUSTOMER, records: $r) { stored } }',
            {"r": [newcomer]},
        )
        message = next_message(ws)
    change = message["payload"]["data"]["goldenRecordChanged"]
    assert change["type"] == "mdm.customer.created"
    assert change["record"]["values"]["family_name"] == newcomer["family_name"]


def test_a_page_of_50_customers_with_members_and_lineage_takes_a_fixed_number_of_statements(loaded_store, reader):
    page = "{ customers(first: 50) { edges { node { id attributes { name email } lineage { attribute system rule } sourceRecords { system key fields } } } } }"
    reader.data(page)  # the API key is verified and cached by the first call
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(loaded_store.engine, "before_cursor_execute", count)
    try:
        data = reader.data(page)
    finally:
        event.remove(loaded_store.engine, "before_cursor_execute", count)
    assert len(data["customers"]["edges"]) == 50
    # one for the page, one for every member of every record on it
    assert len(statements) == 2, statements
