"""Project siting: ``POST /v1/screenings`` and the stored, citable records ``GET /v1/screenings/{id}``.

The router is under the ``screen`` policy (``app/main.py``): whoever may screen may re-open a
record by its id, except that a record created with an API key (or a session signed in with one)
is readable only with that key and by ``admin`` keys; to anyone else it does not exist (404).
Records are answered with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from app.deps import ConnectionDep, get_snapshots
from app.errors import PROBLEM_JSON
from app.guard import body_limit
from app.maps.previews import embed_page, screening_preview_from_record
from app.pdf import screening_pdf
from app.reports import screening_html
from app.schemas_screening import ScreeningPublic, canonical_json
from app.security import PrincipalDep
from app.services import screening as screening_service
from app.services.screening import ScreeningAsk
from app.strict import StrictModel, storable_text
from geodata import repository
from geodata.snapshots import SnapshotCache
from zoning import layers
from zoning.archives import UploadLimits, check_zip_entries
from zoning.errors import InvalidInput, NotFound
from zoning.footprint import parse_footprint
from zoning.project import ProjectAttributes, ProjectNature
from zoning.screening import MAX_BUFFER_M

router = APIRouter(tags=["screenings"])
PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_JSON_BODY_BYTES = 8 * 1024 * 1024
"""A GeoJSON footprint at the vertex limit (100,000 positions of ~40 bytes) with room to spare."""
NO_STORE = {"Cache-Control": "no-store"}
"""A record may be private to its creator: no shared cache keeps it (RFC 9111 §5.2.2.5)."""
FOOTPRINT_ARCHIVE_LIMITS = UploadLimits(max_total_bytes=200 * 1024 * 1024, max_entries=50)
"""A footprint archive is a few files; a larger or bomb-like one is refused before it is read."""


class ScreeningCreate(StrictModel):
    """A siting question: a footprint, the project's industry, an optional buffer."""

    footprint: dict[str, Any] | str = Field(
        description="GeoJSON (geometry, Feature or FeatureCollection), or text: WKT/EWKT, KML, or a 界址点 "
        "boundary-point table (point number, X = northing, Y = easting)",
        examples=[{"type": "Point", "coordinates": [115.95, 28.62]}],
    )
    crs: str | None = Field(
        default=None,
        description="EPSG:4326 / OGC:CRS84 (default), EPSG:4490, EPSG:4547/4548, EPSG:4526/4527, GCJ02, BD09",
    )
    industry: str = Field(
        description="GB/T 4754-2017 code: section, division, group or class", examples=["2614"]
    )
    buffer_m: float = Field(default=0.0, ge=0, le=MAX_BUFFER_M, description="buffer around the footprint (m)")
    project_name: str = Field(default="", max_length=200)
    as_of: date | None = Field(default=None, description="screen against the version in force on this date")
    repair: bool = Field(
        default=False,
        description="true: union overlapping parts of a MultiPolygon (with a note) instead of refusing them",
    )
    project_nature: ProjectNature = Field(
        default=ProjectNature.NEW,
        description="建设性质: new 新建 | expansion 扩建 | rebuild 改建 | relocation 迁建 (水污染防治法 art. 67, "
        "the clauses' 新建、扩建)",
    )
    has_outfall: bool = Field(
        default=False, description="a wastewater outfall 排污口 to surface water (水污染防治法 art. 64)"
    )
    cannot_avoid: bool = Field(
        default=False,
        description="the project cannot avoid the zone (自然资发〔2022〕142号 一、（一）6 必须且无法避让)",
    )
    state_major_project: bool = Field(default=False, description="declared a 国家重大项目")


def _ask_and_store(
    request: Request, principal: PrincipalDep, snapshots: SnapshotCache, ask: ScreeningAsk
) -> Response:
    created = screening_service.create_screening(
        request.app.state.engine,
        snapshots,
        ask,
        caller=repository.screening_caller(principal.key_prefix, principal.client),
    )
    return Response(
        created.body,
        status_code=201,
        media_type="application/json",
        headers={"Location": created.record.links.self_, **NO_STORE},
    )


