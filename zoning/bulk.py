"""Bulk screening kernel: one partition of sites (arrays) → one table of answers, vectorised.

Points are located per polygon, not per point: each layer's (few, prepared) geometries take the
points inside their bounding box — found by binary search on the partition sorted by longitude —
and ``intersects_xy`` decides them, the same rule as ``zoning.locate.locate_many`` (boundary
included). A point's hits per layer are summarised as a 64-bit signature (XOR of one random word
per record), so every distinct (units, water-source zones, red line, reserve zones, industry) key
is found with one factorisation, and the verdict is asked of the domain's screening function once
per key on a representative point, through :func:`screen_site` — the one adapter to the screening
rules. Footprints (and points with a buffer) go through :func:`screen_site` row by row.

No rule lives here: a verdict is whatever ``zoning.screening.screen`` says for that site.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from shapely import Point
from shapely.geometry.base import BaseGeometry

from zoning import coords
from zoning import crs as crs_mod
from zoning.crs import InputCrs
from zoning.errors import ZoningError
from zoning.industry import IndustryCatalogue, ResolvedIndustry
from zoning.placegrid import Place, PlaceGrid, grid_for, locate_places, river_pairs, river_thresholds
from zoning.screening import MAX_BUFFER_M, ScreeningRequest, screen
from zoning.snapshot import ZoningSnapshot

FloatArray = npt.NDArray[np.float64]

ERROR_CODES = {
    "missing_coordinate": "坐标缺失 missing coordinate",
    "invalid_coordinate": "坐标不是有效数字或超出范围 coordinate is not a valid number or out of range",
    "outside_city": "位于南昌市域外 outside Nanchang",
    "unknown_industry": "行业代码不在 GB/T 4754-2017 中 industry code not in GB/T 4754-2017",
    "invalid_geometry": "几何无效 invalid geometry",
    "invalid_buffer": f"缓冲距离须在 0…{MAX_BUFFER_M:.0f} m buffer outside 0…{MAX_BUFFER_M:.0f} m",
}
"""Per-row error codes of the ``error`` column, with their bilingual meaning."""

OUTPUT_COLUMNS = [
    "id",
    "lon",
    "lat",
    "division_code",
    "unit_code",
    "unit_name_zh",
    "unit_class",
    "boundary_units",
    "water_protection_zones",
    "ecological_redline",
    "nature_reserve_zones",
    "industry",
    "verdict",
    "verdict_label_zh",
    "finding_codes",
    "findings_prohibited",
    "findings_conditional",
    "findings_notice",
    "error",
]
"""Columns of every answer table, in order (zone columns: ``code:grade`` items joined by ``;``)."""


# ------------------------------------------------------------------------------ the adapter


@dataclass(frozen=True)
class SiteVerdict:
    """What a bulk row keeps of one screening answer."""

    verdict: str
    verdict_label_zh: str
    finding_codes: str
    """``;``-joined ``layer:subject`` of each finding, in the answer's order (worst first)"""
    counts: tuple[int, int, int]
    """(prohibited, conditional, notice) findings"""
    units: tuple[str, ...]
    water_zones: tuple[str, ...]
    redlines: tuple[str, ...]
    reserve_zones: tuple[str, ...]


def _finding_code(finding: dict[str, Any]) -> str:
    """``layer:subject``, with the dimension and clause number for an access-list clause."""
    citation = finding.get("citation") or {}
    if finding["layer"] == "access_list" and "clause_no" in citation:
        return f"access_list:{finding['subject']}/{citation['dimension']}/{citation['clause_no']}"
    return f"{finding['layer']}:{finding['subject']}"


