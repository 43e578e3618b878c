"""Item pages of published versions served from memory, byte for byte as PostGIS writes them.

A published version never changes (its rows are immutable, its checksum fixed), so each worker
keeps, per collection of the version in force, an STRtree over the features' storage geometries
(:class:`geodata.ogc.query.FeatureIndex`, in PostgreSQL's ``ORDER BY`` of the feature id) and
each feature's GeoJSON Feature bytes, written once by the very SELECT list the database page
uses (``ST_AsGeoJSON`` of the CRS84 geometry at 7 decimals, then the same Feature dict). A
bbox-only page in the default CRS is then: tree query with the ``ST_Intersects`` predicate →
slice → join bytes, with no round trip to the store and no thread hop.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import orjson
import shapely
from sqlalchemy import Connection, Engine, func, select

from geodata.database import translate_errors
from geodata.ogc.collections import COLLECTIONS, Collection
from geodata.ogc.query import CRS84_OUTPUT, FeatureIndex, OutputCrs, feature_columns, feature_dict
from zoning.snapshot import VersionInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MemoryPage:
    """One page: its features as a JSON array (bytes), how many it holds and how many match."""

    features: bytes
    returned: int
    matched: int


class MemoryCollection:
    """One collection of one published version: the feature index and each Feature's JSON bytes."""

    crs: OutputCrs = CRS84_OUTPUT

    def __init__(self, index: FeatureIndex, features: list[bytes]) -> None:
        self.index = index
        self.features = features
        self.nbytes = sum(len(f) for f in features)

    @classmethod
    def load(cls, conn: Connection, collection: Collection, version_id: int) -> MemoryCollection:
        """Read a collection's features of one version once: storage WKB and the page's GeoJSON."""
        t = collection.table
        stmt = (
            select(
                t.c.id.label("row_id"),
                *feature_columns(collection, cls.crs),
                func.ST_AsBinary(collection.geometry).label("wkb"),
            )
            .where(t.c.version_id == version_id)
            .order_by(collection.feature_id())
        )
        rows = conn.execute(stmt).all()
        features = [orjson.dumps(feature_dict(collection, r)) for r in rows]
        row_ids = np.array([r.row_id for r in rows], dtype=np.int64)
        geometries = shapely.from_wkb([bytes(r.wkb) for r in rows]) if rows else np.empty(0, dtype=object)
        return cls(FeatureIndex(row_ids, geometries), features)

    def serves(self, crs: OutputCrs, bbox: tuple[float, float, float, float] | None) -> bool:
        """Whether this page can come from here: output in the same SRID, axis order and decimals,
        and a bbox with an area (or none). A zero-width or zero-height bbox is a degenerate polygon
        on which PostGIS's ``ST_Intersects`` and GEOS's disagree (PostGIS misses a feature whose
        vertex lies on it), so such pages stay with the database, the reference."""
        c = self.crs
        if (crs.srid, crs.yx, crs.decimals) != (c.srid, c.yx, c.decimals):
            return False
        return bbox is None or (bbox[0] < bbox[2] and bbox[1] < bbox[3])

    def page(self, bbox: tuple[float, float, float, float] | None, limit: int, offset: int) -> MemoryPage:
        """The page ``offset … offset + limit`` of the features ``bbox`` (EPSG:4490) intersects."""
        hits = self.index.positions(bbox)
        chosen = hits[offset : offset + limit].tolist()
        features = self.features
        body = b"[" + b",".join([features[i] for i in chosen]) + b"]"
        return MemoryPage(body, len(chosen), int(hits.size))


class FeatureStore:
    """A worker's in-memory collections, keyed by (collection, version id, checksum).

    The version in force is loaded whole by :meth:`warm` (in the lifespan and when the snapshot
    swaps) and never evicted while in force; other versions (``datetime``) are loaded on demand,
    a few kept, oldest dropped first.
    """

    def __init__(self, engine: Engine, *, keep_versions: int = 3) -> None:
        self._engine = engine
        self._keep = keep_versions * len(COLLECTIONS)
        self._data: OrderedDict[tuple[str, int, str], MemoryCollection] = OrderedDict()
        self._pinned: tuple[int, str] | None = None
        self._lock = threading.Lock()

    def get(self, collection: Collection, version: VersionInfo) -> MemoryCollection | None:
        """The collection of this version when in memory (no I/O), else None."""
        return self._data.get((collection.id, version.id, version.checksum))

    def load(self, collection: Collection, version: VersionInfo) -> MemoryCollection:
        """The collection of this version, read from the store if not in memory (blocking)."""
        key = (collection.id, version.id, version.checksum)
        with self._lock:  # one reader per worker: concurrent misses wait for the first one's load
            found = self._data.get(key)
            if found is not None:
                return found
            with translate_errors(), self._engine.connect() as conn:
                found = MemoryCollection.load(conn, collection, version.id)
            self._data[key] = found
            self._evict()
        return found

    def warm(self, version: VersionInfo) -> None:
        """Load every collection of the version now in force and keep it while it is."""
        self._pinned = (version.id, version.checksum)
        for collection in COLLECTIONS.values():
            self.load(collection, version)
        log.info("OGC collections of %s in memory: %.1f MB of GeoJSON", version.label, self.nbytes / 2**20)

    @property
    def nbytes(self) -> int:
        """GeoJSON bytes held (the STRtrees' geometries come on top)."""
        return sum(c.nbytes for c in list(self._data.values()))

    def _evict(self) -> None:
        for key in list(self._data):
            if len(self._data) <= self._keep:
                return
            if (key[1], key[2]) != self._pinned:
                del self._data[key]
