"""Reading an import bundle: the files of a folder or archive found by layer, their encoding
(``.cpg``; else UTF-8, falling back to GB18030 ⊃ GBK) and CRS (``.prj`` / GeoPackage / GeoJSON
``crs``; Gauss–Krüger zone from the easting prefix); the layers mapped to records; the access
lists built from the units' text fields; and the complete layers of a new version."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from geodata.field_mapping import (
    GEO_LAYERS,
    LAYER_NAMES,
    OPTIONAL_LAYERS,
    Mapping_,
    RawLayer,
    _map_layer,
    split_clauses,
)
from geodata.repository import DatasetLayers
from zoning import crs as crs_mod
from zoning.archives import UploadLimits, unpacked
from zoning.clause_text import ParsedClause, ParseStatus, parse_clause, parse_report
from zoning.crs import InputCrs, resolve_crs
from zoning.errors import InvalidInput
from zoning.validation_report import ValidationReport

# Encodings a .cpg may name → Python codec. GBK is read as GB18030, its superset.
_CPG_CODECS = {
    "UTF-8": "utf-8", "UTF8": "utf-8", "65001": "utf-8",
    "GBK": "gb18030", "CP936": "gb18030", "936": "gb18030", "GB2312": "gb18030", "GB18030": "gb18030",
    "EUC-CN": "gb18030", "BIG5": "big5", "950": "big5", "ISO-8859-1": "latin-1", "LATIN1": "latin-1",
}  # fmt: skip
_GDAL_ENCODING = {"utf-8": "UTF-8", "gb18030": "GB18030", "big5": "BIG5", "latin-1": "ISO-8859-1"}


def _layer_for(stem: str, mapping: Mapping_) -> str | None:
    key = stem.lower()
    if key in mapping.layers:
        return mapping.layers[key]
    for layer, names in LAYER_NAMES.items():
        if key in {n.lower() for n in names}:
            return layer
    return None


UNIT_CODE_FIELDS = ("HJZHGKDYBM", "GKDYBM", "DYBM")
"""Fields that mark a layer as the control-unit layer whatever its name: the 三线一单 unit code
(环境综合管控单元编码) and its known aliases (FIELD_ALIASES["units"]["code"] less the generic ones)."""


def _layer_fields(path: Path, layer: str | None = None) -> set[str]:
    """The attribute field names of a layer file (upper-cased), or none when it cannot be read."""
    try:
        return {str(f).upper() for f in pyogrio.read_info(path, layer=layer)["fields"]}
    except Exception:  # GDAL errors of several kinds; GeoJSON in GB18030 is read below
        pass
    if path.suffix.lower() not in (".geojson", ".json"):
        return set()
    try:
        data = path.read_bytes()
        try:
            doc = json.loads(data.decode("utf-8-sig"))
        except UnicodeDecodeError:
            doc = json.loads(data.decode("gb18030"))
        properties = (doc.get("features") or [{}])[0].get("properties") or {}
        return {str(k).upper() for k in properties}
    except (ValueError, UnicodeDecodeError, AttributeError, IndexError, TypeError):
        return set()


def _units_by_fields(
    path: Path, mapping: Mapping_, report: ValidationReport, where: str, layer: str | None = None
) -> str | None:
    """``"units"`` when the layer carries a unit-code field (or the one the mapping names)."""
    wanted = list(UNIT_CODE_FIELDS)
    mapped = (mapping.fields.get("units") or {}).get("code")
    if mapped:
        wanted.insert(0, str(mapped).upper())
    fields = _layer_fields(path, layer)
    found = next((f for f in wanted if f in fields), None)
    if found is None:
        return None
    report.warn(
        "layer_by_fields",
        f"{where} is taken as the control-unit layer: it carries the unit-code field {found}",
        layer="units",
    )
    return "units"


def _check_text(data: bytes, codec: str, where: str, record_of: Callable[[int], str]) -> str | None:
    """The decode error of ``data`` in ``codec`` as a message naming the record, or None."""
    try:
        data.decode(codec)
    except UnicodeDecodeError as exc:
        return f"{where}: {record_of(exc.start)} is not valid {codec.upper()} (byte {data[exc.start]:#04x})"
    return None


def _dbf_records(dbf: Path) -> tuple[bytes, Callable[[int], str]]:
    """The record area of a .dbf and a function naming the record holding a byte offset."""
    raw = dbf.read_bytes()
    if len(raw) < 32:
        return b"", lambda _i: "the table"
    header_len = int.from_bytes(raw[8:10], "little")
    record_len = max(int.from_bytes(raw[10:12], "little"), 1)
    return raw[header_len:], lambda i: f"record {i // record_len}"


def _shapefile_encoding(shp: Path, report: ValidationReport, layer: str) -> str | None:
    """The codec of a shapefile's table: its .cpg, else UTF-8, else GB18030; None when unreadable."""
    dbf = next((p for p in shp.parent.iterdir() if p.stem == shp.stem and p.suffix.lower() == ".dbf"), None)
    if dbf is None:
        report.error("missing_file", f"{shp.name} has no .dbf attribute table", layer=layer)
        return None
    data, record_of = _dbf_records(dbf)
    cpg = next((p for p in shp.parent.iterdir() if p.stem == shp.stem and p.suffix.lower() == ".cpg"), None)
    if cpg is not None:
        declared = cpg.read_text(encoding="ascii", errors="replace").strip().upper()
        codec = _CPG_CODECS.get(declared)
        if codec is None:
            report.error(
                "bad_encoding",
                f"{cpg.name} declares encoding {declared!r}, which is not supported "
                f"(use one of {sorted(set(_CPG_CODECS))})",
                layer=layer,
            )
            return None
        problem = _check_text(data, codec, dbf.name, record_of)
        if problem:
            report.error("bad_encoding", f"{problem}, the encoding its {cpg.name} declares", layer=layer)
            return None
        return codec
    if _check_text(data, "utf-8", dbf.name, record_of) is None:
        return "utf-8"
    problem = _check_text(data, "gb18030", dbf.name, record_of)
    if problem:
        report.error("bad_encoding", f"{problem}; it has no .cpg and is not UTF-8 either", layer=layer)
        return None
    report.warn(
        "encoding_guessed", f"{dbf.name} has no .cpg and is not UTF-8: read as GB18030 (GBK)", layer=layer
    )
    return "gb18030"


