"""Dataset administration over HTTP: upload, publish under load, diff, export, and the doors locked.

The module has a database of its own holding the bundled versions (2024-update in force), because
it publishes new versions; the session's shared databases are never changed.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import socket
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import shapely
import uvicorn
from fastapi.testclient import TestClient
from shapely.geometry import shape
from sqlalchemy import Engine, text

from app.main import create_app
from app.settings import DatabaseSettings, SecuritySettings, ServiceSettings, Settings
from geodata import keys, localdb
from geodata.database import make_engine, migrate
from geodata.export import export_version
from geodata.loader import BUNDLED_DATA, load_bundled
from tests.conftest import service_url

LABEL = "2024-update"
SUFFIX = "·2025修订"


def _settings(url: str) -> Settings:
    return Settings(
        database=DatabaseSettings(database_url=service_url(url), owner_database_url=url),
        service=ServiceSettings(snapshot_check_interval_s=0.3),
        security=SecuritySettings(rate_limit_per_minute=0),
    )


@pytest.fixture(scope="module")
def admin_db(cluster: localdb.LocalCluster) -> Iterator[tuple[str, Engine]]:
    name = f"zoning_admin_{os.getpid()}_{secrets.token_hex(3)}"
    localdb.create_database(cluster, name)
    url = cluster.url(name)
    migrate(url)
    engine = make_engine(url, statement_timeout_ms=120_000)
    assert load_bundled(engine, log=lambda _m: None) == ["2021-plan", LABEL]
    yield url, engine
    engine.dispose()
    localdb.drop_database(cluster, name)


@pytest.fixture(scope="module")
def issued(admin_db: tuple[str, Engine]) -> dict[str, str]:
    with admin_db[1].begin() as conn:
        return {
            scope: keys.create_key(conn, f"admin-api-{scope}", [scope])[1]
            for scope in ("read", "screen", "admin")
        }


@pytest.fixture(scope="module")
def renamed_bundle(admin_db: tuple[str, Engine], tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The 2024-update as a GeoJSON bundle with every unit renamed: a version whose answers differ."""
    with admin_db[1].connect() as conn:
        data = export_version(conn, LABEL, "geojson")
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in src.namelist():
            body = src.read(name)
            if name == "units.geojson":
                doc = json.loads(body)
                for f in doc["features"]:
                    f["properties"]["HJZHGKDYMC"] += SUFFIX
                body = json.dumps(doc, ensure_ascii=False).encode()
            zf.writestr(name, body)
    return out.getvalue()


def _count(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def _audit(engine: Engine, action: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text("SELECT actor, outcome FROM audit_event WHERE action = :a ORDER BY id"), {"a": action}
            )
        ]


# ------------------------------------------------------------------------------ the doors locked


def test_every_admin_write_without_the_admin_scope_is_refused_and_audited(
    admin_db: tuple[str, Engine], issued: dict[str, str], renamed_bundle: bytes
) -> None:
    url, engine = admin_db
    versions = _count(engine, "SELECT count(*) FROM dataset_version")
    writes = [
        ("POST", "/v1/datasets", {"files": {"file": ("b.zip", renamed_bundle, "application/zip")}}),
        ("POST", f"/v1/datasets/{LABEL}/publish", {"json": {"effective_from": "2030-01-01"}}),
    ]
    with TestClient(create_app(_settings(url))) as client:
        for method, path, kwargs in writes:
            action = f"{method} {path}"
            before = len(_audit(engine, action))
            for who, status in ((None, 401), ("read", 403), ("screen", 403)):
                headers = {"X-API-Key": issued[who]} if who else {}
                r = client.request(method, path, headers=headers, **kwargs)
                assert r.status_code == status, (path, who, r.text)
                assert r.headers["content-type"].startswith("application/problem+json")
                assert r.json()["code"] == ("unauthorized" if status == 401 else "forbidden")
            rows = _audit(engine, action)[before:]
            assert [o for _a, o in rows] == ["rejected"] * 3
            assert rows[0][0].startswith("anonymous@")
            assert rows[1][0] == issued["read"].split("_")[1]
    assert _count(engine, "SELECT count(*) FROM dataset_version") == versions


