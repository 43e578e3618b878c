"""Running a bulk screening job on Dask: the embedded LocalCluster or an existing scheduler.

The client stages the input (``app.bulk.inputs``), pins the dataset version, scatters the
snapshot and the industry catalogue to every worker once (keyed by the dataset checksum) and
submits one task per partition. A task reads its row groups, screens them with the vectorised
kernel of ``zoning.bulk`` and writes its answers as ``part-NNNNN.parquet`` under a temporary name,
renamed when complete: a part on disk is a finished partition. The client records each finished
partition in the job row, and when all are there assembles the output file (under a temporary
name, renamed) and the summary. A resumed job (same input, options and output) submits only the
partitions whose part is missing, so no row is screened twice into the output.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import shapely
from sqlalchemy import Engine

from app.bulk import outputs
from app.bulk.inputs import LAT_NAMES, LON_NAMES, Partition, StagedInput, checksum, pick_column, stage
from geodata import jobs, repository
from geodata.database import translate_errors
from zoning import bulk
from zoning.bulk_footprints import screen_footprints
from zoning.bulk_project import ATTRIBUTE_FIELDS, ProjectColumns
from zoning.crs import InputCrs, resolve_crs
from zoning.errors import InvalidInput
from zoning.industry import IndustryCatalogue
from zoning.screening import MAX_BUFFER_M
from zoning.snapshot import ZoningSnapshot

log = logging.getLogger(__name__)
SCHEDULER_ENV = "ZONING_DASK_SCHEDULER"
INDUSTRY_NAMES = ("industry", "industry_code", "行业代码", "行业")
ID_NAMES = ("id", "code", "编号")
PROJECT_NAMES: dict[str, tuple[str, ...]] = {
    "project_nature": ("project_nature", "建设性质"),
    "has_outfall": ("has_outfall", "排污口"),
    "cannot_avoid": ("cannot_avoid", "无法避让"),
    "state_major_project": ("state_major_project", "国家重大项目"),
}
"""Per-row project-attribute columns found by name when no ``*_col`` option names them."""
PROJECT_OPTIONS = {
    "project_nature": "project_nature_col",
    "has_outfall": "has_outfall_col",
    "cannot_avoid": "cannot_avoid_col",
    "state_major_project": "state_major_col",
}


@dataclass(frozen=True)
class BulkOptions:
    """What the caller asked, as recorded with the job (a resumed job must ask the same)."""

    id_col: str | None = None
    lon_col: str | None = None
    lat_col: str | None = None
    geometry_col: str | None = None
    industry_col: str | None = None
    industry: str | None = None
    """one GB/T 4754 code for every row without an industry column"""
    crs: str | None = None
    buffer_m: float = 0.0
    as_of: str | None = None
    project_nature_col: str | None = None
    has_outfall_col: str | None = None
    cannot_avoid_col: str | None = None
    state_major_col: str | None = None
    format: str = "parquet"
    partition_rows: int = 1_000_000

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Plan:
    """Per-partition instructions, the same for every task (small, pickled with each)."""

    id_col: str | None
    lon_col: str | None
    lat_col: str | None
    geometry_col: str | None
    industry_col: str | None
    industry: str | None
    crs: InputCrs
    buffer_m: float
    parts_dir: str
    project_cols: tuple[str | None, ...] = (None, None, None, None)
    """the input's columns for ``ATTRIBUTE_FIELDS``, in that order"""


@dataclass
class Progress:
    """What a progress bar shows; passed to the caller's callback after each partition."""

    job_id: str
    rows_total: int
    rows_done: int = 0
    partitions_total: int = 0
    partitions_done: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def rate(self) -> float:
        elapsed = time.perf_counter() - self.started
        return self.rows_done / elapsed if elapsed > 0 else 0.0


# ------------------------------------------------------------------------------ Dask


def open_client(scheduler: str | None = None, workers: int | None = None) -> Any:
    """A Dask client: on ``scheduler`` (or ``ZONING_DASK_SCHEDULER``), else an embedded LocalCluster.

    The embedded cluster has one single-threaded worker process per core (GEOS and Arrow release
    the GIL, but one thread per process keeps the verdict cache simple and memory predictable).
    """
    import dask
    from distributed import Client, LocalCluster

    address = scheduler or os.environ.get(SCHEDULER_ENV)
    if address:
        client = Client(address, timeout="20s")
        client.run(_import_kernel)
        return client
    # Dask's default MALLOC_TRIM_THRESHOLD_ for workers cost 10–30 % on this kernel (DESIGN.md).
    dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": 128 << 20})
    cluster = LocalCluster(
        n_workers=workers or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        memory_limit=0,
    )
    client = Client(cluster)
    client.run(_import_kernel)
    return client


