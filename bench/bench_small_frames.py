"""ms per call of ``prepare`` and ``blocking_keys`` on small frames (incremental matching).

    python bench/bench_small_frames.py            # current code path
    python bench/bench_small_frames.py --compare  # small-frame path vs vectorized path
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mdm.match.features as features  # noqa: E402
from mdm.ingest.loader import prepare_rows  # noqa: E402
from mdm.ingest.mapping import load_mapping  # noqa: E402
from mdm.ingest.readers import read_source  # noqa: E402
from mdm.match import load_rules  # noqa: E402
from mdm.match.blocking import blocking_keys  # noqa: E402
from mdm.match.features import prepare  # noqa: E402
from mdm.resolve.frames import records_frame  # noqa: E402

SEED = ROOT / "seed_data"
SOURCES = {
    "customer": ["crm_accounts", "crm_contacts", "erp_customers", "wms_ship_to"],
    "item": ["crm_products", "erp_materials", "wms_items"],
}


def seed_frame(domain: str):
    """Every seed record of ``domain`` as ``current_records`` would return it."""
    rows, now = [], datetime(2024, 1, 1, tzinfo=timezone.utc)
    for name in SOURCES[domain]:
        mapping = load_mapping(SEED / f"{name}.mapping.yaml")
        data = next(p for p in SEED.glob(f"{name}.*") if not p.name.endswith(".mapping.yaml"))
        batch = prepare_rows(read_source(data, mapping), mapping)
        for r in batch.records:
            rows.append((len(rows) + 1, mapping.source, r.source_key, 1, r.fields, r.source_updated_at, now, None))
    return records_frame(domain, rows)


def per_call(fn, repeat: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1000


def main() -> None:
    compare = "--compare" in sys.argv
    for domain in ("customer", "item"):
        rules = load_rules(ROOT / "rules" / f"{domain}.yaml")
        frame = seed_frame(domain)
        for n in (1, 17, 200):
            small = frame.iloc[:n]
            prepared = prepare(small, rules)
            modes = [("vectorized", 0), ("small-frame", None)] if compare else [("current", None)]
            for label, threshold in modes:
                saved = getattr(features, "SMALL_FRAME_ROWS", None)  # absent before the small-frame path
                if threshold is not None and saved is not None:
                    features.SMALL_FRAME_ROWS = threshold
                try:
                    p = per_call(lambda: prepare(small, rules), 20)
                    b = per_call(lambda: blocking_keys(prepared, rules), 20)
                finally:
                    if saved is not None:
                        features.SMALL_FRAME_ROWS = saved
                print(f"{domain:8} n={n:<4} {label:11}  prepare {p:7.2f} ms   blocking_keys {b:7.2f} ms")


if __name__ == "__main__":
    main()
