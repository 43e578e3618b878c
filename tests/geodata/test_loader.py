"""Loading the bundled Nanchang dataset into PostGIS, checked with PostGIS's own geography maths."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from geodata import localdb
from geodata.database import make_engine, migrate
from geodata.loader import BUNDLED_DATA, load_bundled, verify_checksums
from tests.conftest import ROOT
from zoning.errors import DataIntegrityError, InvalidInput

FILES = {
    "admin_division": "divisions.geojson",
    "control_unit": "units.geojson",
    "water_source": "water_sources.geojson",
    "water_protection_zone": "water_zones.geojson",
    "ecological_redline": "redlines.geojson",
    "nature_reserve_zone": "reserve_zones.geojson",
    "monitoring_point": "monitoring_points.geojson",
}


def _fresh(cluster: localdb.LocalCluster, name: str) -> str:
    localdb.drop_database(cluster, name)
    localdb.create_database(cluster, name)
    url = cluster.url(name)
    migrate(url)
    return url


@pytest.fixture(scope="module")
def bundled_engine(cluster: localdb.LocalCluster) -> Iterator[Engine]:
    engine = make_engine(_fresh(cluster, "zoning_test_bundled"))
    load_bundled(engine, log=lambda _m: None)
    yield engine
    engine.dispose()
    localdb.drop_database(cluster, "zoning_test_bundled")


def _feature_count(label: str, filename: str) -> int:
    return len(json.loads((BUNDLED_DATA / label / filename).read_text(encoding="utf-8"))["features"])


def test_versions_are_published_back_to_back(bundled_engine: Engine) -> None:
    with bundled_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT label, status, effective_from::text, effective_to::text, reconstruction "
                "FROM dataset_version ORDER BY effective_from"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("2021-plan", "superseded", "2021-01-01", "2024-07-01", True),
        ("2024-update", "published", "2024-07-01", None, True),
    ]


@pytest.mark.parametrize("label", ["2021-plan", "2024-update"])
def test_every_feature_is_loaded(bundled_engine: Engine, label: str) -> None:
    with bundled_engine.connect() as conn:
        vid = conn.execute(text("SELECT id FROM dataset_version WHERE label = :l"), {"l": label}).scalar_one()
        for table, filename in FILES.items():
            n = conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE version_id = :v"), {"v": vid}
            ).scalar_one()
            assert n == _feature_count(label, filename), table
        rules = json.loads((BUNDLED_DATA / label / "access_rules.json").read_text(encoding="utf-8"))
        n = conn.execute(
            text("SELECT count(*) FROM access_rule WHERE version_id = :v"), {"v": vid}
        ).scalar_one()
        assert n == len(rules)
        industries = conn.execute(text("SELECT count(*) FROM industry_category")).scalar_one()
    assert industries == len(json.loads((BUNDLED_DATA / "industries.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize("label", ["2021-plan", "2024-update"])
def test_figures_measured_by_postgis(bundled_engine: Engine, label: str) -> None:
    """Shares, overlaps and gaps with ST_Area on geography: a different implementation from the builder's."""
    with bundled_engine.connect() as conn:
        vid = conn.execute(text("SELECT id FROM dataset_version WHERE label = :l"), {"l": label}).scalar_one()
        shares = dict(
            conn.execute(
                text(
                    "SELECT class::text, 100 * sum(ST_Area(geom::geography)) / "
                    "(SELECT ST_Area(geom::geography) FROM admin_division WHERE version_id = :v AND level = 'city') "
                    "FROM control_unit WHERE version_id = :v GROUP BY class"
                ),
                {"v": vid},
            ).all()
        )
        overlap_m2 = conn.execute(
            text(
                "SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom)::geography)), 0) FROM control_unit a "
                "JOIN control_unit b ON a.version_id = b.version_id AND a.id < b.id AND ST_Intersects(a.geom, b.geom) "
                "WHERE a.version_id = :v"
            ),
            {"v": vid},
        ).scalar_one()
        gap_m2 = conn.execute(
            text(
                "SELECT ST_Area(ST_Difference(c.geom, (SELECT ST_Union(geom) FROM control_unit WHERE version_id = :v))"
                "::geography) FROM admin_division c WHERE c.version_id = :v AND c.level = 'city'"
            ),
            {"v": vid},
        ).scalar_one()
        outside_priority_m2 = conn.execute(
            text(
                "SELECT sum(ST_Area(ST_Difference(z.geom, p.u)::geography)) FROM water_protection_zone z, "
                "(SELECT ST_Union(geom) u FROM control_unit WHERE version_id = :v AND class = 'priority') p "
                "WHERE z.version_id = :v"
            ),
            {"v": vid},
        ).scalar_one()
        unit_count = conn.execute(
            text("SELECT count(*) FROM control_unit WHERE version_id = :v"), {"v": vid}
        ).scalar_one()
    assert unit_count == 105
    assert shares["priority"] == pytest.approx(20.87, abs=0.05)
    assert shares["key"] == pytest.approx(40.98, abs=0.05)
    assert shares["general"] == pytest.approx(38.15, abs=0.05)
    assert overlap_m2 < 10_000  # < 0.01 km²
    assert gap_m2 < 10_000
    assert outside_priority_m2 < 1_000


