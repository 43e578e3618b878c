"""Dataset versions: which is in force on a date, listing, publishing, scheduling and statuses.

Which version is in force on a date is the published (or superseded) version whose effective range
holds that date; the schema's exclusion constraint guarantees there is at most one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, or_, select, update

from geodata import models as m
from zoning.errors import NotFound, NoVersionInForce, NoVersionOnDate
from zoning.snapshot import (
    VersionInfo,
)
from zoning.vocabulary import (
    VersionStatus,
)


def publish_version(
    conn: Connection, version_id: int, effective_from: date, *, today: date | None = None
) -> None:
    """Put a draft in force from a date; the version in force then stops being in force that day.

    The version in force gets ``effective_to`` at once (the ranges say which version answers on
    any date), but keeps its ``published`` status until the date arrives: a publish scheduled for
    a later day never relabels the version in force early (:func:`settle_statuses` relabels it
    when the day comes). Runs inside the caller's transaction; the exclusion constraint refuses
    any overlap left.
    """
    t = m.dataset_version
    today = today or date.today()
    current = conn.execute(
        select(t.c.id).where(t.c.status == VersionStatus.PUBLISHED.value, t.c.effective_to.is_(None))
    ).first()
    if current is not None and current.id != version_id:
        values: dict[str, Any] = {"effective_to": effective_from}
        if effective_from <= today:
            values["status"] = VersionStatus.SUPERSEDED.value
        conn.execute(update(t).where(t.c.id == current.id).values(**values))
    conn.execute(
        update(t)
        .where(t.c.id == version_id)
        .values(
            status=VersionStatus.PUBLISHED.value,
            effective_from=effective_from,
            published_at=datetime.now(UTC),
        )
    )


def settle_statuses(conn: Connection, today: date) -> int:
    """Relabel ``superseded`` the published versions whose effective range ended by ``today``."""
    t = m.dataset_version
    result = conn.execute(
        update(t)
        .where(
            t.c.status == VersionStatus.PUBLISHED.value,
            t.c.effective_to.is_not(None),
            t.c.effective_to <= today,
        )
        .values(status=VersionStatus.SUPERSEDED.value)
    )
    return int(result.rowcount or 0)


def unschedule_version(conn: Connection, version_id: int, effective_from: date) -> str | None:
    """Turn a scheduled version back into a draft and give its predecessor back its open end.

    Returns the label of the version that stays in force (None when there was none).
    """
    t = m.dataset_version
    conn.execute(
        update(t)
        .where(t.c.id == version_id)
        .values(status=VersionStatus.DRAFT.value, effective_from=None, published_at=None)
    )
    restored = conn.execute(
        update(t)
        .where(t.c.status == VersionStatus.PUBLISHED.value, t.c.effective_to == effective_from)
        .values(effective_to=None)
        .returning(t.c.label)
    ).first()
    return restored.label if restored is not None else None


def status_on(status: str, effective_from: date | None, effective_to: date | None, today: date) -> str:
    """A version's status as of ``today``: ``scheduled`` until its date arrives, ``superseded``
    from the day its successor takes over (stored statuses catch up at the next publish)."""
    if status == VersionStatus.DRAFT.value or effective_from is None:
        return status
    if effective_to is not None and effective_to <= today:
        return VersionStatus.SUPERSEDED.value
    if effective_from > today:
        return "scheduled"
    return VersionStatus.PUBLISHED.value


def _version_info(row: Any) -> VersionInfo:
    return VersionInfo(
        id=row.id,
        label=row.label,
        title_zh=row.title_zh,
        title_en=row.title_en,
        status=status_on(row.status, row.effective_from, row.effective_to, date.today()),
        effective_from=row.effective_from,
        effective_to=row.effective_to,
        checksum=row.checksum,
        reconstruction=row.reconstruction,
    )


_VERSION_COLUMNS = (
    m.dataset_version.c.id,
    m.dataset_version.c.label,
    m.dataset_version.c.title_zh,
    m.dataset_version.c.title_en,
    m.dataset_version.c.status,
    m.dataset_version.c.effective_from,
    m.dataset_version.c.effective_to,
    m.dataset_version.c.checksum,
    m.dataset_version.c.reconstruction,
)


def list_versions(conn: Connection, today: date | None = None) -> list[dict[str, Any]]:
    """Every version, newest effective first, drafts last; ``status`` as of ``today`` (a
    scheduled publish reads ``scheduled``, see :func:`status_on`)."""
    t = m.dataset_version
    today = today or date.today()
    result = conn.execute(
        select(
            *_VERSION_COLUMNS, t.c.document_no, t.c.source, t.c.provenance, t.c.created_at, t.c.published_at
        ).order_by(t.c.effective_from.desc().nulls_last(), t.c.id.desc())
    )
    rows = [dict(row._mapping) for row in result]
    for row in rows:
        row["status"] = status_on(row["status"], row["effective_from"], row["effective_to"], today)
    return rows


def version_in_force(conn: Connection, on: date, *, asked: bool = False) -> VersionInfo:
    """The version in force on a date.

    When none is, raises NoVersionOnDate (404) if the caller asked for that date (``asked``), else
    NoVersionInForce (503: the service has nothing to answer from today).
    """
    t = m.dataset_version
    row = conn.execute(
        select(*_VERSION_COLUMNS).where(
            t.c.status != VersionStatus.DRAFT.value,
            t.c.effective_from <= on,
            or_(t.c.effective_to.is_(None), t.c.effective_to > on),
        )
    ).first()
    if row is None:
        error = NoVersionOnDate if asked else NoVersionInForce
        raise error(f"no published dataset version is in force on {on.isoformat()}", field="as_of")
    return _version_info(row)


def version_by_label(conn: Connection, label: str) -> VersionInfo:
    """The version with this label; NotFound (field ``label``) when there is none."""
    row = conn.execute(select(*_VERSION_COLUMNS).where(m.dataset_version.c.label == label)).first()
    if row is None:
        raise NotFound(f"no dataset version is labelled {label!r}", field="label")
    return _version_info(row)


def version_by_id(conn: Connection, version_id: int) -> VersionInfo:
    """The version with this id (a bulk job pins one); NotFound when it is gone."""
    row = conn.execute(select(*_VERSION_COLUMNS).where(m.dataset_version.c.id == version_id)).first()
    if row is None:
        raise NotFound(f"no dataset version has id {version_id}", field="version_id")
    return _version_info(row)
