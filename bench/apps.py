"""The app as served in the benchmarks, plus a comparison endpoint that asks PostGIS per request.

`/bench/locate-postgis` answers the same question as `GET /v1/locate` (unit, division, water
zones, red line, reserve zones, nearest monitoring point of each kind) with SQL per request, the
way a service without the in-memory snapshot would. It exists only here, never in the product.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI
from sqlalchemy import Connection, text

from app.deps import get_connection
from app.main import create_app

LOCATE_SQL = text(
    """
    WITH v AS (SELECT id FROM dataset_version WHERE status <> 'draft' AND effective_from <= current_date
               AND (effective_to IS NULL OR effective_to > current_date)),
         p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) AS g)
    SELECT
      (SELECT json_build_object('code', code, 'name_zh', name_zh, 'class', class) FROM control_unit, v, p
        WHERE version_id = v.id AND ST_Covers(geom, p.g) ORDER BY code LIMIT 1) AS unit,
      (SELECT code FROM admin_division, v, p WHERE version_id = v.id AND level IN ('district', 'county')
        AND ST_Covers(geom, p.g) ORDER BY code LIMIT 1) AS division,
      (SELECT coalesce(json_agg(json_build_object('source_code', source_code, 'grade', grade)), '[]')
        FROM water_protection_zone, v, p WHERE version_id = v.id AND ST_Covers(geom, p.g)) AS water_zones,
      (SELECT coalesce(json_agg(code), '[]') FROM ecological_redline, v, p
        WHERE version_id = v.id AND ST_Covers(geom, p.g)) AS redlines,
      (SELECT coalesce(json_agg(json_build_object('reserve_code', reserve_code, 'zone', zone)), '[]')
        FROM nature_reserve_zone, v, p WHERE version_id = v.id AND ST_Covers(geom, p.g)) AS reserves,
      (SELECT json_object_agg(kind, json_build_object('code', code, 'distance_m', d)) FROM (
         SELECT DISTINCT ON (kind) kind, code,
                round(ST_Distance(ST_Transform(geom, 4548), ST_Transform(p.g, 4548))::numeric, 1) AS d
         FROM monitoring_point, v, p WHERE version_id = v.id
         ORDER BY kind, ST_Transform(geom, 4548) <-> ST_Transform(p.g, 4548)) n) AS nearest
    """
)


def create_bench_app() -> FastAPI:
    app = create_app()

    @app.get("/bench/locate-postgis")
    def locate_postgis(
        lon: float, lat: float, conn: Annotated[Connection, Depends(get_connection)]
    ) -> dict[str, Any]:
        row = conn.execute(LOCATE_SQL, {"lon": lon, "lat": lat}).one()
        return dict(row._mapping)

    return app
