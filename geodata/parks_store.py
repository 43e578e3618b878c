"""Store reads and writes of the industrial-park layer 开发区/工业园区 (table ``industrial_park``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import shapely
from geoalchemy2.functions import ST_AsBinary
from sqlalchemy import Connection, LargeBinary, bindparam, func, insert, select

from geodata import models as m
from zoning.crs import geodesic_area_m2
from zoning.snapshot import IndustrialParkRecord
from zoning.vocabulary import ParkLevel

COLUMNS = ("code", "name_zh", "name_en", "level", "recognised_chemical_park", "industry_codes", "unit_codes")


def insert_parks(conn: Connection, version_id: int, records: Sequence[Mapping[str, Any]]) -> None:
    """Write a version's parks (FORMAT.md keys, Shapely geometry) inside the caller's transaction."""
    if not records:
        return
    rows = []
    for r in records:
        row = {c: r.get(c) for c in COLUMNS}
        row["recognised_chemical_park"] = bool(r.get("recognised_chemical_park"))
        row["industry_codes"] = [str(c) for c in r.get("industry_codes") or []]
        row["unit_codes"] = [str(c) for c in r.get("unit_codes") or []]
        row["version_id"] = version_id
        row["area_m2"] = geodesic_area_m2(r["geometry"])
        row["wkb"] = shapely.to_wkb(r["geometry"], output_dimension=2)
        rows.append(row)
    geom = func.ST_Multi(func.ST_GeomFromWKB(bindparam("wkb", type_=LargeBinary), m.STORAGE_SRID))
    conn.execute(insert(m.industrial_park).values(geom=geom), rows)


def read_parks(conn: Connection, version_id: int) -> list[IndustrialParkRecord]:
    """The parks of a version, by code, as snapshot records."""
    p = m.industrial_park
    stmt = (
        select(
            p.c.code,
            p.c.name_zh,
            p.c.name_en,
            p.c.level,
            p.c.recognised_chemical_park,
            p.c.industry_codes,
            ST_AsBinary(p.c.geom).label("wkb"),
        )
        .where(p.c.version_id == version_id)
        .order_by(p.c.code)
    )
    return [
        IndustrialParkRecord(
            r.code,
            r.name_zh,
            r.name_en,
            ParkLevel(r.level),
            bool(r.recognised_chemical_park),
            tuple(r.industry_codes),
            shapely.from_wkb(r.wkb),
        )
        for r in conn.execute(stmt)
    ]
