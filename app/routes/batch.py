"""Batch point location: ``POST /v1/locate`` with up to 100,000 points in JSON or CSV, or up to
1,000,000 in an Apache Arrow IPC stream or a Parquet file (answered in the same format)."""

from __future__ import annotations

import asyncio
import csv
import gc
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

import numpy as np
import orjson
import shapely
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app import batch_binary
from app.batch_json import json_body
from app.deps import get_snapshots
from app.errors import PROBLEM_JSON
from app.guard import body_limit
from app.routes.locate import FragmentCache, fragments_of
from app.strict import unstorable
from geodata.snapshots import SnapshotCache
from zoning.crs import resolve_crs
from zoning.errors import InvalidCoordinate, InvalidInput
from zoning.footprint import to_storage
from zoning.locate import BatchLocation, locate_many
from zoning.snapshot import ZoningSnapshot
from zoning.vocabulary import MonitoringKind

router = APIRouter(tags=["locate"])
_BATCH_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="batch-locate")
_NEAREST_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="batch-nearest")
"""The halves of a large batch's nearest-point search (``LocateIndex.locate_many``); a pool of its
own, as a batch thread waits on these."""
MAX_POINTS = 100_000
MAX_BODY_BYTES = 32 * 1024 * 1024
CSV_TYPES = ("text/csv", "application/csv", "text/plain")


def _floats(values: list[Any], name: str, *, json_numbers: bool = False) -> np.ndarray:
    # JSON in: coordinates are numbers, not strings or true/false (RFC 7946 §3.1.1); the set of
    # types is checked at C speed, the values one by one only to name a bad one.
    if json_numbers and not set(map(type, values)) <= {float, int}:
        for i, v in enumerate(values):
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise InvalidCoordinate(
                    f"points[{i}].{name}={v!r} is not a number", field=f"points[{i}].{name}"
                )
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        for i, v in enumerate(values):
            try:
                float(v)
            except (TypeError, ValueError):
                raise InvalidCoordinate(
                    f"points[{i}].{name}={v!r} is not a number", field=f"points[{i}].{name}"
                ) from None
        raise
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        i = int(bad[0])
        raise InvalidCoordinate(f"points[{i}].{name} is not a finite number", field=f"points[{i}].{name}")
    return array


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building ~10^6 small acyclic dicts.

    Allocating that many containers triggers repeated generation-2 collections that cost more
    than the work itself; nothing built here forms a cycle, reference counting frees it all.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read_json(body: bytes) -> tuple[list[str], list[Any], list[Any], str | None, str | None]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the body is not JSON: {exc}", field="body") from None
    if not isinstance(data, dict) or not isinstance(data.get("points"), list):
        raise InvalidInput(
            'expected {"points": [[lon, lat], …] or [{"id", "lon", "lat"}, …]}', field="points"
        )
    unknown = sorted(set(data) - {"points", "crs", "as_of"})
    if unknown:
        raise InvalidInput(
            f"unknown field {unknown[0]!r}; the body takes points, crs and as_of", field=unknown[0]
        )
    for name in ("crs", "as_of"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise InvalidInput(f"{name} must be a string", field=name)
    points = data["points"]
    if set(map(type, points)) == {list} and set(map(len, points)) == {2}:  # [[lon, lat], …]: no loop
        return (
            list(map(str, range(len(points)))),
            [p[0] for p in points],
            [p[1] for p in points],
            data.get("crs"),
            data.get("as_of"),
        )
    ids: list[str] = []
    lons: list[Any] = []
    lats: list[Any] = []
    for i, p in enumerate(points):
        if isinstance(p, list | tuple) and len(p) == 2:
            ids.append(str(i))
            lons.append(p[0])
            lats.append(p[1])
        elif isinstance(p, dict) and "lon" in p and "lat" in p and set(p) <= {"id", "lon", "lat"}:
            point_id = str(p.get("id", i))
            if why := unstorable(point_id):
                raise InvalidInput(f"points[{i}].id {why}", field=f"points[{i}].id")
            ids.append(point_id)
            lons.append(p["lon"])
            lats.append(p["lat"])
        else:
            raise InvalidInput(
                f"points[{i}] is neither [lon, lat] nor {{id, lon, lat}}", field=f"points[{i}]"
            )
    return ids, lons, lats, data.get("crs"), data.get("as_of")


def _read_csv(body: bytes) -> tuple[list[str], list[Any], list[Any]]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:  # tables saved by Chinese Excel
            text = body.decode("gb18030", errors="strict")
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                f"the CSV is neither UTF-8 nor GB18030 text (byte {exc.start} cannot be read)", field="body"
            ) from None
    if "\x00" in text:
        raise InvalidInput("the CSV contains a NUL character", field="body")
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if "lon" not in header or "lat" not in header:
        raise InvalidInput("the CSV needs a header with lon and lat columns (id optional)", field="body")
    ilon, ilat = header.index("lon"), header.index("lat")
    iid = header.index("id") if "id" in header else None
    ids: list[str] = []
    lons: list[str] = []
    lats: list[str] = []
    for row_no, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) <= max(ilon, ilat):
            raise InvalidInput(f"CSV line {row_no} has {len(row)} columns", field=f"line {row_no}")
        ids.append(row[iid] if iid is not None else str(len(ids)))
        lons.append(row[ilon])
        lats.append(row[ilat])
    return ids, lons, lats


