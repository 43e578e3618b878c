"""Importing official zoning files (三线一单 result layers) as a draft dataset version.

An *import bundle* is a folder or a ``.zip`` holding one file per layer: a shapefile set (loose or
itself zipped), a GeoPackage with one layer per dataset layer, or GeoJSON files. Layers are found
by name (file stem or GeoPackage layer name, see :data:`LAYER_NAMES`); fields are mapped from the
standard 三线一单 names (``HJZHGKDYBM`` code, ``HJZHGKDYMC`` name, ``ZHGKDYFL`` class, ``KJBJYS``
空间布局约束, ``PWWPFGK`` 污染物排放管控, ``HJFXFK`` 环境风险防控, ``ZYKFXLYQ`` 资源开发效率要求), their
aliases, the wire names of ``geodata/nanchang/FORMAT.md``, or a JSON mapping file.

The work is done in three steps, so that nothing is written before everything is checked:

1. :func:`read_bundle` — pure: unpacks the archive within :class:`UploadLimits` (entry count,
   total size, compression ratio, no absolute or ``..`` paths; never fetches a URL), reads every
   layer with its encoding (``.cpg``; else UTF-8, falling back to GB18030 ⊃ GBK) and its CRS
   (``.prj`` / GeoPackage / GeoJSON ``crs``; Gauss–Krüger zone from the easting prefix), maps the
   fields and transforms every geometry to EPSG:4490.
2. :func:`validate_layers` — pure: the :class:`ValidationReport` (errors refuse the import,
   warnings are stored in the version's provenance), reusing :func:`geodata.coverage.coverage_report`
   for the figures, overlaps and gaps.
3. :func:`import_bundle` — one transaction: the draft version (``repository.insert_version``)
   and its audit event, or nothing.

Access lists. When the bundle holds ``access_rules.json`` (the bundled format: structured clauses
with effect and GB/T 4754 industry codes), it is taken as it is. Otherwise each unit's four text
fields are split into numbered clauses (``1.`` / ``1、`` / ``（1）`` / one per line) and each clause
is read by :func:`zoning.clause_text.parse_clause`: effect (禁止 → prohibit, 限制/严格控制 → restrict,
应/须/鼓励 → require), the GB/T 4754 codes of the industries it names, and ``new_or_expanded``. A
clause the parser cannot read is stored as ``restrict`` with a ``parse_review`` condition carrying
the reason — a reviewer's item, never a silent notice — and the report lists it. The city-wide 总体准入要求 (``unit_code``
null) are carried over from the version in force when the bundle has no ``access_rules.json``.
Divisions, and any other layer the bundle lacks, are likewise carried over from the version in
force; the provenance says which.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Engine, select

from geodata import coverage, repository
from geodata import models as m
from geodata.database import translate_errors
from geodata.repository import DatasetLayers
from zoning import crs as crs_mod
from zoning import vocabulary as v
from zoning.clause_text import ParsedClause, ParseStatus, parse_clause, parse_report
from zoning.crs import InputCrs, resolve_crs
from zoning.errors import InvalidInput, NoVersionInForce, ZoningError
from zoning.footprint import to_storage

__all__ = [
    "FIELD_ALIASES",
    "LAYER_NAMES",
    "ImportBundle",
    "ImportResult",
    "Issue",
    "UploadLimits",
    "ValidationReport",
    "import_bundle",
    "read_bundle",
    "split_clauses",
    "validate_layers",
]

SLEEP_HOOK_ENV = "ZONING_IMPORT_TEST_SLEEP_S"
"""Seconds to sleep inside the import transaction after the rows are written (tests of kill -9)."""

GEO_LAYERS = (
    "divisions",
    "units",
    "water_sources",
    "water_zones",
    "redlines",
    "reserve_zones",
    "monitoring_points",
    "industrial_parks",
)
POLYGON_LAYERS = {"divisions", "units", "water_zones", "redlines", "reserve_zones", "industrial_parks"}
OPTIONAL_LAYERS = {"industrial_parks"}
"""Layers a bundle may lack without a warning (added after the official formats were fixed)."""

LAYER_NAMES: dict[str, tuple[str, ...]] = {
    # file stem / GeoPackage layer name (case-insensitive) → dataset layer
    "divisions": ("divisions", "admin_division", "xzq", "xzqh", "行政区", "行政区划"),
    "units": (
        "units",
        "control_unit",
        "control_units",
        "hjgkdy",
        "hjzhgkdy",
        "gkdy",
        "环境管控单元",
        "管控单元",
    ),
    "water_sources": ("water_sources", "water_source", "syd", "水源地", "饮用水水源地"),
    "water_zones": ("water_zones", "water_protection_zone", "sydbhq", "水源保护区", "饮用水水源保护区"),
    "redlines": ("redlines", "redline", "ecological_redline", "sthx", "生态保护红线", "生态红线"),
    "reserve_zones": ("reserve_zones", "nature_reserve_zone", "zrbhq", "自然保护区"),
    "monitoring_points": ("monitoring_points", "monitoring_point", "jcdw", "监测点位", "监测点"),
    "industrial_parks": ("industrial_parks", "industrial_park", "kfq", "yq", "开发区", "工业园区"),
}

# Target key → source field names, first match wins (case-insensitive). The first name of each
# list is the standard name the exporter writes (10 characters at most: shapefile dBASE limit).
FIELD_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "units": {
        "code": ("HJZHGKDYBM", "DYBM", "GKDYBM", "code", "unit_code", "BM"),
        "name_zh": ("HJZHGKDYMC", "DYMC", "GKDYMC", "name_zh", "name", "MC"),
        "class": ("ZHGKDYFL", "DYFL", "GKDYFL", "GKFL", "class", "control_class", "FL"),
        "name_en": ("NAME_EN", "name_en", "DYMC_EN"),
        "division_code": ("XZQDM", "division_code", "XZQHDM", "XZQBM", "division"),
        "tags": ("TAGS", "tags", "BQ"),
        "spatial_layout": ("KJBJYS", "KJBJ", "spatial_layout"),
        "pollutant_discharge": ("PWWPFGK", "WRWPFGK", "PWGK", "pollutant_discharge"),
        "environmental_risk": ("HJFXFK", "FXFK", "environmental_risk"),
        "resource_efficiency": ("ZYKFXLYQ", "ZYLY", "ZYXL", "resource_efficiency"),
    },
    "divisions": {
        "code": ("XZQDM", "code", "XZQHDM", "adcode"),
        "name_zh": ("XZQMC", "name_zh", "name", "XZQHMC"),
        "name_en": ("NAME_EN", "name_en"),
        "level": ("JB", "level", "XZJB"),
        "parent_code": ("SJDM", "parent_code", "parent"),
    },
    "water_sources": {
        "code": ("SYDBM", "code", "BM"),
        "name_zh": ("SYDMC", "name_zh", "name", "MC"),
        "name_en": ("NAME_EN", "name_en"),
        "level": ("JB", "level"),
        "kind": ("LX", "kind", "SYDLX"),
        "status": ("ZT", "status", "SYZT"),
        "river_zh": ("HLMC", "river_zh", "river", "SYMC"),
        "division_code": ("XZQDM", "division_code"),
    },
    "water_zones": {
        "source_code": ("SYDBM", "source_code", "source"),
        "grade": ("BHQJB", "grade", "JB", "BHQLX"),
    },
    "redlines": {
        "code": ("HXBM", "code", "BM"),
        "name_zh": ("HXMC", "name_zh", "name", "MC"),
        "kind": ("LX", "kind", "GNLX", "HXLX"),
    },
    "reserve_zones": {
        "reserve_code": ("BHQBM", "reserve_code", "code"),
        "reserve_name_zh": ("BHQMC", "reserve_name_zh", "name_zh", "name"),
        "reserve_name_en": ("NAME_EN", "reserve_name_en", "name_en"),
        "reserve_level": ("JB", "reserve_level", "level"),
        "zone": ("GNFQ", "zone", "GNQ"),
    },
    "monitoring_points": {
        "code": ("DWBM", "code", "BM"),
        "name_zh": ("DWMC", "name_zh", "name", "MC"),
        "kind": ("LX", "kind", "DWLX"),
        "level": ("JB", "level"),
        "subtype": ("ZLX", "subtype"),
        "division_code": ("XZQDM", "division_code"),
        "attributes": ("ATTRS", "attributes"),
    },
    "industrial_parks": {
        "code": ("YQBM", "code", "BM"),
        "name_zh": ("YQMC", "name_zh", "name", "MC"),
        "name_en": ("NAME_EN", "name_en"),
        "level": ("JB", "level"),
        "recognised_chemical_park": ("HGYQ", "recognised_chemical_park"),
        "industry_codes": ("ZDCY", "industry_codes"),
        "unit_codes": ("DYBM", "unit_codes"),
    },
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "divisions": ("code", "name_zh", "level"),
    "units": ("code", "name_zh", "class"),
    "water_sources": ("code", "name_zh", "level", "kind", "status", "division_code"),
    "water_zones": ("source_code", "grade"),
    "redlines": ("code", "name_zh", "kind"),
    "reserve_zones": ("reserve_code", "reserve_name_zh", "reserve_level", "zone"),
    "monitoring_points": ("code", "name_zh", "kind", "level"),
    "industrial_parks": ("code", "name_zh", "level"),
}

ENUMS: dict[str, dict[str, type[StrEnum]]] = {
    "divisions": {"level": v.DivisionLevel},
    "units": {"class": v.ControlClass},
    "water_sources": {"level": v.WaterSourceLevel, "kind": v.WaterSourceKind, "status": v.WaterSourceStatus},
    "water_zones": {"grade": v.ProtectionGrade},
    "redlines": {"kind": v.RedlineKind},
    "reserve_zones": {"zone": v.ReserveZoneKind},
    "monitoring_points": {"kind": v.MonitoringKind, "level": v.MonitoringLevel},
    "industrial_parks": {"level": v.ParkLevel},
}

RULE_FIELDS = tuple(d.value for d in v.RuleDimension)

# Encodings a .cpg may name → Python codec. GBK is read as GB18030, its superset.
_CPG_CODECS = {
    "UTF-8": "utf-8", "UTF8": "utf-8", "65001": "utf-8",
    "GBK": "gb18030", "CP936": "gb18030", "936": "gb18030", "GB2312": "gb18030", "GB18030": "gb18030",
    "EUC-CN": "gb18030", "BIG5": "big5", "950": "big5", "ISO-8859-1": "latin-1", "LATIN1": "latin-1",
}  # fmt: skip
_GDAL_ENCODING = {"utf-8": "UTF-8", "gb18030": "GB18030", "big5": "BIG5", "latin-1": "ISO-8859-1"}


# ----------------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class Issue:
    """One finding of the validation: what, where (layer, feature index and code) and a location."""

    code: str
    message: str
    layer: str | None = None
    feature: int | None = None
    key: str | None = None
    location: tuple[float, float] | None = None
    """(lon, lat) in EPSG:4490 of a point on the fault, when it has one."""
    area_m2: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, without the members that are empty."""
        d = asdict(self)
        if self.location is not None:
            d["location"] = [round(self.location[0], 7), round(self.location[1], 7)]
        return {k: val for k, val in d.items() if val is not None}


