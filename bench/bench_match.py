"""Match engine throughput on a large synthetic customer frame.

    python bench/bench_match.py                 # Febrl4 x 10 with typos (100k records)
    python bench/bench_match.py --copies 20
    python bench/bench_match.py --seed-scale 50 # seed_data/generate.py output, if present

Prints per-stage timings and scored candidate pairs per second for the
compare + score stages (comparison levels, term frequencies, weights).
"""

from __future__ import annotations

import argparse
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

from mdm.match import load_rules, match_frame  # noqa: E402

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
        )
        frame, _ = load_seed(Path(out), "customer")
    return frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--seed-scale", type=int, default=0, help="use seed_data/generate.py at this scale instead")
    parser.add_argument("--rules", type=Path, default=ROOT / "rules" / "customer.yaml")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    df = seed_customers(args.seed_scale) if args.seed_scale else febrl_copies(args.copies)
    print(f"records              {len(df):,}  (built in {time.perf_counter() - start:.1f}s)")
    rules = load_rules(args.rules)
    result = match_frame(df, rules)
    n_pairs = result.blocking["n_pairs"]
    print(f"candidate pairs      {n_pairs:,}  (reduction ratio {result.blocking['reduction_ratio']:.6f})")
    print(f"oversized blocks     {len(result.oversized_blocks)} skipped")
    for stage, seconds in result.timings.items():
        print(f"  {stage:18s} {seconds:8.3f}s")
    compare_score = result.timings["compare"] + result.timings["score"]
    print(f"compare+score        {n_pairs / compare_score:,.0f} scored candidate pairs/s")
    print(f"clusters             {result.clusters.n_clusters:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
