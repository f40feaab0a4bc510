"""Every benchmark `make bench` shows, in order, then a compact summary.

    python bench/run.py              # 100k and 1M
    python bench/run.py --quick      # 100k only (incremental at 100k, no API/publishing)
    python bench/run.py --skip-1m    # 100k end to end, the rest as usual (incremental at 100k)

Steps (each in its own processes; logs and JSON under bench-out/):
  1. ours end to end at 100k (load speed, match stages, F1, peak RSS)   bench_e2e.py
  2. Splink 5 + DuckDB on the same 100k records                          bench_splink.py
  3. match engine compare+score pairs/s                                  bench_match.py
  4. ours and Splink at 1M (unless --quick/--skip-1m)
  5. incremental match of one record at 1M (100k with --quick/--skip-1m) bench_incremental.py
  6. API and publishing benches if present (not with --quick)           bench_api.py, bench_publish.py

Data are generated once and cached under /tmp/mdm-bench (MDM_BENCH_DIR).
Other load on the machine skews wall times: the load average is printed
with each result, and CPU seconds beside wall seconds.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
OUT = ROOT / "bench-out"


def run(name: str, args: list[str], timeout: float) -> tuple[bool, str]:
    """Run a bench script, tee its output to bench-out/<name>.log; (ok, output)."""
    print(f"\n=== {name}: {' '.join(args)}", flush=True)
    start = time.monotonic()
    lines = []
    with (OUT / f"{name}.log").open("w") as log:
        proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, bufsize=1)
        try:
            for line in proc.stdout:
                if _noise(line):
                    continue
                print(line, end="", flush=True)
                log.write(line)
                lines.append(line)
                if time.monotonic() - start > timeout:
                    proc.kill()
                    lines.append(f"(killed after {timeout:.0f}s)\n")
                    break
        finally:
            proc.wait()
    ok = proc.returncode == 0
    print(f"=== {name}: {'ok' if ok else f'FAILED ({proc.returncode})'} in {time.monotonic() - start:.0f}s", flush=True)
    return ok, "".join(lines)


def _noise(line: str) -> bool:
    # Splink's training warnings about levels it could not estimate.
    return bool(re.match(r"^(Level .* not observed|\s*$|Comparison: |\s+[mu] values not fully|You have called predict|"
                         r" -- WARNING --)", line))


def load_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100k only")
    parser.add_argument("--skip-1m", action="store_true", help="no 1M end-to-end runs")
    parser.add_argument("--incremental-records", type=int, help="store size for the incremental bench")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    big = not (args.quick or args.skip_1m)
    sizes = [100_000, 1_000_000] if big else [100_000]
    incremental_n = args.incremental_records or (1_000_000 if big else 100_000)
    started = time.monotonic()
    status: dict[str, bool] = {}
    outputs: dict[str, str] = {}

    def step(name: str, script: str, extra: list[str], timeout: float) -> None:
        status[name], outputs[name] = run(name, [str(BENCH / script), *extra], timeout)

    for n in sizes:
        step(f"e2e-{n}", "bench_e2e.py", ["--records", str(n), "--json", str(OUT / f"e2e-{n}.json")], 3 * 3600)
        # --fresh-prep: Splink's share (our standardization and features) timed in the same period as ours.
        step(f"splink-{n}", "bench_splink.py", ["--records", str(n), "--fresh-prep", "--json", str(OUT / f"splink-{n}.json")],
             2 * 3600)
        if n == 100_000:
            step("match-engine", "bench_match.py", [], 1800)
    if incremental_n == 1_000_000 and not status.get("e2e-1000000", False):
        print("\n(no matched 1M store: the incremental bench runs at 100k)")
        incremental_n = 100_000
    step(f"incremental-{incremental_n}", "bench_incremental.py",
         ["--records", str(incremental_n), "--repeat", "50", "--profile", "10",
          "--json", str(OUT / f"incremental-{incremental_n}.json")], 3 * 3600)
    if not args.quick:
        for name in ("bench_api.py", "bench_publish.py"):
            if (BENCH / name).exists():
                step(name.removesuffix(".py").removeprefix("bench_"), name, [], 1800)

    summary(sizes, incremental_n, status, outputs)
    print(f"\n(total {time.monotonic() - started:.0f}s; logs and JSON in {OUT})")
    return 0 if all(status.values()) else 1


def summary(sizes, incremental_n, status, outputs) -> None:
    print("\n" + "=" * 100 + "\nSUMMARY")
    e2e100 = load_json(OUT / "e2e-100000.json")
    if e2e100:
        load = e2e100["load"]
        print(f"load speed (100k)    {load['rows_per_s']:,.0f} rows/s ({load['stored']:,} records in {load['seconds']:.0f}s)")
    print(f"\n{'end to end':14s} {'records':>9s} {'wall s':>8s} {'CPU s':>8s} {'records/s':>10s} {'pairs/s c+s':>12s} "
          f"{'precision':>9s} {'recall':>7s} {'F1':>7s} {'peak RSS':>9s}  load avg")
    for n in sizes:
        for who in ("e2e", "splink"):
            r = load_json(OUT / f"{who}-{n}.json")
            label = f"{'ours' if who == 'e2e' else 'Splink'} {n // 1000}k" if n < 1_000_000 else \
                f"{'ours' if who == 'e2e' else 'Splink'} {n // 1_000_000}M"
            if not r or not status.get(f"{who}-{n}", False):
                print(f"{label:14s} {'failed: see bench-out/' + who + '-' + str(n) + '.log'}")
                continue
            q = r["quality"]
            if who == "e2e":
                wall, cpu, recs = r["end_to_end_seconds"], r["end_to_end_cpu_seconds"], r["load"]["stored"]
                pps = f"{r['match']['pairs_per_s_compare_score']:,.0f}"
            else:
                wall, cpu, recs, pps = r["total_seconds"], r["cpu_seconds"], r["records"], "-"
            print(f"{label:14s} {recs:9,d} {wall:8.1f} {cpu:8.1f} {recs / wall:10,.0f} {pps:>12s} {q['precision']:9.4f} "
                  f"{q['recall']:7.4f} {q['f1']:7.4f} {r['peak_rss_mib'] / 1024:7.2f}GiB  {r['loadavg_start']}")
    print("  (ours: files -> parsed, standardized, stored -> matched -> golden records, xref, events;"
          " Splink: in-memory standardized frame -> clusters)")
    engine = re.search(r"compare\+score\s+([\d,]+) scored", outputs.get("match-engine", ""))
    per_cpu = re.search(r"([\d,]+) pairs per CPU-second", outputs.get("match-engine", ""))
    print(f"\nengine compare+score {engine.group(1) + ' pairs/s wall (bench_match.py, Febrl4 x10)' if engine else 'not run/failed'}"
          + (f", {per_cpu.group(1)} pairs per CPU-second" if per_cpu else ""))
    inc = load_json(OUT / f"incremental-{incremental_n}.json")
    if inc and status.get(f"incremental-{incremental_n}"):
        m = inc["match_ms"]
        print(f"incremental ({inc['golden_records']:,} golden)  match p50 {m['p50']:.1f} ms  p95 {m['p95']:.1f} ms  "
              f"p99 {m['p99']:.1f} ms  (goal p95 < 20 ms at 1M)")
    else:
        print(f"incremental ({incremental_n:,}) failed: see bench-out/incremental-{incremental_n}.log")
    for name in ("api", "publish"):
        if name in outputs:
            tail = [line for line in outputs[name].splitlines() if line.strip()][-8:]
            print(f"\n{name} ({'ok' if status[name] else 'FAILED'}):")
            for line in tail:
                print("  " + line)


if __name__ == "__main__":
    raise SystemExit(main())
