"""Mapbox vector tiles of a collection in the WebMercatorQuad tile matrix set (OGC 17-083r4).

A tile is one ``ST_AsMVT`` over the rows whose geometry meets the tile envelope (with its 64-pixel
buffer) transformed into EPSG:4490 — the literal, so the GiST index on the column is used.
Polygons are simplified by about a tenth of a pixel of the 4096 grid in degrees before
the transform to EPSG:3857, then clipped and quantised by ``ST_AsMVTGeom``. An empty tile is
answered 204 No Content (OGC API – Tiles §7.1.3 allows it; MapLibre and OpenLayers accept it).
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Connection, bindparam, func, literal_column, select

from geodata.models import STORAGE_SRID
from geodata.ogc.collections import Collection

EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22
TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
_HALF = 20037508.3427892
_WORLD = func.ST_MakeEnvelope(
    -20037508.342789244, -20037508.342789244, 20037508.342789244, 20037508.342789244, 3857
)


def tile_matrix_set() -> dict[str, Any]:
    """The WebMercatorQuad tile matrix set definition (OGC 17-083r4 annex D.1)."""
    matrices = []
    for z in range(MAX_ZOOM + 1):
        n = 2**z
        matrices.append(
            {
                "id": str(z),
                "scaleDenominator": 559082264.0287178 / n,
                "cellSize": 156543.03392804097 / n,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-_HALF, _HALF],
                "tileWidth": 256,
                "tileHeight": 256,
                "matrixWidth": n,
                "matrixHeight": n,
            }
        )
    return {
        "id": TMS_ID,
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "orderedAxes": ["E", "N"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
    }


def simplify_tolerance(z: int) -> float:
    """Simplification tolerance in degrees at zoom ``z``: a tenth of one cell of the 4096 tile grid."""
    return 360.0 / (2**z * EXTENT) / 10


def valid_tile(z: int, x: int, y: int) -> bool:
    """Whether z/x/y addresses a tile of WebMercatorQuad up to the zoom served."""
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z


def render_tile(conn: Connection, collection: Collection, version_id: int, z: int, x: int, y: int) -> bytes:
    """The MVT of one tile (one layer named after the collection); empty bytes when no feature meets it.

    MVT feature ids must be integers: the row id is used, and the OGC feature id is the ``id`` property.
    """
    t = collection.table
    margin = BUFFER / EXTENT
    env3857 = func.ST_TileEnvelope(bindparam("z", z), bindparam("x", x), bindparam("y", y))
    env_buffered = func.ST_TileEnvelope(
        bindparam("z", z), bindparam("x", x), bindparam("y", y), _WORLD, bindparam("m", margin)
    )
    # Mercator x/y are monotonic in lon/lat: the transformed box is the exact lon/lat box.
    envelope = func.ST_Transform(env_buffered, STORAGE_SRID)
    geom: Any = collection.geometry
    if collection.geometry_type != "Point":
        geom = func.ST_Simplify(geom, bindparam("tol", simplify_tolerance(z)), True)
    mvt_geom = func.ST_AsMVTGeom(func.ST_Transform(geom, 3857), env3857, EXTENT, BUFFER, True).label("geom")
    props = [p.column(t).label(p.name) for p in collection.properties if p.type != "array"]
    inner = (
        select(t.c.id.label("mvt_id"), collection.feature_id().label("id"), *props, mvt_geom)
        .where(t.c.version_id == version_id, collection.geometry.op("&&")(envelope))
        .subquery("tile")
    )
    stmt = (
        select(func.ST_AsMVT(literal_column("tile.*"), collection.id, EXTENT, "geom", "mvt_id"))
        .select_from(inner)
        .where(inner.c.geom.is_not(None))
    )
    data = conn.execute(stmt).scalar_one()
    return bytes(data) if data else b""


def tile_bounds_lonlat(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """The lon/lat bounds of a tile (west, south, east, north), for tests and bench."""
    n = 2**z

    def lat(yy: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * yy / n))))

    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)
