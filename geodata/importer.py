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

The steps live in their own modules, re-exported here (``geodata.importer`` is the public entry):
:mod:`zoning.archives` (archive safety, shared with footprint uploads), :mod:`geodata.bundle_reader`
(reading files, encodings, CRSs; assembling a version), :mod:`geodata.field_mapping` (三线一单 field
names and aliases per layer), :mod:`geodata.bundle_validation` (the located report, whose types are
in :mod:`zoning.validation_report`), this module (writing the draft) and :mod:`geodata.publishing`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select

from geodata import keys, repository
from geodata import models as m
from geodata.bundle_reader import ImportBundle, assemble, read_bundle
from geodata.bundle_validation import validate_layers
from geodata.database import translate_errors
from geodata.export import read_layers
from geodata.field_mapping import ENUMS, FIELD_ALIASES, GEO_LAYERS, LAYER_NAMES, split_clauses
from geodata.publishing import publish
from geodata.repository import DatasetLayers
from zoning.archives import UploadLimits, check_zip_entries, unpacked
from zoning.errors import InvalidInput, NoVersionInForce, ZoningError
from zoning.validation_report import Issue, ValidationReport, refuse

__all__ = [
    "ENUMS",
    "FIELD_ALIASES",
    "GEO_LAYERS",
    "LAYER_NAMES",
    "ImportBundle",
    "ImportResult",
    "Issue",
    "UploadLimits",
    "ValidationReport",
    "assemble",
    "check_label",
    "check_zip_entries",
    "default_label",
    "import_bundle",
    "publish",
    "read_bundle",
    "refuse",
    "split_clauses",
    "unpacked",
    "validate_layers",
]

SLEEP_HOOK_ENV = "ZONING_IMPORT_TEST_SLEEP_S"
"""Seconds to sleep inside the import transaction after the rows are written (tests of kill -9)."""


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
