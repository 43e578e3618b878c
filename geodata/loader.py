"""Loading the bundled Nanchang dataset (``geodata/nanchang/data``) into PostGIS.

All versions go in inside one transaction: either every version is there, published with its
effective date, or nothing changed. Files are checked against ``SHA256SUMS`` before anything is
read, and every geometry must be valid and in range.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from geodata import models as m
from geodata import repository
from geodata.database import translate_errors
from geodata.repository import DatasetLayers
from zoning.errors import InvalidInput

BUNDLED_DATA = Path(__file__).resolve().parent / "nanchang" / "data"

_GEO_LAYERS = {
    "divisions": "divisions.geojson",
    "units": "units.geojson",
    "water_sources": "water_sources.geojson",
    "water_zones": "water_zones.geojson",
    "redlines": "redlines.geojson",
    "reserve_zones": "reserve_zones.geojson",
    "monitoring_points": "monitoring_points.geojson",
    "industrial_parks": "industrial_parks.geojson",
}
_OPTIONAL_FILES = {"industrial_parks"}


def verify_checksums(data_dir: Path = BUNDLED_DATA) -> int:
    """Check every file listed in SHA256SUMS; return how many were checked."""
    sums = data_dir / "SHA256SUMS"
    if not sums.exists():
        raise InvalidInput(f"{sums} is missing: the bundled dataset is incomplete", field="SHA256SUMS")
    checked = 0
    for line in sums.read_text().splitlines():
        if not line.strip():
            continue
        expected, name = line.split(maxsplit=1)
        name = name.lstrip("*")
        actual = hashlib.sha256((data_dir / name).read_bytes()).hexdigest()
        if actual != expected:
            raise InvalidInput(f"{name}: sha256 {actual} does not match SHA256SUMS", field=name)
        checked += 1
    return checked


def _read_features(path: Path) -> list[dict[str, Any]]:
    collection = json.loads(path.read_text(encoding="utf-8"))
    records = []
    for i, feature in enumerate(collection["features"]):
        geometry = shape(feature["geometry"])
        if geometry.is_empty or not geometry.is_valid:
            reason = shapely.is_valid_reason(geometry)
            raise InvalidInput(f"{path.name} feature {i}: invalid geometry ({reason})", field=path.name)
        minx, miny, maxx, maxy = geometry.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise InvalidInput(
                f"{path.name} feature {i}: coordinates are not lon/lat degrees", field=path.name
            )
        records.append({**feature["properties"], "geometry": geometry})
    return records


def bundled_versions(data_dir: Path = BUNDLED_DATA) -> list[str]:
    """Labels of the bundled versions, oldest effective date first."""
    labels = []
    for folder in sorted(p for p in data_dir.iterdir() if (p / "version.json").exists()):
        meta = json.loads((folder / "version.json").read_text(encoding="utf-8"))
        labels.append((meta["effective_from"], meta["label"]))
    return [label for _, label in sorted(labels)]


def read_version(label: str, data_dir: Path = BUNDLED_DATA) -> tuple[dict[str, Any], DatasetLayers]:
    """Read one bundled version folder: its metadata and its layers."""
    folder = data_dir / label
    meta = json.loads((folder / "version.json").read_text(encoding="utf-8"))
    provenance = meta.get("provenance")
    if not isinstance(provenance, dict):
        provenance = {"sources": provenance}
    if meta.get("notes"):
        provenance["notes"] = meta["notes"]
    provenance["bundled_folder"] = f"geodata/nanchang/data/{label}"
    meta["provenance"] = provenance
    layers = DatasetLayers()
    for name, filename in _GEO_LAYERS.items():
        if name in _OPTIONAL_FILES and not (folder / filename).exists():
            continue  # a layer added after the folder was written (industrial parks, revision 0002)
        setattr(layers, name, _read_features(folder / filename))
    layers.rules = json.loads((folder / "access_rules.json").read_text(encoding="utf-8"))
    return meta, layers


def read_industries(data_dir: Path = BUNDLED_DATA) -> list[dict[str, Any]]:
    return json.loads((data_dir / "industries.json").read_text(encoding="utf-8"))


def upsert_industries(conn: Connection, industries: list[dict[str, Any]]) -> None:
    """Insert or update the GB/T 4754 catalogue (it is not versioned)."""
    # Parents before children so the self-reference holds row by row.
    order = {"section": 0, "division": 1, "group": 2, "class": 3}
    rows = sorted(industries, key=lambda r: (order[r["level"]], r["code"]))
    stmt = pg_insert(m.industry_category)
    stmt = stmt.on_conflict_do_update(
        index_elements=["code"],
        set_={c: stmt.excluded[c] for c in ("level", "parent", "name_zh", "name_en")},
    )
    conn.execute(stmt, [{k: r[k] for k in ("code", "level", "parent", "name_zh", "name_en")} for r in rows])


def load_bundled(
    engine: Engine,
    data_dir: Path = BUNDLED_DATA,
    *,
    created_by: str = "zoning load",
    log: Callable[[str], object] = print,
) -> list[str]:
    """Load every bundled version and the GB/T 4754 catalogue in one transaction.

    Versions already present (same label and checksum) are left alone, so a second run is a no-op;
    a label present with another checksum is refused rather than silently replaced.
    """
    verify_checksums(data_dir)
    industries = read_industries(data_dir)
    versions = [read_version(label, data_dir) for label in bundled_versions(data_dir)]
    loaded: list[str] = []
    with translate_errors(), engine.begin() as conn:
        upsert_industries(conn, industries)
        for meta, layers in versions:
            checksum = repository.content_checksum(layers)
            existing = conn.execute(
                select(m.dataset_version.c.checksum).where(m.dataset_version.c.label == meta["label"])
            ).scalar_one_or_none()
            if existing == checksum:
                continue
            if existing is not None:
                raise InvalidInput(
                    f"version {meta['label']!r} is already loaded with other content "
                    f"(checksum {existing[:12]}…, bundled {checksum[:12]}…); import it under a new label",
                    field="label",
                )
            version_id = repository.insert_version(conn, meta, layers, created_by=created_by)
            repository.publish_version(conn, version_id, date.fromisoformat(meta["effective_from"]))
            log(f"loaded {meta['label']}: " + ", ".join(f"{k} {v}" for k, v in layers.counts().items()))
            loaded.append(meta["label"])
        count = conn.execute(select(func.count()).select_from(m.dataset_version)).scalar_one()
        log(f"{count} dataset version(s) in the store")
    return loaded
