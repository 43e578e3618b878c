"""Reading a stored version back as layers, exporting it as an import bundle, and diffing versions.

An export is a ``.zip`` import bundle — what :mod:`geodata.importer` reads — so that exporting a
version and importing the file gives the same units back:

- ``shp``: one shapefile set per layer with the standard 三线一单 field names (``HJZHGKDYBM``,
  ``HJZHGKDYMC``, ``ZHGKDYFL`` …), attribute tables in GBK declared by a ``.cpg``, geometry in
  CGCS2000 (EPSG:4490) or the CRS asked (e.g. EPSG:4527, GK zone 39 with prefix), a ``.prj`` each;
- ``gpkg``: one GeoPackage ``dataset.gpkg`` holding every layer (UTF-8);
- ``geojson``: one GeoJSON file per layer (UTF-8, with a ``crs`` member when not lon/lat).

Each bundle also holds ``access_rules.json`` (the clauses with their effects and industry codes,
which a dBASE text field of 254 bytes cannot hold) and ``version.json``. The unit layer still
carries the four access-list text fields (``KJBJYS`` …) with numbered clauses, cut to 254 bytes
in a shapefile.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import shapely
from geoalchemy2.functions import ST_AsBinary
from sqlalchemy import Connection, and_, func, select

from geodata import models as m
from geodata import repository
from geodata.field_mapping import ENUMS, FIELD_ALIASES, GEO_LAYERS
from geodata.repository import DatasetLayers
from zoning import vocabulary as v
from zoning.crs import STORAGE_CRS
from zoning.errors import InvalidInput
from zoning.layers import LAYERS, LayerSpec

ExportFormat = Literal["shp", "gpkg", "geojson"]
FORMATS: tuple[str, ...] = ("shp", "gpkg", "geojson")

DBF_TEXT_BYTES = 254
"""Longest text a dBASE (shapefile) field holds."""

DERIVED_FIELDS = frozenset({"area_m2"})
"""Published fields the store computes from the geometry on import; exported files leave them out."""
UNPUBLISHED_COLUMNS: dict[str, tuple[str, ...]] = {"monitoring_points": ("attributes",)}
"""Stored columns a layer exports and imports although the API does not publish them."""


def _export_table(spec: LayerSpec) -> tuple[Any, tuple[str, ...], str]:
    """A layer's table, the columns its export carries (registry fields, in order) and its geometry."""
    columns = tuple(f.column_key for f in spec.fields if f.name not in DERIVED_FIELDS)
    return (
        m.metadata.tables[spec.table],
        columns + UNPUBLISHED_COLUMNS.get(spec.dataset_key, ()),
        spec.geometry_column,
    )


_TABLES: dict[str, tuple[Any, tuple[str, ...], str]] = {
    spec.dataset_key: _export_table(spec) for spec in LAYERS
}


def read_layers(conn: Connection, version_id: int) -> DatasetLayers:
    """Every layer of a stored version as records in the FORMAT.md keys, geometries in EPSG:4490."""
    layers = DatasetLayers()
    for name, (table, columns, geom) in _TABLES.items():
        rows = conn.execute(
            select(*[table.c[c] for c in columns], ST_AsBinary(table.c[geom]).label("wkb"))
            .where(table.c.version_id == version_id)
            .order_by(table.c.id)
        )
        records = []
        for r in rows:
            rec = {c: getattr(r, c) for c in columns}
            if "control_class" in rec:
                rec["class"] = rec.pop("control_class")
            if "tags" in rec:
                rec["tags"] = list(rec["tags"] or [])
            rec["geometry"] = shapely.from_wkb(r.wkb)
            records.append(rec)
        setattr(layers, name, records)
    layers.rules = [
        {
            **dict(r._mapping),
            "industry_codes": list(r.industry_codes or []),
            "conditions": dict(r.conditions or {}),
        }
        for r in repository.rule_rows(conn, version_id)
    ]
    return layers


def numbered_text(clauses: list[str]) -> str:
    """Clauses as one text field: ``1. …`` one per line (what :func:`importer.split_clauses` reads)."""
    return "\n".join(f"{n}. {c}" for n, c in enumerate(clauses, start=1))


def _cut(text: str | None, codec: str, limit: int) -> str | None:
    """Cut a text to ``limit`` bytes in ``codec`` at a character boundary."""
    if text is None:
        return None
    data = text.encode(codec, errors="replace")
    if len(data) <= limit:
        return text
    return data[:limit].decode(codec, errors="ignore")