@dataclass
class ValidationReport:
    """What an import bundle holds and what is wrong with it; errors refuse the import."""

    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    repairs: list[Issue] = field(default_factory=list)
    sources: dict[str, Any] = field(default_factory=dict)
    """Per layer: the file read, its encoding and CRS, and the field mapping used."""
    carried_over: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing refuses the import."""
        return not self.errors

    def error(self, code: str, message: str, **where: Any) -> None:
        self.errors.append(Issue(code, message, **where))

    def warn(self, code: str, message: str, **where: Any) -> None:
        self.warnings.append(Issue(code, message, **where))

    def summary(self) -> str:
        """One line naming the first faults, for an exception's detail."""
        if self.ok:
            return f"bundle valid with {len(self.warnings)} warning(s)"
        first = "; ".join(_describe(i) for i in self.errors[:3])
        more = f" (and {len(self.errors) - 3} more)" if len(self.errors) > 3 else ""
        return f"import refused: {len(self.errors)} error(s): {first}{more}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the whole report."""
        return {
            "ok": self.ok,
            "errors": [i.to_dict() for i in self.errors],
            "warnings": [i.to_dict() for i in self.warnings],
            "counts": dict(self.counts),
            "figures": dict(self.figures),
            "repairs": [i.to_dict() for i in self.repairs],
            "sources": dict(self.sources),
            "carried_over": list(self.carried_over),
        }


