"""Snapshot layers as GeoJSON for the browser: reprojected to EPSG:4326 and simplified for the zoom.

Geometries live in CGCS2000 (EPSG:4490). Web maps draw WGS84 (EPSG:4326) longitude/latitude; the
two datums differ by a few centimetres in Nanchang (CGCS2000 is ITRF97-based, WGS84 (G1762)
ITRF2008-based), far below a screen pixel, so pyproj's transformation is the identity within
rounding. It is still applied explicitly, so that the output CRS is stated where it is made and a
layer in another CRS would be refused rather than drawn in the wrong place.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from zoning import layers
from zoning.crs import STORAGE_CRS, transformer
from zoning.snapshot import ZoningSnapshot
from zoning.vocabulary import DivisionLevel

STORE_CRS = STORAGE_CRS
OUTPUT_CRS = "EPSG:4326"
OVERVIEW_TOLERANCE_DEG = 0.0005
"""≈ 50 m: the geometry embedded in the /map page, finer than a pixel up to zoom ~11."""
DETAIL_MIN_ZOOM = 12
"""From this zoom the page fetches per-zoom detail from /map/layers/{layer}.geojson."""
COORD_DECIMALS = 6  # ≈ 0.1 m: more digits only make the page heavier

LAYERS: tuple[str, ...] = tuple(spec.dataset_key for spec in layers.LAYERS if spec.map_layer)
"""The dataset keys of the layers the /map page draws from the snapshot (registry ``map_layer``)."""


class UnknownCRS(ValueError):
    """A geometry's CRS is missing or not one the maps can reproject."""


def _transformer(source: str) -> Transformer:
    if not source:
        raise UnknownCRS("a map layer without a CRS is refused")
    return transformer(source, OUTPUT_CRS)


def to_output_crs(geometry: BaseGeometry, source_crs: str = STORE_CRS) -> BaseGeometry:
    """Reproject a geometry to EPSG:4326 lon/lat for the browser (see the module note on CGCS2000)."""
    transformer = _transformer(source_crs)
    return shapely.transform(geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def tolerance_for_zoom(zoom: float) -> float:
    """Half a Web-Mercator pixel at the equator, in degrees: simplification no one can see."""
    return 0.5 * 360.0 / (256 * 2 ** max(0.0, min(zoom, 22.0)))


def prepare(geometry: BaseGeometry, tolerance: float) -> BaseGeometry:
    """Simplify (topology-preserving) and round a geometry already in EPSG:4326."""
    if tolerance > 0:
        geometry = shapely.simplify(geometry, tolerance, preserve_topology=True)
    return shapely.set_precision(geometry, 10**-COORD_DECIMALS, mode="pointwise")


def feature(fid: str, geometry: BaseGeometry, properties: dict[str, Any], tolerance: float) -> dict[str, Any]:
    geom = prepare(to_output_crs(geometry), tolerance)
    return {
        "type": "Feature",
        "id": fid,
        "properties": properties,
        "geometry": shapely.geometry.mapping(geom),
    }


def collection(features: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def _records(snapshot: ZoningSnapshot, layer: str) -> Sequence[Any]:
    if layer == "divisions":
        return [
            d for d in snapshot.divisions.records if d.level in (DivisionLevel.DISTRICT, DivisionLevel.COUNTY)
        ]
    return getattr(snapshot, layer).records


def _unit(record: Any) -> dict[str, Any]:
    c = record.control_class
    return {
        "code": record.code,
        "name_zh": record.name_zh,
        "name_en": record.name_en,
        "class": c.value,
        "class_zh": c.label_zh,
        "class_en": c.label_en,
    }


def _water_zone(record: Any) -> dict[str, Any]:
    return {
        "source_code": record.source_code,
        "source_name_zh": record.source_name_zh,
        "grade": record.grade.value,
        "grade_zh": record.grade.label_zh,
    }


def _redline(record: Any) -> dict[str, Any]:
    return {"code": record.code, "name_zh": record.name_zh, "kind_zh": record.kind.label_zh}


def _reserve_zone(record: Any) -> dict[str, Any]:
    return {
        "reserve_code": record.reserve_code,
        "reserve_name_zh": record.reserve_name_zh,
        "zone": record.zone.value,
        "zone_zh": record.zone.label_zh,
    }


def _park(record: Any) -> dict[str, Any]:
    return {
        "code": record.code,
        "name_zh": record.name_zh,
        "name_en": record.name_en,
        "level_zh": record.level.label_zh,
        "chemical_zh": "认定化工园区" if record.recognised_chemical_park else "",
        "industry_codes": ", ".join(record.industry_codes),
    }


def _division(record: Any) -> dict[str, Any]:
    return {"code": record.code, "name_zh": record.name_zh, "name_en": record.name_en}


POPUP_PROPERTIES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "units": _unit,
    "water_zones": _water_zone,
    "redlines": _redline,
    "reserve_zones": _reserve_zone,
    "industrial_parks": _park,
    "divisions": _division,
}
"""Popup/tooltip properties of a record, per map layer (dataset key): bilingual labels of its enums."""


def describe(layer: str, record: Any) -> tuple[str, dict[str, Any]]:
    """Feature id (the registry key's values joined with '-') and popup/tooltip properties of a record."""
    spec = layers.by_dataset_key(layer)
    if not spec.map_layer:
        raise KeyError(layer)
    fid = "-".join(str(getattr(record, k)) for k in spec.key)
    return fid, POPUP_PROPERTIES[layer](record)


def layer_collection(
    snapshot: ZoningSnapshot,
    layer: str,
    *,
    tolerance: float = OVERVIEW_TOLERANCE_DEG,
    bbox: tuple[float, float, float, float] | None = None,
) -> dict[str, Any]:
    """One layer of a snapshot as a GeoJSON FeatureCollection in EPSG:4326, simplified.

    ``bbox`` (lon/lat) keeps the features that intersect it, whole (not clipped), so a popup
    describes the full feature.
    """
    records = _records(snapshot, layer)
    if bbox is not None:
        box = shapely.box(*bbox)
        records = [r for r in records if r.geometry.intersects(box)]
    out = []
    for r in records:
        fid, props = describe(layer, r)
        out.append(feature(fid, r.geometry, props, tolerance))
    return collection(out)


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    parts = [float(p) for p in text.split(",")]
    if (
        len(parts) != 4
        or not all(math.isfinite(p) for p in parts)
        or parts[0] > parts[2]
        or parts[1] > parts[3]
    ):
        raise ValueError("bbox is minlon,minlat,maxlon,maxlat")
    return parts[0], parts[1], parts[2], parts[3]
