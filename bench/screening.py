"""Benchmark of footprint screening (issue 4 budgets). Run: `make bench` or `python bench/screening.py`.

On loopback with one uvicorn worker, one connection, each request a full `POST /v1/screenings`
(parse, screen, store the record in PostGIS, answer):
- a 5 km² footprint with a 500 m buffer: p50 ≤ 10 ms, p99 ≤ 30 ms;
- the whole of 新建区 (its real boundary, ~3,000 vertices) as the footprint: ≤ 1 s.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ensure_dataset, served

# 0.023° × 0.0203° at 28.6°N ≈ 2.25 km × 2.25 km ≈ 5.06 km² (EPSG:4548), urban edge of 青山湖区
FOOTPRINT = {
    "type": "Polygon",
    "coordinates": [
        [[115.93, 28.60], [115.953, 28.60], [115.953, 28.6203], [115.93, 28.6203], [115.93, 28.60]]
    ],
}
RUNS = 300


def xinjian(url: str) -> dict:
    engine = create_engine(url)
    with engine.connect() as conn:
        geojson = conn.execute(
            text(
                "SELECT ST_AsGeoJSON(geom, 7) FROM admin_division WHERE code = '360112' AND version_id = "
                "(SELECT id FROM dataset_version WHERE status <> 'draft' AND effective_to IS NULL)"
            )
        ).scalar_one()
    engine.dispose()
    return json.loads(geojson)


def main() -> None:
    url = ensure_dataset()
    district = xinjian(url)
    vertices = sum(len(ring) for poly in district["coordinates"] for ring in poly)
    with served("app.main:create_app", url) as server, httpx.Client(timeout=60) as client:
        base = server.base
        body = {"footprint": FOOTPRINT, "industry": "2614", "buffer_m": 500, "project_name": "bench"}
        for _ in range(20):
            client.post(base + "/v1/screenings", json=body).raise_for_status()
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            r = client.post(base + "/v1/screenings", json=body)
            times.append((time.perf_counter() - start) * 1000)
            assert r.status_code == 201
        size = len(r.content)
        findings = len(r.json()["result"]["findings"])
        big = []
        for _ in range(5):
            start = time.perf_counter()
            r = client.post(base + "/v1/screenings", json={"footprint": district, "industry": "2614"})
            big.append(time.perf_counter() - start)
            assert r.status_code == 201, r.text
        units = len(r.json()["result"]["layers"]["control_units"]["features"])
    times.sort()
    p50 = statistics.median(times)
    p99 = times[int(0.99 * len(times)) - 1]
    big_s = statistics.median(big)
    print(
        f"5 km² + 500 m buffer, {RUNS} sequential POSTs: p50 {p50:.2f} ms, p99 {p99:.2f} ms "
        f"({findings} findings, {size / 1024:.0f} KiB record)"
    )
    print(f"新建区 as footprint ({vertices} vertices, {units} units touched): median {big_s:.3f} s of 5")
    print()
    for name, value, budget, ok in (
        ("screening p50 (5 km², 500 m buffer)", f"{p50:.2f} ms", "<= 10 ms", p50 <= 10),
        ("screening p99 (5 km², 500 m buffer)", f"{p99:.2f} ms", "<= 30 ms", p99 <= 30),
        ("screening the whole of 新建区", f"{big_s:.3f} s", "<= 1 s", big_s <= 1),
    ):
        print(f"{name:<50} {value:>12}   budget {budget:<9} {'OK' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
