"""Reading and writing dataset versions in PostGIS.

A version is written whole inside the caller's transaction (``insert_version``) and read whole into
an immutable ``ZoningSnapshot`` (``read_snapshot``). Which version is in force on a date is the
published (or superseded) version whose effective range holds that date; the schema's exclusion
constraint guarantees there is at most one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from importlib.resources import files
from typing import Any

import shapely
from geoalchemy2.functions import ST_AsBinary
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, LargeBinary, String, and_, bindparam, func, insert, or_, select, update

from geodata import models as m
from geodata import parks_store
from zoning import layers as zoning_layers
from zoning.crs import geodesic_area_m2
from zoning.errors import NotFound, NoVersionInForce, NoVersionOnDate
from zoning.snapshot import (
    DivisionRecord,
    MonitoringPointRecord,
    RedlineRecord,
    ReserveZoneRecord,
    RuleRecord,
    UnitRecord,
    VersionInfo,
    WaterSourceRecord,
    WaterZoneRecord,
    ZoningSnapshot,
)
from zoning.vocabulary import (
    ControlClass,
    MonitoringKind,
    ProtectionGrade,
    RedlineKind,
    ReserveZoneKind,
    RuleDimension,
    RuleEffect,
    VersionStatus,
)

# --------------------------------------------------------------------------------------- writing


@dataclass
class DatasetLayers:
    """One version's records as plain dicts with Shapely geometries under ``geometry``.

    Keys follow ``geodata/nanchang/FORMAT.md``; ``rules`` and ``industries`` carry no geometry.
    """

    divisions: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    water_sources: list[dict[str, Any]] = field(default_factory=list)
    water_zones: list[dict[str, Any]] = field(default_factory=list)
    redlines: list[dict[str, Any]] = field(default_factory=list)
    reserve_zones: list[dict[str, Any]] = field(default_factory=list)
    monitoring_points: list[dict[str, Any]] = field(default_factory=list)
    industrial_parks: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in self.__dataclass_fields__}


_LAYER_KEYS: dict[str, tuple[str, ...]] = {
    "divisions": ("code",),
    "units": ("code",),
    "rules": ("unit_code", "dimension", "clause_no"),
    "water_sources": ("code",),
    "water_zones": ("source_code", "grade"),
    "redlines": ("code",),
    "reserve_zones": ("reserve_code", "zone"),
    "monitoring_points": ("code",),
    "industrial_parks": ("code",),
}
_OPTIONAL_LAYERS = {"industrial_parks"}
"""Layers added after versions were first stored: an empty one leaves the checksum as it was."""


def content_checksum(layers: DatasetLayers) -> str:
    """sha256 of a canonical form of a version's content, independent of file format and order.

    Records are sorted by their key; geometries are written as WKB hex after snapping to a 1e-7°
    grid (≈ 1 cm), so the same zoning imported from a shapefile or a GeoJSON gets the same sum.
    """
    digest = hashlib.sha256()
    for name, key in _LAYER_KEYS.items():
        records = sorted(getattr(layers, name), key=lambda r: tuple(str(r.get(k)) for k in key))
        if name in _OPTIONAL_LAYERS and not records:
            continue
        digest.update(name.encode())
        for record in records:
            canonical = {k: v for k, v in record.items() if k != "geometry"}
            if "geometry" in record:
                snapped = shapely.set_precision(record["geometry"], 1e-7)
                canonical["geometry"] = shapely.to_wkb(snapped, hex=True, output_dimension=2)
            digest.update(json.dumps(canonical, ensure_ascii=False, sort_keys=True, default=str).encode())
            digest.update(b"\n")
    return digest.hexdigest()


def _geom_param(name: str = "wkb") -> Any:
    return func.ST_GeomFromWKB(bindparam(name, type_=LargeBinary), m.STORAGE_SRID)


def _multi(name: str = "wkb") -> Any:
    return func.ST_Multi(_geom_param(name))


def _wkb(geometry: BaseGeometry) -> bytes:
    return shapely.to_wkb(geometry, output_dimension=2)


def insert_version(
    conn: Connection,
    meta: Mapping[str, Any],
    layers: DatasetLayers,
    *,
    created_by: str,
) -> int:
    """Write a whole version as a draft inside the caller's transaction; return its id."""
    checksum = content_checksum(layers)
    version_id = conn.execute(
        insert(m.dataset_version)
        .values(
            label=meta["label"],
            title_zh=meta["title_zh"],
            title_en=meta["title_en"],
            document_no=meta.get("document_no"),
            status=VersionStatus.DRAFT.value,
            source=meta["source"],
            provenance=dict(meta.get("provenance") or {}),
            reconstruction=bool(meta.get("reconstruction", False)),
            checksum=checksum,
            created_at=datetime.now(UTC),
            created_by=created_by,
        )
        .returning(m.dataset_version.c.id)
    ).scalar_one()

    def rows(records: Iterable[Mapping[str, Any]], columns: Sequence[str], area: bool = False) -> list[dict]:
        out = []
        for r in records:
            row = {c: r.get(c) for c in columns}
            row["version_id"] = version_id
            if "geometry" in r:
                row["wkb"] = _wkb(r["geometry"])
                if area:
                    row["area_m2"] = geodesic_area_m2(r["geometry"])
            out.append(row)
        return out

    def put(table: Any, records: list[dict], geom_column: str | None, multi: bool = True) -> None:
        if not records:
            return
        stmt = insert(table)
        if geom_column is not None:
            stmt = stmt.values({geom_column: _multi() if multi else _geom_param()})
        conn.execute(stmt, records)

    put(
        m.admin_division,
        rows(layers.divisions, ("code", "name_zh", "name_en", "level", "parent_code")),
        "geom",
    )
    unit_rows = rows(layers.units, ("code", "name_zh", "name_en", "division_code", "tags"), area=True)
    for row, unit in zip(unit_rows, layers.units, strict=True):
        row["control_class"] = unit["class"]
        row["tags"] = list(unit.get("tags") or [])
    put(m.control_unit, unit_rows, "geom")
    rule_rows = rows(
        layers.rules,
        ("unit_code", "dimension", "clause_no", "text_zh", "effect", "industry_codes", "conditions"),
    )
    for row in rule_rows:
        row["industry_codes"] = list(row["industry_codes"] or [])
        row["conditions"] = dict(row["conditions"] or {})
    put(m.access_rule, rule_rows, None)
    put(
        m.water_source,
        rows(
            layers.water_sources,
            ("code", "name_zh", "name_en", "level", "kind", "status", "river_zh", "division_code"),
        ),
        "intake",
        multi=False,
    )
    put(m.water_protection_zone, rows(layers.water_zones, ("source_code", "grade"), area=True), "geom")
    put(m.ecological_redline, rows(layers.redlines, ("code", "name_zh", "kind"), area=True), "geom")
    put(
        m.nature_reserve_zone,
        rows(
            layers.reserve_zones,
            ("reserve_code", "reserve_name_zh", "reserve_name_en", "reserve_level", "zone"),
            area=True,
        ),
        "geom",
    )
    point_rows = rows(
        layers.monitoring_points,
        ("code", "name_zh", "kind", "level", "subtype", "division_code", "attributes"),
    )
    for row in point_rows:
        row["attributes"] = dict(row["attributes"] or {})
    put(m.monitoring_point, point_rows, "geom", multi=False)
    parks_store.insert_parks(conn, version_id, layers.industrial_parks)
    return int(version_id)


