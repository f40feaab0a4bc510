"""Compare candidate pairs: the level each pair hits in each comparison.

Every column is factorized to integer codes once; each *distinct* pair of
codes is then tested once per level (string similarity in rapidfuzz across
all cores) and the result mapped back to every pair that shares it. Names,
cities and postal codes repeat a lot, so the distinct pairs are usually far
fewer than the pairs.
"""

from __future__ import annotations

import heapq
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pandas._libs.missing import checknull

from mdm.match import intkeys
from mdm.match.cluster import lookup
from mdm.match.features import column_or_null, ensure_prepared
from mdm.match.framecols import column_list, object_column
from mdm.memory import release_free_heap
from mdm.match.registry import level_kinds
from mdm.match.rules import ELSE, NULL

# Above this many pairs, freed heap goes back to the system between comparisons.
LARGE_PAIRS = 1_000_000
# From this many ids, ``positions`` in a frame sorted by id uses ``cluster.lookup``.
LOOKUP_IDS = 100_000
PAIR_CHUNK = 4_000_000
SMALL_ROWS = 256  # frames up to this size are coded on plain Python
# Comparisons of a large batch run two at a time: numpy, pandas' hash tables
# and rapidfuzz release the GIL, and one comparison alone keeps ~1.2 cores busy.
COMPARE_THREADS = 2
PARALLEL_COMPARE_PAIRS = 200_000
# A column's distinct value pairs span all chunks (``_Cache``) when at least
# this share of a chunk's pairs reaches its first fuzzy level.
RUN_DISTINCT_SHARE = 0.5
# From this many pairs, a comparison most of whose pairs (sampled) reach a fuzzy level
# is worked out per distinct pair of signatures (``_levels_by_signature``).
SIGNATURE_PAIRS = 1_000_000
SIGNATURE_SAMPLE = 65_536
KEY_BLOCK = 1 << 20
# Up to this many (signature, signature) keys, a comparison's levels come from a table
# over all of them: a country or a source system, whatever share of pairs differs.
DENSE_SIGNATURE_KEYS = 1 << 22

if TYPE_CHECKING:
    from mdm.match.rules import ComparisonSpec, MatchRules


def positions(df: pd.DataFrame, ids: np.ndarray) -> np.ndarray:
    """Row positions of record ids in ``df``; an unknown id is an error."""
    ids = np.asarray(ids)
    index = df.index
    if len(ids) >= LOOKUP_IDS and index.dtype == np.int64 and index.is_monotonic_increasing and index.is_unique:
        # A frame read from the store is in id order: a gather from a table
        # over the id span, not a hash probe per id (1.8 s for 25M pairs' two ends).
        pos = lookup(index.to_numpy(), ids)
    else:
        pos = index.get_indexer(ids)
    if len(pos) and pos.min() < 0:
        missing = np.asarray(ids)[pos < 0][:5].tolist()
        raise KeyError(f"record ids not in the frame: {missing}")
    return pos


