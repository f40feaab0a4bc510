"""Golden ids stay stable across merges and splits."""

import uuid
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from mdm.ids import new_event_ids, new_golden_id, new_golden_ids
from mdm.resolve.assign import assign_golden_ids

AGE = {"G-old": (1,), "G-mid": (2,), "G-new": (3,)}


def test_a_merge_keeps_the_older_id_even_when_the_newer_has_more_members():
    clusters = {1: [1, 2, 3, 4]}
    current = {1: "G-new", 2: "G-new", 3: "G-new", 4: "G-old"}
    result = assign_golden_ids(clusters, current, AGE)
    assert result.kept == {1: "G-old"}
    assert result.merged == {"G-new": "G-old"}
    assert result.new == []


def test_a_split_keeps_the_id_with_the_larger_part_and_gives_the_rest_a_new_id():
    clusters = {1: [1, 2], 3: [3]}
    current = {1: "G-old", 2: "G-old", 3: "G-old"}
    result = assign_golden_ids(clusters, current, AGE)
    assert result.kept == {1: "G-old"}
    assert result.new == [3]
    assert result.merged == {}


def test_unmatched_records_get_new_ids_and_untouched_ids_stay():
    clusters = {1: [1], 2: [2], 5: [5]}
    current = {1: "G-old", 2: "G-mid"}
    result = assign_golden_ids(clusters, current, AGE)
    assert result.kept == {1: "G-old", 2: "G-mid"}
    assert result.new == [5]


def test_a_golden_record_whose_members_all_left_is_reported_empty():
    clusters = {1: [1]}
    current = {1: "G-old"}
    result = assign_golden_ids(clusters, current, AGE, previous_members={"G-old": [1], "G-mid": [9]})
    assert result.emptied == ["G-mid"]


def test_golden_ids_sort_by_creation_time_and_carry_the_domain():
    first = new_golden_id("customer", now_ms=1_700_000_000_000)
    second = new_golden_id("customer", now_ms=1_700_000_000_001)
    assert first.startswith("CUS-") and new_golden_id("item").startswith("ITM-")
    assert first < second
    assert len(first) == len(second) == 30


def test_an_even_split_leaves_the_id_with_the_longest_standing_member():
    clusters = {1: [1], 2: [2]}
    current = {1: "G-old", 2: "G-old"}
    # Record 2 founded the golden record; record 1 joined it later and is split off.
    result = assign_golden_ids(clusters, current, AGE, seniority={1: (20,), 2: (10,)})
    assert result.kept == {2: "G-old"}
    assert result.new == [1]


def _digits(number: int, length: int) -> str:
    """The id's encoding, digit by digit (Crockford base32, most significant first)."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "".join(alphabet[(number >> (5 * i)) % 32] for i in reversed(range(length)))


@settings(max_examples=200, deadline=None)
@given(ms=st.integers(0, 2**48 - 1), random=st.lists(st.binary(min_size=10, max_size=10), min_size=1, max_size=5))
def test_minted_ids_are_the_time_then_the_random_bits_in_crockford_base32(ms, random):
    with patch("mdm.ids.os.urandom", lambda n: b"".join(random)[:n]):
        ids = new_golden_ids("item", len(random), now_ms=ms)
        one = new_golden_id("item", now_ms=ms)
    assert one == f"ITM-{_digits(ms, 10)}{_digits(int.from_bytes(random[0], 'big'), 16)}"
    # Minted together, they come in ascending order of their random part.
    assert ids == [f"ITM-{_digits(ms, 10)}{_digits(int.from_bytes(r, 'big'), 16)}" for r in sorted(random)]


def test_ids_minted_together_differ():
    ids = new_golden_ids("customer", 10_000)
    assert len(set(ids)) == 10_000 and all(len(i) == 30 and i.startswith("CUS-") for i in ids)
    assert ids == sorted(ids)


def test_event_ids_minted_together_are_ascending_version_7_uuids_of_that_moment():
    ms = 1_796_000_000_123
    ids = new_event_ids(5000, now_ms=ms)
    parsed = [uuid.UUID(i) for i in ids]
    assert [str(u) for u in parsed] == ids and len(set(ids)) == 5000
    assert ids == sorted(ids)
    assert {u.version for u in parsed} == {7} and {u.variant for u in parsed} == {uuid.RFC_4122}
    assert {u.int >> 80 for u in parsed} == {ms}
    # The random part is random: every bit outside the time, version and variant varies.
    fixed = (0xFFFFFFFFFFFF << 80) | (0xF << 76) | (0x3 << 62)
    varies = 0
    for u in parsed:
        varies |= u.int ^ parsed[0].int
    assert varies == ((1 << 128) - 1) & ~fixed
