"""Stored screenings: writing, reading, and who may read them (the caller and its API key)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Text, bindparam, cast, insert, select
from sqlalchemy.dialects.postgresql import JSONB

from geodata import models as m
from geodata.repository.writes import _geom_param, _wkb
from zoning.errors import NotFound


def insert_screening(
    conn: Connection,
    record: Mapping[str, Any],
    *,
    answered: bytes,
    version_id: int,
    dataset_checksum: str,
    footprint: BaseGeometry,
    caller: str | None,
) -> None:
    """Store a screening record as it was answered, so that re-reading it gives the same bytes.

    ``answered`` is the record's JSON as the caller got it (``ScreeningPublic.to_json_bytes``); it is
    stored as such (PostgreSQL reads it into ``jsonb``), so the record is serialised once, not
    twice. ``record`` gives the columns (id, created_at, request) and must be the same record."""
    conn.execute(
        insert(m.screening).values(
            footprint=_geom_param(), result=cast(bindparam("answered", type_=Text), JSONB)
        ),
        {
            "id": record["id"],
            "version_id": version_id,
            "dataset_checksum": dataset_checksum,
            "created_at": datetime.fromisoformat(record["created_at"]),
            "caller": caller,
            "request": record["request"],
            "answered": answered.decode(),
            "wkb": _wkb(footprint),
        },
    )


def get_screening(conn: Connection, screening_id: str) -> dict[str, Any]:
    """The stored record of a screening; raises NotFound."""
    row = conn.execute(
        select(m.screening.c.result, m.screening.c.version_id).where(m.screening.c.id == screening_id)
    ).first()
    if row is None:
        raise NotFound(f"no screening has id {screening_id!r}", field="screening_id")
    return dict(row.result)


KEY_CALLER = "key:"
"""``screening.caller`` of a record made with an API key: ``key:<prefix>@<address>``; else the address."""


def screening_caller(key_prefix: str | None, client: str) -> str:
    """The ``caller`` stored with a screening: whose key (if any) and from which address."""
    return f"{KEY_CALLER}{key_prefix}@{client}" if key_prefix else client


def screening_owner_key(conn: Connection, screening_id: str) -> str | None:
    """The prefix of the key that created a screening, or None (made anonymously); raises NotFound."""
    row = conn.execute(select(m.screening.c.caller).where(m.screening.c.id == screening_id)).first()
    if row is None:
        raise NotFound(f"no screening has id {screening_id!r}", field="screening_id")
    caller = row.caller or ""
    if not caller.startswith(KEY_CALLER):
        return None
    return caller[len(KEY_CALLER) :].split("@", 1)[0]
