"""Monitoring points 监测点位 (air, water, soil, noise, pollution sources)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely
from shapely import ops
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from geodata.nanchang.stages.common import (
    CITY_CODE,
    DIVISIONS,
    URBAN_DISTRICTS,
    inside_point,
    polys,
    pt_m,
    union,
)
from geodata.nanchang.stages.inputs import Hydro
from geodata.nanchang.stages.units import Unit
from geodata.nanchang.stages.water import SourceZones
from zoning.vocabulary import (
    ControlClass,
    MonitoringKind,
    MonitoringLevel,
    WaterSourceStatus,
)

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
