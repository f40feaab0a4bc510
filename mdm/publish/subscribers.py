"""Managing subscribers: the service layer behind `mdm subscriber` and the
admin GraphQL API. Every function takes a session and commits its change.

    spec = SubscriberSpec(name="crm", domains=["customer"],
                          target=WebhookTarget(url="https://crm.example/hooks/mdm"))
    info = add_subscriber(session, spec, now=utcnow())
    info.secret  # shown once; the receiver verifies signatures with it
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from mdm.publish.outbox import CHANGE_TYPES
from mdm.publish.policy import routing_key
from mdm.store.publishing_tables import Delivery, Subscriber
from mdm.store.tables import OutboxEvent

DOMAINS = ("customer", "item", "price")
DEFAULT_ROUTING_KEY = "mdm.{domain}.{change}"
DEFAULT_MAX_ATTEMPTS = 8
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"


class SubscriberError(ValueError):
    """A subscriber request that cannot be done; the message says why."""


class SubscriberNotFound(SubscriberError):
    """No subscriber has that name."""


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookTarget(BaseModel):
    kind: Literal["webhook"] = "webhook"
    url: str
    # Generated when not given.
    secret: str | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"webhook URL must be http(s)://host/..., not {url!r}")
        return url

    @field_validator("secret")
    @classmethod
    def _secret(cls, secret: str | None) -> str | None:
        if secret is None:
            return None
        try:
            raw = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except ValueError:
            raw = b""
        if len(raw) < 16:
            raise ValueError("secret must be whsec_ + base64 of at least 16 bytes")
        return secret


class RabbitMQTarget(BaseModel):
    kind: Literal["rabbitmq"] = "rabbitmq"
    exchange: str = Field(min_length=1, max_length=255)
    # Placeholders: {domain} {change} {subject} {type}
    routing_key: str = DEFAULT_ROUTING_KEY
    # Default: MDM_PUBLISH_AMQP_URL of the dispatcher.
    amqp_url: str | None = None

    @field_validator("routing_key")
    @classmethod
    def _pattern(cls, template: str) -> str:
        try:
            routing_key(template, domain="d", change="c", subject="s", type="t")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"routing key pattern {template!r}: unknown placeholder {exc}") from None
        return template


class SubscriberSpec(BaseModel):
    name: str = Field(pattern=NAME_PATTERN)
    domains: list[str] = []
    changes: list[str] = []
    attributes: list[str] | None = None
    target: Annotated[WebhookTarget | RabbitMQTarget, Field(discriminator="kind")]
    max_attempts: int = Field(DEFAULT_MAX_ATTEMPTS, ge=1, le=100)
    # None: only changes from now on; else replay from this sequence.
    from_sequence: int | None = Field(None, ge=1)

    @field_validator("domains")
    @classmethod
    def _domains(cls, domains: list[str]) -> list[str]:
        unknown = sorted(set(domains) - set(DOMAINS))
        if unknown:
            raise ValueError(f"unknown domain(s) {unknown}; choose from {list(DOMAINS)}")
        return sorted(set(domains))

    @field_validator("changes")
    @classmethod
    def _changes(cls, changes: list[str]) -> list[str]:
        unknown = sorted(set(changes) - set(CHANGE_TYPES))
        if unknown:
            raise ValueError(f"unknown change type(s) {unknown}; choose from {list(CHANGE_TYPES)}")
        return sorted(set(changes))


@dataclass(frozen=True)
class SubscriberInfo:
    name: str
    status: str
    status_reason: str | None
    domains: list[str]
    changes: list[str]
    attributes: list[str] | None
    sink_kind: str
    sink: dict[str, Any]
    max_attempts: int
    cursor: int
    delivered: int
    last_delivered_sequence: int | None
    last_delivered_at: datetime | None
    pending: int
    dead: int
    created_at: datetime
    # Only in the answer to add_subscriber.
    secret: str | None = None

    @property
    def target(self) -> str:
        if self.sink_kind == "webhook":
            return self.sink["url"]
        return f"amqp exchange {self.sink['exchange']} key {self.sink['routing_key']}"


@dataclass(frozen=True)
class DeadLetter:
    sequence: int
    event_id: str
    type: str
    subject: str
    attempts: int
    reason: str | None
    dead_at: datetime | None


def _get(session: Session, name: str, *, lock: bool = False) -> Subscriber:
    query = select(Subscriber).where(Subscriber.name == name)
    if lock:
        query = query.with_for_update()
    sub = session.execute(query).scalar_one_or_none()
    if sub is None:
        raise SubscriberNotFound(f"no subscriber named {name!r}")
    return sub


def _counts(session: Session, ids: list[int]) -> dict[tuple[int, str], int]:
    if not ids:
        return {}
    rows = session.execute(
        select(Delivery.subscriber_id, Delivery.status, func.count())
        .where(Delivery.subscriber_id.in_(ids))
        .group_by(Delivery.subscriber_id, Delivery.status)
    ).all()
    return {(sid, status): n for sid, status, n in rows}


def _info(sub: Subscriber, counts: dict[tuple[int, str], int], secret: str | None = None) -> SubscriberInfo:
    return SubscriberInfo(
        name=sub.name, status=sub.status, status_reason=sub.status_reason, domains=list(sub.domains),
        changes=list(sub.changes), attributes=None if sub.attributes is None else list(sub.attributes),
        sink_kind=sub.sink_kind, sink=dict(sub.sink), max_attempts=sub.max_attempts, cursor=sub.cursor,
        delivered=sub.delivered, last_delivered_sequence=sub.last_delivered_sequence,
        last_delivered_at=sub.last_delivered_at, pending=counts.get((sub.id, "pending"), 0),
        dead=counts.get((sub.id, "dead"), 0), created_at=sub.created_at, secret=secret,
    )


def add_subscriber(session: Session, spec: SubscriberSpec, *, now: datetime) -> SubscriberInfo:
    if session.execute(select(Subscriber.id).where(Subscriber.name == spec.name)).first():
        raise SubscriberError(f"a subscriber named {spec.name!r} already exists")
    target = spec.target
    secret = None
    if isinstance(target, WebhookTarget):
        secret = target.secret or new_secret()
    if spec.from_sequence is None:
        cursor = session.execute(select(func.coalesce(func.max(OutboxEvent.sequence), 0))).scalar_one()
    else:
        cursor = spec.from_sequence - 1
    sub = Subscriber(
        name=spec.name, domains=spec.domains, changes=spec.changes, attributes=spec.attributes,
        sink_kind=target.kind, sink=target.model_dump(exclude={"kind", "secret"}, exclude_none=True),
        secret=secret, max_attempts=spec.max_attempts, status="active", cursor=cursor, delivered=0,
        created_at=now, updated_at=now,
    )
    session.add(sub)
    session.commit()
    return _info(sub, {}, secret)


def list_subscribers(session: Session) -> list[SubscriberInfo]:
    subs = session.execute(select(Subscriber).order_by(Subscriber.name)).scalars().all()
    counts = _counts(session, [s.id for s in subs])
    return [_info(s, counts) for s in subs]


def get_subscriber(session: Session, name: str) -> SubscriberInfo:
    sub = _get(session, name)
    return _info(sub, _counts(session, [sub.id]))


def pause_subscriber(session: Session, name: str, *, now: datetime, reason: str = "paused by an operator") -> None:
    _set_status(session, _get(session, name, lock=True).id, "paused", reason, now)


def resume_subscriber(session: Session, name: str, *, now: datetime) -> None:
    _set_status(session, _get(session, name, lock=True).id, "active", None, now)


def _set_status(session: Session, subscriber_id: int, status: str, reason: str | None, now: datetime) -> None:
    session.execute(
        update(Subscriber).where(Subscriber.id == subscriber_id).values(status=status, status_reason=reason, updated_at=now)
    )
    session.commit()


def pause_by_id(session: Session, subscriber_id: int, *, now: datetime, reason: str) -> None:
    """The dispatcher's pause (410 Gone). Does not commit."""
    session.execute(
        update(Subscriber).where(Subscriber.id == subscriber_id).values(status="paused", status_reason=reason, updated_at=now)
    )


