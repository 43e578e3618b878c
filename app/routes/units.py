"""Look-ups of the zoning layers: control units with their access lists, water sources."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from app.deps import ConnectionDep, VersionDep
from app.routes.locate import dataset_ref
from app.schemas import DatasetRef
from geodata import repository
from zoning.vocabulary import (
    ControlClass,
    ProtectionGrade,
    RuleDimension,
    WaterSourceKind,
    WaterSourceLevel,
    WaterSourceStatus,
)

router = APIRouter(tags=["look-ups"])
PROBLEM = {"content": {"application/problem+json": {}}}


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
    conn: ConnectionDep,
    version: VersionDep,
    f: Annotated[
        Literal["json", "geojson"], Query(description="json, or geojson with the unit's geometry")
    ] = "json",
) -> JSONResponse:
    """A unit's code, name, class, area, its access-list clauses in the four dimensions, and the
    city-wide general requirements (总体准入要求) that apply on top."""
    unit = repository.get_unit(conn, version.id, code)
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
