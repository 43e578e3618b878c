"""KML and KMZ footprints (OGC 07-147r2; always WGS84 lon/lat)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
import zlib

import shapely
from shapely.geometry.base import BaseGeometry

from zoning.crs import WGS84, InputCrs
from zoning.errors import InvalidCoordinate, InvalidInput
from zoning.footprint.model import MAX_NESTING, ParsedFootprint, SourceFormat
from zoning.footprint.validation import check_size, finish, ring_name


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _kml_coords(element: ET.Element, label: str, field: str) -> list[tuple[float, ...]]:
    node = next((c for c in element.iter() if _local(c.tag) == "coordinates"), None)
    if node is None or not (node.text or "").strip():
        raise InvalidInput(f"{label} has no coordinates.", field=field, location=label)
    out: list[tuple[float, ...]] = []
    tuples = (node.text or "").split()
    check_size(len(tuples), 0, field=field)
    for i, tuple_text in enumerate(tuples):
        try:
            out.append(tuple(float(v) for v in tuple_text.split(",")))
        except ValueError as exc:
            raise InvalidCoordinate(
                f"{label}, vertex index {i}: {tuple_text!r} is not lon,lat[,alt].",
                field=field,
                location=label,
            ) from exc
    return out


def _kml_geometry(element: ET.Element, label: str, field: str, nesting: int = 0) -> BaseGeometry | None:
    kind = _local(element.tag)
    if kind == "Point":
        return shapely.Point(_kml_coords(element, label, field)[0])
    if kind == "LineString":
        return shapely.LineString(_kml_coords(element, label, field))
    if kind == "Polygon":
        rings: list[list[tuple[float, ...]]] = []
        for boundary in element:
            if _local(boundary.tag) in ("outerBoundaryIs", "innerBoundaryIs"):
                k = len(rings)
                where = f"{label}, {ring_name(k)}"
                ring = _kml_coords(boundary, where, field)
                if len(ring) < 4 or ring[0][:2] != ring[-1][:2]:
                    raise InvalidInput(
                        f"{where} is not closed: first {ring[0]} and last {ring[-1]} "
                        f"(vertex index {len(ring) - 1}) differ, or it has fewer than 4 positions.",
                        field=field,
                        location=where,
                    )
                if _local(boundary.tag) == "outerBoundaryIs":
                    rings.insert(0, ring)
                else:
                    rings.append(ring)
        if not rings:
            raise InvalidInput(f"{label} has no outer boundary.", field=field, location=label)
        return shapely.Polygon(rings[0], rings[1:])
    if kind == "MultiGeometry":
        if nesting >= MAX_NESTING:
            raise InvalidInput(
                f"{label}: MultiGeometry nests deeper than {MAX_NESTING} levels.", field=field, location=label
            )
        subs = [
            g
            for k, child in enumerate(element)
            if (g := _kml_geometry(child, f"{label}, part {k}", field, nesting + 1)) is not None
        ]
        return shapely.GeometryCollection(subs)
    return None


def read_kml(
    data: bytes | str, crs: InputCrs | None, notes: list[str], field: str, fmt: SourceFormat
) -> ParsedFootprint:
    # KML 2.2 (OGC 07-147r2) §6.2: coordinates are always WGS84 lon,lat[,alt].
    if crs is not None and crs.kind != "lonlat":
        raise InvalidInput(
            f"KML coordinates are always WGS84 lon/lat; crs={crs.name} cannot apply.", field="crs"
        )
    try:
        root = ET.fromstring(data)  # expat refuses external entities and entity expansion bombs
    except ET.ParseError as exc:
        raise InvalidInput(f"The KML cannot be parsed: {exc}", field=field) from exc
    parts: list[tuple[str, BaseGeometry]] = []
    for i, placemark in enumerate(p for p in root.iter() if _local(p.tag) == "Placemark"):
        name = next((c.text for c in placemark if _local(c.tag) == "name" and c.text), None)
        label = f"placemark {i}" + (f" {name.strip()!r}" if name else "")
        for child in placemark:
            geom = _kml_geometry(child, label, field)
            if geom is not None:
                parts.append((label, geom))
    if not parts:
        raise InvalidInput("The KML holds no Placemark with a geometry.", field=field)
    return finish(parts, crs or WGS84, fmt, notes, field=field)


def read_kmz(archive: zipfile.ZipFile, crs: InputCrs | None, notes: list[str], field: str) -> ParsedFootprint:
    names = [n for n in archive.namelist() if n.lower().endswith(".kml")]
    # KML 2.2 §C: the root document is doc.kml, or else the first .kml entry.
    name = "doc.kml" if "doc.kml" in names else (names[0] if names else None)
    if name is None:
        raise InvalidInput("The KMZ archive contains no .kml file.", field=field)
    try:
        data = archive.read(name)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
        # a bad CRC-32, truncated or encrypted entry, or an unsupported compression method
        raise InvalidInput(f"The KMZ entry {name!r} cannot be read: {exc}", field=field) from exc
    return read_kml(data, crs, notes, field, "kmz")
