"""The dispatcher's pure decisions and the CloudEvent shape."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from mdm.publish.events import OutgoingEvent, decode
from mdm.publish.policy import (
    EventFilter, Outcome, Queued, RetryPolicy, Verdict, chains, classify_http, contiguous_end, decide,
    parse_retry_after, routing_key, sendable,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("status", "verdict"), [
    (200, Verdict.DELIVERED), (204, Verdict.DELIVERED), (500, Verdict.RETRY), (502, Verdict.RETRY),
    (503, Verdict.RETRY), (408, Verdict.RETRY), (429, Verdict.RETRY), (410, Verdict.PAUSE),
    (400, Verdict.DEAD), (401, Verdict.DEAD), (404, Verdict.DEAD), (422, Verdict.DEAD), (301, Verdict.DEAD),
])
def test_http_status_policy(status, verdict):
    assert classify_http(status, None, NOW).verdict is verdict


def test_retry_after_in_seconds_or_as_an_http_date():
    assert parse_retry_after("30", NOW) == 30
    assert parse_retry_after("Sun, 01 Mar 2026 12:02:00 GMT", NOW) == 120
    assert parse_retry_after("soon", NOW) is None
    assert classify_http(429, "7", NOW).retry_after == 7


def test_backoff_doubles_is_capped_and_half_random():
    policy = RetryPolicy(base=1, factor=2, cap=10)
    assert [policy.backoff(n, lambda: 0.0) for n in (1, 2, 3, 4, 5, 9)] == [0.5, 1, 2, 4, 5, 5]
    assert [policy.backoff(n, lambda: 1.0) for n in (1, 2, 3, 9)] == [1, 2, 4, 10]


def test_decide_retries_until_max_attempts_then_dead_letters():
    retry = Outcome(Verdict.RETRY, "HTTP 500")
    policy = RetryPolicy(base=1)
    assert decide(retry, 1, 3, policy, lambda: 1.0).action == "retry"
    last = decide(retry, 3, 3, policy)
    assert (last.action, last.reason) == ("dead", "gave up after 3 attempts: HTTP 500")


def test_decide_honours_retry_after_within_a_bound():
    policy = RetryPolicy(max_retry_after=60)
    assert decide(Outcome(Verdict.RETRY, "429", 5), 1, 8, policy).delay == 5
    assert decide(Outcome(Verdict.RETRY, "429", 7200), 1, 8, policy).delay == 60


def test_decide_for_delivered_dead_gone_and_not_attempted():
    policy = RetryPolicy()
    assert decide(Outcome(Verdict.DELIVERED), 1, 8, policy).action == "delete"
    assert decide(Outcome(Verdict.DEAD, "HTTP 400"), 1, 8, policy).action == "dead"
    assert decide(Outcome(Verdict.PAUSE, "HTTP 410"), 1, 8, policy).action == "pause"
    assert decide(None, 1, 8, policy).action == "release"


def test_filter_by_domain_change_and_changed_attribute():
    f = EventFilter.of(domains=["customer"], attributes=["email"])
    assert f.matches("customer", "updated", ["email", "phone"])
    assert not f.matches("customer", "updated", ["phone"])
    assert not f.matches("item", "updated", ["email"])
    assert f.matches("customer", "deleted", [])  # lifecycle changes always pass
    assert EventFilter.of(changes=["merged"]).matches("item", "merged")
    assert not EventFilter.of(changes=["merged"]).matches("item", "updated")


def test_a_claimed_event_waits_for_an_earlier_pending_event_of_its_record():
    claimed = [Queued(1, "a", 10), Queued(2, "b", 15), Queued(3, "a", 12), Queued(4, "c", 14)]
    # b:9 is pending elsewhere (leased or backing off): b:15 must wait; a:10 and a:12 go together.
    assert [q.id for q in sendable(claimed, [("b", 9), ("a", 10)])] == [1, 3, 4]
    # a:11 is pending and not claimed: a:12 may not overtake it.
    assert [q.id for q in sendable(claimed, [("a", 11)])] == [1, 4, 2]


def test_chains_group_by_record_keeping_order():
    items = [("a", 1), ("b", 2), ("a", 3)]
    assert chains(items, lambda i: i[0]) == [[("a", 1), ("a", 3)], [("b", 2)]]


def test_contiguous_end_stops_at_the_first_gap():
    assert contiguous_end(10, [11, 12, 14]) == 12
    assert contiguous_end(10, [12]) == 10
    assert contiguous_end(10, []) == 10


def test_routing_key_pattern():
    assert routing_key("mdm.{domain}.{change}", domain="item", change="merged", subject="g", type="t") == "mdm.item.merged"


def test_outgoing_event_is_a_structured_cloudevent():
    row = SimpleNamespace(
        sequence=42, event_id="e-1", type="mdm.customer.merged", domain="customer", subject="CUS-1", version=3,
        created_at=datetime(2026, 3, 1, 12, 0), correlation_id="req-9",
        data={"golden": {"email": "a@example.com"}, "changed": {}, "xref": [], "version": 3},
    )
    event = OutgoingEvent.of(row)
    body = json.loads(event.body)
    assert body["specversion"] == "1.0" and body["id"] == "e-1" and body["source"] == "/mdm/customer"
    assert (body["type"], body["subject"], body["version"], body["sequence"]) == ("mdm.customer.merged", "CUS-1", 3, 42)
    assert body["correlationid"] == "req-9" and body["time"] == "2026-03-01T12:00:00Z"
    assert body["data"]["golden"] == {"email": "a@example.com"}
    assert decode(event.body).get_id() == "e-1" and event.change == "merged"
