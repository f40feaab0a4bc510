"""Golden prices: source prices resolved through the xref, made comparable,
settled per validity period, written as golden records; plus the price lookup.

A source price names its item (and customer) by the source system's own keys;
those resolve through the xref to golden items and customers. A price whose
item or customer has no golden record yet stays pending (its
``matched_version`` is not its version) and is retried on the next run.

Resolved prices are made comparable: price-list codes become the hub's
price-list names (``pricing.price_lists`` in ``rules/price.yaml``), a price
per case becomes a price per the item's base unit through the golden item's
``pack_qty``. Prices with the same key (item, customer or price list,
currency, unit, minimum quantity) then compete per validity period with
``mdm.pricing.settle_overlaps`` (the ``unit_price`` survivorship chain: ERP
first). Each settled period is one golden price; touching periods at the same
amount are one. Where two sources disagree beyond the tolerance, stewards get
a ``price_conflict`` match candidate.

The whole price domain is settled on every run (prices are few next to
customers and items, and an item merge or a pack-quantity change anywhere
can move a price); only what differs from the store is written, so a run
with nothing new writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from mdm.ids import new_golden_ids
from mdm.match.rules import RulesError
from mdm.pricing import (
    PriceCandidate,
    PriceConflict,
    PriceKey,
    SettledPrice,
    convert_uom,
    golden_price_key,
    settle_overlaps,
)
from mdm.pricing.periods import OPEN_END, OPEN_START, Period
from mdm.pricing.settle import PRICE_ATTRIBUTE
from mdm.pricing.uom import UomConversionError
from mdm.publish.outbox import changed_attributes, outbox_row
from mdm.resolve.apply import _chunks, _retire, golden_rows
from mdm.resolve.versions import keep_version_lineage
from mdm.resolve.frames import current_records
from mdm.rules import read_rule_file, rules_path, load_survivorship_rules
from mdm.settings import Settings
from mdm.standardize import InvalidValue, normalize_uom
from mdm.store.bulk import bulk_insert
from mdm.store.tables import (
    GoldenAlias,
    GoldenRecord,
    GoldenRecordVersion,
    MatchCandidate,
    OutboxEvent,
    SourceRecord,
    Xref,
)
from mdm.survivorship import SurvivorshipRules, decide
from mdm.survivorship.lineage import expand as expand_lineage

DOMAIN = "price"
CONFLICT = "price_conflict"
FIXED_UOMS = ("EA", "PR", "DZ")


# --- configuration --------------------------------------------------------------------


class PricingSettings(BaseModel):
    """The ``pricing:`` section of ``rules/price.yaml`` (every key optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # system -> its price-list code -> the hub's price-list name
    price_lists: dict[str, dict[str, str]] = {}
    list_price: str = "Standard"
    tolerance: Decimal = Field(default=Decimal("0.02"), ge=0, le=1)
    conflicts_within_source: bool = False
    case_uoms: list[str] = ["CS"]
    price_decimals: int = Field(default=4, ge=0, le=10)
    open_end: date = date(9999, 12, 31)

    def price_list(self, system: str | None, code: Any) -> str | None:
        """A source's price-list code or name as the hub's price-list name
        (``system`` None: a hub name, or a code that is unambiguous across systems)."""
        if code is None or (isinstance(code, float) and pd.isna(code)) or str(code).strip() == "":
            return None
        text = str(code).strip()
        mapped = self.price_lists.get(system, {}).get(text) if system else None
        if mapped is not None:
            return mapped
        names = {name.lower(): name for codes in self.price_lists.values() for name in codes.values()}
        names.setdefault(self.list_price.lower(), self.list_price)
        if text.lower() in names:
            return names[text.lower()]
        if system is None:
            # No system given: a code that means one list in every system that uses it.
            found = {codes[text] for codes in self.price_lists.values() if text in codes}
            if len(found) == 1:
                return found.pop()
        return text


def load_pricing_settings(rules_dir: Path | None = None) -> PricingSettings:
    """The pricing section of ``<rules_dir>/price.yaml``; defaults when absent."""
    path = rules_path(rules_dir or Settings().rules_dir, DOMAIN)
    if not path.exists():
        return PricingSettings()
    section = read_rule_file(path).get("pricing") or {}
    try:
        return PricingSettings.model_validate(section)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in ("pricing", *error["loc"]))
        raise RulesError(str(path), where, error["msg"]) from exc


# --- report -----------------------------------------------------------------------------