def _read_shapefile(shp: Path, layer: str, report: ValidationReport) -> RawLayer | None:
    codec = _shapefile_encoding(shp, report, layer)
    if codec is None:
        return None
    prj = next((p for p in shp.parent.iterdir() if p.stem == shp.stem and p.suffix.lower() == ".prj"), None)
    try:
        frame = pyogrio.read_dataframe(shp, encoding=_GDAL_ENCODING[codec])
    except Exception as exc:  # pyogrio raises DataSourceError and GDAL errors of several kinds
        report.error("unreadable", f"{shp.name} cannot be read: {exc}", layer=layer)
        return None
    crs = None
    if prj is not None:
        try:
            crs = CRS.from_wkt(prj.read_text(encoding="utf-8", errors="replace"))
        except CRSError as exc:
            report.error("bad_crs", f"{prj.name} cannot be read as a CRS: {exc}", layer=layer)
            return None
    return RawLayer(layer, shp.name, frame, crs, codec)


def _read_geojson(path: Path, layer: str, report: ValidationReport) -> RawLayer | None:
    data = path.read_bytes()
    codec = "utf-8"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            report.error(
                "bad_encoding", f"{path.name}: byte {exc.start} is neither UTF-8 nor GB18030", layer=layer
            )
            return None
        codec = "gb18030"
        report.warn("encoding_guessed", f"{path.name} is not UTF-8 (RFC 7946): read as GB18030", layer=layer)
    try:
        doc = json.loads(text)
        frame = pyogrio.read_dataframe(text.encode("utf-8")) if doc.get("features") else None
    except Exception as exc:  # JSON and GDAL errors
        report.error("unreadable", f"{path.name} cannot be read as GeoJSON: {exc}", layer=layer)
        return None
    if frame is None:
        frame = gpd.GeoDataFrame({"geometry": gpd.GeoSeries([], dtype="geometry")})
    crs = None
    name = ((doc.get("crs") or {}).get("properties") or {}).get("name")
    if name:
        try:
            crs = CRS.from_user_input(name)
        except CRSError as exc:
            report.error("bad_crs", f"{path.name}: crs {name!r} cannot be read: {exc}", layer=layer)
            return None
    return RawLayer(layer, path.name, frame, crs, codec)


