"""Point location: ``GET /v1/locate``."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from datetime import date
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from app.deps import get_snapshot
from app.guard import query_values
from app.maps.previews import render_locate_preview
from app.policy_route import PolicyRoute
from app.schemas import (
    ControlUnitRef,
    DatasetRef,
    DivisionPublic,
    IndustrialParkRef,
    LocatePublic,
    LocationPublic,
    NearestMonitoringPoint,
    RedlineRef,
    ReserveZoneRef,
    WaterZoneRef,
)
from zoning.crs import PLANAR_CRS
from zoning.errors import InvalidParameter, MissingParameter
from zoning.locate import LocateResult, locate_point, read_point
from zoning.locate_index import LocateIndex, PlaceAnswer
from zoning.snapshot import DivisionRecord, UnitRecord, VersionInfo, ZoningSnapshot

router = APIRouter(tags=["locate"], route_class=PolicyRoute)

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


def dataset_ref(version: VersionInfo) -> DatasetRef:
    return DatasetRef(
        label=version.label,
        title_zh=version.title_zh,
        title_en=version.title_en,
        effective_from=version.effective_from,
        effective_to=version.effective_to,
        checksum=version.checksum,
        reconstruction=version.reconstruction,
    )


def unit_ref(unit: UnitRecord) -> ControlUnitRef:
    return ControlUnitRef(
        code=unit.code,
        name_zh=unit.name_zh,
        name_en=unit.name_en,
        control_class=unit.control_class,
        class_label_zh=unit.control_class.label_zh,
        class_label_en=unit.control_class.label_en,
    )


def _division(d: DivisionRecord) -> DivisionPublic:
    return DivisionPublic(code=d.code, name_zh=d.name_zh, name_en=d.name_en, level=d.level)


def zone_ref(z: Any) -> WaterZoneRef:
    """The wire form of a water-source protection zone (for the model and the fragments)."""
    return WaterZoneRef(
        source_code=z.source_code,
        source_name_zh=z.source_name_zh,
        source_name_en=z.source_name_en,
        grade=z.grade,
        grade_label_zh=z.grade.label_zh,
    )


def redline_ref(r: Any) -> RedlineRef:
    """The wire form of a red-line patch."""
    return RedlineRef(code=r.code, name_zh=r.name_zh, kind=r.kind, kind_label_zh=r.kind.label_zh)


def reserve_ref(z: Any) -> ReserveZoneRef:
    """The wire form of a nature-reserve functional zone."""
    return ReserveZoneRef(
        reserve_code=z.reserve_code,
        reserve_name_zh=z.reserve_name_zh,
        reserve_name_en=z.reserve_name_en,
        zone=z.zone,
        zone_label_zh=z.zone.label_zh,
    )


def park_ref(p: Any) -> IndustrialParkRef:
    """The wire form of an industrial park (one builder for the model and the fragments)."""
    return IndustrialParkRef(
        code=p.code,
        name_zh=p.name_zh,
        name_en=p.name_en,
        level=p.level,
        level_label_zh=p.level.label_zh,
        recognised_chemical_park=p.recognised_chemical_park,
        industry_codes=list(p.industry_codes),
    )


def locate_public(result: LocateResult) -> LocatePublic:
    """Shape a domain locate result as the public answer."""
    return LocatePublic(
        location=LocationPublic(lon=result.lon, lat=result.lat),
        division=_division(result.division),
        named_areas=[_division(d) for d in result.named_areas],
        control_unit=unit_ref(result.unit),
        boundary_units=[unit_ref(u) for u in result.boundary_units],
        water_protection_zones=[zone_ref(z) for z in result.water_zones],
        ecological_redline=[redline_ref(r) for r in result.redlines],
        nature_reserve_zones=[reserve_ref(z) for z in result.reserve_zones],
        industrial_parks=[park_ref(p) for p in result.industrial_parks],
        nearest_monitoring_points=[
            NearestMonitoringPoint(
                code=n.point.code,
                name_zh=n.point.name_zh,
                kind=kind,
                kind_label_zh=kind.label_zh,
                level=n.point.level,
                subtype=n.point.subtype,
                distance_m=n.distance_m,
            )
            for kind, n in result.nearest_monitoring.items()
        ],
        distance_method=_distance_method(result.distance_crs),
        dataset=dataset_ref(result.version),
    )


class LocateFragments:
    """Answer fragments of one snapshot, serialised once: the answer to a point is a handful of
    records (division, unit, zones, red line, reserve zones, monitoring points) plus distances.

    Each record's JSON is written by its pydantic model on first use and kept as an
    ``orjson.Fragment``, so a request assembles bytes instead of validating models. The output is
    the ``LocatePublic`` document (tests/app/test_locate_fragments.py compares the two).
    """

    def __init__(self, snapshot: ZoningSnapshot) -> None:
        self.snapshot = snapshot
        self.dataset = orjson.Fragment(dataset_ref(snapshot.version).model_dump_json())
        self._parts: dict[int, Any] = {}
        self.index: LocateIndex | None = None
        """the snapshot's place grid and nearest candidates, once built (``index_or_start``)"""
        self._index_lock = threading.Lock()
        self._index_started = False
        self._place_bytes: dict[int, bytes] = {}
        self._monitoring_bytes: dict[tuple[Any, int], bytes] = {}
        self._tail = (
            b'],"distance_method":'
            + orjson.dumps(_distance_method(PLANAR_CRS))
            + b',"dataset":'
            + orjson.dumps(self.dataset)
            + b"}"
        )

    def build_index(self) -> LocateIndex:
        """The snapshot's locate index, built once (seconds of CPU: call it off the event loop)."""
        with self._index_lock:
            if self.index is None:
                self.index = LocateIndex.build(self.snapshot)
            return self.index

    def index_or_start(self) -> LocateIndex | None:
        """The index if built; else start building it in a thread once, and answer None meanwhile
        (the exact path answers until it is ready)."""
        if self.index is None and not self._index_started:
            self._index_started = True
            threading.Thread(target=self.build_index, name="locate-index", daemon=True).start()
        return self.index

    def fast_body(self, lon: float, lat: float) -> bytes | None:
        """The answer's bytes by lookup (pure place-grid cell), or None: the exact path answers.

        Byte for byte what :meth:`body` writes for ``locate_point`` (tests/app/test_locate_fragments.py).
        """
        index = self.index
        if index is None:
            return None
        found = index.lookup(lon, lat)
        if found is None:
            return None
        answer, nearest = found
        place = self._place_bytes.get(id(answer))
        if place is None:
            place = self._place_bytes[id(answer)] = self._place_part(answer)
        parts = [
            b'{"location":{"lon":',
            orjson.dumps(lon),
            b',"lat":',
            orjson.dumps(lat),
            b',"crs":"EPSG:4490"},',
            place,
        ]
        for n, (kind, i, distance) in enumerate(nearest):
            head = self._monitoring_bytes.get((kind, i))
            if head is None:
                head = self._monitoring_bytes[(kind, i)] = self._monitoring_head(kind, i)
            parts.append(b"," + head if n else head)
            parts.append(orjson.dumps(round(distance, 1)))
            parts.append(b"}")
        parts.append(self._tail)
        return b"".join(parts)

    def _place_part(self, a: PlaceAnswer) -> bytes:
        """``"division": …, "industrial_parks": [...], "nearest_monitoring_points": [`` of a place."""
        s, part = self.snapshot, self.part
        doc = orjson.dumps(
            {
                "division": part(s.divisions.records[a.division], _division_fragment),
                "named_areas": [part(s.divisions.records[i], _division_fragment) for i in a.named_areas],
                "control_unit": part(s.units.records[a.unit], _unit_fragment),
                "boundary_units": [part(s.units.records[i], _unit_fragment) for i in a.boundary_units],
                "water_protection_zones": [
                    part(s.water_zones.records[i], _zone_fragment) for i in a.water_zones
                ],
                "ecological_redline": [part(s.redlines.records[i], _redline_fragment) for i in a.redlines],
                "nature_reserve_zones": [
                    part(s.reserve_zones.records[i], _reserve_fragment) for i in a.reserve_zones
                ],
                "industrial_parks": [
                    part(s.industrial_parks.records[i], _park_fragment) for i in a.industrial_parks
                ],
            }
        )
        return doc[1:-1] + b',"nearest_monitoring_points":['

    def _monitoring_head(self, kind: Any, i: int) -> bytes:
        """A monitoring point's object up to its distance: ``{"code": …, "distance_m":``."""
        record = self.snapshot.monitoring[kind].records[i]
        return orjson.dumps(self.part(record, _monitoring_part))[:-1] + b',"distance_m":'

    def part(self, record: Any, build: Callable[[Any], Any]) -> Any:
        """The fragment of a record (keyed by identity: records live as long as their snapshot)."""
        key = id(record)
        hit = self._parts.get(key)
        if hit is None:
            hit = self._parts[key] = build(record)
        return hit

    def body(self, result: LocateResult) -> bytes:
        part = self.part
        return orjson.dumps(
            {
                "location": {"lon": result.lon, "lat": result.lat, "crs": "EPSG:4490"},
                "division": part(result.division, _division_fragment),
                "named_areas": [part(d, _division_fragment) for d in result.named_areas],
                "control_unit": part(result.unit, _unit_fragment),
                "boundary_units": [part(u, _unit_fragment) for u in result.boundary_units],
                "water_protection_zones": [part(z, _zone_fragment) for z in result.water_zones],
                "ecological_redline": [part(r, _redline_fragment) for r in result.redlines],
                "nature_reserve_zones": [part(z, _reserve_fragment) for z in result.reserve_zones],
                "industrial_parks": [part(p, _park_fragment) for p in result.industrial_parks],
                "nearest_monitoring_points": [
                    {**part(n.point, _monitoring_part), "distance_m": n.distance_m}
                    for n in result.nearest_monitoring.values()
                ],
                "distance_method": _distance_method(result.distance_crs),
                "dataset": self.dataset,
            }
        )


