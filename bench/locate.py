"""Benchmark of point location (issue 4 budgets). Run: `make bench` or `python bench/locate.py`.

Prints, on loopback with one uvicorn worker, each as a ratio against a trivial endpoint of the
same app in the same run:
- GET /v1/locate at 32 connections vs GET /healthz (budget: ≥ 60 %), p99 at 1 connection (≤ 3 ms),
  and vs /bench/locate-postgis, the same answer from SQL per request (≥ 1.5×);
- POST /v1/locate with 100,000 points, JSON in and out, end to end (≤ 1 s), vs the same points
  classified by one set-based PostGIS query (≥ 2×).
"""

from __future__ import annotations

import http.client
import statistics
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import orjson
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ensure_dataset, served, wrk

SECONDS = 8
POINT = "lon=115.892&lat=28.676"  # 东湖区, in the urban core


def batch_points(n: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20210101)
    return rng.uniform(115.45, 116.55, n), rng.uniform(28.20, 29.10, n)


def set_based_postgis(url: str, lon: np.ndarray, lat: np.ndarray) -> float:
    engine = create_engine(url)
    sql = text(
        "WITH p AS (SELECT i, ST_SetSRID(ST_MakePoint(x, y), 4490) g "
        "FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) WITH ORDINALITY AS t(x, y, i)), "
        "v AS (SELECT id FROM dataset_version WHERE status <> 'draft' AND effective_from <= current_date "
        "AND (effective_to IS NULL OR effective_to > current_date)) "
        "SELECT p.i, min(u.code) FROM p LEFT JOIN control_unit u ON u.version_id = (SELECT id FROM v) "
        "AND ST_Covers(u.geom, p.g) GROUP BY p.i"
    )
    with engine.connect() as conn:
        start = time.perf_counter()
        rows = conn.execute(sql, {"xs": lon.tolist(), "ys": lat.tolist()}).all()
        elapsed = time.perf_counter() - start
    engine.dispose()
    assert len(rows) == lon.size
    return elapsed


def main() -> None:
    url = ensure_dataset()
    with served("bench.apps:create_bench_app", url) as base:
        for path in ("/healthz", f"/v1/locate?{POINT}"):
            httpx.get(base + path, timeout=10).raise_for_status()
            wrk(base + path, connections=4, seconds=2)  # warm-up
        httpx.get(base + f"/bench/locate-postgis?{POINT}", timeout=10).raise_for_status()
        trivial = wrk(base + "/healthz", connections=32, seconds=SECONDS)
        locate32 = wrk(base + f"/v1/locate?{POINT}", connections=32, seconds=SECONDS)
        locate1 = wrk(base + f"/v1/locate?{POINT}", connections=1, seconds=SECONDS)
        # Last: at 32 connections the SQL endpoint leaves a backlog of queued requests behind it
        # for seconds after wrk stops, which would land in whatever is measured next.
        postgis32 = wrk(base + f"/bench/locate-postgis?{POINT}", connections=32, seconds=SECONDS)
        lon, lat = batch_points()
        body = orjson.dumps({"points": np.column_stack([lon, lat]).tolist()})
        # The standard library's HTTP client reads the ~40 MB answer at socket speed (httpx spends
        # longer than the service does); parsing is timed separately, as the client's own cost.
        timings, parse = [], []
        host, port = base.removeprefix("http://").split(":")
        for _ in range(5):
            start = time.perf_counter()
            conn = http.client.HTTPConnection(host, int(port), timeout=60)
            conn.request("POST", "/v1/locate", body=body, headers={"content-type": "application/json"})
            response = conn.getresponse()
            content = response.read()
            conn.close()
            received = time.perf_counter()
            answers = orjson.loads(content)
            timings.append(received - start)
            parse.append(time.perf_counter() - received)
            assert response.status == 200 and answers["count"] == lon.size
        batch_s = statistics.median(timings)
        parse_s = statistics.median(parse)
        size_mb = len(content) / 1e6
    sql_s = statistics.median(set_based_postgis(url, lon, lat) for _ in range(3))

    def line(name: str, value: str, budget: str, ok: bool) -> None:
        print(f"{name:<58} {value:>22}   budget {budget:<10} {'OK' if ok else 'MISSED'}")

    print(f"GET /healthz, 32 connections: {trivial.requests_per_s:,.0f} req/s (p99 {trivial.p99_ms:.2f} ms)")
    print(
        f"GET /v1/locate, 32 connections: {locate32.requests_per_s:,.0f} req/s (p99 {locate32.p99_ms:.2f} ms)"
    )
    print(f"GET /bench/locate-postgis, 32 connections: {postgis32.requests_per_s:,.0f} req/s")
    print(f"GET /v1/locate, 1 connection: p50 {locate1.p50_ms:.2f} ms, p99 {locate1.p99_ms:.2f} ms")
    print(
        f"POST /v1/locate 100,000 points: median {batch_s:.3f} s of 5 from sending to the last byte of "
        f"{size_mb:.1f} MB received (+{parse_s:.3f} s for the client to parse it); "
        f"set-based PostGIS query {sql_s:.3f} s"
    )
    print()
    ratio = locate32.requests_per_s / trivial.requests_per_s
    line("locate throughput / trivial endpoint (32 conn)", f"{100 * ratio:.0f} %", ">= 60 %", ratio >= 0.6)
    line("locate p99 at 1 connection", f"{locate1.p99_ms:.2f} ms", "<= 3 ms", locate1.p99_ms <= 3)
    speedup = locate32.requests_per_s / postgis32.requests_per_s
    line("locate vs PostGIS-per-request (32 conn)", f"{speedup:.1f}x", ">= 1.5x", speedup >= 1.5)
    line("batch 100,000 points, JSON in and out", f"{batch_s:.3f} s", "<= 1 s", batch_s <= 1)
    line("batch vs one set-based PostGIS query", f"{sql_s / batch_s:.1f}x", ">= 2x", sql_s / batch_s >= 2)
    errors = trivial.errors + locate32.errors + postgis32.errors + locate1.errors
    if errors:
        print(f"non-2xx responses during the runs: {errors}")


if __name__ == "__main__":
    main()
