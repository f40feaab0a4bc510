"""Survivorship inputs (member records, candidates, steward overrides) and outputs (decisions)."""

import math
from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from mdm.survivorship.lineage import (
    OUTCOME_CODES,
    SourceTable,
    compact,
    document,
    domain_of,
    rule_parts,
    same_json,
)
from mdm.survivorship.lineage import _PARTS as _RULE_PARTS
from mdm.survivorship.values import is_empty


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MemberRecord(_Frozen):
    """One source record version in a golden record's cluster."""

    record_id: int
    system: str
    source_key: str
    version: int = 1
    updated_at: AwareDatetime
    fields: dict[str, Any]

    @property
    def filled(self) -> int:
        """How many fields hold a value (for ``most_complete``)."""
        return sum(not is_empty(v) for v in self.fields.values())


class Candidate(_Frozen):
    """One member record's value for one attribute."""

    value: Any
    system: str
    record_id: int
    source_key: str
    version: int = 1
    updated_at: AwareDatetime
    # Per-value trust; None takes the source's trust from the rules.
    trust: float | None = Field(default=None, ge=0, le=1)

    @property
    def label(self) -> str:
        return f"{self.system}:{self.source_key}"


class Override(_Frozen):
    """A steward's value for one attribute; wins while pinned."""

    attribute: str
    value: Any
    reason: str
    actor: str
    pinned_at: AwareDatetime
    unpinned_at: AwareDatetime | None = None

    def is_pinned(self, now: datetime) -> bool:
        return self.pinned_at <= now and (self.unpinned_at is None or now < self.unpinned_at)


Outcome = Literal["won", "lost", "dropped"]


class CandidateTrace(_Frozen):
    candidate: Candidate
    outcome: Outcome
    reason: str


class Decision(_Frozen):
    """Why one golden attribute has its value: the winner, the rule, and every candidate's fate."""

    attribute: str
    value: Any
    # None for a steward override or no candidate; the stored lineage leaves it out then.
    winner: Candidate | None = None
    strategy: str
    rule: str
    tie_breaker: str | None = None
    candidates: list[CandidateTrace] = []
    # Chain steps that could not decide, in order, each with why.
    fallbacks: list[str] = []
    override: Override | None = None

    def lineage_json(self) -> dict[str, Any]:
        return {"value": None, **self.model_dump(mode="json", exclude_none=True)}


class GoldenBuild:
    """A golden record's attribute values and the decision behind each.

    The engine hands over ``DecisionDraft`` objects; ``decisions`` turns them
    into ``Decision`` models on first access and ``lineage_json`` reads the
    drafts directly, so bulk builds that only store attributes and lineage
    never construct the models.
    """

    __slots__ = ("attributes", "_decisions", "_drafts", "_members", "_domain")

    def __init__(self, attributes: dict[str, Any], decisions: Mapping[str, "Decision"]):
        self.attributes = attributes
        self._decisions: dict[str, Decision] | None = dict(decisions)
        self._drafts: Mapping[str, DecisionDraft] | None = None
        self._members: list[MemberRecord] = []
        self._domain: str | None = None

    @classmethod
    def from_drafts(
        cls,
        attributes: dict[str, Any],
        drafts: "Mapping[str, DecisionDraft]",
        members: list[MemberRecord],
        domain: str | None = None,
    ) -> "GoldenBuild":
        """``members``: the records every draft's candidates were taken from (as ``candidates_for`` does);
        ``domain``: the rules' domain (the prefix of their rule texts)."""
        build = cls.__new__(cls)
        build.attributes, build._decisions, build._drafts, build._members = attributes, None, drafts, members
        build._domain = domain
        return build

    @property
    def decisions(self) -> dict[str, Decision]:
        if self._decisions is None:
            self._decisions = {name: draft.decision() for name, draft in self._drafts.items()}
        return self._decisions

    def lineage_json(self, only: Container[str] | None = None) -> dict[str, Any]:
        """JSON-ready lineage, stored with each golden record version.

        ``only``: just these attributes, and any a steward override decided."""
        if self._drafts is None:
            return {
                name: decision.lineage_json()
                for name, decision in self._decisions.items()
                if only is None or name in only or decision.override is not None
            }
        sources = {m.record_id: _member_json(m) for m in self._members}
        return {
            name: draft.lineage_json(sources)
            for name, draft in self._drafts.items()
            if only is None or name in only or draft.override is not None
        }

    def lineage_stored(self, only: Container[str] | None = None) -> dict[str, Any]:
        """``lineage_json(only)`` in the compact form stored with golden records
        (``mdm.survivorship.lineage``; ``expand`` gives ``lineage_json(only)`` back)."""
        if self._drafts is None:
            return compact(self.lineage_json(only))
        drafts = self._drafts
        if "_v" in drafts or "_d" in drafts or "_src" in drafts or "_why" in drafts:
            return self.lineage_json(only)
        domain = self._domain
        table = SourceTable()
        members: dict[int, MemberRecord] | None = None
        sources: dict[int, dict[str, Any]] | None = None
        entries: dict[str, Any] = {}
        for name, draft in drafts.items():
            if only is not None and name not in only and draft.override is None:
                continue
            if domain is None:
                domain = domain_of(draft.rule)
            if members is None:
                members = {m.record_id: m for m in self._members}
            entry = draft.compact_json(domain, table, members)
            if entry is None:
                if sources is None:
                    sources = {m.record_id: _member_json(m) for m in self._members}
                entry = draft.lineage_json(sources)
            entries[name] = entry
        return document(domain, table, entries)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GoldenBuild):
            return NotImplemented
        return self.attributes == other.attributes and self.decisions == other.decisions

    def __repr__(self) -> str:
        return f"GoldenBuild(attributes={self.attributes!r}, decisions={self.decisions!r})"