def _distance_method(crs: str) -> str:
    return f"planar, {crs} (CGCS2000 / 3-degree Gauss-Kruger CM 117E), metres"


def _division_fragment(d: DivisionRecord) -> orjson.Fragment:
    return orjson.Fragment(_division(d).model_dump_json(by_alias=True))


def _unit_fragment(u: UnitRecord) -> orjson.Fragment:
    return orjson.Fragment(unit_ref(u).model_dump_json(by_alias=True))


def _zone_fragment(z: Any) -> orjson.Fragment:
    return orjson.Fragment(zone_ref(z).model_dump_json(by_alias=True))


def _redline_fragment(r: Any) -> orjson.Fragment:
    return orjson.Fragment(redline_ref(r).model_dump_json(by_alias=True))


def _reserve_fragment(z: Any) -> orjson.Fragment:
    return orjson.Fragment(reserve_ref(z).model_dump_json(by_alias=True))


def _park_fragment(p: Any) -> orjson.Fragment:
    return orjson.Fragment(park_ref(p).model_dump_json(by_alias=True))


def _monitoring_part(p: Any) -> dict[str, Any]:
    """A monitoring point's fields but its distance (which differs per request)."""
    return {
        "code": p.code,
        "name_zh": p.name_zh,
        "kind": p.kind.value,
        "kind_label_zh": p.kind.label_zh,
        "level": p.level,
        "subtype": p.subtype,
    }