def _answers(snapshot: ZoningSnapshot, batch: BatchLocation, ids: list[str]) -> list[dict[str, Any]]:
    # Per-unit and per-zone parts are built once and shared between the points that hit them.
    unit_parts = [{"code": u.code, "class": u.control_class.value} for u in snapshot.units.records]
    divisions = [u.division_code for u in snapshot.units.records]
    zone_parts = [
        {"source_code": z.source_code, "grade": z.grade.value} for z in snapshot.water_zones.records
    ]
    redline_codes = [r.code for r in snapshot.redlines.records]
    reserve_parts = [
        {"reserve_code": z.reserve_code, "zone": z.zone.value} for z in snapshot.reserve_zones.records
    ]
    # Nearest monitoring points: one list of small dicts per kind, then zipped per point.
    names = [k.value for k in MonitoringKind if k in batch.nearest]
    per_kind = []
    for k in MonitoringKind:
        if k not in batch.nearest:
            continue
        idx, dist = batch.nearest[k]
        codes = [p.code for p in snapshot.monitoring[k].records]
        per_kind.append(
            [
                {"code": codes[j], "distance_m": d}
                for j, d in zip(idx.tolist(), np.round(dist, 1).tolist(), strict=True)
            ]
        )
    nearest = (
        [dict(zip(names, values, strict=True)) for values in zip(*per_kind, strict=True)]
        if per_kind
        else [{}] * len(ids)
    )
    lons = batch.lon.tolist()
    lats = batch.lat.tolist()
    empty: list[Any] = []
    wzs, rls, nrs = batch.water_zones, batch.redlines, batch.reserve_zones
    return [
        {
            "id": point_id,
            "lon": lons[i],
            "lat": lats[i],
            "division_code": divisions[u],
            "unit": unit_parts[u],
            "water_protection_zones": [zone_parts[z] for z in wzs[i]] if i in wzs else empty,
            "ecological_redline": [redline_codes[r] for r in rls[i]] if i in rls else empty,
            "nature_reserve_zones": [reserve_parts[z] for z in nrs[i]] if i in nrs else empty,
            "nearest_monitoring_points": nearest[i],
        }
        if u >= 0
        else {
            "id": point_id,
            "lon": lons[i],
            "lat": lats[i],
            "error": {"code": "outside_city", "detail": "the point lies outside Nanchang"},
        }
        for i, (point_id, u) in enumerate(zip(ids, batch.unit.tolist(), strict=True))
    ]


def _csv(answers: list[dict[str, Any]]) -> bytes:
    kinds = [k.value for k in MonitoringKind]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "id",
            "lon",
            "lat",
            "division_code",
            "unit_code",
            "unit_class",
            "water_protection_zones",
            "ecological_redline",
            "nature_reserve_zones",
        ]
        + [f"nearest_{k}_{c}" for k in kinds for c in ("code", "distance_m")]
        + ["error"]
    )
    for a in answers:
        if "error" in a:
            writer.writerow([a["id"], a["lon"], a["lat"], *[""] * (6 + 2 * len(kinds)), a["error"]["code"]])
            continue
        nearest = a["nearest_monitoring_points"]
        writer.writerow(
            [
                a["id"],
                a["lon"],
                a["lat"],
                a["division_code"],
                a["unit"]["code"],
                a["unit"]["class"],
                ";".join(f"{z['source_code']}:{z['grade']}" for z in a["water_protection_zones"]),
                ";".join(a["ecological_redline"]),
                ";".join(f"{z['reserve_code']}:{z['zone']}" for z in a["nature_reserve_zones"]),
            ]
            + [
                v
                for k in kinds
                for v in ((nearest[k]["code"], nearest[k]["distance_m"]) if k in nearest else ("", ""))
            ]
            + [""]
        )
    return buffer.getvalue().encode()


