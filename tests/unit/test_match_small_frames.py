"""The small-frame (plain Python) path of ``prepare`` and ``blocking_keys`` gives exactly the vectorized result."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import mdm.match.features as features
from mdm.ingest.loader import prepare_rows
from mdm.ingest.mapping import load_mapping
from mdm.ingest.readers import read_source
from mdm.match import load_rules
from mdm.match.blocking import blocking_keys
from mdm.match.features import prepare
from mdm.resolve.frames import records_frame

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seed_data"
SOURCES = {
    "customer": ["crm_accounts", "crm_contacts", "erp_customers", "wms_ship_to"],
    "item": ["crm_products", "erp_materials", "wms_items"],
}

# None vs NaN must match too, not just "both missing".
pytestmark = pytest.mark.filterwarnings("error:Mismatched null-like values:FutureWarning")


def _seed_frame(domain: str) -> pd.DataFrame:
    rows, now = [], datetime(2024, 1, 1, tzinfo=timezone.utc)
    for name in SOURCES[domain]:
        mapping = load_mapping(SEED / f"{name}.mapping.yaml")
        data = next(p for p in SEED.glob(f"{name}.*") if not p.name.endswith(".mapping.yaml"))
        for r in prepare_rows(read_source(data, mapping), mapping).records:
            rows.append((len(rows) + 1, mapping.source, r.source_key, 1, r.fields, r.source_updated_at, now, None))
    return records_frame(domain, rows)


@pytest.fixture(scope="module", params=["customer", "item"])
def seed(request):
    return load_rules(ROOT / "rules" / f"{request.param}.yaml"), _seed_frame(request.param)


def _subsets(frame: pd.DataFrame) -> list[pd.DataFrame]:
    rng = random.Random(7)
    n = len(frame)
    picks = [frame.iloc[:1], frame.iloc[-1:], frame.iloc[:2], frame.iloc[100:117], frame.iloc[:150], frame.iloc[n - 150 :]]
    for size in (1, 1, 1, 2, 5, 17, 40, 150):
        picks.append(frame.iloc[sorted(rng.sample(range(n), size))])
    picks.append(frame.iloc[rng.sample(range(n), 60)])  # unsorted index
    return picks


def _both(fn, monkeypatch):
    fast = fn()
    with monkeypatch.context() as m:
        m.setattr(features, "SMALL_FRAME_ROWS", 0)
        slow = fn()
    return fast, slow


def test_prepare_small_frames_match_vectorized(seed, monkeypatch):
    rules, frame = seed
    for small in _subsets(frame):
        fast, slow = _both(lambda: prepare(small, rules), monkeypatch)
        assert_frame_equal(fast, slow)


def test_blocking_keys_small_frames_match_vectorized(seed, monkeypatch):
    rules, frame = seed
    for small in _subsets(frame):
        fast, slow = _both(lambda: blocking_keys(small, rules), monkeypatch)
        assert_frame_equal(fast, slow)
        prepared = prepare(small, rules)
        fast, slow = _both(lambda: blocking_keys(prepared, rules), monkeypatch)
        assert_frame_equal(fast, slow)


def test_edge_values_match_vectorized(seed, monkeypatch):
    """Blank and whitespace text, NaN, missing columns, StringDtype, numbers in text columns."""
    rules, frame = seed
    small = frame.iloc[:6].copy()
    text = [c for c in small.columns if small[c].dtype == object and c != "correlation_id"]
    small.loc[small.index[0], text] = None
    small.loc[small.index[1], text] = "   "
    small.loc[small.index[2], text[:3]] = np.nan
    small.loc[small.index[3], text[-1]] = ""
    small[text[0]] = small[text[0]].astype("string")
    small.loc[small.index[4], text[1]] = 12.5
    small = small.drop(columns=[text[2]])
    fast, slow = _both(lambda: prepare(small, rules), monkeypatch)
    assert_frame_equal(fast, slow)
    fast, slow = _both(lambda: blocking_keys(small, rules), monkeypatch)
    assert_frame_equal(fast, slow)
    empty_row = frame.iloc[:1].copy()
    empty_row.loc[:, text] = None
    fast, slow = _both(lambda: prepare(empty_row, rules), monkeypatch)
    assert_frame_equal(fast, slow)
    fast, slow = _both(lambda: blocking_keys(empty_row, rules), monkeypatch)
    assert_frame_equal(fast, slow)


def test_large_frames_keep_the_vectorized_path(seed, monkeypatch):
    rules, frame = seed
    called = []
    monkeypatch.setattr(features, "_prepare_small", lambda *a: called.append(1))
    prepare(frame.iloc[: features.SMALL_FRAME_ROWS + 1], rules)
    assert not called


def test_pair_frequencies_small_frames_match_vectorized(seed, monkeypatch):
    """Term frequencies of a few records: the index lookup gives what ``Series.map`` gives,
    with the whole frame's tables (as an incremental run uses the stored model's)."""
    import mdm.match.compare as compare

    rules, frame = seed
    prepared = prepare(frame, rules)
    tables = compare.term_frequencies(prepared, rules)
    assert tables, "the rules have term-frequency comparisons"
    for small in _subsets(prepared):
        ids = small.index.to_numpy()
        fast = compare.pair_frequencies(small, ids, rules, tables)
        with monkeypatch.context() as m:
            m.setattr(compare, "SMALL_ROWS", 0)
            slow = compare.pair_frequencies(small, ids, rules, tables)
        assert fast.comparisons == slow.comparisons
        pairs = np.arange(len(ids))
        for k in fast.comparisons:
            np.testing.assert_array_equal(fast[pairs, k], slow[pairs, k])
            assert not np.isnan(fast[pairs, k]).all() or small[rules.comparisons[k].field].isna().all()


def test_features_once_per_distinct_value_match_the_series_functions(seed, monkeypatch):
    """Large frames run each feature's scalar twin once per distinct input combination
    (and test each distinct value once for blankness): the same frame as the Series functions."""
    rules, frame = seed
    text = [c for c in frame.columns if frame[c].dtype == object and c != "correlation_id"]
    edged = frame.copy()
    edged.loc[edged.index[0], text] = None
    edged.loc[edged.index[1], text] = "   "
    edged.loc[edged.index[2], text[:3]] = np.nan
    edged.loc[edged.index[3], text[-1]] = ""
    edged.loc[edged.index[4], text[1]] = 12.5
    for big in (frame, edged, frame.iloc[::-1], edged.drop(columns=[text[2]])):
        assert len(big) > features.SMALL_FRAME_ROWS
        fast = prepare(big, rules)
        with monkeypatch.context() as m:
            m.setattr(features, "_per_distinct", lambda *a: None)
            m.setattr(features, "_as_text", _as_text_per_value)
            slow = prepare(big, rules)
        assert_frame_equal(fast, slow)


def _as_text_per_value(series: pd.Series, with_codes: bool = False):
    values = series.astype(object).where(series.notna(), None)
    text = values.where(values.astype(str).str.strip() != "", None)
    return (text, None) if with_codes else text


def test_prepared_records_fused_cleaning_equals_prepare_of_records_frame(monkeypatch):
    """``prepared_records`` cleans blanks while it builds its columns: the same frame as
    ``prepare(records_frame(rows))``, also with blank, whitespace and non-text values."""
    import mdm.resolve.frames as frames

    rules = load_rules(ROOT / "rules" / "customer.yaml")
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    mapping = load_mapping(SEED / "crm_contacts.mapping.yaml")
    data = next(p for p in SEED.glob("crm_contacts.*") if not p.name.endswith(".mapping.yaml"))
    records = prepare_rows(read_source(data, mapping), mapping).records[:12]
    rows = [(i + 1, "CRM", r.source_key, 1, dict(r.fields), r.source_updated_at, now, None) for i, r in enumerate(records)]
    rows[0][4]["city"] = "   "
    rows[1][4]["email"] = ""
    rows[2][4].update(given_name="\t", family_name=" ")
    rows[3] = (4, " ", rows[3][2], 1, rows[3][4], None, now, "  ")  # blank metadata too
    text_only = [tuple(r) for r in rows]
    with_number = [*text_only[:5], (99, "CRM", "N1", 2, {**text_only[5][4], "postal_code": 12345}, None, now, None)]
    for case in (text_only, with_number):
        monkeypatch.setattr(frames, "_current_rows", lambda session, domain, ids, case=case: list(case))
        got = frames.prepared_records(None, "customer", rules, [r[0] for r in case])
        assert_frame_equal(got, prepare(records_frame("customer", case), rules))
    assert frames._small_columns("customer", with_number, blank_as_none=True) is None
    assert frames._small_columns("customer", text_only, blank_as_none=True)["city"][0] is None
    assert frames._small_columns("customer", text_only)["city"][0] == "   "  # records_frame keeps the text as stored


@pytest.mark.parametrize("n", [1, 3, 40])
def test_small_frame_from_blocks_equals_the_frame_built_column_by_column(n):
    """``small_frame`` assembles its frame from blocks (falling back to inserts for dtypes
    it has no block path for): the same frame as building it column by column."""
    index = pd.Index(np.arange(10, 10 + n, dtype=np.int64), name="record_id")
    stamp = pd.Series(pd.date_range("2024-01-01", periods=n, tz="UTC"), index=index)
    typed = {
        "version": pd.Series(np.arange(n, dtype=np.int64), index=index),
        "updated_at": stamp,
        "score": pd.Series(np.linspace(0, 1, n), index=index),
        "flag": pd.Series([True] * n, index=index),
        "nullable": pd.Series(pd.array(range(n), dtype="Int64"), index=index),
        "kind": pd.Series(pd.Categorical(["a"] * n), index=index),
    }
    for picked in (["version", "updated_at", "score", "flag"], list(typed)):
        columns = {"first": [f"x{i}" for i in range(n)], **{k: typed[k] for k in picked[:2]},
                   "middle": [None] * n, **{k: typed[k] for k in picked[2:]}, "last": [["a", "b"]] * n}
        want = pd.DataFrame({k: (pd.Series(v, index=index, dtype=object) if isinstance(v, list) else v)
                             for k, v in columns.items()}, index=index)
        got = features.small_frame(columns, index)
        assert_frame_equal(got, want)
        got["added"] = 1  # an ordinary, writable frame
        got.loc[index[0], "first"] = "changed"
        assert got["first"].iloc[0] == "changed" and columns["first"][0] == "x0"
