"""OGC API – Features items: ``/ogc/collections/{id}/items`` (paging, bbox, CRS, CQL2) and one item."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

import orjson
from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from app.ogc import cql2, html
from app.ogc.crs import (
    SUPPORTED,
    bbox_to_storage,
    parse_crs,
)
from app.ogc.errors import InvalidQuery
from app.routes.ogc._common import (
    _PAGES,
    COMMON_PARAMS,
    GEOJSON,
    HTML,
    ITEMS_PARAMS,
    JSON,
    MAX_OFFSET,
    _answer,
    _base,
    _check_params,
    _collection,
    _current_version,
    _engine,
    _etag,
    _features,
    _format,
    _headers,
    _link,
    _not_modified,
    _read_page,
    _version,
    reads,
)
from geodata.database import translate_errors
from geodata.ogc import query
from geodata.ogc.collections import Collection
from zoning.errors import NotFound
from zoning.snapshot import VersionInfo


def _int_param(request: Request, name: str, default: int, low: int, high: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidQuery(f"{name}={raw!r} is not an integer", field=name) from None
    if value < low or (high is not None and value > high):
        limit = f"{low}…{high}" if high is not None else f"≥ {low}"
        raise InvalidQuery(f"{name}={value} is outside {limit}", field=name)
    return value


def _bbox_param(request: Request) -> tuple[float, float, float, float] | None:
    raw = request.query_params.get("bbox")
    if raw is None:
        return None
    try:
        nums = [float(v) for v in raw.split(",")]
    except ValueError:
        raise InvalidQuery(
            f"bbox={raw!r}: four (or six) comma-separated numbers expected", field="bbox"
        ) from None
    if not all(math.isfinite(v) for v in nums):
        raise InvalidQuery(f"bbox={raw!r}: NaN and infinities are not coordinates", field="bbox")
    if len(nums) == 6:
        nums = [nums[0], nums[1], nums[3], nums[4]]
    if len(nums) != 4:
        raise InvalidQuery(f"bbox={raw!r}: four (or six) comma-separated numbers expected", field="bbox")
    if nums[0] > nums[2] or nums[1] > nums[3]:
        raise InvalidQuery(f"bbox={raw!r}: the lower corner comes first", field="bbox")
    crs = parse_crs(request.query_params.get("bbox-crs"), "bbox-crs")
    return bbox_to_storage((nums[0], nums[1], nums[2], nums[3]), crs)


def _conditions(request: Request, collection: Collection) -> list[Any]:
    """Property filters (``name=value`` on a queryable) and the CQL2 ``filter``, as SQL conditions."""
    out = []
    for name, raw in request.query_params.multi_items():
        q = collection.queryable(name)
        if q is None:
            continue
        if q.type == "array":
            raise InvalidQuery(f"{name} is an array; filter it with CQL2 instead", field=name)
        column = q.column(collection.table)
        if q.type == "number":
            try:
                out.append(column == float(raw))
            except ValueError:
                raise InvalidQuery(f"{name}={raw!r} is not a number", field=name) from None
        else:
            out.append(column == raw)
    text = request.query_params.get("filter")
    lang = request.query_params.get("filter-lang", "cql2-text")
    if lang != "cql2-text":
        raise InvalidQuery(f"filter-lang={lang!r}: only cql2-text is supported", field="filter-lang")
    if text is not None:
        filter_crs = parse_crs(request.query_params.get("filter-crs"), "filter-crs")
        out.append(cql2.parse(text, collection, filter_crs))
    return out


class _PageUrls:
    """The page's URL with some parameters changed, for its links; each kept parameter is
    percent-encoded once (``urlencode`` form), not once per link."""

    def __init__(self, request: Request, base: str) -> None:
        self.url = f"{base}/collections/{request.path_params['collectionId']}/items"
        self.params = [(k, f"{quote_plus(k)}={quote_plus(v)}") for k, v in request.query_params.multi_items()]

    def __call__(self, **changes: Any) -> str:
        parts = [text for k, text in self.params if k not in changes]
        parts += [f"{quote_plus(k)}={quote_plus(str(v))}" for k, v in changes.items() if v is not None]
        return f"{self.url}?{'&'.join(parts)}" if parts else self.url


@reads.get(
    "/collections/{collectionId}/items",
    summary="Features of a collection (GeoJSON, HTML), paged, filtered",
    openapi_extra={
        "parameters": [
            {
                "name": "bbox",
                "in": "query",
                "schema": {"type": "string"},
                "description": "minx,miny,maxx,maxy in bbox-crs axis order (CRS84: lon,lat; EPSG:4326: lat,lon)",
            },
            {"name": "bbox-crs", "in": "query", "schema": {"type": "string", "enum": list(SUPPORTED)}},
            {"name": "crs", "in": "query", "schema": {"type": "string", "enum": list(SUPPORTED)}},
            {
                "name": "limit",
                "in": "query",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": query.MAX_LIMIT,
                    "default": query.DEFAULT_LIMIT,
                },
            },
            {
                "name": "offset",
                "in": "query",
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
            },
            {
                "name": "datetime",
                "in": "query",
                "schema": {"type": "string"},
                "description": "the dataset version in force on this date (YYYY-MM-DD or RFC 3339 instant)",
            },
            {
                "name": "filter",
                "in": "query",
                "schema": {"type": "string"},
                "description": "CQL2 text (basic + S_INTERSECTS)",
            },
            {"name": "filter-lang", "in": "query", "schema": {"type": "string", "enum": ["cql2-text"]}},
            {"name": "filter-crs", "in": "query", "schema": {"type": "string", "enum": list(SUPPORTED)}},
            {"name": "f", "in": "query", "schema": {"type": "string", "enum": ["geojson", "json", "html"]}},
        ]
    },
)
async def list_items(collectionId: str, request: Request) -> Response:
    """A page of a collection's features with ``numberMatched``/``numberReturned`` and self, alternate,
    next and prev links; property filters on the queryables (``class=priority``) and CQL2 text."""
    # Parsing (bbox and CQL2 coordinates through pyproj) runs in the event loop; only the store is
    # asked from a worker thread. A pyproj transformer is re-created on first use in each thread
    # (~0.5 s under load here); run from 40 pool threads that was the p99 of seconds in issue 14.
    collection = _collection(collectionId)
    _check_params(request, ITEMS_PARAMS | {q.name for q in collection.properties})
    fmt = _format(request, ("geojson", "json", "html"))
    crs = parse_crs(request.query_params.get("crs"), "crs")
    limit = _int_param(request, "limit", query.DEFAULT_LIMIT, 1, query.MAX_LIMIT)
    offset = _int_param(request, "offset", 0, 0, MAX_OFFSET)
    bbox = _bbox_param(request)
    conditions = _conditions(request, collection)
    known = _current_version(request)
    info, published = known if known is not None else await run_in_threadpool(_version, request)
    etag = _etag(info, request, fmt)
    headers = _headers(etag, published, {"Content-Crs": f"<{crs.uri}>"})
    if _not_modified(request, etag, published):
        return Response(status_code=304, headers=headers)
    memory = None
    if not conditions:  # the collection of this (published, immutable) version in memory
        store = _features(request)
        memory = store.get(collection, info) or await run_in_threadpool(store.load, collection, info)
    if memory is not None and fmt != "html" and memory.serves(crs, bbox):
        # The version's features in memory, byte for byte as PostGIS writes them: no round trip.
        mem = memory.page(bbox, limit, offset)
        body = _page_body(request, collection, info, fmt, limit, offset, mem.returned, mem.matched)
        body["features"] = orjson.Fragment(mem.features)
        return Response(orjson.dumps(body), media_type=GEOJSON, headers=headers)
    media = HTML if fmt == "html" else GEOJSON
    cached = _PAGES.get(etag)
    if cached is not None:
        return Response(cached, media_type=media, headers=headers)
    q = query.ItemQuery(info.id, limit, offset, bbox, crs, conditions)
    index = memory.index if memory is not None else None
    page = await run_in_threadpool(_read_page, _engine(request), collection, q, index)
    body = _page_body(request, collection, info, fmt, limit, offset, len(page.features), page.number_matched)
    body["features"] = page.features
    if fmt == "html":
        for f in page.features:
            f["geometry"] = None
        page_html = await run_in_threadpool(html.page, f"{collection.title}: features", body)
        return HTMLResponse(page_html, headers=headers)
    content = orjson.dumps(body)
    if len(content) < 1_000_000:
        _PAGES.put(etag, content)
    return Response(content, media_type=media, headers=headers)


def _page_body(
    request: Request,
    collection: Collection,
    info: VersionInfo,
    fmt: str,
    limit: int,
    offset: int,
    returned: int,
    matched: int,
) -> dict[str, Any]:
    """The FeatureCollection around a page's features (``features`` is filled in by the caller)."""
    base = _base(request)
    page_url = _PageUrls(request, base)
    links = [
        _link(page_url(), "self", HTML if fmt == "html" else GEOJSON, "This page"),
        _link(page_url(f="html"), "alternate", HTML, "This page as HTML"),
        _link(page_url(f="geojson"), "alternate", GEOJSON, "This page as GeoJSON"),
        _link(f"{base}/collections/{collection.id}", "collection", JSON, "The collection"),
    ]
    if offset + returned < matched:
        links.append(_link(page_url(offset=offset + limit, limit=limit), "next", GEOJSON, "Next page"))
    if offset > 0:
        links.append(
            _link(
                page_url(offset=max(0, offset - limit), limit=limit),
                "prev",
                GEOJSON,
                "Previous page",
            )
        )
    return {
        "type": "FeatureCollection",
        "features": [],
        "numberMatched": matched,
        "numberReturned": returned,
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": links,
        "dataset": {"label": info.label, "checksum": info.checksum},
    }


