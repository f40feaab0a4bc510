"""Survivorship inputs (member records, candidates, steward overrides) and outputs (decisions)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

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
    winner: Candidate | None
    strategy: str
    rule: str
    tie_breaker: str | None = None
    candidates: list[CandidateTrace] = []
    # Chain steps that could not decide, in order, each with why.
    fallbacks: list[str] = []
    override: Override | None = None

    def lineage_json(self) -> dict[str, Any]:
        return {"value": None, **self.model_dump(mode="json", exclude_none=True)}


class GoldenBuild(_Frozen):
    """A golden record's attribute values and the decision behind each."""

    attributes: dict[str, Any]
    decisions: dict[str, Decision]

    def lineage_json(self) -> dict[str, Any]:
        """JSON-ready lineage, stored with each golden record version."""
        return {name: decision.lineage_json() for name, decision in self.decisions.items()}
