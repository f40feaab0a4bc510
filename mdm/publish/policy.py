"""Pure decisions of the dispatcher: which events a subscriber wants, which
claimed events may go next without overtaking an earlier one of the same
golden record, how an attempt's result is judged, and when to try again."""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

# Changes that alter which golden records exist; an attribute filter never hides them.
LIFECYCLE_CHANGES = frozenset({"created", "merged", "split", "deleted"})


@dataclass(frozen=True)
class EventFilter:
    """What a subscriber wants. Empty domains/changes mean all; attributes
    None means every event, else only updates touching one of them."""

    domains: frozenset[str] = frozenset()
    changes: frozenset[str] = frozenset()
    attributes: frozenset[str] | None = None

    @classmethod
    def of(cls, domains: Iterable[str] = (), changes: Iterable[str] = (), attributes: Iterable[str] | None = None):
        return cls(frozenset(domains), frozenset(changes), None if attributes is None else frozenset(attributes))

    def matches(self, domain: str, change: str, changed: Iterable[str] = ()) -> bool:
        if self.domains and domain not in self.domains:
            return False
        if self.changes and change not in self.changes:
            return False
        if self.attributes is None or change in LIFECYCLE_CHANGES:
            return True
        return not self.attributes.isdisjoint(changed)


def change_of(event_type: str) -> str:
    """`mdm.customer.updated` -> `updated`."""
    return event_type.rsplit(".", 1)[-1]


def routing_key(template: str, *, domain: str, change: str, subject: str, type: str) -> str:
    return template.format(domain=domain, change=change, subject=subject, type=type)


# --- order per golden record -------------------------------------------------


@dataclass(frozen=True)
class Queued:
    id: int
    subject: str
    sequence: int


def sendable(claimed: Sequence[Queued], pending_earlier: Iterable[tuple[str, int]]) -> list[Queued]:
    """The claimed deliveries that may be sent now, in sequence order.

    `pending_earlier` are (subject, sequence) of every undelivered, not
    dead-lettered delivery of the same subscriber and subjects, claimed by
    anyone or not yet due. A claimed delivery may go only when every earlier
    one of its subject is in this claim too: never overtake within a record."""
    mine = {(q.subject, q.sequence) for q in claimed}
    first_blocker: dict[str, int] = {}
    for subject, seq in pending_earlier:
        if (subject, seq) not in mine and seq < first_blocker.get(subject, seq + 1):
            first_blocker[subject] = seq
    return sorted(
        (q for q in claimed if q.sequence < first_blocker.get(q.subject, q.sequence + 1)),
        key=lambda q: q.sequence,
    )


def chains(items: Iterable[Any], subject: Callable[[Any], str]) -> list[list[Any]]:
    """Group items by subject, keeping their order: each chain is sent one by
    one, different chains concurrently."""
    grouped: dict[str, list[Any]] = {}
    for item in items:
        grouped.setdefault(subject(item), []).append(item)
    return list(grouped.values())


def contiguous_end(after: int, sequences: Sequence[int]) -> int:
    """The last sequence reached from `after` without a gap (sorted input)."""
    end = after
    for seq in sequences:
        if seq != end + 1:
            break
        end = seq
    return end


# --- judging an attempt and scheduling the next -------------------------------


class Verdict(enum.Enum):
    DELIVERED = "delivered"
    RETRY = "retry"  # transient: try again later
    DEAD = "dead"  # permanent: dead-letter now
    PAUSE = "pause"  # the endpoint is gone: pause the subscriber, keep the event


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    reason: str = ""
    retry_after: float | None = None


DELIVERED = Outcome(Verdict.DELIVERED)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as delay-seconds or an HTTP-date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


def classify_http(status: int, retry_after: str | None, now: datetime) -> Outcome:
    """The policy documented in `mdm.publish`."""
    if 200 <= status < 300:
        return DELIVERED
    reason = f"HTTP {status}"
    if status == 410:
        return Outcome(Verdict.PAUSE, f"{reason} Gone: the endpoint asked to stop deliveries")
    if status == 429 or status == 503:
        return Outcome(Verdict.RETRY, reason, parse_retry_after(retry_after, now))
    if status >= 500 or status == 408:
        return Outcome(Verdict.RETRY, reason)
    if 300 <= status < 400:
        return Outcome(Verdict.DEAD, f"{reason}: redirects are not followed")
    return Outcome(Verdict.DEAD, f"{reason}: rejected by the receiver")


@dataclass(frozen=True)
class RetryPolicy:
    base: float = 1.0  # seconds before the first retry
    factor: float = 2.0
    cap: float = 600.0  # longest backoff
    max_retry_after: float = 3600.0  # a receiver cannot park an event longer

    def backoff(self, attempts: int, rand: Callable[[], float] = random.random) -> float:
        """Delay after `attempts` failed attempts: exponential and capped, half
        of it random so failing subscribers do not retry in lock-step."""
        delay = min(self.cap, self.base * self.factor ** max(0, attempts - 1))
        return delay / 2 + rand() * delay / 2


@dataclass(frozen=True)
class Decision:
    action: str  # delete | retry | dead | pause | release
    delay: float = 0.0
    reason: str = ""


def decide(
    outcome: Outcome | None, attempts: int, max_attempts: int, policy: RetryPolicy,
    rand: Callable[[], float] = random.random,
) -> Decision:
    """What to do with a delivery after an attempt. `attempts` counts this
    attempt; `outcome` None means it was not attempted (an earlier event of
    its record failed first), so it only goes back to the queue."""
    if outcome is None:
        return Decision("release")
    if outcome.verdict is Verdict.DELIVERED:
        return Decision("delete")
    if outcome.verdict is Verdict.PAUSE:
        return Decision("pause", reason=outcome.reason)
    if outcome.verdict is Verdict.DEAD:
        return Decision("dead", reason=outcome.reason)
    if attempts >= max_attempts:
        return Decision("dead", reason=f"gave up after {attempts} attempts: {outcome.reason}")
    if outcome.retry_after is not None:
        return Decision("retry", min(outcome.retry_after, policy.max_retry_after), outcome.reason)
    return Decision("retry", policy.backoff(attempts, rand), outcome.reason)
