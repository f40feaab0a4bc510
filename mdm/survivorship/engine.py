"""Build a golden record from its member source records, attribute by attribute.

For each attribute: candidates whose value fails a validation rule are
dropped; a pinned steward override wins outright; otherwise the chain's
strategies run in order, each narrowing the candidates or falling back to
the next; a final deterministic tie-breaker (most recent, then lowest
record id) settles what the chain leaves tied.

Everything that depends on the rules alone (chains with their rule texts,
validation functions, the resolution order) is worked out once per rules
object (``_plan``). Decisions are reached as ``DecisionDraft`` objects;
``Decision`` models are built only when someone reads them.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from mdm.survivorship.models import (
    Candidate,
    Decision,
    DecisionDraft,
    GoldenBuild,
    MemberRecord,
    Override,
    construct_valid,
)
from mdm.survivorship.registry import strategies, validators
from mdm.survivorship.rules import STEWARD_OVERRIDE, Step, SurvivorshipRules
from mdm.survivorship.strategies import (
    Context,
    Settled,
    Undecided,
    most_complete,
    most_recent,
    same_source_as,
    source_priority,
    steward_override,
)
from mdm.survivorship.values import show_moment

TIE_BREAKER = "most recent, then lowest record id"
NO_CANDIDATES = "no_candidates"

_CANDIDATE_FIELDS = frozenset({"value", "system", "record_id", "source_key", "version", "updated_at"})
_EMPTY_WHEN_FALSY = (str, list, dict, tuple)  # values.is_empty, inlined on the hot path
_new = object.__new__
_setattr = object.__setattr__
# The model's slots, set directly (what ``object.__setattr__`` does after looking them up by name).
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def _candidate(value: Any, member: dict[str, Any]) -> Candidate:
    """``Candidate(value=value, system=m.system, ...)`` for a member's (already validated) fields."""
    return construct_valid(
        Candidate,
        {
            "value": value,
            "system": member["system"],
            "record_id": member["record_id"],
            "source_key": member["source_key"],
            "version": member["version"],
            "updated_at": member["updated_at"],
            "trust": None,
        },
        _CANDIDATE_FIELDS,
    )


def candidates_for(attribute: str, members: list[MemberRecord]) -> list[Candidate]:
    """One candidate per member record that has a value for ``attribute``."""
    out = []
    for m in members:
        value = m.fields.get(attribute)
        if not (value is None or (isinstance(value, _EMPTY_WHEN_FALSY) and not value)):
            out.append(_candidate(value, m.__dict__))
    return out


def validate_value(rules: SurvivorshipRules, attribute: str, value: Any) -> str | None:
    """Why ``value`` fails the attribute's validation rules, or None (also for steward input)."""
    return _check(_plan(rules).attribute(attribute).checks, value)


def _check(checks: tuple[tuple[Callable[..., Any], Any], ...], value: Any) -> str | None:
    for fn, param in checks:
        reason = fn(value, param)
        if reason:
            return f"invalid: {reason}"
    return None


@dataclass(slots=True, frozen=True)
class _AttributePlan:
    """One attribute's rules, resolved: validation functions and chain steps with their rule texts."""

    attribute: str
    checks: tuple[tuple[Callable[..., Any], Any], ...]
    # (strategy name, function, parameter, rule text); steward_override steps left out.
    steps: tuple[tuple[str, Callable[..., Any], Any, str], ...]
    override_rule: str
    no_candidates_rule: str
    tie_rule: str
    # The decision when there is no candidate and no steward override (shared: drafts are read-only).
    empty: DecisionDraft
    # The chain as it decides a lone valid candidate (see ``_lone``); None: a step it cannot foresee.
    lone: tuple[tuple[int, Any, str, str, str, str], ...] | None
    tie_why: str


@dataclass(slots=True)
class _Plan:
    rules: SurvivorshipRules
    versions: tuple[int, int]
    override: Callable[..., Any]
    names: list[str] = field(default_factory=list)
    known: frozenset[str] = frozenset()
    order: list[_AttributePlan] = field(default_factory=list)
    reordered: bool = False
    _attributes: dict[str, _AttributePlan] = field(default_factory=dict)

    def attribute(self, attribute: str) -> _AttributePlan:
        ap = self._attributes.get(attribute)
        if ap is None:
            ap = self._attributes[attribute] = _attribute_plan(self.rules, attribute)
        return ap


