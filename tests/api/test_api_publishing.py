"""Publishing through GraphQL: the `changes` feed and subscriber administration,
through the real app on SQLite and PostgreSQL, delivering to a real webhook
receiver process."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from receivers.harness import SECRET, WebhookReceiver
from sqlalchemy import func, select

from api_client import GRAPHQL_DIR
from api_data import person
from mdm.publish.dispatcher import DispatcherConfig, run_dispatcher
from mdm.publish.policy import RetryPolicy
from mdm.store.tables import OutboxEvent

UPSERT = 'mutation($r: [JSON!]!) { upsertSourceRecords(system: "WEB", domain: CUSTOMER, records: $r) { correlationId records { goldenId decision } } }'
FEED = "query($since: BigInt!, $first: Int!, $domain: Domain) { changes(since: $since, first: $first, domain: $domain) { events { sequence id type subject version correlationId data } endCursor hasNextPage } }"
ADD = "mutation($input: SubscriberInput!) { addSubscriber(input: $input) { secret subscriber { name status sink target domains changes cursor pending deadLetters } } }"
SUBSCRIBER = "query($name: String!) { subscriber(name: $name) { name status statusReason cursor pending deadLetters delivered } }"
FAST = DispatcherConfig(poll_interval=0.02, retry=RetryPolicy(base=0.05, cap=0.2), batch_size=100)


@pytest.fixture(scope="module")
def receiver(tmp_path_factory):
    with WebhookReceiver(tmp_path_factory.mktemp("receiver") / "received.jsonl") as r:
        yield r


def drain(store) -> None:
    asyncio.run(run_dispatcher(store, stop=asyncio.Event(), config=FAST, once=True))


def last_sequence(store) -> int:
    with store.session() as session:
        return session.scalar(select(func.coalesce(func.max(OutboxEvent.sequence), 0)))


def errors_of(body: dict) -> list[tuple[str, str]]:
    return [(e["extensions"].get("code"), e["message"]) for e in body.get("errors") or []]


def test_the_feed_pages_through_every_event_once_in_order(api, fresh):
    with fresh.session() as session:
        expected = session.scalars(
            select(OutboxEvent.sequence).where(OutboxEvent.domain == "customer").order_by(OutboxEvent.sequence)
        ).all()
    assert len(expected) > 25
    seen, since, pages = [], 0, 0
    while True:
        page = api["reader"].data(FEED, {"since": since, "first": 10, "domain": "CUSTOMER"})["changes"]
        seen += [e["sequence"] for e in page["events"]]
        assert all(e["type"].startswith("mdm.customer.") for e in page["events"])
        since, pages = page["endCursor"], pages + 1
        if not page["hasNextPage"]:
            break
    assert seen[: len(expected)] == expected
    assert pages >= len(expected) // 10
    # Nothing new: the feed resumes empty from its end cursor.
    empty = api["reader"].data(FEED, {"since": since, "first": 10, "domain": "CUSTOMER"})["changes"]
    assert empty["events"] == [] and empty["endCursor"] == since and not empty["hasNextPage"]


def test_a_new_change_appears_after_the_cursor_with_its_golden_record_and_correlation(api, fresh):
    since = api["reader"].data(FEED, {"since": last_sequence(fresh), "first": 1})["changes"]["endCursor"]
    done = api["publisher"].data(UPSERT, {"r": [person(0)]})["upsertSourceRecords"]
    golden_id = done["records"][0]["goldenId"]
    page = api["reader"].data(FEED, {"since": since, "first": 100})["changes"]
    [event] = [e for e in page["events"] if e["subject"] == golden_id]
    assert event["type"] == "mdm.customer.created" and event["version"] == 1
    assert event["correlationId"] == done["correlationId"]
    assert event["data"]["golden"]["family_name"] == "Quimby"
    assert {"system": "WEB", "source_key": "QUIMBY-1"} in event["data"]["xref"]


def test_bad_feed_arguments_are_readable_errors(api):
    body = api["reader"](FEED, {"since": 0, "first": 0})
    assert errors_of(body) == [("BAD_REQUEST", "first must be between 1 and 1000, got 0")]
    body = api["reader"](FEED, {"since": -1, "first": 5})
    assert errors_of(body)[0][0] == "BAD_REQUEST"


@pytest.mark.parametrize("role", ["reader", "publisher", "steward"])
def test_only_admins_manage_subscribers(api, role):
    body = api[role](ADD, {"input": {"name": f"no-{role}", "webhook": {"url": "http://127.0.0.1:1/x"}}})
    assert errors_of(body) == [("FORBIDDEN", f"this needs the admin role; the API key has the {role} role")]
    assert errors_of(api[role]("{ subscribers { name } }"))[0][0] == "FORBIDDEN"


def test_a_subscriber_added_through_graphql_gets_the_events_the_feed_shows(api, fresh, receiver):
    receiver.log_path.write_text("")
    start = last_sequence(fresh)
    added = api["admin"].data(ADD, {"input": {
        "name": "crm-gql", "domains": ["CUSTOMER"], "changes": ["CREATED", "UPDATED"],
        "webhook": {"url": receiver.url("/ok"), "secret": SECRET},
    }})["addSubscriber"]
    assert added["secret"] == SECRET
    assert added["subscriber"] == {
        "name": "crm-gql", "status": "active", "sink": "WEBHOOK", "target": receiver.url("/ok"),
        "domains": ["CUSTOMER"], "changes": ["CREATED", "UPDATED"], "cursor": start, "pending": 0, "deadLetters": 0,
    }
    api["publisher"].data(UPSERT, {"r": [person(1), person(2)]})
    drain(fresh)
    feed = api["reader"].data(FEED, {"since": start, "first": 100, "domain": "CUSTOMER"})["changes"]["events"]
    sent = [e["id"] for e in feed if e["type"] in ("mdm.customer.created", "mdm.customer.updated")]
    assert len(sent) >= 2
    assert [r["id"] for r in receiver.wait_for(len(sent))] == sent
    state = api["admin"].data(SUBSCRIBER, {"name": "crm-gql"})["subscriber"]
    assert state["delivered"] == len(sent) and state["pending"] == 0 and state["cursor"] >= feed[-1]["sequence"]
    listed = api["admin"].data("{ subscribers { name } }")["subscribers"]
    assert "crm-gql" in [s["name"] for s in listed]


def test_dead_letters_can_be_inspected_and_redriven(api, fresh, receiver):
    api["admin"].data(ADD, {"input": {"name": "wms-422", "webhook": {"url": receiver.url("/status/422"), "secret": SECRET}}})
    golden_id = api["publisher"].data(UPSERT, {"r": [person(3)]})["upsertSourceRecords"]["records"][0]["goldenId"]
    drain(fresh)
    dead = api["admin"].data(
        'query { deadLetters(subscriber: "wms-422") { sequence eventId type subject attempts reason } }'
    )["deadLetters"]
    assert dead and all(d["reason"] == "HTTP 422: rejected by the receiver" and d["attempts"] == 1 for d in dead)
    assert golden_id in {d["subject"] for d in dead}
    assert api["admin"].data(SUBSCRIBER, {"name": "wms-422"})["subscriber"]["deadLetters"] == len(dead)
    first = dead[0]["sequence"]
    redriven = api["admin"].data(
        "mutation($s: [BigInt!]) { redriveDeadLetters(name: \"wms-422\", sequences: $s) }", {"s": [first]}
    )["redriveDeadLetters"]
    assert redriven == 1
    state = api["admin"].data(SUBSCRIBER, {"name": "wms-422"})["subscriber"]
    assert (state["pending"], state["deadLetters"]) == (1, len(dead) - 1)


def test_pause_resume_replay_rotate_and_remove(api, fresh):
    admin = api["admin"]
    admin.data(ADD, {"input": {"name": "erp-amqp", "rabbitmq": {"exchange": "mdm.events"}}})
    paused = admin.data('mutation { pauseSubscriber(name: "erp-amqp", reason: "ERP upgrade") { status statusReason } }')
    assert paused["pauseSubscriber"] == {"status": "paused", "statusReason": "ERP upgrade"}
    resumed = admin.data('mutation { resumeSubscriber(name: "erp-amqp") { status statusReason } }')
    assert resumed["resumeSubscriber"] == {"status": "active", "statusReason": None}
    replayed = admin.data('mutation { replaySubscriber(name: "erp-amqp", fromSequence: 5) { cursor } }')
    assert replayed["replaySubscriber"]["cursor"] == 4
    since = admin.data('mutation { replaySubscriber(name: "erp-amqp", since: "2000-01-01T00:00:00Z") { cursor } }')
    assert since["replaySubscriber"]["cursor"] == 0
    body = admin('mutation { replaySubscriber(name: "erp-amqp") { cursor } }')
    assert errors_of(body) == [("BAD_REQUEST", "replay needs exactly one of a sequence and a time")]
    body = admin('mutation { rotateSubscriberSecret(name: "erp-amqp") }')
    assert errors_of(body) == [("BAD_REQUEST", "erp-amqp publishes to RabbitMQ; only webhooks are signed")]
    assert admin.data('mutation { removeSubscriber(name: "erp-amqp") }') == {"removeSubscriber": "erp-amqp"}
    body = admin(SUBSCRIBER, {"name": "erp-amqp"})
    assert errors_of(body) == [("NOT_FOUND", "no subscriber named 'erp-amqp'")]


def test_a_webhook_secret_can_be_rotated(api):
    admin = api["admin"]
    old = admin.data(ADD, {"input": {"name": "shop", "webhook": {"url": "http://127.0.0.1:9/hooks"}}})
    new = admin.data('mutation { rotateSubscriberSecret(name: "shop") }')["rotateSubscriberSecret"]
    assert new.startswith("whsec_") and new != old["addSubscriber"]["secret"]
    body = admin('mutation { rotateSubscriberSecret(name: "shop", secret: "whsec_c2hvcnQ=") }')
    assert errors_of(body) == [("BAD_REQUEST", "Value error, secret must be whsec_ + base64 of at least 16 bytes")]


@pytest.mark.parametrize(("spec", "message"), [
    ({"name": "x1"}, "give exactly one of webhook and rabbitmq"),
    ({"name": "x2", "webhook": {"url": "http://a.example/h"}, "rabbitmq": {"exchange": "e"}},
     "give exactly one of webhook and rabbitmq"),
    ({"name": "x3", "webhook": {"url": "ftp://a.example/h"}},
     "target.webhook.url: Value error, webhook URL must be http(s)://host/..., not 'ftp://a.example/h'"),
    ({"name": "bad name!", "webhook": {"url": "http://a.example/h"}}, "name: String should match pattern"),
    ({"name": "x4", "rabbitmq": {"exchange": "e", "routingKey": "mdm.{nope}"}}, "unknown placeholder"),
    ({"name": "x5", "webhook": {"url": "http://a.example/h"}, "maxAttempts": 0}, "max_attempts: Input should be greater than or equal to 1"),
])
def test_a_bad_subscriber_is_refused_with_the_reason(api, spec, message):
    body = api["admin"](ADD, {"input": spec})
    [(code, text)] = errors_of(body)
    assert code == "BAD_REQUEST" and message in text


def test_a_name_is_taken_once(api):
    spec = {"input": {"name": "twice", "webhook": {"url": "http://127.0.0.1:9/h"}}}
    api["admin"].data(ADD, spec)
    assert errors_of(api["admin"](ADD, spec)) == [("BAD_REQUEST", "a subscriber named 'twice' already exists")]


PUBLISHING_DIR = GRAPHQL_DIR / "publishing"


def example(name: str) -> tuple[str, dict]:
    text = (PUBLISHING_DIR / name).read_text(encoding="utf-8")
    found = re.search(r"^# variables: (.*)$", text, re.MULTILINE)
    return text, json.loads(found.group(1)) if found else {}


def test_the_publishing_examples_run_as_documented(api, fresh, receiver):
    """Every file in graphql/publishing/, in the order an admin would use them."""
    assert {p.name for p in PUBLISHING_DIR.glob("*.graphql")} == {
        "add_webhook_subscriber.graphql", "add_rabbitmq_subscriber.graphql", "subscribers.graphql",
        "dead_letters.graphql", "replay.graphql",
    }
    admin = api["admin"]
    query, variables = example("add_webhook_subscriber.graphql")
    variables["input"]["webhook"] = {"url": receiver.url("/status/422"), "secret": SECRET}
    added = admin.data(query, variables)["addSubscriber"]
    assert added["subscriber"]["name"] == "crm" and added["secret"] == SECRET
    query, variables = example("add_rabbitmq_subscriber.graphql")
    rabbit = admin.data(query, variables)["addSubscriber"]["subscriber"]
    assert rabbit["cursor"] == 0 and rabbit["target"] == "amqp exchange mdm.events key mdm.{domain}.{change}"
    api["publisher"].data(UPSERT, {"r": [person(4)]})
    admin.data('mutation { pauseSubscriber(name: "analytics") { status } }')  # no broker needed here
    drain(fresh)
    query, variables = example("subscribers.graphql")
    states = {s["name"]: s for s in admin.data(query, variables)["subscribers"]}
    assert states["crm"]["deadLetters"] >= 1 and states["analytics"]["status"] == "paused"
    query, variables = example("dead_letters.graphql")
    dead = admin.data(query, variables, operation="DeadLetters")["deadLetters"]
    assert len(dead) == states["crm"]["deadLetters"]
    assert admin.data(query, variables, operation="Redrive")["redriveDeadLetters"] == len(dead)
    query, variables = example("replay.graphql")
    replayed = admin.data(query, variables)["replaySubscriber"]
    assert replayed["name"] == "crm" and replayed["cursor"] < dead[0]["sequence"]