def _describe(issue: Issue) -> str:
    where = []
    if issue.layer:
        where.append(issue.layer)
    if issue.feature is not None:
        where.append(f"feature {issue.feature}")
    if issue.key:
        where.append(issue.key)
    return f"[{issue.code}] " + (" ".join(where) + ": " if where else "") + issue.message


def refuse(report: ValidationReport) -> InvalidInput:
    """The exception that carries a refusing report to the CLI and the HTTP layer (422)."""
    return InvalidInput(report.summary(), field="bundle", report=report.to_dict())


# ------------------------------------------------------------------------------- archive safety


@dataclass(frozen=True)
class UploadLimits:
    """Limits on an uploaded archive, checked before anything is unpacked and while unpacking."""

    max_total_bytes: int = 512 * 1024 * 1024
    max_entries: int = 1000
    max_ratio: float = 100.0
    """Uncompressed/compressed size of one entry; shapefile tables compress ~10–30×, bombs ≫ 100×."""
    ratio_min_bytes: int = 1024 * 1024
    """Entries smaller than this are not ratio-checked (tiny files compress by any ratio)."""
    max_depth: int = 2
    """Zips inside the bundle (zipped shapefile sets) are unpacked this deep at most."""


def _unsafe_name(name: str) -> str | None:
    """Why an archive entry name would escape the folder it is unpacked into, or None."""
    if "\x00" in name:
        return "contains a NUL byte"
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        return "is an absolute path"
    if ".." in PurePosixPath(norm).parts:
        return "climbs out of the archive with '..'"
    return None


def check_zip_entries(
    zf: zipfile.ZipFile, limits: UploadLimits, label: str, max_total: int | None = None
) -> list[zipfile.ZipInfo]:
    """Check an archive's directory before anything is read from it: entry count, names that would
    escape the folder (path traversal), symbolic links, per-entry compression ratio (zip bombs) and
    the declared total size. Raises InvalidInput with a report naming the offending entry."""

    def fail(code: str, entry: str, message: str) -> InvalidInput:
        report = ValidationReport()
        report.error(code, message, key=entry)
        return refuse(report)

    budget = limits.max_total_bytes if max_total is None else max_total
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise fail(
            "too_many_entries",
            label,
            f"{label} holds {len(infos)} entries; at most {limits.max_entries} are accepted",
        )
    for info in infos:
        why = _unsafe_name(info.filename)
        if why:
            raise fail(
                "unsafe_path", info.filename, f"entry {info.filename!r} {why}: refused (path traversal)"
            )
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise fail("unsafe_path", info.filename, f"entry {info.filename!r} is a symbolic link: refused")
        if info.file_size >= limits.ratio_min_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise fail(
                    "zip_bomb",
                    info.filename,
                    f"entry {info.filename!r} expands {ratio:.0f}× ({info.file_size} bytes from "
                    f"{info.compress_size}); at most {limits.max_ratio:.0f}× is accepted",
                )
    declared = sum(i.file_size for i in infos)
    if declared > budget:
        raise fail(
            "too_large",
            label,
            f"{label} expands to {declared} bytes; at most "
            f"{limits.max_total_bytes} bytes are accepted in all",
        )
    return infos


def _safe_unzip(archive: Path, dest: Path, limits: UploadLimits, budget: list[int], label: str) -> None:
    """Unpack a zip into ``dest`` within the limits; raise with a report naming the offending entry."""

    def fail(code: str, entry: str, message: str) -> InvalidInput:
        report = ValidationReport()
        report.error(code, message, key=entry)
        return refuse(report)

    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise fail("bad_archive", label, f"{label} is not a readable zip archive: {exc}") from exc
    with zf:
        infos = check_zip_entries(zf, limits, label, budget[0])
        for info in infos:
            if info.is_dir():
                continue
            target = dest / info.filename.replace("\\", "/")
            target.parent.mkdir(parents=True, exist_ok=True)
            # Count the bytes actually written: a forged header may understate the size.
            with zf.open(info) as src, open(target, "wb") as out:
                while chunk := src.read(1 << 16):
                    budget[0] -= len(chunk)
                    if budget[0] < 0:
                        raise fail(
                            "too_large",
                            info.filename,
                            f"entry {info.filename!r} takes the bundle past {limits.max_total_bytes} bytes",
                        )
                    out.write(chunk)


BARE_FILE_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp")
"""Files taken as a bundle by themselves, as offices hand them over (a .shp with its siblings)."""


