"""Verifying the audit trail's hash chain (migration 0003).

Each ``audit_event`` row carries ``prev_hash`` — the ``hash`` of the row before it — and its own
``hash``, the SHA-256 of ``[prev_hash, id, at (µs since the epoch), actor, action, target,
outcome, before, after]`` as PostgreSQL prints that jsonb array. The database computes both on
insert; :func:`verify_chain` recomputes every hash with the same function and walks the links, so
a row edited, deleted or slipped in afterwards (which only the owner can do, with the append-only
trigger disabled) shows up as a break naming the row. ``audit_chain`` keeps the head, so a
deleted last row is caught as well. Record the head hash elsewhere to catch a rewrite of the
whole chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class ChainBreak:
    """One row whose stored hash or link does not match what its content and predecessor give."""

    event_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"audit event {self.event_id}" if self.event_id is not None else "audit chain head"
        return f"{where}: {self.problem}"


@dataclass
class ChainReport:
    """What :func:`verify_chain` found: how many rows, the head hash, and every break."""

    events: int = 0
    head: str | None = None
    breaks: list[ChainBreak] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


_ROWS = text(
    """
    SELECT id, prev_hash, hash,
           audit_event_digest(prev_hash, id, at, actor, action, target, outcome, before, after)
               AS recomputed
    FROM audit_event ORDER BY id
    """
)


def verify_chain(conn: Connection) -> ChainReport:
    """Recompute the audit trail's hash chain and report every row that breaks it."""
    report = ChainReport()
    previous: str | None = None
    for row in conn.execute(_ROWS).yield_per(1000):
        report.events += 1
        if row.prev_hash != previous:
            report.breaks.append(
                ChainBreak(
                    row.id,
                    "its prev_hash is not the hash of the event before it "
                    "(an event was deleted, inserted or re-hashed before it)",
                )
            )
        if row.hash != row.recomputed:
            report.breaks.append(
                ChainBreak(row.id, "its content does not match its hash (the row was edited)")
            )
        previous = row.hash
    head = conn.execute(text("SELECT head, last_id FROM audit_chain")).first()
    report.head = previous
    if head is None or head.head != previous:
        report.breaks.append(
            ChainBreak(
                None,
                f"the recorded head (event {head.last_id if head else None}) is not the last event's "
                "hash (the last events were deleted, or the head was rewritten)",
            )
        )
    return report