@dataclass
class PriceReport:
    records: int = 0  # live source price records
    resolved: int = 0  # whose item and customer have golden records
    unresolved: int = 0  # waiting for their item or customer (retried next run)
    unresolved_items: int = 0
    unresolved_customers: int = 0
    invalid: int = 0  # resolved but not usable as a price (kept pending, see `problems`)
    converted: int = 0  # prices converted to the item's base unit
    unconverted: int = 0  # in another unit than the item's base unit, not convertible: kept in their own unit
    golden: int = 0  # golden prices after this run
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    conflicts: int = 0  # open price conflicts found by this run
    conflicts_new: int = 0  # ... of which new or reopened
    golden_of: dict[int, str] = field(default_factory=dict)  # source record id -> golden price id
    problems: dict[int, str] = field(default_factory=dict)  # source record id -> why it is not priced
    timings: dict[str, float] = field(default_factory=dict)


# --- resolving source prices ------------------------------------------------------------


@dataclass
class _Source:
    """A source price made comparable, with what it was before."""

    candidate: PriceCandidate
    original: dict[str, Any]  # unit_price, uom, min_qty as the source gave them, when converted
    item_key: str
    customer_key: str | None
    price_list: str | None  # as the source gave it


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _uom(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return normalize_uom(text)
    except InvalidValue:
        return text.upper()


def _pack_qty(value: Any) -> int | None:
    try:
        qty = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None
    return int(qty) if qty > 0 and qty == qty.to_integral_value() else None


def base_unit_factor(uom: str | None, item: dict[str, Any], settings: PricingSettings) -> tuple[str | None, Decimal]:
    """(the unit a price per ``uom`` is compared in, base units per one ``uom``).

    The common unit is the golden item's ``base_uom``; a case unit holds the
    item's ``pack_qty`` base units; EA, PR and DZ convert by their fixed
    sizes. Raises ``UomConversionError`` when no conversion is known."""
    base = _uom(item.get("base_uom"))
    if uom is None or base is None or uom == base:
        return uom, Decimal(1)
    cases = {c.upper() for c in settings.case_uoms}
    if uom in cases and base not in cases:
        pack = _pack_qty(item.get("pack_qty"))
        if pack is None:
            raise UomConversionError(f"a price per {uom} needs the item's pack quantity, which is unknown")
        return base, Decimal(pack)
    if uom in FIXED_UOMS and base in FIXED_UOMS:
        return base, convert_uom(Decimal(1), base, uom)
    raise UomConversionError(f"no conversion from {uom} to the item's base unit {base}")


def _quantize(value: Decimal, decimals: int) -> Decimal:
    """Rounded to ``decimals``, trailing zeros dropped down to cents."""
    value = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    cents = value.quantize(Decimal("0.01"))
    return cents if cents == value else value.normalize()


def _min_qty(value: Any, factor: Decimal) -> Decimal | None:
    """The minimum quantity counted in base units; 0 and 1 stay the base tier (any quantity)."""
    text = _text(value)
    if text is None:
        return None
    qty = Decimal(text)
    if qty <= 1 or factor == 1:
        return qty
    return (qty * factor).normalize()


def _resolve(
    frame: pd.DataFrame,
    items: dict[tuple[str, str], str],
    customers: dict[tuple[str, str], str],
    golden_items: dict[str, dict[str, Any]],
    settings: PricingSettings,
    report: PriceReport,
) -> list[_Source]:
    out: list[_Source] = []
    for rid, row in zip(frame.index.tolist(), frame.to_dict("records")):
        system = row["system"]
        item_key, customer_key = _text(row.get("item_key")), _text(row.get("customer_key"))
        item_id = items.get((system, item_key)) if item_key else None
        customer_id = customers.get((system, customer_key)) if customer_key else None
        missing = []
        if item_id is None:
            missing.append(f"item {item_key!r}")
            report.unresolved_items += 1
        if customer_key and customer_id is None:
            missing.append(f"customer {customer_key!r}")
            report.unresolved_customers += 1
        if missing:
            report.unresolved += 1
            report.problems[rid] = f"waiting for {' and '.join(missing)} of {system}"
            continue
        report.resolved += 1
        source_uom = _uom(row.get("uom"))
        try:
            price = Decimal(str(row["unit_price"]))
            try:
                uom, factor = base_unit_factor(source_uom, golden_items.get(item_id, {}), settings)
            except UomConversionError as exc:
                uom, factor = source_uom, Decimal(1)
                report.unconverted += 1
                report.problems[rid] = f"kept per {source_uom}: {exc}"
            original: dict[str, Any] = {}
            if factor != 1:
                original = {"unit_price": str(row["unit_price"]), "uom": source_uom, "min_qty": _text(row.get("min_qty")),
                            "pack_qty": str(factor)}
                price = _quantize(price / factor, settings.price_decimals)
                report.converted += 1
            valid_to = _date(row.get("valid_to"))
            candidate = PriceCandidate(
                item_key=item_id,
                customer_key=customer_id,
                price_list=None if customer_key else settings.price_list(system, row.get("price_list")),
                currency=str(row["currency"]).strip().upper(),
                unit_price=price,
                uom=uom,
                min_qty=_min_qty(row.get("min_qty"), factor),
                valid_from=_date(row.get("valid_from")),
                valid_to=None if valid_to is not None and valid_to >= settings.open_end else valid_to,
                system=system,
                record_id=int(rid),
                source_key=row["source_key"],
                version=int(row["version"]),
                updated_at=row["updated_at"],
            )
        except (ValidationError, InvalidOperation, TypeError, ValueError, KeyError) as exc:
            report.invalid += 1
            report.problems[rid] = f"not a usable price: {exc}".splitlines()[0]
            continue
        out.append(_Source(candidate, original, item_key, customer_key, _text(row.get("price_list"))))
    return out


def _date(value: Any) -> date | None:
    text = _text(value)
    return None if text is None else date.fromisoformat(text[:10])


def _xref_lookup(session: Session, domain: str, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(system, source key) -> golden id, for the wanted keys."""
    by_system: dict[str, list[str]] = {}
    for system, key in wanted:
        by_system.setdefault(system, []).append(key)
    found: dict[tuple[str, str], str] = {}
    for system, keys in by_system.items():
        for chunk in _chunks(sorted(keys)):
            rows = session.execute(
                select(Xref.source_key, Xref.golden_id).where(
                    Xref.domain == domain, Xref.system == system, Xref.source_key.in_(chunk)
                )
            )
            found.update({(system, key): gid for key, gid in rows})
    return found


def resolve_golden_id(session: Session, golden_id: str | None) -> str | None:
    """A golden id, or the survivor an alias (retired id) resolves to."""
    if not golden_id:
        return golden_id
    survivor = session.scalar(select(GoldenAlias.golden_id).where(GoldenAlias.alias_id == golden_id))
    return survivor or golden_id


def _aliases(session: Session, ids: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for chunk in _chunks(sorted(ids)):
        out.update(session.execute(select(GoldenAlias.alias_id, GoldenAlias.golden_id).where(GoldenAlias.alias_id.in_(chunk))).all())
    return out


# --- golden prices from settled periods -------------------------------------------------


@dataclass
class _Golden:
    key: PriceKey
    start: int
    end: int
    winner: int  # record id of the winner that stands for the whole period
    attributes: dict[str, Any]
    lineage: dict[str, Any]
    members: list[int]
    won: dict[int, int]  # record id -> days it wins here (capped for open ends)


def _days(start: int, end: int) -> int:
    return min(end, OPEN_END - 1) - max(start, OPEN_START + 1)


def _build_goldens(
    settled: list[SettledPrice], sources: dict[int, _Source], conflicts: list[PriceConflict],
    rules: SurvivorshipRules, now: datetime,
) -> list[_Golden]:
    """Join touching settled periods of one key at the same amount, and describe each."""
    by_key: dict[PriceKey, list[SettledPrice]] = {}
    for price in settled:
        by_key.setdefault(price.key, []).append(price)
    candidates_of: dict[PriceKey, list[PriceCandidate]] = {}
    for source in sources.values():
        candidates_of.setdefault(source.candidate.key, []).append(source.candidate)
    out: list[_Golden] = []
    for key in sorted(by_key, key=str):
        runs: list[list[SettledPrice]] = []
        for price in sorted(by_key[key], key=lambda p: p.period.start):
            last = runs[-1][-1] if runs else None
            if last is not None and last.period.end == price.period.start and last.unit_price == price.unit_price:
                runs[-1].append(price)
            else:
                runs.append([price])
        for run in runs:
            start, end = run[0].period.start, run[-1].period.end
            period = Period.from_ordinals(start, end)
            members = sorted(
                c.record_id for c in candidates_of[key] if c.period.start < end and start < c.period.end
            )
            won: dict[int, int] = {}
            for piece in run:
                won[piece.winner.record_id] = won.get(piece.winner.record_id, 0) + _days(piece.period.start, piece.period.end)
            mine = [
                c for c in conflicts
                if c.key == key and Period(c.valid_from, c.valid_to).overlaps(period)
            ]
            out.append(_describe(key, run, period, members, won, sources, mine, rules, now))
    return out


def _money(value: Decimal) -> str:
    return format(value, "f")


def _describe(key, run, period, members, won, sources, conflicts, rules, now) -> _Golden:
    # Touching periods at one amount may have different winners (ERP's ends,
    # CRM's goes on): the rules pick the one that stands for the whole.
    winners = {p.winner.record_id: p.winner for p in run}
    if len(winners) > 1:
        best = decide(rules, PRICE_ATTRIBUTE, [w.member() for w in winners.values()], now=now).winner
        last = next(p for p in run if best is not None and p.winner.record_id == best.record_id)
    else:
        last = run[-1]
    winner = last.winner
    attributes: dict[str, Any] = {
        "item_id": key.item,
        "customer_id": key.customer or None,
        "price_list": key.price_list or None,
        "currency": key.currency,
        "unit_price": _money(last.unit_price),
        "uom": key.uom or None,
        "min_qty": _money(winner.min_qty) if winner.min_qty is not None else None,
        "valid_from": period.valid_from.isoformat() if period.valid_from else None,
        "valid_to": period.valid_to.isoformat() if period.valid_to else None,
    }
    attributes = {a: v for a, v in attributes.items() if v is not None}
    who = {"record_id": winner.record_id, "system": winner.system, "source_key": winner.source_key,
           "version": winner.version}
    src = sources[winner.record_id]

    def follows(value: Any, strategy: str, rule: str, source_value: Any = None) -> dict[str, Any]:
        entry = {"value": value, "winner": {**who, "value": value}, "strategy": strategy, "rule": rule}
        if source_value is not None and source_value != value:
            entry["source_value"] = source_value
        return entry

    price_entry = last.decision.lineage_json()
    price_entry["value"] = attributes["unit_price"]
    originals = {str(r): sources[r].original for r in members if sources[r].original}
    if originals:
        price_entry["converted"] = originals
    if len(run) > 1:
        price_entry["periods"] = [
            {"valid_from": p.valid_from.isoformat() if p.valid_from else None,
             "valid_to": p.valid_to.isoformat() if p.valid_to else None,
             "record_id": p.winner.record_id, "system": p.winner.system, "source_key": p.winner.source_key}
            for p in run
        ]
    if conflicts:
        price_entry["conflicts"] = [
            {"record_id": c.other.record_id, "system": c.other.system, "source_key": c.other.source_key,
             "unit_price": _money(c.other.unit_price), "relative_difference": str(round(c.relative_difference, 4))}
            for c in conflicts
        ]
    lineage: dict[str, Any] = {
        "unit_price": price_entry,
        "item_id": follows(key.item, "xref", f"item_key {src.item_key} of {winner.system} through the xref"),
        "currency": follows(attributes["currency"], "same_source_as", "same_source_as unit_price"),
        "valid_from": follows(attributes.get("valid_from"), "settle_overlaps", "period settled between sources"),
        "valid_to": follows(attributes.get("valid_to"), "settle_overlaps", "period settled between sources"),
    }
    if "customer_id" in attributes:
        lineage["customer_id"] = follows(
            key.customer, "xref", f"customer_key {src.customer_key} of {winner.system} through the xref"
        )
    if "price_list" in attributes:
        lineage["price_list"] = follows(key.price_list, "price_list_equivalence",
                                        "pricing.price_lists", src.price_list)
    if "uom" in attributes:
        lineage["uom"] = follows(attributes["uom"], "base_uom" if src.original else "same_source_as",
                                 "the item's base unit" if src.original else "same_source_as unit_price",
                                 src.original.get("uom"))
    if "min_qty" in attributes:
        lineage["min_qty"] = follows(attributes["min_qty"], "same_source_as", "same_source_as unit_price",
                                     src.original.get("min_qty"))
    return _Golden(key, period.start, period.end, winner.record_id, attributes, lineage, members, won)


# --- stable ids -------------------------------------------------------------------------


@dataclass
class _Existing:
    row: GoldenRecord
    key: PriceKey | None
    start: int
    end: int
    winner: int | None
    members: list[int]


def _existing(session: Session) -> list[_Existing]:
    rows = list(session.scalars(select(GoldenRecord).where(GoldenRecord.domain == DOMAIN, GoldenRecord.status == "active")))
    if not rows:
        return []
    members: dict[str, list[int]] = {}
    for chunk in _chunks([r.id for r in rows]):
        for gid, version, ids in session.execute(
            select(GoldenRecordVersion.golden_id, GoldenRecordVersion.version, GoldenRecordVersion.members)
            .join(GoldenRecord, GoldenRecord.id == GoldenRecordVersion.golden_id)
            .where(GoldenRecordVersion.golden_id.in_(chunk), GoldenRecordVersion.version == GoldenRecord.version)
        ):
            members[gid] = sorted(int(i) for i in ids or [])
    refs = {r.attributes.get(a) for r in rows for a in ("item_id", "customer_id")} - {None}
    alias = _aliases(session, refs)
    out = []
    for row in rows:
        a = row.attributes or {}
        key = None
        try:
            key = golden_price_key(
                alias.get(a.get("item_id"), a.get("item_id")), alias.get(a.get("customer_id"), a.get("customer_id")),
                a.get("price_list"), a.get("currency") or "", a.get("uom"), a.get("min_qty"),
            )
            period = Period(_date(a.get("valid_from")), _date(a.get("valid_to")))
        except (ValueError, InvalidOperation, TypeError):
            period = Period()
        winner = (expand_lineage(row.lineage or {}, "unit_price").get("unit_price") or {}).get("winner") or {}
        out.append(_Existing(row, key, period.start, period.end, winner.get("record_id"), members.get(row.id, [])))
    return out


def _assign(goldens: list[_Golden], existing: list[_Existing]) -> tuple[dict[int, str], list[_Existing]]:
    """Index of a new golden price -> the existing id it keeps; the existing ones left over.

    Per key: the same period first, then the same winning source record, then
    the largest overlap; at last, across keys, the same winning source record
    (a source price that changed its terms stays the same golden price)."""
    kept: dict[int, str] = {}
    free = {e.row.id: e for e in existing}
    by_key: dict[PriceKey, list[int]] = {}
    for i, g in enumerate(goldens):
        by_key.setdefault(g.key, []).append(i)
    old_by_key: dict[PriceKey | None, list[_Existing]] = {}
    for e in sorted(existing, key=lambda e: (e.row.created_at, e.row.id)):
        old_by_key.setdefault(e.key, []).append(e)

    def take(i: int, e: _Existing) -> None:
        kept[i] = e.row.id
        del free[e.row.id]

    for key, indexes in by_key.items():
        olds = old_by_key.get(key, [])
        for test in (
            lambda g, e: (g.start, g.end) == (e.start, e.end),
            lambda g, e: e.winner is not None and (e.winner == g.winner or e.winner in g.won),
        ):
            for i in indexes:
                if i in kept:
                    continue
                match = next((e for e in olds if e.row.id in free and test(goldens[i], e)), None)
                if match is not None:
                    take(i, match)
        pairs = sorted(
            ((-_days(max(goldens[i].start, e.start), min(goldens[i].end, e.end)), i, e.row.id)
             for i in indexes if i not in kept for e in olds
             if e.row.id in free and goldens[i].start < e.end and e.start < goldens[i].end),
        )
        for _, i, gid in pairs:
            if i not in kept and gid in free:
                take(i, free[gid])
    by_winner: dict[int, list[_Existing]] = {}
    for e in free.values():
        if e.winner is not None:
            by_winner.setdefault(e.winner, []).append(e)
    for i, g in enumerate(goldens):
        if i in kept:
            continue
        match = next((e for e in by_winner.get(g.winner, []) if e.row.id in free), None)
        if match is not None:
            take(i, match)
    return kept, sorted(free.values(), key=lambda e: e.row.id)


# --- the run ----------------------------------------------------------------------------


def match_prices(
    session: Session,
    *,
    now: datetime,
    survivorship: SurvivorshipRules | None = None,
    rules_dir: Path | None = None,
    correlation_id: str | None = None,
) -> PriceReport:
    """Resolve, settle and write golden prices (and price conflicts); commits.

    Run after customers and items are matched. ``rules_dir`` defaults to
    MDM_RULES_DIR; ``survivorship`` to the price rules found there."""
    rules_dir = Path(rules_dir) if rules_dir is not None else Settings().rules_dir
    if survivorship is None:
        survivorship = load_survivorship_rules(rules_dir, DOMAIN)
    settings = load_pricing_settings(rules_dir)
    report = PriceReport()
    mark = time.perf_counter()

    frame = current_records(session, DOMAIN)
    report.records = len(frame)
    wanted_items = {(s, k) for s, k in zip(frame["system"], frame["item_key"].map(_text)) if k}
    wanted_customers = {(s, k) for s, k in zip(frame["system"], frame["customer_key"].map(_text)) if k}
    items = _xref_lookup(session, "item", wanted_items)
    customers = _xref_lookup(session, "customer", wanted_customers)
    golden_items = {gid: row.attributes or {} for gid, row in golden_rows(session, sorted(set(items.values()))).items()}
    sources = {s.candidate.record_id: s for s in _resolve(frame, items, customers, golden_items, settings, report)}
    report.timings["resolve"] = time.perf_counter() - mark

    mark = time.perf_counter()
    result = settle_overlaps([s.candidate for s in sources.values()], survivorship, settings.tolerance, now=now)
    conflicts = [
        c for c in result.conflicts if settings.conflicts_within_source or c.winner.system != c.other.system
    ]
    goldens = _build_goldens(result.prices, sources, conflicts, survivorship, now)
    report.timings["settle"] = time.perf_counter() - mark

    mark = time.perf_counter()
    existing = _existing(session)
    kept, leftover = _assign(goldens, existing)
    fresh = iter(new_golden_ids(DOMAIN, sum(1 for i in range(len(goldens)) if not kept.get(i))))
    ids = [kept.get(i) or next(fresh) for i in range(len(goldens))]
    _write_goldens(session, goldens, ids, {e.row.id: e for e in existing}, leftover, frame, now, correlation_id, report)
    golden_of = _home(goldens, ids)
    _write_xref(session, golden_of, goldens, ids, frame, now)
    report.golden_of = golden_of
    report.golden = len(goldens)
    _write_conflicts(session, conflicts, goldens, ids, sources, settings, now, report)
    _mark_matched(session, frame, set(golden_of))
    report.timings["write"] = time.perf_counter() - mark
    session.commit()
    return report


def _write_goldens(session, goldens, ids, existing, leftover, frame, now, correlation_id, report) -> None:
    systems, keys = frame["system"].to_dict(), frame["source_key"].to_dict()
    new_rows, updates, versions, events = [], [], [], []
    for gid, g in zip(ids, goldens):
        old = existing.get(gid)
        xref = [{"system": systems[r], "source_key": keys[r]} for r in g.members]
        if old is None:
            change, version, old_attrs = "created", 1, {}
            new_rows.append(
                {"id": gid, "domain": DOMAIN, "version": 1, "status": "active", "merged_into": None,
                 "attributes": g.attributes, "lineage": g.lineage, "created_at": now, "updated_at": now}
            )
            report.created += 1
        else:
            old_attrs = old.row.attributes or {}
            if old_attrs == g.attributes and old.members == g.members:
                report.unchanged += 1
                continue
            change, version = "updated", old.row.version + 1
            updates.append(
                {"id": gid, "version": version, "status": "active", "merged_into": None,
                 "attributes": g.attributes, "lineage": g.lineage, "updated_at": now}
            )
            report.updated += 1
        versions.append(
            {"golden_id": gid, "version": version, "change_type": change, "attributes": g.attributes,
             "lineage": None, "members": g.members, "changed_at": now, "correlation_id": correlation_id}
        )
        events.append(
            outbox_row(domain=DOMAIN, change=change, golden_id=gid, version=version, golden=g.attributes,
                       changed=changed_attributes(old_attrs, g.attributes), xref=xref, now=now,
                       correlation_id=correlation_id)
        )
    for gone in leftover:
        _retire(gone.row, "deleted", None, now, correlation_id, DOMAIN, updates, versions, events)
        report.deleted += 1
    for chunk in _chunks(new_rows):
        bulk_insert(session, GoldenRecord, chunk)
    keep_version_lineage(session, [row["id"] for row in updates])  # the versions read the golden's lineage
    for chunk in _chunks(updates):
        session.execute(update(GoldenRecord), chunk)
    for chunk in _chunks(versions):
        bulk_insert(session, GoldenRecordVersion, chunk)
    for chunk in _chunks(events):
        bulk_insert(session, OutboxEvent, chunk)


def _home(goldens: list[_Golden], ids: list[str]) -> dict[int, str]:
    """Each member source record's one golden price (the xref): where it wins
    longest, else where it competes (and loses) over the longest stretch."""
    best: dict[int, tuple[tuple[int, int, int], str]] = {}
    for gid, g in zip(ids, goldens):
        for rid in g.members:
            rank = (1, g.won[rid], g.end) if rid in g.won else (0, _days(g.start, g.end), g.end)
            if rid not in best or rank > best[rid][0]:
                best[rid] = (rank, gid)
    return {rid: gid for rid, (_, gid) in best.items()}


def _write_xref(session, golden_of: dict[int, str], goldens, ids, frame, now) -> None:
    size = {gid: len(g.members) for gid, g in zip(ids, goldens)}
    current = dict(session.execute(select(Xref.record_id, Xref.golden_id).where(Xref.domain == DOMAIN)).all())
    stale = sorted(r for r, gid in current.items() if golden_of.get(r) != gid)
    for chunk in _chunks(stale):
        session.execute(Xref.__table__.delete().where(Xref.record_id.in_(chunk)))
    systems, keys = frame["system"].to_dict(), frame["source_key"].to_dict()
    rows = [
        {"record_id": rid, "golden_id": gid, "domain": DOMAIN, "system": systems[rid], "source_key": keys[rid],
         "decided_by": "auto" if size[gid] > 1 else "new", "match_probability": None, "linked_at": now}
        for rid, gid in sorted(golden_of.items())
        if current.get(rid) != gid
    ]
    for chunk in _chunks(rows):
        bulk_insert(session, Xref, chunk)


def _mark_matched(session, frame: pd.DataFrame, placed: set[int]) -> None:
    """Placed records are matched at their version; the others stay (or become) pending."""
    placed_ids = sorted(placed)
    waiting = sorted(set(frame.index.tolist()) - placed)
    for chunk in _chunks(placed_ids):
        session.execute(
            update(SourceRecord)
            .where(SourceRecord.id.in_(chunk),
                   or_(SourceRecord.matched_version.is_(None), SourceRecord.matched_version != SourceRecord.version))
            .values(matched_version=SourceRecord.version)
        )
    for chunk in _chunks(waiting):
        session.execute(
            update(SourceRecord)
            .where(SourceRecord.id.in_(chunk), SourceRecord.matched_version.is_not(None))
            .values(matched_version=None)
        )


# --- conflicts --------------------------------------------------------------------------


def _side(c: PriceCandidate, source: _Source) -> dict[str, Any]:
    side = {"record_id": c.record_id, "system": c.system, "source_key": c.source_key, "version": c.version,
            "unit_price": _money(c.unit_price)}
    if source.original:
        side["original"] = source.original
    return side


def _write_conflicts(session, conflicts: list[PriceConflict], goldens, ids, sources, settings, now, report) -> None:
    """One pending price_conflict per pair of disagreeing source records (left < right)."""
    grouped: dict[tuple[int, int], list[PriceConflict]] = {}
    for c in conflicts:
        pair = tuple(sorted((c.winner.record_id, c.other.record_id)))
        grouped.setdefault(pair, []).append(c)
    found: dict[tuple[int, int], dict[str, Any]] = {}
    for (left, right), group in grouped.items():
        first = group[0]
        key = first.key
        periods = sorted((Period(c.valid_from, c.valid_to) for c in group), key=lambda p: p.start)
        span = Period.from_ordinals(periods[0].start, max(p.end for p in periods))
        golden_ids = sorted({
            gid for gid, g in zip(ids, goldens)
            if g.key == key and any(g.start < p.end and p.start < g.end for p in periods)
        })
        a, b = sources[left].candidate, sources[right].candidate
        found[(left, right)] = {
            "kind": CONFLICT,
            "item_id": key.item,
            "customer_id": key.customer or None,
            "price_list": key.price_list or None,
            "currency": key.currency,
            "uom": key.uom or None,
            "min_qty": key.min_qty,
            "valid_from": span.valid_from.isoformat() if span.valid_from else None,
            "valid_to": span.valid_to.isoformat() if span.valid_to else None,
            "periods": [{"valid_from": p.valid_from.isoformat() if p.valid_from else None,
                         "valid_to": p.valid_to.isoformat() if p.valid_to else None} for p in periods],
            "left_unit_price": _money(a.unit_price),
            "right_unit_price": _money(b.unit_price),
            "relative_difference": str(round(first.relative_difference, 6)),
            "tolerance": str(settings.tolerance),
            "winner": _side(first.winner, sources[first.winner.record_id]),
            "other": _side(first.other, sources[first.other.record_id]),
            "golden_ids": golden_ids,
        }
    report.conflicts = len(found)
    existing = {
        (row.left_record_id, row.right_record_id): row
        for row in session.scalars(select(MatchCandidate).where(MatchCandidate.domain == DOMAIN,
                                                                MatchCandidate.kind == CONFLICT))
    }
    fresh = []
    for pair, explanation in sorted(found.items()):
        row = existing.get(pair)
        if row is None:
            fresh.append({"domain": DOMAIN, "kind": CONFLICT, "left_record_id": pair[0], "right_record_id": pair[1],
                          "match_weight": None, "match_probability": None, "explanation": explanation,
                          "status": "pending", "created_at": now, "decided_at": None})
            report.conflicts_new += 1
            continue
        same_amounts = _amounts(row.explanation) == _amounts(explanation)
        if row.status == "pending":
            if row.explanation != explanation:
                row.explanation = explanation
        elif row.status == "superseded" or not same_amounts:
            # Back to the queue: it returned, or the amounts changed since a steward settled it.
            row.status, row.decided_at, row.explanation = "pending", None, explanation
            report.conflicts_new += 1
    for pair, row in existing.items():
        if pair not in found and row.status == "pending":
            row.status, row.decided_at = "superseded", now
    for chunk in _chunks(fresh):
        bulk_insert(session, MatchCandidate, chunk)
    session.flush()


def _amounts(explanation: dict[str, Any] | None) -> tuple:
    e = explanation or {}
    return (e.get("left_unit_price"), e.get("right_unit_price"), e.get("currency"), e.get("uom"))


# --- lookup -----------------------------------------------------------------------------


def price_for(
    session: Session,
    *,
    item_id: str,
    customer_id: str | None = None,
    on: date,
    currency: str,
    quantity: Decimal | int | str | None = None,
    price_list: str | None = None,
    uom: str | None = None,
    rules_dir: Path | None = None,
) -> dict[str, Any] | None:
    """The price of item ``item_id`` for customer ``customer_id`` on day ``on`` in ``currency``.

    Golden ids (aliases resolve to their survivor). Tries the customer's own
    price, then the customer's price list (``price_list``, else the golden
    customer's ``price_list`` attribute when it has one), then the list price
    (the ``pricing.list_price`` list, or a price with neither customer nor
    list). A price in ``uom`` is preferred, else one in the item's base unit
    (prices are stored per base unit where the pack quantity allows). With a
    ``quantity`` (in the price's unit) the highest minimum quantity not above
    it applies; without, the base tier. Returns the golden price's attributes
    plus ``golden_id``, ``version`` and ``basis`` (customer | price_list |
    list), or None."""
    settings = load_pricing_settings(rules_dir)
    item_id = resolve_golden_id(session, item_id)
    customer_id = resolve_golden_id(session, customer_id)
    if price_list is None and customer_id:
        customer = session.get(GoldenRecord, customer_id)
        price_list = ((customer.attributes or {}).get("price_list") if customer is not None else None) or None
    if price_list is not None:
        price_list = settings.price_list(None, price_list)
    if uom is None:
        item = session.get(GoldenRecord, item_id)
        uom = (item.attributes or {}).get("base_uom") if item is not None else None
    wanted_uom = _uom(uom)
    rows = session.scalars(
        select(GoldenRecord).where(
            GoldenRecord.domain == DOMAIN, GoldenRecord.status == "active",
            GoldenRecord.attributes["item_id"].as_string() == item_id,
        )
    ).all()
    wanted = currency.strip().upper()
    valid = []
    for row in rows:
        a = row.attributes or {}
        if a.get("currency") != wanted:
            continue
        try:
            if not Period(_date(a.get("valid_from")), _date(a.get("valid_to"))).contains(on):
                continue
        except ValueError:
            continue
        valid.append(row)
    tiers = (
        ("customer", lambda a: customer_id is not None and a.get("customer_id") == customer_id),
        ("price_list", lambda a: price_list is not None and not a.get("customer_id") and a.get("price_list") == price_list),
        ("list", lambda a: not a.get("customer_id") and a.get("price_list") in (None, "", settings.list_price)),
    )
    for basis, accepts in tiers:
        rows = [r for r in valid if accepts(r.attributes or {})]
        preferred = [r for r in rows if r.attributes.get("uom") == wanted_uom]
        chosen = _pick(preferred, quantity) or _pick(rows, quantity)
        if chosen is not None:
            return {**chosen.attributes, "golden_id": chosen.id, "version": chosen.version, "basis": basis}
    return None


def _pick(rows: Iterable[GoldenRecord], quantity) -> GoldenRecord | None:
    def tier(row: GoldenRecord) -> Decimal:
        try:
            return Decimal(str(row.attributes.get("min_qty") or 0))
        except InvalidOperation:
            return Decimal(0)

    rows = list(rows)
    if quantity is not None:
        wanted = Decimal(str(quantity))
        rows = [r for r in rows if tier(r) <= wanted]
    if not rows:
        return None
    # Highest applicable tier with a quantity, else the base tier; then the latest start, then the id.
    order = sorted(rows, key=lambda r: (str(r.attributes.get("valid_from") or ""), r.id), reverse=True)
    return (max if quantity is not None else min)(order, key=tier)