def _copy_bare(source: Path, dest: Path, limits: UploadLimits) -> None:
    """Copy one layer file into ``dest`` — a shapefile with every sibling of its name (.shx, .dbf,
    .prj, .cpg …) — within the size limit."""
    if source.suffix.lower() == ".shp":
        files = [p for p in source.parent.iterdir() if p.is_file() and p.stem.lower() == source.stem.lower()]
    else:
        files = [source]
    total = sum(p.stat().st_size for p in files)
    if total > limits.max_total_bytes:
        report = ValidationReport()
        report.error(
            "too_large", f"{source.name} is larger than {limits.max_total_bytes} bytes", key=source.name
        )
        raise refuse(report)
    for path in files:
        shutil.copyfile(path, dest / path.name)


@contextmanager
def unpacked(source: Path, limits: UploadLimits | None = None) -> Iterator[Path]:
    """The bundle as a folder: itself when it is one, a folder holding the file when it is a bare
    .gpkg, .geojson or .shp (with its siblings), else a temporary unpacked copy of the zip."""
    limits = limits or UploadLimits()
    if source.is_dir():
        yield source
        return
    if not source.exists():
        raise InvalidInput(
            f"{source} does not exist (a bundle is a local folder, .zip, .gpkg, .geojson or .shp; "
            "URLs are not fetched)",
            field="bundle",
        )
    tmp = Path(tempfile.mkdtemp(prefix="zoning-import-"))
    try:
        budget = [limits.max_total_bytes]
        if source.suffix.lower() in BARE_FILE_SUFFIXES:
            _copy_bare(source, tmp, limits)
            yield tmp
            return
        _safe_unzip(source, tmp, limits, budget, source.name)
        # Zipped shapefile sets inside the bundle, one level down (or as deep as allowed).
        for _depth in range(1, limits.max_depth):
            inner = [p for p in tmp.rglob("*") if p.is_file() and p.suffix.lower() == ".zip"]
            if not inner:
                break
            for z in inner:
                _safe_unzip(z, z.with_suffix(""), limits, budget, z.relative_to(tmp).as_posix())
                z.unlink()
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -------------------------------------------------------------------------------- reading files


@dataclass
class Mapping_:
    """A JSON mapping file: which file/layer is which dataset layer, field names, value names."""

    layers: dict[str, str] = field(default_factory=dict)
    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None) -> Mapping_:
        """Read a mapping file: ``{"layers": {stem: layer}, "fields": {layer: {key: FIELD}},
        "values": {layer: {key: {source value: wire value}}}}``."""
        if path is None:
            return cls()
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"mapping file {path} cannot be read: {exc}", field="mapping") from exc
        if not isinstance(raw, dict):
            raise InvalidInput("a mapping file is a JSON object", field="mapping")
        layers = {str(k).lower(): str(val) for k, val in (raw.get("layers") or {}).items()}
        unknown = sorted(set(layers.values()) - set(GEO_LAYERS))
        if unknown:
            raise InvalidInput(
                f"mapping names unknown layers {unknown}; known: {list(GEO_LAYERS)}", field="mapping"
            )
        return cls(layers=layers, fields=dict(raw.get("fields") or {}), values=dict(raw.get("values") or {}))


@dataclass
class RawLayer:
    """One layer as read from its file, before mapping: a GeoDataFrame in its own CRS."""

    layer: str
    source: str
    frame: gpd.GeoDataFrame
    crs: CRS | None
    encoding: str | None


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


# ------------------------------------------------------------------------------- field mapping


def _enum_value(cls: type[StrEnum], raw: Any) -> str | None:
    text = str(raw).strip()
    for member in cls:
        if text.lower() == member.value.lower():
            return member.value
        label = getattr(member, "label_zh", None)
        if label and text == label:
            return member.value
        if isinstance(member, v.ControlClass) and text in (
            member.digit,
            member.label_zh.removesuffix("单元"),
        ):
            return member.value
    return None