_setattr = object.__setattr__
_TRACE_FIELDS = frozenset(CandidateTrace.model_fields)
_DECIDED_FIELDS = frozenset(Decision.model_fields) - {"override"}
_SETTLED_FIELDS = frozenset(Decision.model_fields) - {"tie_breaker"}


def construct_valid(cls: type[BaseModel], values: dict[str, Any], fields_set: frozenset[str]) -> Any:
    """A model from values that are already valid, as validation would build it (no copies, no checks)."""
    model = cls.__new__(cls)
    _setattr(model, "__dict__", values)
    _setattr(model, "__pydantic_fields_set__", set(fields_set))
    _setattr(model, "__pydantic_extra__", None)
    _setattr(model, "__pydantic_private__", None)
    return model


@dataclass(slots=True, eq=False)
class DecisionDraft:
    """A decision as the engine reaches it: ``traces`` are (candidate, outcome, reason).

    ``settled`` marks a value a strategy fixed itself (no tie-breaker field).
    ``decision()`` is the ``Decision`` model; ``lineage_json()`` equals
    ``decision().lineage_json()`` without building it.
    """

    attribute: str
    value: Any
    winner: Candidate | None
    strategy: str
    rule: str
    tie_breaker: str | None
    traces: list[tuple[Candidate, Outcome, str]]
    fallbacks: list[str]
    override: Override | None
    settled: bool

    def decision(self) -> Decision:
        traces = [
            construct_valid(CandidateTrace, {"candidate": c, "outcome": o, "reason": r}, _TRACE_FIELDS)
            for c, o, r in self.traces
        ]
        values = {
            "attribute": self.attribute,
            "value": self.value,
            "winner": self.winner,
            "strategy": self.strategy,
            "rule": self.rule,
            "tie_breaker": self.tie_breaker,
            "candidates": traces,
            "fallbacks": list(self.fallbacks),
            "override": self.override,
        }
        return construct_valid(Decision, values, _SETTLED_FIELDS if self.settled else _DECIDED_FIELDS)

    def lineage_json(self, sources: Mapping[int, dict[str, Any]] | None = None) -> dict[str, Any]:
        """``Decision.lineage_json()``: ``model_dump(mode="json", exclude_none=True)`` with "value" first.

        ``sources``: record id -> ``_member_json`` of the member record each candidate was taken from.
        """
        winner = self.winner
        winner_json = None
        candidates = []
        for c, outcome, reason in self.traces:
            if sources is None:
                candidate = _candidate_json(c)
            else:
                candidate = {"value": _json(c.value), **sources[c.record_id]}
            if c is winner:
                winner_json = dict(candidate)
            candidates.append({"candidate": candidate, "outcome": outcome, "reason": reason})
        out: dict[str, Any] = {"value": _json(self.value), "attribute": self.attribute}
        if winner is not None:
            out["winner"] = _candidate_json(winner) if winner_json is None else winner_json
        out["strategy"] = self.strategy
        out["rule"] = self.rule
        if self.tie_breaker is not None:
            out["tie_breaker"] = self.tie_breaker
        out["candidates"] = candidates
        out["fallbacks"] = list(self.fallbacks)
        if self.override is not None:
            out["override"] = self.override.model_dump(mode="json", exclude_none=True)
        return out

    def compact_json(
        self, domain: str | None, table: SourceTable, members: Mapping[int, MemberRecord]
    ) -> dict[str, Any] | None:
        """``lineage_json(sources)`` as a compact entry (``mdm.survivorship.lineage``), the candidates'
        sources (``members`` by record id) added to ``table``; None when the trace does not fit the form
        (a winner that is not one of the candidates)."""
        parts = _RULE_PARTS.get((domain, self.attribute, self.rule, self.tie_breaker))
        if parts is None:
            parts = rule_parts(domain, self.attribute, self.rule, self.tie_breaker)
        key, rule, strategy, chosen = parts
        winner = self.winner
        w = None
        items = []
        index_of = table._index
        rows = table.rows
        whys = table._why
        for i, (c, outcome, reason) in enumerate(self.traces):
            fields = c.__dict__
            rid = fields["record_id"]
            index = index_of.get(rid)
            if index is None:
                m = members[rid].__dict__
                index = index_of[rid] = len(rows)
                rows.append([rid, m["system"], m["source_key"], m["version"],
                             _ANY.dump_python(m["updated_at"], mode="json")])
            value = fields["value"]
            if type(value) not in _PLAIN:
                value = _json(value)
            if reason == chosen:
                items.append([index, OUTCOME_CODES[outcome], value])
            else:
                why = whys.get(reason)
                if why is None:
                    why = whys[reason] = len(table.whys)
                    table.whys.append(reason)
                items.append([index, OUTCOME_CODES[outcome], value, why])
            if c is winner:
                w = i
        out: dict[str, Any] = {key: rule}
        if items:
            out["c"] = items
        value = self.value
        if type(value) not in _PLAIN:
            value = _json(value)
        if w is not None:
            out["w"] = w
            won = items[w][2]
            if value is not won and not same_json(value, won):
                out["v"] = value
        elif winner is not None:
            return None
        elif value is not None:
            out["v"] = value
        if self.strategy != strategy:
            out["s"] = self.strategy
        if self.tie_breaker is not None:
            out["t"] = self.tie_breaker
        if self.fallbacks:
            out["f"] = list(self.fallbacks)
        if self.override is not None:
            out["o"] = self.override.model_dump(mode="json", exclude_none=True)
        return out


_ANY = TypeAdapter(Any)
_PLAIN = (str, int, bool)


def _json(value: Any) -> Any:
    """``value`` as pydantic serializes an ``Any`` field in JSON mode (nan and infinity become None)."""
    kind = type(value)
    if kind in _PLAIN or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    return _ANY.dump_python(value, mode="json")


def _member_json(m: MemberRecord) -> dict[str, Any]:
    """A candidate's JSON after "value", for candidates taken from ``m``."""
    return {
        "system": m.system,
        "record_id": m.record_id,
        "source_key": m.source_key,
        "version": m.version,
        "updated_at": _ANY.dump_python(m.updated_at, mode="json"),
    }


def _candidate_json(c: Candidate) -> dict[str, Any]:
    fields = c.__dict__
    value = fields["value"]
    out: dict[str, Any] = {} if value is None else {"value": _json(value)}
    out["system"] = fields["system"]
    out["record_id"] = fields["record_id"]
    out["source_key"] = fields["source_key"]
    out["version"] = fields["version"]
    out["updated_at"] = _ANY.dump_python(fields["updated_at"], mode="json")
    if fields["trust"] is not None:
        out["trust"] = _json(fields["trust"])
    return out