def _read_geopackage(path: Path, mapping: Mapping_, report: ValidationReport) -> list[RawLayer]:
    out: list[RawLayer] = []
    try:
        listed = pyogrio.list_layers(path)
    except Exception as exc:
        report.error("unreadable", f"{path.name} cannot be read as a GeoPackage: {exc}")
        return out
    for name, geom_type in listed:
        layer = _layer_for(str(name), mapping)
        if layer is None and geom_type is not None:
            layer = _units_by_fields(path, mapping, report, f"{path.name} layer {name!r}", str(name))
        if layer is None or geom_type is None:
            if geom_type is not None:
                report.warn("unknown_layer", f"{path.name} layer {name!r} is not a dataset layer: ignored")
            continue
        try:
            frame = pyogrio.read_dataframe(path, layer=str(name))
        except Exception as exc:
            report.error("unreadable", f"{path.name} layer {name!r} cannot be read: {exc}", layer=layer)
            continue
        out.append(RawLayer(layer, f"{path.name}:{name}", frame, frame.crs, "utf-8"))
    return out


def _gk_epsg(crs: CRS, xs: np.ndarray) -> int | None:
    """EPSG of a CGCS2000 3-degree Gauss–Krüger CRS that pyproj could not name, from its central
    meridian and the zone prefix on the eastings (38 500 000 m for zone 38)."""
    if "2000" not in (crs.datum.name if crs.datum else "") or crs.coordinate_operation is None:
        return None
    params = {p.name.lower(): p.value for p in crs.coordinate_operation.params}
    cm = params.get("longitude of natural origin")
    if cm is None:
        return None
    return crs_mod.gk_epsg(float(cm), xs)


def _infer_crs(xs: np.ndarray, ys: np.ndarray) -> int | None:
    """For GeoJSON without a ``crs`` member: GK with zone prefix 38/39, or CGCS2000 lon/lat."""
    if not xs.size:
        return crs_mod.STORAGE_SRID
    zone = crs_mod.gk_prefix_zone(xs)
    if zone is not None and (ys > 0).all() and (ys < 1e7).all():
        return crs_mod.GK_PREFIXED_BY_ZONE[zone]
    if (np.abs(xs) <= 180).all() and (np.abs(ys) <= 90).all():
        return crs_mod.STORAGE_SRID
    return None


def _resolve_layer_crs(raw: RawLayer, explicit: InputCrs | None, report: ValidationReport) -> InputCrs | None:
    xy = shapely.get_coordinates(raw.frame.geometry.values) if len(raw.frame) else np.empty((0, 2))
    if raw.crs is None:
        if explicit is not None:
            return explicit
        inferred = (
            _infer_crs(xy[:, 0], xy[:, 1]) if raw.source.lower().endswith((".geojson", ".json")) else None
        )
        if inferred is None:
            report.error(
                "missing_crs",
                f"{raw.source} declares no CRS (no .prj): give one, e.g. --crs EPSG:4527",
                layer=raw.layer,
            )
            return None
        if inferred != crs_mod.STORAGE_SRID:
            report.warn(
                "crs_inferred",
                f"{raw.source} declares no CRS; eastings carry a zone prefix, so EPSG:{inferred} was assumed",
                layer=raw.layer,
            )
        return resolve_crs(f"EPSG:{inferred}")
    epsg = raw.crs.to_epsg(min_confidence=70)
    if epsg is None:
        epsg = _gk_epsg(raw.crs, xy[:, 0])
    if epsg == 4326:
        epsg = crs_mod.STORAGE_SRID  # this service reads WGS84 as CGCS2000 (a few cm apart; see to_storage)
    try:
        found = resolve_crs(f"EPSG:{epsg}") if epsg is not None else None
    except InvalidInput:
        found = None
    if found is None:
        report.error(
            "unsupported_crs",
            f"{raw.source} is in {raw.crs.name}, which is not supported; reproject to "
            "EPSG:4490, 4526, 4527, 4547 or 4548",
            layer=raw.layer,
        )
        return None
    if explicit is not None and explicit.epsg != found.epsg:
        report.error(
            "crs_conflict",
            f"--crs {explicit.name} contradicts the {found.name} declared by {raw.source}",
            layer=raw.layer,
        )
        return None
    return found


