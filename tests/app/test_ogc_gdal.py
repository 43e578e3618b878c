"""GDAL's OAPIF driver against the served app and the bundled Nanchang dataset.

GDAL (Debian ``gdal-bin``, installed here when missing and running as root; ``make test`` installs
it through scripts/ensure_system_packages.sh) must list every collection, read each one completely
with the right count and attribute schema in CRS84 and in EPSG:4548, and copy the control units
to a GeoPackage with the same count and geodesic area as PostGIS.

GDAL 3.6 (Debian 12) has no ``CRS`` open option for OAPIF; it passes the query string of the
collection URL on to every request, so ``?crs=…4548`` asks the server for EPSG:4548 and the
features arrive in its authority axis order (northing, easting).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import struct
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import shapely
from sqlalchemy import func, select

from geodata import repository
from geodata.database import make_engine
from geodata.ogc.collections import COLLECTIONS
from geodata.repository import geodesic_area_m2
from tests.conftest import ROOT
from tests.served import served

GK = "http://www.opengis.net/def/crs/EPSG/0/4548"


def _ensure_gdal() -> None:
    if shutil.which("ogr2ogr"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["sh", str(ROOT / "scripts" / "ensure_system_packages.sh"), "test"], check=False)
        if not shutil.which("ogr2ogr"):
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(
                ["apt-get", "install", "-y", "-q", "--no-install-recommends", "gdal-bin"],
                check=True,
                env=env,
                stdout=subprocess.DEVNULL,
            )
    if not shutil.which("ogr2ogr"):
        pytest.fail("GDAL is needed: apt-get install gdal-bin (or sh scripts/ensure_system_packages.sh test)")


@pytest.fixture(scope="module")
def served_ogc(nanchang_url: str) -> Iterator[str]:
    """The app serving the Nanchang dataset in its own process; yields the /ogc URL."""
    _ensure_gdal()
    with served(nanchang_url) as base:
        yield base + "/ogc"


@pytest.fixture(scope="module")
def expected_counts(nanchang_url: str) -> dict[str, int]:
    """Feature counts per collection in PostGIS, for the version in force today."""
    engine = make_engine(nanchang_url)
    with engine.connect() as conn:
        version = repository.version_in_force(conn, date.today())
        counts = {
            c.id: conn.execute(
                select(func.count()).select_from(c.table).where(c.table.c.version_id == version.id)
            ).scalar_one()
            for c in COLLECTIONS.values()
        }
    engine.dispose()
    assert all(n > 0 for n in counts.values()), counts
    return counts


def _to_geojson(source: str, out: Path, *options: str) -> dict:
    subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", str(out), source, *options], check=True, capture_output=True, timeout=300
    )
    return json.loads(out.read_text())


def test_ogrinfo_lists_every_collection(served_ogc: str) -> None:
    out = subprocess.run(
        ["ogrinfo", "-ro", "-q", f"OAPIF:{served_ogc}"], check=True, capture_output=True, text=True
    ).stdout
    names = [line.split(":", 1)[1].split("(")[0].strip() for line in out.splitlines() if ":" in line]
    assert names == list(COLLECTIONS)


@pytest.mark.parametrize("collection_id", list(COLLECTIONS))
def test_reads_each_collection_completely_in_crs84_and_4548(
    served_ogc: str, expected_counts: dict[str, int], collection_id: str, tmp_path: Path
) -> None:
    collection = COLLECTIONS[collection_id]
    names = ["id"] + [p.name for p in collection.properties]
    page = (
        ["-oo", "PAGE_SIZE=1000"] if expected_counts[collection_id] > 200 else []
    )  # else default 10: many pages
    crs84 = _to_geojson(f"OAPIF:{served_ogc}/collections/{collection_id}", tmp_path / "a.geojson", *page)
    assert len(crs84["features"]) == expected_counts[collection_id]
    assert len({f["properties"]["id"] for f in crs84["features"]}) == expected_counts[collection_id]
    assert list(crs84["features"][0]["properties"]) == names
    info = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", f"OAPIF:{served_ogc}/collections/{collection_id}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert [
        line.split(":")[0]
        for line in info.splitlines()
        if ": " in line and "(" in line.split(":")[1] and line.split(":")[0] in names
    ] == names
    bounds = shapely.bounds(
        shapely.GeometryCollection([shapely.geometry.shape(f["geometry"]) for f in crs84["features"]])
    )
    assert 115.2 < bounds[0] < bounds[2] < 117.0 and 27.9 < bounds[1] < bounds[3] < 29.4  # lon, lat

    gk = _to_geojson(
        f"OAPIF:{served_ogc}/collections/{collection_id}?crs={GK}", tmp_path / "b.geojson", *page
    )
    assert len(gk["features"]) == expected_counts[collection_id]
    assert list(gk["features"][0]["properties"]) == names
    first, second, *_ = shapely.bounds(
        shapely.GeometryCollection([shapely.geometry.shape(f["geometry"]) for f in gk["features"]])
    )
    # EPSG:4548 axis order: northing (≈ 3.1e6 m at 28.5 °N), then easting (CM 117°E, false easting 500 km).
    assert 3.0e6 < first < 3.3e6 and 3.0e5 < second < 5.0e5


def _gpkg_geometry(blob: bytes) -> shapely.Geometry:
    """The geometry of a GeoPackage binary (header, optional envelope, then WKB)."""
    flags = blob[3]
    envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags >> 1) & 0x07]
    struct.unpack("<i" if flags & 1 else ">i", blob[4:8])  # srs id: checked through gpkg_contents below
    return shapely.from_wkb(blob[8 + envelope :])


def test_ogr2ogr_copies_control_units_to_geopackage(
    served_ogc: str, nanchang_url: str, tmp_path: Path
) -> None:
    gpkg = tmp_path / "units.gpkg"
    subprocess.run(
        ["ogr2ogr", "-f", "GPKG", str(gpkg), f"OAPIF:{served_ogc}/collections/control_units"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    with sqlite3.connect(gpkg) as db:
        table, column = db.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchone()
        rows = db.execute(
            f'SELECT "{column}" FROM "{table}"'
        ).fetchall()  # names from the file's own catalogue
    gpkg_area = sum(geodesic_area_m2(_gpkg_geometry(blob)) for (blob,) in rows)

    engine = make_engine(nanchang_url)
    with engine.connect() as conn:
        version = repository.version_in_force(conn, date.today())
        t = COLLECTIONS["control_units"].table
        n, area = conn.execute(
            select(func.count(), func.sum(func.ST_Area(func.geography(t.c.geom)))).where(
                t.c.version_id == version.id
            )
        ).one()
    engine.dispose()
    assert len(rows) == n
    # 7-decimal output (≈ 1 cm) and GRS80 vs PostGIS' WGS84 spheroid: agree to 1e-6 of 7,000 km².
    assert gpkg_area == pytest.approx(float(area), rel=1e-6)
