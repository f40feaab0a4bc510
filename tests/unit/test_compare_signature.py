"""Levels worked out once per distinct pair of signatures equal the levels of the chunked walk."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import mdm.match.compare as compare
from mdm.match import load_rules
from mdm.match.blocking import blocking_keys, candidate_pairs
from mdm.match.features import prepare

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "unit"))

from test_match_small_frames import _seed_frame  # noqa: E402


@pytest.fixture(scope="module", params=["customer", "item"])
def seed_pairs(request):
    """(prepared seed frame, rules, left, right): the blocked pairs and as many random ones,
    so that most levels, nulls and the else level all occur."""
    rules = load_rules(ROOT / "rules" / f"{request.param}.yaml")
    frame = prepare(_seed_frame(request.param), rules)
    left, right = candidate_pairs(frame, rules, blocking_keys(frame, rules))
    ids = frame.index.to_numpy()
    rng = np.random.default_rng(5)
    a, b = rng.choice(ids, len(left)), rng.choice(ids, len(left))
    keep = a != b
    return frame, rules, np.concatenate([left, a[keep]]), np.concatenate([right, b[keep]])


def _levels(frame, rules, left, right, monkeypatch, by_signature: bool, threads: int = 2, dense: int = 0):
    with monkeypatch.context() as m:
        m.setattr(compare, "SIGNATURE_PAIRS", 0 if by_signature else 10**12)
        m.setattr(compare, "DENSE_SIGNATURE_KEYS", dense)
        m.setattr(compare, "RUN_DISTINCT_SHARE", 0.0 if by_signature else 0.5)  # every fuzzy comparison
        m.setattr(compare, "PARALLEL_COMPARE_PAIRS", 0)
        m.setattr(compare, "COMPARE_THREADS", threads)
        m.setattr(compare, "PAIR_CHUNK", 1_000)  # several chunks for the walk compared against
        return compare.comparison_levels(frame, left, right, rules)


def _calls(monkeypatch, name: str) -> list[str]:
    """The names of the comparisons ``compare.<name>`` is called with, from now on."""
    calls, original = [], getattr(compare, name)

    def spy(comparison, *args):
        calls.append(comparison.name)
        return original(comparison, *args)

    monkeypatch.setattr(compare, name, spy)
    return calls


def test_signature_levels_equal_the_chunked_walk(seed_pairs, monkeypatch):
    frame, rules, left, right = seed_pairs
    chunked = _levels(frame, rules, left, right, monkeypatch, by_signature=False)
    whole, tables = _calls(monkeypatch, "_levels_by_signature"), _calls(monkeypatch, "_levels_by_table")
    fuzzy = [c.name for c in rules.comparisons if any(s.kind not in ("null", "exact", "else") for s in c.levels)]
    for threads in (1, 2):
        whole.clear()
        signature = _levels(frame, rules, left, right, monkeypatch, by_signature=True, threads=threads)
        assert sorted(whole) == sorted(fuzzy) and not tables  # every comparison with a fuzzy level, sorted keys
        assert np.array_equal(signature, chunked)
    # Every comparison from a table of its signature pairs (the seed's signatures are few).
    whole.clear()
    signature = _levels(frame, rules, left, right, monkeypatch, by_signature=True, dense=1 << 40)
    assert sorted(tables) == sorted(whole) == sorted(c.name for c in rules.comparisons)
    assert np.array_equal(signature, chunked)
    # The pairs reach many levels of every fuzzy comparison, so the equality says something.
    for k, comparison in enumerate(rules.comparisons):
        if comparison.name in fuzzy:
            assert len(np.unique(chunked[:, k])) >= 3, comparison.name


def test_a_pair_and_its_reverse_get_one_level(seed_pairs, monkeypatch):
    """Signature pairs are unordered, as the distinct value pairs of the chunked walk are."""
    frame, rules, left, right = seed_pairs
    both = _levels(frame, rules, np.concatenate([left, right]), np.concatenate([right, left]), monkeypatch, True)
    assert np.array_equal(both[: len(left)], both[len(left):])


def test_signatures_group_records_with_equal_codes_in_every_compared_column(seed_pairs):
    frame, rules, _, _ = seed_pairs
    columns = compare.ColumnCodes(frame)
    for comparison in rules.comparisons:
        names = compare._compared_columns(comparison)
        signatures = compare._Signatures(columns, names)
        record_codes = np.stack([columns[name][0] for name in names], axis=1)
        per_signature = np.stack([signatures[name][0] for name in names], axis=1)
        # A record's signature carries its codes, and records of one signature have equal codes.
        assert np.array_equal(per_signature[signatures.of_record], record_codes)
        assert len(np.unique(record_codes, axis=0)) == len(np.unique(signatures.of_record))
        assert signatures.of_record.min() >= 0 and signatures.of_record.max() < signatures.count


def test_large_runs_choose_the_path_by_the_share_of_differing_values(seed_pairs, monkeypatch):
    frame, rules, left, right = seed_pairs
    columns = compare.ColumnCodes(frame)
    lp, rp = compare.positions(frame, left), compare.positions(frame, right)
    monkeypatch.setattr(compare, "SIGNATURE_PAIRS", 0)
    monkeypatch.setattr(compare, "DENSE_SIGNATURE_KEYS", 0)
    for comparison in rules.comparisons:
        codes, _ = columns[comparison.field]
        a, b = codes[lp], codes[rp]
        share = np.mean((a >= 0) & (b >= 0) & (a != b))
        fuzzy = any(s.kind not in ("null", "exact", "else") for s in comparison.levels)
        if fuzzy and abs(share - compare.RUN_DISTINCT_SHARE) > 0.05:  # the sample decides clear cases alike
            assert compare._by_signature(comparison, columns, lp, rp) == (share >= compare.RUN_DISTINCT_SHARE)
        if not fuzzy:
            assert not compare._by_signature(comparison, columns, lp, rp)
    # Few signatures (a country, a source system): a table, whatever the share.
    monkeypatch.setattr(compare, "DENSE_SIGNATURE_KEYS", 1 << 22)
    assert compare._by_signature(next(c for c in rules.comparisons if c.name == "system"), columns, lp, rp)
    monkeypatch.setattr(compare, "SIGNATURE_PAIRS", len(lp) + 1)  # small runs keep the chunked walk
    assert not any(compare._by_signature(c, columns, lp, rp) for c in rules.comparisons)
