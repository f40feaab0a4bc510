"""Incremental matching: one new customer record against a store of N matched records.

    python bench/bench_incremental.py --records 1000000
    python bench/bench_incremental.py --records 100000 --repeat 50 --profile 10
    python bench/bench_incremental.py --records 100000 --url postgresql+psycopg://postgres@127.0.0.1:5432/test

Needs a store holding N matched customer records: it copies the SQLite store
bench_e2e.py leaves at /tmp/mdm-bench/store-N.db (building it with
bench_e2e.py first if missing), so the e2e store stays untouched. Then, in a
fresh process, it pushes ``--repeat`` single records one at a time through
the API's upsert path (``api_mapping`` + ``source_table`` ->
``prepare_rows`` -> ``store_records``, commit) and times ``match_domain``
for each (incremental: blocking-key lookup, re-cluster the touched golden
records, survivorship, xref, outbox). Half are near-duplicates of existing
customers (a typo, a dropped field, a reformatted phone), half are new
people and companies. Reports p50/p95/p99 of the match step (goal at 1M:
p95 < 20 ms) and of the whole upsert, and with ``--profile K`` runs K more
records under cProfile and prints where the time goes.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_e2e import (  # noqa: E402
    BENCH_DIR,
    fresh_pg_schema,
    load_average,
    machine,
    peak_rss_mib,
    run_child,
    store_path,
    trace_rss,
)

GOAL_P95_MS = 20.0
FIRST = ["Quentin", "Marisol", "Desmond", "Ottilie", "Bartholomew", "Henrike", "Leopold", "Zuzana", "Ignatius", "Wilhelmina"]
LAST = ["Vandermolen", "Quackenbush", "Oyelaran", "Przybylski", "Featherstonehaugh", "Abernathy", "Castellanos", "Nakashima"]
WORDS = ["Zephyr", "Quasar", "Obsidian", "Tamarack", "Halcyon", "Juniper", "Cobalt", "Meridian", "Basalt", "Vireo"]
KINDS = ["Fabrication", "Logistics", "Holdings", "Instruments", "Coatings", "Hydraulics"]
STREETS = ["Larkspur", "Wexford", "Quarry Hill", "Tanglewood", "Foxglove", "Rookery"]
CITIES = [("Boise", "ID", "83702"), ("Omaha", "NE", "68102"), ("Reno", "NV", "89501"), ("Tulsa", "OK", "74103"),
          ("Fargo", "ND", "58102"), ("Duluth", "MN", "55802")]
FIELDS = ["organization", "given_name", "family_name", "email", "phone", "address_line1", "address_line2", "city",
          "region", "postal_code", "country", "date_of_birth", "tax_id"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def typo(text: str, rng: random.Random) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def test_records(session, n: int, seed: int = 7) -> list[tuple[str, dict]]:
    """(kind, API record): near-duplicates of stored customers and new ones, interleaved."""
    from sqlalchemy import func, select

    from mdm.resolve.frames import current_records
    from mdm.store.tables import SourceRecord

    rng = random.Random(seed)
    top = session.scalar(select(func.max(SourceRecord.id)))
    picks = rng.sample(range(1, top + 1), n)
    existing = current_records(session, "customer", picks)
    records = []
    for i in range(n):
        if i % 2 == 0 and i // 2 < len(existing):
            row = existing.iloc[i // 2]
            rec = {f: row[f] for f in FIELDS if f in row.index and row[f] is not None}
            change = rng.choice(["typo", "drop", "phone", "none"])
            name_field = "organization" if "organization" in rec else "family_name"
            if change == "typo" and name_field in rec:
                rec[name_field] = typo(rec[name_field], rng)
            elif change == "drop":
                for f in ("email", "address_line2", "tax_id"):
                    rec.pop(f, None)
            elif change == "phone" and "phone" in rec and rec["phone"].startswith("+1") and len(rec["phone"]) == 12:
                p = rec["phone"][2:]
                rec["phone"] = f"({p[:3]}) {p[3:6]}-{p[6:]}"
            records.append(("duplicate", {"key": f"BENCH-D{seed}-{i}", **rec}))
        else:
            city, region, zip_code = rng.choice(CITIES)
            street = f"{rng.randint(10, 9999)} {rng.choice(STREETS)} Rd"
            phone = f"+1{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(1000, 9999)}"
            if rng.random() < 0.5:
                rec = {"organization": f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(KINDS)} {rng.randint(1, 999)} LLC"}
            else:
                rec = {"given_name": rng.choice(FIRST), "family_name": f"{rng.choice(LAST)}{rng.choice(LAST)[:3]}",
                       "date_of_birth": f"19{rng.randint(40, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"}
            rec.update({"phone": phone, "address_line1": street, "city": city, "region": region, "postal_code": zip_code,
                        "country": "US"})
            records.append(("new", {"key": f"BENCH-N{seed}-{i}", **rec}))
    return records


def upsert_one(store, rules, record: dict, system: str = "BENCHAPI") -> dict:
    """The API's upsert path, timed in two parts: prepare+store (committed), then match."""
    from datetime import datetime, timezone

    from sqlalchemy import select

    from mdm.api.ingest import api_mapping, source_table
    from mdm.ingest import prepare_rows
    from mdm.resolve.run import match_domain
    from mdm.store.source_records import store_records
    from mdm.store.tables import Xref

    now = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    with store.session() as session:
        batch = prepare_rows(source_table([record]), api_mapping(system, "customer", [record]))
        outcome = store_records(session, system, "customer", batch.records, now=now, load_id=None)
        session.commit()
        t1 = time.perf_counter()
        report = match_domain(session, "customer", rules, now=now, correlation_id=f"bench-{record['key']}")
        t2 = time.perf_counter()
        golden = session.scalar(select(Xref.golden_id).where(Xref.record_id == outcome.record_ids[0]))
        members = session.scalars(select(Xref.record_id).where(Xref.golden_id == golden)).all()
    return {"store_ms": (t1 - t0) * 1000, "match_ms": (t2 - t1) * 1000, "total_ms": (t2 - t0) * 1000,
            "mode": report.mode, "affected": report.affected, "pairs": report.pairs,
            "merged": len(members) > 1, "timings": report.timings, "blocking": report.blocking}


