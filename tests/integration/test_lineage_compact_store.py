"""Golden records store their lineage in the compact form; everything that reads it
(GraphQL lineage of golden records, history and asOf versions; ``lookup.decisions`` and
the explain rows the CLI prints) sees the same as for the same record stored in the
verbose form that stores written before the compact form hold."""

from __future__ import annotations

import contextlib
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update
from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from api_client import Api  # noqa: E402
from api_data import load_and_match  # noqa: E402
from db_fixtures import fresh_database  # noqa: E402

from mdm.api import create_app, create_key  # noqa: E402
from mdm.resolve.lookup import decisions  # noqa: E402
from mdm.settings import Settings  # noqa: E402
from mdm.steward import RuleBook, override  # noqa: E402
from mdm.store import Store  # noqa: E402
from mdm.store.migrate import upgrade  # noqa: E402
from mdm.store.tables import GoldenRecord, GoldenRecordVersion  # noqa: E402
from mdm.survivorship import explain_rows  # noqa: E402
from mdm.survivorship.lineage import expand, is_compact  # noqa: E402


LINEAGE = (
    "attribute value system sourceKey sourceRecordId strategy rule overridden "
    "candidates { value system sourceKey sourceRecordId outcome reason } trace"
)
GOLDEN = f"""
query($id: ID!, $t: DateTime!) {{
  goldenRecord(id: $id) {{
    id version values
    lineage {{ {LINEAGE} }}
    email: lineage(attribute: "email") {{ {LINEAGE} }}
    history {{ version changeType values lineage {{ {LINEAGE} }} }}
    asOf(time: $t) {{ version lineage {{ {LINEAGE} }} }}
  }}
}}
"""


@contextlib.contextmanager
def store_on(kind: str, tmp: Path):
    with fresh_database(kind, tmp) as url:
        store = Store.open(url)
        try:
            upgrade(store.engine)
            yield store
        finally:
            store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def matched(request, tmp_path):
    with store_on(request.param, tmp_path) as store:
        load_and_match(store, tmp_path)
        with store.session() as s:
            key = create_key(s, "reader", name="test-reader").key
            # A steward override on a golden record with more than one member: a second version.
            rows = s.scalars(select(GoldenRecord).where(GoldenRecord.domain == "customer").order_by(GoldenRecord.id))
            pinned = next(r.id for r in rows if len(r.lineage.get("_src", [])) > 1)
        with store.session() as s:
            override(s, pinned, "city", "Springfield", actor="apikey:test", reason="moved",
                     rules=RuleBook(Settings().rules_dir), now=datetime.now(timezone.utc))
        store.reader_key, store.pinned = key, pinned
        yield store


def outcome(fn, *args):
    """``fn(*args)``, or what it raised (``decisions`` cannot read an override's trace, which has no
    winner, in either form: the same error for both)."""
    try:
        return fn(*args)
    except ValidationError as e:
        return ("ValidationError", [(err["loc"], err["type"]) for err in e.errors()])


def snapshot(store: Store) -> dict:
    """What readers see of every golden record's lineage: GraphQL and ``lookup.decisions``."""
    out: dict = {}
    at = (datetime.now(timezone.utc) + timedelta(seconds=1)).isoformat()
    with store.session() as s:
        ids = s.scalars(select(GoldenRecord.id).order_by(GoldenRecord.id)).all()
        rows = s.scalars(select(GoldenRecord)).all()
        versions = s.scalars(select(GoldenRecordVersion)).all()
        out["decisions"] = {r.id: outcome(decisions, r.lineage) for r in rows}
        out["explain"] = {r.id: outcome(lambda lin: explain_rows(decisions(lin)), r.lineage) for r in rows}
        out["version decisions"] = {(v.golden_id, v.version): outcome(decisions, v.lineage) for v in versions}
    with TestClient(create_app(store)) as client:
        api = Api(client, store.reader_key)
        out["graphql"] = {gid: api.data(GOLDEN, {"id": gid, "t": at})["goldenRecord"] for gid in ids}
    return out


def stored(store: Store) -> list:
    with store.session() as s:
        return [r.lineage for r in s.scalars(select(GoldenRecord))] + [
            v.lineage for v in s.scalars(select(GoldenRecordVersion))
        ]


def test_compact_and_verbose_lineage_read_the_same(matched):
    store = matched
    lineages = [lin for lin in stored(store) if lin]
    assert lineages and all(is_compact(lin) or "unit_price" in lin for lin in lineages)
    compact_view = snapshot(store)

    # The same golden records as an old store holds them: verbose lineage.
    with store.session() as s, s.begin():
        for r in s.scalars(select(GoldenRecord)).all():
            s.execute(update(GoldenRecord).where(GoldenRecord.id == r.id).values(lineage=expand(r.lineage)))
        for v in s.scalars(select(GoldenRecordVersion)).all():
            s.execute(
                update(GoldenRecordVersion)
                .where(GoldenRecordVersion.golden_id == v.golden_id, GoldenRecordVersion.version == v.version)
                .values(lineage=expand(v.lineage))
            )
    assert not any(is_compact(lin) for lin in stored(store))
    verbose_view = snapshot(store)

    assert compact_view == verbose_view
    # The views hold what they should: the override, candidates that lost, both versions.
    pinned = compact_view["graphql"][store.pinned]
    city = next(line for line in pinned["lineage"] if line["attribute"] == "city")
    assert city["overridden"] and city["value"] == "Springfield" and city["trace"]["override"]["actor"] == "apikey:test"
    assert [v["version"] for v in pinned["history"]] == [1, 2]
    assert any(c["outcome"] == "lost" for g in compact_view["graphql"].values() for line in g["lineage"]
               for c in line["candidates"])
    assert any(g["email"] for g in compact_view["graphql"].values())
