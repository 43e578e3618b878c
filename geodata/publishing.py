"""Publishing a draft version from a date, and cancelling a publish scheduled for a later day.

Rules (issue 12, item 2):

* ``effective_from`` lies after the date the version in force took effect (back-dating would
  change which version answered past requests, and a decision taken under the old version must
  stay explainable against it) and no more than a horizon ahead of today (default 366 days,
  ``ZONING_PUBLISH_HORIZON_DAYS``): a typo such as 2205 must not lock the lifecycle for centuries.
* A publish dated later than today is *scheduled*: the version in force keeps its status and
  keeps answering until the date arrives; only its effective range is closed at that date, so
  services switch snapshots on the day (they ask which version's range holds today).
* One publish is scheduled at a time; ``zoning unpublish LABEL`` (or the admin endpoint) turns
  it back into a draft and gives the version in force back its open end. Both are audited,
  refusals included.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select, text

from geodata import keys, repository
from geodata import models as m
from geodata.database import translate_errors
from zoning import vocabulary as v
from zoning.errors import InvalidInput, NotFound, ZoningError

PUBLISH_LOCK_KEY = 0x5A4F4E45
"""Advisory-lock key serialising publishes and cancellations across processes."""

DEFAULT_HORIZON_DAYS = 366
"""How far ahead a publish may be dated, by default: a year, leap day included."""


def settle(engine: Engine, today: date | None = None) -> int:
    """Relabel ``superseded`` the versions whose successor's date has arrived, in a transaction of
    its own (so that a publish refused afterwards does not roll the relabelling back)."""
    with translate_errors(), engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PUBLISH_LOCK_KEY})
        return repository.settle_statuses(conn, today or date.today())


def _as_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInput(
            f"effective_from {value!r} is not a date YYYY-MM-DD", field="effective_from"
        ) from exc


def _draft(conn: Connection, label: str) -> Any:
    t = m.dataset_version
    row = conn.execute(
        select(t.c.id, t.c.status, t.c.checksum, t.c.effective_from, t.c.effective_to).where(
            t.c.label == label
        )
    ).first()
    if row is None:
        raise NotFound(f"no dataset version is labelled {label!r}", field="label")
    return row


def _scheduled(conn: Connection, today: date) -> Any:
    t = m.dataset_version
    return conn.execute(
        select(t.c.id, t.c.label, t.c.effective_from).where(
            t.c.status == v.VersionStatus.PUBLISHED.value, t.c.effective_from > today
        )
    ).first()


def _check_publish(conn: Connection, label: str, effective_from: date, today: date, horizon_days: int) -> Any:
    """The draft row to publish, after every refusal that applies; returns (row, current)."""
    row = _draft(conn, label)
    if row.status != v.VersionStatus.DRAFT.value:
        state = repository.status_on(row.status, row.effective_from, row.effective_to, today)
        raise InvalidInput(
            f"version {label!r} is {state}, not a draft: only drafts are published", field="label"
        )
    horizon = today + timedelta(days=horizon_days)
    if effective_from > horizon:
        raise InvalidInput(
            f"effective_from {effective_from.isoformat()} is more than {horizon_days} days ahead "
            f"(latest {horizon.isoformat()}); publish closer to the date",
            field="effective_from",
        )
    scheduled = _scheduled(conn, today)
    if scheduled is not None:
        raise InvalidInput(
            f"version {scheduled.label!r} is already scheduled from {scheduled.effective_from.isoformat()}; "
            f"cancel it first (zoning unpublish {scheduled.label})",
            field="effective_from",
        )
    t = m.dataset_version
    current = conn.execute(
        select(t.c.label, t.c.effective_from).where(
            t.c.status == v.VersionStatus.PUBLISHED.value, t.c.effective_to.is_(None)
        )
    ).first()
    if current is not None and effective_from <= current.effective_from:
        raise InvalidInput(
            f"effective_from {effective_from.isoformat()} is not after {current.effective_from.isoformat()}, "
            f"when the version in force ({current.label}) took effect; back-dating is refused",
            field="effective_from",
        )
    return row, current


def publish(
    engine: Engine,
    label: str,
    effective_from: Any,
    *,
    actor: str,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    today: date | None = None,
) -> dict[str, Any]:
    """Put a draft in force from a date (now or scheduled), superseding the version in force on
    that date; audit it. Refusals raise InvalidInput naming the field and are audited too."""
    today = today or date.today()
    try:
        effective_from = _as_date(effective_from)
        settle(engine, today)
        with translate_errors(), engine.begin() as conn:
            # One publisher at a time: the checks and the update must see the same state
            # (a transaction-scoped lock: imports writing drafts meanwhile are not blocked).
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PUBLISH_LOCK_KEY})
            row, current = _check_publish(conn, label, effective_from, today, horizon_days)
            repository.publish_version(conn, row.id, effective_from, today=today)
            before = (
                {"in_force": current.label, "effective_from": current.effective_from.isoformat()}
                if current is not None
                else None
            )
            scheduled = effective_from > today
            keys.record_event(
                conn,
                actor=actor,
                action="dataset.publish",
                target=label,
                outcome="ok",
                before=before,
                after={
                    "published": label,
                    "effective_from": effective_from.isoformat(),
                    "scheduled": scheduled,
                    "checksum": row.checksum,
                },
            )
    except ZoningError as exc:
        _audit_refusal(engine, actor, "dataset.publish", label, exc, effective_from=str(effective_from))
        raise
    return {
        "label": label,
        "status": "scheduled" if scheduled else "published",
        "effective_from": effective_from.isoformat(),
        "superseded": before,
    }


def unpublish(engine: Engine, label: str, *, actor: str, today: date | None = None) -> dict[str, Any]:
    """Cancel a publish scheduled for a later day: the version becomes a draft again and the
    version in force stays in force, open-ended. Only a scheduled version can be cancelled — one
    in force or superseded has answered requests, and its record must stay."""
    today = today or date.today()
    try:
        settle(engine, today)
        with translate_errors(), engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PUBLISH_LOCK_KEY})
            row = _draft(conn, label)
            state = repository.status_on(row.status, row.effective_from, row.effective_to, today)
            if state != "scheduled":
                raise InvalidInput(
                    f"version {label!r} is {state}, not scheduled: only a publish whose date has not "
                    "arrived can be cancelled",
                    field="label",
                )
            stays = repository.unschedule_version(conn, row.id, row.effective_from)
            keys.record_event(
                conn,
                actor=actor,
                action="dataset.unpublish",
                target=label,
                outcome="ok",
                before={"status": "scheduled", "effective_from": row.effective_from.isoformat()},
                after={"status": "draft", "in_force": stays},
            )
    except ZoningError as exc:
        _audit_refusal(engine, actor, "dataset.unpublish", label, exc)
        raise
    return {
        "label": label,
        "status": "draft",
        "cancelled_effective_from": row.effective_from.isoformat(),
        "in_force": stays,
    }


def _audit_refusal(
    engine: Engine, actor: str, action: str, label: str, exc: ZoningError, **extra: str
) -> None:
    # The refusal stands even if the store cannot record it.
    with suppress(ZoningError), translate_errors():
        keys.record_event_now(
            engine,
            actor=actor,
            action=action,
            target=label,
            outcome="failed",
            after={"detail": exc.detail, **extra},
        )
