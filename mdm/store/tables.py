"""SQLAlchemy tables of the hub: source records, golden records, xref and the
tables later stages fill (match candidates, steward decisions, audit, outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column

# JSONB on PostgreSQL (indexable, compact); plain JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")
# The same, where Python None is SQL NULL rather than the JSON value null.
NullableJSON = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY, not BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONType, list[Any]: JSONType}


class LoadBatch(Base):
    """One run of `mdm load` (or one API ingest call)."""

    __tablename__ = "load_batch"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    system: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(16))
    file: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    read: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    field_errors: Mapped[int] = mapped_column(Integer, default=0)


class Reject(Base):
    """A rejected row, or a rejected field of a stored row."""

    __tablename__ = "reject"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    load_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id", ondelete="CASCADE"), index=True)
    line: Mapped[int | None] = mapped_column(Integer)
    source_key: Mapped[str | None] = mapped_column(Text)
    column: Mapped[str | None] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    row_rejected: Mapped[bool] = mapped_column(Boolean, default=True)


class SourceRecord(Base):
    """A source system's record; its content lives in versions."""

    __tablename__ = "source_record"
    __table_args__ = (
        UniqueConstraint("system", "domain", "source_key", name="uq_source_record_key"),
        # Pending records of a domain (matched_version IS NULL) without a scan of the domain.
        Index("ix_source_record_pending", "domain", "matched_version"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    system: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(16), index=True)
    source_key: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer, default=1)
    content_hash: Mapped[str] = mapped_column(String(64))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Version last seen by the matcher; NULL while a new version waits to be
    # matched, so the pending records are found through the index.
    matched_version: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SourceRecordVersion(Base):
    __tablename__ = "source_record_version"
    __table_args__ = (UniqueConstraint("record_id", "version", name="uq_source_record_version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("source_record.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    raw: Mapped[dict[str, Any]]
    fields: Mapped[dict[str, Any]]
    extra: Mapped[dict[str, Any]]
    source_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    load_id: Mapped[int | None] = mapped_column(ForeignKey("load_batch.id", ondelete="SET NULL"))
    line: Mapped[int | None] = mapped_column(Integer)
    correlation_id: Mapped[str | None] = mapped_column(String(128), index=True)


class GoldenRecord(Base):
    __tablename__ = "golden_record"
    # The API's lists: keyset pages in (updated_at, id) order within a domain and status. Every
    # query by domain, status or updated_at names the domain (and status) first: no other index.
    __table_args__ = (Index("ix_golden_record_page", "domain", "status", "updated_at", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    domain: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # active | merged (now an alias of merged_into) | deleted
    status: Mapped[str] = mapped_column(String(16), default="active")
    merged_into: Mapped[str | None] = mapped_column(String(40))
    attributes: Mapped[dict[str, Any]]
    lineage: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GoldenRecordVersion(Base):
    __tablename__ = "golden_record_version"

    golden_id: Mapped[str] = mapped_column(ForeignKey("golden_record.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    change_type: Mapped[str] = mapped_column(String(16))
    attributes: Mapped[dict[str, Any]]
    # A golden record's lineage (~1.6 KB) is stored once: its current version's column is
    # NULL and reads the golden record's, until the golden record changes, when
    # ``mdm.resolve.versions.keep_version_lineage`` copies it in first. Writers set the column.
    stored_lineage: Mapped[dict[str, Any] | None] = mapped_column("lineage", NullableJSON, nullable=True)
    members: Mapped[list[Any]]
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    correlation_id: Mapped[str | None] = mapped_column(String(128))
    # What readers use: this version's lineage, wherever it is stored.
    lineage: Mapped[dict[str, Any]] = column_property(
        func.coalesce(
            stored_lineage,
            select(GoldenRecord.lineage).where(GoldenRecord.id == golden_id).correlate_except(GoldenRecord)
            .scalar_subquery(),
            type_=JSONType,
        )
    )


class Xref(Base):
    """Which golden record a source record belongs to."""

    __tablename__ = "xref"
    __table_args__ = (Index("ix_xref_source_key", "system", "domain", "source_key"),)

    record_id: Mapped[int] = mapped_column(ForeignKey("source_record.id", ondelete="CASCADE"), primary_key=True)
    golden_id: Mapped[str] = mapped_column(ForeignKey("golden_record.id"), index=True)
    domain: Mapped[str] = mapped_column(String(16))
    system: Mapped[str] = mapped_column(String(64))
    source_key: Mapped[str] = mapped_column(String(255))
    # auto | review | steward | new
    decided_by: Mapped[str] = mapped_column(String(16))
    match_probability: Mapped[float | None] = mapped_column(Float)
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GoldenAlias(Base):
    """A retired golden id that still resolves to its survivor."""

    __tablename__ = "golden_alias"

    alias_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    golden_id: Mapped[str] = mapped_column(String(40), index=True)
    merged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BlockingKey(Base):
    """Blocking keys of current source records, so a new record finds its
    candidates by index lookup instead of a rescan: (key hash, record id)
    pairs (``mdm.match.keyhash``), the table clustered on them.

    No foreign key to source_record: the table is derived from the records
    and rebuilt by every bulk run, source records are never deleted, and
    checking the parent of each of a bulk run's millions of rows costs a
    third of their insert. An id without a record would only be read as a
    neighbour that is not there."""

    __tablename__ = "blocking_key"
    __table_args__ = (PrimaryKeyConstraint("key_hash", "record_id", name="pk_blocking_key"),
                      {"sqlite_with_rowid": False})

    key_hash: Mapped[int] = mapped_column(BigId, autoincrement=False)
    record_id: Mapped[int] = mapped_column(BigId, autoincrement=False, index=True)


class MatchModelRow(Base):
    """Fellegi-Sunter parameters from the last bulk run, reused incrementally."""

    __tablename__ = "match_model"

    domain: Mapped[str] = mapped_column(String(16), primary_key=True)
    rules_hash: Mapped[str] = mapped_column(String(64))
    # Before the model: SQLite reaches a column only past the ones before it,
    # and every incremental run reads the stamp (migration 0007).
    trained_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    model: Mapped[dict[str, Any]]


class MatchCandidate(Base):
    """A pair in the review band, or a price conflict, waiting for a steward."""

    __tablename__ = "match_candidate"
    __table_args__ = (
        UniqueConstraint("domain", "left_record_id", "right_record_id", name="uq_match_candidate_pair"),
        Index("ix_match_candidate_left", "left_record_id"),
        Index("ix_match_candidate_right", "right_record_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    domain: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="match")
    left_record_id: Mapped[int] = mapped_column(ForeignKey("source_record.id", ondelete="CASCADE"))
    right_record_id: Mapped[int] = mapped_column(ForeignKey("source_record.id", ondelete="CASCADE"))
    match_weight: Mapped[float | None] = mapped_column(Float)
    match_probability: Mapped[float | None] = mapped_column(Float)
    explanation: Mapped[dict[str, Any]]
    # pending | accepted | rejected | superseded
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CannotLink(Base):
    """A steward's not-a-match; it stands while both records keep the
    compared content they had when it was decided."""

    __tablename__ = "cannot_link"
    __table_args__ = (Index("ix_cannot_link_right", "right_record_id"),)

    left_record_id: Mapped[int] = mapped_column(ForeignKey("source_record.id", ondelete="CASCADE"), primary_key=True)
    right_record_id: Mapped[int] = mapped_column(ForeignKey("source_record.id", ondelete="CASCADE"), primary_key=True)
    left_hash: Mapped[str] = mapped_column(String(64))
    right_hash: Mapped[str] = mapped_column(String(64))
    decision_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StewardDecision(Base):
    __tablename__ = "steward_decision"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    domain: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]]
    actor: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    undone_by: Mapped[int | None] = mapped_column(BigInteger)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    correlation_id: Mapped[str | None] = mapped_column(String(128))


class OutboxEvent(Base):
    """Change events written in the same transaction as the change."""

    __tablename__ = "outbox"

    sequence: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(16), index=True)
    subject: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    correlation_id: Mapped[str | None] = mapped_column(String(128))


class ApiKey(Base):
    """An API key, stored hashed; `prefix` finds the row without the secret."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    # reader | steward | publisher | admin
    role: Mapped[str] = mapped_column(String(16))
    # A publisher ingests only for this system.
    system: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdempotencyKey(Base):
    """The response of an API call made with an idempotency key, replayed on retry."""

    __tablename__ = "idempotency_key"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GoldenOverride(Base):
    """A steward's pinned attribute value; survivorship keeps it while pinned."""

    __tablename__ = "golden_override"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    golden_id: Mapped[str] = mapped_column(String(40), index=True)
    attribute: Mapped[str] = mapped_column(String(64))
    value: Mapped[dict[str, Any]]  # {"value": ...} so any JSON value fits
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(128))
    pinned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    unpinned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))



class MustLink(Base):
    """A steward's merge: the two records stay in one golden record."""

    __tablename__ = "must_link"
    __table_args__ = (Index("ix_must_link_right", "right_record_id"),)

    left_record_id: Mapped[int] = mapped_column(ForeignKey("source_record.id", ondelete="CASCADE"), primary_key=True)
    right_record_id: Mapped[int] = mapped_column(ForeignKey("source_record.id", ondelete="CASCADE"), primary_key=True)
    decision_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


from mdm.store import publishing_tables  # noqa: E402,F401
