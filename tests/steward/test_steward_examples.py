"""The example steward operations in graphql/steward/ run against the API."""

from __future__ import annotations

import json
import re

from steward_api import GRAPHQL_DIR

STEWARD_DIR = GRAPHQL_DIR / "steward"


def example(name: str) -> tuple[str, dict]:
    text = (STEWARD_DIR / name).read_text(encoding="utf-8")
    found = re.search(r"^# variables: (.*)$", text, re.MULTILINE)
    return text, json.loads(found.group(1)) if found else {}


def run(api, name: str, **variables) -> dict:
    query, defaults = example(name)
    data = api["steward"].data(query, {**defaults, **variables})
    payload = next(iter(data.values()))
    assert payload, f"{name} returned nothing: {data}"
    return payload


def test_every_steward_example_is_exercised():
    assert {p.name for p in STEWARD_DIR.glob("*.graphql")} == {
        "review_queue.graphql", "review_item.graphql", "merge.graphql", "not_a_match.graphql", "split.graphql",
        "override.graphql", "unpin.graphql", "undo.graphql", "bulk.graphql", "steward_stats.graphql",
    }


def test_queue_item_and_stats_examples(api):
    queue = run(api, "review_queue.graphql")
    assert queue["items"]
    assert run(api, "review_item.graphql", id=queue["items"][0]["id"])["mergePreview"]
    assert run(api, "steward_stats.graphql")["queueSize"] >= 1


def test_decision_examples(api):
    first, second = api["steward"].fresh_candidates(2)
    merged = run(api, "merge.graphql", id=first["id"])
    run(api, "not_a_match.graphql", id=second["id"])
    survivor = merged["goldenIds"][0]
    pinned = run(api, "override.graphql", goldenId=survivor)
    assert pinned["goldenRecords"][0]["values"]["email"] == "ap@acme.example"
    run(api, "unpin.graphql", goldenId=survivor)
    split = run(api, "split.graphql", recordId=max(first["leftRecordId"], first["rightRecordId"]))
    assert len(split["goldenIds"]) >= 2
    assert run(api, "undo.graphql", id=split["decision"]["id"])["decision"]["kind"] == "undo"
    bulk = run(api, "bulk.graphql", threshold=1.1)
    assert bulk["candidateIds"] == []