def screen_site(
    snapshot: ZoningSnapshot,
    catalogue: IndustryCatalogue,
    footprint: BaseGeometry,
    industry: ResolvedIndustry,
    buffer_m: float = 0.0,
) -> SiteVerdict:
    """Screen one site with the same function as ``POST /v1/screenings`` and keep the bulk fields.

    The single point where bulk screening meets the screening rules: re-point this adapter when
    the screening function or its result type changes, nothing else.
    """
    result = screen(snapshot, ScreeningRequest(footprint, industry, buffer_m=buffer_m), catalogue).to_dict()
    findings = result["findings"]
    counts = tuple(
        sum(1 for f in findings if f["severity"] == s) for s in ("prohibited", "conditional", "notice")
    )
    layers = result["layers"]

    def touched(name: str, fmt: str) -> tuple[str, ...]:
        return tuple(fmt.format(**f) for f in layers[name]["features"] if f["reached_by"] == "footprint")

    return SiteVerdict(
        verdict=result["verdict"],
        verdict_label_zh=result["verdict_label_zh"],
        finding_codes=";".join(_finding_code(f) for f in findings),
        counts=(counts[0], counts[1], counts[2]),
        units=touched("control_units", "{code}"),
        water_zones=touched("water_protection_zones", "{source_code}:{grade}"),
        redlines=touched("ecological_redline", "{code}"),
        reserve_zones=touched("nature_reserve_zones", "{reserve_code}:{zone}"),
    )


# ------------------------------------------------------------------------------ coordinates


def to_storage_xy(x: FloatArray, y: FloatArray, crs: InputCrs) -> tuple[FloatArray, FloatArray]:
    """Bring coordinate arrays to EPSG:4490 lon/lat; rows that cannot be (non-finite) become NaN.

    The same conversions as ``zoning.footprint.to_storage`` (EPSG:4326 taken as EPSG:4490,
    GCJ-02/BD-09 removed by :mod:`zoning.coords`, Gauss–Krüger by pyproj), on arrays, so that one
    bad row does not fail its partition.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if crs.kind == "gcj02":
        lon, lat = coords.gcj02_to_wgs84(x, y)
    elif crs.kind == "bd09":
        lon, lat = coords.bd09_to_wgs84(x, y)
    elif crs.kind == "gk" and crs.epsg is not None:
        lon, lat = crs_mod.transformer(crs.epsg).transform(x, y)
    else:
        lon, lat = x, y
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    bad = ~(np.isfinite(lon) & np.isfinite(lat)) | (np.abs(lon) > 180) | (np.abs(lat) > 90)
    return np.where(bad, np.nan, lon), np.where(bad, np.nan, lat)


# ------------------------------------------------------------------------------ the point kernel


@dataclass(frozen=True)
class _Hits:
    first: npt.NDArray[np.int64]
    """lowest record index hit per point, -1 for none"""
    signature: npt.NDArray[np.uint64]
    """XOR of the records' words: equal signatures ⇔ equal sets of records (up to 2^-64)"""


def _words(n: int, salt: int) -> npt.NDArray[np.uint64]:
    return np.random.default_rng(0x5EED + salt).integers(1, 2**63, size=max(n, 1), dtype=np.uint64)


def _layer_hits(geometries: Sequence[BaseGeometry], xs: FloatArray, ys: FloatArray, salt: int) -> _Hits:
    """Hits of one layer for points sorted by x (``xs`` ascending, NaN last)."""
    n = xs.size
    first = np.full(n, -1, dtype=np.int64)
    signature = np.zeros(n, dtype=np.uint64)
    words = _words(len(geometries), salt)
    # Records are in code order: walking them backwards lets the lowest index write ``first`` last.
    for j in range(len(geometries) - 1, -1, -1):
        geometry = geometries[j]
        minx, miny, maxx, maxy = geometry.bounds
        lo, hi = int(np.searchsorted(xs, minx, side="left")), int(np.searchsorted(xs, maxx, side="right"))
        if hi <= lo:
            continue
        y = ys[lo:hi]
        candidates = np.flatnonzero((y >= miny) & (y <= maxy)) + lo
        if candidates.size == 0:
            continue
        inside = candidates[shapely.intersects_xy(geometry, xs[candidates], ys[candidates])]
        first[inside] = j
        signature[inside] ^= words[j]
    return _Hits(first, signature)


