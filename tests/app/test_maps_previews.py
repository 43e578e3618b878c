"""Map rendering without a browser: offline assets, basemap setting, previews and their speed.

The snapshot is built straight from the bundled files of the version in force today (no database):
these tests check what the renderers write, the browser tests check what a browser does with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from app.maps import layers
from app.maps.assets import OfflineDraw, OfflineMap, OfflineMarkerCluster
from app.maps.planner import render_planner_map
from app.maps.previews import (
    embed_page,
    render_locate_preview,
    render_screening_preview,
    render_unit_preview,
    render_water_source_preview,
)
from app.settings import MapSettings
from geodata.loader import BUNDLED_DATA, read_industries
from zoning.locate import locate_point
from zoning.snapshot import (
    DivisionRecord,
    MonitoringPointRecord,
    RedlineRecord,
    ReserveZoneRecord,
    UnitRecord,
    VersionInfo,
    WaterZoneRecord,
    ZoningSnapshot,
)
from zoning.vocabulary import ControlClass, MonitoringKind, ProtectionGrade, RedlineKind, ReserveZoneKind

URL = re.compile(r"https?://[^\s\"'<>)]+")


def _features(folder: str, name: str) -> list[dict[str, Any]]:
    raw = json.loads((BUNDLED_DATA / folder / f"{name}.geojson").read_text(encoding="utf-8"))
    assert "4490" in raw["crs"]["properties"]["name"]
    return raw["features"]


@pytest.fixture(scope="module")
def snapshot() -> ZoningSnapshot:
    folder = "2024-update" if date.today() >= date(2024, 7, 1) else "2021-plan"
    meta = json.loads((BUNDLED_DATA / folder / "version.json").read_text(encoding="utf-8"))
    divisions = [
        DivisionRecord(p["code"], p["name_zh"], p["name_en"], p["level"], shape(f["geometry"]))
        for f in _features(folder, "divisions")
        for p in [f["properties"]]
    ]
    sources = {f["properties"]["code"]: f["properties"] for f in _features(folder, "water_sources")}
    snap = ZoningSnapshot.build(
        VersionInfo(
            1,
            meta["label"],
            meta["title_zh"],
            meta["title_en"],
            "published",
            date.fromisoformat(meta["effective_from"]),
            None,
            "0" * 64,
            True,
        ),
        city=next(d.geometry for d in divisions if d.level == "city"),
        divisions=sorted(divisions, key=lambda d: d.code),
        units=sorted(
            (
                UnitRecord(
                    p["code"],
                    p["name_zh"],
                    p["name_en"],
                    ControlClass(p["class"]),
                    p["division_code"],
                    shape(f["geometry"]),
                )
                for f in _features(folder, "units")
                for p in [f["properties"]]
            ),
            key=lambda u: u.code,
        ),
        water_zones=[
            WaterZoneRecord(
                p["source_code"],
                sources[p["source_code"]]["name_zh"],
                sources[p["source_code"]]["name_en"],
                ProtectionGrade(p["grade"]),
                shape(f["geometry"]),
            )
            for f in _features(folder, "water_zones")
            for p in [f["properties"]]
        ],
        redlines=[
            RedlineRecord(p["code"], p["name_zh"], RedlineKind(p["kind"]), shape(f["geometry"]))
            for f in _features(folder, "redlines")
            for p in [f["properties"]]
        ],
        reserve_zones=[
            ReserveZoneRecord(
                p["reserve_code"],
                p["reserve_name_zh"],
                p["reserve_name_en"],
                ReserveZoneKind(p["zone"]),
                shape(f["geometry"]),
            )
            for f in _features(folder, "reserve_zones")
            for p in [f["properties"]]
        ],
        monitoring_points=[
            MonitoringPointRecord(
                p["code"],
                p["name_zh"],
                MonitoringKind(p["kind"]),
                p["level"],
                p["subtype"],
                shape(f["geometry"]),
            )
            for f in _features(folder, "monitoring_points")
            for p in [f["properties"]]
        ],
    )
    assert snap.unit_count == 105
    return snap


def _render(render: Callable[[], str]) -> str:
    """The page. Generation time is measured by bench/previews.py, not asserted here."""
    return render()


def test_offline_classes_reference_only_local_assets() -> None:
    for lean in (True, False):
        m = OfflineMap(tiles=None, lean=lean)
        for _name, url in [*m.default_js, *m.default_css]:
            assert url.startswith("/static/vendor/")
    for cls in (OfflineMarkerCluster, OfflineDraw):
        for _name, url in [*cls.default_js, *cls.default_css]:
            assert url.startswith("/static/vendor/")
    full = OfflineMap(tiles=None, lean=False).get_root().render()
    assert URL.findall(full) == []
    assert "/static/vendor/fontawesome-free/css/all.min.css" in full


def test_planner_map_has_no_outside_url_and_an_optional_basemap(snapshot: ZoningSnapshot) -> None:
    page = render_planner_map(snapshot, industries=read_industries())
    assert URL.findall(page) == []
    assert len(page.encode()) < 1_000_000
    tiles = "https://tile.example.org/{z}/{x}/{y}.png"
    with_tiles = render_planner_map(snapshot, tile_url=tiles, tile_attribution="© Example")
    assert set(URL.findall(with_tiles)) == {"https://tile.example.org/{z}/{x}/{y}.png"}


def test_map_settings_read_the_tile_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZONING_TILE_URL", "http://tiles.intranet/{z}/{x}/{y}.png")
    monkeypatch.setenv("ZONING_TILE_ATTRIBUTION", "南昌市自然资源局")
    s = MapSettings(_env_file=None)
    assert (s.tile_url, s.tile_attribution) == ("http://tiles.intranet/{z}/{x}/{y}.png", "南昌市自然资源局")
    monkeypatch.delenv("ZONING_TILE_URL")
    assert MapSettings(_env_file=None).tile_url is None


def test_layers_are_reprojected_and_simplified_per_zoom(snapshot: ZoningSnapshot) -> None:
    overview = layers.layer_collection(snapshot, "units")
    detail = layers.layer_collection(snapshot, "units", tolerance=layers.tolerance_for_zoom(16))
    assert len(overview["features"]) == len(detail["features"]) == 105
    assert len(json.dumps(overview)) < len(json.dumps(detail))
    assert layers.tolerance_for_zoom(12) == pytest.approx(0.5 * 360 / (256 * 4096))
    box = (115.85, 28.65, 115.90, 28.70)
    some = layers.layer_collection(snapshot, "units", bbox=box)
    assert {f["id"] for f in some["features"]} == {
        u.code for u in snapshot.units.records if u.geometry.intersects(shapely.box(*box))
    }
    with pytest.raises(layers.UnknownCRS):
        layers.to_output_crs(shapely.Point(116, 28), "")
    with pytest.raises(ValueError):
        layers.parse_bbox("116,29,115,28")


def test_locate_preview_is_offline_complete_and_fast(snapshot: ZoningSnapshot) -> None:
    result = locate_point(snapshot, 115.892, 28.676)
    page = _render(lambda: render_locate_preview(result, snapshot=snapshot))
    assert URL.findall(page) == []
    assert result.unit.code in page and result.unit.name_zh in page
    for n in result.nearest_monitoring.values():
        assert n.point.name_zh in page


def test_unit_preview_lists_the_access_list(snapshot: ZoningSnapshot) -> None:
    folder = snapshot.version.label
    rules = json.loads((BUNDLED_DATA / folder / "access_rules.json").read_text(encoding="utf-8"))
    unit = next(u for u in snapshot.units.records if u.control_class is ControlClass.KEY)
    mine = [r for r in rules if r["unit_code"] in (None, unit.code)]
    page = _render(lambda: render_unit_preview(unit, mine, snapshot=snapshot))
    assert URL.findall(page) == []
    assert unit.code in page
    own = [r for r in mine if r["unit_code"] == unit.code]
    assert own and all(r["text_zh"].replace('"', "&quot;") in page or r["text_zh"] in page for r in own[:3])
    assert "空间布局约束" in page


def test_water_source_preview_draws_its_zones(snapshot: ZoningSnapshot) -> None:
    code = snapshot.water_zones.records[0].source_code
    zones = [z for z in snapshot.water_zones.records if z.source_code == code]
    source = {"code": code, "name_zh": zones[0].source_name_zh, "name_en": zones[0].source_name_en}
    page = _render(lambda: render_water_source_preview(source, zones))
    assert URL.findall(page) == []
    for z in zones:
        assert z.grade.label_zh in page


def test_screening_preview_shows_footprint_touched_features_and_verdict(snapshot: ZoningSnapshot) -> None:
    zone = next(z for z in snapshot.water_zones.records if z.grade is ProtectionGrade.GRADE_II)
    footprint = zone.geometry.representative_point().buffer(0.002)
    touched = [
        {
            "layer": "water_zones",
            "code": zone.source_code,
            "name_zh": zone.source_name_zh,
            "grade": zone.grade.value,
            "geometry": zone.geometry,
        },
        *[
            {
                "layer": "units",
                "code": u.code,
                "name_zh": u.name_zh,
                "class": u.control_class.value,
                "geometry": u.geometry,
            }
            for u in snapshot.units.records
            if u.geometry.intersects(footprint)
        ],
    ]
    result = {"verdict": "PROHIBITED", "reasons": ["水污染防治法 第六十六条"], "touched": touched}
    page = _render(lambda: render_screening_preview(footprint, footprint.buffer(0.005), result))
    assert URL.findall(page) == []
    assert 'id="verdict">PROHIBITED<' in page
    assert zone.source_name_zh in page and "二级保护区" in page
    frame = embed_page(page)
    assert frame.startswith("<iframe") and "&lt;!DOCTYPE html&gt;" in frame
