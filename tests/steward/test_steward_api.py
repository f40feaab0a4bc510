"""Steward decisions over GraphQL on SQLite and PostgreSQL: what each does to
golden records, the audit rows and change events it leaves, conflicts
between stewards, undo, bulk decisions and the steward role."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from mdm import steward
from mdm.settings import Settings
from mdm.store.tables import AuditLog, CannotLink, MatchCandidate, MustLink, OutboxEvent, StewardDecision, Xref

RESULT = "decision { id kind actor reason undoneBy } goldenIds candidateIds events { type subject version } before after"
MERGE = f"mutation($id: Int!, $r: String) {{ mergeCandidate(candidateId: $id, reason: $r) {{ {RESULT} }} }}"
NOT_A_MATCH = f"mutation($id: Int!, $r: String) {{ markNotAMatch(candidateId: $id, reason: $r) {{ {RESULT} }} }}"
SPLIT = f"mutation($rec: Int!, $into: ID, $r: String) {{ splitRecord(recordId: $rec, into: $into, reason: $r) {{ {RESULT} }} }}"
OVERRIDE = (
    "mutation($g: ID!, $a: String!, $v: JSON!, $r: String!) "
    f"{{ overrideAttribute(goldenId: $g, attribute: $a, value: $v, reason: $r) {{ {RESULT} }} }}"
)
UNPIN = f"mutation($g: ID!, $a: String!) {{ unpinAttribute(goldenId: $g, attribute: $a) {{ {RESULT} }} }}"
UNDO = f"mutation($id: Int!, $r: String) {{ undoDecision(decisionId: $id, reason: $r) {{ {RESULT} }} }}"
BULK = (
    "mutation($a: BulkAction!, $t: Float!, $s: String, $min: Float, $max: Float, $n: Int!) "
    "{ bulkDecide(action: $a, threshold: $t, domain: CUSTOMER, sourceSystem: $s, minScore: $min, maxScore: $max, "
    f"limit: $n, reason: \"bulk\") {{ {RESULT} }} }}"
)
ITEM = """query($id: Int!) { reviewItem(id: $id) {
  id status score matchWeight priorWeight explainedWeight
  left { id system key fields } right { id system key fields }
  leftGolden { id } rightGolden { id }
  fields { field left right same comparisons level weight }
  comparisons { comparison level weight fields }
  mergePreview { survivorId goldenIds memberIds values changed lineage { attribute system sourceKey } }
} }"""
GOLDEN = """query($id: ID!) { goldenRecord(id: $id) {
  id status version values lineage { attribute value overridden system } sourceRecords { id system key }
} }"""


def audit_of(store, decision_id: int) -> AuditLog:
    with store.session() as s:
        rows = [a for a in s.scalars(select(AuditLog).where(AuditLog.action.like("steward.%")))
                if (a.after or {}).get("decision_id") == decision_id]
    assert len(rows) == 1
    return rows[0]


def events_of(store, decision_id: int) -> list[OutboxEvent]:
    with store.session() as s:
        return list(s.scalars(select(OutboxEvent).where(OutboxEvent.correlation_id == f"steward-decision-{decision_id}")))


def candidate(store, candidate_id: int) -> MatchCandidate:
    with store.session() as s:
        return s.get(MatchCandidate, candidate_id)


# --- the queue ---------------------------------------------------------------------------


def test_the_queue_lists_pending_pairs_highest_priority_first(api):
    items = api["steward"].queue()
    assert items and all(i["kind"] == "MATCH" for i in items)
    priorities = [i["priority"] for i in items]
    assert priorities == sorted(priorities, reverse=True)


def test_a_review_item_shows_both_records_field_weights_and_the_merge_preview(api):
    item = api["steward"].queue()[0]
    found = api["steward"].data(ITEM, {"id": item["id"]})["reviewItem"]
    by_field = {f["field"]: f for f in found["fields"]}
    for name, value in found["left"]["fields"].items():
        if name in by_field:
            assert by_field[name]["left"] == value
    # The waterfall adds up: prior plus every comparison's weight is the explained total.
    total = found["priorWeight"] + sum(c["weight"] for c in found["comparisons"])
    assert total == pytest.approx(found["explainedWeight"], abs=1e-6)
    compared = [f for f in found["fields"] if f["comparisons"]]
    assert compared and all(f["level"] is not None and f["weight"] is not None for f in compared)
    preview = found["mergePreview"]
    both = {found["leftGolden"]["id"], found["rightGolden"]["id"]}
    assert preview["survivorId"] in both and set(preview["goldenIds"]) == both
    assert {found["left"]["id"], found["right"]["id"]} <= set(preview["memberIds"])
    assert preview["values"] and {line["attribute"] for line in preview["lineage"]} >= set(preview["values"])


def test_the_queue_filters_by_source_system_and_score(api):
    items = api["steward"].queue(sourceSystem="ERP", minScore=0.9, maxScore=0.999)
    assert items
    assert all("ERP" in (i["left"]["system"], i["right"]["system"]) and 0.9 <= i["score"] <= 0.999 for i in items)
    assert len(items) < len(api["steward"].queue())


# --- merge, not-a-match ------------------------------------------------------------------


def test_merge_joins_the_pair_and_is_audited_with_its_events(api, seeded):
    (item,) = api["steward"].fresh_candidates()
    left, right = item["left"], item["right"]
    before = {left["goldenId"], right["goldenId"]}
    result = api["steward"].data(MERGE, {"id": item["id"], "r": "same company, same phone"})["mergeCandidate"]

    survivor = api["steward"].golden_of(left["system"], left["key"])
    assert api["steward"].golden_of(right["system"], right["key"]) == survivor
    assert result["goldenIds"] == [survivor] and survivor in before
    assert candidate(seeded, item["id"]).status == "accepted"
    decision = result["decision"]
    assert decision["kind"] == "merge" and decision["actor"] == "apikey:test-steward"
    audit = audit_of(seeded, decision["id"])
    assert audit.actor == "apikey:test-steward" and audit.action == "steward.merge" and audit.at is not None
    assert audit.after["reason"] == "same company, same phone"
    assert set(audit.before["golden_records"]) == before
    assert len(audit.after["golden_records"][survivor]["members"]) == sum(
        len(audit.before["golden_records"][g]["members"]) for g in before
    )
    events = events_of(seeded, decision["id"])
    assert {e.type for e in events} == {"mdm.customer.merged"} and {e.subject for e in events} == before
    assert [e["type"] for e in result["events"]] == [e.type for e in events]
    with seeded.session() as s:
        assert s.get(MustLink, tuple(sorted((item["leftRecordId"], item["rightRecordId"])))) is not None
        assert s.get(Xref, item["leftRecordId"]).decided_by == "steward"


def test_not_a_match_stands_until_a_compared_field_changes(api, seeded):
    (item,) = api["steward"].fresh_candidates()
    pair = tuple(sorted((item["leftRecordId"], item["rightRecordId"])))
    result = api["steward"].data(NOT_A_MATCH, {"id": item["id"], "r": "different people"})["markNotAMatch"]
    assert result["decision"]["kind"] == "not_a_match"
    left = api["steward"].golden_of(item["left"]["system"], item["left"]["key"])
    assert left != api["steward"].golden_of(item["right"]["system"], item["right"]["key"])
    assert candidate(seeded, item["id"]).status != "pending"
    assert audit_of(seeded, result["decision"]["id"]).after["reason"] == "different people"
    with seeded.session() as s:
        assert s.get(CannotLink, pair) is not None

    # The record's source sends an unrelated field: the decision still stands.
    record = api["steward"].data(ITEM, {"id": item["id"]})["reviewItem"]["left"]
    upsert = 'mutation($s: String!, $r: [JSON!]!) { upsertSourceRecords(system: $s, domain: CUSTOMER, records: $r) { stored } }'
    publisher = api[f"publisher:{record['system']}"]
    fields = {k: v for k, v in record["fields"].items() if v is not None}
    publisher.data(upsert, {"s": record["system"], "r": [{**fields, "key": record["key"], "account_owner": "Someone Else"}]})
    assert candidate(seeded, item["id"]).status != "pending"

    # A compared field changes: the steward's decision no longer binds and the
    # matcher decides the pair again. The change brings the record closer to
    # the other one, so the pair comes back to review, or merges outright.
    other = api["steward"].data(ITEM, {"id": item["id"]})["reviewItem"]["right"]
    closer = {field: other["fields"][field] for field in ("email", "phone") if other["fields"].get(field)}
    assert closer, "the other record has an email or phone to share"
    publisher.data(upsert, {"s": record["system"], "r": [{**fields, "key": record["key"], **closer}]})
    with seeded.session() as s:
        assert s.get(CannotLink, pair) is not None  # kept as history, but no longer standing
    merged = api["steward"].golden_of(item["left"]["system"], item["left"]["key"]) == api["steward"].golden_of(
        item["right"]["system"], item["right"]["key"])
    assert candidate(seeded, item["id"]).status == "pending" or merged


def test_two_stewards_deciding_one_candidate_at_once_cannot_both_win(api, seeded):
    (item,) = api["steward"].fresh_candidates()
    rules = steward.RuleBook(Settings().rules_dir)
    start = threading.Barrier(2)
    outcomes: list = []

    def decide(action):
        with seeded.session() as session:
            start.wait()
            try:
                outcomes.append(action(session, item["id"], actor=f"apikey:{action.__name__}", reason=None, rules=rules,
                                       now=datetime.now(timezone.utc)))
            except steward.Conflict as exc:
                outcomes.append(exc)

    threads = [threading.Thread(target=decide, args=(a,)) for a in (steward.merge, steward.not_a_match)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    conflicts = [o for o in outcomes if isinstance(o, steward.Conflict)]
    assert len(outcomes) == 2 and len(conflicts) == 1
    assert "no longer pending" in str(conflicts[0])
    with seeded.session() as s:
        decided = [d for d in s.scalars(select(StewardDecision)) if item["id"] in (d.payload or {}).get("candidates", [])]
    assert len(decided) == 1
    # The loser's answer over the API names the conflict.
    error = api["steward"].error(MERGE, {"id": item["id"]})
    assert error["extensions"]["code"] == "CONFLICT" and "no longer pending" in error["message"]


# --- split, override ---------------------------------------------------------------------


def _golden_with_members(api, seeded, n: int = 2) -> dict:
    """An untouched golden record with at least n members."""
    with seeded.session() as s:
        rows = s.execute(select(Xref.golden_id, Xref.record_id).where(Xref.domain == "customer")).all()
    groups: dict[str, set[int]] = {}
    for gid, rid in rows:
        groups.setdefault(gid, set()).add(rid)
    # Ordered by member ids, not by golden id: ids are ULIDs, random within a millisecond.
    for gid in sorted(groups, key=lambda g: min(groups[g])):
        if len(groups[gid]) >= n and not groups[gid] & api["steward"].touched:
            api["steward"].touched.update(groups[gid])
            return api["steward"].data(GOLDEN, {"id": gid})["goldenRecord"]
    raise AssertionError("no untouched golden record with enough members")


def test_split_moves_a_record_out_into_a_new_golden_record(api, seeded):
    golden = _golden_with_members(api, seeded)
    # The golden id stays with the records that did not move; the moved one gets a new id.
    moved = max(golden["sourceRecords"], key=lambda r: r["id"])
    result = api["steward"].data(SPLIT, {"rec": moved["id"], "r": "different branch"})["splitRecord"]
    now_in = api["steward"].golden_of(moved["system"], moved["key"])
    assert now_in != golden["id"] and set(result["goldenIds"]) >= {now_in, golden["id"]}
    types = {(e["type"], e["subject"]) for e in result["events"]}
    assert ("mdm.customer.split", golden["id"]) in types and ("mdm.customer.created", now_in) in types
    stayed = api["steward"].data(GOLDEN, {"id": golden["id"]})["goldenRecord"]
    assert moved["id"] not in {r["id"] for r in stayed["sourceRecords"]}
    audit = audit_of(seeded, result["decision"]["id"])
    assert audit.object_type == "golden_record" and audit.object_id == golden["id"]
    assert moved["id"] in {m["record_id"] for m in audit.before["golden_records"][golden["id"]]["members"]}


def test_split_into_another_golden_record(api, seeded):
    source = _golden_with_members(api, seeded)
    target = _golden_with_members(api, seeded)
    moved = source["sourceRecords"][-1]
    result = api["steward"].data(SPLIT, {"rec": moved["id"], "into": target["id"]})["splitRecord"]
    anchor = target["sourceRecords"][0]
    joined = api["steward"].golden_of(moved["system"], moved["key"])
    assert joined == api["steward"].golden_of(anchor["system"], anchor["key"]) and joined in result["goldenIds"]
    assert joined != api["steward"].golden_of(source["sourceRecords"][0]["system"], source["sourceRecords"][0]["key"])
    # The golden record the record left was split, even though no new id came of it.
    types = {(e["type"], e["subject"]) for e in result["events"]}
    assert ("mdm.customer.split", source["id"]) in types and ("mdm.customer.updated", joined) in types
    with seeded.session() as s:
        links = s.scalars(select(MustLink).where(MustLink.decision_id == result["decision"]["id"])).all()
    assert len(links) == 1


def test_override_pins_a_value_until_unpinned(api, seeded):
    golden = _golden_with_members(api, seeded, n=1)
    original = golden["values"].get("email")
    result = api["steward"].data(OVERRIDE, {"g": golden["id"], "a": "email", "v": "ap@pinned.example", "r": "confirmed by phone"})
    assert [e["type"] for e in result["overrideAttribute"]["events"]] == ["mdm.customer.updated"]
    pinned = api["steward"].data(GOLDEN, {"id": golden["id"]})["goldenRecord"]
    assert pinned["values"]["email"] == "ap@pinned.example"
    assert next(line for line in pinned["lineage"] if line["attribute"] == "email")["overridden"]
    audit = audit_of(seeded, result["overrideAttribute"]["decision"]["id"])
    assert audit.before["golden_records"][golden["id"]]["attributes"].get("email") == original
    assert audit.after["golden_records"][golden["id"]]["attributes"]["email"] == "ap@pinned.example"

    # Re-matching keeps the pinned value.
    with seeded.session() as s:
        from mdm.resolve.links import mark_for_rematch
        from mdm.resolve.run import match_domain
        mark_for_rematch(s, [r["id"] for r in golden["sourceRecords"]])
        s.commit()
        match_domain(s, "customer", steward.RuleBook(Settings().rules_dir).match("customer"), now=datetime.now(timezone.utc))
    assert api["steward"].data(GOLDEN, {"id": golden["id"]})["goldenRecord"]["values"]["email"] == "ap@pinned.example"

    api["steward"].data(UNPIN, {"g": golden["id"], "a": "email"})
    assert api["steward"].data(GOLDEN, {"id": golden["id"]})["goldenRecord"]["values"].get("email") == original


def test_an_override_that_fails_validation_is_refused(api):
    golden = api["steward"].queue()[0]["left"]["goldenId"]
    error = api["steward"].error(OVERRIDE, {"g": golden, "a": "email", "v": "not an email", "r": "typo"})
    assert error["extensions"]["code"] == "BAD_REQUEST" and "email" in error["message"]
    error = api["steward"].error(OVERRIDE, {"g": golden, "a": "shoe_size", "v": "42", "r": "?"})
    assert "no attribute 'shoe_size'" in error["message"]


# --- undo, bulk --------------------------------------------------------------------------


def test_undo_reverses_a_merge_and_the_pair_returns_to_the_queue(api, seeded):
    (item,) = api["steward"].fresh_candidates()
    left, right = item["left"], item["right"]
    merged = api["steward"].data(MERGE, {"id": item["id"]})["mergeCandidate"]
    undone = api["steward"].data(UNDO, {"id": merged["decision"]["id"], "r": "wrong pair"})["undoDecision"]
    assert undone["decision"]["kind"] == "undo"
    assert api["steward"].golden_of(left["system"], left["key"]) != api["steward"].golden_of(right["system"], right["key"])
    assert candidate(seeded, item["id"]).status == "pending"
    assert any(e["type"] in ("mdm.customer.split", "mdm.customer.created") for e in undone["events"])
    with seeded.session() as s:
        assert s.get(StewardDecision, merged["decision"]["id"]).undone_by == undone["decision"]["id"]
        assert not s.scalars(select(MustLink).where(MustLink.decision_id == merged["decision"]["id"])).all()
    assert audit_of(seeded, undone["decision"]["id"]).after["reason"] == "wrong pair"
    again = api["steward"].error(UNDO, {"id": merged["decision"]["id"]})
    assert again["extensions"]["code"] == "CONFLICT"


def test_undo_reverses_a_not_a_match(api, seeded):
    (item,) = api["steward"].fresh_candidates()
    rejected = api["steward"].data(NOT_A_MATCH, {"id": item["id"]})["markNotAMatch"]
    api["steward"].data(UNDO, {"id": rejected["decision"]["id"]})
    assert candidate(seeded, item["id"]).status == "pending"
    with seeded.session() as s:
        assert s.get(CannotLink, tuple(sorted((item["leftRecordId"], item["rightRecordId"])))) is None


def test_undo_reverses_an_override(api, seeded):
    golden = _golden_with_members(api, seeded, n=1)
    pinned = api["steward"].data(OVERRIDE, {"g": golden["id"], "a": "segment", "v": "Key account", "r": "sales asked"})
    api["steward"].data(UNDO, {"id": pinned["overrideAttribute"]["decision"]["id"]})
    after = api["steward"].data(GOLDEN, {"id": golden["id"]})["goldenRecord"]
    assert after["values"].get("segment") == golden["values"].get("segment")
    assert after["version"] == golden["version"] + 2


def test_bulk_accepts_above_a_score_within_a_source_system_and_undoes_as_one(api, seeded):
    chosen = api["steward"].fresh_candidates(2, sourceSystem="WMS", minScore=0.99)
    low, high = min(c["score"] for c in chosen), max(c["score"] for c in chosen)
    variables = {"a": "ACCEPT", "t": low, "s": "WMS", "max": high, "n": 50}
    preview = api["steward"].data(
        "query($t: Float!, $max: Float) { bulkPreview(action: ACCEPT, threshold: $t, domain: CUSTOMER, "
        "sourceSystem: \"WMS\", maxScore: $max, limit: 50) { candidateIds } }", {"t": low, "max": high},
    )["bulkPreview"]["candidateIds"]
    result = api["steward"].data(BULK, variables)["bulkDecide"]
    assert sorted(result["candidateIds"]) == sorted(preview) and {c["id"] for c in chosen} <= set(preview)
    assert result["decision"]["kind"] == "bulk_merge"
    for item in api["steward"].queue():
        assert item["id"] not in preview
    for c in chosen:
        api["steward"].touched.update({c["leftRecordId"], c["rightRecordId"]})
        assert candidate(seeded, c["id"]).status == "accepted"
        assert api["steward"].golden_of(c["left"]["system"], c["left"]["key"]) == api["steward"].golden_of(
            c["right"]["system"], c["right"]["key"])
    with seeded.session() as s:
        assert len(s.scalars(select(MustLink).where(MustLink.decision_id == result["decision"]["id"])).all()) == len(preview)
        touched = [m["record_id"] for g in audit_of(seeded, result["decision"]["id"]).after["golden_records"].values()
                   for m in g["members"]]
    api["steward"].touched.update(touched)
    api["steward"].data(UNDO, {"id": result["decision"]["id"]})
    for c in chosen:
        assert candidate(seeded, c["id"]).status == "pending"


def test_bulk_rejects_below_a_score(api, seeded):
    (item,) = api["steward"].fresh_candidates()
    preview = api["steward"].data(
        "query($t: Float!) { bulkPreview(action: REJECT, threshold: $t, domain: CUSTOMER, minScore: $t) { candidateIds } }",
        {"t": item["score"]},
    )["bulkPreview"]["candidateIds"]
    result = api["steward"].data(BULK, {"a": "REJECT", "t": item["score"], "min": item["score"], "n": 50})["bulkDecide"]
    assert sorted(result["candidateIds"]) == sorted(preview) and item["id"] in preview
    assert result["decision"]["kind"] == "bulk_not_a_match"
    with seeded.session() as s:
        assert s.get(CannotLink, tuple(sorted((item["leftRecordId"], item["rightRecordId"])))) is not None
    assert api["steward"].golden_of(item["left"]["system"], item["left"]["key"]) != api["steward"].golden_of(
        item["right"]["system"], item["right"]["key"])


def test_a_bulk_with_nothing_to_take_decides_nothing(api):
    result = api["steward"].data(BULK, {"a": "ACCEPT", "t": 2.0, "n": 10})["bulkDecide"]
    assert result["decision"] is None and result["candidateIds"] == []


# --- roles, stats ------------------------------------------------------------------------


@pytest.mark.parametrize("operation, variables", [
    (MERGE, {"id": 1}), (NOT_A_MATCH, {"id": 1}), (SPLIT, {"rec": 1}), (UNDO, {"id": 1}),
    (OVERRIDE, {"g": "CUS-x", "a": "email", "v": "a@b.example", "r": "x"}), (UNPIN, {"g": "CUS-x", "a": "email"}),
    (BULK, {"a": "ACCEPT", "t": 0.99, "n": 1}),
    ("{ reviewQueue { total } }", {}), ("{ stewardStats { queueSize } }", {}),
])
def test_steward_operations_need_the_steward_role(api, operation, variables):
    for role in ("reader", "publisher:CRM"):
        error = api[role].error(operation, variables)
        assert error["extensions"]["code"] == "FORBIDDEN" and "steward role" in error["message"]
    assert api["steward"].client.post("/graphql", json={"query": operation, "variables": variables}).status_code == 401


def test_admins_may_steward(api):
    assert api["admin"].data("{ reviewQueue(first: 1) { total } }")["reviewQueue"]["total"] >= 0


def test_stewards_stats_count_the_queue_and_todays_decisions(api, seeded):
    stats = api["steward"].data("""{ stewardStats {
      queueSize autoMergeRate domains { domain pending autoMerged stewardMerged autoMergeRate }
      decisionsPerDay { day count } oldestPending { id status createdAt }
    } }""")["stewardStats"]
    with seeded.session() as s:
        pending = s.scalars(select(MatchCandidate).where(MatchCandidate.status == "pending")).all()
        decided = s.scalars(select(StewardDecision)).all()
    assert stats["queueSize"] == len(pending)
    customer = next(d for d in stats["domains"] if d["domain"] == "CUSTOMER")
    assert customer["pending"] == len(pending) and customer["autoMerged"] > 0
    assert 0 < stats["autoMergeRate"] < 1
    today = datetime.now(timezone.utc).date().isoformat()
    assert stats["decisionsPerDay"][-1] == {"day": today, "count": len(decided)}
    assert len(stats["decisionsPerDay"]) == 14
    oldest = min(pending, key=lambda c: (c.created_at, c.id))
    assert stats["oldestPending"]["id"] == oldest.id