def publish_version(
    conn: Connection, version_id: int, effective_from: date, *, today: date | None = None
) -> None:
    """Put a draft in force from a date; the version in force then stops being in force that day.

    The version in force gets ``effective_to`` at once (the ranges say which version answers on
    any date), but keeps its ``published`` status until the date arrives: a publish scheduled for
    a later day never relabels the version in force early (:func:`settle_statuses` relabels it
    when the day comes). Runs inside the caller's transaction; the exclusion constraint refuses
    any overlap left.
    """
    t = m.dataset_version
    today = today or date.today()
    current = conn.execute(
        select(t.c.id).where(t.c.status == VersionStatus.PUBLISHED.value, t.c.effective_to.is_(None))
    ).first()
    if current is not None and current.id != version_id:
        values: dict[str, Any] = {"effective_to": effective_from}
        if effective_from <= today:
            values["status"] = VersionStatus.SUPERSEDED.value
        conn.execute(update(t).where(t.c.id == current.id).values(**values))
    conn.execute(
        update(t)
        .where(t.c.id == version_id)
        .values(
            status=VersionStatus.PUBLISHED.value,
            effective_from=effective_from,
            published_at=datetime.now(UTC),
        )
    )


def settle_statuses(conn: Connection, today: date) -> int:
    """Relabel ``superseded`` the published versions whose effective range ended by ``today``."""
    t = m.dataset_version
    result = conn.execute(
        update(t)
        .where(
            t.c.status == VersionStatus.PUBLISHED.value,
            t.c.effective_to.is_not(None),
            t.c.effective_to <= today,
        )
        .values(status=VersionStatus.SUPERSEDED.value)
    )
    return int(result.rowcount or 0)