FragmentCache = dict[int, tuple["weakref.ref[ZoningSnapshot]", LocateFragments]]
_CACHE_LOCK = threading.Lock()


def locate_fragments(request: Request, snapshot: ZoningSnapshot) -> LocateFragments:
    """The fragments of this snapshot, from the app's cache (a few versions are ever asked)."""
    return fragments_of(request.app.state.locate_fragments, snapshot)


def fragments_of(cache: FragmentCache, snapshot: ZoningSnapshot) -> LocateFragments:
    """The fragments of a snapshot from a cache (``app.state.locate_fragments``); any thread."""
    hit = cache.get(id(snapshot))
    if hit is not None and hit[0]() is snapshot:
        return hit[1]
    with _CACHE_LOCK:
        hit = cache.get(id(snapshot))
        if hit is not None and hit[0]() is snapshot:
            return hit[1]
        fragments = LocateFragments(snapshot)
        if len(cache) >= 8:
            cache.clear()
        cache[id(snapshot)] = (weakref.ref(snapshot), fragments)
        return fragments


LOCATE_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "lon",
        "in": "query",
        "required": True,
        "schema": {"type": "string"},
        "example": "115.892",
        "description": "longitude: decimal or DMS degrees (115°52'30\"E); easting in metres for a Gauss-Kruger crs",
    },
    {
        "name": "lat",
        "in": "query",
        "required": True,
        "schema": {"type": "string"},
        "example": "28.676",
        "description": "latitude: decimal or DMS degrees (28°41'N); northing in metres for a Gauss-Kruger crs",
    },
    {
        "name": "crs",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "EPSG:4326 (default), EPSG:4490, EPSG:4547/4548, EPSG:4526/4527, GCJ02, BD09",
    },
    {
        "name": "as_of",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "format": "date"},
        "description": "answer from the dataset version in force on this date (YYYY-MM-DD); default today",
    },
    {
        "name": "f",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["json", "html"], "default": "json"},
        "description": "`html`: a map preview of the answer",
    },
]