def _import_kernel() -> None:
    """Import the kernel's modules on a worker when the client opens (~2–3 s on a fresh process),
    so that the first job's first task does not pay it: a cluster is opened once and serves jobs."""
    import app.bulk.runner  # noqa: F401
    import zoning.bulk_footprints
    import zoning.placegrid  # noqa: F401


def close_client(client: Any) -> None:
    """Close a client and, when it owns one, its embedded cluster."""
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


PART_WRITE_OPTIONS: dict[str, Any] = {
    "compression": "lz4",
    "write_statistics": ["id", "lon", "lat"],
    "use_dictionary": [name for name in bulk.OUTPUT_COLUMNS if name not in ("id", "lon", "lat")],
}
"""How a part is written (measured on 500,000 answer rows, bench/bulk.py): statistics only where
readers filter; no dictionary attempted on the unique ids and coordinates (it is built, then
abandoned); LZ4 — the answers are dictionary indices already, so zstd saves little and costs more."""


@dataclass(frozen=True)
class _Context:
    snapshot: ZoningSnapshot
    catalogue: IndustryCatalogue


def _scatter_context(client: Any, snapshot: ZoningSnapshot, catalogue: IndustryCatalogue) -> Any:
    """Ship the snapshot and catalogue to every worker once; reuse it while the checksum holds."""
    cache = client.__dict__.setdefault("_zoning_contexts", {})
    key = snapshot.version.checksum
    if key not in cache:
        cache.clear()
        cache[key] = client.scatter(_Context(snapshot, catalogue), broadcast=True, hash=False)
    return cache[key]


# ------------------------------------------------------------------------------ the task


