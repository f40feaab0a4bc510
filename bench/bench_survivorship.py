"""Survivorship throughput: ``build_golden`` + lineage per golden record.

    python bench/bench_survivorship.py              # 20k synthetic 1-3 member customer clusters
    python bench/bench_survivorship.py --clusters 5000 --repeat 5
    python bench/bench_survivorship.py --profile    # cProfile top functions of one run

Clusters are synthetic customer records from ERP, CRM and WMS (plus an
unlisted source now and then) with sparse fields, duplicate and invalid
values and an occasional pinned steward override, decided by the bundled
``rules/customer.yaml``. Prints microseconds per golden record for
``build_golden`` alone, with ``lineage_json`` (the verbose lineage) and with
``lineage_stored`` (the compact form ``build_clusters`` stores), best of
``--repeat`` runs; also a digest of all outputs, so two versions of the
engine can be checked for identical results.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pstats
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mdm.survivorship import MemberRecord, Override, build_golden, explain_rows, load_survivorship  # noqa: E402

NOW = datetime(2024, 6, 1, tzinfo=UTC)
SYSTEMS = ["ERP", "CRM", "WMS", "CRM", "ERP", "EDI"]
POOLS = {
    "name": ["Acme GmbH", "ACME Supply", "Beta AG", "Gamma Ltd", "Delta KG", ""],
    "given_name": ["Anna", "Jon", "Maria", "Kim"],
    "family_name": ["Schmidt", "Meyer", "Smith", "Lee"],
    "organization": ["Acme GmbH", "Beta AG", " ", "Gamma Ltd"],
    "tax_id": ["DE811234567", "DE999", "GB123456789"],
    "email": ["ap@acme.de", "anna@x.de", "not an email", "kim@beta.com"],
    "phone": ["+4922112345", "0221 12345", "+15551234567"],
    "address_line1": ["Industriestr. 12", "Hafenweg 4", "Main St 1"],
    "address_line2": ["Tor 3", "Suite 100"],
    "city": ["Köln", "Koeln", "Neuss", "Berlin"],
    "region": ["NW", "BE", "CA"],
    "postal_code": ["50667", "41460", "10115"],
    "country": ["DE", "de", "US"],
    "date_of_birth": ["1980-02-29", "1975-13-01", "1990-07-04"],
    "credit_limit": ["50000.00", "75000", "-5", "abc", 1200, 99.5],
    "payment_terms": ["NET30", "NET60"],
    "segment": ["key account", "smb"],
    "account_owner": ["j.weber", "k.lee"],
    "status": ["active", "inactive", "blocked"],
}


def synthetic_clusters(n: int, seed: int = 0) -> list[tuple[list[MemberRecord], dict[str, Override] | None]]:
    """``n`` clusters of 1-3 members (half of them pairs), with their steward overrides (mostly none)."""
    rng = random.Random(seed)
    clusters = []
    record_id = 0
    for _ in range(n):
        members = []
        for _ in range(rng.choices([1, 2, 3], weights=[1, 2, 1])[0]):
            record_id += 1
            fields = {f: rng.choice(pool) for f, pool in POOLS.items() if rng.random() < 0.6}
            members.append(
                MemberRecord(
                    record_id=record_id,
                    system=rng.choice(SYSTEMS),
                    source_key=f"K{record_id}",
                    version=rng.randint(1, 3),
                    updated_at=NOW - timedelta(days=rng.choice([0, 3, 30, 400]), seconds=rng.choice([0, 5])),
                    fields=fields,
                )
            )
        overrides = None
        if rng.random() < 0.03:
            attribute = rng.choice(list(POOLS))
            overrides = {
                attribute: Override(
                    attribute=attribute, value="pinned", reason="checked", actor="steward",
                    pinned_at=NOW - timedelta(days=1),
                )
            }
        clusters.append((members, overrides))
    return clusters


def run(rules, clusters, lineage: str | None) -> float:
    start = time.perf_counter()
    for members, overrides in clusters:
        build = build_golden(rules, members, now=NOW, overrides=overrides)
        if lineage:
            getattr(build, lineage)()
    return time.perf_counter() - start


def digest(rules, clusters) -> str:
    """sha256 over every golden record's attributes, lineage and explain rows."""
    h = hashlib.sha256()
    for members, overrides in clusters:
        build = build_golden(rules, members, now=NOW, overrides=overrides)
        out = [build.attributes, build.lineage_json(), explain_rows(build.decisions)]
        h.update(json.dumps(out, sort_keys=False, default=str).encode())
    return h.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clusters", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    rules = load_survivorship(ROOT / "rules" / "customer.yaml")
    clusters = synthetic_clusters(args.clusters, args.seed)
    members = sum(len(m) for m, _ in clusters)
    print(f"{len(clusters)} clusters, {members} member records, customer rules")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(run, rules, clusters, "lineage_stored")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return
    for label, lineage in [("build_golden", None), ("build_golden + lineage_json", "lineage_json"),
                           ("build_golden + lineage_stored", "lineage_stored")]:
        best = min(run(rules, clusters, lineage) for _ in range(args.repeat))
        print(f"{label:30s} {best * 1e6 / len(clusters):8.1f} us per golden record  ({best:.2f} s)")
    print(f"output digest {digest(rules, clusters)}")


if __name__ == "__main__":
    main()
