"""A version that lacks a layer is screened as `no_data` on it, never `clear`.

Issue 11 ("No escape, no silence"): "a layer the version lacks is `no_data`, never `clear`, and
makes the verdict at most `conditional`". The version below is the fixture's 2020 plan with its red
line and nature-reserve zones left out; it is inserted as a draft (never published) so the other
tests' versions in force are untouched.
"""

from __future__ import annotations

import dataclasses

from shapely.geometry import Point
from sqlalchemy import Engine

from geodata import repository
from tests.fixture_dataset import VERSIONS
from zoning.industry import IndustryCatalogue
from zoning.screening import ScreeningRequest, screen


def test_a_version_without_red_line_and_reserves_reports_no_data(
    engine: Engine, fixture_versions: dict
) -> None:
    meta, layers, _effective = VERSIONS[0]
    thin = dataclasses.replace(layers, redlines=[], reserve_zones=[])
    with engine.begin() as conn:
        version_id = repository.insert_version(
            conn, {**meta, "label": "fixture-no-redline"}, thin, created_by="tests"
        )
    with engine.connect() as conn:
        info = repository.version_by_id(conn, version_id)
        snapshot = repository.read_snapshot(conn, info)
        catalogue = IndustryCatalogue(repository.read_industries(conn))
    assert {"redlines", "reserve_zones"} <= snapshot.missing_layers
    assert "water_zones" not in snapshot.missing_layers  # the fixture has its water zones
    unit = snapshot.units.records[0].geometry
    site = unit.representative_point()
    assert isinstance(site, Point)
    # A software firm (GB/T 4754-2017 6513 应用软件开发): no statute prohibits it anywhere, so only
    # the missing layers can hold it back — and they must.
    result = screen(snapshot, ScreeningRequest(site, catalogue.resolve("6513")), catalogue)
    assert result.layer("ecological_redline").status == "no_data"
    assert result.layer("nature_reserve_zones").status == "no_data"
    assert result.verdict != "permitted"