def unschedule_version(conn: Connection, version_id: int, effective_from: date) -> str | None:
    """Turn a scheduled version back into a draft and give its predecessor back its open end.

    Returns the label of the version that stays in force (None when there was none).
    """
    t = m.dataset_version
    conn.execute(
        update(t)
        .where(t.c.id == version_id)
        .values(status=VersionStatus.DRAFT.value, effective_from=None, published_at=None)
    )
    restored = conn.execute(
        update(t)
        .where(t.c.status == VersionStatus.PUBLISHED.value, t.c.effective_to == effective_from)
        .values(effective_to=None)
        .returning(t.c.label)
    ).first()
    return restored.label if restored is not None else None


def status_on(status: str, effective_from: date | None, effective_to: date | None, today: date) -> str:
    """A version's status as of ``today``: ``scheduled`` until its date arrives, ``superseded``
    from the day its successor takes over (stored statuses catch up at the next publish)."""
    if status == VersionStatus.DRAFT.value or effective_from is None:
        return status
    if effective_to is not None and effective_to <= today:
        return VersionStatus.SUPERSEDED.value
    if effective_from > today:
        return "scheduled"
    return VersionStatus.PUBLISHED.value


# --------------------------------------------------------------------------------------- reading


def _version_info(row: Any) -> VersionInfo:
    return VersionInfo(
        id=row.id,
        label=row.label,
        title_zh=row.title_zh,
        title_en=row.title_en,
        status=status_on(row.status, row.effective_from, row.effective_to, date.today()),
        effective_from=row.effective_from,
        effective_to=row.effective_to,
        checksum=row.checksum,
        reconstruction=row.reconstruction,
    )


_VERSION_COLUMNS = (
    m.dataset_version.c.id,
    m.dataset_version.c.label,
    m.dataset_version.c.title_zh,
    m.dataset_version.c.title_en,
    m.dataset_version.c.status,
    m.dataset_version.c.effective_from,
    m.dataset_version.c.effective_to,
    m.dataset_version.c.checksum,
    m.dataset_version.c.reconstruction,
)


def list_versions(conn: Connection, today: date | None = None) -> list[dict[str, Any]]:
    """Every version, newest effective first, drafts last; ``status`` as of ``today`` (a
    scheduled publish reads ``scheduled``, see :func:`status_on`)."""
    t = m.dataset_version
    today = today or date.today()
    result = conn.execute(
        select(
            *_VERSION_COLUMNS, t.c.document_no, t.c.source, t.c.provenance, t.c.created_at, t.c.published_at
        ).order_by(t.c.effective_from.desc().nulls_last(), t.c.id.desc())
    )
    rows = [dict(row._mapping) for row in result]
    for row in rows:
        row["status"] = status_on(row["status"], row["effective_from"], row["effective_to"], today)
    return rows