# ---------------------------------------------------------------------- upload, refusal, export


def test_upload_refusals_answer_422_with_the_report(
    admin_db: tuple[str, Engine], issued: dict[str, str]
) -> None:
    url, engine = admin_db
    admin = {"X-API-Key": issued["admin"]}
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("units.geojson", b"\0" * (64 * 1024 * 1024))
    traversal = io.BytesIO()
    with zipfile.ZipFile(traversal, "w") as zf:
        zf.writestr("../../etc/units.geojson", b"{}")
    with TestClient(create_app(_settings(url))) as client:
        for body, code, entry in (
            (bomb, "zip_bomb", "units.geojson"),
            (traversal, "unsafe_path", "../../etc/units.geojson"),
        ):
            r = client.post(
                "/v1/datasets",
                headers=admin,
                data={"label": f"bad-{code}"},
                files={"file": ("kit.zip", body.getvalue(), "application/zip")},
            )
            assert r.status_code == 422, r.text
            problem = r.json()
            assert problem["code"] == "invalid_input" and problem["field"] == "bundle"
            assert problem["report"]["errors"][0]["code"] == code
            assert problem["report"]["errors"][0]["key"] == entry
            assert _audit(engine, "dataset.import")[-1][1] == "failed"
        r = client.post("/v1/datasets", headers=admin, files={"file": ("kit.txt", b"x", "text/plain")})
        assert r.status_code == 422 and r.json()["field"] == "file"
    assert _count(engine, "SELECT count(*) FROM dataset_version WHERE label LIKE 'bad-%'") == 0


