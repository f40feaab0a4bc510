"""Standardization stage of `mdm load` on generated customer files.

    python bench/bench_load.py --records 100000
    python bench/bench_load.py --records 100000 --workers 1 --save /tmp/ref   # write a digest per file
    python bench/bench_load.py --records 100000 --check /tmp/ref              # compare with a saved digest
    python bench/bench_load.py --records 100000 --store                       # whole load_file into SQLite

Reads every file of the generated data set (``bench_e2e.dataset``), then times
``prepare_rows`` (map, standardize, validate; no store) per file: wall seconds,
CPU seconds of this process plus its finished children (the forked
standardize workers), and the peak PSS of the process tree (the workers'
copy-on-write copies included) against the PSS before the file. ``--save`` / ``--check`` write or compare a SHA-256 of
every prepared record and reject, so an optimization can be shown to change
no result. ``--store`` times the whole ``load_file`` (read, standardize, store
into a fresh SQLite file), as ``mdm load`` and bench_e2e's load phase run it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def digest(batch) -> str:
    h = hashlib.sha256()
    for r in batch.records:
        h.update(json.dumps([r.source_key, r.content_hash, r.raw, r.fields, r.extra, str(r.source_updated_at), r.line],
                            sort_keys=True, default=str).encode())
    for j in batch.rejects:
        h.update(json.dumps([j.line, j.column, repr(j.value), j.reason, j.source_key, j.row_rejected]).encode())
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--workers", help="sets MDM_LOAD_WORKERS")
    ap.add_argument("--save", type=Path, help="write a digest of each file's prepared records and rejects here")
    ap.add_argument("--check", type=Path, help="compare with the digests written by --save")
    ap.add_argument("--store", action="store_true",
                    help="time the whole load_file (read, standardize, store) into a fresh SQLite file instead")
    args = ap.parse_args()
    if args.workers:
        os.environ["MDM_LOAD_WORKERS"] = args.workers

    from bench.bench_e2e import TreePeak, customer_files, dataset, load_average

    folder = dataset(args.records)
    print(f"load avg {load_average()}; MDM_LOAD_WORKERS={os.environ.get('MDM_LOAD_WORKERS', '(default)')}; "
          f"{os.cpu_count()} CPUs")
    peak = TreePeak()  # PSS of this process and its workers, sampled twice a second
    if args.store:
        store_files(customer_files(folder), peak)
    else:
        if not standardize_files(customer_files(folder), peak, args.save, args.check):
            sys.exit(1)
    print(f"load avg {load_average()}")


def standardize_files(files, peak, save: Path | None, check: Path | None) -> bool:
    from bench.bench_e2e import tree_pss_mib
    from mdm.ingest import load_mapping, prepare_rows, read_source

    tot_wall = tot_cpu = 0.0
    rows = 0
    ok = True
    for data, mapping_path in files:
        mapping = load_mapping(mapping_path)
        table = read_source(data, mapping)
        before, peak.peak = tree_pss_mib(), 0.0
        wall, cpu = time.perf_counter(), cpu_seconds()
        batch = prepare_rows(table, mapping)
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
        tot_wall, tot_cpu, rows = tot_wall + wall, tot_cpu + cpu, rows + table.read
        d = digest(batch)
        note = ""
        if save:
            save.mkdir(parents=True, exist_ok=True)
            (save / f"{data.name}.sha256").write_text(d)
        if check:
            same = (check / f"{data.name}.sha256").read_text() == d
            ok &= same
            note = "  identical" if same else "  DIFFERENT"
        print(f"{data.name:22s} {table.read:8,d} rows  standardize {wall:6.1f}s wall {cpu:6.1f}s CPU  "
              f"{len(batch.records):,} records {len(batch.rejects):,} rejects; "
              f"PSS {before:,.0f} -> peak {peak.peak:,.0f} MiB{note}", flush=True)
    print(f"{'total':22s} {rows:8,d} rows  standardize {tot_wall:6.1f}s wall {tot_cpu:6.1f}s CPU  "
          f"({rows / tot_wall:,.0f} rows/s)")
    return ok


def store_files(files, peak) -> None:
    import tempfile

    from bench.bench_e2e import tree_pss_mib
    from mdm.ingest import load_file, load_mapping
    from mdm.store import Store
    from mdm.store.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="mdm-bench-load-") as tmp:
        store = Store.open(f"sqlite:///{tmp}/load.db")
        upgrade(store.engine)
        tot_wall = tot_cpu = 0.0
        rows = 0
        for data, mapping_path in files:
            before, peak.peak = tree_pss_mib(), 0.0
            wall, cpu = time.perf_counter(), cpu_seconds()
            with store.session() as session:
                result = load_file(session, data, load_mapping(mapping_path), rejects_path=Path(tmp) / "rejects.csv")
            wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
            tot_wall, tot_cpu, rows = tot_wall + wall, tot_cpu + cpu, rows + result.read
            print(f"{data.name:22s} {result.read:8,d} rows  load {wall:6.1f}s wall {cpu:6.1f}s CPU  "
                  f"{result.stored:,} stored {result.rejected + result.field_errors:,} rejects; "
                  f"PSS {before:,.0f} -> peak {peak.peak:,.0f} MiB", flush=True)
        store.close()
    print(f"{'total':22s} {rows:8,d} rows  load {tot_wall:6.1f}s wall {tot_cpu:6.1f}s CPU  ({rows / tot_wall:,.0f} rows/s)")


if __name__ == "__main__":
    main()
