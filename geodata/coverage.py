"""Coverage validation of a zoning dataset version against the published figures of Nanchang.

:func:`coverage_report` is pure: it takes the layers as GeoDataFrames in EPSG:4490 and returns a
:class:`CoverageReport` with the measured figures and the list of failed checks. Areas are geodesic
on the GRS80 ellipsoid (CGCS2000). :func:`load_bundled_layers` reads one version of the bundled
dataset so the ``zoning validate`` CLI and the tests can check it without a database.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from zoning.crs import STORAGE_CRS, STORAGE_SRID, geodesic_area_m2
from zoning.vocabulary import UNIT_CODE_PATTERN, ControlClass

__all__ = ["EXPECTED", "CoverageReport", "coverage_report", "load_bundled_layers"]

DATA_DIR = Path(__file__).resolve().parent / "nanchang" / "data"
LAYER_FILES = {
    "divisions": "divisions.geojson",
    "units": "units.geojson",
    "water_zones": "water_zones.geojson",
    "water_sources": "water_sources.geojson",
    "redlines": "redlines.geojson",
    "reserve_zones": "reserve_zones.geojson",
    "monitoring_points": "monitoring_points.geojson",
}

EXPECTED: dict[str, Any] = {
    # 洪府发〔2021〕1号 and the bulletins quoted in DOMAIN.md
    "unit_count": 105,
    "shares_pct": {"priority": 20.87, "key": 40.98, "general": 38.15},
    "share_tolerance_pp": 0.05,
    "sources_county_and_above": 12,
    "sources_municipal": 6,
    "sources_county": 6,
    "min_monitoring_points": 1600,
    "national_assessment_sections": 11,
    "national_air_stations": 9,
    "regional_noise_points": 217,
    "road_traffic_noise_points": 122,
    "city_km2": 7191.6,
    "city_km2_tolerance": 5.0,
    "max_overlap_km2": 0.01,
    "max_gap_km2": 0.01,
    # snapping to the 1e-6° grid may push a containing edge by ~0.1 m: tolerated outside area
    "containment_tolerance_km2": 0.001,
}


def geodesic_km2(geom: BaseGeometry) -> float:
    """Geodesic area in km² (GRS80) of a lon/lat geometry."""
    return geodesic_area_m2(geom) / 1e6


def _areal(geom: BaseGeometry) -> BaseGeometry:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


@dataclass
class CoverageReport:
    """Measured figures of one dataset version and the checks they fail."""

    counts: dict[str, Any] = field(default_factory=dict)
    city_km2: float = 0.0
    class_km2: dict[str, float] = field(default_factory=dict)
    class_share_pct: dict[str, float] = field(default_factory=dict)
    overlap_km2: float = 0.0
    gap_km2: float = 0.0
    units_per_division: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every figure, the failed checks and ``ok``."""
        d = asdict(self)
        d["ok"] = self.ok
        return d


