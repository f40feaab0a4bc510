"""GraphQL API latency and throughput against a running server.

    python bench/bench_api.py                              # SQLite, 2,000 customers
    python bench/bench_api.py --customers 20000 --concurrency 32
    python bench/bench_api.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Builds a store the real way (CSV -> load -> match), starts uvicorn on
localhost in a subprocess, and drives it with concurrent httpx clients.
Scenarios: a plain starlette JSON endpoint reading the same golden row (the
floor: no GraphQL, no auth), GraphQL lookup by id, by source key, a page of
50, and one-record upserts (sequential: each is matched within the call).
Prints requests/s and p50/p95/p99 per scenario, and GraphQL lookup p99 as a
multiple of the floor's (goal: within 3x).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIRST = ["Robert", "Maria", "James", "Linda", "Ahmed", "Chen", "Olga", "Pedro", "Aisha", "Tom", "Ingrid", "Yuki"]
LAST = ["Smith", "Garcia", "Johnson", "Brown", "Khan", "Wang", "Ivanova", "Silva", "Okafor", "Miller", "Berg", "Sato"]
CITIES = [("Boston", "MA", "02110"), ("Denver", "CO", "80202"), ("Austin", "TX", "73301"), ("Seattle", "WA", "98101")]
HEADER = ["Id", "First", "Last", "Email", "Phone", "Street", "City", "State", "Zip"]
FIELDS = {"given_name": "First", "family_name": "Last", "email": "Email", "phone": "Phone", "address_line1": "Street",
          "city": "City", "region": "State", "postal_code": "Zip"}

BY_ID = "query ById($id: ID!) { customer(id: $id) { id version attributes { givenName familyName email phone city } } }"
BY_KEY = ("query ByKey($key: String!) { bySourceKey(system: \"CRM\", domain: CUSTOMER, key: $key) "
          "{ id ... on Customer { attributes { givenName familyName email } } } }")
PAGE = ("query Page($after: String) { customers(first: 50, after: $after) { edges { cursor node { id "
        "attributes { givenName familyName email city } } } pageInfo { hasNextPage endCursor } } }")
UPSERT = ("mutation Upsert($r: [JSON!]!) { upsertSourceRecords(system: \"BENCH\", domain: CUSTOMER, records: $r) "
          "{ records { goldenId decision } } }")


def bench_app():
    """The app under test plus the floor endpoint (bench only)."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from mdm.api import create_app
    from mdm.settings import Settings
    from mdm.store import Store
    from mdm.store.tables import GoldenRecord

    settings = Settings()
    store = Store.open(settings.database_url)

    def read(gid: str) -> dict | None:
        with store.session() as session:
            row = session.get(GoldenRecord, gid)
            return None if row is None else {"id": row.id, "version": row.version, "attributes": row.attributes}

    async def floor(request):
        return JSONResponse(await run_in_threadpool(read, request.path_params["gid"]))

    return create_app(store, settings=settings, extra_routes=[Route("/floor/{gid}", floor)])


def build_store(url: str, customers: int, workdir: Path) -> tuple[list[str], list[str], str, str]:
    """Load and match `customers` CRM records; returns golden ids, source keys, reader and publisher keys."""
    from sqlalchemy import select

    from mdm.api.keys import create_key
    from mdm.ingest import Mapping, load_file
    from mdm.resolve.run import match_domain
    from mdm.rules import load_match_rules
    from mdm.settings import Settings
    from mdm.store import Store
    from mdm.store.migrate import upgrade
    from mdm.store.tables import GoldenRecord, Xref

    rng = random.Random(1)
    path = workdir / "crm.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(customers):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            city, state, zip_ = CITIES[i % len(CITIES)]
            writer.writerow([f"C{i}", first, last, f"{first}.{last}.{i}@mail.example".lower(),
                             f"+1 617 {200 + i // 10000:03d} {i % 10000:04d}", f"{i} Main St", city, state, zip_])
    store = Store.open(url)
    upgrade(store.engine)
    with store.session() as session:
        load_file(session, path, Mapping(source="CRM", domain="customer", key="Id", fields=FIELDS))
    with store.session() as session:
        match_domain(session, "customer", load_match_rules(Settings().rules_dir, "customer"), now=datetime.now(timezone.utc))
    with store.session() as session:
        ids = list(session.scalars(select(GoldenRecord.id).where(GoldenRecord.status == "active")))
        keys = list(session.scalars(select(Xref.source_key).where(Xref.system == "CRM")))
        reader = create_key(session, "reader", name="bench-reader").key
        publisher = create_key(session, "publisher", system="BENCH", name="bench-publisher").key
    store.close()
    return ids, keys, reader, publisher


def existing_store(url: str, upserts: int, seed: int) -> tuple[list[str], list[str], str, str, list[dict]]:
    """A matched store used as it is (``--existing``): golden ids and CRM source keys to look up,
    new reader and publisher keys, and the records to upsert: near-duplicates of stored
    customers and new ones, half each (``bench_incremental.test_records``)."""
    from sqlalchemy import select

    from bench.bench_incremental import test_records
    from mdm.api.keys import create_key
    from mdm.store import Store
    from mdm.store.migrate import upgrade
    from mdm.store.tables import GoldenRecord, Xref

    store = Store.open(url)
    upgrade(store.engine)
    with store.session() as session:
        ids = list(session.scalars(select(GoldenRecord.id).where(GoldenRecord.status == "active").limit(20000)))
        keys = list(session.scalars(select(Xref.source_key).where(Xref.system == "CRM").limit(20000)))
        records = [record for _, record in test_records(session, upserts + 3, seed)]
        reader = create_key(session, "reader", name="bench-reader").key
        publisher = create_key(session, "publisher", system="BENCH", name="bench-publisher").key
    store.close()
    return ids, keys, reader, publisher, records


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "MDM_DATABASE_URL": url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench_api:bench_app", "--factory", "--app-dir", str(ROOT / "bench"),
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning",
         "--no-access-log"],
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the server did not start within 30 s")


