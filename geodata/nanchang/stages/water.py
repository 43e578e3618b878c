"""Drinking-water sources 饮用水水源地 and their protection zones (HJ 338-2018 technical guideline)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import shapely
from shapely import ops
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geodata.nanchang.stages.common import polys, to_m, union
from geodata.nanchang.stages.inputs import Hydro
from zoning.vocabulary import (
    ProtectionGrade,
    WaterSourceKind,
    WaterSourceLevel,
    WaterSourceStatus,
)

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
