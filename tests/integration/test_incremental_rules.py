"""A rules change never turns an API upsert into a whole-domain re-match:
the stored model scores incrementally until an explicit retrain."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mdm.api.errors import Conflict
from mdm.api.ingest import upsert_records
from mdm.ingest import load_file, load_mapping
from mdm.resolve.run import MatchModelOutdated, match_domain
from mdm.rules import load_match_rules
from mdm.settings import BUNDLED_RULES_DIR
from mdm.store.tables import MatchModelRow, SourceRecord

SEED = Path(__file__).resolve().parents[2] / "seed_data"
RULES = load_match_rules(BUNDLED_RULES_DIR, "customer")


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
def matched(store):
    with store.session() as s:
        load_file(s, SEED / "erp_customers.csv", load_mapping(SEED / "erp_customers.mapping.yaml"),
                  rejects_path=None)
        assert match_domain(s, "customer", RULES, now=now()).mode == "bulk"
    return store


def trained_at(store):
    with store.session() as s:
        return s.get(MatchModelRow, "customer").trained_at


def records(store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(SourceRecord))


NEW = {"key": "API-1", "organization": "Quasar Obsidian Coatings 17 LLC", "phone": "+12085550100",
       "address_line1": "17 Larkspur Rd", "city": "Boise", "region": "ID", "postal_code": "83702", "country": "US"}


def test_a_rules_change_the_model_can_score_stays_incremental(matched):
    looser = RULES.model_copy(update={"thresholds": RULES.thresholds.model_copy(update={"review": 0.4})})
    before = trained_at(matched)
    with matched.session() as s:
        response = upsert_records(s, "API", "customer", [NEW], rules_for=lambda d: looser, now=now())
    assert response.records[0].golden_id is not None
    with matched.session() as s:
        # Nothing pending: a later match is a no-op, not a bulk run; the model was not retrained.
        assert match_domain(s, "customer", looser, now=now()).mode == "nothing"
    assert trained_at(matched) == before
    with matched.session() as s:
        s.get(SourceRecord, 1).matched_version = None
        s.commit()
        report = match_domain(s, "customer", looser, now=now())
    assert (report.mode, report.stale_model) == ("incremental", True)
    with matched.session() as s:
        assert match_domain(s, "customer", looser, now=now(), retrain=True).mode == "bulk"
    assert trained_at(matched) > before


def test_a_rules_change_the_model_cannot_score_is_refused_by_the_api(matched, monkeypatch):
    # The seed domain is small enough for a request to re-match; pretend it is not.
    monkeypatch.setattr("mdm.api.ingest.MAX_BULK_IN_REQUEST", 10)
    fewer = RULES.model_copy(update={"comparisons": RULES.comparisons[:-1]})
    stored = records(matched)
    with matched.session() as s, pytest.raises(Conflict, match="--retrain"):
        upsert_records(s, "API", "customer", [NEW], rules_for=lambda d: fewer, now=now())
    assert records(matched) == stored  # refused before anything was stored
    with matched.session() as s, pytest.raises(MatchModelOutdated):
        s.get(SourceRecord, 1).matched_version = None
        s.commit()
        match_domain(s, "customer", fewer, now=now(), max_bulk=10)
    with matched.session() as s:
        # An explicit run (the CLI's `mdm match`) may re-estimate.
        assert match_domain(s, "customer", fewer, now=now()).mode == "bulk"
