"""API keys: created once and shown once, stored as a SHA-256 hash.

A key reads `mdm_<prefix>_<secret>`: the prefix finds the row, the hash of the
whole key proves it. The secret has 256 bits of entropy, so a plain SHA-256
(no slow KDF) is enough."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mdm.store.tables import ApiKey

ROLES = ("reader", "publisher", "steward", "admin")
KEY_PREFIX = "mdm"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the role and, for a publisher, its source system."""

    key_id: int
    prefix: str
    role: str
    system: str | None
    name: str | None

    @property
    def actor(self) -> str:
        return f"apikey:{self.name or self.prefix}"


@dataclass(frozen=True)
class CreatedKey:
    key: str
    row: ApiKey


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def split_key(key: str) -> str | None:
    """The prefix of a well-formed key, else None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


def create_key(
    session: Session, role: str, *, system: str | None = None, name: str | None = None, now: datetime | None = None
) -> CreatedKey:
    """Create a key; the returned secret is not stored anywhere. Commits."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role == "publisher" and not system:
        raise ValueError("a publisher key needs the source system it ingests for (--system)")
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        prefix=prefix, key_hash=hash_key(key), role=role, system=system, name=name,
        created_at=now or datetime.now(timezone.utc),
    )
    session.add(row)
    session.commit()
    return CreatedKey(key, row)


def verify_key(session: Session, key: str, *, now: datetime | None = None) -> Principal | None:
    """The principal of a valid, unrevoked key, else None; records its use. Commits."""
    prefix = split_key(key)
    if prefix is None:
        return None
    row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, hash_key(key)):
        return None
    session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now or datetime.now(timezone.utc)))
    session.commit()
    return Principal(row.id, row.prefix, row.role, row.system, row.name)


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(session: Session, prefix_or_name: str, *, now: datetime | None = None) -> list[ApiKey]:
    """Revoke the keys with this prefix (or this name); returns them. Commits."""
    rows = list(
        session.scalars(
            select(ApiKey).where(
                ApiKey.revoked_at.is_(None), (ApiKey.prefix == prefix_or_name) | (ApiKey.name == prefix_or_name)
            )
        )
    )
    for row in rows:
        row.revoked_at = now or datetime.now(timezone.utc)
    session.commit()
    return rows


def create_demo_keys(store) -> dict[str, str]:
    """One fresh key per role, for `mdm demo` to print."""
    keys = {}
    with store.session() as session:
        for role in ROLES:
            system = "CRM" if role == "publisher" else None
            keys[role] = create_key(session, role, system=system, name=f"demo-{role}").key
    return keys
