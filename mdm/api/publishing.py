"""Publishing over GraphQL: the `changes` pull feed (readers) and the
subscriber administration behind `mdm subscriber` (admins).

```graphql
{ changes(since: 0, first: 100, domain: CUSTOMER) { events { sequence type subject data } endCursor hasNextPage } }
mutation { addSubscriber(input: {name: "crm", domains: [CUSTOMER], webhook: {url: "https://crm.example/hooks"}}) { secret } }
```"""

from __future__ import annotations

import enum
from datetime import datetime, timezone

import strawberry
from pydantic import ValidationError
from strawberry.scalars import JSON
from strawberry.types import Info

from mdm.api.auth import require_role
from mdm.api.errors import DomainError, NotFound
from mdm.api.types import BigInt, Domain
from mdm.publish import changelog
from mdm.publish import subscribers as service

# One page of the feed; a consumer resumes from endCursor.
MAX_CHANGES = 1000
MAX_DEAD_LETTERS = 1000


def _now() -> datetime:
    return datetime.now(timezone.utc)


@strawberry.enum(description="The kind of golden-record change an event reports.")
class ChangeKind(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    MERGED = "merged"
    SPLIT = "split"
    DELETED = "deleted"


@strawberry.enum(description="Where a subscriber's events go.")
class SinkKind(enum.Enum):
    WEBHOOK = "webhook"
    RABBITMQ = "rabbitmq"


@strawberry.type(description="A system that receives golden-record change events, with its delivery state.")
class Subscriber:
    name: str
    status: str = strawberry.field(description="active or paused.")
    status_reason: str | None = strawberry.field(description="Why it is paused (an operator, or a 410 Gone).")
    domains: list[Domain] = strawberry.field(description="Empty: every domain.")
    changes: list[ChangeKind] = strawberry.field(description="Empty: every change type.")
    attributes: list[str] | None = strawberry.field(description="Updates are sent only when one of these changed.")
    sink: SinkKind
    target: str = strawberry.field(description="The webhook URL, or the RabbitMQ exchange and routing key.")
    max_attempts: int
    cursor: BigInt = strawberry.field(description="The last event sequence routed to this subscriber.")
    delivered: int
    last_delivered_sequence: BigInt | None
    last_delivered_at: datetime | None
    pending: int = strawberry.field(description="Events queued for delivery or retry.")
    dead_letters: int

    @classmethod
    def of(cls, s: service.SubscriberInfo) -> Subscriber:
        return cls(
            name=s.name, status=s.status, status_reason=s.status_reason, domains=[Domain(d) for d in s.domains],
            changes=[ChangeKind(c) for c in s.changes], attributes=s.attributes, sink=SinkKind(s.sink_kind),
            target=s.target, max_attempts=s.max_attempts, cursor=s.cursor, delivered=s.delivered,
            last_delivered_sequence=s.last_delivered_sequence, last_delivered_at=s.last_delivered_at,
            pending=s.pending, dead_letters=s.dead,
        )


@strawberry.type
class AddedSubscriber:
    subscriber: Subscriber
    secret: str | None = strawberry.field(
        description="The webhook signing secret (Standard Webhooks, whsec_...); shown once, store it now."
    )


@strawberry.type(description="An event given up after its last attempt; redrive puts it back in the queue.")
class DeadLetter:
    sequence: BigInt
    event_id: str
    type: str
    subject: str
    attempts: int
    reason: str | None
    dead_at: datetime | None


@strawberry.type(description="One change event as a CloudEvent 1.0.")
class ChangeEvent:
    sequence: BigInt = strawberry.field(description="Position in the change log; resume after it.")
    id: str = strawberry.field(description="The CloudEvent id: the same on every delivery and replay.")
    type: str
    source: str
    subject: str = strawberry.field(description="The golden id.")
    time: datetime
    version: int = strawberry.field(description="The golden record's version after this change.")
    correlation_id: str | None = strawberry.field(description="Carried over from the ingest that caused the change.")
    data: JSON = strawberry.field(description="Golden record, changed attributes, version, xref, correlation id.")


@strawberry.type(description="A page of the change feed.")
class ChangeFeed:
    events: list[ChangeEvent]
    end_cursor: BigInt = strawberry.field(description="Pass as `since` for the next page.")
    has_next_page: bool


@strawberry.input(description="Deliver by signed HTTP POST.")
class WebhookSinkInput:
    url: str
    secret: str | None = strawberry.field(default=None, description="whsec_...; generated when not given.")


@strawberry.input(description="Publish to an existing RabbitMQ exchange.")
class RabbitMQSinkInput:
    exchange: str
    routing_key: str = strawberry.field(
        default=service.DEFAULT_ROUTING_KEY, description="Placeholders {domain} {change} {subject} {type}."
    )
    amqp_url: str | None = strawberry.field(default=None, description="Default: the dispatcher's MDM_PUBLISH_AMQP_URL.")


@strawberry.input(description="A new subscriber: give exactly one of webhook and rabbitmq.")
class SubscriberInput:
    name: str
    webhook: WebhookSinkInput | None = None
    rabbitmq: RabbitMQSinkInput | None = None
    domains: list[Domain] = strawberry.field(default_factory=list, description="Empty: every domain.")
    changes: list[ChangeKind] = strawberry.field(default_factory=list, description="Empty: every change type.")
    attributes: list[str] | None = strawberry.field(default=None, description="Only updates that change one of these.")
    max_attempts: int = service.DEFAULT_MAX_ATTEMPTS
    from_sequence: BigInt | None = strawberry.field(
        default=None, description="Also deliver past events from this sequence on (1: from the beginning); default: from now on."
    )


def _spec(data: SubscriberInput) -> service.SubscriberSpec:
    if (data.webhook is None) == (data.rabbitmq is None):
        raise DomainError("give exactly one of webhook and rabbitmq")
    if data.webhook is not None:
        target = {"kind": "webhook", "url": data.webhook.url, "secret": data.webhook.secret}
    else:
        r = data.rabbitmq
        target = {"kind": "rabbitmq", "exchange": r.exchange, "routing_key": r.routing_key, "amqp_url": r.amqp_url}
    try:
        return service.SubscriberSpec(
            name=data.name, domains=[d.value for d in data.domains], changes=[c.value for c in data.changes],
            attributes=data.attributes, target=target, max_attempts=data.max_attempts, from_sequence=data.from_sequence,
        )
    except ValidationError as exc:
        raise DomainError(str(service.spec_error(exc))) from None


async def _call(info: Info, fn, *args, **kwargs):
    """Run a subscriber service call; its refusals reach the caller as they are."""
    try:
        return await info.context.db(fn, *args, **kwargs)
    except service.SubscriberNotFound as exc:
        raise NotFound(str(exc)) from None
    except service.SubscriberError as exc:
        raise DomainError(str(exc)) from None


async def _subscriber(info: Info, name: str) -> Subscriber:
    return Subscriber.of(await _call(info, service.get_subscriber, name))


@strawberry.type
class PublishingQuery:
    @strawberry.field(
        description="The change feed: change events after sequence `since`, oldest first, never skipping one "
        "that commits late. Resume with `endCursor`."
    )
    async def changes(
        self, info: Info, since: BigInt = 0, first: int = 100, domain: Domain | None = None
    ) -> ChangeFeed:
        require_role(info, "reader")
        if not 1 <= first <= MAX_CHANGES:
            raise DomainError(f"first must be between 1 and {MAX_CHANGES}, got {first}")
        if since < 0:
            raise DomainError(f"since must be a sequence number (0 for the beginning), got {since}")
        page = await info.context.db(changelog.changes, since, first, domain=domain.value if domain else None)
        return ChangeFeed(
            events=[
                ChangeEvent(
                    sequence=e["sequence"], id=e["id"], type=e["type"], source=e["source"], subject=e["subject"],
                    time=datetime.fromisoformat(e["time"]), version=e["version"],
                    correlation_id=e.get("correlationid"), data=e["data"],
                )
                for e in page.events
            ],
            end_cursor=page.end_cursor, has_next_page=page.has_next,
        )

    @strawberry.field(description="Every subscriber with its delivery state (admin).")
    async def subscribers(self, info: Info) -> list[Subscriber]:
        require_role(info, "admin")
        return [Subscriber.of(s) for s in await _call(info, service.list_subscribers)]

    @strawberry.field(description="One subscriber by name (admin).")
    async def subscriber(self, info: Info, name: str) -> Subscriber:
        require_role(info, "admin")
        return await _subscriber(info, name)

    @strawberry.field(description="A subscriber's dead-lettered events with the reason each was given up (admin).")
    async def dead_letters(self, info: Info, subscriber: str, first: int = 100) -> list[DeadLetter]:
        require_role(info, "admin")
        if not 1 <= first <= MAX_DEAD_LETTERS:
            raise DomainError(f"first must be between 1 and {MAX_DEAD_LETTERS}, got {first}")
        rows = await _call(info, service.dead_letters, subscriber, limit=first)
        return [
            DeadLetter(sequence=d.sequence, event_id=d.event_id, type=d.type, subject=d.subject, attempts=d.attempts,
                       reason=d.reason, dead_at=d.dead_at)
            for d in rows
        ]


@strawberry.type
class PublishingMutation:
    @strawberry.mutation(description="Register a subscriber (admin). It receives changes from now on unless `fromSequence` says earlier.")
    async def add_subscriber(self, info: Info, input: SubscriberInput) -> AddedSubscriber:
        require_role(info, "admin")
        added = await _call(info, service.add_subscriber, _spec(input), now=_now())
        return AddedSubscriber(subscriber=Subscriber.of(added), secret=added.secret)

    @strawberry.mutation(description="Stop deliveries to a subscriber; its events keep queueing (admin).")
    async def pause_subscriber(self, info: Info, name: str, reason: str = "paused by an operator") -> Subscriber:
        require_role(info, "admin")
        await _call(info, service.pause_subscriber, name, now=_now(), reason=reason)
        return await _subscriber(info, name)

    @strawberry.mutation(description="Resume deliveries, starting with what queued while paused (admin).")
    async def resume_subscriber(self, info: Info, name: str) -> Subscriber:
        require_role(info, "admin")
        await _call(info, service.resume_subscriber, name, now=_now())
        return await _subscriber(info, name)

    @strawberry.mutation(
        description="Deliver past events again, with their original event ids, from a sequence or a time: "
        "give exactly one (admin)."
    )
    async def replay_subscriber(
        self, info: Info, name: str, from_sequence: BigInt | None = None, since: datetime | None = None
    ) -> Subscriber:
        require_role(info, "admin")
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        await _call(info, service.replay, name, now=_now(), from_sequence=from_sequence, since=since)
        return await _subscriber(info, name)

    @strawberry.mutation(description="Put dead letters back in the queue with fresh attempts; all, or these sequences. Returns how many (admin).")
    async def redrive_dead_letters(self, info: Info, name: str, sequences: list[BigInt] | None = None) -> int:
        require_role(info, "admin")
        return await _call(info, service.redrive, name, now=_now(), sequences=list(sequences) if sequences else None)

    @strawberry.mutation(description="Give a webhook subscriber a new signing secret, returned once (admin).")
    async def rotate_subscriber_secret(self, info: Info, name: str, secret: str | None = None) -> str:
        require_role(info, "admin")
        return await _call(info, service.rotate_secret, name, now=_now(), secret=secret)

    @strawberry.mutation(description="Remove a subscriber with its queue and dead letters; returns its name (admin).")
    async def remove_subscriber(self, info: Info, name: str) -> str:
        require_role(info, "admin")
        await _call(info, service.remove_subscriber, name)
        return name
