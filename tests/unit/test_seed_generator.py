"""Tests of the seed data generator (seed_data/generate.py) at a small scale."""
from __future__ import annotations

import csv
import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCALE = 0.05

CANONICAL = {
    "customer": {"name", "given_name", "family_name", "organization", "tax_id", "email", "phone",
                 "address_line1", "address_line2", "city", "region", "postal_code", "country",
                 "date_of_birth", "credit_limit", "payment_terms", "segment", "account_owner",
                 "status"},
    "item": {"name", "description", "manufacturer", "mpn", "gtin", "sku", "category", "base_uom",
             "uom", "pack_qty", "weight_kg", "weight_lb", "status"},
    "price": {"item_key", "customer_key", "price_list", "currency", "unit_price", "uom", "min_qty",
              "valid_from", "valid_to"},
}
DATA_FILES = {
    "erp_customers.csv", "crm_accounts.csv", "crm_contacts.csv", "wms_ship_to.csv",
    "erp_materials.csv", "crm_products.csv", "wms_items.jsonl", "erp_prices.csv", "crm_prices.csv",
}


def _load_generator():
    spec = importlib.util.spec_from_file_location("seed_generate", ROOT / "seed_data" / "generate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


gen = _load_generator()


@pytest.fixture(scope="module")
def seed_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("seed")
    counts = gen.generate(out, scale=SCALE, seed=7)
    assert set(counts) == DATA_FILES | {"truth.csv"}
    assert all(n > 0 for n in counts.values()), counts
    return out


def _mapping(d: Path, stem: str) -> dict:
    return yaml.safe_load((d / f"{stem}.mapping.yaml").read_text(encoding="utf-8"))


def _rows(d: Path, file: str) -> tuple[list[str], list[dict]]:
    """Read a data file the way its mapping says (delimiter, encoding)."""
    path = d / file
    if file.endswith(".jsonl"):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        header = sorted({k for r in rows for k in r})
        return header, rows
    m = _mapping(d, path.stem)
    with open(path, encoding=m.get("encoding", "utf-8"), newline="") as f:
        reader = csv.DictReader(f, delimiter=m.get("delimiter", ","))
        rows = list(reader)
        header = list(reader.fieldnames)
    for r in rows:
        assert None not in r and None not in r.values(), f"{file}: ragged row {r}"
    return header, rows


def test_deterministic(tmp_path, seed_dir):
    other = tmp_path / "again"
    gen.generate(other, scale=SCALE, seed=7)
    files = sorted(p.name for p in seed_dir.iterdir())
    assert files == sorted(p.name for p in other.iterdir())
    for name in files:
        assert (seed_dir / name).read_bytes() == (other / name).read_bytes(), name


def test_seed_changes_output(tmp_path, seed_dir):
    gen.generate(tmp_path, scale=SCALE, seed=8, domains=("customer",))
    assert (tmp_path / "erp_customers.csv").read_bytes() != (seed_dir / "erp_customers.csv").read_bytes()


def test_domain_subset_gives_same_files(tmp_path, seed_dir):
    counts = gen.generate(tmp_path, scale=SCALE, seed=7, domains=("price",))
    assert set(counts) == {"erp_prices.csv", "crm_prices.csv", "truth.csv"}
    for name in ("erp_prices.csv", "crm_prices.csv"):
        assert (tmp_path / name).read_bytes() == (seed_dir / name).read_bytes()


def test_every_file_has_a_valid_mapping(seed_dir):
    for file in sorted(DATA_FILES):
        m = _mapping(seed_dir, Path(file).stem)
        assert m["source"] in {"ERP", "CRM", "WMS"}
        assert file.split("_")[0].upper() == m["source"]
        assert m["domain"] in CANONICAL
        assert set(m["fields"]) <= CANONICAL[m["domain"]], (file, set(m["fields"]) - CANONICAL[m["domain"]])
        header, rows = _rows(seed_dir, file)
        used = [m["key"], *m["fields"].values()] + ([m["updated_at"]] if m.get("updated_at") else [])
        missing = [c for c in used if c not in header]
        assert not missing, f"{file}: mapped columns not in header: {missing}"
        keys = [r[m["key"]] for r in rows]
        assert all(keys) and len(set(keys)) == len(keys), f"{file}: keys must be unique and non-empty"


def test_truth_covers_every_record_once(seed_dir):
    with open(seed_dir / "truth.csv", encoding="utf-8", newline="") as f:
        truth = list(csv.DictReader(f))
    assert truth and list(truth[0]) == ["system", "domain", "source_key", "entity"]
    pairs = Counter((t["system"], t["source_key"]) for t in truth)
    assert max(pairs.values()) == 1
    expected = set()
    for file in DATA_FILES:
        m = _mapping(seed_dir, Path(file).stem)
        _, rows = _rows(seed_dir, file)
        for r in rows:
            expected.add((m["source"], m["domain"], r[m["key"]]))
    assert {(t["system"], t["domain"], t["source_key"]) for t in truth} == expected
    assert len(truth) == len(expected)
    prefix = {"customer": "C", "item": "I", "price": "P"}
    assert all(t["entity"].startswith(prefix[t["domain"]]) for t in truth)
    # entities span systems and some have a duplicate inside one system
    by_entity: dict[str, list[str]] = {}
    for t in truth:
        by_entity.setdefault(t["entity"], []).append(t["system"])
    assert any(len(set(s)) > 1 for s in by_entity.values())


def test_price_keys_reference_same_system_records(seed_dir):
    _, erp_mat = _rows(seed_dir, "erp_materials.csv")
    _, crm_prod = _rows(seed_dir, "crm_products.csv")
    _, erp_cust = _rows(seed_dir, "erp_customers.csv")
    _, crm_acc = _rows(seed_dir, "crm_accounts.csv")
    matnr = {r["MATNR"] for r in erp_mat}
    prod = {r["Id"] for r in crm_prod}
    kunnr = {r["KUNNR"] for r in erp_cust}
    acc = {r["Id"] for r in crm_acc}
    _, erp_prices = _rows(seed_dir, "erp_prices.csv")
    _, crm_prices = _rows(seed_dir, "crm_prices.csv")
    assert erp_prices and crm_prices
    for r in erp_prices:
        assert r["MATNR"] in matnr
        assert bool(r["KUNNR"]) != bool(r["PLTYP"])
        assert not r["KUNNR"] or r["KUNNR"] in kunnr
    for r in crm_prices:
        assert r["Product2Id"] in prod
        assert bool(r["AccountId"]) != bool(r["Pricebook"])
        assert not r["AccountId"] or r["AccountId"] in acc


def test_erp_files_are_cp1252_semicolon(seed_dir):
    for file in ("erp_customers.csv", "erp_materials.csv", "erp_prices.csv"):
        raw = (seed_dir / file).read_bytes()
        text = raw.decode("cp1252")  # strict
        first = text.split("\r\n", 1)[0]
        assert first.count(";") >= 9 and "," not in first, first
        width = len(first.split(";"))
        for row in csv.reader(text.splitlines(), delimiter=";"):
            assert len(row) == width
    _, cust = _rows(seed_dir, "erp_customers.csv")
    assert all(r["NAME1"] == r["NAME1"].upper() for r in cust)
    assert all(len(r["KUNNR"]) == 10 and r["KUNNR"].isdigit() for r in cust)
    assert all(len(r["AEDAT"]) == 8 for r in cust)
    _, mat = _rows(seed_dir, "erp_materials.csv")
    assert all(len(r["MATNR"]) == 18 and r["MATNR"].isdigit() for r in mat)


def test_crm_ids_look_like_salesforce(seed_dir):
    for file, prefix in (("crm_accounts.csv", "001"), ("crm_contacts.csv", "003"),
                         ("crm_products.csv", "01t"), ("crm_prices.csv", "01u")):
        _, rows = _rows(seed_dir, file)
        assert all(len(r["Id"]) == 18 and r["Id"].startswith(prefix) for r in rows), file


def test_cli_runs(tmp_path, capsys):
    assert gen.main(["--out", str(tmp_path), "--scale", "0.01", "--seed", "1", "--domains", "item"]) == 0
    assert "erp_materials.csv" in capsys.readouterr().out
    assert (tmp_path / "wms_items.mapping.yaml").exists()
    assert gen.main(["--out", str(tmp_path), "--domains", "bogus"]) == 2