def _numbers(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(float values with NaN for unreadable cells, mask of empty cells) of a coordinate column."""
    missing = column.is_null().to_numpy(zero_copy_only=False)
    if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
        return column.to_numpy().astype(np.float64), missing
    text = pc.utf8_trim_whitespace(column.cast(pa.string()))
    missing = missing | pc.equal(text, "").fill_null(True).to_numpy(zero_copy_only=False)
    values = pd.to_numeric(pd.Series(text.to_numpy(zero_copy_only=False)), errors="coerce").to_numpy(
        np.float64
    )
    return values, missing


def _ids(table: pa.Table, plan: _Plan, part: Partition) -> pa.Array:
    if plan.id_col is not None:
        return table.column(plan.id_col).combine_chunks().cast(pa.string())
    return pc.cast(pa.array(np.arange(part.offset + 1, part.offset + part.rows + 1)), pa.string())


def screen_partition(ctx: _Context, plan: _Plan, part: Partition) -> dict[str, Any]:
    """Screen one partition and write its part file atomically; return its counts for the summary."""
    started = time.perf_counter()
    table = pq.ParquetFile(part.path).read_row_groups(list(part.row_groups))
    ids = _ids(table, plan, part)
    industry: pa.Array | None = None
    if plan.industry_col is not None:
        industry = table.column(plan.industry_col).combine_chunks()
    elif plan.industry is not None:
        # one code for every row: dictionary-encoded, so no string is made or read per row
        industry = pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(table.num_rows, dtype=np.int32)), pa.array([plan.industry], pa.string())
        )
    project = _project_columns(table, plan)
    if plan.geometry_col is not None:
        result = _screen_geometries(ctx, plan, table, ids, industry, project)
    else:
        lon, lon_missing = _numbers(table.column(plan.lon_col))
        lat, lat_missing = _numbers(table.column(plan.lat_col))
        lon, lat = bulk.to_storage_xy(lon, lat, plan.crs)
        missing = lon_missing | lat_missing
        if plan.buffer_m > 0:
            points = [
                shapely.Point(x, y) if np.isfinite(x) and np.isfinite(y) else None
                for x, y in zip(lon, lat, strict=True)
            ]
            result = screen_footprints(
                ctx.snapshot,
                ctx.catalogue,
                ids.to_pylist(),
                points,
                industry,
                np.full(len(points), plan.buffer_m),
                project=project,
            )
        else:
            result = bulk.screen_points(
                ctx.snapshot, ctx.catalogue, ids, lon, lat, industry, missing=missing, project=project
            )
    target = Path(plan.parts_dir) / f"part-{part.index:05d}.parquet"
    # A hidden temporary name: a part left half-written by a killed worker is never read as data.
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    pq.write_table(result, tmp, **PART_WRITE_OPTIONS)
    os.replace(tmp, target)
    return {
        "index": part.index,
        "rows": result.num_rows,
        "seconds": time.perf_counter() - started,
        **outputs.counts(result),
    }


def _project_columns(table: pa.Table, plan: _Plan) -> ProjectColumns | None:
    """The partition's project-attribute columns, None when the input has none."""
    if not any(plan.project_cols):
        return None
    return ProjectColumns(
        *(None if c is None else table.column(c).combine_chunks() for c in plan.project_cols)
    )


def _screen_geometries(
    ctx: _Context,
    plan: _Plan,
    table: pa.Table,
    ids: pa.Array,
    industry: pa.Array | None,
    project: ProjectColumns | None,
) -> pa.Table:
    """Geometry input: points through the vectorised kernel, footprints row by row."""
    column = table.column(plan.geometry_col).combine_chunks()
    geoms = shapely.from_wkb(column.to_numpy(zero_copy_only=False), on_invalid="ignore")
    crs = plan.crs
    valid = ~shapely.is_missing(geoms)
    if crs.kind != "lonlat" or crs.epsg not in (4326, 4490):
        geoms = geoms.copy()
        geoms[valid] = shapely.transform(
            geoms[valid], lambda xy: np.column_stack(bulk.to_storage_xy(xy[:, 0], xy[:, 1], crs))
        )
    is_point = shapely.get_type_id(geoms) == 0
    if plan.buffer_m == 0 and bool(np.all(is_point | ~valid)):
        x = np.where(valid, shapely.get_x(geoms), np.nan)
        y = np.where(valid, shapely.get_y(geoms), np.nan)
        return bulk.screen_points(
            ctx.snapshot, ctx.catalogue, ids, x, y, industry, missing=~valid, project=project
        )
    buffers = np.full(len(geoms), plan.buffer_m)
    return screen_footprints(
        ctx.snapshot,
        ctx.catalogue,
        ids.to_pylist(),
        list(np.where(valid, geoms, None)),
        industry,
        buffers,
        project=project,
    )


# ------------------------------------------------------------------------------ the job


def _resolve_plan(staged: StagedInput, options: BulkOptions, parts_dir: Path) -> _Plan:
    cols = staged.columns
    geometry_col = (
        pick_column(cols, options.geometry_col, (), "geometry", "geometry_col") or staged.geometry_column
    )
    lon_col = lat_col = None
    if geometry_col is None:
        lon_col = pick_column(cols, options.lon_col, LON_NAMES, "longitude", "lon_col")
        lat_col = pick_column(cols, options.lat_col, LAT_NAMES, "latitude", "lat_col")
        if lon_col is None or lat_col is None:
            raise InvalidInput(
                f"no coordinate columns found (columns: {', '.join(cols)}); name them with lon_col/lat_col or geometry_col",
                field="lon_col" if lon_col is None else "lat_col",
            )
    if not 0 <= options.buffer_m <= MAX_BUFFER_M:
        raise InvalidInput(f"buffer_m={options.buffer_m} is outside 0…{MAX_BUFFER_M:.0f} m", field="buffer_m")
    industry_col = pick_column(cols, options.industry_col, INDUSTRY_NAMES, "industry", "industry_col")
    crs = (
        staged.geometry_crs
        if (geometry_col and staged.geometry_crs and options.crs is None)
        else resolve_crs(options.crs)
    )
    return _Plan(
        id_col=pick_column(cols, options.id_col, ID_NAMES, "id", "id_col"),
        lon_col=lon_col,
        lat_col=lat_col,
        geometry_col=geometry_col,
        industry_col=industry_col,
        industry=options.industry if industry_col is None else None,
        crs=crs,
        buffer_m=options.buffer_m,
        parts_dir=str(parts_dir),
        project_cols=tuple(
            pick_column(cols, getattr(options, PROJECT_OPTIONS[f]), PROJECT_NAMES[f], f, PROJECT_OPTIONS[f])
            for f in ATTRIBUTE_FIELDS
        ),
    )


def work_dir_for(output: Path) -> Path:
    """Where a job writing ``output`` keeps its staged input and parts (next to the output)."""
    return output.with_name(output.name + ".parts")


def _pinned_version(
    engine: Engine, job: jobs.Job | None, as_of: str | None
) -> tuple[ZoningSnapshot, IndustryCatalogue]:
    with translate_errors(), engine.connect() as conn:
        if job is not None:
            info = repository.version_by_id(conn, job.version_id)
        else:
            on = date.fromisoformat(as_of) if as_of else date.today()
            info = repository.version_in_force(conn, on, asked=as_of is not None)
        snapshot = repository.read_snapshot(conn, info)
        catalogue = IndustryCatalogue(repository.read_industries(conn))
    return snapshot, catalogue


def prepare_job(
    engine: Engine,
    input_path: Path,
    output: Path,
    options: BulkOptions,
    *,
    caller: str | None,
    job_id: str | None = None,
) -> str:
    """Record a job for an input (or find the unfinished one with the same input and options)."""
    outputs.check_format(options.format)
    input_sum = checksum(input_path)
    with translate_errors(), engine.begin() as conn:
        if job_id is None:
            found = jobs.find_resumable(
                conn, input_checksum=input_sum, options=options.as_dict(), output_path=str(output)
            )
            if found is not None:
                return found.id
        on = date.fromisoformat(options.as_of) if options.as_of else date.today()
        info = repository.version_in_force(conn, on, asked=options.as_of is not None)
        return jobs.create_job(
            conn,
            input_name=str(input_path),
            input_checksum=input_sum,
            options=options.as_dict(),
            version_id=info.id,
            dataset_checksum=info.checksum,
            output_path=str(output),
            caller=caller,
            job_id=job_id,
        )


def run_job(
    engine: Engine,
    job_id: str,
    client: Any,
    *,
    on_progress: Callable[[Progress], None] | None = None,
) -> jobs.Job:
    """Run (or resume) a recorded job to the end, a failure or a cancel; return the final row."""
    with translate_errors(), engine.connect() as conn:
        job = jobs.get_job(conn, job_id)
    options = BulkOptions(**job.options)
    output = Path(job.output_path)
    work = work_dir_for(output)
    parts_dir = work / "parts"
    timings: dict[str, float] = {}
    try:
        t0 = time.perf_counter()
        _check_work_dir(work, job)
        staged = stage(
            Path(job.input_name),
            work,
            partition_rows=options.partition_rows,
            geometry_column=options.geometry_col,
        )
        timings["stage_s"] = round(time.perf_counter() - t0, 3)
        plan = _resolve_plan(staged, options, parts_dir)
        if options.format == "xlsx" and staged.rows > outputs.XLSX_MAX_ROWS:
            raise InvalidInput(
                f"{staged.rows} rows do not fit one Excel sheet; use parquet or csv", field="format"
            )
        parts_dir.mkdir(parents=True, exist_ok=True)
        snapshot, catalogue = _pinned_version(engine, job, None)
        done_counts = _parts_on_disk(parts_dir, staged)
        jobs.start(
            engine,
            job_id,
            partitions_total=len(staged.partitions),
            rows_total=staged.rows,
            done=list(done_counts),
            rows_done=sum(c["rows"] for c in done_counts.values()),
            rows_error=sum(sum(c["by_error"].values()) for c in done_counts.values()),
        )
        if jobs.status_of(engine, job_id) == "cancelled":
            return _reload(engine, job_id)
        progress = Progress(
            job_id,
            staged.rows,
            sum(c["rows"] for c in done_counts.values()),
            len(staged.partitions),
            len(done_counts),
        )
        t1 = time.perf_counter()
        status = _run_partitions(
            engine,
            client,
            job_id,
            plan,
            staged,
            snapshot,
            catalogue,
            done_counts,
            progress,
            on_progress,
            timings,
        )
        timings["screen_s"] = round(time.perf_counter() - t1, 3)
        if status == "cancelled":
            return _reload(engine, job_id)
        t2 = time.perf_counter()
        summary = outputs.summary(done_counts.values(), snapshot, job_id, options.as_dict())
        if options.format == "parquet":
            # The parts are the result: a Parquet dataset (one file per partition, in order), moved
            # into place with one atomic rename — no second copy of 10^7 rows.
            outputs.publish_dataset(parts_dir, output, summary)
        else:
            paths = outputs.part_paths(parts_dir, len(staged.partitions))
            outputs.assemble(paths, output, options.format, summary)
        timings["assemble_s"] = round(time.perf_counter() - t2, 3)
        timings["total_s"] = round(time.perf_counter() - t0, 3)
        summary["timings"] = timings
        output.with_name(output.name + ".summary.json").write_text(
            json.dumps(summary, ensure_ascii=False, indent=2)
        )
        jobs.finish(engine, job_id, "done", summary=summary, timings=timings)
        shutil.rmtree(work, ignore_errors=True)
    except Exception as exc:
        log.exception("bulk job %s failed", job_id)
        detail = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
        jobs.finish(engine, job_id, "failed", error=str(detail), timings=timings)
        raise
    return _reload(engine, job_id)


def _reload(engine: Engine, job_id: str) -> jobs.Job:
    with translate_errors(), engine.connect() as conn:
        return jobs.get_job(conn, job_id)


def _check_work_dir(work: Path, job: jobs.Job) -> None:
    """Keep a work folder only if it belongs to this input and dataset version; else start afresh."""
    marker = work / "job.json"
    identity = {
        "input_checksum": job.input_checksum,
        "dataset_checksum": job.dataset_checksum,
        "options": job.options,
    }
    if marker.exists() and json.loads(marker.read_text()) != identity:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(identity))


