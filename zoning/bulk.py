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
import shapely
from pyproj import Transformer
from shapely import Point
from shapely.geometry.base import BaseGeometry

from zoning import coords
from zoning.errors import ZoningError
from zoning.geometry_input import InputCrs
from zoning.industry import IndustryCatalogue, ResolvedIndustry
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
    result = screen(snapshot, ScreeningRequest(footprint, industry, buffer_m=buffer_m), catalogue)
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
        finding_codes=";".join(f"{f['layer']}:{f['subject']}" for f in findings),
        counts=(counts[0], counts[1], counts[2]),
        units=touched("control_units", "{code}"),
        water_zones=touched("water_protection_zones", "{source_code}:{grade}"),
        redlines=touched("ecological_redline", "{code}"),
        reserve_zones=touched("nature_reserve_zones", "{reserve_code}:{zone}"),
    )


# ------------------------------------------------------------------------------ coordinates


_GK_TRANSFORMERS: dict[int, Transformer] = {}


def to_storage_xy(x: FloatArray, y: FloatArray, crs: InputCrs) -> tuple[FloatArray, FloatArray]:
    """Bring coordinate arrays to EPSG:4490 lon/lat; rows that cannot be (non-finite) become NaN.

    The same conversions as ``zoning.geometry_input.to_storage`` (EPSG:4326 taken as EPSG:4490,
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
        tr = _GK_TRANSFORMERS.get(crs.epsg)
        if tr is None:
            tr = _GK_TRANSFORMERS[crs.epsg] = Transformer.from_crs(crs.epsg, 4490, always_xy=True)
        lon, lat = tr.transform(x, y)
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


def _describe(
    records: Sequence[Any], rows: npt.NDArray[np.int64], fmt: str, xs: FloatArray, ys: FloatArray
) -> str:
    """The ``;``-joined labels of the records covering one representative point."""
    point = Point(float(xs[rows]), float(ys[rows]))
    return ";".join(fmt.format(r=r) for r in records if r.geometry.intersects(point))


def _labels(
    records: Sequence[Any], hits: _Hits, fmt: str, xs: FloatArray, ys: FloatArray
) -> npt.NDArray[np.object_]:
    """Per point, the labels of every record it hits (computed once per distinct signature)."""
    codes, uniques = pd.factorize(hits.signature)
    reps = np.zeros(len(uniques), dtype=np.int64)
    reps[codes[::-1]] = np.arange(codes.size - 1, -1, -1)  # first row of each signature
    labels = np.array(
        ["" if sig == 0 else _describe(records, reps[k], fmt, xs, ys) for k, sig in enumerate(uniques)],
        dtype=object,
    )
    return labels[codes]


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
    catalogue: IndustryCatalogue, industry: Sequence[Any] | None, n: int
) -> tuple[npt.NDArray[np.int64], list[ResolvedIndustry | None], list[str]]:
    """(code index per row, -1 for none; the resolved industries; their codes as given)."""
    if industry is None:
        return np.full(n, -1, dtype=np.int64), [], []
    values = pd.Series(industry, dtype=object).map(
        lambda v: None if v is None or pd.isna(v) else str(v).strip()
    )
    values = values.where(values != "", None)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    resolved: list[ResolvedIndustry | None] = []
    for code in uniques:
        try:
            resolved.append(catalogue.resolve(str(code), field="industry"))
        except ZoningError:
            resolved.append(None)
    return codes.astype(np.int64), resolved, [str(u) for u in uniques]


def screen_points(
    snapshot: ZoningSnapshot,
    catalogue: IndustryCatalogue,
    ids: Sequence[Any],
    lon: FloatArray,
    lat: FloatArray,
    industry: Sequence[Any] | None = None,
    *,
    missing: npt.NDArray[np.bool_] | None = None,
) -> pd.DataFrame:
    """Screen a partition of EPSG:4490 points; one answer row per input row, in input order.

    ``lon``/``lat`` are NaN for rows whose coordinates could not be read (``missing`` marks the
    empty ones). ``industry`` (optional) holds a GB/T 4754 code per row; rows without one get the
    location only (verdict null).
    """
    n = lon.size
    order = np.argsort(lon, kind="stable")  # NaN sorts last
    xs, ys = lon[order], lat[order]
    units = _layer_hits([u.geometry for u in snapshot.units.records], xs, ys, 1)
    water = _layer_hits([z.geometry for z in snapshot.water_zones.records], xs, ys, 2)
    red = _layer_hits([r.geometry for r in snapshot.redlines.records], xs, ys, 3)
    reserve = _layer_hits([z.geometry for z in snapshot.reserve_zones.records], xs, ys, 4)

    unit_records = snapshot.units.records
    unit_code = np.array([u.code for u in unit_records] + [None], dtype=object)[units.first]
    unit_name = np.array([u.name_zh for u in unit_records] + [None], dtype=object)[units.first]
    unit_class = np.array([u.control_class.value for u in unit_records] + [None], dtype=object)[units.first]
    division = np.array([u.division_code for u in unit_records] + [None], dtype=object)[units.first]
    all_units = _labels(unit_records, units, "{r.code}", xs, ys)
    boundary = np.array([";".join(s.split(";")[1:]) if s else "" for s in all_units], dtype=object)

    inside = units.first >= 0
    ind_codes, resolved, given = _resolve_industries(catalogue, industry, n)
    ind_sorted = ind_codes[order]
    verdict = np.full(n, None, dtype=object)
    label = np.full(n, None, dtype=object)
    finding_codes = np.full(n, None, dtype=object)
    counts = np.full((n, 3), -1, dtype=np.int64)
    known = np.array([r is not None for r in resolved] + [False], dtype=bool)[ind_sorted]
    todo = np.flatnonzero(inside & known & (ind_sorted >= 0))
    if todo.size:
        # One key per (units, water zones, red line, reserve zones, industry); mixed with odd
        # multipliers so that equal keys ⇔ equal hit sets up to a 2^-64 chance.
        key = (
            units.signature[todo] * np.uint64(0x9E3779B97F4A7C15)
            ^ water.signature[todo] * np.uint64(0xC2B2AE3D27D4EB4F)
            ^ red.signature[todo] * np.uint64(0x165667B19E3779F9)
            ^ reserve.signature[todo] * np.uint64(0x27D4EB2F165667C5)
        )
        pairs = pd.MultiIndex.from_arrays([key, ind_sorted[todo]])
        codes, uniques = pd.factorize(pairs)
        reps = np.zeros(len(uniques), dtype=np.int64)
        reps[codes[::-1]] = todo[::-1]
        answers = [
            _cached_verdict(snapshot, catalogue, int(k), resolved[int(i)], float(xs[r]), float(ys[r]))  # type: ignore[arg-type]
            for (k, i), r in zip(uniques, reps.tolist(), strict=True)
        ]
        verdict[todo] = np.array([a.verdict for a in answers], dtype=object)[codes]
        label[todo] = np.array([a.verdict_label_zh for a in answers], dtype=object)[codes]
        finding_codes[todo] = np.array([a.finding_codes for a in answers], dtype=object)[codes]
        counts[todo] = np.array([a.counts for a in answers], dtype=np.int64).reshape(-1, 3)[codes]

    error = np.full(n, None, dtype=object)
    nan = np.isnan(xs) | np.isnan(ys)
    error[~inside] = "outside_city"
    error[nan] = "invalid_coordinate"
    if missing is not None:
        error[nan & missing[order]] = "missing_coordinate"
    bad_industry = inside & (ind_sorted >= 0) & ~known
    error[bad_industry] = "unknown_industry"

    industry_given = np.array([*given, None], dtype=object)[ind_sorted]
    sorted_frame = {
        "division_code": division,
        "unit_code": unit_code,
        "unit_name_zh": unit_name,
        "unit_class": unit_class,
        "boundary_units": np.where(inside, boundary, None),
        "water_protection_zones": np.where(
            inside,
            _labels(snapshot.water_zones.records, water, "{r.source_code}:{r.grade.value}", xs, ys),
            None,
        ),
        "ecological_redline": np.where(
            inside, _labels(snapshot.redlines.records, red, "{r.code}", xs, ys), None
        ),
        "nature_reserve_zones": np.where(
            inside,
            _labels(snapshot.reserve_zones.records, reserve, "{r.reserve_code}:{r.zone.value}", xs, ys),
            None,
        ),
        "industry": industry_given,
        "verdict": verdict,
        "verdict_label_zh": label,
        "finding_codes": finding_codes,
        "findings_prohibited": counts[:, 0],
        "findings_conditional": counts[:, 1],
        "findings_notice": counts[:, 2],
        "error": error,
    }
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    frame = pd.DataFrame(
        {"id": pd.array(np.asarray(ids, dtype=object), dtype="string"), "lon": lon, "lat": lat}
    )
    for name, values in sorted_frame.items():
        frame[name] = values[inverse]
    for name in ("findings_prohibited", "findings_conditional", "findings_notice"):
        frame[name] = pd.array(np.where(frame[name] < 0, None, frame[name]), dtype="Int32")
    return frame[OUTPUT_COLUMNS]


# ------------------------------------------------------------------------------ footprints


def screen_footprints(
    snapshot: ZoningSnapshot,
    catalogue: IndustryCatalogue,
    ids: Sequence[Any],
    geometries: Sequence[BaseGeometry | None],
    industry: Sequence[Any] | None = None,
    buffer_m: FloatArray | None = None,
) -> pd.DataFrame:
    """Screen footprints (EPSG:4490) row by row with :func:`screen_site`; one answer row per input row.

    Rows without an industry are screened against the location only (``verdict`` null).
    """
    n = len(geometries)
    ind_codes, resolved, given = _resolve_industries(catalogue, industry, n)
    rows: list[dict[str, Any]] = []
    city = snapshot.city
    for i, geometry in enumerate(geometries):
        row: dict[str, Any] = dict.fromkeys(OUTPUT_COLUMNS)
        row["id"] = str(ids[i])
        row["industry"] = given[ind_codes[i]] if ind_codes[i] >= 0 else None
        buffer = float(buffer_m[i]) if buffer_m is not None and np.isfinite(buffer_m[i]) else 0.0
        if geometry is None or geometry.is_empty:
            row["error"] = "missing_coordinate"
        elif not geometry.is_valid:
            row["error"] = "invalid_geometry"
        elif not city.intersects(geometry):
            row["error"] = "outside_city"
        elif not 0 <= buffer <= MAX_BUFFER_M:
            row["error"] = "invalid_buffer"
        elif ind_codes[i] >= 0 and resolved[ind_codes[i]] is None:
            row["error"] = "unknown_industry"
        if geometry is not None and not geometry.is_empty:
            c = geometry.centroid if geometry.geom_type != "Point" else geometry
            row["lon"], row["lat"] = round(c.x, 7), round(c.y, 7)
        if row["error"] is None:
            _fill_footprint_row(row, snapshot, catalogue, geometry, resolved, ind_codes[i], buffer)  # type: ignore[arg-type]
        rows.append(row)
    frame = pd.DataFrame(rows, columns=OUTPUT_COLUMNS)
    frame["id"] = frame["id"].astype("string")
    for name in ("findings_prohibited", "findings_conditional", "findings_notice"):
        frame[name] = frame[name].astype("Int32")
    for name in ("lon", "lat"):
        frame[name] = frame[name].astype("float64")
    return frame


def _touched(layer: Any, geometry: BaseGeometry, fmt: str) -> list[str]:
    hits = sorted(int(i) for i in layer.tree.query(geometry, predicate="intersects"))
    return [fmt.format(r=layer.records[i]) for i in hits]


def _fill_footprint_row(
    row: dict[str, Any],
    snapshot: ZoningSnapshot,
    catalogue: IndustryCatalogue,
    geometry: BaseGeometry,
    resolved: list[ResolvedIndustry | None],
    code: int,
    buffer: float,
) -> None:
    units = sorted(int(i) for i in snapshot.units.tree.query(geometry, predicate="intersects"))
    first = snapshot.units.records[units[0]] if units else None
    row["unit_code"] = first.code if first else None
    row["unit_name_zh"] = first.name_zh if first else None
    row["unit_class"] = first.control_class.value if first else None
    row["division_code"] = first.division_code if first else None
    row["boundary_units"] = ";".join(snapshot.units.records[i].code for i in units[1:])
    row["water_protection_zones"] = ";".join(
        _touched(snapshot.water_zones, geometry, "{r.source_code}:{r.grade.value}")
    )
    row["ecological_redline"] = ";".join(_touched(snapshot.redlines, geometry, "{r.code}"))
    row["nature_reserve_zones"] = ";".join(
        _touched(snapshot.reserve_zones, geometry, "{r.reserve_code}:{r.zone.value}")
    )
    industry = resolved[code] if code >= 0 else None
    if industry is not None:
        answer = screen_site(snapshot, catalogue, geometry, industry, buffer)
        row["verdict"] = answer.verdict
        row["verdict_label_zh"] = answer.verdict_label_zh
        row["finding_codes"] = answer.finding_codes
        row["findings_prohibited"], row["findings_conditional"], row["findings_notice"] = answer.counts
