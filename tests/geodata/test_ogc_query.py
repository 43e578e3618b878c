"""geodata/ogc/query.py: item pages over the bundled dataset, with and without the geometry cache
and the in-memory feature index.

The reference is PostGIS filtering and writing every page itself (``read_page`` without a
cache): a page that takes some geometries from the per-process cache, or is matched by the
in-memory STRtree, must be byte-for-byte the same document with the same ``numberMatched``, for
random bboxes across the city, every output CRS and pages past the first.
"""

from __future__ import annotations

import numpy as np
import orjson
from sqlalchemy import text

from geodata.database import make_engine
from geodata.ogc import query
from geodata.ogc.collections import COLLECTIONS


class _Crs:
    def __init__(self, srid: int, yx: bool, decimals: int) -> None:
        self.srid, self.yx, self.decimals = srid, yx, decimals


def test_cached_geometry_pages_equal_postgis_pages(nanchang_url: str) -> None:
    engine = make_engine(nanchang_url)
    rng = np.random.default_rng(1402)
    cache = query.GeometryCache()
    crss = [None, _Crs(4490, True, 7), _Crs(4548, True, 2)]
    compared = from_cache = 0
    with engine.connect() as conn:
        version = conn.execute(
            text("SELECT id FROM dataset_version WHERE label = '2024-update'")
        ).scalar_one()
        indexes = {
            c: query.FeatureIndex.load(conn, COLLECTIONS[c], version)
            for c in ("control_units", "water_protection_zones", "monitoring_points")
        }
        for collection_id in ("control_units", "water_protection_zones", "monitoring_points"):
            collection = COLLECTIONS[collection_id]
            for _ in range(15):
                w, h = rng.uniform(0.02, 0.3, 2)
                x, y = rng.uniform(115.5, 116.3), rng.uniform(28.2, 28.9)
                for crs in crss:
                    for offset in (0, 5):
                        q = query.ItemQuery(version, 10, offset, (x, y, x + w, y + h), crs)
                        before = len(cache.known((collection.id, version, *_key(crs))))
                        cached = query.read_page(conn, collection, q, cache)
                        direct = query.read_page(conn, collection, q)
                        assert orjson.dumps(cached.features) == orjson.dumps(direct.features)
                        assert cached.number_matched == direct.number_matched
                        indexed = query.read_indexed_page(conn, collection, q, indexes[collection_id], cache)
                        assert orjson.dumps(indexed.features) == orjson.dumps(direct.features)
                        assert indexed.number_matched == direct.number_matched
                        compared += len(direct.features)
                        from_cache += min(before, len(direct.features))
    engine.dispose()
    assert compared > 300 and from_cache > 0


def _key(crs: _Crs | None) -> tuple[int, bool, int]:
    c = crs or query.CRS84_OUTPUT
    return c.srid, c.yx, c.decimals
