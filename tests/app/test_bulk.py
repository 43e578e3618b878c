"""Bulk screening on a real Dask cluster against the bundled Nanchang dataset.

Each bulk row is checked against the service's own per-site answers for the same site —
``POST /v1/locate`` (batch location) and ``POST /v1/screenings`` (the verdict) — which are
independent code paths (per-point STRtree queries, per-footprint screening). Bad rows are
hand-made with the error each must carry. A job is killed half-way (SIGKILL of the CLI and its
worker processes) and resumed; its output must equal an uninterrupted run. One test runs on a
separately started ``dask scheduler`` + ``dask worker`` pair on loopback.
"""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.bulk.runner import BulkOptions, prepare_job, run_job
from app.main import create_app
from geodata.database import make_engine
from tests.conftest import ROOT, settings_for

INDUSTRIES = ["2614", "3011", "C", ""]
ASSESSMENTS = ("non_compliant", "needs_review", "compliant", "not_applicable")


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Client]:
    """A LocalCluster of 2 single-threaded worker processes, as the embedded default runs: each
    worker gets its own unpickled snapshot (in-process thread workers would share the test's
    geometries, and GEOS objects freed from several threads at teardown aborted the process)."""
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def engine(nanchang_url: str) -> Iterator[Engine]:
    engine = make_engine(nanchang_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def api(
    nanchang_url: str, dask_client: Client, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    settings = settings_for(nanchang_url)
    settings.bulk.jobs_dir = tmp_path_factory.mktemp("jobs")
    settings.bulk.scheduler = dask_client.scheduler.address
    settings.bulk.max_upload_bytes = 2_000_000
    settings.bulk.partition_rows = 1000
    with TestClient(create_app(settings)) as c:
        yield c


def _sites(n: int, seed: int) -> list[dict[str, Any]]:
    """Random sites over the city's bounding box (some fall outside, on purpose)."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(115.45, 116.55, n).round(6)
    lat = rng.uniform(28.15, 29.15, n).round(6)
    return [
        {
            "编号": f"S{i:05d}",
            "lon": float(lon[i]),
            "lat": float(lat[i]),
            "行业代码": INDUSTRIES[i % len(INDUSTRIES)],
        }
        for i in range(n)
    ]


def _write_csv(path: Path, rows: list[dict[str, Any]], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _run(engine: Engine, client: Client, source: Path, out: Path, **options: Any) -> list[dict[str, Any]]:
    job_id = prepare_job(engine, source, out, BulkOptions(**options), caller="tests")
    job = run_job(engine, job_id, client)
    assert job.status == "done", job.error
    return pq.read_table(out).to_pylist() if options.get("format", "parquet") == "parquet" else []


def test_2000_rows_agree_with_locate_and_screenings(
    engine: Engine, dask_client: Client, api: TestClient, tmp_path: Path
) -> None:
    sites = _sites(2000, seed=13)
    source = _write_csv(tmp_path / "sites.csv", sites)
    rows = _run(engine, dask_client, source, tmp_path / "out.parquet", partition_rows=500)
    assert [r["id"] for r in rows] == [s["编号"] for s in sites]

    located = api.post(
        "/v1/locate", json={"points": [{"id": s["编号"], "lon": s["lon"], "lat": s["lat"]} for s in sites]}
    ).json()["results"]
    inside = 0
    for row, loc in zip(rows, located, strict=True):
        assert row["id"] == loc["id"]
        if "error" in loc:
            assert row["error"] == loc["error"]["code"] == "outside_city"
            continue
        inside += 1
        assert row["unit_code"] == loc["unit"]["code"]
        assert row["unit_class"] == loc["unit"]["class"]
        assert row["division_code"] == loc["division_code"]
        zones = ";".join(f"{z['source_code']}:{z['grade']}" for z in loc["water_protection_zones"])
        assert row["water_protection_zones"] == zones
        assert row["ecological_redline"] == ";".join(loc["ecological_redline"])
        assert row["nature_reserve_zones"] == ";".join(
            f"{z['reserve_code']}:{z['zone']}" for z in loc["nature_reserve_zones"]
        )
        if inside % 10 == 0:  # the batch answer has no parks: GET /v1/locate for a sample
            one = api.get("/v1/locate", params={"lon": row["lon"], "lat": row["lat"]}).json()
            assert row["industrial_parks"] == ";".join(p["code"] for p in one["industrial_parks"])
    assert 1000 < inside < 2000  # the box is larger than the city: both kinds are exercised

    screened = 0
    for row, site in zip(rows, sites, strict=True):
        if row["error"] is not None or not site["行业代码"]:
            assert row["verdict"] is None
            continue
        r = api.post(
            "/v1/screenings",
            json={
                "footprint": {"type": "Point", "coordinates": [site["lon"], site["lat"]]},
                "industry": site["行业代码"],
            },
        )
        assert r.status_code == 201, r.text
        result = r.json()["result"]
        severities = [f["severity"] for f in result["findings"]]
        assert row["verdict"] == result["verdict"], row["id"]
        assert row["verdict_label_zh"] == result["verdict_label_zh"]
        assert (row["findings_prohibited"], row["findings_conditional"], row["findings_notice"]) == (
            severities.count("prohibited"),
            severities.count("conditional"),
            severities.count("notice"),
        )
        assert len(row["finding_codes"].split(";")) == len(result["findings"])
        assessed = [c["assessment"] for c in result["compliance"]]
        assert tuple(row[f"compliance_{a}"] for a in ASSESSMENTS) == tuple(
            assessed.count(a) for a in ASSESSMENTS
        )
        screened += 1
    assert screened > 700


def test_bad_rows_come_back_with_their_error(engine: Engine, dask_client: Client, tmp_path: Path) -> None:
    rows = [
        {"编号": "ok", "经度": "115.95", "纬度": "28.62", "行业代码": "2614"},
        {"编号": "no-lon", "经度": "", "纬度": "28.62", "行业代码": "2614"},
        {"编号": "text", "经度": "东经", "纬度": "28.62", "行业代码": "2614"},
        {"编号": "lat-95", "经度": "115.95", "纬度": "95", "行业代码": "2614"},
        {"编号": "beijing", "经度": "116.40", "纬度": "39.90", "行业代码": "2614"},
        {"编号": "bad-industry", "经度": "115.95", "纬度": "28.62", "行业代码": "9999"},
        {"编号": "南昌", "经度": "115.95", "纬度": "28.62", "行业代码": ""},
    ]
    source = _write_csv(tmp_path / "bad.csv", rows, encoding="gb18030")  # a GB18030 file, Chinese header
    out = {r["id"]: r for r in _run(engine, dask_client, source, tmp_path / "bad.parquet")}
    assert {k: v["error"] for k, v in out.items()} == {
        "ok": None,
        "no-lon": "missing_coordinate",
        "text": "invalid_coordinate",
        "lat-95": "invalid_coordinate",
        "beijing": "outside_city",
        "bad-industry": "unknown_industry",
        "南昌": None,
    }
    assert out["ok"]["verdict"] is not None and out["南昌"]["verdict"] is None
    summary = (tmp_path / "bad.parquet.summary.json").read_text(encoding="utf-8")
    assert '"rows_error": 5' in summary


def test_project_attributes_per_row_reach_the_verdict(
    engine: Engine, dask_client: Client, api: TestClient, tmp_path: Path
) -> None:
    """Per-row project attributes (a default-named column and one named by its option) give each row
    the verdict ``POST /v1/screenings`` gives the same site with the same ``project``; a cell that is
    not an accepted value is the row's ``invalid_attribute`` error."""
    site = {"经度": "115.95", "纬度": "28.62", "行业代码": "2614"}
    rows = [
        {"编号": "new", **site, "建设性质": "新建", "outfall?": "否"},
        {"编号": "rebuild-outfall", **site, "建设性质": "rebuild", "outfall?": "yes"},
        {"编号": "undeclared", **site, "建设性质": "", "outfall?": ""},
        {"编号": "bad-nature", **site, "建设性质": "拆除", "outfall?": "no"},
        {"编号": "bad-outfall", **site, "建设性质": "new", "outfall?": "sometimes"},
    ]
    source = _write_csv(tmp_path / "attrs.csv", rows)
    out = {
        r["id"]: r
        for r in _run(engine, dask_client, source, tmp_path / "attrs.parquet", has_outfall_col="outfall?")
    }
    assert out["bad-nature"]["error"] == out["bad-outfall"]["error"] == "invalid_attribute"
    assert out["bad-nature"]["verdict"] is None
    for key, project in (
        ("new", {"project_nature": "new", "has_outfall": False}),
        ("rebuild-outfall", {"project_nature": "rebuild", "has_outfall": True}),
        ("undeclared", {}),
    ):
        r = api.post(
            "/v1/screenings",
            json={
                "footprint": {"type": "Point", "coordinates": [115.95, 28.62]},
                "industry": "2614",
                **project,
            },
        )
        assert r.status_code == 201, r.text
        result = r.json()["result"]
        assert out[key]["error"] is None
        assert out[key]["verdict"] == result["verdict"], key
        assert out[key]["finding_codes"].count(";") + 1 == len(result["findings"]), key
        assessed = [c["assessment"] for c in result["compliance"]]
        assert tuple(out[key][f"compliance_{a}"] for a in ASSESSMENTS) == tuple(
            assessed.count(a) for a in ASSESSMENTS
        )


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", "bulk", *args]


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "ZONING_DATABASE_URL": url}


def test_a_killed_job_resumes_and_equals_an_uninterrupted_run(
    engine: Engine, nanchang_url: str, dask_client: Client, tmp_path: Path
) -> None:
    source = _write_csv(tmp_path / "kill.csv", _sites(30_000, seed=7))
    out = tmp_path / "killed.parquet"
    args = _cli(str(source), "--out", str(out), "--workers", "2", "--partition-rows", "1000", "--quiet")
    # The embedded cluster here is process-based (the default): the kill takes the workers too.
    proc = subprocess.Popen(args, env=_env(nanchang_url), cwd=ROOT, start_new_session=True)
    done = 0
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        with engine.connect() as conn:
            done = conn.execute(
                text(
                    "SELECT coalesce(max(cardinality(partitions_done)), 0) FROM bulk_job WHERE output_path = :p"
                ),
                {"p": str(out)},
            ).scalar_one()
        if done >= 3:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the job ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists()
    parts_before = len(list((tmp_path / "killed.parquet.parts" / "parts").glob("part-*.parquet")))
    assert 3 <= parts_before < 30

    resumed = subprocess.run(
        args, env=_env(nanchang_url), cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    with engine.connect() as conn:
        jobs = conn.execute(
            text(
                "SELECT status, rows_done, partitions_total, cardinality(partitions_done) FROM bulk_job WHERE output_path = :p"
            ),
            {"p": str(out)},
        ).all()
    assert jobs == [("done", 30_000, 30, 30)]  # one job, resumed; every row counted once

    reference = _run(engine, dask_client, source, tmp_path / "whole.parquet", partition_rows=1000)
    killed = pq.read_table(out).to_pylist()
    assert len({r["id"] for r in killed}) == 30_000
    assert killed == reference


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_on_a_separately_started_scheduler_and_worker(
    engine: Engine, dask_client: Client, tmp_path: Path
) -> None:
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    scheduler = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-dashboard",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_worker",
            address,
            "--nthreads",
            "1",
            "--nworkers",
            "1",
            "--no-dashboard",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = Client(address, timeout="60s")
        client.wait_for_workers(1, timeout=120)
        source = _write_csv(tmp_path / "remote.csv", _sites(3000, seed=21))
        remote = _run(engine, client, source, tmp_path / "remote.parquet", partition_rows=1000)
        workers = list(client.scheduler_info()["workers"])
        client.close()
        assert len(workers) == 1 and workers[0].startswith("tcp://127.0.0.1:")
        local = _run(engine, dask_client, source, tmp_path / "local.parquet", partition_rows=1000)
        assert remote == local
    finally:
        worker.terminate()
        scheduler.terminate()
        worker.wait(timeout=30)
        scheduler.wait(timeout=30)


def test_api_job_from_upload_to_result(api: TestClient) -> None:
    body = "id,lon,lat,industry\nA,115.95,28.62,2614\nB,abc,28.62,2614\nC,115.89,28.68,\n"
    r = api.post(
        "/v1/bulk-screenings", files={"file": ("sites.csv", body, "text/csv")}, data={"crs": "EPSG:4326"}
    )
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == job["links"]["self"] == f"/v1/bulk-screenings/{job['id']}"
    deadline = time.monotonic() + 120
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = api.get(job["links"]["self"]).json()
    assert job["status"] == "done", job
    assert job["progress"]["rows_done"] == 3 and job["progress"]["rows_error"] == 1
    assert job["summary"]["by_error"] == {"invalid_coordinate": 1}
    csv_text = api.get(job["links"]["result_csv"]).content.decode("utf-8-sig")
    lines = list(csv.DictReader(csv_text.splitlines()))
    assert [row["id"] for row in lines] == ["A", "B", "C"]
    assert lines[1]["error"] == "invalid_coordinate"
    located = api.get("/v1/locate", params={"lon": 115.95, "lat": 28.62}).json()
    assert lines[0]["unit_code"] == located["control_unit"]["code"]
    parquet = pa.BufferReader(api.get(job["links"]["result_parquet"]).content)
    assert pq.read_table(parquet).num_rows == 3
    assert api.delete(job["links"]["self"]).json()["status"] == "done"  # a finished job stays done


def test_api_refuses_bad_requests_with_problems(api: TestClient) -> None:
    big = "id,lon,lat\n" + "x,115.9,28.6\n" * 200_000  # ≈ 2.6 MB > the 2 MB limit set for the tests
    r = api.post("/v1/bulk-screenings", files={"file": ("big.csv", big, "text/csv")})
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json")
    r = api.post("/v1/bulk-screenings", files={"file": ("sites.doc", "x", "text/plain")})
    assert r.status_code == 422 and r.json()["field"] == "file"
    r = api.post(
        "/v1/bulk-screenings", files={"file": ("s.csv", "id,lon,lat\n", "text/csv")}, data={"colour": "red"}
    )
    assert r.status_code == 422 and r.json()["field"] == "colour"
    r = api.post("/v1/bulk-screenings", data={"path": "/etc/passwd"})
    assert r.status_code == 403
    assert api.get("/v1/bulk-screenings/BLK-20260101-AAAAAAAA").status_code == 404


def test_geopackage_shapefile_and_xlsx_inputs_in_other_crs(
    engine: Engine, dask_client: Client, api: TestClient, tmp_path: Path
) -> None:
    """The same three sites from a GeoPackage in EPSG:4548 metres, a zipped shapefile of footprints
    and an .xlsx in GCJ-02 (converted with zoning.coords' forward transform) give the same units."""
    import zipfile

    import geopandas as gpd
    from openpyxl import Workbook
    from pyproj import Transformer
    from shapely.geometry import Point, mapping

    from zoning import coords

    lon, lat = np.array([115.95, 115.89, 116.0]), np.array([28.62, 28.68, 28.70])
    reference = {
        r["id"]: r["unit_code"]
        for r in _run(
            engine,
            dask_client,
            _write_csv(
                tmp_path / "ref.csv",
                [{"id": f"P{i}", "lon": float(lon[i]), "lat": float(lat[i])} for i in range(3)],
            ),
            tmp_path / "ref.parquet",
        )
    }
    assert all(reference.values())

    x, y = Transformer.from_crs(4490, 4548, always_xy=True).transform(lon, lat)
    gpd.GeoDataFrame({"id": ["P0", "P1", "P2"]}, geometry=gpd.points_from_xy(x, y), crs="EPSG:4548").to_file(
        tmp_path / "sites.gpkg", driver="GPKG"
    )
    _run(engine, dask_client, tmp_path / "sites.gpkg", tmp_path / "gpkg.csv", format="csv")
    rows = list(csv.DictReader((tmp_path / "gpkg.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert {r["id"]: r["unit_code"] for r in rows} == reference

    # footprints: 50 m squares around the points, as a zipped shapefile in EPSG:4490
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    squares = [Point(a, b).buffer(0.0002, cap_style="square") for a, b in zip(lon, lat, strict=True)]
    gpd.GeoDataFrame(
        {"id": ["P0", "P1", "P2"], "industry": ["2614"] * 3}, geometry=squares, crs="EPSG:4490"
    ).to_file(shp_dir / "sites.shp")
    with zipfile.ZipFile(tmp_path / "sites.zip", "w") as z:
        for f in shp_dir.iterdir():
            z.write(f, f.name)
    fp = {r["id"]: r for r in _run(engine, dask_client, tmp_path / "sites.zip", tmp_path / "shp.parquet")}
    assert {k: v["unit_code"] for k, v in fp.items()} == reference
    # Each footprint's verdict is the one POST /v1/screenings gives the same square (issue 13:
    # bulk rows get the same verdicts as the API), not merely some verdict.
    for key, square in zip(("P0", "P1", "P2"), squares, strict=True):
        r = api.post("/v1/screenings", json={"footprint": mapping(square), "industry": "2614"})
        assert r.status_code == 201, r.text
        assert fp[key]["verdict"] == r.json()["result"]["verdict"], key

    g_lon, g_lat = coords.wgs84_to_gcj02(lon, lat)
    book = Workbook()
    sheet = book.active
    sheet.append(["编号", "经度", "纬度"])
    for i in range(3):
        sheet.append([f"P{i}", float(g_lon[i]), float(g_lat[i])])
    book.save(tmp_path / "sites.xlsx")
    xlsx = _run(engine, dask_client, tmp_path / "sites.xlsx", tmp_path / "xlsx.parquet", crs="GCJ-02")
    assert {r["id"]: r["unit_code"] for r in xlsx} == reference


def test_api_delete_cancels_a_running_job(api: TestClient) -> None:
    sites = _sites(60_000, seed=5)
    body = "id,lon,lat\n" + "".join(f"{s['编号']},{s['lon']},{s['lat']}\n" for s in sites)
    r = api.post(
        "/v1/bulk-screenings", files={"file": ("many.csv", body, "text/csv")}, data={"industry": "2614"}
    )
    assert r.status_code == 202, r.text
    url = r.json()["links"]["self"]
    cancelled = api.delete(url).json()
    assert cancelled["status"] == "cancelled"
    time.sleep(3)  # partitions in flight finish; no new ones start
    job = api.get(url).json()
    assert job["status"] == "cancelled"
    assert job["progress"]["partitions_done"] < 60
    r = api.get(f"{url}/result")
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