def _attribute_plan(rules: SurvivorshipRules, attribute: str) -> _AttributePlan:
    domain = rules.domain
    chain, is_default = rules.chain_for(attribute)
    no_candidates_rule = f"{domain}.{attribute}: no valid candidate"
    steps = tuple(
        (step.name, strategies[step.name].fn, step.param, _rule(domain, attribute, i, step, is_default))
        for i, step in enumerate(chain)
        if step.name != STEWARD_OVERRIDE
    )
    tie_rule = f"{domain}.{attribute}: tie_breaker ({TIE_BREAKER})"
    return _AttributePlan(
        attribute=attribute,
        checks=tuple((validators[check.name].fn, check.param) for check in rules.checks_for(attribute)),
        steps=steps,
        override_rule=f"{domain}.{attribute}: steward_override by ",
        no_candidates_rule=no_candidates_rule,
        tie_rule=tie_rule,
        empty=DecisionDraft(attribute, None, None, NO_CANDIDATES, no_candidates_rule, None, [], [], None, False),
        lone=_lone_plan(steps),
        tie_why=f"chosen by {tie_rule}; tie broken by {TIE_BREAKER}",
    )


# How a built-in step treats a lone candidate (see ``_lone``).
_KEEPS, _PRIORITY, _SAME_SOURCE = 0, 1, 2


def _lone_plan(steps) -> tuple[tuple[int, Any, str, str, str, str], ...] | None:
    """Per step: (kind, parameter, name, rule, why the winner won, fallback text when the step cannot decide).

    Only the built-in steps whose verdict on one candidate is known in advance:
    ``most_recent`` and ``most_complete`` keep it; ``source_priority`` keeps it
    when its system is listed, else cannot decide; ``same_source_as`` keeps it
    when it comes from the target's winning record and cannot decide when the
    target has no winner. Any other step (or a re-registered function): None."""
    out = []
    for name, fn, param, rule in steps:
        why = f"chosen by {rule}"
        if fn is most_recent or fn is most_complete:
            out.append((_KEEPS, None, name, rule, why, ""))
        elif fn is source_priority:
            undecided = f"{rule}: could not decide: no candidate from {', '.join(param)}"
            out.append((_PRIORITY, param, name, rule, why, undecided))
        elif fn is same_source_as:
            undecided = f"{rule}: could not decide: {param} has no winning source record"
            out.append((_SAME_SOURCE, param, name, rule, why, undecided))
        else:
            return None
    return tuple(out)


def _lone(ap: _AttributePlan, c: Candidate, decided: Mapping[str, Any]) -> DecisionDraft | None:
    """The decision on one valid candidate (no steward override), as the chain would reach it;
    None when a step's verdict depends on more than the plan foresees (the chain then runs)."""
    fields = c.__dict__
    fallbacks: list[str] = []
    for kind, param, name, rule, why, undecided in ap.lone:
        if kind == _KEEPS:
            break
        if kind == _PRIORITY:
            if fields["system"] in param:
                break
            fallbacks.append(undecided)
            continue
        # same_source_as: the target's winner, read from the draft when the engine's own mapping holds it.
        target = decided._drafts.get(param) if type(decided) is _Decided else decided.get(param)
        winner = target.winner if target else None
        if winner is None:
            fallbacks.append(undecided)
            continue
        if winner.record_id == fields["record_id"]:
            break
        return None
    else:
        return DecisionDraft(
            ap.attribute, fields["value"], c, "tie_breaker", ap.tie_rule, TIE_BREAKER, [(c, "won", ap.tie_why)],
            fallbacks, None, False,
        )
    return DecisionDraft(ap.attribute, fields["value"], c, name, rule, None, [(c, "won", why)], fallbacks, None, False)


_PLANS: dict[int, _Plan] = {}
_MAX_PLANS = 64


