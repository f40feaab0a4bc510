"""The bulk match's write stage alone: ``apply_clusters(whole_domain=True)`` on a matched store's inputs.

    python bench/bench_write.py --records 100000                  # time the write (wall, CPU incl. workers)
    python bench/bench_write.py --records 100000 --digest         # ... and print a digest of what it wrote
    python bench/bench_write.py --records 100000 --workers 1 --profile /tmp/w1.prof
    python bench/bench_write.py --records 100000 --match          # a whole bulk match, its write stage in parts
    python bench/bench_write.py --records 100000 --no-gc          # ... with the cyclic garbage collector off

Needs the matched SQLite store ``bench_e2e.py`` leaves at
/tmp/mdm-bench/store-N.db (read only: copied with SQLite's backup API). The
copy is reset to "loaded, not matched" (golden records, versions, xref,
outbox, review pairs, blocking keys and the model deleted; every source
record pending) and vacuumed into a template under /tmp/mdm-write-bench.
Once, a bulk match (``match_domain(retrain=True)``) on a copy of the
template captures the arguments it passes to ``apply_clusters`` (records
frame, cluster labels, how each record was decided, the clock). Each run then
copies the template and calls ``apply_clusters`` with those arguments in a
fresh process, so the same clusters are written every time: wall seconds,
CPU seconds of the process and its build workers, and optionally a digest of
golden_record, golden_record_version, xref and outbox with the random parts
(golden ids, event ids, sequence numbers) replaced by each golden record's
member keys, so two versions of the code can be checked for identical output.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_e2e import cpu_seconds, load_average, peak_rss_mib, reset_peak_rss, rss_mib, store_path  # noqa: E402


def cpu_split() -> tuple[float, float]:
    """(this process, its finished children) user + system CPU seconds."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime

WORK = Path(os.environ.get("MDM_WRITE_BENCH_DIR", "/tmp/mdm-write-bench"))
RESET = [
    "DELETE FROM outbox", "DELETE FROM golden_alias", "DELETE FROM golden_override", "DELETE FROM xref",
    "DELETE FROM golden_record_version", "DELETE FROM golden_record", "DELETE FROM match_candidate",
    "DELETE FROM blocking_key", "DELETE FROM match_model", "UPDATE source_record SET matched_version = NULL",
]


def template(records: int, source: Path | None = None) -> Path:
    out = WORK / f"template-{records}.db"
    if out.exists():
        return out
    WORK.mkdir(parents=True, exist_ok=True)
    source = source or store_path(records)
    partial = WORK / f"template-{records}.partial.db"
    src, dst = sqlite3.connect(f"file:{source}?mode=ro", uri=True), sqlite3.connect(partial)
    with dst:
        src.backup(dst)
    src.close()
    for statement in RESET:
        dst.execute(statement)
    dst.commit()
    dst.execute("VACUUM")
    dst.close()
    partial.rename(out)
    return out


def scratch(records: int, name: str) -> Path:
    db = WORK / f"run-{records}-{name}.db"
    for p in WORK.glob(db.name + "*"):
        p.unlink()
    shutil.copyfile(template(records), db)
    return db


def capture(records: int) -> Path:
    """Run a bulk match once and keep what it hands to apply_clusters."""
    out = WORK / f"inputs-{records}.pkl"
    if out.exists():
        return out
    result = child(["--records", str(records), "--child", "capture"])
    print(f"captured inputs: bulk match {result['seconds']:.1f}s wall, {result['cpu_seconds']:.1f}s CPU, "
          f"timings {json.dumps({k: round(v, 1) for k, v in result['timings'].items()})}", flush=True)
    return out


def child(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], capture_output=True, text=True)
    sys.stderr.write(proc.stderr[-4000:])
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
        print(line)
    raise SystemExit(f"child failed ({proc.returncode})")


# --------------------------------------------------------------------------- in the child