def measure(url: str, records: int, repeat: int, profile: int, seed: int = 7, checkpoints: bool = True) -> dict:
    import cProfile
    import io
    import pstats

    from sqlalchemy import func, select

    from mdm.rules import load_match_rules
    from mdm.settings import BUNDLED_RULES_DIR
    from mdm.store import Store
    from mdm.store.tables import GoldenRecord, SourceRecord

    trace_rss(512)
    store = Store.open(url)
    from mdm.store.migrate import upgrade

    upgrade(store.engine)  # a store built by older code gets the newer indexes
    # As `mdm serve` runs: WAL checkpoints in a background thread, not inside an upsert's commit.
    if checkpoints:
        store.start_checkpoints()
    rules = load_match_rules(BUNDLED_RULES_DIR, "customer")
    with store.session() as session:
        n_records = session.scalar(select(func.count()).select_from(SourceRecord))
        n_golden = session.scalar(select(func.count()).select_from(GoldenRecord).where(GoldenRecord.status == "active"))
        samples = test_records(session, repeat + profile + 2, seed)
    out = {"records_target": records, "background_checkpoints": store.checkpointer is not None,
           "source_records": n_records, "golden_records": n_golden, **machine()}
    print(f"  store: {n_records:,} source records, {n_golden:,} golden records", flush=True)

    # A store built under other rules (a changed rules file or rules schema)
    # is re-matched in bulk by the first match: do that first, untimed.
    from datetime import datetime, timezone

    from mdm.resolve.run import match_domain

    start = time.perf_counter()
    with store.session() as session:
        first = match_domain(session, "customer", rules, now=datetime.now(timezone.utc))
    out["rematch"] = {"mode": first.mode, "seconds": time.perf_counter() - start}
    if first.mode == "bulk":
        print(f"  rules changed since the store was built: bulk re-match took {out['rematch']['seconds']:.0f}s", flush=True)
    # Two warm-up upserts (imports, first model read, SQLite page cache) are not counted.
    for _, rec in samples[:2]:
        upsert_one(store, rules, rec)
    runs = []
    for kind, rec in samples[2 : 2 + repeat]:
        r = upsert_one(store, rules, rec)
        r["kind"] = kind
        runs.append(r)
    match_ms = [r["match_ms"] for r in runs]
    total_ms = [r["total_ms"] for r in runs]
    out["runs"] = runs
    out["match_ms"] = {q: percentile(match_ms, p) for q, p in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
    out["match_ms"]["mean"] = statistics.fmean(match_ms)
    out["total_ms"] = {q: percentile(total_ms, p) for q, p in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
    out["store_ms_p50"] = percentile([r["store_ms"] for r in runs], 0.5)
    stage_names = sorted({k for r in runs for k in r["timings"]})
    out["stage_ms_p50"] = {k: percentile([r["timings"].get(k, 0.0) * 1000 for r in runs], 0.5) for k in stage_names}
    out["merged"] = sum(r["merged"] for r in runs)
    out["duplicates_merged"] = sum(r["merged"] for r in runs if r["kind"] == "duplicate")
    out["duplicates"] = sum(r["kind"] == "duplicate" for r in runs)
    out["new_merged"] = sum(r["merged"] for r in runs if r["kind"] == "new")
    out["modes"] = sorted({r["mode"] for r in runs})
    out["peak_rss_mib"] = peak_rss_mib()

    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _, rec in samples[2 + repeat :]:
            upsert_one(store, rules, rec)
        profiler.disable()
        buf = io.StringIO()
        stats = pstats.Stats(profiler, stream=buf)
        stats.sort_stats("cumulative").print_stats(45)
        buf.write("\n---- by own time\n")
        stats.sort_stats("tottime").print_stats(25)
        out["profile"] = buf.getvalue()
        out["profile_runs"] = profile
    store.close()
    out["loadavg_end"] = load_average()
    return out


def vacuum(url: str) -> None:
    """VACUUM ANALYZE the store's schema, as autovacuum does within a minute or two of a bulk run
    (which rewrites every source record's match state): measure the steady state, not the
    first minute's dead index entries."""
    from sqlalchemy import create_engine

    start = time.perf_counter()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        tables = conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").scalars().all()
        conn.exec_driver_sql("VACUUM (ANALYZE) " + ", ".join(f'"{t}"' for t in tables))
    engine.dispose()
    print(f"  VACUUM (ANALYZE) of the store: {time.perf_counter() - start:.1f}s", flush=True)


def prewarm(url: str) -> None:
    """Read the schema's tables and indexes into the OS page cache (``pg_prewarm``, mode
    'read'), as they are on a server that has been running: the steady state, not the first
    reads from disk after the build (or another benchmark) pushed them out."""
    from sqlalchemy import create_engine

    start = time.perf_counter()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            try:
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            except Exception as exc:  # noqa: BLE001 - a server without the contrib module
                print(f"  pg_prewarm not available ({type(exc).__name__}): measuring with the cache as it is", flush=True)
                return
            # The extension lives in the schema it was first created in, maybe not on the search path.
            where = conn.exec_driver_sql(
                "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_prewarm'").scalar()
            pages = conn.exec_driver_sql(
                f"SELECT sum({where}.pg_prewarm(c.oid, 'read')) FROM pg_class c "
                "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'i')").scalar()
    finally:
        engine.dispose()
    print(f"  pg_prewarm: {int(pages or 0) * 8 / 1024:,.0f} MiB of tables and indexes read into the OS cache "
          f"in {time.perf_counter() - start:.1f}s", flush=True)


def kept_pg_schema(base: str, schema: str) -> tuple[str, bool]:
    """(url of ``schema`` in the database at ``base``, whether it already holds a matched store)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        found = conn.execute(text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s AND table_name = 'xref'"),
                             {"s": schema}).first()
        built = found is not None and conn.execute(text(f'SELECT EXISTS (SELECT 1 FROM "{schema}".xref)')).scalar()
        if not built:  # nothing there, or a build that stopped half way: start clean
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}", bool(built)


def prepared_store(records: int) -> Path:
    """A scratch copy of the matched e2e store (built with bench_e2e.py if missing)."""
    source = store_path(records)
    if not source.exists() or not _matched(source):
        subprocess.run([sys.executable, str(ROOT / "bench" / "bench_e2e.py"), "--records", str(records)], check=True)
    copy = BENCH_DIR / f"incremental-{records}.db"
    for p in copy.parent.glob(copy.name + "*"):
        p.unlink()
    # The online backup API gives a consistent copy even with a WAL beside it.
    src, dst = sqlite3.connect(source), sqlite3.connect(copy)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return copy


def _matched(db: Path) -> bool:
    try:
        con = sqlite3.connect(db)
        (n,) = con.execute("select count(*) from xref").fetchone()
        con.close()
        return n > 0
    except sqlite3.Error:
        return False


def print_summary(r: dict) -> None:
    m, t = r["match_ms"], r["total_ms"]
    print(f"store                {r.get('url', '')}: {r['source_records']:,} source records, {r['golden_records']:,} golden records"
          + ("; WAL checkpoints in a background thread" if r.get("background_checkpoints") else ""))
    print(f"records matched      {len(r['runs'])} one at a time ({r['duplicates']} near-duplicates: "
          f"{r['duplicates_merged']} merged; {len(r['runs']) - r['duplicates']} new: {r['new_merged']} merged); "
          f"modes {','.join(r['modes'])}")
    goal = "met" if m["p95"] < GOAL_P95_MS else "MISSED"
    print(f"match step           p50 {m['p50']:7.1f} ms  p95 {m['p95']:7.1f} ms  p99 {m['p99']:7.1f} ms  "
          f"(goal p95 < {GOAL_P95_MS:.0f} ms: {goal})")
    print(f"whole upsert         p50 {t['p50']:7.1f} ms  p95 {t['p95']:7.1f} ms  p99 {t['p99']:7.1f} ms  "
          f"(prepare+store p50 {r['store_ms_p50']:.1f} ms)")
    print("match stages p50     " + ", ".join(f"{k} {v:.1f} ms" for k, v in r["stage_ms_p50"].items()))
    print(f"peak RSS             {r['peak_rss_mib']:,.0f} MiB")
    print(f"machine              {r.get('cpus')} CPUs; load avg {r['loadavg_start']} -> {r['loadavg_end']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--profile", type=int, default=0, help="then run this many more under cProfile")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--url", help="a PostgreSQL URL: build and measure the store in a throw-away schema there "
                        "(default: a copy of the SQLite store bench_e2e.py leaves)")
    parser.add_argument("--schema", help="with --url: build the store in this schema once and keep it; later runs "
                        "reuse it (use another --seed each time: the same records again would be no change)")
    parser.add_argument("--seed", type=int, default=7, help="picks the stored records to copy and the new records")
    parser.add_argument("--inline-checkpoints", action="store_true",
                        help="SQLite: leave WAL checkpoints to the committing upsert (before the server's checkpoint thread)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        result = measure(args.child, args.records, args.repeat, args.profile, args.seed, not args.inline_checkpoints)
        print("RESULT " + json.dumps(result, default=str), flush=True)
        return 0
    db, drop = None, None
    if args.url and args.schema:
        url, built = kept_pg_schema(args.url, args.schema)
        if not built:
            print(f"incremental {args.records:,}: building the store in {url.split('@')[-1]} (kept)", flush=True)
            run_child([str(ROOT / "bench" / "bench_e2e.py"), "--child", "--records", str(args.records), "--url", url])
    elif args.url:
        # PostgreSQL: a throw-away schema, loaded and matched by bench_e2e's code first.
        url, drop = fresh_pg_schema(args.url)
        print(f"incremental {args.records:,}: building the store in {url.split('@')[-1]}", flush=True)
        run_child([str(ROOT / "bench" / "bench_e2e.py"), "--child", "--records", str(args.records), "--url", url])
    else:
        db = prepared_store(args.records)
        url = f"sqlite:///{db}"
    if args.url:
        vacuum(url)
        prewarm(url)
    print(f"incremental {args.records:,}: {url.split('@')[-1]} (load avg {load_average()})", flush=True)
    try:
        result = run_child([str(Path(__file__).resolve()), "--child", url, "--records", str(args.records),
                            "--repeat", str(args.repeat), "--profile", str(args.profile), "--seed", str(args.seed),
                            *(["--inline-checkpoints"] if args.inline_checkpoints else [])])
    finally:
        if drop:
            drop()
    result["url"] = url.split("@")[-1]
    print_summary(result)
    if result.get("profile"):
        print(f"---- cProfile of {result['profile_runs']} more upserts (cumulative)")
        print(result["profile"])
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    if db is not None:
        db.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