def version_in_force(conn: Connection, on: date, *, asked: bool = False) -> VersionInfo:
    """The version in force on a date.

    When none is, raises NoVersionOnDate (404) if the caller asked for that date (``asked``), else
    NoVersionInForce (503: the service has nothing to answer from today).
    """
    t = m.dataset_version
    row = conn.execute(
        select(*_VERSION_COLUMNS).where(
            t.c.status != VersionStatus.DRAFT.value,
            t.c.effective_from <= on,
            or_(t.c.effective_to.is_(None), t.c.effective_to > on),
        )
    ).first()
    if row is None:
        error = NoVersionOnDate if asked else NoVersionInForce
        raise error(f"no published dataset version is in force on {on.isoformat()}", field="as_of")
    return _version_info(row)


def version_by_label(conn: Connection, label: str) -> VersionInfo:
    row = conn.execute(select(*_VERSION_COLUMNS).where(m.dataset_version.c.label == label)).first()
    if row is None:
        raise NotFound(f"no dataset version is labelled {label!r}", field="label")
    return _version_info(row)


def _geom(column: Any) -> Any:
    return ST_AsBinary(column).label("wkb")


def rule_rows(conn: Connection, version_id: int) -> list[Any]:
    """Every access-list clause of a version, in list order (the city-wide requirements first)."""
    a = m.access_rule
    return list(
        conn.execute(
            select(
                a.c.unit_code,
                a.c.dimension,
                a.c.clause_no,
                a.c.text_zh,
                a.c.effect,
                a.c.industry_codes,
                a.c.conditions,
            )
            .where(a.c.version_id == version_id)
            .order_by(a.c.unit_code.nulls_first(), a.c.dimension, a.c.clause_no)
        )
    )


@cache
def context_waters() -> tuple[dict[str, BaseGeometry], dict[str, BaseGeometry]]:
    """Rivers and lakes (name_zh → EPSG:4490 geometry) of the bundled ``context.geojson`` (GSHHG).

    The access-list clauses measure from named rivers ("赣江、抚河、潦河干流岸线一公里范围内") and name
    lakes; the zoning versions carry no river layer, so screening reads this one. A river the file
    lacks (潦河) leaves its distance condition unevaluated rather than clear.
    """
    path = files("geodata") / "nanchang" / "data" / "context.geojson"
    raw = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, dict[str, list[BaseGeometry]]] = {"river": {}, "lake": {}}
    for feature in raw["features"]:
        props = feature["properties"]
        if props.get("kind") in out:
            geom = shape(feature["geometry"])
            out[props["kind"]].setdefault(str(props["name_zh"]), []).append(geom)
    rivers, lakes = ({k: shapely.union_all(v) for k, v in out[kind].items()} for kind in ("river", "lake"))
    return rivers, lakes


