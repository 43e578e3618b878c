"""Bulk screening jobs: ``POST /v1/bulk-screenings`` → 202, then status, result and cancel.

Uploads are limited (``ZONING_BULK_MAX_UPLOAD_BYTES``, default 512 MiB): a request whose
``Content-Length`` says more is refused with 413 before its body is read, and one without a
length with 411. An admin key may instead name a file under a folder the operator allowed
(``ZONING_BULK_ALLOWED_PATHS``), for registers too large to upload.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.bulk import outputs
from app.bulk.inputs import FORMATS
from app.bulk.runner import BulkOptions, prepare_job
from app.bulk.service import BulkService
from app.deps import ConnectionDep
from app.errors import PROBLEM_JSON
from app.guard import body_limit
from app.security import Principal, screen_access
from geodata import jobs
from geodata.database import translate_errors
from zoning.errors import InvalidInput

BULK_BODY_CEILING = 8 * 1024**3
"""The largest bulk upload any configuration may allow (``ZONING_BULK_MAX_UPLOAD_BYTES`` is bounded by it)."""
router = APIRouter(tags=["bulk screening"])
PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}
OPTION_FIELDS = (
    "id_col",
    "lon_col",
    "lat_col",
    "geometry_col",
    "industry_col",
    "industry",
    "crs",
    "as_of",
    "project_nature_col",
    "has_outfall_col",
    "cannot_avoid_col",
    "state_major_col",
)


def _service(request: Request) -> BulkService:
    service: BulkService | None = getattr(request.app.state, "bulk", None)
    if service is None:
        settings = request.app.state.settings.bulk
        service = BulkService(
            request.app.state.engine, scheduler=settings.scheduler, workers=settings.workers
        )
        request.app.state.bulk = service
    return service


def _options(form: Any, partition_rows: int) -> BulkOptions:
    values: dict[str, Any] = {}
    for name in OPTION_FIELDS:
        value = form.get(name)
        if isinstance(value, str) and value.strip():
            values[name] = value.strip()
    if "as_of" in values:
        try:
            date.fromisoformat(values["as_of"])
        except ValueError:
            raise InvalidInput(f"as_of={values['as_of']!r} is not a YYYY-MM-DD date", field="as_of") from None
    buffer = form.get("buffer_m")
    if isinstance(buffer, str) and buffer.strip():
        try:
            values["buffer_m"] = float(buffer)
        except ValueError:
            raise InvalidInput(f"buffer_m={buffer!r} is not a number", field="buffer_m") from None
    unknown = sorted(set(form.keys()) - {*OPTION_FIELDS, "buffer_m", "file", "path"})
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}", field=unknown[0])
    return BulkOptions(**values, partition_rows=partition_rows)


def _job_body(job: jobs.Job) -> dict[str, Any]:
    base = f"/v1/bulk-screenings/{job.id}"
    total = job.rows_total or 0
    return {
        "id": job.id,
        "status": job.status,
        "progress": {
            "partitions_done": len(job.partitions_done),
            "partitions_total": job.partitions_total,
            "rows_done": job.rows_done,
            "rows_total": job.rows_total,
            "rows_error": job.rows_error,
            "share": round(job.rows_done / total, 4) if total else None,
        },
        "dataset": {"version_id": job.version_id, "checksum": job.dataset_checksum},
        "options": {k: v for k, v in job.options.items() if k != "partition_rows"},
        "summary": job.summary,
        "error": job.error,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "timings": job.timings,
        "links": {
            "self": base,
            **(
                {f"result_{f}": f"{base}/result?format={f}" for f in outputs.OUTPUT_FORMATS}
                if job.status == "done"
                else {}
            ),
        },
    }


def _allowed_path(request: Request, text: str, principal: Principal) -> Path:
    if not principal.has("admin"):
        raise StarletteHTTPException(403, "a server-side path needs an admin key; upload the file instead")
    path = Path(text).resolve()
    allowed = [Path(p).resolve() for p in request.app.state.settings.bulk.allowed_paths]
    if not any(path.is_relative_to(root) for root in allowed):
        raise InvalidInput(f"path {text!r} is not under a folder allowed for bulk inputs", field="path")
    if not path.is_file():
        raise InvalidInput(f"path {text!r}: no such file", field="path")
    return path


@router.post(
    "/bulk-screenings",
    status_code=202,
    summary="Screen a file of sites in bulk (202 with the job URL)",
    responses={202: {"description": "the job, queued"}, 411: PROBLEM, 413: PROBLEM, 422: PROBLEM},
    openapi_extra={
        # The guard's ceiling; the configured ZONING_BULK_MAX_UPLOAD_BYTES (≤ this) is checked by the route.
        **body_limit(BULK_BODY_CEILING),
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "path": {
                                "type": "string",
                                "description": "admin only: a file under an allowed folder",
                            },
                            **{name: {"type": "string"} for name in OPTION_FIELDS},
                            "buffer_m": {"type": "number", "minimum": 0, "maximum": 5000},
                        },
                    }
                },
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {
                                "type": "string",
                                "format": "binary",
                                "description": "CSV, Parquet, GeoPackage, zipped shapefile or .xlsx",
                            },
                            "path": {
                                "type": "string",
                                "description": "admin only: a file under an allowed folder",
                            },
                            **{name: {"type": "string"} for name in OPTION_FIELDS},
                            "buffer_m": {"type": "number", "minimum": 0, "maximum": 5000},
                        },
                    }
                },
            },
        },
    },
)
async def create_bulk_screening(
    request: Request, principal: Annotated[Principal, Depends(screen_access)]
) -> JSONResponse:
    """Queue a bulk screening of an uploaded file (field `file`) or, with an admin key, of a
    server file (field `path`). Options: `id_col`, `lon_col`, `lat_col` (or `geometry_col`),
    `industry_col` or one `industry` for all rows, `crs`, `buffer_m`, `as_of`. The result is
    kept as Parquet and served as Parquet, CSV, GeoPackage or .xlsx (`…/result?format=`).
    Poll the job URL; rows that cannot be screened carry an
    `error` code in the result instead of failing the job."""
    settings = request.app.state.settings.bulk
    length = request.headers.get("content-length")
    if length is None:
        raise StarletteHTTPException(411, "a Content-Length is required (uploads are limited in size)")
    if not length.isdigit():
        raise InvalidInput(f"Content-Length {length!r} is not a number of bytes", field="Content-Length")
    if int(length) > settings.max_upload_bytes:
        raise StarletteHTTPException(413, f"the upload is larger than {settings.max_upload_bytes} bytes")
    form = await request.form(max_files=1, max_fields=20, max_part_size=1024 * 1024)
    options = _options(form, settings.partition_rows)
    upload = form.get("file")
    path_text = form.get("path")
    job_id = jobs.new_job_id()
    job_dir = (settings.jobs_dir / job_id).resolve()
    if isinstance(upload, UploadFile):
        suffix = Path(upload.filename or "").suffix.lower()
        if suffix not in FORMATS:
            raise InvalidInput(
                f"file {upload.filename!r}: expected one of {', '.join(sorted(FORMATS))}", field="file"
            )
        job_dir.mkdir(parents=True, exist_ok=True)
        source = job_dir / f"input{suffix}"
        await run_in_threadpool(_save, upload, source)
    elif isinstance(path_text, str) and path_text.strip():
        source = _allowed_path(request, path_text.strip(), principal)
        job_dir.mkdir(parents=True, exist_ok=True)
    else:
        raise InvalidInput(
            "give a file to screen (multipart field 'file') or an allowed server 'path'", field="file"
        )
    caller = principal.key_prefix or f"anonymous@{principal.client}"
    engine = request.app.state.engine
    await run_in_threadpool(
        prepare_job, engine, source, job_dir / "result.parquet", options, caller=caller, job_id=job_id
    )
    with translate_errors(), engine.connect() as conn:
        job = jobs.get_job(conn, job_id)
    _service(request).submit(job_id)
    body = _job_body(job)
    return JSONResponse(body, status_code=202, headers={"Location": body["links"]["self"]})


def _save(upload: UploadFile, target: Path) -> None:
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out, 8 << 20)


@router.get(
    "/bulk-screenings/{job_id}",
    summary="A bulk screening job: status, progress, summary, links",
    responses={404: PROBLEM},
)
def get_bulk_screening(
    job_id: str, conn: ConnectionDep, _: Annotated[Principal, Depends(screen_access)]
) -> dict[str, Any]:
    """The job's status (queued, running, done, failed, cancelled), its progress in partitions and
    rows, the dataset version every row is screened against, and when done its summary (counts by
    control class, verdict and error; rows in protected zones) and result links."""
    return _job_body(jobs.get_job(conn, job_id))


@router.get(
    "/bulk-screenings/{job_id}/result",
    summary="The result file of a finished job",
    responses={
        200: {"content": {t: {} for t in outputs.MEDIA_TYPES.values()}},
        404: PROBLEM,
        409: PROBLEM,
        422: PROBLEM,
    },
)
def get_bulk_screening_result(
    job_id: str,
    conn: ConnectionDep,
    _: Annotated[Principal, Depends(screen_access)],
    format: Annotated[str | None, Query(description="parquet (default), csv, gpkg, xlsx")] = None,
) -> FileResponse:
    """The per-row answers: keyed by the input's id, location, verdict, findings, error."""
    job = jobs.get_job(conn, job_id)
    if job.status != "done":
        raise StarletteHTTPException(409, f"job {job_id} is {job.status}; the result exists once it is done")
    fmt = format or "parquet"
    outputs.check_format(fmt)
    source = Path(job.output_path)
    target = source.with_name(f"{source.stem}.download.{fmt}")
    if not target.exists():
        outputs.assemble(outputs.dataset_paths(source), target, fmt, job.summary or {"rows": job.rows_done})
    return FileResponse(target, media_type=outputs.MEDIA_TYPES[fmt], filename=f"{job_id}.{fmt}")


@router.delete(
    "/bulk-screenings/{job_id}", summary="Cancel a queued or running job", responses={404: PROBLEM}
)
def cancel_bulk_screening(
    job_id: str, conn: ConnectionDep, _: Annotated[Principal, Depends(screen_access)]
) -> dict[str, Any]:
    """Cancel a job; partitions in flight finish, no others start. A finished job is left as it is."""
    job = jobs.cancel(conn, job_id)
    conn.commit()
    return _job_body(job)
