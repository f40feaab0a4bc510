"""Built-in survivorship strategies: pure functions from candidates to a verdict.

A strategy gets the candidates still in the running, the context and its
YAML parameter, and returns one of:

- ``Narrowed``: the candidates it prefers (several means a tie it cannot
  break) and, for each one it eliminated, why;
- ``Settled``: it fixed the value itself (``aggregate``, ``steward_override``);
- ``Undecided``: it cannot judge these candidates; the chain falls back.

A new strategy is one function and one registration line::

    @strategies.register("shortest_email_domain")
    def shortest_email_domain(candidates, ctx, param): ...
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mdm.survivorship.models import Candidate, Decision, MemberRecord, Override
from mdm.survivorship.registry import strategies
from mdm.survivorship.trust import TrustDecay
from mdm.survivorship.values import identity, order_keys, show, show_moment

if TYPE_CHECKING:
    from mdm.survivorship.rules import SurvivorshipRules

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Context:
    """What a strategy may look at besides the candidates."""

    attribute: str
    now: datetime
    rules: SurvivorshipRules
    members: Mapping[int, MemberRecord] = field(default_factory=dict)
    decided: Mapping[str, Decision] = field(default_factory=dict)
    overrides: Mapping[str, Override] = field(default_factory=dict)


@dataclass(frozen=True)
class Narrowed:
    kept: list[Candidate]
    lost: dict[int, str]  # record_id -> why it lost


@dataclass(frozen=True)
class Settled:
    value: Any
    won: dict[int, str]
    lost: dict[int, str]
    override: Override | None = None


@dataclass(frozen=True)
class Undecided:
    reason: str


Verdict = Narrowed | Settled | Undecided


def keep_best(
    candidates: list[Candidate],
    score: Callable[[Candidate], Any],
    why_lost: Callable[[Candidate, Candidate], str],
    pick: Callable[..., Any] = max,
) -> Narrowed:
    """Keep the candidates with the best score (``pick``: max or min); ``why_lost(loser, best)`` explains the rest."""
    if len(candidates) == 1 and (pick is max or pick is min):
        # The common single candidate: it is the best unless its score is not even equal to itself (NaN).
        only = candidates[0]
        best_score = score(only)
        if best_score == best_score:
            return Narrowed([only], {})
        scores = {only.record_id: best_score}
    else:
        scores = {c.record_id: score(c) for c in candidates}
        best_score = pick(scores.values())
    kept = [c for c in candidates if scores[c.record_id] == best_score]
    lost = {c.record_id: why_lost(c, kept[0]) for c in candidates if scores[c.record_id] != best_score}
    return Narrowed(kept, lost)


@strategies.register("steward_override")
def steward_override(candidates: list[Candidate], ctx: Context, _: None) -> Verdict:
    override = ctx.overrides.get(ctx.attribute)
    if override is None or not override.is_pinned(ctx.now):
        return Undecided("no pinned steward override")
    reason = f"steward override by {override.actor}: {override.reason}"
    return Settled(override.value, {}, {c.record_id: reason for c in candidates}, override)


@strategies.register("source_priority", param=list[str])
def source_priority(candidates: list[Candidate], ctx: Context, systems: list[str]) -> Verdict:
    if len(candidates) == 1 and candidates[0].system in systems:
        return Narrowed([candidates[0]], {})
    rank = {system: i for i, system in enumerate(systems)}
    listed = [c for c in candidates if c.system in rank]
    if not listed:
        return Undecided(f"no candidate from {', '.join(systems)}")
    top = systems[min(rank[c.system] for c in listed)]
    kept = [c for c in listed if c.system == top]
    lost = {
        c.record_id: f"lower source priority: {c.system} after {top}"
        if c.system in rank
        else f"lower source priority: {c.system} not in [{', '.join(systems)}]"
        for c in candidates
        if c.system != top
    }
    return Narrowed(kept, lost)


@strategies.register("most_recent")
def most_recent(candidates: list[Candidate], ctx: Context, _: None) -> Verdict:
    def why(c: Candidate, best: Candidate) -> str:
        return "older: {} < {}".format(*show_moment(c.updated_at, best.updated_at))

    return keep_best(candidates, lambda c: c.updated_at, why)


@strategies.register("most_frequent")
def most_frequent(candidates: list[Candidate], ctx: Context, _: None) -> Verdict:
    counts = Counter(identity(c.value) for c in candidates)

    def frequency(c: Candidate) -> int:
        return counts[identity(c.value)]

    return keep_best(
        candidates, frequency, lambda c, best: f"less frequent: {frequency(c)} < {frequency(best)} occurrences"
    )


@strategies.register("most_complete")
def most_complete(candidates: list[Candidate], ctx: Context, _: None) -> Verdict:
    def filled(c: Candidate) -> int:
        member = ctx.members.get(c.record_id)
        return member.filled if member else 0

    return keep_best(
        candidates, filled, lambda c, best: f"less complete record: {filled(c)} < {filled(best)} fields filled"
    )


def _length(c: Candidate) -> int:
    return len(show(c.value))


@strategies.register("longest")
def longest(candidates: list[Candidate], ctx: Context, _: None) -> Verdict:
    return keep_best(candidates, _length, lambda c, best: f"shorter: {_length(c)} < {_length(best)} characters")


@strategies.register("shortest")
def shortest(candidates: list[Candidate], ctx: Context, _: None) -> Verdict:
    return keep_best(
        candidates, _length, lambda c, best: f"longer: {_length(c)} > {_length(best)} characters", pick=min
    )


def _value_order(candidates: list[Candidate]) -> Callable[[Candidate], Any]:
    """Numeric, date or text order over these candidates' values (see ``order_keys``)."""
    keys = dict(zip((c.record_id for c in candidates), order_keys([c.value for c in candidates])))
    return lambda c: keys[c.record_id]