def _place_signature(
    snapshot: ZoningSnapshot, xs: FloatArray, ys: FloatArray, parks: npt.NDArray[np.uint64]
) -> npt.NDArray[np.uint64]:
    """Signature of the place facts clause conditions read besides the zone hits (zoning.screening_rules):
    parks (``parks``: their hit signature), lakes, and per named river the side of each distance
    threshold the clauses use (distance rounded to the centimetre, as screening does). ``xs``/``ys``:
    EPSG:4490, sorted by x, NaN last."""
    signature = parks.copy()
    if xs.size == 0 or (snapshot.rivers is None and snapshot.lakes is None):
        return signature
    px, py = crs_mod.PLANAR_TRANSFORMER.transform(xs, ys)
    points = shapely.points(px, py)
    for k, geometry in enumerate((snapshot.lakes or {}).values()):
        signature ^= np.where(shapely.intersects(geometry, points), _words(k + 1, 12)[k], np.uint64(0))
    thresholds = river_thresholds(snapshot)
    bit = 0
    for geometry in (snapshot.rivers or {}).values():
        for t in thresholds:
            bit += 1
            # The screening compares the distance rounded to the centimetre: round(d, 2) <= t.
            near = shapely.dwithin(geometry, points, t + 0.005)
            signature ^= np.where(near, _words(bit, 13)[bit - 1], np.uint64(0))
    return signature


