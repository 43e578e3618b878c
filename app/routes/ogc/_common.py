"""Shared parts of the /ogc routes: routers, media types, caches, version and ETag handling."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from app.ogc import html
from app.ogc.crs import (
    CRS84,
    STORAGE_CRS,
    SUPPORTED,
)
from app.ogc.errors import InvalidQuery
from geodata import repository
from geodata.database import translate_errors
from geodata.ogc import query
from geodata.ogc.collections import COLLECTIONS, Collection
from geodata.ogc.memory import FeatureStore
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


def _engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def _features(request: Request) -> FeatureStore:
    return request.app.state.ogc_features  # type: ignore[no-any-return]


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


def _read_page(
    engine: Engine, collection: Collection, q: query.ItemQuery, index: query.FeatureIndex | None
) -> query.Page:
    """A page from PostGIS; with ``index`` (the collection in memory) a bbox-only page is matched in
    memory and only its rows are read, by primary key."""
    # Autocommit: a single read needs no transaction, which spares the BEGIN and the ROLLBACK
    # round trips around the page's one statement.
    with translate_errors(), engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # A degenerate (zero-area) bbox is left to PostGIS: GEOS and PostGIS disagree on it
        # (geodata/ogc/memory.py, MemoryCollection.serves).
        flat = q.bbox is not None and (q.bbox[0] == q.bbox[2] or q.bbox[1] == q.bbox[3])
        if q.conditions or index is None or flat:
            return query.read_page(conn, collection, q, _GEOMETRY)
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
    """The version's checksum, the path, the sorted (name, value) pairs and the format, hashed: the
    same for the same query in any parameter order (the pairs' repr is unambiguous, no quoting)."""
    items = sorted(request.query_params.multi_items())
    raw = f"{info.checksum}|{request.scope['path']}|{items!r}|{fmt}"
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
