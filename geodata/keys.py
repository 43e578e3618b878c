"""API keys and the audit trail, in PostGIS.

A key looks like ``nzk_<prefix>_<secret>``: the prefix (public, 8 characters) finds the row, the
secret (32 random bytes, base32) is stored only as its SHA-256 — a key has 256 bits of entropy,
so a slow password hash adds nothing, and a constant-time comparison guards the check.
Audit events are append-only: the table refuses UPDATE and DELETE (see migration 0001).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from geodata import models as m
from zoning.errors import InvalidInput, NotFound

SCOPES = ("read", "screen", "admin")
KEY_PREFIX = "nzk"
CHANGE_CHANNEL = "zoning_api_key"
"""LISTEN/NOTIFY channel told of every key change, so that every worker drops what it cached."""


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(conn: Connection, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """Create a key; return it and the full key text, which is shown once and never stored."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if not scopes or unknown:
        raise InvalidInput(
            f"scopes must be a non-empty subset of {', '.join(SCOPES)}; got {scopes}", field="scopes"
        )
    prefix = secrets.token_hex(4)
    secret = base64.b32encode(secrets.token_bytes(32)).decode().rstrip("=").lower()
    row = conn.execute(
        insert(m.api_key)
        .values(
            name=name,
            prefix=prefix,
            secret_hash=_hash(secret),
            scopes=sorted(set(scopes)),
            created_at=datetime.now(UTC),
        )
        .returning(*m.api_key.c)
    ).one()
    key = ApiKey(row.id, row.name, row.prefix, tuple(row.scopes), row.created_at, row.revoked_at)
    return key, f"{KEY_PREFIX}_{prefix}_{secret}"


def split_key(text: str) -> tuple[str, str] | None:
    """(prefix, secret) of a presented key text, or None when it is not shaped like a key."""
    parts = text.strip().split("_")
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def secret_matches(secret_hash: str, secret: str) -> bool:
    """Constant-time check of a presented secret against the stored SHA-256."""
    return hmac.compare_digest(secret_hash, _hash(secret))


def live_key(conn: Connection, prefix: str) -> tuple[ApiKey, str] | None:
    """The live (not revoked) key with this prefix and its stored secret hash, or None."""
    row = conn.execute(select(*m.api_key.c).where(m.api_key.c.prefix == prefix)).first()
    if row is None or row.revoked_at is not None:
        return None
    key = ApiKey(row.id, row.name, row.prefix, tuple(row.scopes), row.created_at, row.revoked_at)
    return key, row.secret_hash


def verify_key(conn: Connection, text: str) -> ApiKey | None:
    """The live key a presented key text stands for, or None (unknown, malformed or revoked)."""
    split = split_key(text)
    if split is None:
        return None
    found = live_key(conn, split[0])
    if found is None or not secret_matches(found[1], split[1]):
        return None
    return found[0]


def _announce_change(conn: Connection, prefix: str) -> None:
    """Tell every listening worker, when this transaction commits, that a key changed."""
    conn.execute(select(func.pg_notify(CHANGE_CHANNEL, prefix)))


def revoke_key(conn: Connection, prefix: str) -> ApiKey:
    row = conn.execute(
        update(m.api_key)
        .where(m.api_key.c.prefix == prefix, m.api_key.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
        .returning(*m.api_key.c)
    ).first()
    if row is None:
        raise NotFound(f"no live API key has prefix {prefix!r}", field="prefix")
    _announce_change(conn, prefix)
    return ApiKey(row.id, row.name, row.prefix, tuple(row.scopes), row.created_at, row.revoked_at)


def list_keys(conn: Connection) -> list[ApiKey]:
    rows = conn.execute(select(*m.api_key.c).order_by(m.api_key.c.id))
    return [ApiKey(r.id, r.name, r.prefix, tuple(r.scopes), r.created_at, r.revoked_at) for r in rows]


def record_event(
    conn: Connection,
    *,
    actor: str,
    action: str,
    outcome: str,
    target: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append an audit event inside the caller's transaction."""
    conn.execute(
        insert(m.audit_event).values(
            at=datetime.now(UTC),
            actor=actor,
            action=action,
            target=target,
            outcome=outcome,
            before=before,
            after=after,
        )
    )


def record_event_now(engine: Engine, **event: Any) -> None:
    """Append an audit event in a transaction of its own (for rejected attempts, which write nothing else)."""
    with engine.begin() as conn:
        record_event(conn, **event)


def list_events(conn: Connection, limit: int = 100) -> list[dict[str, Any]]:
    t = m.audit_event
    return [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.id.desc()).limit(limit))]