class ColumnCodes:
    """A frame's columns factorized once: codes per row, distinct values as str."""

    def __init__(self, df: pd.DataFrame):
        self.df = df
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.all_text: set[str] = set()  # columns whose distinct values are all str: the text is the value
        self._kept: tuple[np.ndarray, np.ndarray] | None = None  # (ids array, its row positions), handed out once
        # A small frame's columns are coded on plain lists: pandas' factorize costs more than the work.
        # (Not read out as one object block: that converts every column, timestamps too, for the few compared.)
        self._small = len(df) <= SMALL_ROWS and df.columns.is_unique
        self._lock = threading.Lock()

    def __getitem__(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        cached = self._cache.get(column)
        if cached is not None:
            return cached
        with self._lock:  # comparison threads code the columns they reach first, each once
            return self._code(column)

    def _code(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        if column not in self._cache and self._small:
            values = column_list(self.df, column)
            self._cache[column] = _small_codes([None] * len(self.df) if values is None else values)
        if column not in self._cache:
            values = object_column(self.df, column)
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            if pd.api.types.infer_dtype(uniques, skipna=True) == "string":
                text = _compact(uniques)
                self.all_text.add(column)
            else:
                text = np.array([" ".join(v) if isinstance(v, list) else str(v) for v in uniques], dtype=object)
            self._cache[column] = (codes.astype(np.int32), text)
        return self._cache[column]

    def keep_positions(self, ids: np.ndarray, found: np.ndarray) -> None:
        """Remember ``found``, the row positions of the array ``ids``, for one later ``positions_of``
        (the last pairs compared: an earlier one's positions are dropped)."""
        self._kept = (ids, found)

    def positions_of(self, ids) -> np.ndarray:
        """Row positions of ``ids``: the ones kept for this very array (handed out once), else looked up."""
        kept, self._kept = self._kept, None
        if kept is not None and kept[0] is ids:
            return kept[1]
        return positions(self.df, ids)


def _compact(uniques) -> np.ndarray:
    """The distinct strings copied into fresh objects, allocated one after the
    other: the string comparisons then read memory in order, not strings
    scattered over the heap wherever the store's rows were decoded (15% of
    the compare stage at a million records)."""
    return np.array([value.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass") for value in uniques],
                    dtype=object)


def _small_codes(values: list) -> tuple[np.ndarray, np.ndarray]:
    """``ColumnCodes`` for a few values: codes in order of first appearance,
    -1 for missing, distinct values as text (as ``pd.factorize`` + str)."""
    index: dict = {}
    codes = []
    for v in values:
        if type(v) is not str:  # text is the rule: the other kinds are sorted out here
            if v is None or checknull(v):
                codes.append(-1)
                continue
            if isinstance(v, list):
                v = tuple(v)
        code = index.get(v)
        if code is None:
            code = index[v] = len(index)
        codes.append(code)
    text = np.array([v if type(v) is str else " ".join(v) if isinstance(v, tuple) else str(v) for v in index],
                    dtype=object)
    return np.array(codes, dtype=np.int32), text


class DistinctPairs:
    """Distinct unordered (code, code) pairs of one column among pairs.

    ``lp``/``rp`` are the pairs' row positions and ``subset`` the pair indices
    to cover (default: all). ``at(pairs)`` maps pair indices to indices into
    ``left``/``right``; a pair with a missing value, or outside the subset,
    maps to ``missing``, the one index past them.
    """

    def __init__(self, codes: np.ndarray, lp: np.ndarray, rp: np.ndarray, subset: np.ndarray | None = None,
                 distinct: bool = False):
        a, b = (codes[lp], codes[rp]) if subset is None else (codes[lp[subset]], codes[rp[subset]])
        valid = (a >= 0) & (b >= 0)
        if distinct:  # the caller's pairs of codes are distinct already: nothing to factorize
            self.missing = int(np.count_nonzero(valid))
            self._inverse = np.full(len(lp), self.missing, dtype=np.int32)
            self._inverse[valid if subset is None else subset[valid]] = np.arange(self.missing, dtype=np.int32)
            self.left, self.right = a[valid], b[valid]
            return
        radix = np.int64(int(codes.max(initial=0)) + 1)
        key = np.minimum(a, b).astype(np.int64)
        key *= radix
        key += np.maximum(a, b)
        del a, b
        valid_key = key[valid]
        del key
        inverse, keys = intkeys.factorize(valid_key)
        del valid_key
        self.missing = len(keys)
        self._inverse = np.full(len(lp), self.missing, dtype=np.int32)
        self._inverse[valid if subset is None else subset[valid]] = inverse
        self.left = keys // radix
        self.right = keys % radix

    def at(self, pairs: np.ndarray) -> np.ndarray:
        return self._inverse[pairs]


class _Cache:
    """What one comparison worked out over all pairs of a run, kept across
    chunks: distinct value pairs of a column over every pair, and per level
    kind the result for each of them evaluated so far.

    The same two values meet again in pairs far apart (found by other
    blocking keys): at a million records, deduplicating over all pairs
    rather than within chunks halves the string comparisons of names,
    streets and phones. It costs a pass over every pair, so a column gets it
    only when most of a chunk's pairs reach its fuzzy levels; the others
    (a postal code compared after the city differs) stay chunk by chunk."""

    def __init__(self):
        self.distinct: dict[str, DistinctPairs] = {}
        self.results: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def comparison_levels(df: pd.DataFrame, left_ids, right_ids, rules: MatchRules,
                      columns: ColumnCodes | None = None) -> np.ndarray:
    """Level index hit per pair and comparison: int8 array (n_pairs, n_comparisons).

    ``df`` is indexed by record id; features are computed if not yet present.
    ``columns`` (``ColumnCodes`` of this prepared ``df``) may be passed to
    reuse its codes across calls: a million records' columns take seconds to
    factorize, and a bulk run compares three sets of pairs of one frame.
    """
    df = ensure_prepared(df, rules)
    if columns is None or columns.df is not df:
        columns = ColumnCodes(df)
    # Pairs a chunk at a time: the level walk's temporaries (codes per pair,
    # pairs still to place) then scale with the chunk, not with tens of
    # millions of pairs. Distinct value pairs and their scores span chunks.
    threads = COMPARE_THREADS if len(left_ids) >= PARALLEL_COMPARE_PAIRS else 1
    if threads > 1:
        # The pairs' row positions (numpy gathers, without the GIL) are found on another
        # thread while this one factorizes compared columns (Python objects). The columns
        # left when the positions are found are factorized by the comparison threads, each
        # when a comparison first reads it: one thread's Python work beside the other's numpy.
        with ThreadPoolExecutor(1) as pool:
            found = pool.submit(lambda: (positions(df, left_ids), positions(df, right_ids)))
            for column in _columns_of(rules):
                if found.done():
                    break
                columns[column]
            lp, rp = found.result()
    else:
        lp, rp = positions(df, left_ids), positions(df, right_ids)
    columns.keep_positions(left_ids, lp)  # for pair_frequencies of the same pairs
    out = np.empty((len(lp), len(rules.comparisons)), dtype=np.int8)
    caches = [_Cache() for _ in rules.comparisons]
    chunks = [(start, min(start + PAIR_CHUNK, len(lp))) for start in range(0, len(lp), PAIR_CHUNK)]
    whole: set[int] = set()  # comparisons worked out by signature, all pairs as the first chunk's task

    def run(k: int, todo: list[tuple[int, int]]) -> float:
        began = time.perf_counter()
        if todo and todo[0][0] == 0 and _by_signature(rules.comparisons[k], columns, lp, rp):
            whole.add(k)  # before the rest of k is scheduled: that waits for this task
            out[:, k] = _levels_by_signature(rules.comparisons[k], columns, lp, rp)
        if k in whole:
            todo = []
        for start, stop in todo:
            out[start:stop, k] = _levels_of(rules.comparisons[k], columns, lp, rp, start, stop, caches[k])
        if todo and todo[-1][1] == len(lp):
            caches[k] = None  # its distinct pairs and scores: done with
            if len(lp) > LARGE_PAIRS:
                release_free_heap()
        return time.perf_counter() - began

    if threads == 1:
        for k in range(len(rules.comparisons)):
            run(k, chunks)
        return out
    between = release_free_heap if len(lp) > LARGE_PAIRS else None
    _first_chunks_then_rest(run, len(rules.comparisons), chunks, threads, between)
    return out


def _first_chunks_then_rest(run, n: int, chunks: list, threads: int, between=None) -> None:
    """``run(k, chunks)`` for every comparison k on ``threads`` threads: the
    first chunk of each comparison, in order, then the rest of each one as a
    single task, longest first by its first chunk's time (no wait for the
    slowest comparison at the end of every chunk). A thread with no first
    chunk left takes the rest of a comparison whose first chunk is done
    rather than waiting for all of them: at a million records one comparison's
    first chunk (the street's run-wide distinct pairs) outlasts all the small
    ones by seconds. ``between`` runs once, after the last first chunk."""
    lock = threading.Condition()
    firsts = list(range(n))
    ready: list[tuple[float, int]] = []  # (-first chunk's time, k)
    state = {"running": 0, "error": None}

    def next_task():
        with lock:
            while state["error"] is None:
                if firsts:
                    state["running"] += 1
                    return True, firsts.pop(0)
                if ready:
                    return False, heapq.heappop(ready)[1]
                if state["running"] == 0:
                    return None
                lock.wait()
            return None

    def worker():
        while (task := next_task()) is not None:
            is_first, k = task
            try:
                took = run(k, chunks[:1] if is_first else chunks[1:])
            except BaseException as error:  # handed to the caller; the other threads stop
                with lock:
                    state["error"] = state["error"] or error
                    lock.notify_all()
                return
            if is_first:
                with lock:
                    state["running"] -= 1
                    if len(chunks) > 1:
                        heapq.heappush(ready, (-took, k))
                    last = state["running"] == 0 and not firsts
                    lock.notify_all()
                if last and between is not None:
                    between()

    pool = [threading.Thread(target=worker, name=f"compare-{i}") for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if state["error"] is not None:
        raise state["error"]


def _columns_of(rules: MatchRules) -> list[str]:
    return list(dict.fromkeys(column for c in rules.comparisons for column in _compared_columns(c)))


def _compared_columns(comparison: ComparisonSpec) -> list[str]:
    return list(dict.fromkeys(spec.column or comparison.field for spec in comparison.levels if spec.kind != ELSE))


def _by_signature(comparison: ComparisonSpec, columns: ColumnCodes, lp: np.ndarray, rp: np.ndarray) -> bool:
    """Whether ``comparison`` is worked out per distinct pair of signatures: a large run
    with few enough signatures for a table of their pairs, or in which most pairs (in a
    sample) have two different values in its column, so that most of them would walk
    every level down to the fuzzy ones."""
    if len(lp) < SIGNATURE_PAIRS:
        return False
    most = math.prod(len(columns[column][1]) + 1 for column in _compared_columns(comparison))
    if most * most <= DENSE_SIGNATURE_KEYS:
        return True
    if not any(spec.kind not in (NULL, "exact", ELSE) for spec in comparison.levels):
        return False
    codes, _ = columns[comparison.field]
    step = max(len(lp) // SIGNATURE_SAMPLE, 1)
    a, b = codes[lp[::step]], codes[rp[::step]]
    return float(np.mean((a >= 0) & (b >= 0) & (a != b))) >= RUN_DISTINCT_SHARE


class _Signatures:
    """One comparison's records by what it reads: records with the same codes in
    every column it compares share a signature. ``of_record`` is each record's
    signature, and ``signatures[column]`` gives (codes per signature, distinct
    values) as ``ColumnCodes`` gives them per record. ``distinct`` holds the
    columns whose codes differ between any two signatures (a single column)."""

    def __init__(self, columns: ColumnCodes, names: list[str]):
        self.values = {name: columns[name][1] for name in names}
        if len(names) == 1:
            codes, values = columns[names[0]]
            self.of_record = codes + np.int32(1)  # 0: missing
            self.count = len(values) + 1
            self.codes = {names[0]: np.arange(-1, len(values), dtype=np.int32)}
            self.distinct = set(names)
            return
        combined = np.zeros(len(columns.df), dtype=np.int64)
        for name in names:
            codes, values = columns[name]
            combined *= len(values) + 1  # below records x values, once renumbered
            combined += codes
            combined += 1
            combined = pd.factorize(combined)[0].astype(np.int64, copy=False)
        self.count = int(combined.max(initial=-1)) + 1
        first = np.empty(self.count, dtype=np.int64)
        first[combined[::-1]] = np.arange(len(combined) - 1, -1, -1)  # each signature's first record
        self.of_record = combined.astype(np.int32)
        self.codes = {name: columns[name][0][first] for name in names}
        self.distinct = set()

    def __getitem__(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        return self.codes[column], self.values[column]


def _levels_by_signature(comparison: ComparisonSpec, columns: ColumnCodes, lp: np.ndarray, rp: np.ndarray) -> np.ndarray:
    """Levels of all pairs, each distinct (unordered) pair of signatures walked once.

    At a million records 25M pairs hold 5-10M distinct pairs of names or streets:
    the level walk then runs on those, and one gather gives each pair its level,
    instead of every level's passes over every pair. The distinct pairs are found by
    sorting (``intkeys.sorted_groups``), so they also come out grouped by value, in
    the order rapidfuzz reads them fastest (``levels.bucket_order``)."""
    signatures = _Signatures(columns, _compared_columns(comparison))
    if signatures.count ** 2 <= DENSE_SIGNATURE_KEYS:
        return _levels_by_table(comparison, signatures, lp, rp)
    key = _signature_keys(signatures, lp, rp, np.int64)
    grouped = intkeys.sorted_groups(key, overwrite=True)
    if grouped is None:
        codes, distinct = intkeys.factorize(key)
        del key
        return _walk_signatures(comparison, signatures, distinct)[codes]
    del key
    where, group, distinct = grouped
    level = np.empty(len(lp), dtype=np.int8)
    level[where] = _walk_signatures(comparison, signatures, distinct)[group]
    return level


def _levels_by_table(comparison: ComparisonSpec, signatures: _Signatures, lp: np.ndarray, rp: np.ndarray) -> np.ndarray:
    """``_levels_by_signature`` for few signatures: the levels of the signature pairs
    that occur, in a table indexed by their key."""
    key = _signature_keys(signatures, lp, rp, np.int32 if signatures.count ** 2 < 2**31 else np.int64)
    seen = np.zeros(signatures.count ** 2, dtype=bool)
    seen[key] = True
    present = np.flatnonzero(seen)
    table = np.zeros(signatures.count ** 2, dtype=np.int8)
    table[present] = _walk_signatures(comparison, signatures, present)
    return table[key]


def _signature_keys(signatures: _Signatures, lp: np.ndarray, rp: np.ndarray, dtype) -> np.ndarray:
    """Each pair's unordered signature pair as one key, ``low * count + high``: built a
    block of pairs at a time, with no temporaries the length of all pairs."""
    key = np.empty(len(lp), dtype=dtype)
    for start in range(0, len(lp), KEY_BLOCK):
        a, b = signatures.of_record[lp[start:start + KEY_BLOCK]], signatures.of_record[rp[start:start + KEY_BLOCK]]
        np.multiply(np.minimum(a, b), signatures.count, out=key[start:start + KEY_BLOCK], dtype=dtype)
        key[start:start + KEY_BLOCK] += np.maximum(a, b)
    return key


def _walk_signatures(comparison: ComparisonSpec, signatures: _Signatures, distinct: np.ndarray) -> np.ndarray:
    """Levels of distinct signature pairs (``_signature_keys``), a chunk at a time:
    the walk's temporaries (string lists for rapidfuzz among them) scale with a chunk."""
    level = np.empty(len(distinct), dtype=np.int8)
    for start in range(0, len(distinct), PAIR_CHUNK):
        left, right = np.divmod(distinct[start:start + PAIR_CHUNK], signatures.count)
        level[start:start + PAIR_CHUNK] = _levels_of(comparison, signatures, left, right, 0, len(left), _Cache(),
                                                     signatures.distinct)
    return level


def _levels_of(comparison: ComparisonSpec, columns: ColumnCodes, lp: np.ndarray, rp: np.ndarray,
               start: int, stop: int, cache: _Cache, distinct: set[str] = frozenset()) -> np.ndarray:
    """Levels of pairs ``start:stop``: walk the levels in order; each level
    only sees pairs no earlier level took. ``distinct``: columns whose pairs of
    codes are distinct already (``_levels_by_signature``)."""
    chunk_l, chunk_r = lp[start:stop], rp[start:stop]
    level = np.full(len(chunk_l), len(comparison.levels) - 1, dtype=np.int8)
    todo = None  # pairs no level took yet (None: all of them, no index array needed)
    cutoffs = _score_cutoffs(comparison)
    pair_codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    local: dict[str, DistinctPairs] = {}  # columns deduplicated within this chunk only
    local_results: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    for i, spec in enumerate(comparison.levels):
        if spec.kind == ELSE or (todo is not None and len(todo) == 0):
            break
        column = spec.column or comparison.field
        codes, values = columns[column]
        if spec.kind in (NULL, "exact"):
            if column not in pair_codes:
                pair_codes[column] = codes[chunk_l], codes[chunk_r]
            cl, cr = pair_codes[column]
            if todo is not None:
                cl, cr = cl[todo], cr[todo]
            # Equal codes are equal values: no need to look at distinct pairs.
            hit = ((cl < 0) | (cr < 0)) if spec.kind == NULL else ((cl >= 0) & (cl == cr))
        else:
            if todo is None:
                todo = np.arange(len(chunk_l))
            if column not in cache.distinct and column not in local:
                if stop - start < len(lp) and len(todo) >= RUN_DISTINCT_SHARE * len(chunk_l):
                    cache.distinct[column] = DistinctPairs(codes, lp, rp)
                else:
                    local[column] = DistinctPairs(codes, chunk_l, chunk_r, todo, distinct=column in distinct)
            if column in cache.distinct:  # indexed by the run's pairs
                hit = _distinct_hits(spec, values, cache.distinct[column], todo + start, cache.results, cutoffs)
            else:  # by the chunk's
                hit = _distinct_hits(spec, values, local[column], todo, local_results, cutoffs)
        if todo is None:  # masks, not index arrays: cheaper over every pair of the chunk
            level[hit] = i
            todo = np.flatnonzero(~hit)
        else:
            level[todo[hit]] = i
            todo = todo[~hit]
    return level


def _score_cutoffs(comparison: ComparisonSpec) -> dict[tuple[str, str], float]:
    """Per (kind, column): the loosest threshold, below which scores need not be exact."""
    cutoffs: dict[tuple[str, str], float] = {}
    for spec in comparison.levels:
        fn = level_kinds[spec.kind] if spec.kind in level_kinds else None
        if getattr(fn, "score", None) is None:
            continue
        key = (spec.kind, spec.column or "")
        pick = min if fn.at_least else max
        cutoffs[key] = spec.threshold if key not in cutoffs else pick(cutoffs[key], spec.threshold)
    return cutoffs


def _distinct_hits(spec, values: np.ndarray, pairs: DistinctPairs, todo: np.ndarray, results: dict, cutoffs: dict) -> np.ndarray:
    """Evaluate one level once per distinct value pair among ``todo`` (pair indices).

    Results are kept per distinct pair (``results``), for later chunks and,
    for score-based kinds, for the next threshold level of the same kind on
    the same column (the pairs a level leaves are a subset of those it was
    evaluated on). A pair with a missing value never hits.
    """
    fn = level_kinds[spec.kind]
    score_fn = getattr(fn, "score", None)
    key = (spec.kind, spec.column or "") if score_fn is not None else (spec.kind, spec.column or "", spec.threshold)
    at = pairs.at(todo)
    if key not in results:
        n = pairs.missing + 1
        result = np.full(n, np.nan, dtype=np.float32) if score_fn is not None else np.zeros(n, dtype=bool)
        done = np.zeros(n, dtype=bool)
        done[pairs.missing] = True
        results[key] = result, done
    result, done = results[key]
    need = np.zeros(len(done), dtype=bool)
    need[at] = True
    need &= ~done
    idx = np.flatnonzero(need)
    if len(idx):
        if score_fn is None:
            result[idx] = fn(values, pairs.left[idx], pairs.right[idx], spec.threshold)
        else:
            result[idx] = score_fn(values, pairs.left[idx], pairs.right[idx], cutoffs[key])
        done[idx] = True
    if score_fn is None:
        return result[at]
    score = result[at]
    with np.errstate(invalid="ignore"):
        return score >= spec.threshold - 1e-6 if fn.at_least else score <= spec.threshold + 1e-6


def term_frequencies(df: pd.DataFrame, rules: MatchRules) -> dict[str, pd.Series]:
    """Relative frequency of each value among the other records, per TF comparison.

    The store may pass tables computed over all its records instead, so that
    incremental matching weighs "Smith" by its frequency in the whole hub.
    """
    df = ensure_prepared(df, rules)
    tables = {}
    for comparison in rules.comparisons:
        if comparison.term_frequency:
            values = column_or_null(df, comparison.field).dropna().astype(str)
            # A record's value is shared by a non-matching record with the
            # frequency among the *other* records: without itself, a value
            # seen twice is far rarer than 2/n suggests.
            counts = values.value_counts()
            tables[comparison.name] = (counts - 1) / max(len(values) - 1, 1)
    return tables


def tf_values(df: pd.DataFrame, left_ids, rules: MatchRules, tables: dict[str, pd.Series] | None = None) -> np.ndarray:
    """Frequency of the left record's value per pair and comparison (NaN if not TF).

    Term frequencies only matter on exact agreement, where left and right
    values are equal, so the left value suffices. ``pair_frequencies`` gives
    the same without materializing the matrix.
    """
    frequencies = pair_frequencies(df, left_ids, rules, tables)
    every_pair = np.arange(len(frequencies.left_positions))
    out = np.full((len(every_pair), len(rules.comparisons)), np.nan, dtype=np.float32)
    for k in frequencies.comparisons:
        out[:, k] = frequencies[every_pair, k]
    return out


class PairFrequencies:
    """``tf_values`` without the (pairs x comparisons) matrix: each TF
    comparison keeps one frequency per record (float32), and
    ``freq[pairs, k]`` looks up the left records of just those pairs (tens of
    millions of pairs at 1M records would otherwise need gigabytes)."""

    def __init__(self, per_record: dict[int, np.ndarray], left_positions: np.ndarray):
        self._per_record = per_record
        self.left_positions = left_positions

    @property
    def comparisons(self) -> list[int]:
        """Indices of the comparisons with term frequencies."""
        return list(self._per_record)

    def __getitem__(self, key: tuple[np.ndarray, int]) -> np.ndarray:
        pairs, k = key
        column = self._per_record.get(k)
        if column is None:
            return np.full(len(pairs), np.nan)
        return column[self.left_positions[pairs]]


def pair_frequencies(df: pd.DataFrame, left_ids, rules: MatchRules, tables: dict[str, pd.Series] | None = None,
                     columns: ColumnCodes | None = None) -> PairFrequencies:
    """What ``tf_values`` gives, looked up lazily (``score`` accepts either).

    ``columns`` (the ``ColumnCodes`` ``comparison_levels`` used for these pairs) lends
    its codes and the left records' positions: at a million records a column's values
    are then looked up once per distinct value, not per record."""
    df = ensure_prepared(df, rules)
    tables = term_frequencies(df, rules) if tables is None else tables
    if columns is not None and columns.df is not df:
        columns = None
    per_record = {}
    for k, comparison in enumerate(rules.comparisons):
        if comparison.term_frequency and comparison.name in tables:
            per_record[k] = _record_frequencies(df, comparison.field, tables[comparison.name], columns)
    return PairFrequencies(per_record, positions(df, left_ids) if columns is None else columns.positions_of(left_ids))


def _record_frequencies(df: pd.DataFrame, column: str, table: pd.Series, columns: ColumnCodes | None) -> np.ndarray:
    """``values.dropna().astype(str).map(table)`` per record, as float32."""
    if len(df) <= SMALL_ROWS:
        values = column_list(df, column)
        return _small_frequencies([None] * len(df) if values is None else values, table)
    if columns is not None:
        codes, text = columns[column]
        if column in columns.all_text and table.index.is_unique:  # then the text is the value itself
            return _coded_frequencies(codes, text, table)
    values = column_or_null(df, column)
    return values.dropna().astype(str).map(table).reindex(values.index).to_numpy(dtype=np.float32)


def _coded_frequencies(codes: np.ndarray, text: np.ndarray, table: pd.Series) -> np.ndarray:
    """Each record's frequency from its column's codes (-1: missing) and distinct texts."""
    where = table.index.get_indexer(text) if len(table) else np.full(len(text), -1)
    distinct = np.full(len(text) + 1, np.nan, dtype=np.float64)  # the last one: missing values
    found = where >= 0
    distinct[:-1][found] = table.to_numpy(dtype=np.float64)[where[found]]
    return distinct.astype(np.float32)[codes]


def _small_frequencies(values: list, table: pd.Series) -> np.ndarray:
    """``values.dropna().astype(str).map(table)`` for a few rows: one lookup in the
    table's (cached) index hash instead of pandas' per-call machinery."""
    out = np.full(len(values), np.nan, dtype=np.float32)
    present = [(i, str(v)) for i, v in enumerate(values) if v is not None and not checknull(v)]
    if present and len(table):
        where = table.index.get_indexer([text for _, text in present])
        found = where >= 0
        out[np.array([i for i, _ in present], dtype=np.int64)[found]] = table.to_numpy()[where[found]]
    return out