def _scan(
    folder: Path, mapping: Mapping_, report: ValidationReport
) -> tuple[list[RawLayer], Path | None, Path | None]:
    """Every layer file of an unpacked bundle, plus access_rules.json and version.json when present."""
    raws: list[RawLayer] = []
    rules_path = meta_path = None
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if any(part.startswith(("__MACOSX", ".")) for part in path.relative_to(folder).parts):
            continue
        suffix = path.suffix.lower()
        stem = path.stem
        if path.name.lower() == "access_rules.json":
            rules_path = path
        elif path.name.lower() == "version.json":
            meta_path = path
        elif suffix == ".gpkg":
            raws.extend(_read_geopackage(path, mapping, report))
        elif suffix in (".shp", ".geojson", ".json"):
            layer = _layer_for(stem, mapping)
            if layer is None and suffix == ".shp":
                layer = _layer_for(path.parent.name, mapping)  # a zipped set named after its layer
            if layer is None:
                layer = _units_by_fields(path, mapping, report, rel)
            if layer is None:
                report.warn(
                    "unknown_layer",
                    f"{rel} is not a dataset layer: ignored (name it after a layer, or give a mapping file)",
                )
                continue
            raw = (
                _read_shapefile(path, layer, report)
                if suffix == ".shp"
                else _read_geojson(path, layer, report)
            )
            if raw is not None:
                raws.append(raw)
    seen = Counter(r.layer for r in raws)
    for layer, n in seen.items():
        if n > 1:
            report.error(
                "duplicate_layer",
                f"{n} files hold layer {layer}: " + ", ".join(r.source for r in raws if r.layer == layer),
                layer=layer,
            )
    return raws, rules_path, meta_path


# ------------------------------------------------------------------------------------ the bundle


@dataclass
class ImportBundle:
    """The layers read from a bundle (only those it holds), its clauses and metadata, and the report."""

    layers: dict[str, list[dict[str, Any]]]
    rules: list[dict[str, Any]] | None
    """Structured clauses from ``access_rules.json`` (None: built from the units' text fields)."""
    meta: dict[str, Any]
    report: ValidationReport
    name: str


def read_bundle(
    source: Path,
    *,
    crs: str | None = None,
    mapping: Path | None = None,
    repair: bool = False,
    limits: UploadLimits | None = None,
) -> ImportBundle:
    """Read an import bundle (folder or .zip) into records in EPSG:4490, with a first report.

    Faults found while reading (encoding, CRS, fields, values, geometry) are errors of the report;
    archive faults (zip bomb, traversal, size) raise :class:`InvalidInput` at once with a report
    naming the entry. Nothing here touches the database.
    """
    source = Path(source)
    explicit = resolve_crs(crs) if crs else None
    mapping_ = Mapping_.load(mapping)
    report = ValidationReport()
    layers: dict[str, list[dict[str, Any]]] = {}
    rules = None
    meta: dict[str, Any] = {}
    with unpacked(source, limits) as folder:
        raws, rules_path, meta_path = _scan(folder, mapping_, report)
        for raw in raws:
            layer_crs = _resolve_layer_crs(raw, explicit, report)
            report.sources[raw.layer] = {
                "file": raw.source,
                "encoding": raw.encoding,
                "crs": layer_crs.name if layer_crs else None,
                "features": len(raw.frame),
            }
            if layer_crs is None:
                continue
            layers[raw.layer] = _map_layer(raw, layer_crs, mapping_, report, repair)
        if rules_path is not None:
            try:
                rules = json.loads(rules_path.read_text(encoding="utf-8"))
                if not isinstance(rules, list):
                    raise ValueError("not a JSON list")
            except (ValueError, UnicodeDecodeError) as exc:
                report.error("unreadable", f"access_rules.json cannot be read: {exc}", layer="rules")
                rules = None
        if meta_path is not None:
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                report.warn("unreadable", f"version.json cannot be read, ignored: {exc}")
    if "units" not in layers and not any(e.layer == "units" for e in report.errors):
        report.error(
            "missing_layer",
            "the bundle holds no control-unit layer (a file or GeoPackage layer named units, "
            "one carrying the field HJZHGKDYBM, or one named in a mapping file)",
            layer="units",
        )
    return ImportBundle(layers=layers, rules=rules, meta=meta, report=report, name=source.name)