def _label(layer: str, key: str, value: Any) -> Any:
    cls = ENUMS.get(layer, {}).get(key)
    if cls is None or value is None:
        return value
    return getattr(cls(value), "label_zh", value)


def layer_frames(layers: DatasetLayers, *, shapefile: bool = False) -> dict[str, gpd.GeoDataFrame]:
    """One GeoDataFrame per layer (EPSG:4490) with the standard field names and Chinese enum values."""
    by_unit: dict[str, dict[str, list[str]]] = {}
    for r in sorted(layers.rules, key=lambda r: (str(r["unit_code"]), r["dimension"], r["clause_no"])):
        if r["unit_code"] is not None:
            by_unit.setdefault(r["unit_code"], {}).setdefault(r["dimension"], []).append(r["text_zh"])
    frames = {}
    for layer in GEO_LAYERS:
        records = getattr(layers, layer)
        names = {key: aliases[0] for key, aliases in FIELD_ALIASES[layer].items()}
        rows = []
        for rec in records:
            row: dict[str, Any] = {}
            for key, out in names.items():
                if key in (d.value for d in v.RuleDimension):
                    text = numbered_text(by_unit.get(rec["code"], {}).get(key, [])) or None
                    row[out] = _cut(text, "gbk", DBF_TEXT_BYTES) if shapefile else text
                elif key in ("tags", "industry_codes", "unit_codes"):
                    row[out] = ",".join(rec.get(key) or [])
                elif key == "recognised_chemical_park":
                    row[out] = "是" if rec.get(key) else "否"
                elif key == "attributes":
                    row[out] = json.dumps(rec.get("attributes") or {}, ensure_ascii=False, sort_keys=True)
                else:
                    row[out] = _label(layer, key, rec.get(key))
            rows.append(row)
        columns = list(names.values())
        frames[layer] = gpd.GeoDataFrame(
            rows or {c: [] for c in columns},
            columns=columns,
            geometry=[r["geometry"] for r in records],
            crs=STORAGE_CRS,
        )
    return frames


def _version_json(conn: Connection, version_id: int) -> dict[str, Any]:
    t = m.dataset_version
    row = conn.execute(
        select(
            t.c.label,
            t.c.title_zh,
            t.c.title_en,
            t.c.document_no,
            t.c.status,
            t.c.effective_from,
            t.c.effective_to,
            t.c.checksum,
            t.c.reconstruction,
            t.c.source,
        ).where(t.c.id == version_id)
    ).one()
    d = dict(row._mapping)
    for k in ("effective_from", "effective_to"):
        d[k] = d[k].isoformat() if d[k] else None
    d["provenance"] = {"exported_from": d["label"], "checksum": d["checksum"], "source": d.pop("source")}
    return d


def export_version(conn: Connection, label: str, fmt: str, *, crs: str | None = None) -> bytes:
    """A stored version as a zipped import bundle in ``shp``, ``gpkg`` or ``geojson``.

    ``crs`` (e.g. ``EPSG:4527``) reprojects the geometry on output; the default is EPSG:4490.
    """
    if fmt not in FORMATS:
        raise InvalidInput(f"format {fmt!r} is not one of {', '.join(FORMATS)}", field="format")
    version = repository.version_by_label(conn, label)
    layers = read_layers(conn, version.id)
    frames = layer_frames(layers, shapefile=fmt == "shp")
    if crs:
        from zoning.crs import resolve_crs

        target = resolve_crs(crs)
        if target.epsg is None:
            raise InvalidInput(f"crs {crs!r} has no EPSG definition to export to", field="crs")
        frames = {k: f.to_crs(target.epsg) for k, f in frames.items()}
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        folder = Path(tmp)
        if fmt == "gpkg":
            path = folder / "dataset.gpkg"
            for layer, frame in frames.items():
                if len(frame):
                    frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
            zf.write(path, path.name)
        else:
            for layer, frame in frames.items():
                if not len(frame):
                    continue
                if fmt == "shp":
                    frame.to_file(
                        folder / f"{layer}.shp", driver="ESRI Shapefile", encoding="GBK", engine="pyogrio"
                    )
                    (folder / f"{layer}.cpg").write_text("GBK\n", encoding="ascii")
                else:
                    frame.to_file(
                        folder / f"{layer}.geojson",
                        driver="GeoJSON",
                        engine="pyogrio",
                        WRITE_NON_FINITE_VALUES="NO",
                        RFC7946="NO",
                    )
            for path in sorted(folder.iterdir()):
                zf.write(path, path.name)
        zf.writestr("access_rules.json", json.dumps(layers.rules, ensure_ascii=False, indent=1, default=str))
        zf.writestr("version.json", json.dumps(_version_json(conn, version.id), ensure_ascii=False, indent=1))
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------ diff

