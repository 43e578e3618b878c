"""ZoningSnapshot.build indexes every areal layer of the registry under its dataset key.

No database: records are built in memory. Expectations come from the registry (``zoning.layers``)
and from hand-drawn squares whose containment is obvious.
"""

from __future__ import annotations

from datetime import date

import pytest
from shapely.geometry import Point, box

from zoning import layers
from zoning.snapshot import (
    DivisionRecord,
    IndustrialParkRecord,
    RedlineRecord,
    UnitRecord,
    VersionInfo,
    ZoningSnapshot,
    areal_layers,
)
from zoning.vocabulary import ControlClass, ParkLevel, RedlineKind

VERSION = VersionInfo(1, "t", "测试", "test", "published", date(2024, 1, 1), None, "0" * 64, True)
CITY = box(115.8, 28.5, 116.0, 28.7)
WEST = box(115.8, 28.5, 115.9, 28.7)  # holds (115.85, 28.6); the east square does not


def test_the_areal_layers_are_the_registrys_multipolygon_layers() -> None:
    # zoning/layers.py: six layer kinds are MultiPolygon; points (water sources, monitoring) are not.
    assert [s.dataset_key for s in areal_layers()] == [
        s.dataset_key for s in layers.LAYERS if s.geometry_type == "MultiPolygon"
    ]
    assert {s.dataset_key for s in areal_layers()} == {
        "units",
        "water_zones",
        "redlines",
        "reserve_zones",
        "industrial_parks",
        "divisions",
    }


def test_every_areal_layer_is_indexed_and_an_omitted_one_is_empty() -> None:
    snap = ZoningSnapshot.build(
        VERSION,
        city=CITY,
        divisions=[DivisionRecord("360100", "南昌市", "Nanchang", "city", CITY)],
        units=[UnitRecord("ZH1", "西", "West", ControlClass.KEY, "360111", WEST)],
        redlines=[RedlineRecord("HX1", "红线", RedlineKind.WETLAND, WEST)],
        industrial_parks=[
            IndustrialParkRecord("P1", "园区", "Park", ParkLevel.PROVINCIAL, False, ("26",), WEST)
        ],
    )
    for spec in areal_layers():
        assert snap.layer(spec.dataset_key) is getattr(snap, spec.dataset_key)
    assert [u.code for u in snap.units.covering(Point(115.85, 28.6))] == ["ZH1"]
    assert snap.units.covering(Point(115.95, 28.6)) == []
    assert [r.code for r in snap.redlines.covering(Point(115.85, 28.6))] == ["HX1"]
    assert [p.code for p in snap.industrial_parks.covering(Point(115.85, 28.6))] == ["P1"]
    assert snap.water_zones.records == () and snap.reserve_zones.records == ()


def test_a_layer_the_registry_does_not_know_is_refused() -> None:
    with pytest.raises(TypeError, match="wetlands"):
        ZoningSnapshot.build(VERSION, city=CITY, divisions=[], units=[], wetlands=[])
