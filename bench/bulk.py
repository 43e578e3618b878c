"""Benchmark of bulk screening on Dask (issue 13). Run: `make bench` or `python bench/bulk.py`.

1. 10 M random points over the city's bounding box, Parquet in → Parquet out, unit + zones +
   verdict for one industry (GB/T 4754 2614), on the embedded LocalCluster (one single-threaded
   worker process per core), end to end: input checksum, job record, snapshot scattered, screening,
   parts, the assembled file. Goals: ≤ 8 s, ≥ 4× GeoPandas `sjoin` (units only) in the same run,
   peak memory of client + workers ≤ 2 GiB.
2. GeoPandas `sjoin` of the same points with the units only (in a child process, so its memory
   is its own), Parquet in → Parquet out.
3. 100,000 footprints of 0.01–1 km² inside the city (GeoParquet), unit + zones + verdict.
   Goal ≤ 60 s.
4. The place grid (``zoning.placegrid``) at three cell sizes: cells, places, build time, memory and
   the share of random city points in pure cells (answered by lookup; the rest by the exact path).

Options: `--points N` (default 10,000,000), `--footprints N` (default 100,000), `--workers N`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ensure_dataset

GIB = 1024**3


def _rss_peak() -> int:
    """Peak resident set of this process in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _points(path: Path, n: int, bounds: tuple[float, float, float, float]) -> None:
    rng = np.random.default_rng(13)
    minx, miny, maxx, maxy = bounds
    with pq.ParquetWriter(
        path, pa.schema([("id", pa.int64()), ("lon", pa.float64()), ("lat", pa.float64())])
    ) as w:
        for start in range(0, n, 1_000_000):
            k = min(1_000_000, n - start)
            w.write_table(
                pa.table(
                    {
                        "id": np.arange(start, start + k),
                        "lon": rng.uniform(minx, maxx, k),
                        "lat": rng.uniform(miny, maxy, k),
                    }
                ),
                row_group_size=500_000,
            )


def _footprints(path: Path, n: int, city: Any) -> None:
    import geopandas as gpd

    rng = np.random.default_rng(14)
    minx, miny, maxx, maxy = city.bounds
    x = rng.uniform(minx, maxx, n * 3)
    y = rng.uniform(miny, maxy, n * 3)
    keep = shapely.contains_xy(city, x, y)
    x, y = x[keep][:n], y[keep][:n]
    area_km2 = rng.uniform(0.01, 1.0, n)
    # a square of that area: side in degrees at ~28.7°N (1° lat ≈ 110.9 km, 1° lon ≈ 97.3 km)
    side_km = np.sqrt(area_km2)
    boxes = shapely.box(x, y, x + side_km / 97.3, y + side_km / 110.9)
    gpd.GeoDataFrame({"id": np.arange(n)}, geometry=boxes, crs="EPSG:4490").to_parquet(path)


def _sjoin(points: str, units_path: str, out: str, queue: Any) -> None:
    import geopandas as gpd

    t0 = time.perf_counter()
    table = pq.read_table(points)
    pts = gpd.GeoDataFrame(
        {"id": table["id"].to_numpy()},
        geometry=gpd.points_from_xy(table["lon"].to_numpy(), table["lat"].to_numpy()),
        crs="EPSG:4490",
    )
    units = gpd.read_parquet(units_path)
    joined = gpd.sjoin(pts, units, how="left", predicate="within")
    joined.drop(columns="geometry").to_parquet(out)
    queue.put((time.perf_counter() - t0, _rss_peak()))


