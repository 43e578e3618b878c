"""Zipped shapefiles and GeoPackages, read with pyogrio (CRS from ``.prj`` / the GeoPackage srs)."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from zoning.crs import InputCrs
from zoning.errors import InvalidInput
from zoning.footprint.model import ParsedFootprint
from zoning.footprint.transform import crs_from_pyproj
from zoning.footprint.validation import finish, pick_crs


def _read_ogr(
    path: str, layer: str | None, label_prefix: str, field: str
) -> tuple[list[tuple[str, BaseGeometry]], str | None]:
    try:
        info = pyogrio.read_info(path, layer=layer)
        _meta, _fids, wkb, _fields = pyogrio.raw.read(path, layer=layer, read_geometry=True, columns=[])
    except Exception as exc:  # pyogrio raises DataSourceError/DataLayerError and GDAL errors
        raise InvalidInput(f"The {label_prefix} cannot be read: {exc}", field=field) from exc
    parts: list[tuple[str, BaseGeometry]] = []
    for i, blob in enumerate(wkb if wkb is not None else []):
        label = f"feature {i}"
        if blob is None:
            raise InvalidInput(f"{label} has no geometry.", field=field, location=label)
        parts.append((label, shapely.from_wkb(blob)))
    return parts, info.get("crs")


def read_shapefile_zip(
    data: bytes, archive: zipfile.ZipFile, crs: InputCrs | None, notes: list[str], field: str
) -> ParsedFootprint:
    names = archive.namelist()
    shps = [n for n in names if n.lower().endswith(".shp") and not n.startswith("__MACOSX")]
    if len(shps) > 1:
        notes.append(f"The archive holds {len(shps)} shapefiles; only {shps[0]} was read.")
    shp = shps[0]
    stem = shp[:-4].lower()
    for ext in (".shx", ".dbf"):
        if stem + ext not in {n.lower() for n in names}:
            raise InvalidInput(f"The zipped shapefile {shp} lacks its {ext} file.", field=field)
    has_prj = stem + ".prj" in {n.lower() for n in names}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.zip"
        path.write_bytes(data)
        parts, found = _read_ogr(f"/vsizip/{path}/{shp}", None, "zipped shapefile", field)
    embedded = crs_from_pyproj(found, source=f"{shp[:-4]}.prj") if has_prj and found else None
    chosen = pick_crs(crs, embedded, f"{shp[:-4]}.prj", notes)
    if chosen is None:
        raise InvalidInput(
            f"The shapefile {shp} has no .prj, so its CRS is unknown: give crs "
            "(e.g. EPSG:4548 for Gauss–Krüger CM 117°E metres, EPSG:4490 for lon/lat).",
            field="crs",
        )
    return finish(parts, chosen, "shapefile", notes, field=field)


def read_geopackage(data: bytes, crs: InputCrs | None, notes: list[str], field: str) -> ParsedFootprint:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.gpkg"
        path.write_bytes(data)
        try:
            layers = pyogrio.list_layers(str(path))
        except Exception as exc:
            raise InvalidInput(f"The GeoPackage cannot be read: {exc}", field=field) from exc
        spatial = [str(name) for name, geom_type in layers if geom_type is not None]
        if not spatial:
            raise InvalidInput("The GeoPackage has no layer with geometry.", field=field)
        if len(spatial) > 1:
            notes.append(
                f"The GeoPackage has {len(spatial)} layers; only the first, {spatial[0]!r}, was read."
            )
        parts, found = _read_ogr(str(path), spatial[0], "GeoPackage", field)
    embedded = crs_from_pyproj(found, source=f"GeoPackage layer {spatial[0]!r}") if found else None
    chosen = pick_crs(crs, embedded, f"GeoPackage layer {spatial[0]!r}", notes)
    if chosen is None:
        raise InvalidInput("The GeoPackage layer declares no CRS: give crs.", field="crs")
    return finish(parts, chosen, "geopackage", notes, field=field)
