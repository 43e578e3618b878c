"""Industrial parks 开发区/工业园区 of the bundled dataset, built from the units that hold them.

A key control unit holding a park carries the tags ``industrial_park`` (and ``chemical_park`` for a
recognised chemical park 认定化工园区) and ``park:<name_zh>`` (FORMAT.md). A park's geometry is the
union of the units naming it; its attributes come from :data:`PARKS`.

Levels follow 《中国开发区审核公告目录》(2018年版) for the three national zones (南昌经济技术开发区,
南昌高新技术产业开发区, 南昌小蓝经济技术开发区); the other parks are treated as provincial. The
leading industries are mapped by hand to GB/T 4754-2017 divisions/groups from the parks' public
profiles. Like the geometry, these attributes are a reconstruction, not an official list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from zoning.vocabulary import ParkLevel

PARK_TAG = "park:"


@dataclass(frozen=True)
class ParkSpec:
    code: str
    name_en: str
    level: ParkLevel
    industry_codes: tuple[str, ...]
    """Leading industries 主导产业 as GB/T 4754-2017 codes."""


PARKS: dict[str, ParkSpec] = {
    "南昌经济技术开发区": ParkSpec(
        "YQ-JKQ",
        "Nanchang Economic and Technological Development Zone",
        ParkLevel.NATIONAL,
        ("36", "38", "39"),
    ),
    "南昌高新技术产业开发区": ParkSpec(
        "YQ-GXQ", "Nanchang High-tech Industrial Development Zone", ParkLevel.NATIONAL, ("27", "37", "39")
    ),
    "小蓝经济技术开发区": ParkSpec(
        "YQ-XL", "Xiaolan Economic and Technological Development Zone", ParkLevel.NATIONAL, ("14", "27", "36")
    ),
    "长堎工业园": ParkSpec("YQ-CL", "Changleng Industrial Park", ParkLevel.PROVINCIAL, ("34", "38")),
    "安义工业园": ParkSpec("YQ-AY", "Anyi Industrial Park", ParkLevel.PROVINCIAL, ("26", "32", "33")),
    "进贤产业园": ParkSpec("YQ-JX", "Jinxian Industrial Park", ParkLevel.PROVINCIAL, ("24", "358")),
    "温圳园": ParkSpec("YQ-WZ", "Wenzhen Park", ParkLevel.PROVINCIAL, ("13", "35")),
    "南昌向塘国际陆港": ParkSpec(
        "YQ-XT", "Nanchang Xiangtang International Land Port", ParkLevel.PROVINCIAL, ("58", "59")
    ),
}
"""Attributes of each park by the name its units carry in their ``park:`` tag."""


def park_features(
    units: Sequence[tuple[dict[str, Any], BaseGeometry]], *, grid: float = 1e-6
) -> list[tuple[dict[str, Any], BaseGeometry]]:
    """One feature per park named by the units' tags, sorted by park code.

    ``units`` are the written unit features (properties, EPSG:4490 geometry). A tag naming a park
    missing from :data:`PARKS` is an error: every park needs its level and industries.
    """
    members: dict[str, list[tuple[dict[str, Any], BaseGeometry]]] = {}
    for props, geom in units:
        tags = props.get("tags") or []
        if "industrial_park" not in tags:
            continue
        for tag in tags:
            if tag.startswith(PARK_TAG):
                members.setdefault(tag[len(PARK_TAG) :], []).append((props, geom))
    out = []
    for name_zh, parts in members.items():
        spec = PARKS[name_zh]
        geometry = shapely.set_precision(shapely.union_all([g for _, g in parts]), grid)
        props = {
            "code": spec.code,
            "name_zh": name_zh,
            "name_en": spec.name_en,
            "level": spec.level.value,
            "recognised_chemical_park": any("chemical_park" in (p.get("tags") or []) for p, _ in parts),
            "industry_codes": list(spec.industry_codes),
            "unit_codes": sorted(p["code"] for p, _ in parts),
        }
        out.append((props, geometry))
    return sorted(out, key=lambda f: f[0]["code"])
