"""The in-memory zoning snapshot: one dataset version, its layers as Shapely 2 geometries in STRtrees.

A worker answers point and siting questions from a snapshot instead of PostGIS: the snapshot is
immutable, built whole from one version, and swapped atomically when another version comes into
force, so a request never sees half of a version. Geometries are kept in CGCS2000 lon/lat
(EPSG:4490) for containment and in CGCS2000 / 3-degree Gauss–Krüger CM 117°E (EPSG:4548) for
planar distances in metres.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

from zoning.crs import to_planar
from zoning.layers import LAYERS, LayerSpec
from zoning.vocabulary import (
    ControlClass,
    MonitoringKind,
    ParkLevel,
    ProtectionGrade,
    RedlineKind,
    ReserveZoneKind,
    RuleDimension,
    RuleEffect,
)


@dataclass(frozen=True)
class VersionInfo:
    """Identity of the dataset version a snapshot holds."""

    id: int
    label: str
    title_zh: str
    title_en: str
    status: str
    effective_from: date | None
    effective_to: date | None
    checksum: str
    reconstruction: bool


@dataclass(frozen=True)
class DivisionRecord:
    code: str
    name_zh: str
    name_en: str
    level: str
    geometry: BaseGeometry


@dataclass(frozen=True)
class UnitRecord:
    code: str
    name_zh: str
    name_en: str
    control_class: ControlClass
    division_code: str
    geometry: BaseGeometry


@dataclass(frozen=True)
class WaterZoneRecord:
    source_code: str
    source_name_zh: str
    source_name_en: str
    grade: ProtectionGrade
    geometry: BaseGeometry


@dataclass(frozen=True)
class RedlineRecord:
    code: str
    name_zh: str
    kind: RedlineKind
    geometry: BaseGeometry


@dataclass(frozen=True)
class ReserveZoneRecord:
    reserve_code: str
    reserve_name_zh: str
    reserve_name_en: str
    zone: ReserveZoneKind
    geometry: BaseGeometry


@dataclass(frozen=True)
class MonitoringPointRecord:
    code: str
    name_zh: str
    kind: MonitoringKind
    level: str
    subtype: str
    geometry: BaseGeometry


@dataclass(frozen=True)
class IndustrialParkRecord:
    """A development zone / industrial park 开发区/工业园区 and its leading industries."""

    code: str
    name_zh: str
    name_en: str
    level: ParkLevel
    recognised_chemical_park: bool
    """认定化工园区: a chemical park recognised under the provincial chemical-park assessment."""
    industry_codes: tuple[str, ...]
    """Leading industries 主导产业, GB/T 4754-2017 codes."""
    geometry: BaseGeometry


@dataclass(frozen=True)
class RuleRecord:
    """One clause of an access list 生态环境准入清单 (unit_code None: city-wide 总体准入要求)."""

    unit_code: str | None
    dimension: RuleDimension
    clause_no: int
    text_zh: str
    effect: RuleEffect
    industry_codes: tuple[str, ...]
    conditions: dict[str, Any]


@dataclass(frozen=True)
class WaterSourceRecord:
    code: str
    name_zh: str
    name_en: str
    level: str
    kind: str
    status: str
    river_zh: str | None
    division_code: str
    geometry: BaseGeometry


@dataclass(frozen=True)
class _Layer:
    """Records of one layer with STRtrees over their geometries, in lon/lat and in EPSG:4548 metres."""

    records: tuple[Any, ...]
    tree: STRtree
    planar: tuple[BaseGeometry, ...]
    planar_tree: STRtree

    @classmethod
    def of(cls, records: Sequence[Any]) -> _Layer:
        geoms = [r.geometry for r in records]
        planar = [to_planar(g) for g in geoms]
        for g in (*geoms, *planar):
            shapely.prepare(g)
        return cls(tuple(records), STRtree(geoms), tuple(planar), STRtree(planar))

    def near_planar(self, geometry: BaseGeometry) -> list[int]:
        """Indexes of records whose planar geometry intersects a planar geometry, in record order."""
        return sorted(int(i) for i in self.planar_tree.query(geometry, predicate="intersects"))

    def covering(self, point: BaseGeometry) -> list[Any]:
        """Records whose geometry covers the point (boundary included), in record order."""
        # The tree gives bounding-box candidates; the prepared polygon decides. `covers`, not
        # `contains`: a point on a shared boundary belongs to both neighbours.
        hits = sorted(int(i) for i in self.tree.query(point))
        return [self.records[i] for i in hits if self.records[i].geometry.covers(point)]


@dataclass(frozen=True)
class _PointLayer:
    """Monitoring points of one kind, projected to EPSG:4548 for nearest-neighbour search.

    An STRtree serves geometry queries (points inside a buffer); a KD-tree over the same planar
    coordinates answers nearest-neighbour questions for many points at once.
    """

    records: tuple[MonitoringPointRecord, ...]
    planar: np.ndarray
    tree: STRtree
    kdtree: cKDTree | None

    @classmethod
    def of(cls, records: Sequence[MonitoringPointRecord]) -> _PointLayer:
        planar = np.array([to_planar(r.geometry) for r in records], dtype=object)
        xy = shapely.get_coordinates(planar) if len(planar) else np.empty((0, 2))
        return cls(tuple(records), planar, STRtree(planar), cKDTree(xy) if len(xy) else None)

    def nearest_many(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(record index, distance in metres) of the nearest point for each planar (x, y) row."""
        if self.kdtree is None:
            return np.full(len(xy), -1), np.full(len(xy), np.nan)
        distance, index = self.kdtree.query(xy, k=1)
        return index.astype(np.int64), distance

    def nearest(self, planar_point: BaseGeometry) -> tuple[MonitoringPointRecord, float] | None:
        if not self.records:
            return None
        index, distance = self.tree.query_nearest(planar_point, return_distance=True, all_matches=False)
        i = int(index[0])
        return self.records[i], float(distance[0])


