"""Bulk screening jobs in PostGIS: create, progress, resume, finish, cancel.

The job row is the shared truth between the process that runs a job and whoever asks about it
(the API, the CLI's progress bar, an operator with psql). Partitions are recorded as they finish;
the Parquet parts on disk are what a resumed job trusts, the row mirrors them.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from geodata.database import translate_errors
from geodata.models import bulk_job
from zoning.errors import NotFound

ACTIVE = ("queued", "running")


@dataclass(frozen=True)
class Job:
    """One bulk screening job as stored."""

    id: str
    status: str
    caller: str | None
    input_name: str
    input_checksum: str
    options: dict[str, Any]
    version_id: int
    dataset_checksum: str
    output_path: str
    partitions_total: int | None
    partitions_done: list[int]
    rows_total: int | None
    rows_done: int
    rows_error: int
    summary: dict[str, Any] | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    timings: dict[str, Any]


def new_job_id(now: datetime | None = None) -> str:
    """A citable job id, ``BLK-YYYYMMDD-XXXXXXXX``."""
    now = now or datetime.now(UTC)
    return f"BLK-{now:%Y%m%d}-{base64.b32encode(secrets.token_bytes(5)).decode()}"


def create_job(
    conn: Connection,
    *,
    input_name: str,
    input_checksum: str,
    options: dict[str, Any],
    version_id: int,
    dataset_checksum: str,
    output_path: str,
    caller: str | None,
    job_id: str | None = None,
) -> str:
    """Record a queued job and return its id."""
    job_id = job_id or new_job_id()
    conn.execute(
        insert(bulk_job).values(
            id=job_id,
            status="queued",
            caller=caller,
            input_name=input_name,
            input_checksum=input_checksum,
            options=options,
            version_id=version_id,
            dataset_checksum=dataset_checksum,
            output_path=output_path,
            partitions_done=[],
            rows_done=0,
            rows_error=0,
            created_at=datetime.now(UTC),
            timings={},
        )
    )
    return job_id


def get_job(conn: Connection, job_id: str) -> Job:
    """The job with an id; ``NotFound`` when there is none."""
    row = conn.execute(select(bulk_job).where(bulk_job.c.id == job_id)).mappings().first()
    if row is None:
        raise NotFound(f"no bulk screening job {job_id!r}", field="id")
    values: dict[str, Any] = dict(row)
    values["partitions_done"] = list(values["partitions_done"])
    return Job(**values)


def find_resumable(
    conn: Connection, *, input_checksum: str, options: dict[str, Any], output_path: str
) -> Job | None:
    """The latest unfinished job for the same input, options and output (what ``--resume`` picks up)."""
    row = (
        conn.execute(
            select(bulk_job.c.id)
            .where(
                bulk_job.c.input_checksum == input_checksum,
                bulk_job.c.output_path == output_path,
                bulk_job.c.options == options,
                bulk_job.c.status.in_(("queued", "running", "failed")),
            )
            .order_by(bulk_job.c.created_at.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )
    return get_job(conn, row) if row else None


def start(
    engine: Engine,
    job_id: str,
    *,
    partitions_total: int,
    rows_total: int,
    done: list[int],
    rows_done: int,
    rows_error: int,
) -> None:
    """Mark a job running with its partition plan and what earlier attempts already finished."""
    with translate_errors(), engine.begin() as conn:
        conn.execute(
            update(bulk_job)
            .where(bulk_job.c.id == job_id, bulk_job.c.status != "cancelled")  # a cancel stays a cancel
            .values(
                status="running",
                partitions_total=partitions_total,
                rows_total=rows_total,
                partitions_done=sorted(done),
                rows_done=rows_done,
                rows_error=rows_error,
                started_at=func.coalesce(bulk_job.c.started_at, func.now()),
                error=None,
            )
        )


def partition_done(engine: Engine, job_id: str, partition: int, rows: int, errors: int) -> str:
    """Record one finished partition (idempotent); return the job's status (to notice a cancel)."""
    with translate_errors(), engine.begin() as conn:
        status = conn.execute(
            update(bulk_job)
            .where(
                bulk_job.c.id == job_id, func.array_position(bulk_job.c.partitions_done, partition).is_(None)
            )
            .values(
                partitions_done=func.array_append(bulk_job.c.partitions_done, partition),
                rows_done=bulk_job.c.rows_done + rows,
                rows_error=bulk_job.c.rows_error + errors,
            )
            .returning(bulk_job.c.status)
        ).scalar()
        if status is None:
            status = conn.execute(select(bulk_job.c.status).where(bulk_job.c.id == job_id)).scalar_one()
    return str(status)


def status_of(engine: Engine, job_id: str) -> str:
    with translate_errors(), engine.connect() as conn:
        return str(conn.execute(select(bulk_job.c.status).where(bulk_job.c.id == job_id)).scalar_one())


def finish(
    engine: Engine,
    job_id: str,
    status: str,
    *,
    summary: dict[str, Any] | None = None,
    error: str | None = None,
    timings: dict[str, Any] | None = None,
) -> None:
    """Close a job: done (with its summary), failed (with the reason) or cancelled."""
    values: dict[str, Any] = {"status": status, "finished_at": func.now(), "error": error}
    if summary is not None:
        values["summary"] = summary
    if timings is not None:
        values["timings"] = timings
    with translate_errors(), engine.begin() as conn:
        conn.execute(update(bulk_job).where(bulk_job.c.id == job_id).values(**values))


def cancel(conn: Connection, job_id: str) -> Job:
    """Ask a queued or running job to stop; the runner stops after the partitions in flight."""
    job = get_job(conn, job_id)
    if job.status in ACTIVE:
        conn.execute(
            update(bulk_job).where(bulk_job.c.id == job_id).values(status="cancelled", finished_at=func.now())
        )
        job = get_job(conn, job_id)
    return job
