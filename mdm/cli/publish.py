"""`mdm publish` (the change dispatcher) and `mdm subscriber ...`."""

from __future__ import annotations

import asyncio
import signal
from datetime import datetime, timezone

import typer
from pydantic import ValidationError
from rich.table import Table

from mdm.cli.app import app, console, fail, open_store
from mdm.cli.setup import ensure_schema
from mdm.logging import configure_logging
from mdm.publish import subscribers as service
from mdm.publish.dispatcher import run_dispatcher
from mdm.publish.settings import PublishSettings

subscriber_app = typer.Typer(help="Manage the systems that receive change events.", no_args_is_help=True)
app.add_typer(subscriber_app, name="subscriber")


def _now() -> datetime:
    return datetime.now(timezone.utc)


@app.command()
def publish(
    once: bool = typer.Option(False, "--once", help="deliver what is due, then exit"),
    batch_size: int | None = typer.Option(None, help="events claimed per batch [MDM_PUBLISH_BATCH_SIZE]"),
    concurrency: int | None = typer.Option(None, help="requests in flight per subscriber [MDM_PUBLISH_CONCURRENCY]"),
    poll_interval: float | None = typer.Option(None, help="seconds between polls when idle"),
    lease_seconds: float | None = typer.Option(None, help="how long a claim lasts if this process dies"),
    retry_base: float | None = typer.Option(None, help="first retry delay in seconds"),
    amqp_url: str | None = typer.Option(None, help="RabbitMQ URL for subscribers without one [MDM_PUBLISH_AMQP_URL]"),
) -> None:
    """Run the change dispatcher: deliver outbox events to every subscriber."""
    configure_logging()
    config = PublishSettings().dispatcher_config(
        batch_size=batch_size, concurrency=concurrency, poll_interval=poll_interval,
        lease_seconds=lease_seconds, retry_base=retry_base, amqp_url=amqp_url,
    )
    store = open_store()
    ensure_schema(store)

    async def main():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await run_dispatcher(store, stop=stop, config=config, once=once)

    try:
        stats = asyncio.run(main())
    finally:
        store.close()
    console.print(
        f"delivered {stats.delivered}, retries scheduled {stats.retried}, "
        f"dead-lettered {stats.dead_lettered}, subscribers paused {stats.paused}"
    )


def _service(call, *args, **kwargs):
    store = open_store()
    ensure_schema(store)
    try:
        with store.session() as session:
            return call(session, *args, **kwargs)
    except service.SubscriberError as exc:
        fail(str(exc))
    finally:
        store.close()


@subscriber_app.command("add")
def add(
    name: str = typer.Argument(..., help="unique name, e.g. crm"),
    webhook: str | None = typer.Option(None, "--webhook", help="deliver by HTTP POST to this URL"),
    secret: str | None = typer.Option(None, help="webhook signing secret whsec_... (default: generated)"),
    rabbitmq: str | None = typer.Option(None, "--rabbitmq", help="publish to this existing RabbitMQ exchange"),
    routing_key: str = typer.Option(service.DEFAULT_ROUTING_KEY, help="placeholders {domain} {change} {subject} {type}"),
    amqp_url: str | None = typer.Option(None, help="broker URL (default: the dispatcher's MDM_PUBLISH_AMQP_URL)"),
    domain: list[str] = typer.Option([], "--domain", "-d", help="customer, item, price (repeatable; default all)"),
    change: list[str] = typer.Option([], "--change", "-c", help="created, updated, merged, split, deleted (repeatable)"),
    attribute: list[str] = typer.Option([], "--attribute", "-a", help="only updates that change this attribute"),
    max_attempts: int = typer.Option(service.DEFAULT_MAX_ATTEMPTS, help="attempts before an event is dead-lettered"),
    from_sequence: int | None = typer.Option(None, help="also deliver past events from this sequence on"),
    from_beginning: bool = typer.Option(False, "--from-beginning", help="also deliver every past event"),
) -> None:
    """Add a subscriber. It receives changes from now on unless told to start earlier."""
    if (webhook is None) == (rabbitmq is None):
        fail("give exactly one of --webhook URL and --rabbitmq EXCHANGE")
    target = (
        {"kind": "webhook", "url": webhook, "secret": secret}
        if webhook else {"kind": "rabbitmq", "exchange": rabbitmq, "routing_key": routing_key, "amqp_url": amqp_url}
    )
    try:
        spec = service.SubscriberSpec(
            name=name, domains=domain, changes=change, attributes=attribute or None, target=target,
            max_attempts=max_attempts, from_sequence=1 if from_beginning else from_sequence,
        )
    except ValidationError as exc:
        fail(str(service.spec_error(exc)))
    info = _service(service.add_subscriber, spec, now=_now())
    console.print(f"added subscriber [bold]{info.name}[/] -> {info.target} (from sequence {info.cursor + 1})")
    if info.secret:
        console.print(f"signing secret (shown once): {info.secret}")


