"""Build a golden record from its member source records, attribute by attribute.

For each attribute: candidates whose value fails a validation rule are
dropped; a pinned steward override wins outright; otherwise the chain's
strategies run in order, each narrowing the candidates or falling back to
the next; a final deterministic tie-breaker (most recent, then lowest
record id) settles what the chain leaves tied.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mdm.survivorship.models import Candidate, CandidateTrace, Decision, GoldenBuild, MemberRecord, Override
from mdm.survivorship.registry import strategies, validators
from mdm.survivorship.rules import STEWARD_OVERRIDE, Step, SurvivorshipRules
from mdm.survivorship.strategies import Context, Settled, Undecided
from mdm.survivorship.values import is_empty, show_moment

TIE_BREAKER = "most recent, then lowest record id"
NO_CANDIDATES = "no_candidates"


def candidates_for(attribute: str, members: list[MemberRecord]) -> list[Candidate]:
    """One candidate per member record that has a value for ``attribute``."""
    return [
        Candidate(
            value=m.fields[attribute],
            system=m.system,
            record_id=m.record_id,
            source_key=m.source_key,
            version=m.version,
            updated_at=m.updated_at,
        )
        for m in members
        if not is_empty(m.fields.get(attribute))
    ]


def validate_value(rules: SurvivorshipRules, attribute: str, value: Any) -> str | None:
    """Why ``value`` fails the attribute's validation rules, or None (also for steward input)."""
    for check in rules.checks_for(attribute):
        reason = validators[check.name].fn(value, check.param)
        if reason:
            return f"invalid: {reason}"
    return None


def decide(
    rules: SurvivorshipRules,
    attribute: str,
    members: list[MemberRecord],
    *,
    now: datetime,
    overrides: Mapping[str, Override] | None = None,
    decided: Mapping[str, Decision] | None = None,
    candidates: list[Candidate] | None = None,
) -> Decision:
    """Survivorship for one attribute. ``decided`` holds earlier decisions (for same_source_as);
    ``candidates`` replaces the ones taken from ``members`` (e.g. with per-value trust)."""
    pool = candidates_for(attribute, members) if candidates is None else candidates
    ctx = Context(
        attribute=attribute,
        now=now,
        rules=rules,
        members={m.record_id: m for m in members},
        decided=decided or {},
        overrides=overrides or {},
    )
    dropped = {c.record_id: r for c in pool if (r := validate_value(rules, attribute, c.value))}
    valid = [c for c in pool if c.record_id not in dropped]
    trace = _Trace(attribute, pool, dropped)

    verdict = strategies[STEWARD_OVERRIDE].fn(valid, ctx, None)
    if isinstance(verdict, Settled):
        rule = f"{rules.domain}.{attribute}: steward_override by {verdict.override.actor}"
        return trace.settled(verdict, STEWARD_OVERRIDE, rule)
    if not valid:
        return trace.decision(None, None, NO_CANDIDATES, f"{rules.domain}.{attribute}: no valid candidate")

    chain, is_default = rules.chain_for(attribute)
    remaining, deciding = valid, None
    for i, step in enumerate(chain):
        if step.name == STEWARD_OVERRIDE:
            continue
        rule = _rule(rules.domain, attribute, i, step, is_default)
        verdict = strategies[step.name].fn(remaining, ctx, step.param)
        if isinstance(verdict, Undecided):
            trace.fallbacks.append(f"{rule}: could not decide: {verdict.reason}")
            continue
        if isinstance(verdict, Settled):
            return trace.settled(verdict, step.name, rule)
        trace.lost.update(verdict.lost)
        if len(verdict.kept) < len(remaining) or len(verdict.kept) == 1:
            remaining, deciding = verdict.kept, (step.name, rule)
        if len(remaining) == 1:
            break
        trace.fallbacks.append(f"{rule}: tie between {', '.join(c.label for c in remaining)}")

    tie_breaker = None
    if len(remaining) > 1 or deciding is None:
        remaining, tie_breaker = _break_tie(remaining, trace.lost), TIE_BREAKER
    strategy, rule = deciding or ("tie_breaker", f"{rules.domain}.{attribute}: tie_breaker ({TIE_BREAKER})")
    return trace.decision(remaining[0], tie_breaker, strategy, rule)