def _factorize(values: npt.NDArray[np.uint64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(code per row, first row of each code) of a uint64 array."""
    codes, uniques = pd.factorize(values)
    first = np.zeros(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(codes.size - 1, -1, -1)
    return codes.astype(np.int64), first


def _dictionary(indices: npt.NDArray[np.int64], labels: Sequence[str | None]) -> pa.DictionaryArray:
    """A dictionary-encoded string column; index -1 (or a None label) is null.

    The dictionary holds each label once: Parquet keeps a column dictionary-encoded only when its
    Arrow dictionary has no repeats (with repeats it falls back to plain strings — 600 bytes a row
    for the finding codes, and most of the write time).
    """
    unique: dict[str, int] = {}
    lut = np.full(len(labels) + 1, -1, dtype=np.int32)  # the last entry answers index -1
    for i, label in enumerate(labels):
        if label is not None:
            lut[i] = unique.setdefault(label, len(unique))
    idx = lut[indices]
    null = idx < 0
    dictionary = pa.array(list(unique) or [""], type=pa.string())
    if not null.any():
        return pa.DictionaryArray.from_arrays(pa.array(idx), dictionary)
    idx[null] = 0
    return pa.DictionaryArray.from_arrays(pa.array(idx, mask=null), dictionary)


_VERDICT_CACHE: dict[tuple[str, int, str], SiteVerdict] = {}
_VERDICT_LOCK = threading.Lock()


def _cached_verdict(
    snapshot: ZoningSnapshot,
    catalogue: IndustryCatalogue,
    key: int,
    industry: ResolvedIndustry,
    lon: float,
    lat: float,
) -> SiteVerdict:
    """Verdict for one (layers signature, industry) key, screened once per worker and version."""
    cache_key = (snapshot.version.checksum, key, industry.code)
    found = _VERDICT_CACHE.get(cache_key)
    if found is None:
        found = screen_site(snapshot, catalogue, Point(lon, lat), industry)
        with _VERDICT_LOCK:
            if len(_VERDICT_CACHE) > 200_000:
                _VERDICT_CACHE.clear()
            _VERDICT_CACHE[cache_key] = found
    return found


def _resolve_industries(
    catalogue: IndustryCatalogue, industry: pa.Array | None, n: int
) -> tuple[npt.NDArray[np.int64], list[ResolvedIndustry | None], list[str]]:
    """(code index per row, -1 for none; the resolved industries; their codes as given, trimmed).

    Rows are dictionary-encoded first (a dictionary-encoded column as it comes) and only the
    distinct values are trimmed and resolved: no string work per row."""
    if industry is None:
        return np.full(n, -1, dtype=np.int64), [], []
    if isinstance(industry, pa.ChunkedArray):
        industry = industry.combine_chunks()
    encoded = industry if pa.types.is_dictionary(industry.type) else pc.dictionary_encode(industry)
    given: list[str] = []
    lut = np.full(len(encoded.dictionary) + 1, -1, dtype=np.int64)  # the last entry answers a null row
    for i, value in enumerate(encoded.dictionary.cast(pa.string()).to_pylist()):
        code = (value or "").strip()
        if code:
            if code not in given:
                given.append(code)
            lut[i] = given.index(code)
    codes = lut[encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)]
    resolved: list[ResolvedIndustry | None] = []
    for code in given:
        try:
            resolved.append(catalogue.resolve(code, field="industry"))
        except ZoningError:
            resolved.append(None)
    return codes, resolved, given


_PREPARE_LOCK = threading.Lock()


def _prepared(snapshot: ZoningSnapshot) -> None:
    """Prepare the snapshot's geometries once: an unpickled snapshot arrives unprepared (~100× slower
    ``intersects_xy``). In place, so under a lock (GEOS aborts when two threads prepare one geometry);
    the city, prepared last, marks it done."""
    if shapely.is_prepared(snapshot.city):
        return
    with _PREPARE_LOCK:
        if shapely.is_prepared(snapshot.city):
            return
        s = snapshot
        for layer in (s.units, s.water_zones, s.redlines, s.reserve_zones, s.industrial_parks):
            shapely.prepare(np.array([r.geometry for r in layer.records], dtype=object))
        context = [*(snapshot.rivers or {}).values(), *(snapshot.lakes or {}).values()]
        shapely.prepare(np.array(context, dtype=object))
        shapely.prepare(snapshot.city)


_ERROR_LIST = list(ERROR_CODES)
_K = [
    np.uint64(k)
    for k in (
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0x27D4EB2F165667C5,
        0x85EBCA77C2B2AE63,
        0xD6E8FEB86659FD93,
    )
]


_LAYER_SALTS = {"units": 1, "water_zones": 2, "redlines": 3, "reserve_zones": 4, "industrial_parks": 11}
"""The salt of each layer's record words: the same words whichever path finds the hits."""


@dataclass(frozen=True)
class _PlaceTable:
    """Per place of a :class:`PlaceGrid`, what the exact path would compute for a point there."""

    unit_first: npt.NDArray[np.int64]
    signatures: dict[str, npt.NDArray[np.uint64]]
    """per layer (``_LAYER_SALTS``) and ``"place"`` (parks, lakes and river sides: ``_place_signature``)"""


_TABLES: dict[tuple[str, float], _PlaceTable] = {}


def _place_table(snapshot: ZoningSnapshot, grid: PlaceGrid) -> _PlaceTable:
    """Hits and signatures per place, from the same record words as :func:`_layer_hits` and
    :func:`_place_signature` (so a pure-cell point and an exact-path point in the same place get the
    same verdict key)."""
    found = _TABLES.get((grid.checksum, grid.cell_deg))
    if found is not None:
        return found
    places = grid.places
    signatures: dict[str, npt.NDArray[np.uint64]] = {}
    for name, salt in _LAYER_SALTS.items():
        words = _words(len(getattr(snapshot, name).records), salt)
        sig = np.zeros(len(places), dtype=np.uint64)
        for k, place in enumerate(places):
            for j in getattr(place, name):
                sig[k] ^= words[j]
        signatures[name] = sig
    lake_index = {name: k for k, name in enumerate(snapshot.lakes or {})}
    rest = signatures["industrial_parks"].copy()
    for k, place in enumerate(places):
        for name in place.lakes:
            i = lake_index[name]
            rest[k] ^= _words(i + 1, 12)[i]
        for bit, near in enumerate(place.river_sides, start=1):
            if near:
                rest[k] ^= _words(bit, 13)[bit - 1]
    signatures["place"] = rest
    unit_first = np.array([p.units[0] if p.units else -1 for p in places], dtype=np.int64)
    table = _PlaceTable(unit_first, signatures)
    _TABLES.clear()
    _TABLES[(grid.checksum, grid.cell_deg)] = table
    return table


@dataclass(frozen=True)
class _Classes:
    """Rows grouped by everything their answer holds besides the industry: one class per place of the
    grid (pure cells), then one per distinct set of hits among the exact-path rows."""

    of_row: npt.NDArray[np.int64]
    unit_first: npt.NDArray[np.int64]
    signatures: dict[str, npt.NDArray[np.uint64]]
    """per class: each layer's signature and ``"place"``"""
    anchor: FloatArray
    """per class a (lon, lat) in it"""
    places: list[Place]
    """per class the records holding it, per layer (for the exact-path classes: located at the anchor)"""


def _classes(snapshot: ZoningSnapshot, lon: FloatArray, lat: FloatArray, use_grid: bool) -> _Classes:
    """Class per row: a pure-cell row by lookup in the place grid; the others (mixed cells, outside the
    grid, NaN) by the exact per-polygon path, grouped by their hit signatures."""
    n = lon.size
    if use_grid:
        grid = grid_for(snapshot)
        table = _place_table(snapshot, grid)
        of_row = grid.classify(lon, lat).astype(np.int64)
        unit_first, signatures = table.unit_first, table.signatures
        anchor = grid.anchors
        places = list(grid.places)
    else:
        of_row = np.full(n, -1, dtype=np.int64)
        unit_first = np.zeros(0, dtype=np.int64)
        signatures = {name: np.zeros(0, dtype=np.uint64) for name in (*_LAYER_SALTS, "place")}
        anchor = np.zeros((0, 2))
        places = []
    exact = np.flatnonzero(of_row < 0)
    if exact.size:
        order = exact[np.argsort(lon[exact], kind="stable")]  # NaN sorts last
        xs, ys = lon[order], lat[order]
        sigs: dict[str, npt.NDArray[np.uint64]] = {}
        for name, salt in _LAYER_SALTS.items():
            found = _layer_hits([r.geometry for r in getattr(snapshot, name).records], xs, ys, salt)
            sigs[name] = found.signature
            if name == "units":
                first = found.first
        inside = first >= 0  # the place facts matter only where a verdict may be asked
        sigs["place"] = np.zeros(order.size, dtype=np.uint64)
        sigs["place"][inside] = _place_signature(
            snapshot, xs[inside], ys[inside], sigs["industrial_parks"][inside]
        )
        mixed = np.zeros(order.size, dtype=np.uint64)
        for k, name in enumerate((*_LAYER_SALTS, "place")):
            mixed ^= sigs[name] * _K[k]
        codes, reps = _factorize(mixed)
        of_row[order] = len(unit_first) + codes
        unit_first = np.concatenate([unit_first, first[reps]])
        signatures = {name: np.concatenate([signatures[name], sigs[name][reps]]) for name in signatures}
        anchor = np.concatenate([anchor, np.column_stack([xs[reps], ys[reps]])])
        places += locate_places(snapshot, river_pairs(snapshot), xs[reps], ys[reps])
    return _Classes(of_row, unit_first, signatures, anchor, places)


def _class_labels(snapshot: ZoningSnapshot, classes: _Classes, layer: str, fmt: str) -> list[list[str]]:
    """Per class the labels of the layer's records holding it (in code order)."""
    records = getattr(snapshot, layer).records
    return [[fmt.format(r=records[j]) for j in getattr(place, layer)] for place in classes.places]


def _verdict_keys(s: dict[str, npt.NDArray[np.uint64]]) -> npt.NDArray[np.uint64]:
    """The verdict cache's key per class: its hit signatures mixed with odd multipliers, so that equal
    keys ⇔ equal (units, water zones, red line, reserve zones, place facts) up to a 2^-64 chance."""
    layers = (
        s["units"] * _K[0] ^ s["water_zones"] * _K[1] ^ s["redlines"] * _K[2] ^ s["reserve_zones"] * _K[3]
    )
    return layers ^ s["place"] * _K[5]


def warm_verdicts(
    snapshot: ZoningSnapshot, catalogue: IndustryCatalogue, industry_code: str, share: int, shares: int
) -> dict[tuple[str, int, str], SiteVerdict]:
    """Screen one share of the verdicts of the place grid's places in the city for one industry, and
    return them (for :func:`seed_verdicts` on every worker: each verdict is screened once per job,
    not once per worker). Nothing for an unknown industry (its rows carry the error)."""
    _prepared(snapshot)
    try:
        industry = catalogue.resolve(industry_code, field="industry")
    except ZoningError:
        return {}
    grid = grid_for(snapshot)
    table = _place_table(snapshot, grid)
    keys = _verdict_keys(table.signatures)
    first: dict[int, int] = {}
    for place in np.flatnonzero(table.unit_first >= 0).tolist():
        first.setdefault(int(keys[place]), place)
    out: dict[tuple[str, int, str], SiteVerdict] = {}
    for key, place in sorted(first.items())[share::shares]:
        lon, lat = grid.anchors[place]
        verdict = _cached_verdict(snapshot, catalogue, key, industry, float(lon), float(lat))
        out[(snapshot.version.checksum, key, industry.code)] = verdict
    return out


def seed_verdicts(entries: dict[tuple[str, int, str], SiteVerdict]) -> None:
    """Add verdicts screened elsewhere (:func:`warm_verdicts`) to this process's verdict cache."""
    with _VERDICT_LOCK:
        _VERDICT_CACHE.update(entries)


def screen_points(
    snapshot: ZoningSnapshot,
    catalogue: IndustryCatalogue,
    ids: pa.Array,
    lon: FloatArray,
    lat: FloatArray,
    industry: pa.Array | None = None,
    *,
    missing: npt.NDArray[np.bool_] | None = None,
    use_grid: bool = True,
) -> pa.Table:
    """Screen a partition of EPSG:4490 points; one answer row per input row, in input order.

    ``lon``/``lat`` are NaN for rows whose coordinates could not be read (``missing`` marks the
    empty ones). ``industry`` (optional) holds a GB/T 4754 code per row; rows without one get the
    location only (verdict null). String columns come back dictionary-encoded. ``use_grid=False``
    answers every point by the exact per-polygon path (the grid's answers are the same).
    """
    _prepared(snapshot)
    n = lon.size
    classes = _classes(snapshot, lon, lat, use_grid)
    of_row = classes.of_row
    unit_first = classes.unit_first[of_row]
    inside = unit_first >= 0
    records = snapshot.units.records
    first = classes.unit_first
    columns: dict[str, pa.Array] = {
        "id": pc.cast(ids, pa.string()),
        "lon": pa.array(lon),
        "lat": pa.array(lat),
        "division_code": _dictionary(of_row, [records[u].division_code if u >= 0 else None for u in first]),
        "unit_code": _dictionary(of_row, [records[u].code if u >= 0 else None for u in first]),
        "unit_name_zh": _dictionary(of_row, [records[u].name_zh if u >= 0 else None for u in first]),
        "unit_class": _dictionary(
            of_row, [records[u].control_class.value if u >= 0 else None for u in first]
        ),
    }
    formats = {
        "boundary_units": ("units", "{r.code}"),
        "water_protection_zones": ("water_zones", "{r.source_code}:{r.grade.value}"),
        "ecological_redline": ("redlines", "{r.code}"),
        "nature_reserve_zones": ("reserve_zones", "{r.reserve_code}:{r.zone.value}"),
    }
    for column, (layer, fmt) in formats.items():
        lists = _class_labels(snapshot, classes, layer, fmt)
        labels = [
            ";".join(items[1:] if column == "boundary_units" else items) if first[c] >= 0 else None
            for c, items in enumerate(lists)
        ]
        columns[column] = _dictionary(of_row, labels)

    ind_codes, resolved, given = _resolve_industries(catalogue, industry, n)
    columns["industry"] = _dictionary(ind_codes, given)
    known = np.array([r is not None for r in resolved] + [False], dtype=bool)[ind_codes]
    todo = np.flatnonzero(inside & known & (ind_codes >= 0))
    key_code = np.full(n, -1, dtype=np.int64)
    answers: list[SiteVerdict] = []
    if todo.size:
        # One key per (class, industry); the verdict cache is keyed by the class's hit signatures
        # (mixed with odd multipliers: equal ⇔ equal hit sets up to a 2^-64 chance) and the industry.
        sig = _verdict_keys(classes.signatures)
        pair = of_row[todo] * (len(given) + 1) + ind_codes[todo]
        codes, reps = _factorize(pair.astype(np.uint64))
        answers = [
            _cached_verdict(
                snapshot,
                catalogue,
                int(sig[c]),
                resolved[int(ind_codes[todo[r]])],  # type: ignore[arg-type]
                float(classes.anchor[c, 0]),
                float(classes.anchor[c, 1]),
            )
            for r, c in zip(reps.tolist(), of_row[todo[reps]].tolist(), strict=True)
        ]
        key_code[todo] = codes
    columns["verdict"] = _dictionary(key_code, [a.verdict for a in answers])
    columns["verdict_label_zh"] = _dictionary(key_code, [a.verdict_label_zh for a in answers])
    columns["finding_codes"] = _dictionary(key_code, [a.finding_codes for a in answers])
    for k, name in enumerate(("findings_prohibited", "findings_conditional", "findings_notice")):
        values = np.array([a.counts[k] for a in answers] + [0], dtype=np.int32)[key_code]
        columns[name] = pa.array(values, mask=key_code < 0)

    error = np.full(n, -1, dtype=np.int64)
    error[~inside] = _ERROR_LIST.index("outside_city")
    nan = np.isnan(lon) | np.isnan(lat)
    error[nan] = _ERROR_LIST.index("invalid_coordinate")
    if missing is not None:
        error[nan & missing] = _ERROR_LIST.index("missing_coordinate")
    error[inside & (ind_codes >= 0) & ~known] = _ERROR_LIST.index("unknown_industry")
    columns["error"] = _dictionary(error, _ERROR_LIST)
    return pa.table(columns).select(OUTPUT_COLUMNS).cast(OUTPUT_SCHEMA)


# ------------------------------------------------------------------------------ footprints


def _hits_per_row(layer: Any, geometries: npt.NDArray[np.object_]) -> list[list[int]]:
    """Per footprint, the record indexes (in code order) of a layer it intersects: one tree query."""
    out: list[list[int]] = [[] for _ in range(len(geometries))]
    if not layer.records or not len(geometries):
        return out
    pairs = layer.tree.query(geometries, predicate="intersects")
    if pairs.shape[1] == 0:
        return out
    order = np.lexsort((pairs[1], pairs[0]))
    rows, records = pairs[0][order], pairs[1][order]
    cuts = np.flatnonzero(np.diff(rows)) + 1
    for chunk_rows, chunk_records in zip(np.split(rows, cuts), np.split(records, cuts), strict=True):
        out[int(chunk_rows[0])] = chunk_records.tolist()
    return out


def _only(geoms: npt.NDArray[np.object_], keep: npt.NDArray[np.bool_]) -> npt.NDArray[np.object_]:
    out = np.full(len(geoms), None, dtype=object)
    out[keep] = geoms[keep]
    return out


def screen_footprints(
    snapshot: ZoningSnapshot,
    catalogue: IndustryCatalogue,
    ids: Sequence[Any],
    geometries: Sequence[BaseGeometry | None],
    industry: pa.Array | None = None,
    buffer_m: FloatArray | None = None,
) -> pa.Table:
    """Screen footprints (EPSG:4490) with :func:`screen_site`; one answer row per input row.

    The layers each footprint touches are found with one tree query per layer for the whole
    partition. Rows without an industry are screened against the location only (``verdict`` null).
    """
    _prepared(snapshot)
    n = len(geometries)
    geoms = np.array(list(geometries), dtype=object)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    valid = present & shapely.is_valid(geoms)
    inside = valid & shapely.intersects(snapshot.city, _only(geoms, valid))
    usable = _only(geoms, inside)
    hits = {
        name: _hits_per_row(getattr(snapshot, name), usable)
        for name in ("units", "water_zones", "redlines", "reserve_zones")
    }
    centroids = shapely.centroid(_only(geoms, present))
    cx, cy = shapely.get_x(centroids), shapely.get_y(centroids)
    ind_codes, resolved, given = _resolve_industries(catalogue, industry, n)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        row: dict[str, Any] = dict.fromkeys(OUTPUT_COLUMNS)
        row["id"] = str(ids[i])
        row["industry"] = given[ind_codes[i]] if ind_codes[i] >= 0 else None
        buffer = float(buffer_m[i]) if buffer_m is not None and np.isfinite(buffer_m[i]) else 0.0
        if present[i]:
            row["lon"], row["lat"] = round(float(cx[i]), 7), round(float(cy[i]), 7)
        if not present[i]:
            row["error"] = "missing_coordinate"
        elif not valid[i]:
            row["error"] = "invalid_geometry"
        elif not inside[i] or not hits["units"][i]:
            row["error"] = "outside_city"
        elif not 0 <= buffer <= MAX_BUFFER_M:
            row["error"] = "invalid_buffer"
        elif ind_codes[i] >= 0 and resolved[ind_codes[i]] is None:
            row["error"] = "unknown_industry"
        else:
            found = {name: layer_hits[i] for name, layer_hits in hits.items()}
            _fill_footprint_row(
                row,
                snapshot,
                catalogue,
                geoms[i],
                found,
                resolved[ind_codes[i]] if ind_codes[i] >= 0 else None,
                buffer,
            )
        rows.append(row)
    return _rows_table(rows)


_COUNT_COLUMNS = ("findings_prohibited", "findings_conditional", "findings_notice")
_DICT = pa.dictionary(pa.int32(), pa.string())
OUTPUT_SCHEMA = pa.schema(
    [
        pa.field(
            name,
            pa.string()
            if name == "id"
            else pa.float64()
            if name in ("lon", "lat")
            else pa.int32()
            if name in _COUNT_COLUMNS
            else _DICT,
        )
        for name in OUTPUT_COLUMNS
    ]
)
"""The Arrow schema of every answer table: strings dictionary-encoded (few distinct values)."""


def _rows_table(rows: list[dict[str, Any]]) -> pa.Table:
    plain = pa.schema([pa.field(f.name, pa.string() if f.type == _DICT else f.type) for f in OUTPUT_SCHEMA])
    table = pa.Table.from_pylist(rows, schema=plain)
    return pa.table(
        [
            pc.dictionary_encode(c).cast(_DICT) if f.type == _DICT else c
            for c, f in zip(table.columns, OUTPUT_SCHEMA, strict=True)
        ],
        schema=OUTPUT_SCHEMA,
    )


def _fill_footprint_row(
    row: dict[str, Any],
    snapshot: ZoningSnapshot,
    catalogue: IndustryCatalogue,
    geometry: BaseGeometry,
    found: dict[str, list[int]],
    industry: ResolvedIndustry | None,
    buffer: float,
) -> None:
    units = [snapshot.units.records[i] for i in found["units"]]
    row["unit_code"] = units[0].code
    row["unit_name_zh"] = units[0].name_zh
    row["unit_class"] = units[0].control_class.value
    row["division_code"] = units[0].division_code
    row["boundary_units"] = ";".join(u.code for u in units[1:])
    water = tuple(
        f"{z.source_code}:{z.grade.value}"
        for z in (snapshot.water_zones.records[i] for i in found["water_zones"])
    )
    red = tuple(snapshot.redlines.records[i].code for i in found["redlines"])
    reserve = tuple(
        f"{z.reserve_code}:{z.zone.value}"
        for z in (snapshot.reserve_zones.records[i] for i in found["reserve_zones"])
    )
    row["water_protection_zones"] = ";".join(water)
    row["ecological_redline"] = ";".join(red)
    row["nature_reserve_zones"] = ";".join(reserve)
    if industry is None:
        return
    # Screened one by one: a footprint's verdict also hangs on its distance to named rivers, the parks
    # and lakes it reaches, how much of it lies outside the city and what it only touches — more than
    # the records it touches — so no verdict is reused from another footprint.
    answer = screen_site(snapshot, catalogue, geometry, industry, buffer)
    row["verdict"] = answer.verdict
    row["verdict_label_zh"] = answer.verdict_label_zh
    row["finding_codes"] = answer.finding_codes
    row["findings_prohibited"], row["findings_conditional"], row["findings_notice"] = answer.counts
