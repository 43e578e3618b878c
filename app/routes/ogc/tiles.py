"""OGC API – Tiles: tilesets, the WebMercatorQuad tile matrix set and Mapbox vector tiles."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from app.routes.ogc._common import (
    JSON,
    MVT,
    _answer,
    _base,
    _check_params,
    _collection,
    _engine,
    _etag,
    _headers,
    _link,
    _not_modified,
    _version,
    reads,
)
from geodata.database import translate_errors
from geodata.ogc import tiles
from geodata.ogc.collections import Collection
from zoning.errors import NotFound


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
