"""Look-ups of the zoning layers: control units with their access lists, water sources."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.deps import AsOf, ConnectionDep, VersionDep, get_snapshots
from app.maps.previews import render_unit_preview, render_water_source_preview
from app.routes.locate import dataset_ref
from app.schemas import DatasetRef
from geodata import repository
from geodata.snapshots import SnapshotCache
from zoning.errors import NotFound
from zoning.vocabulary import (
    ControlClass,
    ProtectionGrade,
    RuleDimension,
    WaterSourceKind,
    WaterSourceLevel,
    WaterSourceStatus,
)

router = APIRouter(tags=["look-ups"])
PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


def _unit_summary(u: dict[str, Any]) -> dict[str, Any]:
    cls = ControlClass(u["control_class"])
    return {
        "code": u["code"],
        "name_zh": u["name_zh"],
        "name_en": u["name_en"],
        "class": cls.value,
        "class_label_zh": cls.label_zh,
        "class_label_en": cls.label_en,
        "division_code": u["division_code"],
        "area_km2": round(u["area_m2"] / 1e6, 4),
        "tags": list(u["tags"]),
    }


def _clauses(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for dimension in RuleDimension:
        clauses = [
            {
                "clause_no": r["clause_no"],
                "text_zh": r["text_zh"],
                "effect": r["effect"],
                "industry_codes": list(r["industry_codes"]),
                "conditions": r["conditions"],
            }
            for r in rules
            if r["dimension"] == dimension.value
        ]
        out.append({"dimension": dimension.value, "dimension_zh": dimension.label_zh, "clauses": clauses})
    return out


@router.get(
    "/units",
    summary="Control units of the version in force (filter by class, division)",
    responses={503: PROBLEM},
)
def list_units(
    conn: ConnectionDep,
    version: VersionDep,
    control_class: Annotated[
        ControlClass | None, Query(alias="class", description="priority | key | general")
    ] = None,
    division: Annotated[str | None, Query(pattern=r"^\d{6}$", description="county-level admin code")] = None,
) -> dict[str, Any]:
    """The 环境管控单元 of the version in force (or on `as_of`), by code, with class and area."""
    units = repository.list_units(
        conn, version.id, control_class=control_class.value if control_class else None, division_code=division
    )
    return {
        "dataset": dataset_ref(version).model_dump(mode="json"),
        "count": len(units),
        "units": [_unit_summary(u) for u in units],
    }


@router.get(
    "/units/{code}",
    summary="One control unit with its access list (生态环境准入清单)",
    responses={404: PROBLEM, 503: PROBLEM},
)
def read_unit(
    code: str,
    request: Request,
    conn: ConnectionDep,
    version: VersionDep,
    snapshots: Annotated[SnapshotCache, Depends(get_snapshots)],
    f: Annotated[
        Literal["json", "geojson", "html"],
        Query(
            description="json; geojson with the unit's geometry; html: the unit on a map beside its access list"
        ),
    ] = "json",
    as_of: AsOf = None,
) -> Response:
    """A unit's code, name, class, area, its access-list clauses in the four dimensions, and the
    city-wide general requirements (总体准入要求) that apply on top."""
    unit = repository.get_unit(conn, version.id, code)
    if f == "html":
        snapshot = snapshots.for_date(as_of or date.today())
        record = snapshot.unit(code)
        if record is None:  # the store and the snapshot disagree only while a version is swapped in
            raise NotFound(f"no control unit has code {code!r} in this dataset version", field="code")
        maps = request.app.state.settings.maps
        rules = [*snapshot.rules.get(code, ())]
        return HTMLResponse(
            render_unit_preview(
                record,
                rules,
                snapshot=snapshot,
                tile_url=maps.tile_url,
                tile_attribution=maps.tile_attribution,
            )
        )
    body = {
        **_unit_summary(unit),
        "access_list": _clauses(unit["rules"]),
        "general_requirements": _clauses(repository.list_rules(conn, version.id, None)),
        "dataset": dataset_ref(version).model_dump(mode="json"),
    }
    if f == "geojson":
        feature = {"type": "Feature", "id": unit["code"], "geometry": unit["geometry"], "properties": body}
        return JSONResponse(feature, media_type="application/geo+json")
    return JSONResponse(body)


@router.get(
    "/water-sources/{code}",
    summary="One drinking-water source with its protection zones (html: on a map)",
    responses={404: PROBLEM, 503: PROBLEM},
)
def read_water_source(
    code: str,
    request: Request,
    snapshots: Annotated[SnapshotCache, Depends(get_snapshots)],
    f: Annotated[Literal["json", "html"], Query()] = "json",
    as_of: AsOf = None,
) -> Response:
    """A 饮用水水源地: level, kind, status, river, intake, and its zones by grade."""
    snapshot = snapshots.for_date(as_of or date.today())
    source = next((s for s in snapshot.water_sources if s.code == code), None)
    if source is None:
        raise NotFound(f"no water source has code {code!r} in this dataset version", field="code")
    zones = [z for z in snapshot.water_zones.records if z.source_code == code]
    if f == "html":
        maps = request.app.state.settings.maps
        return HTMLResponse(
            render_water_source_preview(
                source,
                zones,
                intake=source.geometry,
                tile_url=maps.tile_url,
                tile_attribution=maps.tile_attribution,
            )
        )
    return JSONResponse(
        {
            "code": source.code,
            "name_zh": source.name_zh,
            "name_en": source.name_en,
            "level": source.level,
            "kind": source.kind,
            "status": source.status,
            "river_zh": source.river_zh,
            "division_code": source.division_code,
            "intake": {"lon": round(source.geometry.x, 6), "lat": round(source.geometry.y, 6)},
            "zones": [{"grade": z.grade.value, "grade_label_zh": z.grade.label_zh} for z in zones],
            "dataset": dataset_ref(snapshot.version).model_dump(mode="json"),
        }
    )


@router.get(
    "/water-sources", summary="Drinking-water sources and their protection zones", responses={503: PROBLEM}
)
def list_water_sources(conn: ConnectionDep, version: VersionDep) -> dict[str, Any]:
    """集中式饮用水水源地 of the version in force: level, kind, status, intake and zones by grade."""
    sources = []
    for s in repository.list_water_sources(conn, version.id):
        sources.append(
            {
                **{k: s[k] for k in ("code", "name_zh", "name_en", "river_zh", "division_code")},
                "level": s["level"],
                "level_label_zh": WaterSourceLevel(s["level"]).label_zh,
                "kind": s["kind"],
                "kind_label_zh": WaterSourceKind(s["kind"]).label_zh,
                "status": s["status"],
                "status_label_zh": WaterSourceStatus(s["status"]).label_zh,
                "intake": {"lon": round(s["lon"], 6), "lat": round(s["lat"], 6)},
                "zones": [{**z, "grade_label_zh": ProtectionGrade(z["grade"]).label_zh} for z in s["zones"]],
            }
        )
    return {
        "dataset": dataset_ref(version).model_dump(mode="json"),
        "count": len(sources),
        "water_sources": sources,
    }


__all__ = ["DatasetRef", "router"]
