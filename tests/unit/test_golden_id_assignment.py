"""Golden ids stay stable across merges and splits."""

from mdm.ids import new_golden_id
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