def _store(db: Path):
    from mdm.store import Store
    from mdm.store.migrate import upgrade

    store = Store.open(f"sqlite:///{db}")
    upgrade(store.engine)  # a template made by older code gets the newer schema (untimed)
    return store


def run_capture(records: int) -> dict:
    from datetime import datetime, timezone

    import mdm.resolve.run as run
    from mdm.rules import load_match_rules
    from mdm.settings import BUNDLED_RULES_DIR

    db = scratch(records, "capture")
    real = run.apply_clusters

    def spy(session, domain, frame, labels, **kw):
        if kw.get("whole_domain"):
            keep = {k: kw[k] for k in ("now", "removed", "decided_by", "correlation_id")}
            with open(WORK / f"inputs-{records}.partial.pkl", "wb") as f:
                pickle.dump({"domain": domain, "frame": frame, "labels": labels, **keep}, f, protocol=5)
        return real(session, domain, frame, labels, **kw)

    run.apply_clusters = spy
    store = _store(db)
    rules = load_match_rules(BUNDLED_RULES_DIR, "customer")
    t0, c0 = time.perf_counter(), cpu_seconds()
    with store.session() as s:
        report = run.match_domain(s, "customer", rules, now=datetime.now(timezone.utc), retrain=True)
    out = {"seconds": time.perf_counter() - t0, "cpu_seconds": cpu_seconds() - c0, "timings": report.timings}
    store.close()
    (WORK / f"inputs-{records}.partial.pkl").rename(WORK / f"inputs-{records}.pkl")
    for p in WORK.glob(db.name + "*"):
        p.unlink()
    return out


def run_match(records: int) -> dict:
    """A whole bulk match (retrain) on a fresh copy; the write stage split into its parts."""
    from datetime import datetime, timezone

    import mdm.resolve.run as run
    from mdm.rules import load_match_rules
    from mdm.settings import BUNDLED_RULES_DIR

    db = scratch(records, "match")
    parts: dict[str, float] = {}
    cpu_parts: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t, c = time.perf_counter(), cpu_seconds()
            try:
                return fn(*args, **kwargs)
            finally:
                parts[name] = parts.get(name, 0.0) + time.perf_counter() - t
                cpu_parts[name] = cpu_parts.get(name, 0.0) + cpu_seconds() - c
        return wrapper

    run._write_review = timed("review", run._write_review)
    run.apply_clusters = timed("apply_clusters", run.apply_clusters)
    run._finish = timed("finish", run._finish)
    if hasattr(run, "_mark_matched"):  # the keys are written inside apply_clusters, between its slices
        run._mark_matched = timed("marks", run._mark_matched)
    store = _store(db)
    rules = load_match_rules(BUNDLED_RULES_DIR, "customer")
    load0 = load_average()
    collector = gc_clock()
    t0, c0 = time.perf_counter(), cpu_seconds()
    with store.session() as s:
        report = run.match_domain(s, "customer", rules, now=datetime.now(timezone.utc), retrain=True)
    out = {"seconds": time.perf_counter() - t0, "cpu_seconds": cpu_seconds() - c0, "timings": report.timings,
           "gc": collector(), "nested": hasattr(run, "_bulk_writes"),
           "parts": parts, "cpu_parts": cpu_parts, "loadavg_start": load0, "loadavg_end": load_average(),
           "workers": os.environ.get("MDM_BUILD_WORKERS", "auto")}
    store.close()
    for p in WORK.glob(db.name + "*"):
        p.unlink()
    return out


def gc_clock():
    """Starts timing this process's cyclic garbage collections; the returned function stops and gives (seconds, passes)."""
    import gc

    spent, started, passes = [0.0], [0.0], [0]

    def timer(phase, _info):
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            spent[0] += time.perf_counter() - started[0]
            passes[0] += 1

    gc.callbacks.append(timer)

    def stop():
        gc.callbacks.remove(timer)
        return round(spent[0], 2), passes[0]

    return stop