@router.post(
    "/locate",
    summary="Locate up to 100,000 points at once (JSON or CSV in, the same out)",
    responses={
        200: {
            "content": {
                "application/json": {},
                "text/csv": {},
                batch_binary.ARROW_STREAM: {},
                batch_binary.PARQUET: {},
            }
        },
        413: {"content": {PROBLEM_JSON: {}}},
        422: {"content": {PROBLEM_JSON: {}}},
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": {
                        "points": [[115.89, 28.68], {"id": "site-2", "lon": 115.95, "lat": 28.62}],
                        "crs": "EPSG:4326",
                    }
                },
                "text/csv": {"example": "id,lon,lat\nsite-1,115.89,28.68\n"},
                batch_binary.ARROW_STREAM: {"schema": {"type": "string", "format": "binary"}},
                batch_binary.PARQUET: {"schema": {"type": "string", "format": "binary"}},
            },
            "required": True,
        },
        **body_limit(MAX_BODY_BYTES),
    },
)
async def locate_points(
    request: Request,
    snapshots: Annotated[SnapshotCache, Depends(get_snapshots)],
    crs: Annotated[
        str | None, Query(description="crs of the points (CSV; JSON may say it in the body)")
    ] = None,
    as_of: Annotated[date | None, Query()] = None,
) -> Response:
    """Locate many points against the version in force (or on `as_of`).

    JSON in: `{"points": [[lon, lat], …]}` or `[{"id", "lon", "lat"}, …]`, optional `crs`, `as_of`.
    CSV in (`Content-Type: text/csv`, a header with `id,lon,lat`): CSV out. Apache Arrow IPC
    stream (`application/vnd.apache.arrow.stream`) or Parquet (`application/vnd.apache.parquet`)
    with columns `lon`, `lat` (or `x`, `y` and `crs`) and optional `id`: the same format out, up to
    1,000,000 points, one column per answer field. Per point: division,
    control unit, water-source protection zones, red line, nature-reserve zones, the nearest
    monitoring point of each kind (distance in metres, planar EPSG:4548). Points outside the city
    get an `error` of their own instead of failing the batch.
    """
    body = await request.body()  # at most MAX_BODY_BYTES: app.guard refuses more while it streams in
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    # The CPU-bound part runs in the batch threads: a pyproj transformer is re-created on its
    # first use in every thread (~0.5 s under load), so the same two threads do every batch
    # rather than whichever of the 40 request threads is free. GEOS, NumPy and PyArrow release
    # the GIL, so the event loop keeps answering meanwhile.
    cache = request.app.state.locate_fragments
    if content_type in batch_binary.BINARY_TYPES:
        job = _BATCH_THREADS.submit(_locate_binary, snapshots, cache, body, content_type, crs, as_of)
    else:
        job = _BATCH_THREADS.submit(
            _locate_body, snapshots, cache, body, content_type in CSV_TYPES, crs, as_of
        )
    return await asyncio.wrap_future(job)


def _locate_body(
    snapshots: SnapshotCache,
    cache: FragmentCache,
    body: bytes,
    as_csv: bool,
    crs: str | None,
    as_of: date | None,
) -> Response:
    if as_csv:
        ids, lons, lats = _read_csv(body)
    else:
        ids, lons, lats, body_crs, body_as_of = _read_json(body)
        crs = body_crs or crs
        if body_as_of and as_of is None:
            try:
                as_of = date.fromisoformat(str(body_as_of))
            except ValueError:
                raise InvalidInput(f"as_of={body_as_of!r} is not a YYYY-MM-DD date", field="as_of") from None
    if not ids:
        raise InvalidInput("no points given", field="points")
    if len(ids) > MAX_POINTS:
        raise InvalidInput(f"{len(ids)} points: at most {MAX_POINTS} per request", field="points")
    lon, lat = _storage_points(
        _floats(lons, "lon", json_numbers=not as_csv), _floats(lats, "lat", json_numbers=not as_csv), crs
    )
    snapshot = snapshots.current() if as_of is None else snapshots.for_date(as_of)
    if as_csv:
        with _no_cyclic_gc():
            answers = _answers(snapshot, locate_many(snapshot, lon, lat), ids)
        return Response(_csv(answers), media_type="text/csv; charset=utf-8")
    # JSON: pure place-grid cells by lookup, the body from fragments (app/batch_json.py)
    index = fragments_of(cache, snapshot).build_index()
    return Response(
        json_body(snapshot, index.locate_many(lon, lat, _NEAREST_THREADS), ids), media_type="application/json"
    )


def _locate_binary(
    snapshots: SnapshotCache,
    cache: FragmentCache,
    body: bytes,
    media_type: str,
    crs: str | None,
    as_of: date | None,
) -> Response:
    """Arrow IPC or Parquet in, the same out (``app/batch_binary.py``)."""
    ids, first, second = batch_binary.table_points(batch_binary.read_table(body, media_type), crs)
    lon, lat = _storage_points(first, second, crs)
    snapshot = snapshots.current() if as_of is None else snapshots.for_date(as_of)
    index = fragments_of(cache, snapshot).build_index()
    table = batch_binary.answer_table(snapshot, index.locate_many(lon, lat, _NEAREST_THREADS), ids)
    return Response(batch_binary.write_table(table, media_type), media_type=media_type)


def _storage_points(lon: np.ndarray, lat: np.ndarray, crs: str | None) -> tuple[np.ndarray, np.ndarray]:
    """The points in EPSG:4490 lon/lat: converted from ``crs``, or checked as degrees."""
    input_crs = resolve_crs(crs)
    if input_crs.name not in ("EPSG:4326", "EPSG:4490"):
        converted = to_storage(shapely.MultiPoint(np.column_stack([lon, lat])), input_crs, field="points")
        coords = shapely.get_coordinates(converted)
        lon, lat = coords[:, 0].copy(), coords[:, 1].copy()
    else:
        bad = np.flatnonzero((np.abs(lon) > 180) | (np.abs(lat) > 90))
        if bad.size:
            i = int(bad[0])
            raise InvalidCoordinate(
                f"points[{i}] = ({lon[i]}, {lat[i]}) is not lon/lat in degrees", field=f"points[{i}]"
            )
    return lon, lat
