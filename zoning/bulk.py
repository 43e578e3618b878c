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

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from shapely import Point
from shapely.geometry.base import BaseGeometry

from zoning import coords
from zoning import crs as crs_mod
from zoning.bulk_classes import (
    PointClasses,
    class_labels,
    factorize,
    place_table,
    point_classes,
    verdict_keys,
)
from zoning.bulk_project import ProjectColumns, attributes, project_codes
from zoning.compliance import Assessment
from zoning.crs import InputCrs
from zoning.errors import ZoningError
from zoning.industry import IndustryCatalogue, ResolvedIndustry
from zoning.placegrid import grid_for
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


def _validity(null: npt.NDArray[np.bool_]) -> pa.Buffer | None:
    """An Arrow validity bitmap for a null mask (None when nothing is null)."""
    return pa.py_buffer(np.packbits(~null, bitorder="little")) if null.any() else None


def _dictionary(
    indices: npt.NDArray[np.int64], labels: Sequence[str | None], validity: pa.Buffer | None = None
) -> pa.DictionaryArray:
    """A dictionary-encoded string column; index -1 (or a None label) is null. ``validity``: the
    bitmap (:func:`_validity`) when the caller knows it (then no label of a valid row is None).

    The dictionary holds each label once: Parquet keeps a column dictionary-encoded only when its
    Arrow dictionary has no repeats (with repeats it falls back to plain strings — 600 bytes a row
    for the finding codes, and most of the write time).
    """
    unique: dict[str, int] = {}
    lut = np.zeros(len(labels) + 1, dtype=np.int32)  # the last entry answers index -1
    known = np.zeros(len(labels) + 1, dtype=bool)
    for i, label in enumerate(labels):
        if label is not None:
            lut[i] = unique.setdefault(label, len(unique))
            known[i] = True
    if validity is None:
        validity = _validity(~known[indices])
    idx = lut[indices]
    arr = pa.Array.from_buffers(pa.int32(), idx.size, [validity, pa.py_buffer(idx)])
    return pa.DictionaryArray.from_arrays(arr, pa.array(list(unique) or [""], type=pa.string()), safe=False)


def _counts(values: npt.NDArray[np.int32], validity: pa.Buffer | None) -> pa.Array:
    return pa.Array.from_buffers(pa.int32(), values.size, [validity, pa.py_buffer(values)])


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


def warm_verdicts(
    snapshot: ZoningSnapshot, catalogue: IndustryCatalogue, industry_code: str, share: int, shares: int
) -> dict[tuple[str, int, str, int], SiteVerdict]:
    """Screen one share of the verdicts of the place grid's places in the city for one industry, and
    return them (for :func:`seed_verdicts` on every worker: each verdict is screened once per job,
    not once per worker). Nothing for an unknown industry (its rows carry the error)."""
    _prepared(snapshot)
    try:
        industry = catalogue.resolve(industry_code, field="industry")
    except ZoningError:
        return {}
    grid = grid_for(snapshot)
    table = place_table(snapshot, grid)
    keys = verdict_keys(table.signatures)
    first: dict[int, int] = {}
    for place in np.flatnonzero(table.unit_first >= 0).tolist():
        first.setdefault(int(keys[place]), place)
    out: dict[tuple[str, int, str, int], SiteVerdict] = {}
    for key, place in sorted(first.items())[share::shares]:
        lon, lat = grid.anchors[place]
        verdict = _cached_verdict(snapshot, catalogue, key, industry, float(lon), float(lat))
        out[(snapshot.version.checksum, key, industry.code, 0)] = verdict
    return out


def seed_verdicts(entries: dict[tuple[str, int, str, int], SiteVerdict]) -> None:
    """Add verdicts screened elsewhere (:func:`warm_verdicts`) to this process's verdict cache."""
    with _VERDICT_LOCK:
        _VERDICT_CACHE.update(entries)


_LABELS = {
    "boundary_units": ("units", "{r.code}"),
    "water_protection_zones": ("water_zones", "{r.source_code}:{r.grade.value}"),
    "ecological_redline": ("redlines", "{r.code}"),
    "nature_reserve_zones": ("reserve_zones", "{r.reserve_code}:{r.zone.value}"),
    "industrial_parks": ("industrial_parks", "{r.code}"),
}
"""The ``;``-joined label columns: (layer, label of one record)."""


