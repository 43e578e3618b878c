"""Importing official zoning files: round trips through every format, a kit of broken files, and
the transaction guarantees (a refused, killed or concurrent import leaves nothing mixed).

Kits are generated in ``tmp_path`` from the bundled 2024-update (via the exporter, and once
independently with geopandas/pyogrio), each into a database of its own.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import Engine, text

from geodata import localdb
from geodata.database import make_engine, migrate
from geodata.export import export_version, numbered_text
from geodata.importer import UploadLimits, import_bundle, publish, read_bundle, split_clauses
from geodata.loader import BUNDLED_DATA
from tests.conftest import ROOT
from zoning.errors import DataIntegrityError, InvalidInput, ZoningError

LABEL = "2024-update"
ACTOR = "test:importer"


@pytest.fixture()
def new_db(cluster: localdb.LocalCluster) -> Iterator[Callable[[], tuple[str, Engine]]]:
    """Make migrated, empty databases of this test's own; dropped afterwards."""
    made: list[tuple[str, Engine]] = []

    def make() -> tuple[str, Engine]:
        name = f"zoning_imp_{os.getpid()}_{secrets.token_hex(3)}"
        localdb.create_database(cluster, name)
        url = cluster.url(name)
        migrate(url)
        engine = make_engine(url, statement_timeout_ms=120_000)
        made.append((name, engine))
        return url, engine

    yield make
    for name, engine in made:
        engine.dispose()
        localdb.drop_database(cluster, name)


