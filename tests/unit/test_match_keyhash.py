"""Stored blocking keys: 64-bit hashes that must mean the same in every release."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdm.match.keyhash import KEY_LENGTH, key_hashes, key_rows


def test_hashes_are_pinned():
    """Stores hold these numbers: a pandas (SipHash) change must fail here, not corrupt lookups."""
    got = key_hashes("customer", ["phone", "phone", "email"], ["+15551234567", "+15551234568", "a@b.com"])
    assert got.dtype == np.int64
    assert got.tolist() == [-5965561019241874158, -6659748380399800442, -6066530679278675939]
    assert key_hashes("item", ["phone"], ["+15551234567"]).tolist() == [-6449000917245965898]


def test_domain_key_name_and_value_all_count():
    base = key_hashes("customer", ["zip5"], ["02134"])[0]
    assert key_hashes("item", ["zip5"], ["02134"])[0] != base
    assert key_hashes("customer", ["zip3"], ["02134"])[0] != base
    assert key_hashes("customer", ["zip5"], ["02135"])[0] != base
    # The separator keeps "a" + "b\x1fc" apart from "a\x1fb" + "c" in the prefix.
    assert key_hashes("cust", ["omer\x1fzip5"], ["x"])[0] != key_hashes("customer", ["zip5"], ["x"])[0]


def test_values_are_hashed_cut_to_the_old_column_width():
    """Stores converted from key texts (cut to 255 characters) find the same blocks."""
    long = "é" * (KEY_LENGTH + 40)
    assert key_hashes("customer", ["n"], [long])[0] == key_hashes("customer", ["n"], [long[:KEY_LENGTH]])[0]
    assert key_hashes("customer", ["n"], [long[: KEY_LENGTH - 1]])[0] != key_hashes("customer", ["n"], [long])[0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["phone", "email", "name_city"]), st.text(max_size=300)), max_size=40))
def test_a_batch_hashes_as_its_rows_one_by_one(rows):
    names, values = [n for n, _ in rows], [v for _, v in rows]
    together = key_hashes("customer", names, values).tolist()
    assert together == [key_hashes("customer", [n], [v])[0] for n, v in rows]


def test_key_rows_are_unique_and_in_primary_key_order():
    keys = pd.DataFrame({"record_id": [3, 1, 3, 2, 1], "key_name": ["phone", "phone", "phone", "email", "phone"],
                         "key_value": ["555", "555", "555", "a@b", "555"]})
    hashes, ids = key_rows("customer", keys)
    pairs = list(zip(hashes.tolist(), ids.tolist()))
    phone, email = key_hashes("customer", ["phone", "email"], ["555", "a@b"]).tolist()
    assert pairs == sorted({(phone, 1), (phone, 3), (email, 2)})


def test_a_value_that_is_not_text_is_keyed_by_its_text():
    assert key_hashes("item", ["pack", "pack"], [12, "x"]).tolist() == key_hashes("item", ["pack", "pack"], ["12", "x"]).tolist()


def test_names_and_values_must_pair_up():
    with pytest.raises(ValueError, match="2 key names for 1 key values"):
        key_hashes("customer", ["a", "b"], ["x"])
    assert key_hashes("customer", [], []).dtype == np.int64