def run_apply(records: int, profile: str | None, digest: bool, keep: bool) -> dict:
    from mdm.resolve.apply import apply_clusters
    from mdm.rules import load_survivorship_rules
    from mdm.settings import BUNDLED_RULES_DIR

    with open(capture(records), "rb") as f:
        inputs = pickle.load(f)
    db = scratch(records, "apply")
    store = _store(db)
    survivorship = load_survivorship_rules(BUNDLED_RULES_DIR, inputs["domain"])
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    load0 = load_average()
    rss0 = rss_mib()
    reset_peak_rss()
    split0 = cpu_split()
    collector = gc_clock()
    t0, c0 = time.perf_counter(), cpu_seconds()
    with store.session() as s:
        if profiler:
            profiler.enable()
        stats = apply_clusters(
            s, inputs["domain"], inputs["frame"], inputs["labels"], now=inputs["now"], removed=inputs["removed"],
            decided_by=inputs["decided_by"], correlation_id=inputs["correlation_id"], whole_domain=True,
            survivorship=survivorship,
        )
        t_apply = time.perf_counter() - t0
        wal = Path(str(db) + "-wal")
        wal_mib = wal.stat().st_size / 2**20 if wal.exists() else 0.0
        s.commit()
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
    split1 = cpu_split()
    out = {"seconds": time.perf_counter() - t0, "apply_seconds": t_apply, "cpu_seconds": cpu_seconds() - c0,
           "cpu_parent": split1[0] - split0[0], "cpu_workers": split1[1] - split0[1], "gc_parent": collector(),
           "wal_mib": wal_mib,
           "rss_before_mib": rss0, "peak_rss_mib": peak_rss_mib(),
           "created": stats.created, "records": len(inputs["frame"]), "loadavg_start": load0,
           "loadavg_end": load_average(), "workers": os.environ.get("MDM_BUILD_WORKERS", "auto")}
    store.close()
    if digest:
        out["digest"] = table_digest(db)
    if not keep:
        for p in WORK.glob(db.name + "*"):
            p.unlink()
    return out


GID = re.compile(r"(?:CUS|ITM|PRC)-[0-9A-Z]{26}")


