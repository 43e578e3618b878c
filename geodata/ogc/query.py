"""Item pages and single features of a collection, read from PostGIS for one dataset version.

One statement per page: the filter (version, bbox in EPSG:4490 on the indexed column, property
filters, CQL2) and the page's rows, with the total matched from a window count. Geometry leaves
PostGIS as GeoJSON text in the asked CRS and axis order, and is embedded as-is in the response.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np
import orjson
import shapely
from shapely import STRtree
from sqlalchemy import Connection, Integer, any_, bindparam, case, cast, func, literal, null, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement

from geodata import models as m
from geodata.models import STORAGE_SRID
from geodata.ogc.collections import Collection


class OutputCrs(Protocol):
    """What the geometry output needs of a CRS: its SRID, axis order and decimals."""

    @property
    def srid(self) -> int: ...
    @property
    def yx(self) -> bool: ...
    @property
    def decimals(self) -> int: ...


@dataclass(frozen=True)
class _Crs84:
    """OGC CRS84 (WGS 84 lon/lat), the OGC API default output CRS, at ≈1 cm (7 decimals)."""

    srid: int = 4326
    yx: bool = False
    decimals: int = 7


CRS84_OUTPUT: OutputCrs = _Crs84()

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 10


@dataclass
class ItemQuery:
    """What an items request asks for, already validated and in storage terms."""

    version_id: int
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None  # EPSG:4490 lon/lat
    crs: OutputCrs | None = None  # None: storage CRS, lon/lat, 7 decimals
    conditions: list[ColumnElement[bool]] = field(default_factory=list)


@dataclass
class Page:
    """One page of features: GeoJSON Feature dicts with geometry kept as raw JSON, and the total."""

    features: list[dict[str, Any]]
    number_matched: int


def output_geometry(collection: Collection, crs: OutputCrs) -> Any:
    """GeoJSON text of the geometry in ``crs``, in its authority axis order."""
    geom: Any = collection.geometry
    if crs.srid != STORAGE_SRID:
        geom = func.ST_Transform(geom, crs.srid)
    if crs.yx:
        geom = func.ST_FlipCoordinates(geom)
    return func.ST_AsGeoJSON(geom, crs.decimals, 0).label("geometry")


class GeometryCache:
    """GeoJSON text of features of published versions, as PostGIS wrote it, kept in memory.

    A published version never changes (its rows are immutable, its checksum fixed), so the text
    PostGIS wrote for a feature in one output CRS stays right. A page then asks PostGIS to write
    the geometry only of the rows this process has not written before — still one round trip —
    and takes the rest from here. Bounded by ``max_bytes`` (emptied when full).
    """

    def __init__(self, max_bytes: int = 64 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._bytes = 0
        self._data: dict[tuple[Any, ...], dict[int, str]] = {}
        self._lock = threading.Lock()

    def known(self, key: tuple[Any, ...]) -> dict[int, str]:
        with self._lock:
            return self._data.get(key, {})

    def add(self, key: tuple[Any, ...], texts: dict[int, str]) -> None:
        size = sum(len(t) for t in texts.values())
        with self._lock:
            if self._bytes + size > self.max_bytes:
                self._data.clear()
                self._bytes = 0
            self._data.setdefault(key, {}).update(texts)
            self._bytes += size


def _where(collection: Collection, q: ItemQuery) -> list[ColumnElement[bool]]:
    t = collection.table
    where: list[ColumnElement[bool]] = [t.c.version_id == q.version_id]
    if q.bbox is not None:
        envelope = func.ST_MakeEnvelope(*q.bbox, STORAGE_SRID)
        # && uses the GiST index; ST_Intersects then drops the ones whose envelope alone touches.
        where.append(collection.geometry.op("&&")(envelope))
        where.append(func.ST_Intersects(collection.geometry, envelope))
    where.extend(q.conditions)
    return where


class _CachedRow:
    """A result row whose geometry text comes from the cache."""

    def __init__(self, row: Any, geometry: str) -> None:
        self._mapping = row._mapping
        self.feature_id = row.feature_id
        self.geometry = geometry
        self.matched = row.matched


def _with_geometry(row: Any, known: dict[int, str]) -> Any:
    return _CachedRow(row, known[row.row_id])


def feature_dict(collection: Collection, row: Any) -> dict[str, Any]:
    """A row as a GeoJSON Feature dict; its geometry is PostGIS's GeoJSON text, embedded as-is."""
    props = {}
    for p in collection.properties:
        value = row._mapping[p.name]
        props[p.name] = list(value) if isinstance(value, list | tuple) else value
    return {
        "type": "Feature",
        "id": row.feature_id,
        "geometry": orjson.Fragment(row.geometry) if row.geometry is not None else None,
        "properties": props,
    }