def _parts_on_disk(parts_dir: Path, staged: StagedInput) -> dict[int, dict[str, Any]]:
    """Finished partitions (a part file renamed into place), with their counts read back."""
    out: dict[int, dict[str, Any]] = {}
    for part in staged.partitions:
        path = parts_dir / f"part-{part.index:05d}.parquet"
        if path.exists():
            table = pq.read_table(path)
            if table.num_rows == part.rows:
                out[part.index] = {"index": part.index, "rows": table.num_rows, **outputs.counts(table)}
    return out


def _warm_share(ctx: _Context, industry: str, share: int, shares: int) -> dict[Any, Any]:
    return bulk.warm_verdicts(ctx.snapshot, ctx.catalogue, industry, share, shares)


def _warm_verdicts(client: Any, context: Any, industry: str) -> None:
    """Screen the places' verdicts for the job's one industry once, a share per worker, and give every
    worker all of them: without this each worker screens every place itself (~10 ms each)."""
    workers = list(client.scheduler_info()["workers"])
    if len(workers) < 2:
        return
    # a share per worker (another may take it over if one is lost); a failure costs speed only
    shares = [
        client.submit(
            _warm_share, context, industry, i, len(workers), workers=[w], allow_other_workers=True, pure=False
        )
        for i, w in enumerate(workers)
    ]
    merged: dict[Any, Any] = {}
    try:
        for future in shares:
            merged.update(future.result())
        client.run(bulk.seed_verdicts, merged)
    except Exception:  # the partitions screen what is missing themselves
        log.warning("bulk: verdicts not pre-screened", exc_info=True)