async def run(client: httpx.AsyncClient, make_request, total: int, concurrency: int) -> tuple[float, list[float]]:
    """`total` requests over `concurrency` workers; (seconds, latencies)."""
    latencies: list[float] = []
    counter = iter(range(total))

    async def worker() -> None:
        for i in counter:
            start = time.perf_counter()
            response = await make_request(client, i)
            latencies.append(time.perf_counter() - start)
            if response.status_code != 200 or b'"errors"' in response.content:
                raise SystemExit(f"request failed: {response.status_code} {response.text[:300]}")

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start, latencies


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def report(name: str, seconds: float, latencies: list[float]) -> dict:
    row = {
        "scenario": name, "requests": len(latencies), "rps": len(latencies) / seconds,
        "p50": percentile(latencies, 50) * 1000, "p95": percentile(latencies, 95) * 1000, "p99": percentile(latencies, 99) * 1000,
    }
    print(f"{name:<22} {row['requests']:>7} {row['rps']:>9.0f} {row['p50']:>8.2f} {row['p95']:>8.2f} {row['p99']:>8.2f}")
    return row


async def main_async(args, port: int, ids: list[str], keys: list[str], reader: str, publisher: str,
                     records: list[dict] | None = None) -> None:
    base = f"http://127.0.0.1:{port}"
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    rng = random.Random(2)

    def gql(query: str, variables, key: str = reader):
        async def call(client: httpx.AsyncClient, i: int):
            return await client.post("/graphql", json={"query": query, "variables": variables(i)},
                                     headers={"Authorization": f"Bearer {key}"})
        return call

    async def floor(client: httpx.AsyncClient, i: int):
        return await client.get(f"/floor/{ids[i % len(ids)]}")

    cursors = [None]
    scenarios = [
        ("floor (plain JSON)", floor),
        ("graphql by id", gql(BY_ID, lambda i: {"id": ids[i % len(ids)]})),
        ("graphql by source key", gql(BY_KEY, lambda i: {"key": keys[i % len(keys)]})),
        ("graphql page of 50", gql(PAGE, lambda i: {"after": cursors[i % len(cursors)]})),
    ]
    rng.shuffle(ids)
    print(f"{'scenario':<22} {'requests':>7} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    results = {}
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        page = await client.post("/graphql", json={"query": PAGE, "variables": {"after": None}},
                                 headers={"Authorization": f"Bearer {reader}"})
        end = page.json()["data"]["customers"]["pageInfo"]["endCursor"]
        cursors.append(end)
        for name, call in scenarios:
            await run(client, call, min(200, args.requests), args.concurrency)  # warm up
            results[name] = report(name, *(await run(client, call, args.requests, args.concurrency)))
        if records is None:
            upsert = gql(UPSERT, lambda i: {"r": [{"key": f"B{i}", "given_name": rng.choice(FIRST),
                                                   "family_name": f"Bench{i}", "email": f"bench{i}@bench.example",
                                                   "city": "Boston"}]}, publisher)
        else:
            upsert = gql(UPSERT, lambda i: {"r": [records[i]]}, publisher)
        await run(client, upsert, 3, 1)  # warm up (loads the match model)
        if records is not None:
            records[:] = records[3:]
        results["upsert"] = report("upsert 1 record", *(await run(client, upsert, args.upserts, 1)))
    floor_p99 = results["floor (plain JSON)"]["p99"]
    for name in ("graphql by id", "graphql by source key"):
        ratio = results[name]["p99"] / floor_p99
        print(f"{name}: p99 {ratio:.2f}x the floor ({'within' if ratio <= 3 else 'OVER'} the 3x goal)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp folder")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=3000, help="requests per read scenario")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--upserts", type=int, default=40, help="sequential one-record upserts")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers")
    parser.add_argument("--existing", metavar="URL",
                        help="use this matched store as it is (it is written to: give a copy), e.g. the 1M store "
                             "bench_e2e.py builds; the upserts are then near-duplicates of its customers and new ones")
    parser.add_argument("--seed", type=int, default=7, help="with --existing: picks the records to upsert")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        records = None
        start = time.perf_counter()
        if args.existing:
            url = args.existing
            ids, keys, reader, publisher, records = existing_store(url, args.upserts, args.seed)
            if url.startswith("postgresql"):
                from bench.bench_incremental import prewarm

                prewarm(url)  # a running server's working set is in memory, not on disk
            print(f"store: {url.split('@')[-1]} as it is ({len(ids)} golden ids sampled)")
        else:
            url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
            ids, keys, reader, publisher = build_store(url, args.customers, Path(tmp))
            print(f"store: {len(ids)} golden customers from {args.customers} records in {time.perf_counter() - start:.1f} s "
                  f"({url.split(':')[0]})")
        port = free_port()
        server = start_server(url, port, args.workers)
        try:
            asyncio.run(main_async(args, port, ids, keys, reader, publisher, records))
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