def _rule(domain: str, attribute: str, index: int, step: Step, is_default: bool) -> str:
    suffix = " (default chain)" if is_default else ""
    return f"{domain}.{attribute}[{index}]: {step.describe()}{suffix}"


def _break_tie(tied: list[Candidate], lost: dict[int, str]) -> list[Candidate]:
    """Most recent first, then lowest record id; records why each other candidate lost."""
    ranked = sorted(tied, key=lambda c: (-c.updated_at.timestamp(), c.record_id))
    winner = ranked[0]
    for c in ranked[1:]:
        if c.updated_at < winner.updated_at:
            lost[c.record_id] = "tie-breaker: older: {} < {}".format(*show_moment(c.updated_at, winner.updated_at))
        else:
            lost[c.record_id] = f"tie-breaker: higher record id: {c.record_id} > {winner.record_id}"
    return [winner]


class _Trace:
    """Collects each candidate's fate while one attribute is decided."""

    def __init__(self, attribute: str, pool: list[Candidate], dropped: dict[int, str]):
        self.attribute = attribute
        self.pool = pool
        self.dropped = dropped
        self.lost: dict[int, str] = {}
        self.fallbacks: list[str] = []

    def _traces(self, won: dict[int, str]) -> list[CandidateTrace]:
        traces = []
        for c in self.pool:
            if c.record_id in self.dropped:
                traces.append(CandidateTrace(candidate=c, outcome="dropped", reason=self.dropped[c.record_id]))
            elif c.record_id in won:
                traces.append(CandidateTrace(candidate=c, outcome="won", reason=won[c.record_id]))
            else:
                traces.append(CandidateTrace(candidate=c, outcome="lost", reason=self.lost[c.record_id]))
        return traces

    def decision(self, winner: Candidate | None, tie_breaker: str | None, strategy: str, rule: str) -> Decision:
        won = {}
        if winner is not None:
            won[winner.record_id] = f"chosen by {rule}" + (f"; tie broken by {tie_breaker}" if tie_breaker else "")
        return Decision(
            attribute=self.attribute,
            value=winner.value if winner else None,
            winner=winner,
            strategy=strategy,
            rule=rule,
            tie_breaker=tie_breaker,
            candidates=self._traces(won),
            fallbacks=self.fallbacks,
        )

    def settled(self, verdict: Settled, strategy: str, rule: str) -> Decision:
        self.lost.update(verdict.lost)
        return Decision(
            attribute=self.attribute,
            value=verdict.value,
            winner=None,
            strategy=strategy,
            rule=rule,
            candidates=self._traces(verdict.won),
            fallbacks=self.fallbacks,
            override=verdict.override,
        )


def build_golden(
    rules: SurvivorshipRules,
    members: list[MemberRecord],
    *,
    now: datetime,
    overrides: Mapping[str, Override] | None = None,
) -> GoldenBuild:
    """The golden record of a cluster: every attribute of the domain, each with its decision.

    ``same_source_as`` attributes are decided after the attribute they follow.
    Member fields that are not attributes of the domain (nor configured) are ignored.
    """
    ids = [m.record_id for m in members]
    if len(set(ids)) != len(ids):
        raise ValueError(f"member record ids must be unique, got {sorted(ids)}")
    names = rules.attribute_names()
    unknown = sorted(set(overrides or {}) - set(names))
    if unknown:
        raise ValueError(f"overrides for unknown {rules.domain} attributes: {', '.join(unknown)}")
    decided: dict[str, Decision] = {}
    for attribute in rules.resolution_order(names):
        decided[attribute] = decide(rules, attribute, members, now=now, overrides=overrides, decided=decided)
    return GoldenBuild(
        attributes={a: decided[a].value for a in names},
        decisions={a: decided[a] for a in names},
    )