def feature_columns(collection: Collection, crs: OutputCrs) -> list[Any]:
    """The SELECT list of a feature: its id, its published properties and its geometry in ``crs``."""
    t = collection.table
    return [
        collection.feature_id(),
        *[t.c[p.column_key].label(p.name) for p in collection.properties],
        output_geometry(collection, crs),
    ]


def read_page(
    conn: Connection, collection: Collection, q: ItemQuery, geometries: GeometryCache | None = None
) -> Page:
    """One page of features ordered by id, and how many features the filter matches in all.

    With ``geometries`` (only for published versions), geometry text already written by PostGIS
    for a row is taken from it instead of being written again."""
    # One round trip. The page's ids and the window count come from an inner query that touches
    # no geometry output; the geometry is transformed and written as GeoJSON only for the page's
    # rows. (With the GeoJSON in the same SELECT as ``count() OVER ()``, PostgreSQL evaluates it
    # below the window for every matched row before LIMIT — the cause of multi-second pages.)
    t = collection.table
    where = _where(collection, q)
    fid = collection.feature_id()
    page = (
        select(t.c.id.label("row_id"), fid, func.count().over().label("matched"))
        .where(*where)
        .order_by(fid)
        .limit(q.limit)
        .offset(q.offset)
        .subquery("page")
    )
    crs = q.crs or CRS84_OUTPUT
    key = (collection.id, q.version_id, crs.srid, crs.yx, crs.decimals)
    known = geometries.known(key) if geometries is not None else {}
    columns = feature_columns(collection, crs)
    if known:
        skip = t.c.id == any_(cast(bindparam("known_ids", list(known)), ARRAY(Integer)))
        columns[-1] = case((skip, null()), else_=output_geometry(collection, crs)).label("geometry")
    stmt = (
        select(*columns, page.c.row_id, page.c.matched)
        .select_from(page.join(t, t.c.id == page.c.row_id))
        .order_by(page.c.feature_id)
    )
    rows = conn.execute(stmt).all()
    if geometries is not None:
        written = {r.row_id: r.geometry for r in rows if r.geometry is not None}
        if written:
            geometries.add(key, written)
        rows = [
            r if r.geometry is not None or r.row_id not in known else _with_geometry(r, known) for r in rows
        ]
    if rows:
        matched = int(rows[0].matched)
    elif q.offset == 0:
        matched = 0
    else:  # past the end: count separately
        matched = int(
            conn.execute(select(func.count()).select_from(collection.table).where(*where)).scalar_one()
        )
    return Page([feature_dict(collection, r) for r in rows], matched)


def read_feature(
    conn: Connection, collection: Collection, version_id: int, feature_id: str, crs: OutputCrs
) -> dict[str, Any] | None:
    """One feature by its id, or None when this version has no such feature."""
    fid = collection.feature_id()
    stmt = select(*feature_columns(collection, crs)).where(
        collection.table.c.version_id == version_id, fid == literal(feature_id)
    )
    row = conn.execute(stmt).first()
    return feature_dict(collection, row) if row is not None else None


def extent(
    conn: Connection, collection: Collection, version_id: int
) -> tuple[float, float, float, float] | None:
    """The EPSG:4490 lon/lat extent of a collection in one version (None when it is empty)."""
    t = collection.table
    box = func.ST_Extent(collection.geometry)
    row = conn.execute(
        select(func.ST_XMin(box), func.ST_YMin(box), func.ST_XMax(box), func.ST_YMax(box)).where(
            t.c.version_id == version_id
        )
    ).one()
    if row[0] is None:
        return None
    return float(row[0]), float(row[1]), float(row[2]), float(row[3])


def count(conn: Connection, collection: Collection, version_id: int) -> int:
    """How many features a collection holds in one version."""
    t = collection.table
    return int(
        conn.execute(select(func.count().cast(Integer)).where(t.c.version_id == version_id)).scalar_one()
    )


def published_at(conn: Connection, version_id: int) -> datetime | None:
    """When a dataset version was published (its Last-Modified); None for a draft or unknown id."""
    value = conn.execute(
        select(m.dataset_version.c.published_at).where(m.dataset_version.c.id == version_id)
    ).scalar_one_or_none()
    return value  # type: ignore[no-any-return]


