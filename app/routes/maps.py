"""Map pages: the planners' zoning map ``/map`` and its per-zoom layer geometry."""

from __future__ import annotations

import threading
from collections import OrderedDict
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from app.deps import AsOf, SnapshotDep
from app.maps import layers
from app.maps.planner import render_planner_map
from geodata.loader import read_industries
from zoning.errors import InvalidInput

router = APIRouter(tags=["maps"])


MapLayer = StrEnum("MapLayer", [(key.upper(), key) for key in layers.LAYERS])  # type: ignore[misc]
"""The layers ``/map/layers/{layer}.geojson`` serves: the registry's map layers, by dataset key."""


class _PageCache:
    """The last few rendered /map pages, by dataset version: a version is immutable, so is its page."""

    def __init__(self, size: int = 8) -> None:
        self._pages: OrderedDict[tuple[Any, ...], str] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, key: tuple[Any, ...]) -> str | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: tuple[Any, ...], page: str) -> None:
        with self._lock:
            self._pages[key] = page
            while len(self._pages) > self._size:
                self._pages.popitem(last=False)


def _page_cache(request: Request) -> _PageCache:
    state = request.app.state
    cache = getattr(state, "map_pages", None)
    if cache is None:
        cache = state.map_pages = _PageCache()
    return cache


def _industries(request: Request) -> list[dict[str, Any]]:
    state = request.app.state
    if getattr(state, "map_industries", None) is None:
        state.map_industries = read_industries()
    return state.map_industries


@router.get("/map", response_class=HTMLResponse, summary="The planners' zoning map", include_in_schema=True)
def show_zoning_map(request: Request, snapshot: SnapshotDep, as_of: AsOf = None) -> HTMLResponse:
    """Every layer of the version in force (or on `as_of`) on one offline Leaflet map.

    Control units coloured by class, water-source protection zones by grade, ecological red line,
    nature-reserve zones, division boundaries and names, lakes and rivers, monitoring points
    clustered by kind; search by unit code or name; click to locate; draw or upload a footprint to
    screen it. Geometry is simplified to ~50 m; from zoom 12 the page fetches per-zoom detail.
    """
    maps = request.app.state.settings.maps
    v = snapshot.version
    key = (v.id, v.checksum, as_of.isoformat() if as_of else None, maps.tile_url, maps.tile_attribution)
    cache = _page_cache(request)
    page = cache.get(key)
    if page is None:
        page = render_planner_map(
            snapshot,
            industries=_industries(request),
            as_of=key[2],
            tile_url=maps.tile_url,
            tile_attribution=maps.tile_attribution,
        )
        cache.put(key, page)
    return HTMLResponse(page)


@router.get(
    "/map/layers/{layer}.geojson",
    summary="One map layer for a bounding box, simplified for a zoom level",
    responses={
        200: {"content": {"application/geo+json": {}}},
        422: {"content": {"application/problem+json": {}}},
    },
)
def get_map_layer(
    snapshot: SnapshotDep,
    layer: MapLayer,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat (EPSG:4326)")] = None,
    zoom: Annotated[
        float, Query(ge=0, le=22, description="Web-map zoom the geometry is simplified for")
    ] = 10,
    as_of: AsOf = None,
) -> JSONResponse:
    """Features of one layer intersecting `bbox`, in EPSG:4326, simplified to half a pixel at `zoom`."""
    box = None
    if bbox is not None:
        try:
            box = layers.parse_bbox(bbox)
        except ValueError as exc:
            raise InvalidInput(f"bbox={bbox!r}: {exc}", field="bbox") from None
    fc = layers.layer_collection(snapshot, layer.value, tolerance=layers.tolerance_for_zoom(zoom), bbox=box)
    return JSONResponse(fc, media_type="application/geo+json")