@reads.get("/collections/{collectionId}/items/{featureId}", summary="One feature")
def read_item(collectionId: str, featureId: str, request: Request) -> Response:
    """One feature by id (its code; ``source-grade`` for protection zones, ``reserve-zone`` for reserve zones)."""
    collection = _collection(collectionId)
    crs = parse_crs(request.query_params.get("crs"), "crs")
    base = f"{_base(request)}/collections/{collection.id}"

    def build(info: VersionInfo) -> dict[str, Any]:
        with translate_errors(), _engine(request).connect() as conn:
            feature = query.read_feature(conn, collection, info.id, featureId, crs)
        if feature is None:
            raise NotFound(
                f"{collection.id} has no feature {featureId!r} in version {info.label}", field="featureId"
            )
        feature["links"] = [
            _link(f"{base}/items/{featureId}", "self", GEOJSON, "This feature"),
            _link(f"{base}/items/{featureId}?f=html", "alternate", HTML, "This feature as HTML"),
            _link(base, "collection", JSON, "The collection"),
        ]
        return feature

    return _answer(
        request,
        f"{collection.id} {featureId}",
        build,
        allowed=("geojson", "json", "html"),
        json_type=GEOJSON,
        extra_headers={"Content-Crs": f"<{crs.uri}>"},
        params=COMMON_PARAMS | {"crs"},
    )


# ------------------------------------------------------------------------------------- tiles
