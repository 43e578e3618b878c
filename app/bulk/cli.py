"""``zoning bulk INPUT --out OUTPUT``: screen a file of sites on Dask, with a progress bar."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from app.bulk.inputs import DEFAULT_PARTITION_ROWS
from app.bulk.outputs import OUTPUT_FORMATS
from app.bulk.runner import (
    SCHEDULER_ENV,
    BulkOptions,
    Progress,
    close_client,
    open_client,
    prepare_job,
    run_job,
)
from geodata.database import make_engine


def add_parser(sub: Any, func: Any) -> None:
    """Register ``zoning bulk`` on the CLI's sub-parsers."""
    p = sub.add_parser(
        "bulk",
        help="screen a file of sites in bulk on Dask (CSV, Parquet, GeoPackage, zipped shapefile, xlsx)",
        description="Screen every site of a file against the version in force (or --as-of); rows that "
        "cannot be read get an error of their own. Re-running the same command resumes an "
        f"interrupted job. Embedded Dask cluster unless --scheduler or {SCHEDULER_ENV} names one.",
    )
    p.add_argument("input", help="CSV (UTF-8/GB18030), .parquet, .gpkg, zipped shapefile (.zip) or .xlsx")
    p.add_argument("--out", required=True, help="output file")
    p.add_argument(
        "--format", choices=OUTPUT_FORMATS, help="output format (default: from --out, else parquet)"
    )
    p.add_argument("--id-col", help="the input's id column (default: id, else the row number)")
    p.add_argument("--lon-col", help="longitude / x column (default: lon, lng, longitude, x, 经度)")
    p.add_argument("--lat-col", help="latitude / y column (default: lat, latitude, y, 纬度)")
    p.add_argument("--geometry-col", help="WKB geometry column (points or footprints)")
    p.add_argument("--industry-col", help="GB/T 4754 industry code column (default: industry, 行业代码)")
    p.add_argument("--industry", help="one GB/T 4754 code for every row (when there is no industry column)")
    p.add_argument(
        "--crs", help="CRS of the coordinates: EPSG:4326 (default), 4490, 4547/4548, 4526/4527, GCJ02, BD09"
    )
    p.add_argument(
        "--buffer-m", type=float, default=0.0, help="buffer around each site (m); screens row by row"
    )
    p.add_argument(
        "--project-nature-col",
        help="per-row project nature: new/expansion/rebuild/relocation or 新建/扩建/改建/迁建 "
        "(default column: project_nature, 建设性质; empty cell: new)",
    )
    p.add_argument(
        "--has-outfall-col", help="per-row wastewater outfall yes/no (default column: has_outfall, 排污口)"
    )
    p.add_argument(
        "--cannot-avoid-col",
        help="per-row 'cannot avoid the zone' yes/no (default column: cannot_avoid, 无法避让)",
    )
    p.add_argument(
        "--state-major-col",
        help="per-row 国家重大项目 yes/no (default column: state_major_project, 国家重大项目)",
    )
    p.add_argument("--as-of", help="screen against the version in force on YYYY-MM-DD")
    p.add_argument("--scheduler", help="address of an existing Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--workers", type=int, help="workers of the embedded cluster (default: one per core)")
    p.add_argument("--partition-rows", type=int, default=DEFAULT_PARTITION_ROWS, help="rows per partition")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=func)


def _bar(progress: Progress) -> None:
    total = max(progress.rows_total, 1)
    share = progress.rows_done / total
    rate = progress.rate
    eta = (progress.rows_total - progress.rows_done) / rate if rate > 0 else float("nan")
    filled = int(share * 30)
    sys.stderr.write(
        f"\r[{'#' * filled}{'.' * (30 - filled)}] {share:6.1%} {progress.rows_done:,}/{progress.rows_total:,} rows "
        f"{rate:,.0f} rows/s ETA {eta:5.1f} s "
    )
    sys.stderr.flush()


def cmd_bulk(url: str, args: argparse.Namespace, say: Any) -> int:
    """Run ``zoning bulk``; return the exit status."""
    out = Path(args.out).resolve()
    fmt = args.format or {".csv": "csv", ".gpkg": "gpkg", ".xlsx": "xlsx"}.get(out.suffix.lower(), "parquet")
    options = BulkOptions(
        id_col=args.id_col,
        lon_col=args.lon_col,
        lat_col=args.lat_col,
        geometry_col=args.geometry_col,
        industry_col=args.industry_col,
        industry=args.industry,
        crs=args.crs,
        buffer_m=args.buffer_m,
        as_of=args.as_of,
        project_nature_col=args.project_nature_col,
        has_outfall_col=args.has_outfall_col,
        cannot_avoid_col=args.cannot_avoid_col,
        state_major_col=args.state_major_col,
        format=fmt,
        partition_rows=args.partition_rows,
    )
    engine = make_engine(url)
    client = None
    try:
        job_id = prepare_job(
            engine, Path(args.input).resolve(), out, options, caller=f"cli:{getpass.getuser()}"
        )
        say(f"job {job_id}")
        client = open_client(args.scheduler, args.workers)
        job = run_job(engine, job_id, client, on_progress=None if args.quiet else _bar)
        if not args.quiet:
            sys.stderr.write("\n")
    finally:
        if client is not None:
            close_client(client)
        engine.dispose()
    summary = job.summary or {}
    say(
        f"{job.status}: {job.rows_done:,} rows ({job.rows_error:,} with an error) → {out} "
        f"[{summary.get('dataset', {}).get('label')}] in {job.timings.get('total_s')} s"
    )
    return 0 if job.status == "done" else 1