def test_export_over_http(admin_db: tuple[str, Engine]) -> None:
    url, _engine = admin_db
    with TestClient(create_app(_settings(url))) as client:
        r = client.get(f"/v1/datasets/{LABEL}/export", params={"format": "shp", "crs": "EPSG:4527"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
            assert zf.read("units.cpg").strip() == b"GBK"
            assert b"Gauss" in zf.read("units.prj") or b"CGCS2000" in zf.read("units.prj")
            dbf = zf.read("units.dbf")
        assert b"HJZHGKDYBM" in dbf and "优先保护单元".encode("gbk") in dbf
        for fmt, member in (("gpkg", "dataset.gpkg"), ("geojson", "units.geojson")):
            r = client.get(f"/v1/datasets/{LABEL}/export", params={"format": fmt})
            assert r.status_code == 200
            assert member in zipfile.ZipFile(io.BytesIO(r.content)).namelist()
        r = client.get(f"/v1/datasets/{LABEL}/export", params={"format": "kml"})
        assert r.status_code == 422
        assert client.get("/v1/datasets/nope/export").status_code == 404


# ------------------------------------------------------------------- publish under locate load


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def served(admin_db: tuple[str, Engine]) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(_settings(admin_db[0])), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _sample_points(n: int = 12) -> list[tuple[float, float, str]]:
    doc = json.loads((BUNDLED_DATA / LABEL / "units.geojson").read_text(encoding="utf-8"))
    step = max(1, len(doc["features"]) // n)
    out = []
    for f in doc["features"][::step][:n]:
        p = shapely.set_precision(shape(f["geometry"]).representative_point(), 1e-6)
        out.append((p.x, p.y, f["properties"]["code"]))
    return out


def test_import_then_publish_under_locate_load(
    served: str, admin_db: tuple[str, Engine], issued: dict[str, str], renamed_bundle: bytes
) -> None:
    _url, engine = admin_db
    admin = {"X-API-Key": issued["admin"]}
    points = _sample_points()
    names = {code: name for code, name in _count_names(engine)}
    old_checksum = _checksum(engine, LABEL)
    stop = threading.Event()
    answers: list[tuple[str, str, str, str, str]] = []
    failures: list[str] = []
    phase = {"now": "before"}

    def hammer() -> None:
        with httpx.Client(base_url=served, timeout=10) as client:
            i = 0
            while not stop.is_set():
                lon, lat, _code = points[i % len(points)]
                i += 1
                r = client.get("/v1/locate", params={"lon": lon, "lat": lat})
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text[:200]}")
                    continue
                body = r.json()
                unit = body["control_unit"]
                answers.append(
                    (
                        phase["now"],
                        body["dataset"]["label"],
                        body["dataset"]["checksum"],
                        unit["code"],
                        unit["name_zh"],
                    )
                )

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for t in threads:
        t.start()
    try:
        with httpx.Client(base_url=served, timeout=120, headers=admin) as client:
            time.sleep(0.5)
            phase["now"] = "importing"
            r = client.post(
                "/v1/datasets",
                data={"label": "2025-renamed"},
                files={"file": ("2025.zip", renamed_bundle, "application/zip")},
            )
            assert r.status_code == 201, r.text
            imported = r.json()
            assert imported["status"] == "draft" and imported["report"]["ok"]
            new_checksum = imported["checksum"]
            time.sleep(1.0)  # a few snapshot checks with the draft in the store
            phase["now"] = "draft"
            time.sleep(1.0)
            phase["now"] = "publishing"
            r = client.post(
                "/v1/datasets/2025-renamed/publish", json={"effective_from": date.today().isoformat()}
            )
            assert r.status_code == 200, r.text
            assert r.json()["superseded"] == {"in_force": LABEL, "effective_from": "2024-07-01"}
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                recent = answers[-20:]
                if recent and all(a[1] == "2025-renamed" for a in recent):
                    break
                time.sleep(0.1)
            phase["now"] = "after"
            time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=15)
    assert not failures, failures[:5]
    by_phase = Counter(a[0] for a in answers)
    assert by_phase["before"] and by_phase["draft"] and by_phase["after"], by_phase
    whole = {LABEL: (old_checksum, ""), "2025-renamed": (new_checksum, SUFFIX)}
    for ph, label, checksum, code, name in answers:
        assert label in whole, label
        want_checksum, suffix = whole[label]
        assert checksum == want_checksum
        assert name == names[code] + suffix, (label, code, name)  # the unit is that version's
        if ph in ("before", "importing", "draft"):
            assert label == LABEL  # a draft changes no answer
        if ph == "after":
            assert label == "2025-renamed"
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT label, status::text, effective_to FROM dataset_version "
                "WHERE label IN (:a, :b) ORDER BY id"
            ),
            {"a": LABEL, "b": "2025-renamed"},
        ).all()
    assert [(r[0], r[1]) for r in rows] == [(LABEL, "superseded"), ("2025-renamed", "published")]
    assert rows[0][2] == date.today()
    assert [o for _a, o in _audit(engine, "dataset.publish")][-1] == "ok"

    # ---- diff of the two, as JSON and for a map
    with TestClient(create_app(_settings(admin_db[0]))) as client:
        d = client.get(f"/v1/datasets/{LABEL}/diff/2025-renamed").json()
        assert d["from"] == {"label": LABEL, "checksum": old_checksum}
        units = d["units"]
        assert units["added"] == units["removed"] == units["reclassified"] == []
        assert units["reshaped"] == []  # a GeoJSON round trip is below the reshape threshold
        assert len(units["renamed"]) == 105
        assert d["clauses"] == {"added": [], "removed": [], "changed": []}
        g = client.get(f"/v1/datasets/{LABEL}/diff/2025-renamed", params={"f": "geojson"})
        assert g.headers["content-type"] == "application/geo+json"
        assert len(g.json()["features"]) == 105
        assert {tuple(f["properties"]["changes"]) for f in g.json()["features"]} == {("renamed",)}
        # back-dating is refused
        r = client.post(
            "/v1/datasets/2021-plan/publish", headers=admin, json={"effective_from": "2020-01-01"}
        )
        assert r.status_code == 422 and r.json()["field"] in ("label", "effective_from")


def _count_names(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT u.code, u.name_zh FROM control_unit u JOIN dataset_version v ON v.id = u.version_id "
                    "WHERE v.label = :l"
                ),
                {"l": LABEL},
            )
        ]


