"""Tables of change publishing: subscribers, their delivery queues and the
watermarks of export consumers. The change log itself is `outbox`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mdm.store.tables import Base, BigId, JSONType


class Subscriber(Base):
    """A system that receives change events through a webhook or RabbitMQ."""

    __tablename__ = "subscriber"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    # Empty lists mean "all".
    domains: Mapped[list[Any]]
    changes: Mapped[list[Any]]
    # None: every event; else only events that change one of these attributes.
    attributes: Mapped[list[Any] | None] = mapped_column(JSONType)
    # webhook | rabbitmq
    sink_kind: Mapped[str] = mapped_column(String(16))
    # webhook: {url}; rabbitmq: {exchange, routing_key, amqp_url?}
    sink: Mapped[dict[str, Any]]
    secret: Mapped[str | None] = mapped_column(String(128))
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    # active | paused
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_reason: Mapped[str | None] = mapped_column(Text)
    # Last outbox sequence routed into this subscriber's delivery queue.
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    delivered: Mapped[int] = mapped_column(BigInteger, default=0)
    last_delivered_sequence: Mapped[int | None] = mapped_column(BigInteger)
    last_delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    """One event waiting for (or dead-lettered by) one subscriber.

    Delivered events leave the queue, so the table holds only work and dead letters."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "sequence", name="uq_delivery_subscriber_sequence"),
        Index("ix_delivery_claim", "subscriber_id", "status", "sequence"),
        Index("ix_delivery_subject", "subscriber_id", "subject", "sequence"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscriber.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(BigInteger)
    subject: Mapped[str] = mapped_column(String(40))
    # pending | dead
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A claim: the dispatcher that is sending it, until when.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    dead_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ExportWatermark(Base):
    """How far a named export consumer has taken the change log of a domain."""

    __tablename__ = "export_watermark"

    consumer: Mapped[str] = mapped_column(String(128), primary_key=True)
    domain: Mapped[str] = mapped_column(String(16), primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