@strategies.register("max")
def maximum(candidates: list[Candidate], ctx: Context, _: None) -> Verdict:
    return keep_best(
        candidates, _value_order(candidates), lambda c, best: f"smaller: {show(c.value)} < {show(best.value)}"
    )


@strategies.register("min")
def minimum(candidates: list[Candidate], ctx: Context, _: None) -> Verdict:
    return keep_best(
        candidates,
        _value_order(candidates),
        lambda c, best: f"larger: {show(c.value)} > {show(best.value)}",
        pick=min,
    )


def trust_at(candidate: Candidate, ctx: Context, decay: TrustDecay | None = None) -> float:
    """The candidate's trust (its own, else its source's), faded by its age at ``ctx.now``."""
    base = candidate.trust if candidate.trust is not None else ctx.rules.trust_of(candidate.system)
    age_days = (ctx.now - candidate.updated_at).total_seconds() / SECONDS_PER_DAY
    return (decay or ctx.rules.decay_of(candidate.system)).apply(base, age_days)


@strategies.register("trust", param=TrustDecay | None, default=None)
def trust(candidates: list[Candidate], ctx: Context, decay: TrustDecay | None) -> Verdict:
    """Highest trust; a ``{trust: {kind: .., ..}}`` parameter replaces the sources' decay."""

    def score(c: Candidate) -> float:
        # Rounded so float noise does not break a tie the sources' settings make.
        return round(trust_at(c, ctx, decay), 9)

    return keep_best(candidates, score, lambda c, best: f"lower trust: {score(c):.3f} < {score(best):.3f}")


@strategies.register("same_source_as", param=str)
def same_source_as(candidates: list[Candidate], ctx: Context, target: str) -> Verdict:
    decision = ctx.decided.get(target)
    winner = decision.winner if decision else None
    if winner is None:
        return Undecided(f"{target} has no winning source record")
    kept = [c for c in candidates if c.record_id == winner.record_id]
    if not kept:
        return Undecided(f"the record that won {target} ({winner.label}) has no valid {ctx.attribute}")
    reason = f"not from the record that won {target} ({winner.label})"
    return Narrowed(kept, {c.record_id: reason for c in candidates if c.record_id != winner.record_id})


@strategies.register("aggregate")
def aggregate(candidates: list[Candidate], ctx: Context, _: None) -> Verdict:
    """Union of the distinct values, oldest first, so new values append at the end."""
    union: list[Any] = []
    seen: set[str] = set()
    won: dict[int, str] = {}
    for c in sorted(candidates, key=lambda c: (c.updated_at, c.record_id)):
        added = 0
        for value in c.value if isinstance(c.value, list) else [c.value]:
            if identity(value) not in seen:
                seen.add(identity(value))
                union.append(value)
                added += 1
        won[c.record_id] = "included in the union" if added else "duplicate of a value already included"
    return Settled(union, won, {})