def _plain(value: Any) -> Any:
    """A pandas/numpy cell as a plain Python value; NaN/None as None."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        return [_plain(x) for x in value.tolist()]
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _text(value: Any) -> str | None:
    value = _plain(value)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


_PARK_LISTS = ("industry_codes", "unit_codes")


def _flag(value: Any) -> bool:
    """A yes/no field as official tables write it: true/1/是/Y, anything else (or empty) false."""
    value = _plain(value)
    if isinstance(value, bool):
        return value
    return str(value).strip().upper() in {"TRUE", "T", "1", "Y", "YES", "是"} if value is not None else False


def _list(value: Any) -> list[str]:
    value = _plain(value)
    if value is None:
        return []
    if isinstance(value, list):
        return [str(x) for x in value]
    text = str(value).strip()
    if text.startswith("["):
        try:
            return [str(x) for x in json.loads(text)]
        except ValueError:
            pass
    return [t.strip() for t in re.split(r"[,，;；]", text) if t.strip()]


def _dict(value: Any) -> dict[str, Any]:
    value = _plain(value)
    if isinstance(value, dict):
        return value
    if value is None or str(value).strip() == "":
        return {}
    try:
        parsed = json.loads(str(value))
    except ValueError:
        return {"text": str(value)}
    return parsed if isinstance(parsed, dict) else {"value": parsed}


_CLAUSE_MARK = re.compile(r"(?:^|(?<=[\n；;。]))\s*(?:[（(]\d{1,3}[）)]|\d{1,3}\s*[\.、．](?!\d))\s*")


def split_clauses(text: str | None) -> list[str]:
    """Split one access-list text field into its clauses.

    Numbered clauses (``1.`` ``1、`` ``1．`` ``（1）`` at the start of the text or after a line break,
    ``；`` or ``。``) are split at their numbers, which are dropped; unnumbered text is split into
    lines; a single line is one clause. Empty clauses and the placeholders ``无`` / ``/`` are dropped.
    """
    if text is None:
        return []
    text = text.replace("\r\n", "\n").strip()
    if not text:
        return []
    marks = list(_CLAUSE_MARK.finditer(text))
    if marks and marks[0].start() == 0:
        pieces = [
            text[a.end() : b.start() if b else len(text)]
            for a, b in zip(marks, [*marks[1:], None], strict=True)
        ]
    else:
        pieces = text.split("\n")
    clauses = [p.strip().strip("；;").strip() for p in pieces]
    return [c for c in clauses if c and c not in {"无", "/", "-", "—"}]


def _resolve_fields(raw: RawLayer, mapping: Mapping_, report: ValidationReport) -> dict[str, str]:
    """Target key → the source column that feeds it, for one layer."""
    columns = {c.lower(): c for c in raw.frame.columns if c != "geometry"}
    chosen: dict[str, str] = {}
    explicit = mapping.fields.get(raw.layer, {})
    for key, aliases in FIELD_ALIASES[raw.layer].items():
        if key in explicit:
            col = columns.get(str(explicit[key]).lower())
            if col is None:
                report.error(
                    "missing_field",
                    f"the mapping names field {explicit[key]!r} for {key}, but "
                    f"{raw.source} has no such field (it has {sorted(columns.values())})",
                    layer=raw.layer,
                )
                continue
            chosen[key] = col
            continue
        for alias in aliases:
            if alias.lower() in columns:
                chosen[key] = columns[alias.lower()]
                break
    for key in REQUIRED[raw.layer]:
        if key not in chosen and not (raw.layer == "units" and key == "class" and "code" in chosen):
            report.error(
                "missing_field",
                f"{raw.source} has no field for {key} (looked for "
                f"{', '.join(FIELD_ALIASES[raw.layer][key])}; a mapping file can name another)",
                layer=raw.layer,
            )
    return chosen


def _map_layer(
    raw: RawLayer, crs: InputCrs, mapping: Mapping_, report: ValidationReport, repair: bool
) -> list[dict[str, Any]]:
    """Records of one layer in the FORMAT.md keys, geometries in EPSG:4490."""
    fields = _resolve_fields(raw, mapping, report)
    value_maps = mapping.values.get(raw.layer, {})
    layer = raw.layer
    records: list[dict[str, Any]] = []
    for i, (_, row) in enumerate(raw.frame.iterrows()):
        rec: dict[str, Any] = {}
        for key, col in fields.items():
            rec[key] = _plain(row[col])
        key_text = _text(rec.get("code") or rec.get("source_code") or rec.get("reserve_code"))
        where = {"layer": layer, "feature": i, "key": key_text}
        for key in list(rec):
            if key in ("tags", "attributes", *_PARK_LISTS, "recognised_chemical_park") or key in RULE_FIELDS:
                continue
            rec[key] = _text(rec[key])
            if rec[key] is not None and key in value_maps:
                rec[key] = value_maps[key].get(rec[key], rec[key])
        for key, cls in ENUMS[layer].items():
            if rec.get(key) is None:
                continue
            wire = _enum_value(cls, rec[key])
            if wire is None:
                report.error(
                    "bad_value",
                    f"{key} {rec[key]!r} is not one of "
                    + ", ".join(f"{mm.value}/{getattr(mm, 'label_zh', mm.value)}" for mm in cls),
                    **where,
                )
            rec[key] = wire
        if layer == "units":
            if rec.get("class") is None and key_text and re.match(v.UNIT_CODE_PATTERN, key_text):
                rec["class"] = v.ControlClass.from_digit(key_text[8]).value
            rec["name_en"] = rec.get("name_en") or rec.get("name_zh") or ""
            if not rec.get("division_code") and key_text and len(key_text) >= 8:
                rec["division_code"] = key_text[2:8]
            rec["tags"] = _list(rec.get("tags"))
            rec["_texts"] = {d: _text(rec.pop(d, None)) for d in RULE_FIELDS}
        elif layer == "divisions" or layer == "water_sources":
            rec["name_en"] = rec.get("name_en") or rec.get("name_zh") or ""
        elif layer == "reserve_zones":
            rec["reserve_name_en"] = rec.get("reserve_name_en") or rec.get("reserve_name_zh") or ""
        elif layer == "industrial_parks":
            rec["name_en"] = rec.get("name_en") or rec.get("name_zh") or ""
            rec["recognised_chemical_park"] = _flag(rec.get("recognised_chemical_park"))
            for key in _PARK_LISTS:
                rec[key] = _list(rec.get(key))
        elif layer == "monitoring_points":
            rec["subtype"] = rec.get("subtype") or ""
            rec["attributes"] = _dict(rec.get("attributes"))
            if not rec.get("division_code") and key_text:
                rec["division_code"] = None
        missing = [k for k in REQUIRED[layer] if k in fields and rec.get(k) is None and k not in ENUMS[layer]]
        for k in missing:
            report.error("missing_value", f"{k} is empty", **where)
        geometry = _geometry(row.geometry, crs, layer, i, key_text, report, repair)
        if geometry is None:
            continue
        rec["geometry"] = geometry
        records.append(rec)
    return records


def _geodesic_m2(geom: BaseGeometry) -> float:
    return crs_mod.geodesic_area_m2(geom)


def _geometry(
    geom: BaseGeometry | None,
    crs: InputCrs,
    layer: str,
    i: int,
    key: str | None,
    report: ValidationReport,
    repair: bool,
) -> BaseGeometry | None:
    """One feature's geometry in EPSG:4490: polygons as MultiPolygon, points as Point, valid."""
    where = {"layer": layer, "feature": i, "key": key}
    if geom is None or geom.is_empty:
        report.error("empty_geometry", "the feature has no geometry", **where)
        return None
    try:
        geom = to_storage(geom, crs, field=layer, location=f"{layer} feature {i}")
    except ZoningError as exc:
        report.error("bad_coordinates", exc.detail, **where)
        return None
    polygonal = layer in POLYGON_LAYERS
    kinds = ("Polygon", "MultiPolygon") if polygonal else ("Point",)
    if geom.geom_type not in kinds:
        report.error(
            "wrong_geometry_type", f"{geom.geom_type} where {' or '.join(kinds)} is expected", **where
        )
        return None
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        found = re.search(r"\[([-\d.eE+]+) ([-\d.eE+]+)\]", reason)
        location = (float(found.group(1)), float(found.group(2))) if found else _point_on(geom)
        if not repair:
            report.error(
                "invalid_geometry",
                f"invalid geometry: {reason} (repair with --repair)",
                location=location,
                **where,
            )
            return None
        before = _geodesic_m2(geom)
        fixed = shapely.make_valid(geom)
        parts = [p for p in shapely.get_parts(fixed) if p.geom_type in ("Polygon", "MultiPolygon")]
        fixed = shapely.union_all(parts) if parts else shapely.MultiPolygon()
        if fixed.is_empty:
            report.error(
                "invalid_geometry",
                f"invalid geometry that cannot be repaired: {reason}",
                location=location,
                **where,
            )
            return None
        after = _geodesic_m2(fixed)
        report.repairs.append(
            Issue(
                "repaired",
                f"{reason}: repaired with make_valid, area changed by {after - before:+.1f} m²",
                layer=layer,
                feature=i,
                key=key,
                location=location,
                area_m2=round(after - before, 1),
            )
        )
        geom = fixed
    if polygonal and geom.geom_type == "Polygon":
        geom = shapely.MultiPolygon([geom])
    return geom