class FeatureIndex:
    """One collection of one published version in memory: row ids in page order and an STRtree.

    A bbox-only page (no property or CQL2 filter) is then matched here — the same ``&&`` and
    ``ST_Intersects`` test by GEOS, which PostGIS also uses — and PostgreSQL is asked only for the
    page's rows by primary key. The order is PostgreSQL's own ``ORDER BY`` of the feature id (its
    collation), read once when the index is built.
    """

    def __init__(self, row_ids: np.ndarray, geometries: np.ndarray) -> None:
        self.row_ids = row_ids
        self.tree = STRtree(geometries)
        # Prepared once: a unit's boundary has thousands of vertices, and testing it unprepared
        # against a box walks them all (the p90 of a page was ~5 ms). GEOS builds a prepared
        # geometry's indexes on first use, which must not happen from two threads at once
        # (see zoning/bulk.py), hence the lock around the predicate.
        shapely.prepare(geometries)
        self.geometries = geometries
        self._lock = threading.Lock()

    @classmethod
    def load(cls, conn: Connection, collection: Collection, version_id: int) -> FeatureIndex:
        t = collection.table
        fid = collection.feature_id()
        rows = conn.execute(
            select(t.c.id, func.ST_AsBinary(collection.geometry))
            .where(t.c.version_id == version_id)
            .order_by(fid)
        ).all()
        row_ids = np.array([r[0] for r in rows], dtype=np.int64)
        geometries = shapely.from_wkb([bytes(r[1]) for r in rows]) if rows else np.empty(0, dtype=object)
        return cls(row_ids, geometries)

    def positions(self, bbox: tuple[float, float, float, float] | None) -> np.ndarray:
        """Positions (in page order) of the features a bbox matches: ``ST_Intersects`` by GEOS."""
        if bbox is None:
            return np.arange(self.row_ids.size)
        box = shapely.box(*bbox)
        candidates = self.tree.query(box)  # envelopes that meet the box
        with self._lock:
            hits = candidates[shapely.intersects(self.geometries[candidates], box)]
        return np.sort(hits)

    def page(
        self, bbox: tuple[float, float, float, float] | None, limit: int, offset: int
    ) -> tuple[list[int], int]:
        """(the page's row ids in order, how many match in all)."""
        hits = self.positions(bbox)
        return self.row_ids[hits[offset : offset + limit]].tolist(), int(hits.size)


def read_indexed_page(
    conn: Connection, collection: Collection, q: ItemQuery, index: FeatureIndex, geometries: GeometryCache
) -> Page:
    """A bbox-only page matched in ``index``; the rows' properties and geometry by primary key."""
    if q.conditions:
        raise ValueError("an indexed page takes no property or CQL2 conditions")
    ids, matched = index.page(q.bbox, q.limit, q.offset)
    if not ids:
        return Page([], matched)
    t = collection.table
    crs = q.crs or CRS84_OUTPUT
    key = (collection.id, q.version_id, crs.srid, crs.yx, crs.decimals)
    known = geometries.known(key)
    columns = feature_columns(collection, crs)
    missing = [i for i in ids if i not in known]
    if not missing:
        columns[-1] = null().label("geometry")
    elif len(missing) < len(ids):  # PostGIS writes only the geometries not yet written
        write = t.c.id == any_(cast(bindparam("missing_ids", missing), ARRAY(Integer)))
        columns[-1] = case((write, output_geometry(collection, crs)), else_=null()).label("geometry")
    stmt = select(*columns, t.c.id.label("row_id")).where(
        t.c.id == any_(cast(bindparam("page_ids", ids), ARRAY(Integer)))
    )
    by_id = {r.row_id: r for r in conn.execute(stmt).all()}
    written = {i: r.geometry for i, r in by_id.items() if r.geometry is not None}
    if written:
        geometries.add(key, written)
    features = []
    for i in ids:
        row = by_id[i]
        features.append(
            feature_dict(collection, row if row.geometry is not None else _PageRow(row, known[i]))
        )
    return Page(features, matched)


class _PageRow:
    """A row of an indexed page whose geometry text comes from the cache."""

    def __init__(self, row: Any, geometry: str) -> None:
        self._mapping = row._mapping
        self.feature_id = row.feature_id
        self.geometry = geometry
