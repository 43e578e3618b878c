"""The /map layers follow the layer registry: every layer marked ``map_layer`` is drawn, described
and served, and nothing else. No database, no HTTP: the tables are compared with ``zoning.layers``."""

from __future__ import annotations

from shapely.geometry import box

from app.maps import layers as L
from app.maps.planner import OVERLAYS
from app.routes.maps import MapLayer
from zoning import layers
from zoning.snapshot import ReserveZoneRecord, WaterZoneRecord
from zoning.vocabulary import ProtectionGrade, ReserveZoneKind

MAP_LAYERS = [spec.dataset_key for spec in layers.LAYERS if spec.map_layer]


def test_the_map_layers_are_the_registrys() -> None:
    # zoning/layers.py marks six layers map_layer: units, water zones, red line, reserve zones,
    # industrial parks, divisions (monitoring points are drawn as clusters, water sources not at all).
    assert list(L.LAYERS) == MAP_LAYERS
    assert set(MAP_LAYERS) == {
        "units",
        "water_zones",
        "redlines",
        "reserve_zones",
        "industrial_parks",
        "divisions",
    }
    assert set(OVERLAYS) == set(MAP_LAYERS)
    assert set(L.POPUP_PROPERTIES) == set(MAP_LAYERS)
    assert [m.value for m in MapLayer] == MAP_LAYERS


def test_feature_ids_join_the_registry_key() -> None:
    # zoning/layers.py: water zones are keyed by (source_code, grade), reserve zones by
    # (reserve_code, zone); the id joins the values with '-'.
    g = box(115.8, 28.5, 115.9, 28.6)
    zone = WaterZoneRecord("WS1", "水源", "Source", ProtectionGrade.GRADE_II, g)
    reserve = ReserveZoneRecord("NR1", "保护区", "Reserve", ReserveZoneKind.CORE, g)
    assert L.describe("water_zones", zone)[0] == "WS1-II"
    assert L.describe("reserve_zones", reserve)[0] == "NR1-core"
