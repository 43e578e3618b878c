"""The importer takes what offices hand over (issue 12 item 8): files named anything, found by
their 三线一单 fields; bare .gpkg, .geojson and .shp files and folders as well as zips; and only the
errors that hold.

The files are the bundled 2024-update's control units as the exporter writes them — the standard
field names HJZHGKDYBM 环境管控单元编码, HJZHGKDYMC 名称, ZHGKDYFL 分类 — renamed the way an
office names them (``nanchang_hjgkdy``), imported by ``zoning import`` with no mapping file into
a database where the full 2024-update is in force (the other layers are carried over from it).
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pyogrio
import pytest
from sqlalchemy import Engine, text

from app import cli
from geodata import localdb
from geodata.database import make_engine, migrate
from geodata.export import export_version
from geodata.importer import import_bundle
from geodata.publishing import publish
from tests.conftest import ROOT
from zoning.errors import InvalidInput

LABEL = "2024-update"
ACTOR = "test:handover"
OFFICE_NAME = "nanchang_hjgkdy"


@pytest.fixture(scope="module")
def exported(nanchang_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The 2024-update exported as shapefiles (GBK, EPSG:4527), GeoPackage and GeoJSON, unpacked."""
    engine = make_engine(nanchang_url)
    root = tmp_path_factory.mktemp("exported")
    out = {}
    with engine.connect() as conn:
        for fmt, crs in (("shp", "EPSG:4527"), ("gpkg", None), ("geojson", None)):
            folder = root / fmt
            with zipfile.ZipFile(io.BytesIO(export_version(conn, LABEL, fmt, crs=crs))) as zf:
                zf.extractall(folder)
            out[fmt] = folder
    engine.dispose()
    return out


@pytest.fixture(scope="module")
def in_force(cluster: localdb.LocalCluster, exported: dict[str, Path]) -> Iterator[tuple[str, Engine]]:
    """A database with the full 2024-update imported and in force."""
    name = f"zoning_handover_{os.getpid()}_{secrets.token_hex(3)}"
    localdb.create_database(cluster, name)
    url = cluster.url(name)
    migrate(url)
    engine = make_engine(url, statement_timeout_ms=120_000)
    import_bundle(engine, [exported["gpkg"]], label="base", actor=ACTOR)
    publish(engine, "base", date(2024, 7, 1), actor=ACTOR)
    yield url, engine
    engine.dispose()
    localdb.drop_database(cluster, name)


def _units(engine: Engine, label: str) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT u.code, u.class::text FROM control_unit u JOIN dataset_version v ON v.id = u.version_id "
                "WHERE v.label = :l"
            ),
            {"l": label},
        ).all()
    return dict(rows)  # type: ignore[arg-type]


def _status(engine: Engine, label: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                text("SELECT status::text FROM dataset_version WHERE label = :l"), {"l": label}
            ).scalar_one()
        )


def _import(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str, *args: str
) -> tuple[int, str]:
    monkeypatch.setenv("ZONING_DATABASE_URL", url)
    code = cli.main(["import", *args])
    return code, capsys.readouterr().out


def _shapefile_set(exported: dict[str, Path], folder: Path) -> Path:
    """units.* of the shapefile export, renamed nanchang_hjgkdy.* (the .cpg says GBK, .prj 4527)."""
    folder.mkdir(parents=True, exist_ok=True)
    for part in exported["shp"].glob("units.*"):
        shutil.copyfile(part, folder / f"{OFFICE_NAME}{part.suffix}")
    return folder / f"{OFFICE_NAME}.shp"


@pytest.mark.parametrize("kind", ["zip", "shp", "folder", "gpkg", "geojson", "geojson-named"])
def test_office_files_import_as_drafts_without_a_mapping(
    kind: str,
    exported: dict[str, Path],
    in_force: tuple[str, Engine],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, engine = in_force
    if kind in ("zip", "shp", "folder"):
        shp = _shapefile_set(exported, tmp_path / "set")
        if kind == "zip":
            path = tmp_path / f"{OFFICE_NAME}.zip"
            with zipfile.ZipFile(path, "w") as zf:
                for part in shp.parent.iterdir():
                    zf.write(part, part.name)
        else:
            path = shp if kind == "shp" else shp.parent
    elif kind == "gpkg":
        # units.gpkg with one layer named as the office names it
        path = tmp_path / "units.gpkg"
        frame = pyogrio.read_dataframe(exported["gpkg"] / "dataset.gpkg", layer="units")
        pyogrio.write_dataframe(frame, path, layer=OFFICE_NAME, driver="GPKG")
    elif kind == "geojson":
        path = tmp_path / "units.geojson"
        shutil.copyfile(exported["geojson"] / "units.geojson", path)
    else:
        path = tmp_path / f"{OFFICE_NAME}.geojson"
        shutil.copyfile(exported["geojson"] / "units.geojson", path)
    label = f"handover-{kind}"
    code, out = _import(monkeypatch, capsys, url, str(path), "--label", label)
    assert code == 0, out
    assert f"imported draft {label}" in out
    assert _status(engine, label) == "draft"
    assert _units(engine, label) == _units(engine, "base")  # 105 units, classes unchanged
    assert "no version is in force" not in out
    if kind in ("zip", "shp", "folder", "gpkg", "geojson-named"):
        assert "layer_by_fields" in out and "HJZHGKDYBM" in out


def test_only_errors_that_hold_are_reported(
    exported: dict[str, Path], in_force: tuple[str, Engine], tmp_path: Path
) -> None:
    """A units-only set without its .prj is refused for that alone: the divisions it lacks would be
    carried over from the version in force, so "no version is in force" is not said."""
    _url, engine = in_force
    shp = _shapefile_set(exported, tmp_path / "noprj")
    shp.with_suffix(".prj").unlink()
    with pytest.raises(InvalidInput) as info:
        import_bundle(engine, [shp.parent], label="no-prj", actor=ACTOR)
    errors = info.value.extra["report"]["errors"]
    assert [e["code"] for e in errors] == ["missing_crs"]


def test_no_version_in_force_is_said_when_it_holds(
    exported: dict[str, Path], cluster: localdb.LocalCluster, tmp_path: Path
) -> None:
    name = f"zoning_handover_{os.getpid()}_{secrets.token_hex(3)}"
    localdb.create_database(cluster, name)
    url = cluster.url(name)
    try:
        migrate(url)
        engine = make_engine(url)
        shp = _shapefile_set(exported, tmp_path / "noprj")
        shp.with_suffix(".prj").unlink()
        with pytest.raises(InvalidInput) as info:
            import_bundle(engine, [shp], label="no-prj", actor=ACTOR)
        engine.dispose()
        codes = [e["code"] for e in info.value.extra["report"]["errors"]]
        assert codes == ["missing_crs", "missing_layer"]  # no divisions, and none to carry over
    finally:
        localdb.drop_database(cluster, name)


def test_cli_import_of_a_bare_file_in_a_subprocess(
    exported: dict[str, Path], in_force: tuple[str, Engine], tmp_path: Path
) -> None:
    """The command as an operator types it."""
    url, engine = in_force
    path = tmp_path / "units.geojson"
    shutil.copyfile(exported["geojson"] / "units.geojson", path)
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "import", str(path), "--label", "bare-cli"],
        cwd=ROOT,
        env={**os.environ, "ZONING_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert _status(engine, "bare-cli") == "draft"