@pytest.fixture(scope="module")
def source(nanchang_url: str) -> Iterator[Engine]:
    engine = make_engine(nanchang_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def exports(source: Engine, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The bundled 2024-update exported as GBK shapefile in EPSG:4527, GeoPackage and GeoJSON."""
    folder = tmp_path_factory.mktemp("exports")
    out = {}
    with source.connect() as conn:
        for fmt, crs in (("shp", "EPSG:4527"), ("gpkg", None), ("geojson", None)):
            path = folder / f"{LABEL}-{fmt}.zip"
            path.write_bytes(export_version(conn, LABEL, fmt, crs=crs))
            out[fmt] = path
    return out


def _units(engine: Engine, label: str) -> dict[str, tuple[str, float]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT u.code, u.class::text, ST_Area(u.geom::geography) FROM control_unit u "
                "JOIN dataset_version v ON v.id = u.version_id WHERE v.label = :l"
            ),
            {"l": label},
        ).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def _rules(engine: Engine, label: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT a.unit_code, a.dimension::text, a.clause_no, a.text_zh, a.effect::text, a.industry_codes "
                    "FROM access_rule a JOIN dataset_version v ON v.id = a.version_id WHERE v.label = :l "
                    "ORDER BY 1 NULLS FIRST, 2, 3"
                ),
                {"l": label},
            )
        ]


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def _assert_same_units(got: dict[str, tuple[str, float]], want: dict[str, tuple[str, float]]) -> None:
    assert len(got) == len(want) == 105
    assert set(got) == set(want)
    for code, (cls, area) in want.items():
        assert got[code][0] == cls, code
        assert got[code][1] == pytest.approx(area, rel=1e-4), code  # within 0.01 %


# --------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("fmt", ["shp", "gpkg", "geojson"])
def test_export_then_import_gives_the_same_units(
    fmt: str, exports: dict[str, Path], source: Engine, new_db: Callable[[], tuple[str, Engine]]
) -> None:
    _, engine = new_db()
    result = import_bundle(engine, [exports[fmt]], label="round-trip", actor=ACTOR)
    assert result.report.ok and result.report.warnings == []
    assert result.report.counts["units"] == 105
    if fmt == "shp":
        assert {s["crs"] for s in result.report.sources.values()} == {"EPSG:4527"}
        assert {s["encoding"] for s in result.report.sources.values()} == {"gb18030"}  # GBK via its .cpg
    _assert_same_units(_units(engine, "round-trip"), _units(source, LABEL))
    # access_rules.json travels with every export: clauses, effects and industry codes intact
    assert _rules(engine, "round-trip") == _rules(source, LABEL)
    for table in (
        "water_source",
        "water_protection_zone",
        "ecological_redline",
        "nature_reserve_zone",
        "monitoring_point",
        "admin_division",
    ):
        assert _count(engine, f"SELECT count(*) FROM {table}") == _count(
            source,
            f"SELECT count(*) FROM {table} t JOIN dataset_version v ON v.id = t.version_id "
            f"WHERE v.label = '{LABEL}'",
        ), table
    with engine.connect() as conn:
        status, by = conn.execute(text("SELECT status::text, created_by FROM dataset_version")).one()
        audit = conn.execute(text("SELECT action, target, outcome FROM audit_event")).all()
    assert (status, by) == ("draft", ACTOR)
    assert [tuple(a) for a in audit] == [("dataset.import", "round-trip", "ok")]


def _independent_kit(folder: Path, *, cpg: bool = True) -> dict[str, list[str]]:
    """Units + divisions written with geopandas/pyogrio directly: standard field names, GBK, EPSG:4527.

    Returns the clauses written per ``unit_code|dimension`` (whole clauses that fit in 254 bytes).
    """
    units = gpd.read_file(BUNDLED_DATA / LABEL / "units.geojson")
    divisions = gpd.read_file(BUNDLED_DATA / LABEL / "divisions.geojson")
    rules = json.loads((BUNDLED_DATA / LABEL / "access_rules.json").read_text(encoding="utf-8"))
    fields = {
        "spatial_layout": "KJBJYS",
        "pollutant_discharge": "PWWPFGK",
        "environmental_risk": "HJFXFK",
        "resource_efficiency": "ZYKFXLYQ",
    }
    class_zh = {"priority": "优先保护单元", "key": "重点管控单元", "general": "一般管控单元"}
    written: dict[str, list[str]] = {}
    columns: dict[str, list[str | None]] = {f: [] for f in fields.values()}
    for code in units["code"]:
        for dim, fname in fields.items():
            clauses = [
                r["text_zh"]
                for r in sorted(rules, key=lambda r: r["clause_no"])
                if r["unit_code"] == code and r["dimension"] == dim
            ]
            kept: list[str] = []
            for c in clauses:  # a dBASE text field holds 254 bytes: keep whole clauses that fit
                if len(numbered_text([*kept, c]).encode("gbk")) <= 254:
                    kept.append(c)
            columns[fname].append(numbered_text(kept) or None)
            if kept:
                written[f"{code}|{dim}"] = kept
    kit = gpd.GeoDataFrame(
        {
            "HJZHGKDYBM": units["code"],
            "HJZHGKDYMC": units["name_zh"],
            "ZHGKDYFL": [class_zh[c] for c in units["class"]],
            "XZQDM": units["division_code"],
            **columns,
        },
        geometry=units.geometry,
        crs="EPSG:4490",
    ).to_crs(4527)
    kit.to_file(folder / "环境管控单元.shp", encoding="GBK", engine="pyogrio")
    divs = gpd.GeoDataFrame(
        {"XZQDM": divisions["code"], "XZQMC": divisions["name_zh"], "JB": divisions["level"]},
        geometry=divisions.geometry,
        crs="EPSG:4490",
    ).to_crs(4527)
    divs.to_file(folder / "行政区.shp", encoding="GBK", engine="pyogrio")
    if not cpg:
        for p in folder.glob("*.cpg"):
            p.unlink()
    return written


@pytest.mark.parametrize("cpg", [True, False], ids=["with-cpg", "no-cpg-gbk-fallback"])
def test_independent_gbk_shapefile_kit(
    cpg: bool, tmp_path: Path, source: Engine, new_db: Callable[[], tuple[str, Engine]]
) -> None:
    written = _independent_kit(tmp_path, cpg=cpg)
    _, engine = new_db()
    result = import_bundle(engine, [tmp_path], label="kit", actor=ACTOR)
    report = result.report
    assert report.ok
    assert report.sources["units"]["crs"] == "EPSG:4527"
    assert report.sources["units"]["encoding"] == "gb18030"
    codes = {w.code for w in report.warnings}
    # nothing in force in a fresh database: the layers the kit lacks are empty, and said so
    assert {"empty_layer"} <= codes
    assert ("encoding_guessed" in codes) is (not cpg)
    _assert_same_units(_units(engine, "kit"), _units(source, LABEL))
    got: dict[str, list[str]] = {}
    read: dict[str, tuple[str, list[str]]] = {}
    for unit_code, dim, _n, text_zh, effect, industries in _rules(engine, "kit"):
        # Text clauses are read, not flattened: a 禁止 clause is never stored as a notice (require).
        if "禁止" in text_zh:
            assert effect in ("prohibit", "restrict"), text_zh
        got.setdefault(f"{unit_code}|{dim}", []).append(text_zh)
        read[f"{unit_code}|{text_zh}"] = (effect, industries)
    assert got == written
    # 安义工业园 KJBJYS: "禁止新建炼油、炼焦、钢铁、水泥熟料、平板玻璃、电解铝等高耗能、高排放项目。"
    # The bundled structured list codes it 2511, 2521, 3110, 3120, 3011, 3041, 3216 by hand; the
    # imported reading is a prohibition whose codes cover each of those classes.
    effect, industries = read[
        "ZH36012320002|禁止新建炼油、炼焦、钢铁、水泥熟料、平板玻璃、电解铝等高耗能、高排放项目。"
    ]
    assert effect == "prohibit"
    for hand_coded in ("2511", "2521", "3110", "3120", "3011", "3041", "3216"):
        assert any(hand_coded.startswith(code) for code in industries), hand_coded
    counts = report.counts
    assert counts["clauses_from_text"] == sum(len(v) for v in written.values())
    assert counts["clauses_parsed"] + counts["clauses_need_review"] == counts["clauses_from_text"]
    assert ("clauses_need_review" in codes) is (counts["clauses_need_review"] > 0)


def test_split_clauses() -> None:
    assert split_clauses("1.禁止新建化工项目。\n2、限制1.5万吨以上；（3）严格控制") == [
        "禁止新建化工项目。",
        "限制1.5万吨以上",
        "严格控制",
    ]
    assert split_clauses("执行总体准入要求") == ["执行总体准入要求"]
    assert split_clauses("第一条\n第二条") == ["第一条", "第二条"]
    assert split_clauses("无") == [] and split_clauses(None) == []


# ------------------------------------------------------------------------------ broken-file kit


def _geojson_folder(exports: dict[str, Path], tmp_path: Path) -> Path:
    folder = tmp_path / "bundle"
    with zipfile.ZipFile(exports["geojson"]) as zf:
        zf.extractall(folder)
    return folder


def _edit_units(folder: Path, edit: Callable[[list[dict[str, Any]]], None]) -> None:
    path = folder / "units.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc["features"])
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def _shp_folder(exports: dict[str, Path], tmp_path: Path) -> Path:
    folder = tmp_path / "shp"
    with zipfile.ZipFile(exports["shp"]) as zf:
        zf.extractall(folder)
    return folder


def _duplicate(features: list[dict[str, Any]]) -> None:
    features[1]["properties"]["HJZHGKDYBM"] = features[0]["properties"]["HJZHGKDYBM"]


def _overlap(features: list[dict[str, Any]]) -> None:
    geom = shapely.geometry.shape(features[5]["geometry"])
    features[5]["geometry"] = shapely.geometry.mapping(geom.buffer(0.01))  # ≈ 1 km all round


def _gap(features: list[dict[str, Any]]) -> None:
    del features[7]


def _invalid_ring(features: list[dict[str, Any]]) -> None:
    ring = features[3]["geometry"]["coordinates"][0][0]
    ring[10], ring[11] = ring[11], ring[10]  # two vertices swapped: a bow tie in the ring


KIT: dict[str, tuple[str, Callable[[Path], None], str]] = {}


def _make_kit(exports: dict[str, Path], tmp_path: Path, fault: str) -> Path:
    if fault in ("duplicate_code", "overlap", "gap", "invalid_ring"):
        folder = _geojson_folder(exports, tmp_path)
        edit = {"duplicate_code": _duplicate, "overlap": _overlap, "gap": _gap, "invalid_ring": _invalid_ring}
        _edit_units(folder, edit[fault])
        return folder
    if fault == "bad_encoding":
        folder = _shp_folder(exports, tmp_path)
        (folder / "units.cpg").write_text("UTF-8\n")  # the table is GBK: the declaration lies
        return folder
    if fault == "missing_prj":
        folder = _shp_folder(exports, tmp_path)
        (folder / "units.prj").unlink()
        return folder
    path = tmp_path / f"{fault}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        if fault == "zip_bomb":
            zf.writestr("units.geojson", b"\0" * (64 * 1024 * 1024))
        else:  # traversal
            zf.writestr("../units.geojson", b"{}")
    return path


BROKEN = {
    # fault: (error code, what the report names)
    "bad_encoding": ("bad_encoding", "units.dbf"),
    "missing_prj": ("missing_crs", "units.shp"),
    "duplicate_code": ("duplicate_code", "ZH"),
    "overlap": ("overlap", "overlap by"),
    "gap": ("gap", "covered by no unit"),
    "invalid_ring": ("invalid_geometry", "Self-intersection"),
    "zip_bomb": ("zip_bomb", "units.geojson"),
    "traversal": ("unsafe_path", "../units.geojson"),
}


@pytest.fixture(scope="module")
def kit_engine(cluster: localdb.LocalCluster) -> Iterator[Engine]:
    name = f"zoning_imp_kit_{os.getpid()}_{secrets.token_hex(3)}"
    localdb.create_database(cluster, name)
    migrate(cluster.url(name))
    engine = make_engine(cluster.url(name), statement_timeout_ms=120_000)
    yield engine
    engine.dispose()
    localdb.drop_database(cluster, name)


@pytest.mark.parametrize("fault", list(BROKEN))
def test_broken_kit_is_refused_naming_the_fault(
    fault: str, exports: dict[str, Path], tmp_path: Path, kit_engine: Engine
) -> None:
    kit = _make_kit(exports, tmp_path, fault)
    label = f"broken-{fault.replace('_', '-')}"
    with pytest.raises(InvalidInput) as info:
        import_bundle(kit_engine, [kit], label=label, actor=ACTOR)
    report = info.value.extra["report"]
    code, named = BROKEN[fault]
    assert info.value.field == "bundle"
    assert not report["ok"]
    hits = [e for e in report["errors"] if e["code"] == code]
    assert hits, report["errors"]
    assert named in json.dumps(hits, ensure_ascii=False), hits
    if code in ("overlap", "gap", "invalid_geometry"):
        lon, lat = hits[0]["location"]
        assert 115.0 < lon < 117.0 and 28.0 < lat < 29.5  # located in Nanchang
    if code == "duplicate_code":
        assert hits[0]["layer"] == "units" and hits[0]["feature"] == 1
    assert _count(kit_engine, "SELECT count(*) FROM dataset_version") == 0
    assert _count(kit_engine, "SELECT count(*) FROM control_unit") == 0
    with kit_engine.connect() as conn:
        event = conn.execute(
            text("SELECT action, outcome, after FROM audit_event WHERE target = :t"), {"t": label}
        ).one()
    assert event[:2] == ("dataset.import", "failed")
    assert event[2]["errors"][0]["code"] in {e["code"] for e in report["errors"]}


def test_invalid_ring_is_repaired_on_request_with_the_area_change(
    exports: dict[str, Path], tmp_path: Path, new_db: Callable[[], tuple[str, Engine]]
) -> None:
    kit = _make_kit(exports, tmp_path, "invalid_ring")
    _, engine = new_db()
    result = import_bundle(engine, [kit], label="repaired", repair=True, actor=ACTOR)
    (repair,) = result.report.repairs
    assert repair.layer == "units" and repair.feature == 3 and repair.area_m2 is not None
    assert "area changed by" in repair.message
    with engine.connect() as conn:
        provenance = conn.execute(text("SELECT provenance FROM dataset_version")).scalar_one()
    assert provenance["validation"]["repairs"][0]["feature"] == 3


def test_upload_limits(tmp_path: Path) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(5):
            zf.writestr(f"f{i}.txt", "x")
    with pytest.raises(InvalidInput) as info:
        read_bundle(path, limits=UploadLimits(max_entries=4))
    assert info.value.extra["report"]["errors"][0]["code"] == "too_many_entries"
    with pytest.raises(InvalidInput) as info:
        read_bundle(path, limits=UploadLimits(max_total_bytes=3))
    assert info.value.extra["report"]["errors"][0]["code"] == "too_large"
    abs_zip = tmp_path / "abs.zip"
    with zipfile.ZipFile(abs_zip, "w") as zf:
        zf.writestr("/etc/units.geojson", "{}")
    with pytest.raises(InvalidInput) as info:
        read_bundle(abs_zip)
    assert info.value.extra["report"]["errors"][0]["key"] == "/etc/units.geojson"


def test_given_crs_when_the_prj_is_missing(
    exports: dict[str, Path], tmp_path: Path, new_db: Callable[[], tuple[str, Engine]], source: Engine
) -> None:
    folder = _make_kit(exports, tmp_path, "missing_prj")
    _, engine = new_db()
    result = import_bundle(engine, [folder], label="given-crs", crs="EPSG:4527", actor=ACTOR)
    assert result.report.sources["units"]["crs"] == "EPSG:4527"
    _assert_same_units(_units(engine, "given-crs"), _units(source, LABEL))


def test_mapping_file_for_other_field_names(
    tmp_path: Path, new_db: Callable[[], tuple[str, Engine]], source: Engine
) -> None:
    _independent_kit(tmp_path)
    units = gpd.read_file(tmp_path / "环境管控单元.shp", encoding="GBK")
    units = units.rename(columns={"HJZHGKDYBM": "UNITID", "ZHGKDYFL": "CATEGORY"})
    units["CATEGORY"] = units["CATEGORY"].map({"优先保护单元": "P", "重点管控单元": "K", "一般管控单元": "G"})
    for p in tmp_path.glob("环境管控单元.*"):
        p.unlink()
    units.to_file(tmp_path / "zones_2025.shp", encoding="GBK", engine="pyogrio")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {
                "layers": {"zones_2025": "units"},
                "fields": {"units": {"code": "UNITID", "class": "CATEGORY"}},
                "values": {"units": {"class": {"P": "priority", "K": "key", "G": "general"}}},
            }
        )
    )
    _, engine = new_db()
    import_bundle(engine, [tmp_path], label="mapped", mapping=mapping, actor=ACTOR)
    _assert_same_units(_units(engine, "mapped"), _units(source, LABEL))


# ------------------------------------------------------------------------------------- publish


def test_publish_supersedes_and_refuses_back_dating(
    exports: dict[str, Path], new_db: Callable[[], tuple[str, Engine]]
) -> None:
    _, engine = new_db()
    import_bundle(engine, [exports["gpkg"]], label="first", actor=ACTOR)
    import_bundle(engine, [exports["geojson"]], label="second", actor=ACTOR)
    publish(engine, "first", date(2024, 7, 1), actor=ACTOR)
    with pytest.raises(InvalidInput) as info:
        publish(engine, "second", "2024-06-30", actor=ACTOR)
    assert info.value.field == "effective_from"
    with pytest.raises(InvalidInput):
        publish(engine, "first", "2025-01-01", actor=ACTOR)  # not a draft any more
    publish(engine, "second", "2025-01-01", actor=ACTOR)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT label, status::text, effective_from::text, effective_to::text "
                "FROM dataset_version ORDER BY id"
            )
        ).all()
        events = conn.execute(
            text(
                "SELECT action, target, outcome FROM audit_event WHERE action = 'dataset.publish' ORDER BY id"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("first", "superseded", "2024-07-01", "2025-01-01"),
        ("second", "published", "2025-01-01", None),
    ]
    assert [tuple(e) for e in events] == [
        ("dataset.publish", "first", "ok"),
        ("dataset.publish", "second", "failed"),
        ("dataset.publish", "first", "failed"),
        ("dataset.publish", "second", "ok"),
    ]


def test_bundle_without_divisions_takes_them_from_the_version_in_force(
    exports: dict[str, Path], tmp_path: Path, new_db: Callable[[], tuple[str, Engine]]
) -> None:
    _, engine = new_db()
    import_bundle(engine, [exports["gpkg"]], label="base", actor=ACTOR)
    publish(engine, "base", date(2024, 7, 1), actor=ACTOR)
    folder = _geojson_folder(exports, tmp_path)
    for name in (
        "divisions",
        "water_sources",
        "water_zones",
        "redlines",
        "reserve_zones",
        "monitoring_points",
    ):
        (folder / f"{name}.geojson").unlink()
    (folder / "access_rules.json").unlink()
    result = import_bundle(engine, [folder], label="units-only", actor=ACTOR)
    assert set(result.report.carried_over) == {
        "divisions",
        "water_sources",
        "water_zones",
        "redlines",
        "reserve_zones",
        "monitoring_points",
        "rules:city_wide",
    }
    with engine.connect() as conn:
        counts = dict(
            conn.execute(
                text(
                    "SELECT v.label, count(*) FROM admin_division d JOIN dataset_version v ON v.id = d.version_id "
                    "GROUP BY v.label"
                )
            ).all()
        )
    assert counts == {"base": 14, "units-only": 14}


# ------------------------------------------------------------------ nothing lost, nothing mixed


def test_kill_9_mid_import_leaves_nothing(
    exports: dict[str, Path], new_db: Callable[[], tuple[str, Engine]]
) -> None:
    url, engine = new_db()
    env = {**os.environ, "ZONING_DATABASE_URL": url, "ZONING_IMPORT_TEST_SLEEP_S": "120"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "import", str(exports["gpkg"]), "--label", "killed"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        for line in proc.stdout:
            if "import transaction open" in line:
                break
            assert time.monotonic() < deadline, "the import never reached its transaction"
        else:
            pytest.fail(f"import ended before its transaction: rc {proc.wait()}")
        # the rows are written, uncommitted: the transaction holds them
        with engine.connect() as conn:
            assert (
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND state = 'idle in transaction'"
                    )
                ).scalar_one()
                == 1
            )
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 20
    while (
        _count(
            engine,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%'",
        )
        and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    for table in ("dataset_version", "control_unit", "access_rule", "monitoring_point", "audit_event"):
        assert _count(engine, f"SELECT count(*) FROM {table}") == 0, table
    # and the label is free again
    import_bundle(engine, [exports["gpkg"]], label="killed", actor=ACTOR)


def test_two_imports_at_once(exports: dict[str, Path], new_db: Callable[[], tuple[str, Engine]]) -> None:
    _, engine = new_db()
    outcomes: dict[str, Any] = {}

    def run(key: str, label: str) -> None:
        try:
            outcomes[key] = import_bundle(engine, [exports["gpkg"]], label=label, actor=ACTOR).label
        except ZoningError as exc:
            outcomes[key] = exc

    threads = [threading.Thread(target=run, args=(k, lbl)) for k, lbl in (("a", "draft-a"), ("b", "draft-b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == {"a": "draft-a", "b": "draft-b"}
    # the same label twice: one draft, the other refused cleanly
    threads = [threading.Thread(target=run, args=(k, "same")) for k in ("c", "d")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results = sorted([outcomes["c"], outcomes["d"]], key=lambda x: isinstance(x, Exception))
    assert results[0] == "same"
    assert isinstance(results[1], InvalidInput | DataIntegrityError)
    assert _count(engine, "SELECT count(*) FROM dataset_version") == 3
    assert _count(engine, "SELECT count(*) FROM control_unit") == 3 * 105


def test_cli_import_publish_export(
    exports: dict[str, Path], tmp_path: Path, new_db: Callable[[], tuple[str, Engine]], source: Engine
) -> None:
    url, _engine = new_db()
    env = {**os.environ, "ZONING_DATABASE_URL": url}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    done = cli("import", str(exports["shp"]), "--label", "cli-draft")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "imported draft cli-draft" in done.stdout
    done = cli("publish", "cli-draft", "--effective", "2024-07-01")
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "out.zip"
    done = cli("export", "cli-draft", "--format", "shp", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert zf.read("units.cpg").strip() == b"GBK"
    assert {"units.shp", "units.dbf", "units.prj", "access_rules.json", "version.json"} <= names
    refused = cli("import", str(tmp_path / "nothing.zip"))
    assert refused.returncode == 2 and "does not exist" in refused.stdout
    shutil.rmtree(tmp_path / "shp", ignore_errors=True)
    kit = _make_kit({"shp": exports["shp"]}, tmp_path, "missing_prj")
    refused = cli("import", str(kit), "--label", "no-prj")
    assert refused.returncode == 2
    assert '"code": "missing_crs"' in refused.stdout


def test_gk_zone_inferred_from_the_easting_prefix(
    tmp_path: Path, new_db: Callable[[], tuple[str, Engine]], source: Engine
) -> None:
    """GeoJSON without a ``crs`` member, in Gauss–Krüger metres with zone prefix 39: EPSG:4527."""
    _independent_kit(tmp_path)
    for stem in ("环境管控单元", "行政区"):
        frame = gpd.read_file(tmp_path / f"{stem}.shp", encoding="GBK")
        doc = json.loads(frame.to_json(drop_id=True))
        doc.pop("crs", None)
        (tmp_path / f"{stem}.geojson").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        for p in tmp_path.glob(f"{stem}.*"):
            if p.suffix != ".geojson":
                p.unlink()
    _, engine = new_db()
    result = import_bundle(engine, [tmp_path], label="inferred", actor=ACTOR)
    assert result.report.sources["units"]["crs"] == "EPSG:4527"
    assert "crs_inferred" in {w.code for w in result.report.warnings}
    _assert_same_units(_units(engine, "inferred"), _units(source, LABEL))
