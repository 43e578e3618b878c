"""Monitoring points: ``GET /v1/monitoring-points`` (kind, level, bbox, paging)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from app.deps import ConnectionDep, VersionDep
from app.routes.locate import dataset_ref
from geodata import repository
from zoning.errors import InvalidInput
from zoning.vocabulary import MonitoringKind, MonitoringLevel

router = APIRouter(tags=["look-ups"])
MAX_LIMIT = 1000


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise InvalidInput(
            f"bbox={text!r}: four numbers minlon,minlat,maxlon,maxlat expected", field="bbox"
        ) from None
    if len(values) != 4:
        raise InvalidInput(f"bbox={text!r}: four numbers expected, got {len(values)}", field="bbox")
    minx, miny, maxx, maxy = values
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise InvalidInput(f"bbox={text!r}: not minlon<maxlon, minlat<maxlat in degrees", field="bbox")
    return minx, miny, maxx, maxy


@router.get("/monitoring-points", summary="Monitoring points by kind, level and bbox, paged")
def list_monitoring_points(
    request: Request,
    conn: ConnectionDep,
    version: VersionDep,
    kind: MonitoringKind | None = None,
    level: MonitoringLevel | None = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat (EPSG:4490)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """监测点位 of the version in force: surface water, air, groundwater, rural non-point, noise."""
    total, rows = repository.list_monitoring_points(
        conn,
        version.id,
        kind=kind.value if kind else None,
        level=level.value if level else None,
        bbox=_bbox(bbox),
        limit=limit,
        offset=offset,
    )
    points = [
        {
            **{
                k: r[k]
                for k in ("code", "name_zh", "kind", "level", "subtype", "division_code", "attributes")
            },
            "kind_label_zh": MonitoringKind(r["kind"]).label_zh,
            "level_label_zh": MonitoringLevel(r["level"]).label_zh,
            "lon": round(r["lon"], 6),
            "lat": round(r["lat"], 6),
        }
        for r in rows
    ]
    links = []
    if offset + len(points) < total:
        links.append({"rel": "next", "href": str(request.url.include_query_params(offset=offset + limit))})
    if offset > 0:
        links.append(
            {"rel": "prev", "href": str(request.url.include_query_params(offset=max(0, offset - limit)))}
        )
    return {
        "dataset": dataset_ref(version).model_dump(mode="json"),
        "total": total,
        "limit": limit,
        "offset": offset,
        "count": len(points),
        "links": links,
        "monitoring_points": points,
    }