def remove_subscriber(session: Session, name: str) -> None:
    sub = _get(session, name, lock=True)
    session.execute(delete(Delivery).where(Delivery.subscriber_id == sub.id))
    session.delete(sub)
    session.commit()


def replay(
    session: Session, name: str, *, now: datetime, from_sequence: int | None = None, since: datetime | None = None,
) -> int:
    """Deliver again every event from a sequence, or from a moment, on. Returns
    the first sequence that will be replayed."""
    if (from_sequence is None) == (since is None):
        raise SubscriberError("replay needs exactly one of a sequence and a time")
    if since is not None:
        first = session.execute(
            select(func.min(OutboxEvent.sequence)).where(OutboxEvent.created_at >= since.astimezone(timezone.utc))
        ).scalar_one_or_none()
        if first is None:
            first = session.execute(select(func.coalesce(func.max(OutboxEvent.sequence), 0))).scalar_one() + 1
    else:
        first = max(1, from_sequence)
    sub = _get(session, name, lock=True)
    # Dead letters in the range are re-routed with everything else.
    session.execute(delete(Delivery).where(
        Delivery.subscriber_id == sub.id, Delivery.status == "dead", Delivery.sequence >= first
    ))
    sub.cursor = min(sub.cursor, first - 1)
    sub.updated_at = now
    session.commit()
    return first


def dead_letters(session: Session, name: str, *, limit: int = 100) -> list[DeadLetter]:
    sub = _get(session, name)
    rows = session.execute(
        select(Delivery, OutboxEvent)
        .join(OutboxEvent, OutboxEvent.sequence == Delivery.sequence)
        .where(Delivery.subscriber_id == sub.id, Delivery.status == "dead")
        .order_by(Delivery.sequence)
        .limit(limit)
    ).all()
    return [
        DeadLetter(d.sequence, e.event_id, e.type, d.subject, d.attempts, d.last_error, d.dead_at) for d, e in rows
    ]


def redrive(session: Session, name: str, *, now: datetime, sequences: list[int] | None = None) -> int:
    """Put dead letters back in the queue with fresh attempts. Returns how many."""
    sub = _get(session, name)
    query = update(Delivery).where(Delivery.subscriber_id == sub.id, Delivery.status == "dead")
    if sequences:
        query = query.where(Delivery.sequence.in_(sequences))
    count = session.execute(
        query.values(status="pending", attempts=0, next_attempt_at=now, dead_at=None, lease_owner=None, lease_until=None)
    ).rowcount
    session.commit()
    return count


def rotate_secret(session: Session, name: str, *, now: datetime, secret: str | None = None) -> str:
    """Give a webhook subscriber a new signing secret (generated when not
    given); later deliveries are signed with it. Returns the secret."""
    sub = _get(session, name, lock=True)
    if sub.sink_kind != "webhook":
        raise SubscriberError(f"{name} publishes to RabbitMQ; only webhooks are signed")
    try:
        sub.secret = WebhookTarget(url=sub.sink["url"], secret=secret or new_secret()).secret
    except ValidationError as exc:
        raise SubscriberError("; ".join(e["msg"] for e in exc.errors())) from None
    sub.updated_at = now
    session.commit()
    return sub.secret


def spec_error(exc: ValidationError) -> SubscriberError:
    """A SubscriberSpec validation failure as one readable message naming each field."""
    return SubscriberError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
