"""OGC API landing page, conformance, collections, queryables and the CORS preflight."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from app.ogc.crs import (
    DEFAULT,
    SUPPORTED,
    SupportedCrs,
)
from app.routes.ogc._common import (
    COMMON_PARAMS,
    CONFORMANCE,
    CORS,
    HTML,
    JSON,
    OPENAPI,
    _answer,
    _base,
    _collection,
    _collection_body,
    _link,
    reads,
    router,
)
from geodata.ogc.collections import COLLECTIONS
from zoning.snapshot import VersionInfo


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