def coverage_report(layers: dict[str, gpd.GeoDataFrame]) -> CoverageReport:
    """Check a version's layers against the published Nanchang figures.

    ``layers`` maps ``city``, ``divisions``, ``units``, ``water_zones``, ``water_sources``,
    ``redlines``, ``reserve_zones`` and ``monitoring_points`` to GeoDataFrames in EPSG:4490
    (``divisions`` holds the nine county-level divisions; ``city`` a single row).
    """
    rep = CoverageReport()
    fail = rep.failed.append
    for name, gdf in layers.items():
        if gdf.crs is None or gdf.crs.to_epsg() != STORAGE_SRID:
            fail(f"{name}: CRS is {gdf.crs}, expected EPSG:4490")
        bad = int((~gdf.geometry.is_valid | gdf.geometry.is_empty).sum())
        if bad:
            fail(f"{name}: {bad} invalid or empty geometries")
    city = shapely.union_all(layers["city"].geometry.values)
    rep.city_km2 = round(geodesic_km2(city), 3)
    if abs(rep.city_km2 - EXPECTED["city_km2"]) > EXPECTED["city_km2_tolerance"]:
        fail(f"city area {rep.city_km2} km² differs from {EXPECTED['city_km2']} km²")
    tol = EXPECTED["containment_tolerance_km2"]
    shapely.prepare(city)

    # ---- units
    units = layers["units"]
    divisions = layers["divisions"]
    rep.counts["units"] = len(units)
    rep.counts["units_by_class"] = dict(sorted(Counter(units["class"]).items()))
    if len(units) != EXPECTED["unit_count"]:
        fail(f"{len(units)} units, expected {EXPECTED['unit_count']}")
    pattern = re.compile(UNIT_CODE_PATTERN)
    dup = [c for c, n in Counter(units["code"]).items() if n > 1]
    if dup:
        fail(f"duplicate unit codes: {sorted(dup)}")
    div_geom = {str(r.code): r.geometry for r in divisions.itertuples()}
    for r in units.itertuples():
        code, div = str(r.code), str(r.division_code)
        cls = str(units.loc[r.Index, "class"])
        if not pattern.match(code):
            fail(f"unit {code}: code does not match {UNIT_CODE_PATTERN}")
            continue
        if code[2:8] != div:
            fail(f"unit {code}: code names division {code[2:8]}, division_code is {div}")
        if code[8] != ControlClass(cls).digit:
            fail(f"unit {code}: class digit {code[8]} but class {cls}")
        if div not in div_geom:
            fail(f"unit {code}: unknown division {div}")
            continue
        outside = geodesic_km2(_areal(r.geometry.difference(div_geom[div])))
        if outside > tol:
            fail(f"unit {code}: {outside:.4f} km² outside division {div}")
    rep.units_per_division = dict(sorted(Counter(units["division_code"]).items()))
    for code in sorted(div_geom):
        if rep.units_per_division.get(code, 0) == 0:
            fail(f"division {code} has no unit")
    class_km2 = {c.value: 0.0 for c in ControlClass}
    for r in units.itertuples():
        class_km2[str(units.loc[r.Index, "class"])] += geodesic_km2(r.geometry)
    rep.class_km2 = {k: round(v, 3) for k, v in class_km2.items()}
    for k, v in class_km2.items():
        share = 100.0 * v / rep.city_km2 if rep.city_km2 else 0.0
        rep.class_share_pct[k] = round(share, 4)
        want = EXPECTED["shares_pct"][k]
        if abs(share - want) > EXPECTED["share_tolerance_pp"]:
            fail(
                f"{k} share {share:.4f} % differs from {want} % by more than "
                f"{EXPECTED['share_tolerance_pp']} pp"
            )
    geoms = list(units.geometry.values)
    tree = shapely.STRtree(geoms)
    overlap = 0.0
    for i, j in zip(*tree.query(geoms, predicate="intersects"), strict=True):
        if i < j:
            overlap += geodesic_km2(_areal(geoms[i].intersection(geoms[j])))
    covered = shapely.union_all(geoms)
    rep.overlap_km2 = round(overlap, 6)
    rep.gap_km2 = round(geodesic_km2(_areal(city.difference(covered))), 6)
    outside_city = geodesic_km2(_areal(covered.difference(city)))
    if rep.overlap_km2 > EXPECTED["max_overlap_km2"]:
        fail(f"units overlap by {rep.overlap_km2} km²")
    if rep.gap_km2 > EXPECTED["max_gap_km2"]:
        fail(f"units leave {rep.gap_km2} km² of the city uncovered")
    if outside_city > EXPECTED["max_gap_km2"]:
        fail(f"units reach {outside_city:.4f} km² outside the city")
    priority = shapely.union_all(units.geometry[units["class"] == ControlClass.PRIORITY.value].values)

    def inside_priority(layer: str, key: str) -> None:
        for r in layers[layer].itertuples():
            out = geodesic_km2(_areal(r.geometry.difference(priority)))
            if out > tol:
                fail(f"{layer} {getattr(r, key)}: {out:.4f} km² outside priority units")

    # ---- water sources and zones
    src = layers["water_sources"]
    zones = layers["water_zones"]
    rep.counts["water_sources"] = len(src)
    rep.counts["water_sources_by_level"] = dict(sorted(Counter(src["level"]).items()))
    rep.counts["water_sources_by_status"] = dict(sorted(Counter(src["status"]).items()))
    rep.counts["water_zones_by_grade"] = dict(sorted(Counter(zones["grade"]).items()))
    # The 12 centralised sources "at county level and above" are those in use; emergency and
    # backup sources come on top of them.
    main12 = src[src["status"] == "in_use"]
    if len(main12) != EXPECTED["sources_county_and_above"]:
        fail(
            f"{len(main12)} sources at county level and above, "
            f"expected {EXPECTED['sources_county_and_above']}"
        )
    if int((main12["level"] == "municipal").sum()) != EXPECTED["sources_municipal"]:
        fail("municipal source count differs from 6")
    inside_priority("water_zones", "source_code")
    for code, grp in zones.groupby("source_code"):
        gs = list(grp.geometry.values)
        for a in range(len(gs)):
            for b in range(a + 1, len(gs)):
                ov = geodesic_km2(_areal(gs[a].intersection(gs[b])))
                if ov > tol:
                    fail(f"water source {code}: grades overlap by {ov:.4f} km²")
        if code not in set(src["code"]):
            fail(f"water zones of unknown source {code}")
    # ---- red line and reserve
    rep.counts["redlines"] = len(layers["redlines"])
    rep.counts["redlines_by_kind"] = dict(sorted(Counter(layers["redlines"]["kind"]).items()))
    rep.counts["reserve_zones"] = len(layers["reserve_zones"])
    inside_priority("redlines", "code")
    inside_priority("reserve_zones", "zone")
    # ---- monitoring points
    pts = layers["monitoring_points"]
    rep.counts["monitoring_points"] = len(pts)
    rep.counts["monitoring_by_kind"] = dict(sorted(Counter(pts["kind"]).items()))
    rep.counts["monitoring_by_subtype"] = dict(sorted(Counter(pts["kind"] + ":" + pts["subtype"]).items()))
    if len(pts) < EXPECTED["min_monitoring_points"]:
        fail(f"{len(pts)} monitoring points, expected at least {EXPECTED['min_monitoring_points']}")
    outside_points = [str(c) for c, g in zip(pts["code"], pts.geometry, strict=True) if not city.contains(g)]
    if outside_points:
        fail(f"{len(outside_points)} monitoring points outside the city, e.g. {outside_points[:3]}")
    attrs = pts["attributes"] if "attributes" in pts else [{}] * len(pts)
    nat = sum(
        1
        for k, a in zip(pts["kind"], attrs, strict=True)
        if k == "surface_water" and isinstance(a, dict) and a.get("national_assessment")
    )
    checks = {
        "national_assessment_sections": nat,
        "national_air_stations": int(((pts["kind"] == "air") & (pts["level"] == "national")).sum()),
        "regional_noise_points": int(((pts["kind"] == "noise") & (pts["subtype"] == "regional")).sum()),
        "road_traffic_noise_points": int(
            ((pts["kind"] == "noise") & (pts["subtype"] == "road_traffic")).sum()
        ),
    }
    rep.counts.update(checks)
    for k, v in checks.items():
        if v != EXPECTED[k]:
            fail(f"{k}: {v}, expected {EXPECTED[k]}")
    dup = [c for c, n in Counter(pts["code"]).items() if n > 1]
    if dup:
        fail(f"duplicate monitoring point codes: {sorted(dup)[:5]}")
    return rep


def load_bundled_layers(version_label: str, data_dir: Path | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Read one version of the bundled Nanchang dataset into the ``layers`` of :func:`coverage_report`.

    ``divisions`` keeps the nine county-level divisions; the city row goes to ``city`` and the
    development zones / management areas to ``named_areas``.
    """
    import json

    base = (data_dir or DATA_DIR) / version_label
    if not base.is_dir():
        raise FileNotFoundError(f"no bundled dataset version {version_label!r} in {base.parent}")
    layers: dict[str, gpd.GeoDataFrame] = {}
    for name, fname in LAYER_FILES.items():
        path = base / fname
        feats = json.loads(path.read_text(encoding="utf-8"))["features"]
        gdf = gpd.GeoDataFrame.from_features(feats, crs=STORAGE_CRS)
        layers[name] = gdf
    divs = layers["divisions"]
    layers["city"] = divs[divs["level"] == "city"].reset_index(drop=True)
    layers["named_areas"] = divs[divs["level"].isin(["development_zone", "management_area"])].reset_index(
        drop=True
    )
    layers["divisions"] = divs[divs["level"].isin(["district", "county"])].reset_index(drop=True)
    return layers
