"""The bulk match's cluster stage alone, on the 1M store bench_e2e.py leaves.

    python bench/bench_cluster.py --records 1000000
    python bench/bench_cluster.py --records 1000000 --cache /tmp/cluster-input.pkl --repeat 2

Reads the matched SQLite store /tmp/mdm-bench/store-N.db read-only, prepares
the live customer records, blocks, compares and scores the candidate pairs
with the stored model (no EM), then times ``match_frame``'s cluster stage:
``_complete_components`` (score the not-yet-compared pairs inside would-be
clusters of 3..50 records) and ``cluster`` (components, inconsistent ones
rebuilt), plus ``vetoed``. ``--cache`` keeps the scored input in a pickle so
later runs skip the ~3 minutes of building it (the pickle is ~5 GB at 1M).
Prints each part's seconds and a digest of the output (pairs, labels, review
pairs, cut components): a change that must not alter results keeps it.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

BENCH_DIR = Path("/tmp/mdm-bench")


def build_input(records: int) -> dict:
    from mdm.match import prepare
    from mdm.match.blocking import blocking_keys, candidate_pairs
    from mdm.match.compare import comparison_levels, pair_frequencies
    from mdm.match.scoring import score
    from mdm.memory import release_free_heap
    from mdm.resolve.frames import current_records
    from mdm.resolve.run import load_model
    from mdm.rules import load_match_rules
    from mdm.settings import BUNDLED_RULES_DIR
    from mdm.store import Store

    db = BENCH_DIR / f"store-{records}.db"
    if not db.exists():
        raise SystemExit(f"{db} is missing: run bench/bench_e2e.py --records {records} first")
    store = Store.open(f"sqlite:///file:{db}?mode=ro&uri=true")
    rules = load_match_rules(BUNDLED_RULES_DIR, "customer")
    try:
        with store.session() as session:
            stored = load_model(session, "customer")
            if stored is None:
                raise SystemExit(f"{db} holds no customer match model")
            model, tables, _ = stored
            frame = prepare(current_records(session, "customer"), rules)
    finally:
        store.close()
    left, right = candidate_pairs(frame, rules, blocking_keys(frame, rules))
    release_free_heap()
    levels = comparison_levels(frame, left, right, rules)
    weight, prob = score(levels, model, pair_frequencies(frame, left, rules, tables))
    return dict(frame=frame, rules=rules, model=model, tables=tables, left=left, right=right, levels=levels,
                weight=weight, prob=prob)


def run_stage(d: dict) -> tuple[dict[str, float], str, dict]:
    from mdm.match.engine import _complete_components, cluster
    from mdm.match.scoring import vetoed

    frame, rules = d["frame"], d["rules"]
    marks = [time.perf_counter()]
    left, right, levels, weight, prob = _complete_components(
        frame, rules, d["model"], d["tables"], d["left"], d["right"], d["levels"], d["weight"], d["prob"]
    )
    marks.append(time.perf_counter())
    veto = vetoed(levels, rules)
    marks.append(time.perf_counter())
    on_weight = rules.thresholds.scale == "weight"
    result = cluster(frame.index.to_numpy(), left, right, weight if on_weight else prob, rules.thresholds, None, vetoed=veto)
    marks.append(time.perf_counter())
    times = {"complete": marks[1] - marks[0], "vetoed": marks[2] - marks[1], "cluster": marks[3] - marks[2],
             "stage": marks[3] - marks[0]}
    digest = hashlib.sha256()
    for array in (left, right, levels, weight, prob, result.labels.index.to_numpy(), result.labels.to_numpy()):
        digest.update(np.ascontiguousarray(array).tobytes())
    for column in ("left", "right", "score"):
        digest.update(np.ascontiguousarray(result.review[column].to_numpy()).tobytes())
    digest.update("|".join(result.review["reason"].tolist()).encode())
    digest.update(str(result.n_cut_components).encode())
    counts = {"pairs": len(left), "completed": len(left) - len(d["left"]), "clusters": result.n_clusters,
              "review": len(result.review), "cut_components": result.n_cut_components}
    return times, digest.hexdigest(), counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--cache", type=Path, help="pickle of the scored input: read if present, else written")
    parser.add_argument("--repeat", type=int, default=1, help="time the stage this many times")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    if args.cache and args.cache.exists():
        with args.cache.open("rb") as f:
            d = pickle.load(f)
    else:
        d = build_input(args.records)
        if args.cache:
            with args.cache.open("wb") as f:
                pickle.dump(d, f, protocol=5)
    print(f"input                {len(d['frame']):,} records, {len(d['left']):,} scored pairs "
          f"({time.perf_counter() - start:.1f}s)")
    for _ in range(args.repeat):
        times, digest, counts = run_stage(d)
        print(f"cluster stage        {times['stage']:.2f}s (complete {times['complete']:.2f}s, "
              f"vetoed {times['vetoed']:.2f}s, cluster {times['cluster']:.2f}s)")
    print("counts               " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    print(f"digest               {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
