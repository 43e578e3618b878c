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
from zoning.layers import LAYERS, LayerSpec


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


def _collection(spec: LayerSpec) -> Collection:
    table = m.metadata.tables[spec.table]
    return Collection(
        spec.name,
        spec.title,
        spec.description,
        table,
        spec.geometry_column,
        spec.geometry_type,
        tuple(_q(table, f.name, f.type, f.title, key=f.column_key, enum=f.enum) for f in spec.fields),
        spec.key,
    )


def _build() -> dict[str, Collection]:
    """One collection per registered layer (zoning.layers), in the registry's order."""
    return {spec.name: _collection(spec) for spec in LAYERS}


COLLECTIONS: dict[str, Collection] = _build()
"""Every published collection by id, in the order the catalogue lists them."""
