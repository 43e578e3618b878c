"""Control units 环境管控单元: parcels, classes and names reproducing the published counts and shares."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from geodata.nanchang.stages.common import (
    DIV_NAME,
    DIVISIONS,
    SHARES,
    TO_DEG,
    UNIT_COUNT,
    URBAN_DISTRICTS,
    blob,
    geod_km2,
    geod_km2_m,
    inside_point,
    largest_part,
    polys,
    pt_m,
    union,
)
from geodata.nanchang.stages.inputs import Hydro
from geodata.nanchang.stages.water import SourceZones
from zoning.vocabulary import (
    ControlClass,
)

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
