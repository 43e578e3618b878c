"""OGC API – Features (Part 1 core, GeoJSON, HTML; Part 2 CRS; Part 3 queryables and CQL2 text)
and OGC API – Tiles (WebMercatorQuad, Mapbox vector tiles) over the zoning layers, at ``/ogc``.

Every answer comes from one dataset version: the one in force today, or on ``datetime``. Responses
carry an ETag (hash of the version's checksum and the request) and Last-Modified (the version's
publication time) and answer 304 to a matching conditional GET. Reads are open to browsers from
any origin (CORS ``*``, GET only). Unknown query parameters are a 400 problem, as the standard asks.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from app.ogc import cql2, html
from app.ogc.crs import (
    CRS84,
    DEFAULT,
    STORAGE_CRS,
    SUPPORTED,
    SupportedCrs,
    bbox_to_storage,
    parse_crs,
)
from app.ogc.errors import InvalidQuery
from geodata import repository
from geodata.database import translate_errors
from geodata.ogc import query, tiles
from geodata.ogc.collections import COLLECTIONS, Collection
from zoning.errors import NotFound
from zoning.snapshot import VersionInfo

router = APIRouter(tags=["OGC API"])
reads = APIRouter(prefix="/ogc")
"""Every GET follows the service's read policy; the CORS preflight (on ``router``) is public
(both declared in ``app/main.py``)."""

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
MVT = "application/vnd.mapbox-vector-tile"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Last-Modified, Content-Crs, Link",
}
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]
MAX_OFFSET = 2**31 - 1
"""Paging offsets past any layer's size answer an empty page; larger ones (PostgreSQL's bigint ends at
2^63 − 1) are refused as out of range."""
COMMON_PARAMS = {"f", "datetime"}
ITEMS_PARAMS = COMMON_PARAMS | {
    "bbox",
    "bbox-crs",
    "crs",
    "limit",
    "offset",
    "filter",
    "filter-lang",
    "filter-crs",
}

# ----------------------------------------------------------------------------------- helpers


class _Lru:
    """A small thread-safe LRU of rendered responses; keys include the version checksum."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)


_PAGES = _Lru(512)  # items pages are immutable per version: (etag) -> body bytes
_VERSION_META = _Lru(64)  # (version id, checksum) -> published_at
_EXTENTS = _Lru(256)  # (collection, version id, checksum) -> (extent, count)
_GEOMETRY = query.GeometryCache()  # GeoJSON text per feature of published versions
_INDEXES = _Lru(32)  # (collection, version id) -> FeatureIndex (published versions are immutable)


def _engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _check_params(request: Request, allowed: set[str]) -> None:
    """OGC API – Features /req/core/query-param-unknown: an unknown parameter is a 400."""
    for name in request.query_params:
        if name not in allowed:
            raise InvalidQuery(
                f"unknown query parameter {name!r}; this resource takes {', '.join(sorted(allowed))}",
                field=name,
            )


def _parse_date(value: str | None) -> date | None:
    """``datetime`` names an instant (date or RFC 3339 date-time): the version in force then answers."""
    if value is None or value in {"", ".."}:
        return None
    text = value.strip()
    if "/" in text:
        raise InvalidQuery(
            "datetime: give one date or instant (the version in force then); intervals are not supported",
            field="datetime",
        )
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        raise InvalidQuery(
            f"datetime={value!r} is not a date (YYYY-MM-DD) or RFC 3339 date-time", field="datetime"
        ) from None


def _version(request: Request) -> tuple[VersionInfo, datetime | None]:
    """The version answering the request (in force today or on ``datetime``) and its publication time."""
    on = _parse_date(request.query_params.get("datetime"))
    engine = _engine(request)
    if on is None or on == date.today():
        info = request.app.state.snapshots.current().version
    else:
        with translate_errors(), engine.connect() as conn:
            info = repository.version_in_force(conn, on, asked=True)
    key = f"{info.id}:{info.checksum}"
    published = _VERSION_META.get(key)
    if published is None:
        with translate_errors(), engine.connect() as conn:
            published = query.published_at(conn, info.id) or datetime(1970, 1, 1, tzinfo=UTC)
        _VERSION_META.put(key, published)
    return info, published


