"""Match engine throughput on a large synthetic customer frame.

    python bench/bench_match.py                 # Febrl4 x 10 with typos (100k records)
    python bench/bench_match.py --copies 20
    python bench/bench_match.py --seed-scale 50 # seed_data/generate.py output, if present

Prints per-stage timings of one ``match_frame`` run, then scored candidate
pairs per second for compare + score (comparison levels, term frequencies,
weights) re-run with the estimated model: best of ``--repeat`` runs, since
other processes on the machine make single timings noisy.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from evaluate import load_febrl4  # noqa: E402

from mdm.match import comparison_levels, load_rules, match_frame, prepare, score, term_frequencies, tf_values  # noqa: E402

TYPO_RATE = 0.1
ALPHABET = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def febrl_copies(copies: int, seed: int = 0) -> pd.DataFrame:
    """Febrl4 repeated ``copies`` times; each copy gets fresh single-letter typos."""
    base, _ = load_febrl4()
    rng = np.random.default_rng(seed)
    frames = [base]
    for _ in range(copies - 1):
        copy = base.copy()
        for column in ("given_name", "family_name", "address_line1", "city"):
            copy[column] = _typos(copy[column], rng)
        frames.append(copy)
    frame = pd.concat(frames, ignore_index=True)
    frame.index = pd.RangeIndex(len(frame), name="record_id").astype(np.int64)
    return frame


def _typos(values: pd.Series, rng: np.random.Generator) -> pd.Series:
    """Replace one character in about TYPO_RATE of the values."""
    out = values.to_numpy(dtype=object).copy()
    hit = np.flatnonzero(rng.random(len(out)) < TYPO_RATE)
    for i, letter in zip(hit, rng.choice(ALPHABET, len(hit))):
        text = out[i]
        if isinstance(text, str) and text:
            at = rng.integers(len(text))
            out[i] = text[:at] + letter + text[at + 1:]
    return pd.Series(out, index=values.index, dtype=object)


def seed_customers(scale: int) -> pd.DataFrame:
    """Customers from the seed generator at ``scale``, loaded like ``evaluate.py seed``."""
    from evaluate import load_seed

    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [sys.executable, str(ROOT / "seed_data" / "generate.py"), "--out", out, "--scale", str(scale), "--domains", "customer"],
            check=True,
            capture_output=True,
        )
        frame, _ = load_seed(Path(out), "customer")
    return frame


def steady_pairs_per_second(df: pd.DataFrame, rules, result, repeat: int) -> tuple[float, float]:
    """Compare + score the candidate pairs again with the run's model: the per-pair cost.

    Returns (pairs per wall second, pairs per CPU second of this process); the
    second does not depend on what else runs on the machine.
    """
    frame = prepare(df, rules)
    n = result.blocking["n_pairs"]
    left, right = result.pairs["left"].to_numpy()[:n], result.pairs["right"].to_numpy()[:n]
    tables = term_frequencies(frame, rules)
    wall = cpu = float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        levels = comparison_levels(frame, left, right, rules)
        score(levels, result.model, tf_values(frame, left, rules, tables))
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return n / wall, n / cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--seed-scale", type=int, default=0, help="use seed_data/generate.py at this scale instead")
    parser.add_argument("--rules", type=Path, default=ROOT / "rules" / "customer.yaml")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    df = seed_customers(args.seed_scale) if args.seed_scale else febrl_copies(args.copies)
    print(f"records              {len(df):,}  (built in {time.perf_counter() - start:.1f}s)")
    rules = load_rules(args.rules)
    result = match_frame(df, rules)
    n_pairs = result.blocking["n_pairs"]
    print(f"candidate pairs      {n_pairs:,}  (reduction ratio {result.blocking['reduction_ratio']:.6f})")
    print(f"oversized blocks     {len(result.oversized_blocks)} skipped")
    print(f"clusters             {result.clusters.n_clusters:,}")
    print("match_frame stages (first run):")
    for stage, seconds in result.timings.items():
        print(f"  {stage:18s} {seconds:8.3f}s")
    per_wall, per_cpu = steady_pairs_per_second(df, rules, result, args.repeat)
    print(f"compare+score        {per_wall:,.0f} scored candidate pairs/s (best of {args.repeat}; model given)")
    print(f"                     {per_cpu:,.0f} pairs per CPU-second (all threads; load-independent)")
    print(f"load average         {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
