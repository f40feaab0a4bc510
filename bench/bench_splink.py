"""Splink 5 (DuckDB backend) on the same generated customers as bench_e2e.py.

    python bench/bench_splink.py --records 100000
    python bench/bench_splink.py --records 1000000
    python bench/bench_splink.py --records 1000000 --fresh-prep   # our standardization timed again, now

Splink gets the records already standardized by our own ingest code
(``mdm.ingest.prepare_rows`` over the same files and mappings: cleaned names,
E.164 phones, lower-case e-mails, normalized streets, ISO dates, country
codes) plus a few derived columns from our feature step (``mdm.match.prepare``
with rules/customer.yaml: organization key without legal suffix, phonetic
surname and given name, nickname root, ZIP5, normalized street and city,
tax key). That frame is built once in a separate process and cached as
Parquet; Splink's clock starts from the in-memory pandas DataFrame, so its
time excludes file parsing, standardization and persistence, which ours
includes. It also stores nothing: no golden records, lineage or events.

The model is a sensible Splink customer model comparable to ours: blocking
rules that mirror rules/customer.yaml (minus the exploding name-token x
city rule and the block-size cap, which Splink has no equivalent of),
comparisons for names (organization key with term frequencies,
forename/surname with term frequencies on the full name), date of birth,
tax id, e-mail, phone, street, a locality comparison (postal code, ZIP5,
city with term frequencies), country and system; the prior from
deterministic rules, u from random sampling, m by EM over three training
blocking rules; predict at >= 0.5, cluster at 0.95 (our auto-merge
threshold). Runs in a fresh process; reports time per stage, peak RSS and
pairwise precision/recall/F1 against truth.csv.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_e2e import (  # noqa: E402
    BENCH_DIR,
    customer_files,
    dataset,
    cpu_seconds,
    load_average,
    machine,
    peak_rss_mib,
    rss_mib,
    run_child,
    score_labels,
    truth_frame,
)

# Columns handed to Splink (canonical fields + derived features).
COLUMNS = [
    "system", "source_key", "organization", "given_name", "family_name", "email", "phone", "tax_key",
    "date_of_birth", "street", "street_number", "zip5", "postal_code", "city_key", "region", "country",
    "org_key", "name_prefix", "party_key", "person_name", "surname_ph", "given_ph", "given_nick", "birth_year",
]
U_MAX_PAIRS = 3e6
PREDICT_THRESHOLD = 0.5
CLUSTER_THRESHOLD = 0.95


def frame_path(records: int) -> Path:
    return BENCH_DIR / f"canonical-{records}.parquet"


def build_frame(records: int) -> dict:
    """Standardize the generated files with our ingest code and derive features; cache as Parquet."""
    import numpy as np
    import pandas as pd

    from mdm.ingest import load_mapping, prepare_rows, read_source
    from mdm.match import load_rules, prepare

    folder = dataset(records)
    start = time.perf_counter()
    rows = []
    for data, mapping_path in customer_files(folder):
        mapping = load_mapping(mapping_path)
        batch = prepare_rows(read_source(data, mapping), mapping)
        rows += [{**r.fields, "system": mapping.source, "source_key": r.source_key} for r in batch.records]
    df = pd.DataFrame(rows)
    del rows
    df = df.astype(object).where(df.notna(), None)
    df.index = pd.RangeIndex(len(df), name="record_id").astype(np.int64)
    standardize_seconds = time.perf_counter() - start
    mark = time.perf_counter()
    features = prepare(df, load_rules(ROOT / "rules" / "customer.yaml"))
    features_seconds = time.perf_counter() - mark
    out = pd.DataFrame({c: features[c] if c in features.columns else None for c in COLUMNS}, index=features.index)
    for column in COLUMNS:
        out[column] = out[column].astype("string")
    # Our rules block on the first 5 characters of the party key; derived
    # here so the Splink frame does not depend on the feature names of the day.
    out["name_prefix"] = out["party_key"].str.slice(0, 5)
    out.insert(0, "unique_id", np.arange(len(out), dtype=np.int64))
    out.to_parquet(frame_path(records), index=False)
    return {"records": len(out), "standardize_seconds": standardize_seconds, "features_seconds": features_seconds}


def settings(cl, cll, block_on, SettingsCreator):
    comparisons = [
        # Organizations: legal suffixes dropped, words sorted (our org key).
        cl.JaroWinklerAtThresholds("org_key", [0.95, 0.88, 0.7]).configure(term_frequency_adjustments=True),
        # Persons: exact / swapped / fuzzy forename + surname; TF on the full name.
        cl.ForenameSurnameComparison("given_name", "family_name", forename_surname_concat_col_name="person_name")
        .configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
        cl.DamerauLevenshteinAtThresholds("tax_key", [1]),
        cl.EmailComparison("email"),
        cl.DamerauLevenshteinAtThresholds("phone", [1]),
        cl.JaroWinklerAtThresholds("street", [0.92, 0.8]),
        cl.CustomComparison(
            output_column_name="locality",
            comparison_levels=[
                cll.NullLevel("postal_code"),
                cll.ExactMatchLevel("postal_code"),
                cll.ExactMatchLevel("zip5"),
                cll.ExactMatchLevel("city_key", term_frequency_adjustments=True),
                cll.DamerauLevenshteinLevel("postal_code", 1),
                cll.ElseLevel(),
            ],
        ),
        cl.ExactMatch("country"),
        cl.ExactMatch("system"),
    ]
    blocking = [
        block_on("surname_ph", "zip5"),
        block_on("given_nick", "surname_ph"),
        block_on("date_of_birth"),
        block_on("tax_key"),
        block_on("email"),
        block_on("phone"),
        block_on("party_key", "city_key"),
        block_on("name_prefix", "zip5"),
        block_on("street", "zip5"),
        block_on("street_number", "given_ph", "birth_year"),
    ]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def measure(records: int) -> dict:
    import logging

    import pandas as pd

    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    out: dict = {"records_target": records, **machine()}
    df = pd.read_parquet(frame_path(records))
    out["records"] = len(df)
    out["rss_input_mib"] = rss_mib()
    stages: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def stage(name, fn):
        start, start_cpu = time.perf_counter(), cpu_seconds()
        value = fn()
        stages[name] = stages.get(name, 0.0) + time.perf_counter() - start
        cpu[name] = cpu.get(name, 0.0) + cpu_seconds() - start_cpu
        print(f"  splink {name:28s} {stages[name]:7.1f}s  (RSS {rss_mib():,.0f} MiB, load avg {load_average()})", flush=True)
        return value

    total_start, total_cpu = time.perf_counter(), cpu_seconds()
    db_api = DuckDBAPI()
    sdf = stage("register", lambda: db_api.register(df, table_name="customers"))
    linker = stage("linker", lambda: Linker(sdf, settings(cl, cll, block_on, SettingsCreator), log_level=logging.WARNING))
    stage("estimate_prior", lambda: linker.training.estimate_probability_two_random_records_match(
        [block_on("tax_key"), block_on("email"), block_on("party_key", "phone"), block_on("person_name", "date_of_birth")],
        recall=0.7,
    ))
    stage("estimate_u", lambda: linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=1))
    stage("em_phone", lambda: linker.training.estimate_parameters_using_expectation_maximisation(block_on("phone")))
    stage("em_zip5_street_number", lambda: linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("zip5", "street_number")))
    stage("em_surname_given", lambda: linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("surname_ph", "given_nick")))
    predictions = stage("predict", lambda: linker.inference.predict(threshold_match_probability=PREDICT_THRESHOLD))
    clusters = stage("cluster", lambda: linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=CLUSTER_THRESHOLD))
    labels = stage("to_pandas", lambda: clusters.as_pandas_dataframe())
    out["total_seconds"] = time.perf_counter() - total_start
    out["cpu_seconds"] = cpu_seconds() - total_cpu
    out["stages"] = stages
    out["stage_cpu_seconds"] = cpu
    out["peak_rss_mib"] = peak_rss_mib()
    out["predicted_pairs"] = int(db_api._execute_sql_against_backend(
        f"select count(*) from {predictions.physical_name}").fetchall()[0][0])
    out["records_per_s"] = len(df) / out["total_seconds"]

    frame = df[["unique_id", "system", "source_key"]].merge(labels[["unique_id", "cluster_id"]], on="unique_id")
    frame = frame.rename(columns={"cluster_id": "cluster"})[["system", "source_key", "cluster"]]
    frame["system"] = frame["system"].astype(str)
    frame["source_key"] = frame["source_key"].astype(str)
    out["clusters"] = int(frame["cluster"].nunique())
    out["quality"] = score_labels(frame, truth_frame(dataset(records)))
    out["loadavg_end"] = load_average()
    return out


def print_summary(r: dict, prep: dict | None) -> None:
    q = r["quality"]
    print(f"records              {r['records']:,} (standardized by our ingest code, from Parquet into pandas)")
    if prep:
        when = prep.get("measured_at", "at an unrecorded time")
        print(f"  (not counted: standardize {prep['standardize_seconds']:.1f}s + features {prep['features_seconds']:.1f}s, "
              f"measured {when}; --fresh-prep measures them again)")
    for name, seconds in r["stages"].items():
        print(f"  {name:28s} {seconds:8.1f}s  (CPU {r['stage_cpu_seconds'][name]:.1f}s)")
    print(f"splink total         {r['total_seconds']:8.1f}s  {r['records_per_s']:,.0f} records/s "
          f"(in-memory standardized frame -> clusters; ours includes parsing, standardization, persistence)")
    print(f"splink CPU           {r['cpu_seconds']:8.1f}s (all threads)")
    print(f"pairs >= {PREDICT_THRESHOLD}         {r['predicted_pairs']:,}")
    print(f"peak RSS             {r['peak_rss_mib']:,.0f} MiB (input frame alone {r['rss_input_mib']:,.0f} MiB)")
    print(f"clusters             {r['clusters']:,}")
    print(f"quality              precision {q['precision']:.4f}  recall {q['recall']:.4f}  F1 {q['f1']:.4f}")
    print(f"machine              {r.get('cpus')} CPUs, {r.get('mem_gib')} GiB; load avg {r['loadavg_start']} -> {r['loadavg_end']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--fresh-prep", action="store_true",
                        help="standardize and derive features again instead of reading them from the cache "
                             "(their time then comes from this period)")
    parser.add_argument("--child", choices=["prepare", "splink"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child == "prepare":
        print("RESULT " + json.dumps(build_frame(args.records)), flush=True)
        return 0
    if args.child == "splink":
        print("RESULT " + json.dumps(measure(args.records), default=str), flush=True)
        return 0

    dataset(args.records)
    prep = None
    meta = frame_path(args.records).with_suffix(".json")
    if args.fresh_prep:
        frame_path(args.records).unlink(missing_ok=True)
        meta.unlink(missing_ok=True)
    if not frame_path(args.records).exists():
        prep = run_child([str(Path(__file__).resolve()), "--child", "prepare", "--records", str(args.records)])
        # When: the machine's speed drifts within an hour, so a cached time may belong to another period.
        prep["measured_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        meta.write_text(json.dumps(prep))
    elif meta.exists():
        prep = json.loads(meta.read_text())
    print(f"splink {args.records:,} records (load avg {load_average()})", flush=True)
    result = run_child([str(Path(__file__).resolve()), "--child", "splink", "--records", str(args.records)])
    result["prepare"] = prep
    print_summary(result, prep)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
