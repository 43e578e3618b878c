"""Batch benchmark: POST /v1/locate (JSON, Arrow IPC, Parquet) and the kernel vs GeoPandas sjoin.

Run: ``make bench`` or ``python bench/batch.py``. In one run, with random points inside the city
(fixed seed):
- JSON, 100,000 points, end to end (sending → last byte received; goal ≤ 0.5 s), median of 5;
- Arrow IPC and Parquet, 1,000,000 points, points/s end to end (goal ≥ 1 M points/s), median of 3;
- in process, the same 1,000,000 points: the service's vectorised unit classification (bounding
  box mask + ``intersects_xy`` per prepared unit polygon) vs GeoPandas ``sjoin`` of the points
  with the same units (predicate ``intersects``, the covers rule) — goal ≥ 2×, the anchor;
  both must give the same unit for every point; and the served path (``LocateIndex``: place grid
  lookup, exact path for mixed cells, nearest candidates per block) with its build time.
"""

from __future__ import annotations

import http.client
import io
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import city_outline, ensure_dataset, random_points, served

ARROW = "application/vnd.apache.arrow.stream"
PARQUET = "application/vnd.apache.parquet"


def post(base: str, body: bytes, content_type: str) -> tuple[float, bytes]:
    """Seconds from sending the body to the last byte of a 200 answer (stdlib client: socket speed)."""
    host, port = base.removeprefix("http://").split(":")
    start = time.perf_counter()
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    conn.request("POST", "/v1/locate", body=body, headers={"content-type": content_type})
    response = conn.getresponse()
    content = response.read()
    conn.close()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        raise SystemExit(f"INVALID RUN: {content_type} answered {response.status}: {content[:300]!r}")
    return elapsed, content


def kernel_vs_sjoin(url: str, lon: np.ndarray, lat: np.ndarray) -> tuple[float, float, float, float, float]:
    """(kernel s, sjoin s, full locate_many s, full by the place grid s, grid build s) on the same
    points, the units of the kernel and of the place-grid path both checked equal to sjoin's."""
    from geodata.database import make_engine
    from geodata.snapshots import SnapshotCache
    from zoning.locate import _first_hit, _layer_hits, locate_many
    from zoning.locate_index import LocateIndex

    engine = make_engine(url)
    cache = SnapshotCache(engine)
    cache.refresh()
    snapshot = cache.current()
    engine.dispose()
    records = snapshot.units.records
    units = gpd.GeoDataFrame(
        {"code": [u.code for u in records]}, geometry=[u.geometry for u in records], crs="EPSG:4490"
    )
    start = time.perf_counter()
    index = LocateIndex.build(snapshot)
    build_s = time.perf_counter() - start
    kernel, anchor, full, placed = [], [], [], []
    for _ in range(3):
        start = time.perf_counter()
        batch = index.locate_many(lon, lat)
        placed.append(time.perf_counter() - start)
        start = time.perf_counter()
        first = _first_hit(lon.size, *_layer_hits(snapshot.units, lon, lat))
        kernel.append(time.perf_counter() - start)
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4490")
        start = time.perf_counter()
        joined = gpd.sjoin(points, units, how="left", predicate="intersects")
        anchor.append(time.perf_counter() - start)
        start = time.perf_counter()
        locate_many(snapshot, lon, lat)
        full.append(time.perf_counter() - start)
    ours = np.array([records[i].code if i >= 0 else None for i in first], dtype=object)
    theirs = joined.groupby(level=0)["code"].min().reindex(range(lon.size)).to_numpy(dtype=object)
    theirs = np.where(joined.groupby(level=0)["code"].count().reindex(range(lon.size)) > 0, theirs, None)
    if not (ours == theirs).all():
        raise SystemExit(f"INVALID RUN: kernel and sjoin disagree on {(ours != theirs).sum()} points")
    unit_of_key = np.array([k.unit for k in batch.keys])
    by_grid = np.array([records[i].code if i >= 0 else None for i in unit_of_key[batch.key]], dtype=object)
    if not (by_grid == theirs).all():
        raise SystemExit(f"INVALID RUN: place grid and sjoin disagree on {(by_grid != theirs).sum()} points")
    return min(kernel), min(anchor), min(full), min(placed), build_s


def main() -> None:
    url = ensure_dataset()
    city = city_outline(url)
    lon, lat = random_points(city, 1_000_000, seed=20210103)
    n_json = 100_000
    json_body = orjson.dumps({"points": np.column_stack([lon[:n_json], lat[:n_json]]).tolist()})
    table = pa.table({"lon": lon, "lat": lat})
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    arrow_body = sink.getvalue().to_pybytes()
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    parquet_body = buffer.getvalue()
    with served("app.main:create_app", url) as server:
        post(server.base, json_body, "application/json")  # warm-up
        json_s = statistics.median(post(server.base, json_body, "application/json")[0] for _ in range(5))
        arrow_runs = [post(server.base, arrow_body, ARROW) for _ in range(3)]
        parquet_runs = [post(server.base, parquet_body, PARQUET) for _ in range(3)]
    arrow_s = statistics.median(t for t, _ in arrow_runs)
    parquet_s = statistics.median(t for t, _ in parquet_runs)
    answered = ipc.open_stream(arrow_runs[0][1]).read_all()
    assert answered.num_rows == lon.size
    kernel_s, sjoin_s, full_s, placed_s, build_s = kernel_vs_sjoin(url, lon, lat)

    def line(name: str, value: str, goal: str, ok: bool | None) -> None:
        verdict = "" if ok is None else ("OK" if ok else "MISSED")
        print(f"{name:<66} {value:>20}   goal {goal:<14} {verdict}")

    print("random points inside the city (seed 20210103); one uvicorn worker (uvloop + httptools)")
    line(f"POST /v1/locate JSON, {n_json:,} points, end to end", f"{json_s:.3f} s", "<= 0.5 s", json_s <= 0.5)
    line(
        f"POST /v1/locate Arrow IPC, {lon.size:,} points, end to end",
        f"{lon.size / arrow_s / 1e6:.2f} M pts/s",
        ">= 1 M pts/s",
        lon.size / arrow_s >= 1e6,
    )
    line(
        f"POST /v1/locate Parquet, {lon.size:,} points, end to end",
        f"{lon.size / parquet_s / 1e6:.2f} M pts/s",
        ">= 1 M pts/s",
        lon.size / parquet_s >= 1e6,
    )
    line("anchor: GeoPandas sjoin, units, in process", f"{lon.size / sjoin_s / 1e6:.2f} M pts/s", "", None)
    line("ours: unit classification kernel, in process", f"{lon.size / kernel_s / 1e6:.2f} M pts/s", "", None)
    line("kernel / sjoin", f"{sjoin_s / kernel_s:.1f}x", ">= 2x", sjoin_s / kernel_s >= 2)
    line(
        "ours: full answer (units, zones, red line, reserves, nearest 5 kinds)",
        f"{lon.size / full_s / 1e6:.2f} M pts/s",
        "(reported)",
        None,
    )
    line(
        "ours: the same by place grid + nearest candidates (served path)",
        f"{lon.size / placed_s / 1e6:.2f} M pts/s",
        "(reported)",
        None,
    )
    line("place grid / sjoin (full answer vs units only)", f"{sjoin_s / placed_s:.1f}x", "(reported)", None)
    line("place grid + candidates build, per snapshot and worker", f"{build_s:.2f} s", "(reported)", None)


if __name__ == "__main__":
    main()