def _point_on(geom: BaseGeometry) -> tuple[float, float] | None:
    try:
        p = geom.representative_point()
    except shapely.errors.GEOSException:
        xy = shapely.get_coordinates(geom)
        return (float(xy[0, 0]), float(xy[0, 1])) if len(xy) else None
    return (p.x, p.y)


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


# ---------------------------------------------------------------------------------- validation


def _frame(records: list[dict[str, Any]], columns: Sequence[str]) -> gpd.GeoDataFrame:
    data = {c: pd.Series([r.get(c) for r in records], dtype=object) for c in columns}
    return gpd.GeoDataFrame(
        data, geometry=gpd.GeoSeries([r["geometry"] for r in records], crs=crs_mod.STORAGE_CRS)
    )


_COVERAGE_COLUMNS = {
    "units": ("code", "class", "division_code"),
    "water_zones": ("source_code", "grade"),
    "water_sources": ("code", "level", "status"),
    "redlines": ("code", "kind"),
    "reserve_zones": ("reserve_code", "zone"),
    "monitoring_points": ("code", "kind", "level", "subtype", "attributes"),
}

AREA_TOLERANCE_M2 = 1_000.0
"""Overlaps and gaps smaller than this (≈ 30 m × 30 m) are left to the totals of coverage_report."""


