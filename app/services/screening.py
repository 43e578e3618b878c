"""The screening use case: resolve the snapshot, screen, record, store.

``create_screening`` is what ``POST /v1/screenings`` and ``POST /v1/screenings/upload`` call after
parsing the footprint; the routes only parse and render. The domain work is
``zoning.screening.screen``; the record is the wire schema ``ScreeningPublic``.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from shapely.geometry import mapping
from sqlalchemy import Engine

from app.schemas_screening import ScreeningPublic
from geodata import repository
from geodata.database import translate_errors
from geodata.snapshots import SnapshotCache
from zoning.footprint import ParsedFootprint, check_inside
from zoning.project import ProjectAttributes
from zoning.screening import ScreeningRequest, screen
from zoning.screening_result import ScreeningResult

RECONSTRUCTION_CAVEAT = (
    "本筛查所用分区数据为基于真实行政边界的重建数据，非官方《南昌市“三线一单”生态环境分区管控方案》矢量成果；"
    "结论仅供预判，以生态环境主管部门意见为准。 The zoning used is a reconstruction on real boundaries, not the "
    "official geometry; the result is a preliminary screening, the authority's opinion prevails."
)


@dataclass(frozen=True)
class ScreeningAsk:
    """A parsed screening request as the routes hand it over."""

    footprint: ParsedFootprint
    industry_code: str
    buffer_m: float = 0.0
    project_name: str = ""
    crs: str | None = None
    as_of: date | None = None
    project: ProjectAttributes = field(default_factory=ProjectAttributes)
    """The applicant's declarations (``is_linear`` is read from the footprint by ``screen``)."""


def new_screening_id(now: datetime) -> str:
    """SCR-YYYYMMDD-XXXXXXXX: the date and 40 random bits in base32."""
    token = base64.b32encode(secrets.token_bytes(5)).decode()
    return f"SCR-{now:%Y%m%d}-{token}"


def _record(ask: ScreeningAsk, result: ScreeningResult, screening_id: str, now: datetime) -> dict[str, Any]:
    parsed = ask.footprint
    return {
        "id": screening_id,
        "created_at": now.isoformat(timespec="milliseconds"),
        "request": {
            "project_name": ask.project_name,
            "industry": ask.industry_code,
            "buffer_m": ask.buffer_m,
            "crs": ask.crs,
            "crs_used": parsed.crs_used.name,
            "as_of": ask.as_of.isoformat() if ask.as_of else None,
            "project_nature": ask.project.project_nature.value,
            "has_outfall": ask.project.has_outfall,
            "cannot_avoid": ask.project.cannot_avoid,
            "state_major_project": ask.project.state_major_project,
            "footprint_format": parsed.source_format,
            "notes": parsed.notes,
        },
        "footprint": json.loads(json.dumps(mapping(parsed.geometry))),
        "result": result.to_dict(),
        "caveat": RECONSTRUCTION_CAVEAT if result.dataset.reconstruction else None,
        "links": {
            "self": f"/v1/screenings/{screening_id}",
            "html": f"/v1/screenings/{screening_id}?f=html",
            "geojson": f"/v1/screenings/{screening_id}?f=geojson",
            "pdf": f"/v1/screenings/{screening_id}?f=pdf",
        },
    }


@dataclass(frozen=True)
class CreatedScreening:
    """A stored screening record and its JSON, serialised once: what was stored is what is answered."""

    record: ScreeningPublic
    body: bytes
    """``record.to_json_bytes()``"""


def create_screening(
    engine: Engine, snapshots: SnapshotCache, ask: ScreeningAsk, *, caller: str | None
) -> CreatedScreening:
    """Screen a parsed footprint against the version in force (or on ``as_of``), store the record.

    Raises the domain errors of the steps: an unknown industry (``industry``), a footprint outside
    the city (``footprint``), no version in force / on the date.
    """
    snapshot = snapshots.current() if ask.as_of is None else snapshots.for_date(ask.as_of)
    catalogue = snapshots.catalogue()
    industry = catalogue.resolve(ask.industry_code, field="industry")
    check_inside(ask.footprint.geometry, snapshot.city, field="footprint")
    request = ScreeningRequest(
        ask.footprint.geometry,
        industry,
        buffer_m=ask.buffer_m,
        project_name=ask.project_name,
        project=ask.project,
    )
    result = screen(snapshot, request, catalogue)
    now = datetime.now(UTC)
    record = _record(ask, result, new_screening_id(now), now)
    public = ScreeningPublic.model_validate(record)
    dumped, body = public.serialised()
    with translate_errors(), engine.begin() as conn:
        repository.insert_screening(
            conn,
            dumped,
            answered=body,
            version_id=snapshot.version.id,
            dataset_checksum=snapshot.version.checksum,
            footprint=ask.footprint.geometry,
            caller=caller,
        )
    return CreatedScreening(public, body)