@subscriber_app.command("list")
def list_() -> None:
    """Subscribers with their status, backlog and dead letters."""
    table = Table(title="subscribers")
    for col in ("name", "status", "target", "domains", "changes", "cursor", "pending", "dead", "delivered", "last delivered"):
        table.add_column(col)
    for s in _service(service.list_subscribers):
        status = s.status if not s.status_reason else f"{s.status} ({s.status_reason})"
        table.add_row(
            s.name, status, s.target, ",".join(s.domains) or "all", ",".join(s.changes) or "all", str(s.cursor),
            str(s.pending), str(s.dead), str(s.delivered),
            s.last_delivered_at.isoformat(timespec="seconds") if s.last_delivered_at else "-",
        )
    console.print(table)


@subscriber_app.command()
def pause(name: str, reason: str = typer.Option("paused by an operator", help="shown in `list`")) -> None:
    """Stop deliveries; events keep queueing for when it resumes."""
    _service(service.pause_subscriber, name, now=_now(), reason=reason)
    console.print(f"paused {name}")


@subscriber_app.command()
def resume(name: str) -> None:
    """Resume deliveries, starting with what queued while paused."""
    _service(service.resume_subscriber, name, now=_now())
    console.print(f"resumed {name}")


@subscriber_app.command()
def replay(
    name: str,
    from_sequence: int | None = typer.Option(None, help="deliver again every event from this sequence"),
    since: datetime | None = typer.Option(None, help="deliver again every event from this time (ISO 8601, UTC if no offset)"),
) -> None:
    """Deliver past events again (same event ids)."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    first = _service(service.replay, name, now=_now(), from_sequence=from_sequence, since=since)
    console.print(f"{name} will receive every event from sequence {first} again")


@subscriber_app.command()
def remove(name: str, yes: bool = typer.Option(False, "--yes", help="do not ask")) -> None:
    """Remove a subscriber with its queue and dead letters."""
    if not yes:
        typer.confirm(f"remove subscriber {name} and its queued and dead-lettered events?", abort=True)
    _service(service.remove_subscriber, name)
    console.print(f"removed {name}")


@subscriber_app.command()
def deadletters(name: str, limit: int = typer.Option(100)) -> None:
    """Dead-lettered events with the reason they were given up."""
    table = Table(title=f"dead letters of {name}")
    for col in ("sequence", "event id", "type", "subject", "attempts", "dead at", "reason"):
        table.add_column(col)
    for d in _service(service.dead_letters, name, limit=limit):
        table.add_row(str(d.sequence), d.event_id, d.type, d.subject, str(d.attempts),
                      d.dead_at.isoformat(timespec="seconds") if d.dead_at else "-", d.reason or "")
    console.print(table)


@subscriber_app.command("rotate-secret")
def rotate_secret(
    name: str,
    secret: str | None = typer.Option(None, help="the new signing secret whsec_... (default: generated)"),
) -> None:
    """Give a webhook subscriber a new signing secret; later deliveries are signed with it."""
    new = _service(service.rotate_secret, name, now=_now(), secret=secret)
    console.print(f"new signing secret of {name} (shown once): {new}")


@subscriber_app.command()
def redrive(
    name: str,
    sequence: list[int] = typer.Option([], "--sequence", "-s", help="only these (repeatable; default all)"),
) -> None:
    """Put dead-lettered events back in the queue with fresh attempts."""
    count = _service(service.redrive, name, now=_now(), sequences=sequence or None)
    console.print(f"{count} dead letter(s) of {name} back in the queue")
