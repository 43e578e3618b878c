"""Bulk screening kernel: one partition of sites (arrays) → one table of answers, vectorised.

Points are located per polygon, not per point: each layer's (few, prepared) geometries take the
points inside their bounding box — found by binary search on the partition sorted by longitude —
and ``intersects_xy`` decides them, the same rule as ``zoning.locate.locate_many`` (boundary
included). A point's hits per layer are summarised as a 64-bit signature (XOR of one random word
per record), so every distinct (units, water-source zones, red line, reserve zones, industry) key
is found with one factorisation, and the verdict is asked of the domain's screening function once
per key on a representative point, through :func:`screen_site` — the one adapter to the screening
rules. Footprints (and points with a buffer) are screened in ``zoning.bulk_footprints``.

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
from zoning.bulk_project import ProjectColumns, attributes, project_codes
from zoning.compliance import Assessment
from zoning.crs import InputCrs
from zoning.errors import ZoningError
from zoning.industry import IndustryCatalogue, ResolvedIndustry
from zoning.project import ProjectAttributes
from zoning.screening import MAX_BUFFER_M, Finding, ScreeningRequest, screen
from zoning.snapshot import ZoningSnapshot

FloatArray = npt.NDArray[np.float64]

ERROR_CODES = {
    "missing_coordinate": "坐标缺失 missing coordinate",
    "invalid_coordinate": "坐标不是有效数字或超出范围 coordinate is not a valid number or out of range",
    "outside_city": "位于南昌市域外 outside Nanchang",
    "unknown_industry": "行业代码不在 GB/T 4754-2017 中 industry code not in GB/T 4754-2017",
    "invalid_geometry": "几何无效 invalid geometry",
    "invalid_buffer": f"缓冲距离须在 0…{MAX_BUFFER_M:.0f} m buffer outside 0…{MAX_BUFFER_M:.0f} m",
    "invalid_attribute": "项目属性取值无效 a project attribute (nature, outfall, cannot avoid, state major) "
    "is not one of the accepted values",
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
    "industrial_parks",
    "industry",
    "verdict",
    "verdict_label_zh",
    "finding_codes",
    "findings_prohibited",
    "findings_conditional",
    "findings_notice",
    "compliance_non_compliant",
    "compliance_needs_review",
    "compliance_compliant",
    "compliance_not_applicable",
    "error",
]
"""Columns of every answer table, in order (zone columns: ``code:grade`` items joined by ``;``;
``industrial_parks``: the codes of the parks the site lies in or touches; the ``compliance_*``
counts: rows of the compliance table by assessment, null where no industry is given)."""

COUNT_COLUMNS = (
    "findings_prohibited",
    "findings_conditional",
    "findings_notice",
    "compliance_non_compliant",
    "compliance_needs_review",
    "compliance_compliant",
    "compliance_not_applicable",
)
DICT_TYPE = pa.dictionary(pa.int32(), pa.string())
OUTPUT_SCHEMA = pa.schema(
    [
        pa.field(
            name,
            pa.string()
            if name == "id"
            else pa.float64()
            if name in ("lon", "lat")
            else pa.int32()
            if name in COUNT_COLUMNS
            else DICT_TYPE,
        )
        for name in OUTPUT_COLUMNS
    ]
)
"""The Arrow schema of every answer table: strings dictionary-encoded (few distinct values)."""


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
    compliance_counts: tuple[int, int, int, int]
    """rows of the compliance table by assessment: (non_compliant, needs_review, compliant, not_applicable)"""
    units: tuple[str, ...]
    water_zones: tuple[str, ...]
    redlines: tuple[str, ...]
    reserve_zones: tuple[str, ...]


def _finding_code(finding: Finding) -> str:
    """``layer:subject``, with the dimension and clause number for an access-list clause."""
    citation = finding.citation
    if finding.layer == "access_list" and "clause_no" in citation:
        return f"access_list:{finding.subject}/{citation['dimension']}/{citation['clause_no']}"
    return f"{finding.layer}:{finding.subject}"


_ASSESSMENTS = tuple(Assessment)


def screen_site(
    snapshot: ZoningSnapshot,
    catalogue: IndustryCatalogue,
    footprint: BaseGeometry,
    industry: ResolvedIndustry,
    buffer_m: float = 0.0,
    *,
    project: ProjectAttributes | None = None,
) -> SiteVerdict:
    """Screen one site with the same function as ``POST /v1/screenings`` and keep the bulk fields.

    The single point where bulk screening meets the screening rules: re-point this adapter when
    the screening function or its result type changes, nothing else. ``project`` are the
    applicant's declarations (default: the API's defaults); ``screen`` derives ``is_linear``
    from the footprint.
    """
    request = ScreeningRequest(
        footprint, industry, buffer_m=buffer_m, project=project or ProjectAttributes.for_footprint(footprint)
    )
    result = screen(snapshot, request, catalogue)
    findings = result.findings
    counts = tuple(
        sum(1 for f in findings if f.severity == s) for s in ("prohibited", "conditional", "notice")
    )
    assessed = tuple(sum(1 for r in result.compliance if r.assessment is a) for a in _ASSESSMENTS)

    def touched(name: str, fmt: str) -> tuple[str, ...]:
        return tuple(fmt.format(**h.properties) for h in result.layer(name).touched)

    return SiteVerdict(
        verdict=result.verdict,
        verdict_label_zh=result.verdict_labels[0],
        finding_codes=";".join(_finding_code(f) for f in findings),
        counts=(counts[0], counts[1], counts[2]),
        compliance_counts=(assessed[0], assessed[1], assessed[2], assessed[3]),
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
    thresholds = sorted(
        {
            float(rule.conditions["distance_to_river_m"])
            for rules in snapshot.rules.values()
            for rule in rules
            if "distance_to_river_m" in rule.conditions
        }
    )
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
    """A dictionary-encoded string column; index -1 (or a None label) is null."""
    labels_arr = pa.array(list(labels) or [""], type=pa.string())
    valid = indices >= 0
    if len(labels):
        valid &= np.array([v is not None for v in labels], dtype=bool)[np.clip(indices, 0, None)]
    idx = pa.array(np.where(valid, indices, 0).astype(np.int32), mask=~valid)
    return pa.DictionaryArray.from_arrays(idx, labels_arr.fill_null(""))


def _layer_labels(
    records: Sequence[Any], hits: _Hits, fmt: str, xs: FloatArray, ys: FloatArray
) -> tuple[npt.NDArray[np.int64], list[list[str]]]:
    """Per point a code into the list of label lists (the records hit), computed once per signature."""
    codes, reps = _factorize(hits.signature)
    lists: list[list[str]] = []
    for r in reps.tolist():
        if hits.signature[r] == 0:
            lists.append([])
            continue
        point = Point(float(xs[r]), float(ys[r]))
        lists.append([fmt.format(r=rec) for rec in records if rec.geometry.intersects(point)])
    return codes, lists


_VERDICT_CACHE: dict[tuple[str, int, str, int], SiteVerdict] = {}
_VERDICT_LOCK = threading.Lock()


def _cached_verdict(
    snapshot: ZoningSnapshot,
    catalogue: IndustryCatalogue,
    key: int,
    industry: ResolvedIndustry,
    lon: float,
    lat: float,
    project: int = 0,
) -> SiteVerdict:
    """Verdict for one (layers signature, industry, project attributes) key, screened once per worker
    and version (``project``: the packed code of ``zoning.bulk_project``)."""
    cache_key = (snapshot.version.checksum, key, industry.code, project)
    found = _VERDICT_CACHE.get(cache_key)
    if found is None:
        found = screen_site(snapshot, catalogue, Point(lon, lat), industry, project=attributes(project))
        with _VERDICT_LOCK:
            if len(_VERDICT_CACHE) > 200_000:
                _VERDICT_CACHE.clear()
            _VERDICT_CACHE[cache_key] = found
    return found


def _resolve_industries(
    catalogue: IndustryCatalogue, industry: pa.Array | None, n: int
) -> tuple[npt.NDArray[np.int64], list[ResolvedIndustry | None], list[str]]:
    """(code index per row, -1 for none; the resolved industries; their codes as given)."""
    if industry is None:
        return np.full(n, -1, dtype=np.int64), [], []
    text = pc.utf8_trim_whitespace(pc.cast(industry, pa.string()))
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    encoded = (
        pc.dictionary_encode(text).combine_chunks()
        if isinstance(text, pa.ChunkedArray)
        else pc.dictionary_encode(text)
    )
    given = [str(v) for v in encoded.dictionary.to_pylist()]
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
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


def screen_points(
    snapshot: ZoningSnapshot,
    catalogue: IndustryCatalogue,
    ids: pa.Array,
    lon: FloatArray,
    lat: FloatArray,
    industry: pa.Array | None = None,
    *,
    missing: npt.NDArray[np.bool_] | None = None,
    project: ProjectColumns | None = None,
) -> pa.Table:
    """Screen a partition of EPSG:4490 points; one answer row per input row, in input order.

    ``lon``/``lat`` are NaN for rows whose coordinates could not be read (``missing`` marks the
    empty ones). ``industry`` (optional) holds a GB/T 4754 code per row; rows without one get the
    location only (verdict null). ``project``: the per-row project-attribute columns
    (``zoning.bulk_project``). String columns come back dictionary-encoded.
    """
    _prepared(snapshot)
    n = lon.size
    order = np.argsort(lon, kind="stable")  # NaN sorts last
    xs, ys = lon[order], lat[order]
    hits = {
        name: _layer_hits([r.geometry for r in getattr(snapshot, name).records], xs, ys, salt)
        for salt, name in enumerate(("units", "water_zones", "redlines", "reserve_zones"), start=1)
    }
    hits["industrial_parks"] = _layer_hits(
        [r.geometry for r in snapshot.industrial_parks.records], xs, ys, 11
    )
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    units = hits["units"]
    unit_first = units.first[inverse]
    inside_sorted = units.first >= 0
    records = snapshot.units.records
    columns: dict[str, pa.Array] = {
        "id": pc.cast(ids, pa.string()),
        "lon": pa.array(lon),
        "lat": pa.array(lat),
        "division_code": _dictionary(unit_first, [u.division_code for u in records]),
        "unit_code": _dictionary(unit_first, [u.code for u in records]),
        "unit_name_zh": _dictionary(unit_first, [u.name_zh for u in records]),
        "unit_class": _dictionary(unit_first, [u.control_class.value for u in records]),
    }
    formats = {
        "boundary_units": ("units", "{r.code}"),
        "water_protection_zones": ("water_zones", "{r.source_code}:{r.grade.value}"),
        "ecological_redline": ("redlines", "{r.code}"),
        "nature_reserve_zones": ("reserve_zones", "{r.reserve_code}:{r.zone.value}"),
        "industrial_parks": ("industrial_parks", "{r.code}"),
    }
    for column, (layer, fmt) in formats.items():
        codes, lists = _layer_labels(getattr(snapshot, layer).records, hits[layer], fmt, xs, ys)
        labels = [";".join(items[1:] if column == "boundary_units" else items) for items in lists]
        columns[column] = _dictionary(np.where(inside_sorted, codes, -1)[inverse], labels)

    ind_codes, resolved, given = _resolve_industries(catalogue, industry, n)
    columns["industry"] = _dictionary(ind_codes, given)
    ind_sorted = ind_codes[order]
    known = np.array([r is not None for r in resolved] + [False], dtype=bool)[ind_sorted]
    project_code = project_codes(project, n)
    project_sorted = project_code[order]
    todo = np.flatnonzero(inside_sorted & known & (ind_sorted >= 0) & (project_sorted >= 0))
    key_code = np.full(n, -1, dtype=np.int64)
    answers: list[SiteVerdict] = []
    if todo.size:
        # One key per (units, water zones, red line, reserve zones, place facts, industry); mixed with odd
        # multipliers so that equal keys ⇔ equal hit sets and industry up to a 2^-64 chance.
        sig = (
            hits["units"].signature[todo] * _K[0]
            ^ hits["water_zones"].signature[todo] * _K[1]
            ^ hits["redlines"].signature[todo] * _K[2]
            ^ hits["reserve_zones"].signature[todo] * _K[3]
            ^ _place_signature(snapshot, xs[todo], ys[todo], hits["industrial_parks"].signature[todo]) * _K[5]
        )
        # Industry index < 2^32 and attribute code < 2^5: one word for both, mixed like the layers.
        combined = (
            ind_sorted[todo].astype(np.uint64) + np.uint64(1) + (project_sorted[todo].astype(np.uint64) << 32)
        )
        key = sig ^ combined * _K[4]
        codes, reps = _factorize(key)
        answers = [
            _cached_verdict(
                snapshot,
                catalogue,
                int(sig[r]),
                resolved[int(ind_sorted[todo[r]])],  # type: ignore[arg-type]
                float(xs[todo[r]]),
                float(ys[todo[r]]),
                int(project_sorted[todo[r]]),
            )
            for r in reps.tolist()
        ]
        key_code[todo] = codes
    key_code = key_code[inverse]
    columns["verdict"] = _dictionary(key_code, [a.verdict for a in answers])
    columns["verdict_label_zh"] = _dictionary(key_code, [a.verdict_label_zh for a in answers])
    columns["finding_codes"] = _dictionary(key_code, [a.finding_codes for a in answers])
    for k, name in enumerate(("findings_prohibited", "findings_conditional", "findings_notice")):
        values = np.array([a.counts[k] for a in answers] + [0], dtype=np.int32)[key_code]
        columns[name] = pa.array(values, mask=key_code < 0)
    for k, name in enumerate(COUNT_COLUMNS[3:]):
        values = np.array([a.compliance_counts[k] for a in answers] + [0], dtype=np.int32)[key_code]
        columns[name] = pa.array(values, mask=key_code < 0)

    error = np.full(n, -1, dtype=np.int64)
    error[~(unit_first >= 0)] = _ERROR_LIST.index("outside_city")
    nan = np.isnan(lon) | np.isnan(lat)
    error[nan] = _ERROR_LIST.index("invalid_coordinate")
    if missing is not None:
        error[nan & missing] = _ERROR_LIST.index("missing_coordinate")
    error[(unit_first >= 0) & (ind_codes >= 0) & ~known[inverse]] = _ERROR_LIST.index("unknown_industry")
    error[(unit_first >= 0) & (project_code < 0) & (error < 0)] = _ERROR_LIST.index("invalid_attribute")
    columns["error"] = _dictionary(error, _ERROR_LIST)
    return pa.table(columns).select(OUTPUT_COLUMNS).cast(OUTPUT_SCHEMA)