def validate_layers(layers: DatasetLayers, report: ValidationReport) -> ValidationReport:
    """Check the assembled layers of a version and add the findings to ``report``.

    Errors: unit-code pattern, class digit, duplicate codes, a code naming another division or an
    unknown one, overlapping units and uncovered parts of the city beyond the tolerance of
    :data:`geodata.coverage.EXPECTED` (each located), points outside the city, water zones of an
    unknown source, duplicate keys in the other layers. Warnings: the published-figure checks of
    :func:`geodata.coverage.coverage_report` (unit count, class shares, counts), units reaching
    outside their division. The figures and counts go into the report either way.
    """
    # The clause-reading counts of assemble() (zoning.clause_text) stay beside the layer counts.
    kept = {k: n for k, n in report.counts.items() if k.startswith("clauses_")}
    report.counts = {**kept, **layers.counts()}
    units = layers.units
    pattern = re.compile(v.UNIT_CODE_PATTERN)
    division_codes = {d["code"] for d in layers.divisions}
    county_level = [d for d in layers.divisions if d.get("level") in ("district", "county")]
    for i, u in enumerate(units):
        code, where = u.get("code") or "", {"layer": "units", "feature": i, "key": u.get("code")}
        if not pattern.match(code):
            report.error(
                "code_pattern",
                f"unit code {code!r} does not match {v.UNIT_CODE_PATTERN} "
                "(ZH + 6-digit division + class digit + 4-digit sequence)",
                location=_point_on(u["geometry"]),
                **where,
            )
            continue
        if u.get("class") and code[8] != v.ControlClass(u["class"]).digit:
            report.error(
                "class_mismatch",
                f"code class digit {code[8]} but class {u['class']} "
                f"(digit {v.ControlClass(u['class']).digit})",
                **where,
            )
        if u.get("division_code") and code[2:8] != u["division_code"]:
            report.error(
                "division_mismatch",
                f"code names division {code[2:8]}, the division field says {u['division_code']}",
                **where,
            )
        if u.get("division_code") and u["division_code"] not in division_codes:
            report.error(
                "unknown_division",
                f"division {u['division_code']} is not among the divisions "
                f"({', '.join(sorted(d['code'] for d in county_level))})",
                **where,
            )
    _duplicates(report, "units", units, ("code",))
    _duplicates(report, "water_sources", layers.water_sources, ("code",))
    _duplicates(report, "water_zones", layers.water_zones, ("source_code", "grade"))
    _duplicates(report, "redlines", layers.redlines, ("code",))
    _duplicates(report, "reserve_zones", layers.reserve_zones, ("reserve_code", "zone"))
    _duplicates(report, "monitoring_points", layers.monitoring_points, ("code",))
    _duplicates(report, "divisions", layers.divisions, ("code",))
    sources = {s["code"] for s in layers.water_sources}
    for i, z in enumerate(layers.water_zones):
        if z.get("source_code") not in sources:
            report.error(
                "unknown_source",
                f"water zone of source {z.get('source_code')!r}, which is not in the water-source layer",
                layer="water_zones",
                feature=i,
                key=z.get("source_code"),
                location=_point_on(z["geometry"]),
            )
    if not report.ok or not units or not county_level:
        report.figures["coverage"] = "not computed: fix the errors above first"
        return report

    city_rows = [d for d in layers.divisions if d.get("level") == "city"]
    city = city_rows[0]["geometry"] if city_rows else shapely.union_all([d["geometry"] for d in county_level])
    frames = {name: _frame(getattr(layers, name), cols) for name, cols in _COVERAGE_COLUMNS.items()}
    frames["divisions"] = _frame(county_level, ("code", "level"))
    frames["city"] = gpd.GeoDataFrame({"code": ["city"]}, geometry=[city], crs=crs_mod.STORAGE_CRS)
    cov = coverage.coverage_report(frames)
    report.figures = {
        "city_km2": cov.city_km2,
        "class_km2": cov.class_km2,
        "class_share_pct": cov.class_share_pct,
        "overlap_km2": cov.overlap_km2,
        "gap_km2": cov.gap_km2,
        "units_per_division": cov.units_per_division,
        "published_checks_failed": list(cov.failed),
    }
    report.counts.update({f"units_{k}": n for k, n in Counter(u["class"] for u in units).items()})
    for failed in cov.failed:
        report.warn("published_figure", failed)
    if cov.overlap_km2 > coverage.EXPECTED["max_overlap_km2"]:
        _locate_overlaps(units, report)
    if cov.gap_km2 > coverage.EXPECTED["max_gap_km2"]:
        _locate_gaps(units, city, report)
    shapely.prepare(city)
    for layer, key in (("monitoring_points", "code"), ("water_sources", "code")):
        for i, p in enumerate(getattr(layers, layer)):
            if not city.contains(p["geometry"]):
                report.error(
                    "outside_city",
                    "the point lies outside the city",
                    layer=layer,
                    feature=i,
                    key=p.get(key),
                    location=(p["geometry"].x, p["geometry"].y),
                )
    divisions = {d["code"]: d["geometry"] for d in county_level}
    for i, u in enumerate(units):
        div = divisions.get(u.get("division_code"))
        if div is None:
            continue
        outside = crs_mod.geodesic_area_m2(coverage._areal(u["geometry"].difference(div)))
        if outside > AREA_TOLERANCE_M2:
            report.warn(
                "outside_division",
                f"{outside:.0f} m² of the unit lie outside division {u['division_code']}",
                layer="units",
                feature=i,
                key=u["code"],
                area_m2=round(outside, 1),
            )
    return report


def _duplicates(
    report: ValidationReport, layer: str, records: list[dict[str, Any]], key: tuple[str, ...]
) -> None:
    seen: dict[tuple[Any, ...], int] = {}
    for i, r in enumerate(records):
        k = tuple(r.get(c) for c in key)
        if k in seen:
            report.error(
                "duplicate_code",
                f"{'/'.join(map(str, k))} appears again (first at feature {seen[k]})",
                layer=layer,
                feature=i,
                key="/".join(map(str, k)),
                location=_point_on(r["geometry"]) if "geometry" in r else None,
            )
        else:
            seen[k] = i


def _locate_overlaps(units: list[dict[str, Any]], report: ValidationReport) -> None:
    geoms = [u["geometry"] for u in units]
    tree = shapely.STRtree(geoms)
    for i, j in zip(*tree.query(geoms, predicate="intersects"), strict=True):
        if i >= j:
            continue
        part = coverage._areal(geoms[i].intersection(geoms[j]))
        area = crs_mod.geodesic_area_m2(part)
        if area > AREA_TOLERANCE_M2:
            report.error(
                "overlap",
                f"units {units[i]['code']} and {units[j]['code']} overlap by {area:.0f} m²",
                layer="units",
                feature=int(j),
                key=units[j]["code"],
                location=_point_on(part),
                area_m2=round(area, 1),
            )


def _locate_gaps(units: list[dict[str, Any]], city: BaseGeometry, report: ValidationReport) -> None:
    gap = coverage._areal(city.difference(shapely.union_all([u["geometry"] for u in units])))
    for part in shapely.get_parts(gap):
        area = crs_mod.geodesic_area_m2(part)
        if area > AREA_TOLERANCE_M2:
            report.error(
                "gap",
                f"{area:.0f} m² of the city are covered by no unit",
                layer="units",
                location=_point_on(part),
                area_m2=round(area, 1),
            )


# ------------------------------------------------------------------------------------ importing


@dataclass(frozen=True)
class ImportResult:
    """A draft made by an import: its id, label, checksum and the report it passed."""

    version_id: int
    label: str
    checksum: str
    report: ValidationReport


def read_version_layers(conn: Connection, version_id: int) -> DatasetLayers:
    """Every layer of a stored version as records in the FORMAT.md keys (EPSG:4490 geometries)."""
    from geodata.export import read_layers

    return read_layers(conn, version_id)


def _base_layers(engine: Engine) -> tuple[DatasetLayers | None, str | None]:
    today = datetime.now(UTC).date()
    with translate_errors(), engine.connect() as conn:
        try:
            info = repository.version_in_force(conn, today)
        except NoVersionInForce:
            return None, None
        return read_version_layers(conn, info.id), info.label


def _in_force(engine: Engine) -> bool:
    """Whether a version is in force today (without reading its layers)."""
    with translate_errors(), engine.connect() as conn:
        try:
            repository.version_in_force(conn, datetime.now(UTC).date())
        except NoVersionInForce:
            return False
        return True


