"""Dataset administration: import (upload), publish, diff and export of dataset versions.

``router`` (import, publish) is under the ``admin`` policy (refusals audited by :mod:`app.security`);
``reads`` (diff, export) under the ``read`` policy, with drafts for ``admin`` keys only, as they are
not public until published. Both policies are declared in ``app/main.py``.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine

from app.deps import ConnectionDep, get_engine
from app.guard import body_limit
from app.security import AdminDep, Principal, PrincipalDep, require_admin
from app.strict import StrictModel, storable_text
from geodata import export, importer, publishing, repository
from zoning.errors import InvalidInput

router = APIRouter(tags=["dataset administration"])
reads = APIRouter(tags=["dataset administration"])

PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"content": {"application/problem+json": {}}} for code in (401, 403, 404, 409, 422, 503)
}

UPLOAD_CHUNK = 1 << 20


def _actor(principal: Principal) -> str:
    return f"key:{principal.key_prefix} ({principal.name})"


class DatasetImported(BaseModel):
    """A draft made by an upload, with the validation report it passed (warnings, repairs, figures)."""

    label: str
    version_id: int
    status: Literal["draft"] = "draft"
    checksum: str
    report: dict[str, Any]


class PublishRequest(StrictModel):
    """Body of a publish; an unknown field is refused (422 naming it), never ignored."""

    effective_from: date = Field(
        description="The date the version comes into force (YYYY-MM-DD): after the date the version "
        "in force took effect, and at most `ZONING_PUBLISH_HORIZON_DAYS` (default 366) ahead.",
        examples=["2025-01-01"],
    )


class DatasetPublished(BaseModel):
    label: str
    status: Literal["published", "scheduled"] = Field(
        description="`scheduled` when the date is still ahead: the version in force keeps answering "
        "until then, and the publish can be cancelled."
    )
    effective_from: date
    superseded: dict[str, Any] | None = Field(
        description="The version that was in force until then and its effective date, if any."
    )


class DatasetUnpublished(BaseModel):
    label: str
    status: Literal["draft"]
    cancelled_effective_from: date = Field(description="The date the cancelled publish was set for.")
    in_force: str | None = Field(description="The version that stays in force, open-ended.")


def _save_upload(upload: UploadFile, folder: Path, limits: importer.UploadLimits) -> Path:
    """Copy an upload to disk, refusing it once it is larger than the bundle limit."""
    name = Path(upload.filename or "bundle.zip").name
    suffix = Path(name).suffix.lower()
    if suffix not in (".zip", ".gpkg", ".geojson", ".json"):
        raise InvalidInput(
            f"upload {name!r}: send the bundle as a .zip, or one .gpkg or .geojson file", field="file"
        )
    path = folder / f"bundle{suffix}"
    written = 0
    with open(path, "wb") as out:
        while chunk := upload.file.read(UPLOAD_CHUNK):
            written += len(chunk)
            if written > limits.max_total_bytes:
                raise InvalidInput(f"upload larger than {limits.max_total_bytes} bytes", field="file")
            out.write(chunk)
    return path


@router.post(
    "/datasets",
    status_code=201,
    response_model=DatasetImported,
    summary="Import a zipped bundle as a draft version (admin)",
    responses=PROBLEMS,
    # the bundle, the optional mapping file (≤ 1 MiB) and the form fields
    openapi_extra=body_limit(importer.UploadLimits().max_total_bytes + 2 * 1024 * 1024),
)
def create_dataset(
    principal: AdminDep,
    engine: Annotated[Engine, Depends(get_engine)],
    file: Annotated[
        UploadFile,
        File(
            description="The bundle: a .zip of shapefile sets, a GeoPackage or GeoJSON files; or one bare "
            ".gpkg or .geojson file. The control-unit layer is found by name or by its HJZHGKDYBM field."
        ),
    ],
    label: Annotated[
        str | None, Form(description="Label of the new version; default import-YYYYMMDD-HHMMSS.")
    ] = None,
    crs: Annotated[str | None, Form(description="CRS of layers that declare none, e.g. EPSG:4527.")] = None,
    repair: Annotated[
        bool, Form(description="Repair invalid geometries (make_valid), reporting each.")
    ] = False,
    mapping: Annotated[
        UploadFile | None, File(description="Optional JSON mapping of layer/field names.")
    ] = None,
) -> DatasetImported:
    """Validate the bundle and write it, whole, as a **draft**: nothing changes for readers until
    it is published. A refused bundle answers 422 `invalid_input` with the validation `report`
    (each error naming layer, feature, code and location); it writes nothing but an audit event.
    Archives are checked for size, entry count, compression ratio and path traversal; no URL is
    ever fetched."""
    storable_text(label, "label")
    storable_text(crs, "crs")
    limits = importer.UploadLimits()
    folder = Path(tempfile.mkdtemp(prefix="zoning-upload-"))
    try:
        bundle = _save_upload(file, folder, limits)
        mapping_path = None
        if mapping is not None:
            mapping_path = folder / "mapping.json"
            mapping_path.write_bytes(mapping.file.read(1 << 20))
        result = importer.import_bundle(
            engine,
            [bundle],
            label=label,
            crs=crs,
            mapping=mapping_path,
            repair=repair,
            actor=_actor(principal),
            limits=limits,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return DatasetImported(
        label=result.label,
        version_id=result.version_id,
        checksum=result.checksum,
        report=result.report.to_dict(),
    )


@router.post(
    "/datasets/{label}/publish",
    response_model=DatasetPublished,
    summary="Put a draft version in force from a date (admin)",
    responses=PROBLEMS,
)
def publish_dataset(
    label: str,
    body: PublishRequest,
    request: Request,
    principal: AdminDep,
    engine: Annotated[Engine, Depends(get_engine)],
) -> DatasetPublished:
    """Publish a draft from `effective_from`; the version in force is superseded that day.

    Refused (422, field `effective_from`): a date on or before the effective date of the version
    in force (back-dating would change which version answered past requests), a date more than
    `ZONING_PUBLISH_HORIZON_DAYS` ahead, or any date while another publish is scheduled. A later
    date is **scheduled**: the version in force keeps its status and keeps answering until the date
    arrives; running services swap to the new version at their first snapshot check on that day
    (`ZONING_SNAPSHOT_CHECK_INTERVAL_S`), atomically. Cancel a scheduled publish with
    `POST /v1/datasets/{label}/unpublish`."""
    result = publishing.publish(
        engine,
        label,
        body.effective_from,
        actor=_actor(principal),
        horizon_days=request.app.state.settings.service.publish_horizon_days,
    )
    return DatasetPublished(**result)


@router.post(
    "/datasets/{label}/unpublish",
    response_model=DatasetUnpublished,
    summary="Cancel a scheduled publish; the version becomes a draft again (admin)",
    responses=PROBLEMS,
)
def unpublish_dataset(
    label: str, principal: AdminDep, engine: Annotated[Engine, Depends(get_engine)]
) -> DatasetUnpublished:
    """Cancel the publish of `label` whose date has not arrived: it becomes a draft again and the
    version in force stays in force, open-ended. A version in force or superseded has answered
    requests and cannot be unpublished (422, field `label`). Audited, refusals included."""
    return DatasetUnpublished(**publishing.unpublish(engine, label, actor=_actor(principal)))


def _visible(request: Request, principal: Principal, conn: Connection, *labels: str) -> None:
    """Drafts are for administrators; published versions follow the read policy (of the router)."""
    if any(repository.version_by_label(conn, lbl).status == "draft" for lbl in labels):
        require_admin(request, principal)


@reads.get(
    "/datasets/{a}/diff/{b}",
    summary="What changed between two versions",
    responses={**PROBLEMS, 200: {"content": {"application/json": {}, "application/geo+json": {}}}},
)
def diff_datasets(
    a: str,
    b: str,
    request: Request,
    principal: PrincipalDep,
    conn: ConnectionDep,
    f: Annotated[
        Literal["json", "geojson"],
        Query(description="json: the changes; geojson: the changed units for a map."),
    ] = "json",
) -> Response:
    """Units added, removed, reclassified, reshaped (area change in m² and %, geodesic) and
    renamed, and access-list clauses added, removed or changed, from version `a` to version `b`.
    `f=geojson` gives the changed units' geometries (EPSG:4326/CGCS2000 lon/lat) for a map."""
    _visible(request, principal, conn, a, b)
    if f == "geojson":
        return JSONResponse(export.diff_geojson(conn, a, b), media_type="application/geo+json")
    return JSONResponse(export.diff_versions(conn, a, b))


@reads.get(
    "/datasets/{label}/export",
    summary="A version as a zipped bundle: GeoPackage, GeoJSON or shapefile",
    responses={**PROBLEMS, 200: {"content": {"application/zip": {}}}},
)
def export_dataset(
    label: str,
    request: Request,
    principal: PrincipalDep,
    conn: ConnectionDep,
    format: Literal["gpkg", "geojson", "shp"] = "gpkg",
    crs: str | None = None,
) -> Response:
    """The version as an import bundle (`.zip`): every layer with the standard 三线一单 field names
    (`HJZHGKDYBM`, `HJZHGKDYMC`, `ZHGKDYFL` …), `access_rules.json` and `version.json`. Shapefiles
    carry GBK attribute tables declared by a `.cpg`; `crs` (e.g. `EPSG:4527`) reprojects."""
    _visible(request, principal, conn, label)
    data = export.export_version(conn, label, format, crs=crs)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{label}-{format}.zip"'},
    )
