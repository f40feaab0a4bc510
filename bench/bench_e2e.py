"""End to end on generated customers: load every file, bulk match, score vs truth.

    python bench/bench_e2e.py --records 100000
    python bench/bench_e2e.py --records 1000000
    python bench/bench_e2e.py --records 100000 --url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Generates ERP/CRM/WMS customer files with ``seed_data/generate.py`` at the
scale that gives about N records (cached under /tmp/mdm-bench/gen-N), then,
in a fresh subprocess (so peak RSS is this run's own), times our pipeline as
a user runs it: ``mdm load`` of each file (read, map, standardize, store
source record versions) into a fresh SQLite store (default; kept at
/tmp/mdm-bench/store-N.db for bench_incremental.py) or ``--url``, then
``match_domain`` (bulk: features, blocking, compare, EM, score, cluster,
survivorship, golden records, xref, outbox). Reports load rows/s, match
stages, scored candidate pairs/s in compare+score, records/s from files to
golden records, peak RSS (VmHWM) per phase, and pairwise precision, recall
and F1 of the xref against truth.csv.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BENCH_DIR = Path(os.environ.get("MDM_BENCH_DIR", "/tmp/mdm-bench"))
# seed_data/generate.py: scale 1 gives about 2,122 customer records.
RECORDS_PER_SCALE = 2121.7


# --------------------------------------------------------------------------- helpers shared by the benches


def dataset(records: int) -> Path:
    """Generated customer files for about ``records`` records (cached)."""
    out = BENCH_DIR / f"gen-{records}"
    if (out / "truth.csv").exists():
        return out
    tmp = BENCH_DIR / f"gen-{records}.partial"
    tmp.mkdir(parents=True, exist_ok=True)
    scale = records / RECORDS_PER_SCALE
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "seed_data" / "generate.py"), "--out", str(tmp), "--scale", f"{scale:.3f}",
         "--domains", "customer"],
        check=True, stdout=subprocess.DEVNULL,
    )
    tmp.rename(out)
    print(f"generated {out} (scale {scale:.2f}) in {time.perf_counter() - start:.0f}s", file=sys.stderr)
    return out


def store_path(records: int) -> Path:
    return BENCH_DIR / f"store-{records}.db"


def peak_rss_mib() -> float:
    """Peak resident set size of this process (VmHWM), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (all threads), plus its
    finished child processes (the bulk write's survivorship workers)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime


def tree_pss_mib() -> float:
    """Proportional set size of this process and its children, MiB: memory
    shared after a fork counts once, split between the processes sharing it."""
    import os

    pids, total = [os.getpid()], 0.0
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            pids += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    if len(pids) == 1:
        # No workers: this process's RSS (its PSS plus shared library pages).
        # Reading smaps_rollup walks every page table of a 5 GiB process
        # twice a second and slowed the match stages it measures by ~7%.
        return rss_mib()
    for pid in pids:
        try:
            line = next(x for x in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines() if x.startswith("Pss:"))
            total += int(line.split()[1]) / 1024
        except (OSError, StopIteration):
            pass
    return total


class TreePeak:
    """Samples ``tree_pss_mib`` in a thread, twice a second or less often when a sample is
    dear; ``peak`` is the highest seen and ``where`` the main thread's mdm call stack then.

    While workers run, a sample reads every process's ``smaps_rollup``, which walks its page
    tables: 60-85 ms for the 4-5 GiB parent and as much for each forked worker (it maps the
    parent's memory). Twice a second that took a third of a core from the write stage it
    measures, on two cores. The pause after a sample is at least ``PAUSE_PER_COST`` times
    what it cost, so the sampler takes at most 1 / (1 + PAUSE_PER_COST) of one core."""

    INTERVAL = 0.5
    PAUSE_PER_COST = 19

    def __init__(self) -> None:
        import threading

        self.peak, self.where = 0.0, ""
        self._main = threading.main_thread().ident
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            start = time.perf_counter()
            pss = tree_pss_mib()
            if pss > self.peak:
                self.peak, self.where = pss, main_stack(self._main)
            time.sleep(max(self.INTERVAL, self.PAUSE_PER_COST * (time.perf_counter() - start)))


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def machine() -> dict:
    info = {"cpus": os.cpu_count(), "loadavg_start": load_average()}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["mem_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return info


def customer_files(folder: Path) -> list[tuple[Path, Path]]:
    from mdm.cli.demo import load_order, seed_files

    return load_order(seed_files(folder))


def truth_frame(folder: Path):
    import pandas as pd

    truth = pd.read_csv(folder / "truth.csv", dtype=str)
    if "domain" in truth.columns:
        truth = truth[truth["domain"] == "customer"]
    return truth[["system", "source_key", "entity"]]


def score_labels(frame, truth) -> dict:
    """Pairwise scores of ``frame`` (system, source_key, cluster) against truth."""
    from bench.evaluate import pairwise_scores

    joined = frame.merge(truth, on=["system", "source_key"], how="inner")
    scores = pairwise_scores(joined["cluster"].reset_index(drop=True), joined["entity"].reset_index(drop=True))
    scores["records_scored"] = len(joined)
    return scores


def fresh_pg_schema(base: str):
    """A throw-away schema in the PostgreSQL database at ``base``: (url, drop)."""
    import uuid

    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"

    def drop() -> None:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()

    return url, drop


MAX_RSS_GIB = float(os.environ.get("MDM_BENCH_MAX_RSS_GIB", "14"))


def run_child(args: list[str], timeout: float | None = None) -> dict:
    """Run ``args`` (a python script + options that ends by printing one JSON
    line prefixed RESULT) in a fresh interpreter; return that JSON.

    The child is killed if its RSS passes MDM_BENCH_MAX_RSS_GIB (default 14):
    the machine is shared, and a run that big has failed its goal anyway."""
    import threading

    proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, text=True, bufsize=1)
    killed: list[str] = []

    def watch() -> None:
        status = Path(f"/proc/{proc.pid}/status")
        start = time.monotonic()
        while proc.poll() is None:
            try:
                rss = next(int(x.split()[1]) for x in status.read_text().splitlines() if x.startswith("VmRSS:"))
            except (OSError, StopIteration):
                return
            if rss > MAX_RSS_GIB * 2**20:
                killed.append(f"RSS {rss / 2**20:.1f} GiB > {MAX_RSS_GIB} GiB")
            elif timeout and time.monotonic() - start > timeout:
                killed.append(f"timeout {timeout:.0f}s")
            if killed:
                proc.kill()
                return
            time.sleep(1)

    threading.Thread(target=watch, daemon=True).start()
    result = None
    for line in proc.stdout:
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
        else:
            print(line, end="", flush=True)
    proc.wait()
    if proc.returncode != 0 or result is None:
        reason = f" (killed: {killed[0]})" if killed else ""
        raise ChildFailed(f"{' '.join(Path(a).name for a in args)} failed with exit code {proc.returncode}{reason}")
    return result


class ChildFailed(SystemExit):
    pass


# --------------------------------------------------------------------------- the measured run (child process)


def main_stack(thread_id: int | None, depth: int = 3) -> str:
    """The innermost ``depth`` mdm frames of a thread's stack, outermost first."""
    import traceback

    frame = sys._current_frames().get(thread_id)
    if frame is None:
        return ""
    stack = [f"{Path(f.filename).parent.name}/{Path(f.filename).name}:{f.lineno} {f.name}"
             for f in traceback.extract_stack(frame) if "/mdm/" in f.filename][-depth:]
    return " > ".join(stack)


def trace_rss(step_mib: int = 1024) -> None:
    """Print RSS and the mdm call stack of the main thread each time RSS grows
    by another ``step_mib``: where the memory goes, at next to no cost."""
    import threading

    main_id = threading.main_thread().ident

    def run() -> None:
        mark = rss_mib() + step_mib
        while True:
            rss = rss_mib()
            if rss >= mark:
                print(f"    [rss {rss:,.0f} MiB at {main_stack(main_id)}]", flush=True)
                mark = rss + step_mib
            time.sleep(0.5)

    threading.Thread(target=run, daemon=True).start()


def timed_write_parts() -> dict[str, float]:
    """Wall seconds of the write stage's parts (review candidates, matched marks, and golden
    records with everything written between their slices), filled in as the bulk match runs."""
    import mdm.resolve.run as run

    parts: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                parts[name] = parts.get(name, 0.0) + time.perf_counter() - t
        return wrapper

    run._write_review = timed("review", run._write_review)
    # The review candidates and the matched marks are written within apply_clusters, between slices.
    run.apply_clusters = timed("golden records (review, marks and keys between slices)", run.apply_clusters)
    run._mark_matched = timed("marks", run._mark_matched)
    return parts


def measure(records: int, folder: Path, url: str) -> dict:
    from datetime import datetime, timezone

    import pandas as pd
    from sqlalchemy import func, select

    from mdm.ingest import load_file, load_mapping
    from mdm.resolve.run import match_domain
    from mdm.rules import load_match_rules
    from mdm.settings import BUNDLED_RULES_DIR
    from mdm.store import Store
    from mdm.store.migrate import upgrade
    from mdm.store.tables import GoldenRecord, Xref

    out: dict = {"records_target": records, "url": url.split("@")[-1], **machine()}
    out["rss_start_mib"] = rss_mib()
    trace_rss()
    tree = TreePeak()
    store = Store.open(url)
    upgrade(store.engine)

    # ---- load: one `mdm load` per file
    can_reset = reset_peak_rss()
    files = []
    stages = {"read": 0.0, "standardize": 0.0, "store": 0.0}
    load_start, load_cpu = time.perf_counter(), cpu_seconds()
    for data, mapping_path in customer_files(folder):
        marks: dict[str, float] = {}

        def progress(stage, done, total, marks=marks):
            now = time.perf_counter()
            marks.setdefault(f"{stage}_first", now)
            marks[f"{stage}_last"] = now

        t0 = time.perf_counter()
        with store.session() as session:
            res = load_file(session, data, load_mapping(mapping_path), rejects_path=BENCH_DIR / f"{data.name}.rejects.csv",
                            progress=progress)
        t1 = time.perf_counter()
        stages["read"] += marks["read_last"] - marks["read_first"]
        stages["standardize"] += marks["standardize_last"] - marks["standardize_first"]
        stages["store"] += t1 - marks["standardize_last"]
        files.append({"file": data.name, "read": res.read, "stored": res.stored, "rejected": res.rejected,
                      "seconds": round(t1 - t0, 2)})
    load_seconds = time.perf_counter() - load_start
    loaded = sum(f["stored"] for f in files)
    out["load"] = {
        "seconds": load_seconds, "rows_read": sum(f["read"] for f in files), "stored": loaded,
        "rejected": sum(f["rejected"] for f in files), "rows_per_s": sum(f["read"] for f in files) / load_seconds,
        "stages": stages, "files": files, "peak_rss_mib": peak_rss_mib() if can_reset else None,
        "cpu_seconds": cpu_seconds() - load_cpu,
    }
    print(f"  load: {loaded:,} records in {load_seconds:.1f}s ({out['load']['rows_per_s']:,.0f} rows/s), "
          f"load avg {load_average()}", flush=True)

    # ---- bulk match
    rss_before_match = rss_mib()
    reset_peak_rss()
    rules = load_match_rules(BUNDLED_RULES_DIR, "customer")
    write_parts = timed_write_parts()
    match_start, match_cpu = time.perf_counter(), cpu_seconds()
    with store.session() as session:
        report = match_domain(session, "customer", rules, now=datetime.now(timezone.utc))
    match_seconds = time.perf_counter() - match_start
    timings = {}
    for stage, seconds in report.timings.items():
        timings[stage] = seconds
        if stage == "write":  # its parts, indented under it
            timings.update({f"  {name}": part for name, part in write_parts.items()})
    report.timings = timings
    compare_score = report.timings.get("compare", 0.0) + report.timings.get("score", 0.0)
    out["match"] = {
        "seconds": match_seconds, "mode": report.mode, "records": report.records, "pairs": report.pairs,
        "review": report.review, "timings": report.timings,
        "candidate_pairs": report.blocking.get("n_pairs"),
        "pairs_per_s_compare_score": (report.blocking.get("n_pairs") or report.pairs) / compare_score if compare_score else None,
        "cpu_seconds": cpu_seconds() - match_cpu, "rss_before_mib": rss_before_match, "peak_rss_mib": peak_rss_mib() if can_reset else None,
    }
    out["end_to_end_seconds"] = load_seconds + match_seconds
    out["records_per_s"] = loaded / out["end_to_end_seconds"]
    out["end_to_end_cpu_seconds"] = out["load"]["cpu_seconds"] + out["match"]["cpu_seconds"]
    out["peak_rss_mib"] = peak_rss_mib()
    out["peak_tree_pss_mib"] = tree.peak
    out["peak_tree_pss_at"] = tree.where
    print(f"  match: {match_seconds:.1f}s, {report.pairs:,} pairs, load avg {load_average()}", flush=True)

    # ---- quality (not timed)
    with store.session() as session:
        xref = pd.DataFrame(
            session.execute(select(Xref.system, Xref.source_key, Xref.golden_id).where(Xref.domain == "customer")).all(),
            columns=["system", "source_key", "cluster"],
        )
        out["golden_records"] = session.scalar(
            select(func.count()).select_from(GoldenRecord).where(GoldenRecord.domain == "customer",
                                                                 GoldenRecord.status == "active"))
    out["quality"] = score_labels(xref, truth_frame(folder))
    store.close()
    if url.startswith("sqlite:///"):
        db = Path(url.removeprefix("sqlite:///"))
        out["store_mib"] = sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 2**20
    out["loadavg_end"] = load_average()
    return out


def print_summary(r: dict) -> None:
    load, match, q = r["load"], r["match"], r["quality"]
    print(f"records              {load['stored']:,} loaded ({load['rejected']:,} rejected) into {r['url']}")
    print(f"load                 {load['seconds']:8.1f}s  {load['rows_per_s']:,.0f} rows/s  "
          f"(read {load['stages']['read']:.1f}s, standardize {load['stages']['standardize']:.1f}s, "
          f"store {load['stages']['store']:.1f}s)")
    print(f"match (bulk)         {match['seconds']:8.1f}s")
    for stage, seconds in match["timings"].items():
        print(f"  {stage:18s} {seconds:8.1f}s" if len(stage) <= 18 else f"  {stage} {seconds:.1f}s")
    pps = match["pairs_per_s_compare_score"]
    print(f"candidate pairs      {match['candidate_pairs']:,} blocked, {match['pairs']:,} scored; "
          f"compare+score {pps:,.0f} pairs/s")
    print(f"end to end           {r['end_to_end_seconds']:8.1f}s  {r['records_per_s']:,.0f} records/s (files -> golden records); "
          f"CPU {r['end_to_end_cpu_seconds']:.1f}s (load {load['cpu_seconds']:.1f}, match {match['cpu_seconds']:.1f})")
    print(f"peak RSS             {r['peak_rss_mib']:,.0f} MiB (load {load['peak_rss_mib'] or 0:,.0f}, "
          f"match {match['peak_rss_mib'] or 0:,.0f}); with worker processes (PSS, "
          f"sampled every 0.5 s or, while workers run, ~20x a sample's cost) {r.get('peak_tree_pss_mib', 0):,.0f} MiB"
          + (f" at {r['peak_tree_pss_at']}" if r.get("peak_tree_pss_at") else ""))
    print(f"golden records       {r['golden_records']:,}")
    if "store_mib" in r:
        print(f"store                {r['store_mib']:,.0f} MiB on disk (database, WAL and shared memory files)")
    print(f"quality              precision {q['precision']:.4f}  recall {q['recall']:.4f}  F1 {q['f1']:.4f}  "
          f"({q['records_scored']:,} records, {q['true_pairs']:,} true pairs)")
    print(f"machine              {r.get('cpus')} CPUs, {r.get('mem_gib')} GiB; load avg {r['loadavg_start']} -> {r['loadavg_end']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file /tmp/mdm-bench/store-N.db)")
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    folder = dataset(args.records)
    if args.child:
        url = args.url or f"sqlite:///{store_path(args.records)}"
        print("RESULT " + json.dumps(measure(args.records, folder, url), default=str), flush=True)
        return 0

    url, drop = args.url, None
    if url is None:
        db = store_path(args.records)
        for p in db.parent.glob(db.name + "*"):
            p.unlink()
        url = f"sqlite:///{db}"
    elif url.startswith("postgresql"):
        url, drop = fresh_pg_schema(url)
    print(f"e2e {args.records:,} records: {folder} -> {url.split('@')[-1]} (load avg {load_average()})", flush=True)
    try:
        result = run_child([str(Path(__file__).resolve()), "--child", "--records", str(args.records), "--url", url])
    finally:
        if drop:
            drop()
    print_summary(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