def _current_version(request: Request) -> tuple[VersionInfo, datetime | None] | None:
    """The version in force and its publication time when both are in memory (no I/O), else None."""
    on = request.query_params.get("datetime")
    if on not in (None, "", ".."):
        return None
    info = request.app.state.snapshots.current().version
    published = _VERSION_META.get(f"{info.id}:{info.checksum}")
    return (info, published) if published is not None else None


def _read_page(engine: Engine, collection: Collection, q: query.ItemQuery) -> query.Page:
    # Autocommit: a single read needs no transaction, which spares the BEGIN and the ROLLBACK
    # round trips around the page's one statement.
    with translate_errors(), engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if q.conditions:
            return query.read_page(conn, collection, q, _GEOMETRY)
        key = f"{collection.id}:{q.version_id}"
        index = _INDEXES.get(key)
        if index is None:
            index = query.FeatureIndex.load(conn, collection, q.version_id)
            _INDEXES.put(key, index)
        return query.read_indexed_page(conn, collection, q, index, _GEOMETRY)


def _format(request: Request, allowed: tuple[str, ...] = ("json", "html")) -> str:
    """``f`` first, then the Accept header: html for browsers, json (or geojson) otherwise."""
    f = request.query_params.get("f")
    if f is not None:
        if f not in allowed:
            raise InvalidQuery(f"f={f!r}: this resource is available as {', '.join(allowed)}", field="f")
        return f
    accept = request.headers.get("accept", "")
    if HTML in accept and "html" in allowed and "json" not in accept:
        return "html"
    return "geojson" if "geojson" in allowed and GEOJSON in accept else allowed[0]


def _etag(info: VersionInfo, request: Request, fmt: str) -> str:
    items = sorted(request.query_params.multi_items())
    raw = f"{info.checksum}|{request.url.path}|{urlencode(items)}|{fmt}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def _not_modified(request: Request, etag: str, published: datetime | None) -> bool:
    """RFC 9110 §13.1: If-None-Match wins over If-Modified-Since."""
    inm = request.headers.get("if-none-match")
    if inm is not None:
        return inm.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in inm.split(",")]
    ims = request.headers.get("if-modified-since")
    if ims and published is not None:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        return published.replace(microsecond=0) <= since
    return False