def _rules_from_texts(units: list[dict[str, Any]], report: ValidationReport) -> list[dict[str, Any]]:
    rules = []
    parsed_all: list[ParsedClause] = []
    for unit in units:
        for dimension, field_text in (unit.get("_texts") or {}).items():
            for n, clause in enumerate(split_clauses(field_text), start=1):
                parsed = parse_clause(clause)
                parsed_all.append(parsed)
                conditions = dict(parsed.conditions)
                if parsed.status is ParseStatus.NEEDS_REVIEW:
                    conditions["parse_review"] = parsed.reason_en
                rules.append(
                    {
                        "unit_code": unit["code"],
                        "dimension": dimension,
                        "clause_no": n,
                        "text_zh": clause,
                        "effect": parsed.stored_effect,
                        "industry_codes": list(parsed.industry_codes),
                        "conditions": conditions,
                    }
                )
    if parsed_all:
        summary = parse_report(parsed_all)
        report.counts.update(
            {
                "clauses_from_text": summary["clauses"],
                "clauses_parsed": summary["parsed"],
                "clauses_need_review": len(summary["needs_review"]),
            }
        )
        if summary["needs_review"]:
            report.warn(
                "clauses_need_review",
                f"{len(summary['needs_review'])} of {summary['clauses']} clause(s) could not be read by "
                "machine and are stored for review (restrict): "
                + "; ".join(item["text_zh"] for item in summary["needs_review"][:20]),
                layer="units",
            )
    return rules


def assemble(
    bundle: ImportBundle, base: DatasetLayers | None, *, in_force: bool | None = None
) -> DatasetLayers:
    """The complete layers of the new version: the bundle's, plus what it lacks from ``base``
    (the version in force), recorded in the report as carried over.

    ``in_force`` says whether a version is in force when ``base`` was not read (an import already
    refused): then a missing layer is no error of its own, it would be carried over.
    """
    in_force = base is not None if in_force is None else in_force
    out = DatasetLayers()
    report = bundle.report
    for name in GEO_LAYERS:
        if name in bundle.layers:
            setattr(
                out,
                name,
                [{k: val for k, val in r.items() if not k.startswith("_")} for r in bundle.layers[name]],
            )
        elif base is not None and getattr(base, name):
            setattr(out, name, list(getattr(base, name)))
            report.carried_over.append(name)
        elif name in OPTIONAL_LAYERS:
            continue
        elif in_force and base is None:
            continue  # not read because the import is refused anyway; it would be carried over
        elif name == "divisions":
            report.error(
                "missing_layer",
                "the bundle has no divisions layer and no version is in force to take them from",
                layer="divisions",
            )
        else:
            report.warn(
                "empty_layer",
                f"the bundle has no {name} layer and no version is in force to take it "
                "from: the version will have none",
                layer=name,
            )
    units = bundle.layers.get("units", [])
    if bundle.rules is not None:
        out.rules = [dict(r) for r in bundle.rules]
        for r in out.rules:
            r.setdefault("industry_codes", [])
            r.setdefault("conditions", {})
    else:
        out.rules = _rules_from_texts(units, report)
        if units and not out.rules:
            report.warn(
                "no_clauses",
                "no unit has access-list text (KJBJYS, PWWPFGK, HJFXFK, ZYKFXLYQ)",
                layer="units",
            )
        if base is not None:
            city_wide = [r for r in base.rules if r.get("unit_code") is None]
            out.rules.extend(city_wide)
            if city_wide:
                report.carried_over.append("rules:city_wide")
    return out