RESHAPE_MIN_M2 = 100.0
RESHAPE_MIN_SHARE = 1e-5
"""A unit counts as reshaped when its old and new geometry differ by more than 100 m² and more
than 0.001 % of its area: less is the noise of a reprojection or a format round trip."""
RECLASSIFY_MAX_SHARE = 0.01
"""A removed and an added unit whose shapes differ by less than this share of the area are one unit
reclassified (its code changed with its class digit)."""


def diff_versions(conn: Connection, label_a: str, label_b: str) -> dict[str, Any]:
    """What changed from version ``a`` to version ``b``: units added, removed, reclassified,
    reshaped (area change in m² and %, symmetric difference in m²; geodesic, PostGIS geography) and
    renamed, and access-list clauses added, removed or changed (``unit_code`` null: city-wide)."""
    a = repository.version_by_label(conn, label_a)
    b = repository.version_by_label(conn, label_b)
    u = m.control_unit
    ua, ub = u.alias("ua"), u.alias("ub")
    units_a = {
        r.code: r
        for r in conn.execute(
            select(u.c.code, u.c.name_zh, u.c.control_class, u.c.area_m2).where(u.c.version_id == a.id)
        )
    }
    units_b = {
        r.code: r
        for r in conn.execute(
            select(u.c.code, u.c.name_zh, u.c.control_class, u.c.area_m2).where(u.c.version_id == b.id)
        )
    }
    added = sorted(set(units_b) - set(units_a))
    removed = sorted(set(units_a) - set(units_b))
    reclassified: list[dict[str, Any]] = []
    renamed: list[dict[str, Any]] = []
    for code in sorted(set(units_a) & set(units_b)):
        ra, rb = units_a[code], units_b[code]
        if ra.control_class != rb.control_class:
            reclassified.append({"code": code, "from": ra.control_class, "to": rb.control_class})
        if ra.name_zh != rb.name_zh:
            renamed.append({"code": code, "from": ra.name_zh, "to": rb.name_zh})
    symdiff = func.ST_Area(func.geography(func.ST_SymDifference(ua.c.geom, ub.c.geom)))
    if added and removed:
        # The class is part of the code (ZH + division + class digit + sequence), so a reclassified
        # unit comes back under a new code: pair a removed and an added unit of the same division
        # whose shapes coincide (symmetric difference under 1 % of the area) as a reclassification.
        pairs = conn.execute(
            select(
                ua.c.code.label("code_a"), ub.c.code.label("code_b"), ua.c.area_m2, symdiff.label("symdiff")
            )
            .join(
                ub, and_(ub.c.division_code == ua.c.division_code, func.ST_Intersects(ua.c.geom, ub.c.geom))
            )
            .where(
                ua.c.version_id == a.id,
                ub.c.version_id == b.id,
                ua.c.code.in_(removed),
                ub.c.code.in_(added),
            )
            .order_by(ub.c.code)
        )
        for r in pairs:
            if r.symdiff < RECLASSIFY_MAX_SHARE * r.area_m2 and r.code_a in removed and r.code_b in added:
                reclassified.append(
                    {
                        "code": r.code_b,
                        "from_code": r.code_a,
                        "from": units_a[r.code_a].control_class,
                        "to": units_b[r.code_b].control_class,
                    }
                )
                removed.remove(r.code_a)
                added.remove(r.code_b)
    reshaped = []
    for r in conn.execute(
        select(
            ua.c.code, ua.c.area_m2.label("area_a"), ub.c.area_m2.label("area_b"), symdiff.label("symdiff")
        )
        .join(ub, ub.c.code == ua.c.code)
        .where(
            ua.c.version_id == a.id, ub.c.version_id == b.id, func.not_(func.ST_Equals(ua.c.geom, ub.c.geom))
        )
        .order_by(ua.c.code)
    ):
        if r.symdiff > RESHAPE_MIN_M2 and r.symdiff > RESHAPE_MIN_SHARE * max(r.area_a, r.area_b):
            change = r.area_b - r.area_a
            reshaped.append(
                {
                    "code": r.code,
                    "area_from_m2": round(r.area_a, 1),
                    "area_to_m2": round(r.area_b, 1),
                    "area_change_m2": round(change, 1),
                    "area_change_pct": round(100 * change / r.area_a, 4),
                    "symmetric_difference_m2": round(r.symdiff, 1),
                }
            )
    return {
        "from": {"label": a.label, "checksum": a.checksum},
        "to": {"label": b.label, "checksum": b.checksum},
        "units": {
            "added": [
                {"code": c, "name_zh": units_b[c].name_zh, "class": units_b[c].control_class} for c in added
            ],
            "removed": [
                {"code": c, "name_zh": units_a[c].name_zh, "class": units_a[c].control_class} for c in removed
            ],
            "reclassified": reclassified,
            "reshaped": reshaped,
            "renamed": renamed,
        },
        "clauses": _diff_clauses(conn, a.id, b.id),
    }