def _headers(etag: str, published: datetime | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    out = {**CORS, "ETag": etag}
    if published is not None:
        out["Last-Modified"] = format_datetime(published.astimezone(UTC), usegmt=True)
    if extra:
        out.update(extra)
    return out


def _answer(
    request: Request,
    title: str,
    build: Any,
    *,
    allowed: tuple[str, ...] = ("json", "html"),
    json_type: str = JSON,
    extra_headers: dict[str, str] | None = None,
    params: set[str] = COMMON_PARAMS,
) -> Response:
    """Check parameters, negotiate, answer 304 when the client's copy is current, else render ``build``."""
    _check_params(request, params)
    fmt = _format(request, allowed)
    info, published = _version(request)
    etag = _etag(info, request, fmt)
    headers = _headers(etag, published, extra_headers)
    if _not_modified(request, etag, published):
        return Response(status_code=304, headers=headers)
    body = build(info)
    if fmt == "html":
        return HTMLResponse(html.page(title, body), headers=headers)
    return Response(
        orjson.dumps(body), media_type=GEOJSON if fmt == "geojson" else json_type, headers=headers
    )


def _collection(collection_id: str) -> Collection:
    collection = COLLECTIONS.get(collection_id)
    if collection is None:
        raise NotFound(f"no collection {collection_id!r}; see /ogc/collections", field="collectionId")
    return collection


def _link(href: str, rel: str, type_: str, title: str | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    out.update(extra)
    return out


def _collection_body(request: Request, collection: Collection, info: VersionInfo) -> dict[str, Any]:
    base = _base(request)
    href = f"{base}/collections/{collection.id}"
    key = f"{collection.id}:{info.id}:{info.checksum}"
    cached = _EXTENTS.get(key)
    if cached is None:
        with translate_errors(), _engine(request).connect() as conn:
            cached = (query.extent(conn, collection, info.id),)
        _EXTENTS.put(key, cached)
    extent = cached[0]
    body: dict[str, Any] = {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "crs": list(SUPPORTED),
        "storageCrs": STORAGE_CRS,
        "links": [
            _link(href, "self", JSON, "This collection"),
            _link(f"{href}?f=html", "alternate", HTML, "This collection as HTML"),
            _link(f"{href}/items", "items", GEOJSON, "Features"),
            _link(f"{href}/items?f=html", "items", HTML, "Features as HTML"),
            _link(
                f"{href}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
                "Queryables",
            ),
            _link(
                f"{href}/tiles",
                "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                JSON,
                "Vector tilesets",
            ),
        ],
        "dataset": {
            "label": info.label,
            "checksum": info.checksum,
            "effective_from": _iso(info.effective_from),
        },
    }
    if extent is not None:
        body["extent"] = {"spatial": {"bbox": [[round(v, 7) for v in extent]], "crs": CRS84}}
    return body


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


# ------------------------------------------------------------------------------------ routes


@reads.get("", summary="OGC API landing page")
def read_landing_page(request: Request) -> Response:
    """Landing page of the OGC API: links to the API description, conformance and collections."""
    base = _base(request)
    root = str(request.base_url).rstrip("/")

    def build(info: VersionInfo) -> dict[str, Any]:
        return {
            "title": "Nanchang ecological-environment zoning 南昌市生态环境分区管控 — OGC API",
            "description": f"Zoning layers of dataset version {info.label} (checksum {info.checksum[:12]}…).",
            "links": [
                _link(base, "self", JSON, "This document"),
                _link(f"{base}?f=html", "alternate", HTML, "This document as HTML"),
                _link(f"{root}/openapi.json", "service-desc", OPENAPI, "The API definition"),
                _link(f"{root}/docs", "service-doc", HTML, "The API documentation"),
                _link(f"{base}/conformance", "conformance", JSON, "Conformance classes"),
                _link(f"{base}/collections", "data", JSON, "Collections"),
                _link(
                    f"{base}/tileMatrixSets",
                    "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
                    JSON,
                    "Tile matrix sets",
                ),
            ],
        }

    return _answer(request, "OGC API", build)


@reads.get("/conformance", summary="Conformance classes")
def read_conformance(request: Request) -> Response:
    """The OGC conformance classes this API implements."""
    return _answer(request, "Conformance", lambda _info: {"conformsTo": CONFORMANCE})


@reads.get("/collections", summary="Feature collections of the version in force")
def list_collections(request: Request) -> Response:
    """Every zoning layer of the dataset version in force (or on ``datetime``), with extent and CRSs."""
    base = _base(request)

    def build(info: VersionInfo) -> dict[str, Any]:
        return {
            "links": [
                _link(f"{base}/collections", "self", JSON, "Collections"),
                _link(f"{base}/collections?f=html", "alternate", HTML, "Collections as HTML"),
            ],
            "crs": list(SUPPORTED),
            "collections": [_collection_body(request, c, info) for c in COLLECTIONS.values()],
        }

    return _answer(request, "Collections", build)


@reads.get("/collections/{collectionId}", summary="One feature collection")
def read_collection(collectionId: str, request: Request) -> Response:
    """A collection's description: title, extent, supported CRSs, storage CRS and links."""
    collection = _collection(collectionId)
    # GDAL < 3.7 passes the query of an OAPIF:…/collections/{id}?crs=… URL on to every request.
    return _answer(
        request,
        collection.title,
        lambda info: _collection_body(request, collection, info),
        params=COMMON_PARAMS | {"crs"},
    )


@reads.get("/collections/{collectionId}/queryables", summary="Queryable properties (JSON Schema)")
def read_queryables(collectionId: str, request: Request) -> Response:
    """The properties a client may filter on, with ``key=value`` or CQL2, as a JSON Schema."""
    collection = _collection(collectionId)
    href = f"{_base(request)}/collections/{collection.id}/queryables"

    def build(_info: VersionInfo) -> dict[str, Any]:
        props: dict[str, Any] = {
            "geometry": {"format": f"geometry-{collection.geometry_type.lower()}", "title": "Geometry"}
        }
        props.update({q.name: q.schema() for q in collection.properties})
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": href,
            "type": "object",
            "title": collection.title,
            "properties": props,
            "additionalProperties": False,
        }

    return _answer(request, f"Queryables of {collection.id}", build, json_type="application/schema+json")


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


def _page_url(request: Request, **changes: Any) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params += [(k, str(v)) for k, v in changes.items() if v is not None]
    url = f"{_base(request)}/collections/{request.path_params['collectionId']}/items"
    return f"{url}?{urlencode(params)}" if params else url


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
    media = HTML if fmt == "html" else GEOJSON
    cached = _PAGES.get(etag)
    if cached is not None:
        return Response(cached, media_type=media, headers=headers)
    q = query.ItemQuery(info.id, limit, offset, bbox, crs, conditions)
    page = await run_in_threadpool(_read_page, _engine(request), collection, q)
    returned = len(page.features)
    links = [
        _link(_page_url(request), "self", HTML if fmt == "html" else GEOJSON, "This page"),
        _link(_page_url(request, f="html"), "alternate", HTML, "This page as HTML"),
        _link(_page_url(request, f="geojson"), "alternate", GEOJSON, "This page as GeoJSON"),
        _link(f"{_base(request)}/collections/{collection.id}", "collection", JSON, "The collection"),
    ]
    if offset + returned < page.number_matched:
        links.append(
            _link(_page_url(request, offset=offset + limit, limit=limit), "next", GEOJSON, "Next page")
        )
    if offset > 0:
        links.append(
            _link(
                _page_url(request, offset=max(0, offset - limit), limit=limit),
                "prev",
                GEOJSON,
                "Previous page",
            )
        )
    body = {
        "type": "FeatureCollection",
        "features": page.features,
        "numberMatched": page.number_matched,
        "numberReturned": returned,
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": links,
        "dataset": {"label": info.label, "checksum": info.checksum},
    }
    if fmt == "html":
        for f in page.features:
            f["geometry"] = None
        page_html = await run_in_threadpool(html.page, f"{collection.title}: features", body)
        return HTMLResponse(page_html, headers=headers)
    content = orjson.dumps(body)
    if len(content) < 1_000_000:
        _PAGES.put(etag, content)
    return Response(content, media_type=media, headers=headers)


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


def _tileset_body(request: Request, collection: Collection) -> dict[str, Any]:
    base = f"{_base(request)}/collections/{collection.id}/tiles/{tiles.TMS_ID}"
    return {
        "title": f"{collection.title} — vector tiles",
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": tiles.TMS_URI,
        "layers": [
            {
                "id": collection.id,
                "dataType": "vector",
                "geometryType": collection.geometry_type.lower()
                .replace("multipolygon", "polygons")
                .replace("point", "points"),
                "propertiesSchema": {
                    "type": "object",
                    "properties": {q.name: q.schema() for q in collection.properties if q.type != "array"},
                },
            }
        ],
        "links": [
            _link(base, "self", JSON, "This tileset"),
            _link(
                f"{_base(request)}/tileMatrixSets/{tiles.TMS_ID}",
                "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
                JSON,
                "WebMercatorQuad",
            ),
            # The path is z/x/y (what web maps expect); the template says so to OGC clients.
            _link(f"{base}/{{tileMatrix}}/{{tileCol}}/{{tileRow}}", "item", MVT, "Tiles", templated=True),
        ],
    }


@reads.get("/collections/{collectionId}/tiles", summary="Vector tilesets of a collection")
def list_tilesets(collectionId: str, request: Request) -> Response:
    """The collection's vector tilesets: one, in WebMercatorQuad, as Mapbox vector tiles."""
    collection = _collection(collectionId)
    return _answer(
        request,
        f"{collection.id} tilesets",
        lambda _i: {
            "links": [_link(f"{_base(request)}/collections/{collection.id}/tiles", "self", JSON, "Tilesets")],
            "tilesets": [_tileset_body(request, collection)],
        },
    )


@reads.get("/collections/{collectionId}/tiles/WebMercatorQuad", summary="Vector tileset metadata")
def read_tileset(collectionId: str, request: Request) -> Response:
    """Metadata of the WebMercatorQuad vector tileset: layer, properties and the tile URL template."""
    collection = _collection(collectionId)
    return _answer(request, f"{collection.id} tileset", lambda _i: _tileset_body(request, collection))


@reads.get("/tileMatrixSets", summary="Tile matrix sets")
def list_tile_matrix_sets(request: Request) -> Response:
    """The tile matrix sets tiles are served in: WebMercatorQuad."""
    href = f"{_base(request)}/tileMatrixSets/{tiles.TMS_ID}"
    return _answer(
        request,
        "Tile matrix sets",
        lambda _i: {
            "tileMatrixSets": [
                {"id": tiles.TMS_ID, "uri": tiles.TMS_URI, "links": [_link(href, "self", JSON, tiles.TMS_ID)]}
            ]
        },
    )


@reads.get("/tileMatrixSets/WebMercatorQuad", summary="The WebMercatorQuad tile matrix set")
def read_tile_matrix_set(request: Request) -> Response:
    """The WebMercatorQuad definition (OGC 17-083r4), zoom 0–22."""
    return _answer(request, tiles.TMS_ID, lambda _i: tiles.tile_matrix_set())


@reads.get(
    "/collections/{collectionId}/tiles/WebMercatorQuad/{z}/{x}/{y}",
    summary="A Mapbox vector tile (204 when empty)",
    responses={200: {"content": {MVT: {}}}, 204: {"description": "no feature in this tile"}},
)
def read_tile(collectionId: str, z: int, x: int, y: int, request: Request) -> Response:
    """One Mapbox vector tile of a collection, z/x/y in WebMercatorQuad; 204 No Content when empty."""
    collection = _collection(collectionId)
    _check_params(request, {"datetime"})
    if not tiles.valid_tile(z, x, y):
        raise NotFound(f"no tile {z}/{x}/{y} in WebMercatorQuad (zoom 0–{tiles.MAX_ZOOM})", field="z")
    info, published = _version(request)
    etag = _etag(info, request, "mvt")
    headers = _headers(etag, published)
    if _not_modified(request, etag, published):
        return Response(status_code=304, headers=headers)
    with translate_errors(), _engine(request).connect() as conn:
        data = tiles.render_tile(conn, collection, info.id, z, x, y)
    if not data:
        return Response(status_code=204, headers=headers)
    return Response(data, media_type=MVT, headers=headers)


@router.options("/ogc", include_in_schema=False)
@router.options("/ogc/{path:path}", include_in_schema=False)
def preflight() -> Response:
    """CORS preflight: any origin may GET (reads only), with conditional-request headers."""
    return Response(
        status_code=204,
        headers={
            **CORS,
            "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
            "Access-Control-Allow-Headers": "Accept, If-None-Match, If-Modified-Since, Authorization, X-API-Key",
            "Access-Control-Max-Age": "86400",
        },
    )


__all__ = ["DEFAULT", "SupportedCrs", "reads", "router"]