def _grid_figures(snap: Any) -> None:
    """The place grid (zoning.placegrid) at the default cell size and its neighbours: build time,
    memory, and the share of random city points in pure cells (answered by lookup)."""
    from zoning.placegrid import DEFAULT_CELL_DEG, PlaceGrid

    rng = np.random.default_rng(15)
    minx, miny, maxx, maxy = snap.city.bounds
    x, y = rng.uniform(minx, maxx, 400_000), rng.uniform(miny, maxy, 400_000)
    keep = shapely.contains_xy(snap.city, x, y)
    x, y = x[keep], y[keep]
    for cell in (2 * DEFAULT_CELL_DEG, DEFAULT_CELL_DEG, DEFAULT_CELL_DEG / 2):
        t = time.perf_counter()
        grid = PlaceGrid.build(snap, cell)
        build_s = time.perf_counter() - t
        mark = " (default)" if cell == DEFAULT_CELL_DEG else ""
        print(
            f"place grid {cell:g}°{mark}: {grid.nx * grid.ny:,} cells, {len(grid.places)} places, "
            f"built in {build_s:.2f} s, {grid.cell_place.nbytes / 2**20:.0f} MiB; "
            f"{grid.pure_share(x, y):.1%} of city points in pure cells"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--footprints", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    url = ensure_dataset()
    import geopandas as gpd

    from app.bulk.runner import BulkOptions, close_client, open_client, prepare_job, run_job
    from geodata.database import make_engine
    from geodata.snapshots import SnapshotCache

    engine = make_engine(url)
    snapshot = SnapshotCache(engine)
    snapshot.refresh()
    snap = snapshot.current()
    print(
        f"dataset {snap.version.label} ({snap.unit_count} units); {os.cpu_count()} cores; load {os.getloadavg()}"
    )
    with tempfile.TemporaryDirectory(prefix="bulk-bench-") as tmp:
        work = Path(tmp)
        points = work / "points.parquet"
        _points(points, args.points, snap.city.bounds)
        units = work / "units.parquet"
        gpd.GeoDataFrame(
            {"code": [u.code for u in snap.units.records]},
            geometry=[u.geometry for u in snap.units.records],
            crs="EPSG:4490",
        ).to_parquet(units)

        t = time.perf_counter()
        client = open_client(None, args.workers)
        start_s = time.perf_counter() - t
        client.run(lambda: None)
        print(
            f"embedded LocalCluster: {args.workers} workers × 1 thread, started (kernel imported) in {start_s:.1f} s"
        )

        t = time.perf_counter()
        job_id = prepare_job(
            engine,
            points,
            work / "out.parquet",
            BulkOptions(industry="2614", partition_rows=500_000),
            caller="bench",
        )
        job = run_job(engine, job_id, client)
        bulk_s = time.perf_counter() - t
        assert job.status == "done", job.error
        workers_peak = sum(client.run(_rss_peak).values())
        client_peak = _rss_peak()
        out_rows = sum(
            pq.ParquetFile(p).metadata.num_rows for p in (work / "out.parquet").glob("part-*.parquet")
        )
        print(
            f"bulk  {args.points:,} points → {out_rows:,} rows: {bulk_s:.2f} s end to end "
            f"({args.points / bulk_s / 1e6:.2f} M points/s; phases {job.timings}); "
            f"peak memory client {client_peak / GIB:.2f} GiB + workers {workers_peak / GIB:.2f} GiB "
            f"= {(client_peak + workers_peak) / GIB:.2f} GiB; with the cluster's start {start_s + bulk_s:.2f} s"
        )

        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        proc = ctx.Process(target=_sjoin, args=(str(points), str(units), str(work / "sjoin.parquet"), queue))
        proc.start()
        sjoin_s, sjoin_peak = queue.get()
        proc.join()
        print(
            f"sjoin {args.points:,} points (units only): {sjoin_s:.2f} s ({args.points / sjoin_s / 1e6:.2f} M points/s), "
            f"peak {sjoin_peak / GIB:.2f} GiB → bulk is {sjoin_s / bulk_s:.1f}× faster with zones and verdicts"
        )

        fp = work / "footprints.parquet"
        _footprints(fp, args.footprints, snap.city)
        t = time.perf_counter()
        job_id = prepare_job(
            engine,
            fp,
            work / "fp_out.parquet",
            BulkOptions(industry="2614", partition_rows=10_000),
            caller="bench",
        )
        job = run_job(engine, job_id, client)
        fp_s = time.perf_counter() - t
        assert job.status == "done", job.error
        print(
            f"bulk  {args.footprints:,} footprints of 0.01–1 km²: {fp_s:.2f} s ({args.footprints / fp_s:,.0f} /s)"
        )
        close_client(client)

    _grid_figures(snap)  # after the bulk run: its memory is not the client's peak
    goals = [
        ("10 M points ≤ 8 s", bulk_s <= 8 * args.points / 10_000_000),
        ("≥ 4× sjoin", sjoin_s / bulk_s >= 4),
        ("peak ≤ 2 GiB", client_peak + workers_peak <= 2 * GIB),
        ("100k footprints ≤ 60 s", fp_s <= 60 * args.footprints / 100_000),
    ]
    print("goals: " + "; ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in goals))
    engine.dispose()


if __name__ == "__main__":
    main()