def _plan(rules: SurvivorshipRules) -> _Plan:
    """The rules worked out for the engine, cached per rules object (and registry state)."""
    versions = (strategies.version, validators.version)
    plan = _PLANS.get(id(rules))
    if plan is not None and plan.rules is rules and plan.versions == versions:
        return plan
    plan = _Plan(rules, versions, strategies[STEWARD_OVERRIDE].fn)
    plan.names = rules.attribute_names()
    plan.known = frozenset(plan.names)
    order = rules.resolution_order(plan.names)
    plan.order = [plan.attribute(a) for a in order]
    plan.reordered = order != plan.names
    if len(_PLANS) >= _MAX_PLANS:
        del _PLANS[next(iter(_PLANS))]
    _PLANS[id(rules)] = plan  # holds ``rules``, so the id stays its own while cached
    return plan


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
    plan = _plan(rules)
    pool = candidates_for(attribute, members) if candidates is None else candidates
    env = {
        "now": now,
        "rules": rules,
        "members": {m.record_id: m for m in members},
        "decided": decided or {},
        "overrides": overrides or {},
    }
    return _decide(plan, plan.attribute(attribute), pool, env).decision()


def _context(attribute: str, env: dict[str, Any]) -> Context:
    """``Context(attribute=attribute, **env)`` without the frozen dataclass's per-field setattr."""
    ctx = object.__new__(Context)
    ctx.__dict__.update(env, attribute=attribute)
    return ctx


def _decide(plan: _Plan, ap: _AttributePlan, pool: list[Candidate], env: dict[str, Any]) -> DecisionDraft:
    attribute = ap.attribute
    dropped: dict[int, str] = {}
    checks = ap.checks
    if checks:
        for c in pool:
            for fn, param in checks:
                reason = fn(c.value, param)
                if reason:
                    dropped[c.record_id] = f"invalid: {reason}"
                    break
        valid = [c for c in pool if c.record_id not in dropped] if dropped else list(pool)
    else:
        valid = list(pool)
    ctx = None
    lost: dict[int, str] = {}
    fallbacks: list[str] = []

    # The built-in steward_override has nothing to say without an override for this attribute.
    if plan.override is not steward_override or attribute in env["overrides"]:
        ctx = _context(attribute, env)
        verdict = plan.override(valid, ctx, None)
        if isinstance(verdict, Settled):
            rule = f"{ap.override_rule}{verdict.override.actor}"
            return _settled(attribute, pool, dropped, lost, fallbacks, verdict, STEWARD_OVERRIDE, rule)
    if not valid:
        if not pool:
            return ap.empty
        return _decision(attribute, pool, dropped, lost, fallbacks, None, None, NO_CANDIDATES, ap.no_candidates_rule)
    if len(pool) == 1 and ap.lone is not None:
        draft = _lone(ap, pool[0], env["decided"])
        if draft is not None:
            return draft

    if ctx is None:
        ctx = _context(attribute, env)
    remaining, deciding = valid, None
    for name, fn, param, rule in ap.steps:
        verdict = fn(remaining, ctx, param)
        if isinstance(verdict, Undecided):
            fallbacks.append(f"{rule}: could not decide: {verdict.reason}")
            continue
        if isinstance(verdict, Settled):
            return _settled(attribute, pool, dropped, lost, fallbacks, verdict, name, rule)
        lost.update(verdict.lost)
        if len(verdict.kept) < len(remaining) or len(verdict.kept) == 1:
            remaining, deciding = verdict.kept, (name, rule)
        if len(remaining) == 1:
            break
        fallbacks.append(f"{rule}: tie between {', '.join(c.label for c in remaining)}")

    tie_breaker = None
    if len(remaining) > 1 or deciding is None:
        remaining, tie_breaker = _break_tie(remaining, lost), TIE_BREAKER
    strategy, rule = deciding or ("tie_breaker", ap.tie_rule)
    return _decision(attribute, pool, dropped, lost, fallbacks, remaining[0], tie_breaker, strategy, rule)


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


def _traces(
    pool: list[Candidate], dropped: dict[int, str], won: dict[int, str], lost: dict[int, str]
) -> list[tuple[Candidate, str, str]]:
    """Each candidate's fate, in pool order."""
    traces = []
    for c in pool:
        rid = c.record_id
        if rid in dropped:
            traces.append((c, "dropped", dropped[rid]))
        elif rid in won:
            traces.append((c, "won", won[rid]))
        else:
            traces.append((c, "lost", lost[rid]))
    return traces