def _location_columns(
    snapshot: ZoningSnapshot, classes: PointClasses, located: pa.Buffer | None
) -> dict[str, pa.Array]:
    """Unit, division and zone columns by class lookup; ``located``: the validity of rows in the city
    (every location column is null exactly outside it)."""
    of_row, first = classes.of_row, classes.unit_first
    units = [snapshot.units.records[u] if u >= 0 else None for u in first]
    columns = {
        "division_code": _dictionary(of_row, [u.division_code if u else None for u in units], located),
        "unit_code": _dictionary(of_row, [u.code if u else None for u in units], located),
        "unit_name_zh": _dictionary(of_row, [u.name_zh if u else None for u in units], located),
        "unit_class": _dictionary(of_row, [u.control_class.value if u else None for u in units], located),
    }
    for column, (layer, fmt) in _LABELS.items():
        lists = class_labels(snapshot, classes, layer, fmt)
        labels = [
            ";".join(items[1:] if column == "boundary_units" else items) if first[c] >= 0 else None
            for c, items in enumerate(lists)
        ]
        columns[column] = _dictionary(of_row, labels, located)
    return columns


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
    use_grid: bool = True,
) -> pa.Table:
    """Screen a partition of EPSG:4490 points; one answer row per input row, in input order.

    ``lon``/``lat`` are NaN for rows whose coordinates could not be read (``missing`` marks the
    empty ones). ``industry`` (optional) holds a GB/T 4754 code per row; rows without one get the
    location only (verdict null). ``project``: the per-row project-attribute columns
    (``zoning.bulk_project``). String columns come back dictionary-encoded. ``use_grid=False``
    answers every point by the exact per-polygon path (the grid's answers are the same).
    """
    _prepared(snapshot)
    n = lon.size
    classes = point_classes(snapshot, lon, lat, use_grid)
    of_row = classes.of_row
    unit_first = classes.unit_first[of_row]
    inside = unit_first >= 0
    columns: dict[str, pa.Array] = {
        "id": pc.cast(ids, pa.string()),
        "lon": pa.array(lon),
        "lat": pa.array(lat),
        **_location_columns(snapshot, classes, _validity(~inside)),
    }
    ind_codes, resolved, given = _resolve_industries(catalogue, industry, n)
    columns["industry"] = _dictionary(ind_codes, given)
    known = np.array([r is not None for r in resolved] + [False], dtype=bool)[ind_codes]
    project_code = project_codes(project, n)
    todo = np.flatnonzero(inside & known & (ind_codes >= 0) & (project_code >= 0))
    key_code = np.full(n, -1, dtype=np.int64)
    answers: list[SiteVerdict] = []
    if todo.size:
        # One key per (class, industry, project attributes); the verdict cache is keyed by the class's
        # hit signatures (mixed with odd multipliers: equal ⇔ equal hit sets up to a 2^-64 chance),
        # the industry and the packed attribute code (< 2^5, zoning.bulk_project).
        sig = verdict_keys(classes.signatures)
        pair = (of_row[todo] * (len(given) + 1) + ind_codes[todo]) * 32 + project_code[todo]
        codes, reps = factorize(pair.astype(np.uint64))
        answers = [
            _cached_verdict(
                snapshot,
                catalogue,
                int(sig[c]),
                resolved[int(ind_codes[todo[r]])],  # type: ignore[arg-type]
                float(classes.anchor[c, 0]),
                float(classes.anchor[c, 1]),
                int(project_code[todo[r]]),
            )
            for r, c in zip(reps.tolist(), of_row[todo[reps]].tolist(), strict=True)
        ]
        key_code[todo] = codes
    screened = _validity(key_code < 0)
    columns["verdict"] = _dictionary(key_code, [a.verdict for a in answers], screened)
    columns["verdict_label_zh"] = _dictionary(key_code, [a.verdict_label_zh for a in answers], screened)
    columns["finding_codes"] = _dictionary(key_code, [a.finding_codes for a in answers], screened)
    for k, name in enumerate(("findings_prohibited", "findings_conditional", "findings_notice")):
        values = np.array([a.counts[k] for a in answers] + [0], dtype=np.int32)[key_code]
        columns[name] = _counts(values, screened)
    for k, name in enumerate(COUNT_COLUMNS[3:]):
        values = np.array([a.compliance_counts[k] for a in answers] + [0], dtype=np.int32)[key_code]
        columns[name] = _counts(values, screened)

    error = np.full(n, -1, dtype=np.int64)
    error[~inside] = _ERROR_LIST.index("outside_city")
    nan = np.isnan(lon) | np.isnan(lat)
    error[nan] = _ERROR_LIST.index("invalid_coordinate")
    if missing is not None:
        error[nan & missing] = _ERROR_LIST.index("missing_coordinate")
    error[inside & (ind_codes >= 0) & ~known] = _ERROR_LIST.index("unknown_industry")
    error[inside & (project_code < 0) & (error < 0)] = _ERROR_LIST.index("invalid_attribute")
    columns["error"] = _dictionary(error, _ERROR_LIST)
    return pa.table(columns).select(OUTPUT_COLUMNS).cast(OUTPUT_SCHEMA)