def _diff_clauses(conn: Connection, a_id: int, b_id: int) -> dict[str, list[dict[str, Any]]]:
    t = m.access_rule

    def read(vid: int) -> dict[tuple[Any, ...], dict[str, Any]]:
        rows = conn.execute(
            select(
                t.c.unit_code, t.c.dimension, t.c.clause_no, t.c.text_zh, t.c.effect, t.c.industry_codes
            ).where(t.c.version_id == vid)
        )
        return {
            (r.unit_code, r.dimension, r.clause_no): {
                "text_zh": r.text_zh,
                "effect": r.effect,
                "industry_codes": list(r.industry_codes or []),
            }
            for r in rows
        }

    ca, cb = read(a_id), read(b_id)

    def key(k: tuple[Any, ...]) -> dict[str, Any]:
        return {"unit_code": k[0], "dimension": k[1], "clause_no": k[2]}

    def order(k: tuple[Any, ...]) -> tuple[str, str, int]:
        return (k[0] or "", k[1], k[2])

    return {
        "added": [{**key(k), **cb[k]} for k in sorted(set(cb) - set(ca), key=order)],
        "removed": [{**key(k), **ca[k]} for k in sorted(set(ca) - set(cb), key=order)],
        "changed": [
            {**key(k), "from": ca[k], "to": cb[k]}
            for k in sorted(set(ca) & set(cb), key=order)
            if ca[k] != cb[k]
        ],
    }


def diff_geojson(conn: Connection, label_a: str, label_b: str) -> dict[str, Any]:
    """The changed units of a diff as a GeoJSON FeatureCollection (EPSG:4490 lon/lat) for a map:
    added, reclassified and reshaped units with their new geometry, removed ones with their old."""
    diff = diff_versions(conn, label_a, label_b)
    changes: dict[str, list[str]] = {}
    for kind in ("added", "reclassified", "reshaped", "renamed"):
        for item in diff["units"][kind]:
            changes.setdefault(item["code"], []).append(kind)
    removed = {item["code"] for item in diff["units"]["removed"]}
    for item in diff["clauses"]["added"] + diff["clauses"]["removed"] + diff["clauses"]["changed"]:
        if (
            item["unit_code"]
            and item["unit_code"] not in removed
            and "clauses" not in changes.get(item["unit_code"], [])
        ):
            changes.setdefault(item["unit_code"], []).append("clauses")
    features = []
    for label, codes, kinds in (
        (label_b, sorted(set(changes) - removed), changes),
        (label_a, sorted(removed), {c: ["removed"] for c in removed}),
    ):
        if not codes:
            continue
        version = repository.version_by_label(conn, label)
        u = m.control_unit
        for r in conn.execute(
            select(u.c.code, u.c.name_zh, u.c.control_class, func.ST_AsGeoJSON(u.c.geom, 7).label("g"))
            .where(u.c.version_id == version.id, u.c.code.in_(codes))
            .order_by(u.c.code)
        ):
            features.append(
                {
                    "type": "Feature",
                    "id": r.code,
                    "geometry": json.loads(r.g),
                    "properties": {
                        "code": r.code,
                        "name_zh": r.name_zh,
                        "class": r.control_class,
                        "changes": kinds[r.code],
                        "version": label,
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features, "from": diff["from"], "to": diff["to"]}
