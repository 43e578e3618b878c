"""Typed FastAPI dependencies: the engine, a connection, and the snapshot a request answers from."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import Connection, Engine
from starlette.concurrency import run_in_threadpool

from geodata import repository
from geodata.database import translate_errors
from geodata.snapshots import SnapshotCache
from zoning.snapshot import VersionInfo, ZoningSnapshot


async def get_engine(request: Request) -> Engine:
    return request.app.state.engine


async def get_snapshots(request: Request) -> SnapshotCache:
    return request.app.state.snapshots


def get_connection(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Connection]:
    """A pooled connection for one request; store errors become 503 problems."""
    with translate_errors(), engine.connect() as conn:
        yield conn


AsOf = Annotated[
    date | None,
    Query(
        description="Answer from the dataset version in force on this date (YYYY-MM-DD); default today.",
        examples=["2023-06-01"],
    ),
]


async def get_snapshot(request: Request, as_of: AsOf = None) -> ZoningSnapshot:
    """The snapshot of the version in force today (in memory), or on ``as_of`` (may read the store,
    so in a worker thread). Async so that the hot path costs no thread hop."""
    snapshots: SnapshotCache = request.app.state.snapshots
    if as_of is None:
        return snapshots.current()
    return await run_in_threadpool(snapshots.for_date, as_of)


ConnectionDep = Annotated[Connection, Depends(get_connection)]
SnapshotDep = Annotated[ZoningSnapshot, Depends(get_snapshot)]


def get_version(conn: Annotated[Connection, Depends(get_connection)], as_of: AsOf = None) -> VersionInfo:
    """The dataset version in force today, or on ``as_of`` (read from the store)."""
    return repository.version_in_force(conn, as_of or date.today(), asked=as_of is not None)


VersionDep = Annotated[VersionInfo, Depends(get_version)]