def table_digest(db: Path) -> dict:
    """sha256 per table of its rows with golden ids replaced by their members' keys (byte-exact JSON text)."""
    con = sqlite3.connect(db)
    members: dict[str, list[str]] = {}
    for gid, system, key in con.execute("SELECT golden_id, system, source_key FROM xref"):
        members.setdefault(gid, []).append(f"{system}:{key}")
    name = {gid: "[" + ",".join(sorted(keys)) + "]" for gid, keys in members.items()}

    def sub(text):
        return GID.sub(lambda m: name.get(m.group(0), "?retired"), text) if isinstance(text, str) else text

    queries = {
        "golden_record": "SELECT id, domain, version, status, merged_into, attributes, lineage, created_at, updated_at "
                         "FROM golden_record",
        # The lineage a version reads (stored once: NULL in the version row reads the golden row's).
        "golden_record_version": "SELECT v.golden_id, v.version, v.change_type, v.attributes, "
                                 "coalesce(v.lineage, g.lineage), v.members, v.changed_at, v.correlation_id "
                                 "FROM golden_record_version v JOIN golden_record g ON g.id = v.golden_id",
        "xref": "SELECT record_id, golden_id, domain, system, source_key, decided_by, match_probability, linked_at "
                "FROM xref",
        # In sequence order; the event id is random (uuid4), so only its shape is kept.
        "outbox": "SELECT length(event_id), type, domain, subject, version, data, created_at, correlation_id "
                  "FROM outbox ORDER BY sequence",
    }
    out = {}
    for table, query in queries.items():
        rows = [tuple(sub(v) for v in row) for row in con.execute(query)]
        if table != "outbox":
            rows.sort(key=repr)
        h = hashlib.sha256()
        for row in rows:
            h.update(repr(row).encode())
            h.update(b"\n")
        out[table] = f"{len(rows)}:{h.hexdigest()[:16]}"
    con.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--workers", help="MDM_BUILD_WORKERS for the run (default: as the hub decides)")
    parser.add_argument("--profile", help="cProfile the parent's apply_clusters into this file")
    parser.add_argument("--digest", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the written store")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--source", type=Path, help="matched store to start from (default /tmp/mdm-bench/store-N.db)")
    parser.add_argument("--match", action="store_true",
                        help="time a whole bulk match (match_domain, retrain) instead, its write stage split in parts")
    parser.add_argument("--no-gc", action="store_true",
                        help="run the child with the cyclic garbage collector off (a bulk match pauses it itself)")
    parser.add_argument("--sample-pss", action="store_true",
                        help="with --match: sample the process tree's PSS twice a second, as bench_e2e does")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.workers:
        os.environ["MDM_BUILD_WORKERS"] = args.workers
    if args.no_gc:
        import gc

        gc.disable()
    if args.child == "capture":
        print("RESULT " + json.dumps(run_capture(args.records), default=str), flush=True)
        return 0
    if args.child == "apply":
        print("RESULT " + json.dumps(run_apply(args.records, args.profile, args.digest, args.keep), default=str),
              flush=True)
        return 0
    if args.child == "match":
        if args.sample_pss:
            from bench.bench_e2e import TreePeak

            TreePeak()
        print("RESULT " + json.dumps(run_match(args.records), default=str), flush=True)
        return 0
    template(args.records, args.source)
    if args.match:
        for _ in range(args.repeat):
            r = child(["--records", str(args.records), "--child", "match", *(["--no-gc"] if args.no_gc else []),
                       *(["--sample-pss"] if args.sample_pss else [])])
            t = r["timings"]
            print(f"bulk match {r['seconds']:.1f}s wall, {r['cpu_seconds']:.1f}s CPU incl. workers; "
                  f"MDM_BUILD_WORKERS {r['workers']}; load {r['loadavg_start']} -> {r['loadavg_end']}")
            print(f"  cyclic GC of the matching process: {r['gc'][0]:.1f}s in {r['gc'][1]:,} passes")
            print("  stages " + ", ".join(f"{k} {v:.1f}s" for k, v in t.items()))
            # Since 2026-12-07 the review candidates and matched marks are written between slices.
            nested = r.get("nested", False)
            outside = ("apply_clusters", "finish") if nested else ("review", "apply_clusters", "finish", "marks")
            print("  write: " + ", ".join(f"{k} {v:.1f}s ({r['cpu_parts'][k]:.1f}s CPU)" for k, v in r["parts"].items())
                  + f", the rest {t['write'] - sum(r['parts'].get(k, 0) for k in outside):.1f}s"
                  + ("; review and marks run within apply_clusters" if nested else ""),
                  flush=True)
        return 0
    capture(args.records)
    extra = [*(["--profile", args.profile] if args.profile else []), *(["--digest"] if args.digest else []),
             *(["--no-gc"] if args.no_gc else []),
             *(["--keep"] if args.keep else [])]
    for _ in range(args.repeat):
        r = child(["--records", str(args.records), "--child", "apply", *extra])
        print(f"write {r['records']:,} records, {r['created']:,} golden: {r['seconds']:.1f}s wall "
              f"(apply {r['apply_seconds']:.1f}s + commit), {r['cpu_seconds']:.1f}s CPU (parent {r['cpu_parent']:.1f}s, "
              f"workers {r['cpu_workers']:.1f}s; WAL {r['wal_mib']:,.0f} MiB before the commit; parent's cyclic GC {r['gc_parent'][0]:.1f}s in {r['gc_parent'][1]:,} passes); parent RSS {r['rss_before_mib']:.0f} -> peak {r['peak_rss_mib']:.0f} MiB; "
              f"MDM_BUILD_WORKERS {r['workers']}; "
              f"load {r['loadavg_start']} -> {r['loadavg_end']}", flush=True)
        if "digest" in r:
            print("digest " + json.dumps(r["digest"], sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