def read_snapshot(conn: Connection, version: VersionInfo) -> ZoningSnapshot:
    """Read every layer of a version into an immutable, indexed snapshot."""
    vid = version.id
    d = m.admin_division
    divisions = [
        DivisionRecord(r.code, r.name_zh, r.name_en, r.level, shapely.from_wkb(r.wkb))
        for r in conn.execute(
            select(d.c.code, d.c.name_zh, d.c.name_en, d.c.level, _geom(d.c.geom))
            .where(d.c.version_id == vid)
            .order_by(d.c.code)
        )
    ]
    city = [x.geometry for x in divisions if x.level == "city"]
    if not city:
        # Without a city boundary, the union of the county-level divisions stands for it.
        city = [shapely.union_all([x.geometry for x in divisions if x.level in ("district", "county")])]
    u = m.control_unit
    units = [
        UnitRecord(
            r.code,
            r.name_zh,
            r.name_en,
            ControlClass(r.control_class),
            r.division_code,
            shapely.from_wkb(r.wkb),
        )
        for r in conn.execute(
            select(u.c.code, u.c.name_zh, u.c.name_en, u.c.control_class, u.c.division_code, _geom(u.c.geom))
            .where(u.c.version_id == vid)
            .order_by(u.c.code)
        )
    ]
    z, s = m.water_protection_zone, m.water_source
    water_zones = [
        WaterZoneRecord(
            r.source_code, r.name_zh, r.name_en, ProtectionGrade(r.grade), shapely.from_wkb(r.wkb)
        )
        for r in conn.execute(
            select(z.c.source_code, s.c.name_zh, s.c.name_en, z.c.grade, _geom(z.c.geom))
            .join(s, and_(s.c.version_id == z.c.version_id, s.c.code == z.c.source_code))
            .where(z.c.version_id == vid)
            .order_by(z.c.source_code, z.c.grade)
        )
    ]
    e = m.ecological_redline
    redlines = [
        RedlineRecord(r.code, r.name_zh, RedlineKind(r.kind), shapely.from_wkb(r.wkb))
        for r in conn.execute(
            select(e.c.code, e.c.name_zh, e.c.kind, _geom(e.c.geom))
            .where(e.c.version_id == vid)
            .order_by(e.c.code)
        )
    ]
    n = m.nature_reserve_zone
    reserve_zones = [
        ReserveZoneRecord(
            r.reserve_code,
            r.reserve_name_zh,
            r.reserve_name_en,
            ReserveZoneKind(r.zone),
            shapely.from_wkb(r.wkb),
        )
        for r in conn.execute(
            select(n.c.reserve_code, n.c.reserve_name_zh, n.c.reserve_name_en, n.c.zone, _geom(n.c.geom))
            .where(n.c.version_id == vid)
            .order_by(n.c.reserve_code, n.c.zone)
        )
    ]
    p = m.monitoring_point
    points = [
        MonitoringPointRecord(
            r.code, r.name_zh, MonitoringKind(r.kind), r.level, r.subtype, shapely.from_wkb(r.wkb)
        )
        for r in conn.execute(
            select(p.c.code, p.c.name_zh, p.c.kind, p.c.level, p.c.subtype, _geom(p.c.geom))
            .where(p.c.version_id == vid)
            .order_by(p.c.code)
        )
    ]
    s_ = m.water_source
    sources = [
        WaterSourceRecord(
            r.code,
            r.name_zh,
            r.name_en,
            r.level,
            r.kind,
            r.status,
            r.river_zh,
            r.division_code,
            shapely.from_wkb(r.wkb),
        )
        for r in conn.execute(
            select(
                s_.c.code,
                s_.c.name_zh,
                s_.c.name_en,
                s_.c.level,
                s_.c.kind,
                s_.c.status,
                s_.c.river_zh,
                s_.c.division_code,
                _geom(s_.c.intake),
            )
            .where(s_.c.version_id == vid)
            .order_by(s_.c.code)
        )
    ]
    rules = [
        RuleRecord(
            r.unit_code,
            RuleDimension(r.dimension),
            r.clause_no,
            r.text_zh,
            RuleEffect(r.effect),
            tuple(r.industry_codes),
            dict(r.conditions),
        )
        for r in rule_rows(conn, vid)
    ]
    return ZoningSnapshot.build(
        version,
        water_sources=sources,
        rules=rules,
        city=city[0],
        divisions=divisions,
        units=units,
        water_zones=water_zones,
        redlines=redlines,
        reserve_zones=reserve_zones,
        monitoring_points=points,
        industrial_parks=parks_store.read_parks(conn, vid),
        rivers=context_waters()[0],
        lakes=context_waters()[1],
    )


# ----------------------------------------------------------------------------------- screenings