def _query(request: Request) -> tuple[str, str, str | None, date | None, str]:
    """lon, lat, crs, as_of and f from the query string, refused with the same problems as elsewhere."""
    q = query_values(request.scope["query_string"])
    values = []
    for name in ("lon", "lat"):
        value = q.get(name)
        if value is None or value == "":
            raise MissingParameter(f"query parameter '{name}' is missing", field=name)
        values.append(value)
    as_of_text = q.get("as_of")
    as_of = None
    if as_of_text:
        try:
            as_of = date.fromisoformat(as_of_text)
        except ValueError:
            raise InvalidParameter(
                f"query parameter 'as_of': {as_of_text!r} is not a YYYY-MM-DD date", field="as_of"
            ) from None
    f = q.get("f", "json")
    if f not in ("json", "html"):
        raise InvalidParameter(f"query parameter 'f': {f!r} is not one of json, html", field="f")
    return values[0], values[1], q.get("crs") or None, as_of, f


@router.get(
    "/locate",
    response_model=LocatePublic,
    response_model_by_alias=True,
    summary="Which control unit, protection zones and red line hold a point",
    responses={422: PROBLEM, 503: PROBLEM},
    openapi_extra={"parameters": LOCATE_PARAMETERS},
)
async def locate_site(request: Request) -> Response:
    """Locate a point in the zoning of the version in force (today, or on `as_of`).

    Coordinates may be given in any supported `crs`; the answer's `location` is in CGCS2000
    (EPSG:4490). A point on the boundary of two units belongs to both (covers, not contains): the
    first by code is `control_unit`, the others are listed in `boundary_units`.

    Returns the county-level division, the control unit (code, name, class with zh/en label),
    water-source protection zones by grade, ecological red line and nature-reserve zones holding
    the point, and the nearest monitoring point of each kind with its distance.
    """
    # The hot path of the service, measured in bench/serving.py: the query string is read here
    # rather than through FastAPI's parameter validation (which cost as much as the answer itself;
    # the parameters are documented in `openapi_extra`), and the route is `async def` though it
    # computes — the in-memory answer takes ~0.1 ms of CPU and no I/O, less than a thread hop.
    # The map preview (tens of ms) goes to a worker thread.
    lon, lat, crs, as_of, f = _query(request)
    snapshot = await get_snapshot(request, as_of)
    x, y = read_point(lon, lat, crs)
    fragments = locate_fragments(request, snapshot)
    if f == "json" and fragments.index_or_start() is not None:
        body = fragments.fast_body(x, y)  # a pure place-grid cell: lookups, no geometry
        if body is not None:
            return Response(body, media_type="application/json")
    result = locate_point(snapshot, x, y)
    if f == "html":
        maps = request.app.state.settings.maps
        page = await run_in_threadpool(
            render_locate_preview,
            result,
            snapshot=snapshot,
            tile_url=maps.tile_url,
            tile_attribution=maps.tile_attribution,
        )
        return HTMLResponse(page)
    return Response(fragments.body(result), media_type="application/json")