def areal_layers() -> Iterator[LayerSpec]:
    """The registry's areal layers: each is one STRtree-indexed field of the snapshot, named by its
    dataset key."""
    return (spec for spec in LAYERS if spec.geometry_type == "MultiPolygon")


@dataclass(frozen=True)
class ZoningSnapshot:
    """Every layer of one dataset version, indexed for point and footprint queries."""

    version: VersionInfo
    city: BaseGeometry
    divisions: _Layer
    units: _Layer
    water_zones: _Layer
    redlines: _Layer
    reserve_zones: _Layer
    monitoring: dict[MonitoringKind, _PointLayer] = field(default_factory=dict)
    water_sources: tuple[WaterSourceRecord, ...] = ()
    rules: dict[str | None, tuple[RuleRecord, ...]] = field(default_factory=dict)
    """Access-list clauses by unit code; key None holds the city-wide general requirements."""
    industrial_parks: _Layer = field(default_factory=lambda: _Layer.of(()))
    rivers: Mapping[str, BaseGeometry] | None = None
    """Named rivers (name_zh → EPSG:4548 geometry) of the context layer, for the clauses' distance
    conditions; None when no rivers layer is available (the condition cannot be evaluated)."""
    lakes: Mapping[str, BaseGeometry] | None = None
    """Named lakes (name_zh → EPSG:4548 geometry) of the context layer; None when unavailable."""
    missing_layers: frozenset[str] = frozenset()
    """Dataset keys (``zoning.layers``) of the layers this version does not carry at all: screening
    reports them as ``no_data`` rather than ``clear``."""

    @classmethod
    def build(
        cls,
        version: VersionInfo,
        *,
        city: BaseGeometry,
        monitoring_points: Sequence[MonitoringPointRecord] = (),
        water_sources: Sequence[WaterSourceRecord] = (),
        rules: Sequence[RuleRecord] = (),
        missing_layers: Iterable[str] = (),
        rivers: Mapping[str, BaseGeometry] | None = None,
        lakes: Mapping[str, BaseGeometry] | None = None,
        **areal: Sequence[Any],
    ) -> ZoningSnapshot:
        """Index the layers of one version. Records keep the order given (by code, from the store).

        ``areal`` holds the records of each areal layer of the registry (:func:`areal_layers`)
        under its dataset key — ``divisions``, ``units``, ``water_zones``, ``redlines``,
        ``reserve_zones``, ``industrial_parks``; a layer not given is indexed empty. Point layers
        have their own shapes: monitoring points are indexed per kind, water sources kept as a list.
        """
        keys = [spec.dataset_key for spec in areal_layers()]
        unknown = sorted(set(areal) - set(keys))
        if unknown:
            raise TypeError(f"not an areal layer of zoning.layers: {', '.join(unknown)}")
        shapely.prepare(city)
        by_kind: dict[MonitoringKind, list[MonitoringPointRecord]] = {k: [] for k in MonitoringKind}
        for point in monitoring_points:
            by_kind[point.kind].append(point)
        rules_by_unit: dict[str | None, list[RuleRecord]] = {}
        for rule in rules:
            rules_by_unit.setdefault(rule.unit_code, []).append(rule)
        indexed: dict[str, Any] = {key: _Layer.of(areal.get(key, ())) for key in keys}
        return cls(
            version=version,
            city=city,
            monitoring={k: _PointLayer.of(v) for k, v in by_kind.items()},
            water_sources=tuple(water_sources),
            rules={k: tuple(v) for k, v in rules_by_unit.items()},
            missing_layers=frozenset(missing_layers),
            rivers=None if rivers is None else {k: to_planar(g) for k, g in rivers.items()},
            lakes=None if lakes is None else {k: to_planar(g) for k, g in lakes.items()},
            **indexed,
        )

    def layer(self, dataset_key: str) -> _Layer:
        """The indexed areal layer stored under a dataset key of the registry (``units``…)."""
        layer = getattr(self, dataset_key, None)
        if not isinstance(layer, _Layer):
            raise KeyError(f"the snapshot holds no areal layer {dataset_key!r}")
        return layer

    def point_layers(self, dataset_key: str) -> tuple[_PointLayer, ...]:
        """The indexed point layers stored under a dataset key (monitoring points: one per kind)."""
        if dataset_key == "monitoring_points":
            return tuple(self.monitoring[k] for k in MonitoringKind if k in self.monitoring)
        raise KeyError(f"the snapshot holds no point layer {dataset_key!r}")

    def unit(self, code: str) -> UnitRecord | None:
        """The unit with a code, if this version has it."""
        for record in self.units.records:
            if record.code == code:
                return record
        return None

    @property
    def unit_count(self) -> int:
        return len(self.units.records)