def insert_screening(
    conn: Connection,
    record: Mapping[str, Any],
    *,
    version_id: int,
    dataset_checksum: str,
    footprint: BaseGeometry,
    caller: str | None,
) -> None:
    """Store a screening record as it was answered, so that re-reading it gives the same bytes."""
    conn.execute(
        insert(m.screening).values(footprint=_geom_param()),
        {
            "id": record["id"],
            "version_id": version_id,
            "dataset_checksum": dataset_checksum,
            "created_at": datetime.fromisoformat(record["created_at"]),
            "caller": caller,
            "request": record["request"],
            "result": dict(record),
            "wkb": _wkb(footprint),
        },
    )


def get_screening(conn: Connection, screening_id: str) -> dict[str, Any]:
    """The stored record of a screening; raises NotFound."""
    row = conn.execute(
        select(m.screening.c.result, m.screening.c.version_id).where(m.screening.c.id == screening_id)
    ).first()
    if row is None:
        raise NotFound(f"no screening has id {screening_id!r}", field="screening_id")
    return dict(row.result)


KEY_CALLER = "key:"
"""``screening.caller`` of a record made with an API key: ``key:<prefix>@<address>``; else the address."""


def screening_caller(key_prefix: str | None, client: str) -> str:
    """The ``caller`` stored with a screening: whose key (if any) and from which address."""
    return f"{KEY_CALLER}{key_prefix}@{client}" if key_prefix else client


def screening_owner_key(conn: Connection, screening_id: str) -> str | None:
    """The prefix of the key that created a screening, or None (made anonymously); raises NotFound."""
    row = conn.execute(select(m.screening.c.caller).where(m.screening.c.id == screening_id)).first()
    if row is None:
        raise NotFound(f"no screening has id {screening_id!r}", field="screening_id")
    caller = row.caller or ""
    if not caller.startswith(KEY_CALLER):
        return None
    return caller[len(KEY_CALLER) :].split("@", 1)[0]


def read_industries(conn: Connection) -> list[dict[str, Any]]:
    """The GB/T 4754 catalogue rows held by the store."""
    t = m.industry_category
    return [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.code))]


def feature_geometries(conn: Connection, label: str, layer: str, keys: Sequence[str]) -> dict[str, Any]:
    """GeoJSON geometries (EPSG:4490) of named features of one version, for any areal layer of the
    registry by its dataset key: features by their key fields joined with a space (units by code,
    zones by 'source_code grade', reserve zones by 'reserve_code zone')."""
    version = version_by_label(conn, label)
    try:
        spec = zoning_layers.by_dataset_key(layer)
    except KeyError:
        raise ValueError(f"unknown layer {layer}") from None
    t = m.metadata.tables[spec.table]
    parts: list[Any] = [t.c[spec.field_named(k).column_key].cast(String) for k in spec.key]  # type: ignore[union-attr]
    key: Any = parts[0]
    for part in parts[1:]:
        key = key + " " + part
    rows = conn.execute(
        select(key.label("key"), func.ST_AsGeoJSON(t.c[spec.geometry_column], 7).label("geojson")).where(
            t.c.version_id == version.id, key.in_(list(keys))
        )
    )
    return {r.key: json.loads(r.geojson) for r in rows}


# ------------------------------------------------------------------------------------- look-ups


def list_units(
    conn: Connection, version_id: int, *, control_class: str | None = None, division_code: str | None = None
) -> list[dict[str, Any]]:
    """Control units of a version, by code, optionally filtered by class and division."""
    u = m.control_unit
    stmt = select(
        u.c.code,
        u.c.name_zh,
        u.c.name_en,
        u.c.control_class.label("control_class"),
        u.c.division_code,
        u.c.tags,
        u.c.area_m2,
    ).where(u.c.version_id == version_id)
    if control_class is not None:
        stmt = stmt.where(u.c.control_class == control_class)
    if division_code is not None:
        stmt = stmt.where(u.c.division_code == division_code)
    return [dict(r._mapping) for r in conn.execute(stmt.order_by(u.c.code))]


