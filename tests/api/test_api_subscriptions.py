"""Golden record changes over graphql-transport-ws, read from the change log."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api_data import person
from api_ws import PROTOCOL, next_message, subscribe
from mdm.api import create_app
from mdm.api.subscriptions import GAP_SECONDS, SequenceTracker
from mdm.store.tables import OutboxEvent

CHANGES = """subscription($ids: [ID!], $after: BigInt) {
  goldenRecordChanged(domain: CUSTOMER, ids: $ids, afterSequence: $after) { sequence type goldenId version record { id } }
}"""
UPSERT = 'mutation($r: [JSON!]!) { upsertSourceRecords(system: "WEB", domain: CUSTOMER, records: $r) { records { goldenId } } }'


def latest(store) -> int:
    with store.session() as s:
        return s.scalar(select(func.max(OutboxEvent.sequence)))


def test_a_change_made_through_another_worker_reaches_the_subscriber(fresh, api):
    """Two apps on one store stand for two workers: nothing is shared in memory."""
    other = TestClient(create_app(fresh, poll_interval=0.05))
    with other, subscribe(other, fresh.keys["reader"], CHANGES, {"after": latest(fresh)}) as ws:
        gid = api["publisher"].data(UPSERT, {"r": [person(11)]})["upsertSourceRecords"]["records"][0]["goldenId"]
        change = next_message(ws)["payload"]["data"]["goldenRecordChanged"]
    assert (change["type"], change["goldenId"], change["version"]) == ("mdm.customer.created", gid, 1)
    assert change["record"] == {"id": gid}


def test_a_subscription_to_some_ids_sees_only_their_changes(fresh, api, app_client):
    watched = api["publisher"].data(UPSERT, {"r": [person(12)]})["upsertSourceRecords"]["records"][0]["goldenId"]
    variables = {"ids": [watched], "after": latest(fresh)}
    with subscribe(app_client, fresh.keys["reader"], CHANGES, variables, in_payload=True) as ws:
        api["publisher"].data(UPSERT, {"r": [person(13)]})  # someone else
        api["publisher"].data(UPSERT, {"r": [dict(person(12), email="new.address@people.example")]})
        change = next_message(ws)["payload"]["data"]["goldenRecordChanged"]
    assert (change["goldenId"], change["type"]) == (watched, "mdm.customer.updated")


def test_a_websocket_without_a_key_is_refused(app_client):
    with app_client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        with pytest.raises(WebSocketDisconnect) as refused:
            ws.receive_json()
    assert refused.value.code == 4403


def test_a_websocket_with_a_wrong_key_is_refused(app_client):
    with pytest.raises(WebSocketDisconnect) as refused:
        with app_client.websocket_connect("/graphql", subprotocols=[PROTOCOL], headers={"X-API-Key": "mdm_bad_key"}) as ws:
            ws.receive_json()
    assert refused.value.code == 4401


def test_the_tracker_delivers_each_sequence_once_and_advances():
    tracker = SequenceTracker(10)
    assert tracker.accept([11, 12, 13]) == [11, 12, 13]
    assert tracker.accept([11, 12, 13, 14]) == [14]
    assert tracker.watermark == 14


def test_the_tracker_waits_for_a_gap_to_fill_before_moving_past_it():
    now = [0.0]
    tracker = SequenceTracker(10, clock=lambda: now[0])
    assert tracker.accept([12, 13]) == [12, 13]
    assert tracker.watermark == 10  # 11 may still commit
    now[0] = GAP_SECONDS / 2
    assert tracker.accept([11, 12, 13]) == [11]
    assert tracker.watermark == 13


def test_the_tracker_gives_up_on_a_gap_that_never_fills():
    now = [0.0]
    tracker = SequenceTracker(10, clock=lambda: now[0])
    tracker.accept([12])
    now[0] = GAP_SECONDS + 1
    tracker.accept([12])
    assert tracker.watermark == 12 and not tracker.seen