def _checksum(engine: Engine, label: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                text("SELECT checksum FROM dataset_version WHERE label = :l"), {"l": label}
            ).scalar_one()
        )


def test_diff_between_the_bundled_versions(admin_db: tuple[str, Engine]) -> None:
    with TestClient(create_app(_settings(admin_db[0]))) as client:
        r = client.get(f"/v1/datasets/2021-plan/diff/{LABEL}")
        assert r.status_code == 200
        d = r.json()
    # Expected from the bundled files themselves (not from PostGIS): codes only in one version,
    # shapes that moved; the unit whose class digit changed keeps its shape.
    import json

    from shapely.geometry import shape

    from geodata.loader import BUNDLED_DATA

    def units(label: str) -> dict[str, Any]:
        path = BUNDLED_DATA / label / "units.geojson"
        return {f["properties"]["code"]: f for f in json.loads(path.read_text(encoding="utf-8"))["features"]}

    old, new = units("2021-plan"), units(LABEL)
    gone, came = set(old) - set(new), set(new) - set(old)
    same_shape = {
        (a, b)
        for a in gone
        for b in came
        if shape(old[a]["geometry"]).symmetric_difference(shape(new[b]["geometry"])).area
        < 0.01 * shape(old[a]["geometry"]).area
    }
    assert [(r["from_code"], r["code"], r["from"], r["to"]) for r in d["units"]["reclassified"]] == [
        (a, b, old[a]["properties"]["class"], new[b]["properties"]["class"]) for a, b in sorted(same_shape)
    ]
    assert len(same_shape) == 1
    assert [u["code"] for u in d["units"]["added"]] == sorted(came - {b for _, b in same_shape})
    assert [u["code"] for u in d["units"]["removed"]] == sorted(gone - {a for a, _ in same_shape})
    assert [u["code"] for u in d["units"]["reshaped"]] == sorted(
        c for c in set(old) & set(new) if old[c]["geometry"] != new[c]["geometry"]
    )
    for item in d["units"]["reshaped"]:
        assert item["area_change_m2"] == pytest.approx(item["area_to_m2"] - item["area_from_m2"], abs=0.2)
        assert item["area_change_pct"] == pytest.approx(
            100 * item["area_change_m2"] / item["area_from_m2"], abs=1e-3
        )


def test_drafts_are_not_public(admin_db: tuple[str, Engine], issued: dict[str, str], tmp_path: Path) -> None:
    url, engine = admin_db
    with engine.connect() as conn:
        data = export_version(conn, "2021-plan", "gpkg")
    with TestClient(create_app(_settings(url))) as client:
        r = client.post(
            "/v1/datasets",
            headers={"X-API-Key": issued["admin"]},
            data={"label": "draft-only"},
            files={"file": ("d.zip", data, "application/zip")},
        )
        assert r.status_code == 201, r.text
        assert client.get("/v1/datasets/draft-only/export").status_code == 401
        assert (
            client.get(
                f"/v1/datasets/{LABEL}/diff/draft-only", headers={"X-API-Key": issued["read"]}
            ).status_code
            == 403
        )
        r = client.get("/v1/datasets/draft-only/export", headers={"X-API-Key": issued["admin"]})
        assert r.status_code == 200
        # Issue 12 item 7: the listing shows drafts, and who imported what from which files, to
        # admin keys only.
        public = client.get("/v1/datasets", headers={"X-API-Key": issued["read"]}).json()
        assert "draft-only" not in [v["label"] for v in public]
        assert all(
            "import" not in v["provenance"] and "bundled_folder" not in v["provenance"] for v in public
        )
        assert "draft-only" not in [v["label"] for v in client.get("/v1/datasets").json()]
        listed = client.get("/v1/datasets", headers={"X-API-Key": issued["admin"]}).json()
        draft = next(v for v in listed if v["label"] == "draft-only")
        assert draft["status"] == "draft" and draft["provenance"]["import"]["by"].startswith("key:")