def get_unit(conn: Connection, version_id: int, code: str) -> dict[str, Any]:
    """One unit with its access-list clauses and its geometry as GeoJSON; raises NotFound."""
    u = m.control_unit
    row = conn.execute(
        select(
            u.c.code,
            u.c.name_zh,
            u.c.name_en,
            u.c.control_class.label("control_class"),
            u.c.division_code,
            u.c.tags,
            u.c.area_m2,
            func.ST_AsGeoJSON(u.c.geom, 7).label("geojson"),
        ).where(u.c.version_id == version_id, u.c.code == code)
    ).first()
    if row is None:
        raise NotFound(f"no control unit has code {code!r} in this dataset version", field="code")
    unit = dict(row._mapping)
    unit["geometry"] = json.loads(unit.pop("geojson"))
    unit["rules"] = list_rules(conn, version_id, code)
    return unit


def list_rules(conn: Connection, version_id: int, unit_code: str | None) -> list[dict[str, Any]]:
    """Access-list clauses of a unit (None: the city-wide general requirements), in list order."""
    a = m.access_rule
    cond = a.c.unit_code.is_(None) if unit_code is None else a.c.unit_code == unit_code
    rows = conn.execute(
        select(a.c.dimension, a.c.clause_no, a.c.text_zh, a.c.effect, a.c.industry_codes, a.c.conditions)
        .where(a.c.version_id == version_id, cond)
        .order_by(a.c.dimension, a.c.clause_no)
    )
    return [dict(r._mapping) for r in rows]


def list_water_sources(conn: Connection, version_id: int) -> list[dict[str, Any]]:
    """Water sources of a version with their intake and their zones' grades and areas."""
    s, z = m.water_source, m.water_protection_zone
    sources = [
        dict(r._mapping)
        for r in conn.execute(
            select(
                s.c.code,
                s.c.name_zh,
                s.c.name_en,
                s.c.level,
                s.c.kind,
                s.c.status,
                s.c.river_zh,
                s.c.division_code,
                func.ST_X(s.c.intake).label("lon"),
                func.ST_Y(s.c.intake).label("lat"),
            )
            .where(s.c.version_id == version_id)
            .order_by(s.c.code)
        )
    ]
    zones: dict[str, list[dict[str, Any]]] = {}
    for r in conn.execute(
        select(z.c.source_code, z.c.grade, z.c.area_m2)
        .where(z.c.version_id == version_id)
        .order_by(z.c.source_code, z.c.grade)
    ):
        zones.setdefault(r.source_code, []).append({"grade": r.grade, "area_m2": round(r.area_m2, 1)})
    for source in sources:
        source["zones"] = zones.get(source["code"], [])
    return sources


def list_monitoring_points(
    conn: Connection,
    version_id: int,
    *,
    kind: str | None,
    level: str | None,
    bbox: tuple[float, float, float, float] | None,
    limit: int,
    offset: int,
) -> tuple[int, list[dict[str, Any]]]:
    """A page of monitoring points (by code) and how many match in all."""
    p = m.monitoring_point
    conds = [p.c.version_id == version_id]
    if kind is not None:
        conds.append(p.c.kind == kind)
    if level is not None:
        conds.append(p.c.level == level)
    if bbox is not None:
        # Transform the literal, not the column: the envelope is built in the storage SRID.
        conds.append(p.c.geom.intersects(func.ST_MakeEnvelope(*bbox, m.STORAGE_SRID)))
    total = conn.execute(select(func.count()).select_from(p).where(*conds)).scalar_one()
    rows = conn.execute(
        select(
            p.c.code,
            p.c.name_zh,
            p.c.kind,
            p.c.level,
            p.c.subtype,
            p.c.division_code,
            p.c.attributes,
            func.ST_X(p.c.geom).label("lon"),
            func.ST_Y(p.c.geom).label("lat"),
        )
        .where(*conds)
        .order_by(p.c.code)
        .limit(limit)
        .offset(offset)
    )
    return int(total), [dict(r._mapping) for r in rows]
