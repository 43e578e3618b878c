"""End to end: an office's own shapefile clause decides a screening after import and publish.

Issue 11 "Done when": an office's shapefile with "禁止新建、扩建化工项目" in KJBJYS makes a chemical
plant in that unit `prohibited` after import and publish. The kit is written with geopandas/pyogrio
(standard field names of the 三线一单 data specification, GBK, EPSG:4527), independently of the
service's exporter; the place is the unit's own representative point from the bundled units.geojson.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import pytest
from sqlalchemy import Engine

from geodata import localdb, repository
from geodata.database import make_engine, migrate
from geodata.importer import import_bundle, publish
from geodata.loader import BUNDLED_DATA
from geodata.snapshots import SnapshotCache
from zoning.industry import IndustryCatalogue
from zoning.screening import ScreeningRequest, screen

UNIT = (
    "ZH36012430005"  # a general control unit 一般管控单元 of 进贤县, no park, no protected zone at its point
)
CLAUSE = "禁止新建、扩建化工项目。"


@pytest.fixture()
def engine(cluster: localdb.LocalCluster) -> Iterator[Engine]:
    name = f"zoning_e2e_{os.getpid()}_{secrets.token_hex(3)}"
    localdb.create_database(cluster, name)
    url = cluster.url(name)
    migrate(url)
    eng = make_engine(url, statement_timeout_ms=120_000)
    yield eng
    eng.dispose()
    localdb.drop_database(cluster, name)


def _kit(folder: Path, clause_for_unit: str | None) -> gpd.GeoDataFrame:
    units = gpd.read_file(BUNDLED_DATA / "2024-update" / "units.geojson")
    divisions = gpd.read_file(BUNDLED_DATA / "2024-update" / "divisions.geojson")
    class_zh = {"priority": "优先保护单元", "key": "重点管控单元", "general": "一般管控单元"}
    kjbjys = [clause_for_unit if code == UNIT else None for code in units["code"]]
    gpd.GeoDataFrame(
        {
            "HJZHGKDYBM": units["code"],
            "HJZHGKDYMC": units["name_zh"],
            "ZHGKDYFL": [class_zh[c] for c in units["class"]],
            "XZQDM": units["division_code"],
            "KJBJYS": kjbjys,
        },
        geometry=units.geometry,
        crs="EPSG:4490",
    ).to_crs(4527).to_file(folder / "环境管控单元.shp", encoding="GBK", engine="pyogrio")
    gpd.GeoDataFrame(
        {"XZQDM": divisions["code"], "XZQMC": divisions["name_zh"], "JB": divisions["level"]},
        geometry=divisions.geometry,
        crs="EPSG:4490",
    ).to_crs(4527).to_file(folder / "行政区.shp", encoding="GBK", engine="pyogrio")
    return units


def _verdict(engine: Engine, nanchang_url: str, units: gpd.GeoDataFrame) -> tuple[str, list[str]]:
    point = units.loc[units["code"] == UNIT].geometry.iloc[0].representative_point()
    source = make_engine(nanchang_url)
    with source.connect() as conn:
        catalogue = IndustryCatalogue(repository.read_industries(conn))
    source.dispose()
    cache = SnapshotCache(engine)
    cache.refresh()
    snapshot = cache.current()
    result = screen(snapshot, ScreeningRequest(point, catalogue.resolve("2614")), catalogue)
    return result.verdict, [f.text_zh for f in result.findings if f.severity == "prohibited"]


def test_imported_prohibition_makes_a_chemical_plant_prohibited(
    tmp_path: Path, engine: Engine, nanchang_url: str
) -> None:
    units = _kit(tmp_path, CLAUSE)
    result = import_bundle(engine, [tmp_path], label="office", actor="test:e2e")
    assert result.report.ok
    assert result.report.counts["clauses_parsed"] == 1
    publish(engine, "office", date.today() - timedelta(days=1), actor="test:e2e")
    verdict, prohibited = _verdict(engine, nanchang_url, units)
    # The clause reads 禁止 (prohibit) 化工 (GB/T 4754 division 26, which covers 2614).
    assert verdict == "prohibited"
    assert prohibited == [CLAUSE]


def test_without_the_clause_the_same_plant_is_not_prohibited(
    tmp_path: Path, engine: Engine, nanchang_url: str
) -> None:
    units = _kit(tmp_path, None)
    import_bundle(engine, [tmp_path], label="office", actor="test:e2e")
    publish(engine, "office", date.today() - timedelta(days=1), actor="test:e2e")
    verdict, prohibited = _verdict(engine, nanchang_url, units)
    assert verdict != "prohibited" and prohibited == []