def test_second_load_changes_nothing(bundled_engine: Engine) -> None:
    with bundled_engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM control_unit")).scalar_one()
    assert load_bundled(bundled_engine, log=lambda _m: None) == []
    with bundled_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM control_unit")).scalar_one() == before


def _broken_copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(BUNDLED_DATA, data)
    return data


def _rewrite_sums(data: Path) -> None:
    import hashlib

    lines = []
    for line in (data / "SHA256SUMS").read_text().splitlines():
        _, name = line.split(maxsplit=1)
        lines.append(f"{hashlib.sha256((data / name).read_bytes()).hexdigest()}  {name}")
    (data / "SHA256SUMS").write_text("\n".join(lines) + "\n")


def test_failed_load_leaves_nothing(cluster: localdb.LocalCluster, tmp_path: Path) -> None:
    """A duplicate unit code in the second version fails the load after the first was written:
    the transaction leaves the database as it was."""
    data = _broken_copy(tmp_path)
    units_path = data / "2024-update" / "units.geojson"
    units = json.loads(units_path.read_text(encoding="utf-8"))
    units["features"][1]["properties"]["code"] = units["features"][0]["properties"]["code"]
    units_path.write_text(json.dumps(units, ensure_ascii=False), encoding="utf-8")
    _rewrite_sums(data)
    engine = make_engine(_fresh(cluster, "zoning_test_failed_load"))
    try:
        with pytest.raises(DataIntegrityError) as info:
            load_bundled(engine, data, log=lambda _m: None)
        assert "control_unit_version_id_code_key" in str(info.value.extra.get("constraint"))
        with engine.connect() as conn:
            for table in ("dataset_version", "control_unit", "industry_category", "monitoring_point"):
                assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table
    finally:
        engine.dispose()
        localdb.drop_database(cluster, "zoning_test_failed_load")


def test_tampered_file_is_refused_before_reading(tmp_path: Path) -> None:
    data = _broken_copy(tmp_path)
    path = data / "2021-plan" / "version.json"
    path.write_text(path.read_text(encoding="utf-8").replace("2021-01-01", "2020-01-01"), encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        verify_checksums(data)
    assert info.value.field == "2021-plan/version.json"


def _validate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "validate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_zoning_validate_passes_on_both_bundled_versions() -> None:
    result = _validate()
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "== 2021-plan ==" in result.stdout and "== 2024-update ==" in result.stdout


def test_zoning_validate_fails_when_a_figure_is_off(tmp_path: Path) -> None:
    data = _broken_copy(tmp_path)
    units_path = data / "2021-plan" / "units.geojson"
    units = json.loads(units_path.read_text(encoding="utf-8"))
    del units["features"][-1]  # 104 units, and a gap where it was
    units_path.write_text(json.dumps(units, ensure_ascii=False), encoding="utf-8")
    result = _validate("--version", "2021-plan", "--data-dir", str(data))
    assert result.returncode == 1
    report = json.loads(result.stdout.split("\n", 1)[1])
    assert report["ok"] is False
    assert any("104 units" in f for f in report["failed"])
    assert any("uncovered" in f for f in report["failed"])
    assert any("general share" in f for f in report["failed"])