def _decision(
    attribute: str,
    pool: list[Candidate],
    dropped: dict[int, str],
    lost: dict[int, str],
    fallbacks: list[str],
    winner: Candidate | None,
    tie_breaker: str | None,
    strategy: str,
    rule: str,
) -> DecisionDraft:
    if winner is None:
        traces = _traces(pool, dropped, {}, lost)
        return DecisionDraft(attribute, None, None, strategy, rule, tie_breaker, traces, fallbacks, None, False)
    why = f"chosen by {rule}; tie broken by {tie_breaker}" if tie_breaker else f"chosen by {rule}"
    if len(pool) == 1 and pool[0] is winner:
        traces = [(winner, "won", why)]
    else:
        traces = _traces(pool, dropped, {winner.record_id: why}, lost)
    return DecisionDraft(attribute, winner.value, winner, strategy, rule, tie_breaker, traces, fallbacks, None, False)


def _settled(
    attribute: str,
    pool: list[Candidate],
    dropped: dict[int, str],
    lost: dict[int, str],
    fallbacks: list[str],
    verdict: Settled,
    strategy: str,
    rule: str,
) -> DecisionDraft:
    lost.update(verdict.lost)
    traces = _traces(pool, dropped, verdict.won, lost)
    return DecisionDraft(attribute, verdict.value, None, strategy, rule, None, traces, fallbacks, verdict.override, True)


class _Decided(Mapping[str, Decision]):
    """The decisions reached so far, as ``Decision`` models built on first read (``Context.decided``)."""

    __slots__ = ("_drafts", "_models")

    def __init__(self, drafts: dict[str, DecisionDraft]):
        self._drafts = drafts
        self._models: dict[str, Decision] = {}

    def __getitem__(self, attribute: str) -> Decision:
        model = self._models.get(attribute)
        if model is None:
            model = self._models[attribute] = self._drafts[attribute].decision()
        return model

    def get(self, attribute: str, default: Any = None) -> Any:
        return self[attribute] if attribute in self._drafts else default

    def __iter__(self) -> Iterator[str]:
        return iter(self._drafts)

    def __len__(self) -> int:
        return len(self._drafts)


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
    plan = _plan(rules)
    names = plan.names
    if overrides:
        unknown = sorted(set(overrides) - set(names))
        if unknown:
            raise ValueError(f"overrides for unknown {rules.domain} attributes: {', '.join(unknown)}")

    # Every attribute's candidates in one pass over the members (member order, as candidates_for).
    # (``_candidate`` inlined: a candidate's fields after "value" are its member's, shared per member.)
    pools: dict[str, list[Candidate]] = {}
    known = plan.known
    for m in members:
        member = m.__dict__
        source = {
            "system": member["system"],
            "record_id": member["record_id"],
            "source_key": member["source_key"],
            "version": member["version"],
            "updated_at": member["updated_at"],
            "trust": None,
        }
        for attribute, value in member["fields"].items():
            if attribute not in known or value is None or (isinstance(value, _EMPTY_WHEN_FALSY) and not value):
                continue
            c = _new(Candidate)
            _setattr(c, "__dict__", {"value": value, **source})
            _set_fields_set(c, set(_CANDIDATE_FIELDS))
            _set_extra(c, None)
            _set_private(c, None)
            pool = pools.get(attribute)
            if pool is None:
                pools[attribute] = [c]
            else:
                pool.append(c)

    drafts: dict[str, DecisionDraft] = {}
    env = {
        "now": now,
        "rules": rules,
        "members": dict(zip(ids, members)),
        "decided": _Decided(drafts),
        "overrides": overrides or {},
    }
    no_override = plan.override is steward_override and not overrides
    for ap in plan.order:
        pool = pools.get(ap.attribute)
        if pool is None and no_override:
            drafts[ap.attribute] = ap.empty
        else:
            drafts[ap.attribute] = _decide(plan, ap, pool or [], env)
    if plan.reordered:
        drafts = {a: drafts[a] for a in names}
    return GoldenBuild.from_drafts({a: d.value for a, d in drafts.items()}, drafts, members, rules.domain)
