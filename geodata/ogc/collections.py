"""The feature collections the OGC API serves: one per zoning layer, each from one dataset version.

A collection names its table, the expression that gives a feature its stable id (the domain code,
which survives from one version to the next, unlike the row id), its geometry column and the
properties it publishes with their JSON-Schema types. Only these properties can be filtered on:
they are the queryables, and the allowlist the CQL2 parser maps names through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, Text, cast
from sqlalchemy.sql.elements import ColumnElement

from geodata import models as m


@dataclass(frozen=True)
class Queryable:
    """A published property: its wire name, its column and its JSON-Schema description."""

    name: str
    column_key: str
    type: str  # JSON-Schema type: string | number | array
    title: str
    enum: tuple[str, ...] | None = None

    def column(self, table: Table) -> ColumnElement[Any]:
        """The column as compared in filters; enums compare as text so an unknown value matches nothing."""
        col = table.c[self.column_key]
        return cast(col, Text) if self.enum is not None else col

    def schema(self) -> dict[str, Any]:
        """JSON Schema of the property (OGC API – Features Part 3, queryables)."""
        if self.type == "array":
            out: dict[str, Any] = {"type": "array", "items": {"type": "string"}, "title": self.title}
        else:
            out = {"type": self.type, "title": self.title}
        if self.enum is not None:
            out["enum"] = list(self.enum)
        return out


@dataclass(frozen=True)
class Collection:
    """One zoning layer published as an OGC API feature collection."""

    id: str
    title: str
    description: str
    table: Table
    geometry_key: str
    geometry_type: str  # GeoJSON geometry type
    properties: tuple[Queryable, ...]
    id_keys: tuple[str, ...]  # columns joined with '-' to make the feature id

    @property
    def geometry(self) -> ColumnElement[Any]:
        return self.table.c[self.geometry_key]

    def feature_id(self) -> ColumnElement[Any]:
        """The SQL expression of the feature id (a code, or codes joined with '-')."""
        cols = [cast(self.table.c[k], Text) for k in self.id_keys]
        expr: ColumnElement[Any] = cols[0]
        for col in cols[1:]:
            expr = expr + "-" + col
        return expr.label("feature_id")

    def queryable(self, name: str) -> Queryable | None:
        for q in self.properties:
            if q.name == name:
                return q
        return None


def _enum_values(table: Table, key: str) -> tuple[str, ...]:
    return tuple(table.c[key].type.enums)  # type: ignore[attr-defined]


def _q(
    table: Table, name: str, type_: str, title: str, key: str | None = None, enum: bool = False
) -> Queryable:
    key = key or name
    return Queryable(name, key, type_, title, _enum_values(table, key) if enum else None)


def _build() -> dict[str, Collection]:
    cu, wz, ws = m.control_unit, m.water_protection_zone, m.water_source
    rl, nr, mp, ad = m.ecological_redline, m.nature_reserve_zone, m.monitoring_point, m.admin_division
    items = [
        Collection(
            "control_units",
            "Ecological-environment control units 环境管控单元",
            "The control units of 三线一单 with their class (priority / key / general), "
            "county-level division and geodesic area.",
            cu,
            "geom",
            "MultiPolygon",
            (
                _q(cu, "code", "string", "Unit code (ZH…)"),
                _q(cu, "name_zh", "string", "Name (zh)"),
                _q(cu, "name_en", "string", "Name (en)"),
                _q(cu, "class", "string", "Control class", key="control_class", enum=True),
                _q(cu, "division_code", "string", "County-level division code"),
                _q(cu, "tags", "array", "Tags"),
                _q(cu, "area_m2", "number", "Geodesic area, m²"),
            ),
            ("code",),
        ),
        Collection(
            "water_protection_zones",
            "Drinking-water source protection zones 饮用水水源保护区",
            "Protection zones of the centralised drinking-water sources by grade (I / II / quasi, HJ 338-2018).",
            wz,
            "geom",
            "MultiPolygon",
            (
                _q(wz, "source_code", "string", "Water-source code"),
                _q(wz, "grade", "string", "Protection grade", enum=True),
                _q(wz, "area_m2", "number", "Geodesic area, m²"),
            ),
            ("source_code", "grade"),
        ),
        Collection(
            "water_sources",
            "Drinking-water sources 集中式饮用水水源地",
            "Centralised drinking-water sources with their intake point.",
            ws,
            "intake",
            "Point",
            (
                _q(ws, "code", "string", "Water-source code"),
                _q(ws, "name_zh", "string", "Name (zh)"),
                _q(ws, "name_en", "string", "Name (en)"),
                _q(ws, "level", "string", "Level", enum=True),
                _q(ws, "kind", "string", "Kind", enum=True),
                _q(ws, "status", "string", "Status", enum=True),
                _q(ws, "river_zh", "string", "River (zh)"),
                _q(ws, "division_code", "string", "County-level division code"),
            ),
            ("code",),
        ),
        Collection(
            "ecological_redline",
            "Ecological protection red line 生态保护红线",
            "Areas inside the ecological protection red line, by kind.",
            rl,
            "geom",
            "MultiPolygon",
            (
                _q(rl, "code", "string", "Red-line patch code"),
                _q(rl, "name_zh", "string", "Name (zh)"),
                _q(rl, "kind", "string", "Kind", enum=True),
                _q(rl, "area_m2", "number", "Geodesic area, m²"),
            ),
            ("code",),
        ),
        Collection(
            "nature_reserve_zones",
            "Nature-reserve zones 自然保护区功能区",
            "Core, buffer and experimental zones of the nature reserves.",
            nr,
            "geom",
            "MultiPolygon",
            (
                _q(nr, "reserve_code", "string", "Reserve code"),
                _q(nr, "reserve_name_zh", "string", "Reserve name (zh)"),
                _q(nr, "reserve_name_en", "string", "Reserve name (en)"),
                _q(nr, "reserve_level", "string", "Reserve level"),
                _q(nr, "zone", "string", "Zone", enum=True),
                _q(nr, "area_m2", "number", "Geodesic area, m²"),
            ),
            ("reserve_code", "zone"),
        ),
        Collection(
            "monitoring_points",
            "Monitoring points 生态环境监测点位",
            "Surface-water, air, groundwater, rural non-point and noise monitoring points.",
            mp,
            "geom",
            "Point",
            (
                _q(mp, "code", "string", "Point code"),
                _q(mp, "name_zh", "string", "Name (zh)"),
                _q(mp, "kind", "string", "Kind", enum=True),
                _q(mp, "level", "string", "Level", enum=True),
                _q(mp, "subtype", "string", "Subtype"),
                _q(mp, "division_code", "string", "County-level division code"),
            ),
            ("code",),
        ),
        Collection(
            "admin_divisions",
            "Administrative divisions 行政区划",
            "The city, its county-level divisions and development zones.",
            ad,
            "geom",
            "MultiPolygon",
            (
                _q(ad, "code", "string", "Division code"),
                _q(ad, "name_zh", "string", "Name (zh)"),
                _q(ad, "name_en", "string", "Name (en)"),
                _q(ad, "level", "string", "Level", enum=True),
                _q(ad, "parent_code", "string", "Parent division code"),
            ),
            ("code",),
        ),
    ]
    return {c.id: c for c in items}


COLLECTIONS: dict[str, Collection] = _build()
"""Every published collection by id, in the order the catalogue lists them."""