def _sleep_hook() -> None:
    """Tests make the write slow to kill the process mid-transaction (``ZONING_IMPORT_TEST_SLEEP_S``)."""
    seconds = float(os.environ.get(SLEEP_HOOK_ENV, "0") or 0)
    if seconds > 0:
        print(f"zoning: import transaction open, sleeping {seconds} s ({SLEEP_HOOK_ENV})", flush=True)
        time.sleep(seconds)


def default_label() -> str:
    """A label for an import given none: ``import-YYYYMMDD-HHMMSS`` (UTC)."""
    return "import-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def check_label(label: str) -> str:
    """Refuse labels that would not fit the column or read badly in a URL."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", label):
        raise InvalidInput(f"label {label!r}: use 1–64 letters, digits, '.', '_' or '-'", field="label")
    return label


def import_bundle(
    engine: Engine,
    sources: Sequence[Path],
    *,
    label: str | None = None,
    crs: str | None = None,
    mapping: Path | None = None,
    repair: bool = False,
    actor: str,
    limits: UploadLimits | None = None,
    title_zh: str | None = None,
    title_en: str | None = None,
) -> ImportResult:
    """Read, validate and write an import as a draft version, in one transaction; audit it.

    ``sources`` are bundles (folders or zips) read together as one. A refused import raises
    :class:`InvalidInput` carrying the report (``extra["report"]``) and leaves a ``failed`` audit
    event; nothing else is written. Labels are unique: of two imports under one label, the second
    fails cleanly.
    """
    label = check_label(label or default_label())
    try:
        bundle = _read_sources(sources, crs=crs, mapping=mapping, repair=repair, limits=limits)
        report = bundle.report
        with translate_errors(), engine.connect() as conn:
            taken = conn.execute(
                select(m.dataset_version.c.id).where(m.dataset_version.c.label == label)
            ).first()
        if taken is not None:
            raise InvalidInput(
                f"a dataset version is already labelled {label!r}; choose another label", field="label"
            )
        base, base_label = (None, None) if not report.ok else _base_layers(engine)
        layers = assemble(bundle, base, in_force=base is not None or _in_force(engine))
        if report.ok:
            validate_layers(layers, report)
        if not report.ok:
            raise refuse(report)
    except InvalidInput as exc:
        _audit_failure(engine, actor, label, exc)
        raise
    meta = {
        "label": label,
        "title_zh": title_zh or bundle.meta.get("title_zh") or f"导入数据集 {label}",
        "title_en": title_en or bundle.meta.get("title_en") or f"Imported dataset {label}",
        "document_no": bundle.meta.get("document_no"),
        "source": f"import of {', '.join(Path(s).name for s in sources)}",
        "reconstruction": bool(bundle.meta.get("reconstruction", False)),
        "provenance": {
            "import": {
                "files": [Path(s).name for s in sources],
                "by": actor,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "repair": repair,
                "crs_option": crs,
                "mapping": str(mapping) if mapping else None,
                "carried_over_from": base_label if report.carried_over else None,
            },
            "validation": {k: val for k, val in report.to_dict().items() if k != "errors"},
            "source_provenance": bundle.meta.get("provenance"),
        },
    }
    with translate_errors(), engine.begin() as conn:
        version_id = repository.insert_version(conn, meta, layers, created_by=actor)
        checksum = repository.content_checksum(layers)
        from geodata import keys

        keys.record_event(
            conn,
            actor=actor,
            action="dataset.import",
            target=label,
            outcome="ok",
            after={
                "version_id": version_id,
                "status": "draft",
                "checksum": checksum,
                "counts": layers.counts(),
                "warnings": len(report.warnings),
                "repairs": len(report.repairs),
                "carried_over": report.carried_over,
            },
        )
        _sleep_hook()
    return ImportResult(version_id, label, checksum, report)


def _read_sources(sources: Sequence[Path], **options: Any) -> ImportBundle:
    if not sources:
        raise InvalidInput("give at least one bundle (folder or .zip)", field="bundle")
    bundles = [read_bundle(Path(s), **options) for s in sources]
    if len(bundles) == 1:
        return bundles[0]
    merged = bundles[0]
    for other in bundles[1:]:
        for layer, records in other.layers.items():
            if layer in merged.layers:
                merged.report.error(
                    "duplicate_layer", f"layer {layer} appears in {merged.name} and {other.name}", layer=layer
                )
            merged.layers[layer] = records
        merged.rules = other.rules if other.rules is not None else merged.rules
        merged.meta = merged.meta or other.meta
        merged.report.errors = [e for e in merged.report.errors if e.code != "missing_layer"]
        merged.report.errors += [e for e in other.report.errors if e.code != "missing_layer"]
        merged.report.warnings += other.report.warnings
        merged.report.repairs += other.report.repairs
        merged.report.sources.update(other.report.sources)
    if "units" not in merged.layers and not any(e.layer == "units" for e in merged.report.errors):
        merged.report.error("missing_layer", "no bundle holds a control-unit layer", layer="units")
    return merged


def _audit_failure(engine: Engine, actor: str, label: str, exc: InvalidInput) -> None:
    from geodata import keys

    report = exc.extra.get("report") or {}
    try:
        with translate_errors():
            keys.record_event_now(
                engine,
                actor=actor,
                action="dataset.import",
                target=label,
                outcome="failed",
                after={"detail": exc.detail, "errors": (report.get("errors") or [])[:50]},
            )
    except ZoningError:  # the refusal stands even if the store cannot record it
        pass


# ------------------------------------------------------------------------------------ publishing

# Publishing lives in geodata.publishing; the names stay importable from here.
from geodata.publishing import publish  # noqa: E402

__all__ += ["assemble", "check_label", "default_label", "publish", "refuse", "unpacked"]