@router.post(
    "/screenings",
    status_code=201,
    summary="Screen a project footprint: verdict, findings with citations, hits per layer",
    responses={201: {"description": "the stored screening record"}, 404: PROBLEM, 422: PROBLEM, 503: PROBLEM},
    openapi_extra=body_limit(MAX_JSON_BODY_BYTES),
)
def create_screening(
    body: ScreeningCreate,
    request: Request,
    principal: PrincipalDep,
    snapshots: Annotated[SnapshotCache, Depends(get_snapshots)],
) -> Response:
    """Screen a footprint (point, line or polygon) for a project of a GB/T 4754 industry.

    The verdict is `prohibited`, `conditional` or `permitted` (subject to EIA) — the worst finding
    wins; a notice never lowers `permitted`. Findings cite 水污染防治法 arts. 64–67 for water-source
    protection zones by grade, 自然资发〔2022〕142号 for the red line, 自然保护区条例 by zone, and every
    access-list clause of the touched units and the city-wide general requirements that binds or
    needs review; `result.compliance` is the 三线一单符合性分析 table of every clause assessed. The
    project attributes (`project_nature`, `has_outfall`, `cannot_avoid`, `state_major_project`) are
    read as the law reads them; a LineString footprint is a linear project. Each layer reports `hit`
    (shares area or length), `near` (within the buffer, or only touching: 0 m), `clear` or
    `no_data`. The record is stored; its `id` can be cited and re-opened with
    `GET /v1/screenings/{id}`.
    """
    try:
        data = json.dumps(body.footprint) if isinstance(body.footprint, dict) else body.footprint
    except RecursionError:
        raise InvalidInput("The footprint is nested too deeply to read.", field="footprint") from None
    parsed = parse_footprint(
        data, filename=None, content_type=None, crs=body.crs, field="footprint", repair=body.repair
    )
    ask = ScreeningAsk(
        parsed,
        body.industry,
        body.buffer_m,
        body.project_name,
        body.crs,
        body.as_of,
        project=ProjectAttributes(
            project_nature=body.project_nature,
            has_outfall=body.has_outfall,
            cannot_avoid=body.cannot_avoid,
            state_major_project=body.state_major_project,
        ),
    )
    return _ask_and_store(request, principal, snapshots, ask)


@router.post(
    "/screenings/upload",
    status_code=201,
    summary="Screen an uploaded footprint file (zipped shapefile, GeoPackage, KML/KMZ, GeoJSON, 界址点 table)",
    responses={413: PROBLEM, 422: PROBLEM, 503: PROBLEM},
    openapi_extra=body_limit(MAX_UPLOAD_BYTES + 1024 * 1024),  # the file and the form fields
)
def create_screening_from_file(
    request: Request,
    principal: PrincipalDep,
    snapshots: Annotated[SnapshotCache, Depends(get_snapshots)],
    file: Annotated[UploadFile, File(description="the footprint file, ≤ 20 MB")],
    industry: Annotated[str, Form()],
    buffer_m: Annotated[float, Form(ge=0, le=MAX_BUFFER_M, allow_inf_nan=False)] = 0.0,
    project_name: Annotated[str, Form(max_length=200)] = "",
    crs: Annotated[str | None, Form()] = None,
    as_of: Annotated[date | None, Form()] = None,
    repair: Annotated[bool, Form(description="union overlapping parts instead of refusing them")] = False,
    project_nature: Annotated[ProjectNature, Form(description="new | expansion | rebuild | relocation")] = (
        ProjectNature.NEW
    ),
    has_outfall: Annotated[bool, Form(description="a wastewater outfall to surface water (art. 64)")] = False,
    cannot_avoid: Annotated[
        bool, Form(description="the project cannot avoid the zone (142号 一、（一）6)")
    ] = False,
    state_major_project: Annotated[bool, Form(description="declared a 国家重大项目")] = False,
) -> Response:
    """The same screening as `POST /v1/screenings`, with the footprint as an uploaded file."""
    for name, value in (("industry", industry), ("project_name", project_name), ("crs", crs)):
        storable_text(value, name)
    data = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB", field="file")
    if data[:4] == b"PK\x03\x04":  # a zip (shapefile set, KMZ): check its directory before reading it
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                check_zip_entries(archive, FOOTPRINT_ARCHIVE_LIMITS, file.filename or "file")
        except zipfile.BadZipFile as exc:
            raise InvalidInput(f"the zip archive cannot be read: {exc}", field="file") from exc
    parsed = parse_footprint(
        data, filename=file.filename, content_type=file.content_type, crs=crs, field="file", repair=repair
    )
    return _ask_and_store(
        request,
        principal,
        snapshots,
        ScreeningAsk(
            parsed,
            industry,
            buffer_m,
            project_name,
            crs,
            as_of,
            project=ProjectAttributes(
                project_nature=project_nature,
                has_outfall=has_outfall,
                cannot_avoid=cannot_avoid,
                state_major_project=state_major_project,
            ),
        ),
    )