def _run_partitions(
    engine: Engine,
    client: Any,
    job_id: str,
    plan: _Plan,
    staged: StagedInput,
    snapshot: ZoningSnapshot,
    catalogue: IndustryCatalogue,
    done: dict[int, dict[str, Any]],
    progress: Progress,
    on_progress: Callable[[Progress], None] | None,
    timings: dict[str, float],
) -> str:
    from distributed import as_completed

    todo = [p for p in staged.partitions if p.index not in done]
    if not todo:
        return "running"
    t0 = time.perf_counter()
    context = _scatter_context(client, snapshot, catalogue)
    timings["scatter_s"] = round(time.perf_counter() - t0, 3)
    if plan.industry is not None and plan.geometry_col is None and plan.buffer_m == 0:
        t0 = time.perf_counter()
        _warm_verdicts(client, context, plan.industry)
        timings["warm_verdicts_s"] = round(time.perf_counter() - t0, 3)
    futures = [
        client.submit(screen_partition, context, plan, p, key=f"bulk-{job_id}-{p.index}", pure=False)
        for p in todo
    ]
    status = "running"
    for future in as_completed(futures):
        counts = future.result()
        done[counts["index"]] = counts
        status = jobs.partition_done(
            engine, job_id, counts["index"], counts["rows"], sum(counts["by_error"].values())
        )
        progress.rows_done += counts["rows"]
        progress.partitions_done += 1
        if on_progress is not None:
            on_progress(progress)
        if status == "cancelled":
            client.cancel(futures)
            break
    return status
