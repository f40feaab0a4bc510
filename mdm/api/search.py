"""Fuzzy search over golden records with the match engine's own features
(org keys, normalized text, alphanumeric part numbers) and rapidfuzz scores.

Each worker keeps a search index per domain: the normalized search columns
of every active golden record. It is a cache of the store, refreshed from
the change log (outbox) before each search, so several workers stay correct
without sharing memory."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mdm.match.features import digits, lower, normalized_text, org_key, upper_alnum
from mdm.store.tables import GoldenRecord, OutboxEvent

TEXT_CUTOFF = 60.0  # token-set score (0..100) below which a text field does not count
IDENTIFIER_CUTOFF = 0.85  # Jaro-Winkler similarity for identifiers (tolerates one typo)
REBUILD_SECONDS = 600.0  # a full rebuild now and then heals anything the change log missed
MAX_DELTA = 20_000  # more changed records than this: rebuild instead of patching


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name] if name in df.columns else pd.Series([None] * len(df), index=df.index, dtype=object)


def _person(df: pd.DataFrame) -> pd.Series:
    given, family = _column(df, "given_name"), _column(df, "family_name")
    joined = (given.fillna("").astype(str) + " " + family.fillna("").astype(str)).str.strip()
    return _column(df, "name").where(_column(df, "name").notna(), joined.where(joined != "", None))


@dataclass(frozen=True)
class SearchField:
    """One searchable attribute: how golden values and the query are normalized, and how they compare."""

    name: str
    values: Callable[[pd.DataFrame], pd.Series]
    normalize: Callable[[pd.Series], pd.Series]
    kind: str  # text (token set) | identifier (Jaro-Winkler)


SEARCH_FIELDS: dict[str, tuple[SearchField, ...]] = {
    "customer": (
        SearchField("organization", lambda df: _column(df, "organization"), org_key, "text"),
        SearchField("name", _person, normalized_text, "text"),
        SearchField("email", lambda df: _column(df, "email"), lower, "identifier"),
        SearchField("tax_id", lambda df: _column(df, "tax_id"), upper_alnum, "identifier"),
        SearchField("phone", lambda df: _column(df, "phone"), digits, "identifier"),
    ),
    "item": (
        SearchField("name", lambda df: _column(df, "name"), normalized_text, "text"),
        SearchField("description", lambda df: _column(df, "description"), normalized_text, "text"),
        SearchField("manufacturer", lambda df: _column(df, "manufacturer"), org_key, "text"),
        SearchField("mpn", lambda df: _column(df, "mpn"), upper_alnum, "identifier"),
        SearchField("sku", lambda df: _column(df, "sku"), upper_alnum, "identifier"),
        SearchField("gtin", lambda df: _column(df, "gtin"), digits, "identifier"),
    ),
}


@dataclass(frozen=True)
class Hit:
    golden_id: str
    score: float
    matched_on: str


def normalized_columns(domain: str, attributes: pd.DataFrame) -> pd.DataFrame:
    """Golden attributes (one row per golden id) -> normalized search columns."""
    out = pd.DataFrame(index=attributes.index)
    for f in SEARCH_FIELDS[domain]:
        values = f.values(attributes).map(lambda v: None if v is None or v != v else str(v)).astype(object)
        out[f.name] = f.normalize(values) if len(values) else values
    return out


def score(domain: str, columns: pd.DataFrame, text: str, limit: int) -> list[Hit]:
    """Best `limit` golden records for `text`: per record, its best field."""
    best: dict[str, Hit] = {}
    ids = columns.index.tolist()
    for f in SEARCH_FIELDS[domain]:
        query = f.normalize(pd.Series([text], dtype=object)).iloc[0]
        if not query or f.name not in columns:
            continue
        choices = columns[f.name].tolist()
        if f.kind == "text":
            found = process.extract(
                query, choices, scorer=fuzz.token_set_ratio, processor=None, limit=None, score_cutoff=TEXT_CUTOFF
            )
            # Token-set alone ties "acme" with every "acme ..."; plain ratio breaks the tie.
            scored = [(i, 0.85 * s + 0.15 * fuzz.ratio(query, choice)) for choice, s, i in found]
        else:
            found = process.extract(
                query, choices, scorer=JaroWinkler.normalized_similarity, processor=None, limit=None,
                score_cutoff=IDENTIFIER_CUTOFF,
            )
            scored = [(i, 100.0 * s) for _, s, i in found]
        for i, s in scored:
            gid = ids[i]
            if gid not in best or s > best[gid].score:
                best[gid] = Hit(gid, round(s, 2), f.name)
    return sorted(best.values(), key=lambda h: (-h.score, h.golden_id))[:limit]


class SearchIndex:
    """Normalized search columns of one domain's active golden records."""

    def __init__(self, domain: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.domain = domain
        self.clock = clock
        self.columns: pd.DataFrame | None = None
        self.sequence = 0
        self.built_at = 0.0
        self._lock = threading.Lock()

    def search(self, session: Session, text: str, limit: int) -> list[Hit]:
        with self._lock:
            self._refresh(session)
            columns = self.columns
        return score(self.domain, columns, text, limit)

    def _refresh(self, session: Session) -> None:
        if self.columns is None or self.clock() - self.built_at > REBUILD_SECONDS:
            self._rebuild(session)
            return
        latest = session.scalar(
            select(func.max(OutboxEvent.sequence)).where(OutboxEvent.domain == self.domain, OutboxEvent.sequence > self.sequence)
        )
        if latest is None:
            return
        changed = list(
            session.scalars(
                select(OutboxEvent.subject)
                .where(OutboxEvent.domain == self.domain, OutboxEvent.sequence > self.sequence, OutboxEvent.sequence <= latest)
                .distinct()
            )
        )
        if len(changed) > MAX_DELTA:
            self._rebuild(session)
            return
        fresh = self._load(session, changed)
        kept = self.columns.drop(index=[g for g in changed if g in self.columns.index])
        self.columns = pd.concat([kept, fresh]) if len(fresh) else kept
        self.sequence = latest

    def _rebuild(self, session: Session) -> None:
        # Sequence first: changes committed meanwhile are replayed by the next refresh.
        self.sequence = session.scalar(select(func.max(OutboxEvent.sequence))) or 0
        self.columns = self._load(session, None)
        self.built_at = self.clock()

    def _load(self, session: Session, ids: list[str] | None) -> pd.DataFrame:
        query = select(GoldenRecord.id, GoldenRecord.attributes).where(
            GoldenRecord.domain == self.domain, GoldenRecord.status == "active"
        )
        rows = []
        if ids is None:
            rows = session.execute(query).all()
        else:
            for start in range(0, len(ids), 900):
                rows.extend(session.execute(query.where(GoldenRecord.id.in_(ids[start : start + 900]))).all())
        attributes = pd.DataFrame([r[1] or {} for r in rows], index=pd.Index([r[0] for r in rows], dtype=object))
        return normalized_columns(self.domain, attributes)