def _touched(record: ScreeningPublic) -> dict[str, dict[str, dict[str, Any]]]:
    """The record's features of every screened areal layer, by dataset key and feature key
    (the layer's key fields joined with a space: units by code, zones by "code grade")."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for spec in layers.screened():
        result = record.result.layers.get(spec.name)
        if spec.geometry_type == "Point" or result is None:
            continue
        out[spec.dataset_key] = {" ".join(str(f[k]) for k in spec.key): f for f in result.features}
    return out


def _geometries(conn: Any, record: ScreeningPublic) -> dict[str, dict[str, Any]]:
    """GeoJSON geometries of the touched features, from the version the screening used."""
    label = record.result.dataset.label
    return {
        layer: repository.feature_geometries(conn, label, layer, list(items)) if items else {}
        for layer, items in _touched(record).items()
    }


def _compliance_counts(record: ScreeningPublic) -> dict[str, int] | None:
    """Rows of the 三线一单符合性分析 table per assessment (non_compliant, needs_review, compliant,
    not_applicable); None for a record made before the table existed (not assessed, not zero)."""
    if record.result.compliance is None:
        return None
    counts = dict.fromkeys(("non_compliant", "needs_review", "compliant", "not_applicable"), 0)
    for row in record.result.compliance:
        counts[row.assessment] += 1
    return counts


def _geojson(record: ScreeningPublic, geometries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    result = record.result
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": record.footprint,
            "properties": {
                "role": "footprint",
                "screening_id": record.id,
                "verdict": result.verdict,
                "project_name": result.project_name,
                "industry": result.industry.code,
                "compliance_counts": _compliance_counts(record),
            },
        }
    ]
    for layer, items in _touched(record).items():
        role = layers.by_dataset_key(layer).role
        for key, geometry in sorted(geometries[layer].items()):
            features.append(
                {"type": "Feature", "geometry": geometry, "properties": {"role": role, **items[key]}}
            )
    return {
        "type": "FeatureCollection",
        "features": features,
        "properties": {"screening_id": record.id, "dataset": result.dataset.model_dump(mode="json")},
    }


@router.get(
    "/screenings/{screening_id}",
    summary="A stored screening, as JSON, GeoJSON, an HTML report or a PDF report",
    responses={
        200: {
            "content": {
                "application/json": {},
                "application/geo+json": {},
                "text/html": {},
                "application/pdf": {},
            }
        },
        404: PROBLEM,
        503: PROBLEM,
    },
)
def read_screening(
    screening_id: str,
    request: Request,
    conn: ConnectionDep,
    principal: PrincipalDep,
    f: Annotated[Literal["json", "geojson", "html", "pdf"], Query(description="output format")] = "json",
) -> Response:
    """Re-open a screening by its id: the JSON is byte-identical to the answer first given.

    `f=pdf` gives the report a reviewer files: id, dataset version and checksum, time, the verdict,
    a map, every finding with its citation, and the caveat that the zoning is a reconstruction.
    A record created with a key is readable with that key (or a session signed in with it) and by
    `admin` keys only; to others it is 404.
    """
    owner = repository.screening_owner_key(conn, screening_id)
    if owner is not None and owner != principal.key_prefix and not principal.has("admin"):
        raise NotFound(f"no screening has id {screening_id!r}", field="screening_id")
    record = ScreeningPublic.model_validate(repository.get_screening(conn, screening_id))
    if f == "json":
        return Response(record.to_json_bytes(), media_type="application/json", headers=NO_STORE)
    geometries = _geometries(conn, record)
    if f == "geojson":
        return Response(
            canonical_json(_geojson(record, geometries)), media_type="application/geo+json", headers=NO_STORE
        )
    if f == "pdf":
        pdf = screening_pdf(record, _geojson(record, geometries)["features"])
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{screening_id}.pdf"', **NO_STORE},
        )
    maps = request.app.state.settings.maps
    preview = screening_preview_from_record(
        record, geometries, tile_url=maps.tile_url, tile_attribution=maps.tile_attribution
    )
    return HTMLResponse(
        screening_html(record, map_html=embed_page(preview, title=record.id)), headers=NO_STORE
    )
