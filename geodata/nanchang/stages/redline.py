"""The ecological protection red line 生态保护红线, the nature-reserve zones, and the 2024 update."""

from __future__ import annotations

from typing import Any

import numpy as np
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from geodata.nanchang.stages.common import (
    DIVISIONS,
    UNIT_COUNT,
    blob,
    geod_km2_m,
    largest_part,
    polys,
    pt_m,
    union,
)
from geodata.nanchang.stages.units import Unit, cut_to_area, seq_name
from geodata.nanchang.stages.water import SourceZones
from zoning.vocabulary import (
    ControlClass,
    ProtectionGrade,
    RedlineKind,
    ReserveZoneKind,
)

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
