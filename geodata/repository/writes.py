"""Writing a whole dataset version (draft) inside the caller's transaction, and its content checksum."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, LargeBinary, bindparam, func, insert

from geodata import models as m
from geodata import parks_store
from zoning import layers as zoning_layers
from zoning.crs import geodesic_area_m2
from zoning.vocabulary import (
    VersionStatus,
)


@dataclass
class DatasetLayers:
    """One version's records as plain dicts with Shapely geometries under ``geometry``.

    Keys follow ``geodata/nanchang/FORMAT.md``; ``rules`` and ``industries`` carry no geometry.
    """

    divisions: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    water_sources: list[dict[str, Any]] = field(default_factory=list)
    water_zones: list[dict[str, Any]] = field(default_factory=list)
    redlines: list[dict[str, Any]] = field(default_factory=list)
    reserve_zones: list[dict[str, Any]] = field(default_factory=list)
    monitoring_points: list[dict[str, Any]] = field(default_factory=list)
    industrial_parks: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in self.__dataclass_fields__}


_LAYER_KEYS: dict[str, tuple[str, ...]] = {
    "divisions": ("code",),
    "units": ("code",),
    "rules": ("unit_code", "dimension", "clause_no"),
    "water_sources": ("code",),
    "water_zones": ("source_code", "grade"),
    "redlines": ("code",),
    "reserve_zones": ("reserve_code", "zone"),
    "monitoring_points": ("code",),
    "industrial_parks": ("code",),
}
_OPTIONAL_LAYERS = {"industrial_parks"}
"""Layers added after versions were first stored: an empty one leaves the checksum as it was."""


def content_checksum(layers: DatasetLayers) -> str:
    """sha256 of a canonical form of a version's content, independent of file format and order.

    Records are sorted by their key; geometries are written as WKB hex after snapping to a 1e-7°
    grid (≈ 1 cm), so the same zoning imported from a shapefile or a GeoJSON gets the same sum.
    """
    digest = hashlib.sha256()
    for name, key in _LAYER_KEYS.items():
        records = sorted(getattr(layers, name), key=lambda r: tuple(str(r.get(k)) for k in key))
        if name in _OPTIONAL_LAYERS and not records:
            continue
        digest.update(name.encode())
        for record in records:
            canonical = {k: v for k, v in record.items() if k != "geometry"}
            if "geometry" in record:
                snapped = shapely.set_precision(record["geometry"], 1e-7)
                canonical["geometry"] = shapely.to_wkb(snapped, hex=True, output_dimension=2)
            digest.update(json.dumps(canonical, ensure_ascii=False, sort_keys=True, default=str).encode())
            digest.update(b"\n")
    return digest.hexdigest()


def _geom_param(name: str = "wkb") -> Any:
    return func.ST_GeomFromWKB(bindparam(name, type_=LargeBinary), m.STORAGE_SRID)


def _multi(name: str = "wkb") -> Any:
    return func.ST_Multi(_geom_param(name))


def _wkb(geometry: BaseGeometry) -> bytes:
    return shapely.to_wkb(geometry, output_dimension=2)


def insert_version(
    conn: Connection,
    meta: Mapping[str, Any],
    layers: DatasetLayers,
    *,
    created_by: str,
) -> int:
    """Write a whole version as a draft inside the caller's transaction; return its id."""
    checksum = content_checksum(layers)
    version_id = conn.execute(
        insert(m.dataset_version)
        .values(
            label=meta["label"],
            title_zh=meta["title_zh"],
            title_en=meta["title_en"],
            document_no=meta.get("document_no"),
            status=VersionStatus.DRAFT.value,
            source=meta["source"],
            provenance=dict(meta.get("provenance") or {}),
            reconstruction=bool(meta.get("reconstruction", False)),
            checksum=checksum,
            created_at=datetime.now(UTC),
            created_by=created_by,
        )
        .returning(m.dataset_version.c.id)
    ).scalar_one()

    for name in _WRITE_ORDER:
        if name == "rules":
            _insert_rules(conn, version_id, layers.rules)
        elif name == "industrial_parks":
            parks_store.insert_parks(conn, version_id, layers.industrial_parks)
        else:
            _insert_layer(conn, version_id, zoning_layers.by_dataset_key(name), getattr(layers, name))
    return int(version_id)


_WRITE_ORDER = (
    "divisions",
    "units",
    "rules",
    "water_sources",
    "water_zones",
    "redlines",
    "reserve_zones",
    "monitoring_points",
    "industrial_parks",
)
"""Tables in the order they are written: referenced rows (divisions, units, sources) first."""

_STORED_NOT_PUBLISHED: dict[str, tuple[str, ...]] = {"monitoring_points": ("attributes",)}
"""Columns a layer stores beyond the fields the registry publishes."""


def _insert_layer(
    conn: Connection, version_id: int, spec: zoning_layers.LayerSpec, records: Sequence[Mapping[str, Any]]
) -> None:
    """Write one registry layer: its fields' columns, the geodesic area where the layer has one,
    the geometry as WKB (promoted to Multi* unless the layer is of points)."""
    if not records:
        return
    fields = [f for f in spec.fields if f.name != "area_m2"]
    area = spec.field_named("area_m2") is not None
    extra = _STORED_NOT_PUBLISHED.get(spec.dataset_key, ())
    rows = []
    for r in records:
        row: dict[str, Any] = {f.column_key: r.get(f.name) for f in fields}
        for f in fields:
            if f.type == "array":
                row[f.column_key] = list(row[f.column_key] or [])
        for key in extra:
            row[key] = dict(r.get(key) or {})
        row["version_id"] = version_id
        row["wkb"] = _wkb(r["geometry"])
        if area:
            row["area_m2"] = geodesic_area_m2(r["geometry"])
        rows.append(row)
    table = m.metadata.tables[spec.table]
    geom = _geom_param() if spec.geometry_type == "Point" else _multi()
    conn.execute(insert(table).values({spec.geometry_column: geom}), rows)


def _insert_rules(conn: Connection, version_id: int, rules: Sequence[Mapping[str, Any]]) -> None:
    """Write the access-list clauses of a version (no geometry)."""
    if not rules:
        return
    columns = ("unit_code", "dimension", "clause_no", "text_zh", "effect", "industry_codes", "conditions")
    rows = []
    for r in rules:
        row = {c: r.get(c) for c in columns}
        row["industry_codes"] = list(row["industry_codes"] or [])
        row["conditions"] = dict(row["conditions"] or {})
        row["version_id"] = version_id
        rows.append(row)
    conn.execute(insert(m.access_rule), rows)
