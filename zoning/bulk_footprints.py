"""Bulk screening of footprints (and of points with a buffer): one partition → one answer table.

The location columns come from one tree query per layer for the whole partition (a footprint
lies in every record it intersects, boundary included, as a point does in ``zoning.bulk``).

Verdicts are shared through a PLACE KEY (:func:`place_keys`): footprints whose keys are equal
get the answer :func:`zoning.bulk.screen_site` gives one of them, because the key holds every fact
about the place that ``zoning.screening.screen`` turns into the bulk fields — the verdict, the
findings' codes, the counts by severity and the compliance counts. Numbers a finding carries per
footprint (overlap areas and shares, distances, the share outside the city) are not bulk fields,
so they need not be equal. The facts, each computed with the predicate screening uses on the same
EPSG:4548 geometries, are listed in :func:`place_keys`.

No rule lives here: a verdict is whatever ``zoning.screening.screen`` says for that site.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from shapely.geometry.base import BaseGeometry

from zoning.bulk import (
    DICT_TYPE,
    OUTPUT_COLUMNS,
    OUTPUT_SCHEMA,
    FloatArray,
    SiteVerdict,
    _prepared,
    _resolve_industries,
    screen_site,
)
from zoning.bulk_project import ProjectColumns, attributes, project_codes
from zoning.crs import to_planar
from zoning.industry import IndustryCatalogue
from zoning.screening import MAX_BUFFER_M
from zoning.screening_rules import redline_under_specific_law, share_outside, specific_law_cover
from zoning.snapshot import ZoningSnapshot

LOCATION_LAYERS = ("units", "water_zones", "redlines", "reserve_zones", "industrial_parks")


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


# ------------------------------------------------------------------------------ the place key

U64 = npt.NDArray[np.uint64]
IntArray = npt.NDArray[np.int64]
ZONE_LAYERS = ("units", "water_zones", "redlines", "reserve_zones")
"""The screened areal layers (``zoning.layers.screened``; monitoring points feed no rule)."""


def _words(n: int, salt: int) -> U64:
    """``n`` random 64-bit words, one per fact: the XOR of a row's words identifies its set of facts."""
    return np.random.default_rng((0xF007, salt)).integers(1, 2**63, size=max(n, 1), dtype=np.uint64)


def _xor_rows(key: U64, rows: IntArray, words: U64) -> None:
    np.bitwise_xor.at(key, rows, words)


def _river_thresholds(snapshot: ZoningSnapshot) -> list[float]:
    """The distances the clause conditions compare a river distance with (``zoning.conditions``):
    every ``distance_to_river_m``, and 0 m ("reaches") for a ``rivers`` condition measured alone."""
    out: set[float] = set()
    for rules in snapshot.rules.values():
        for rule in rules:
            c = rule.conditions
            if "distance_to_river_m" in c:
                out.add(float(c["distance_to_river_m"]))
            elif "rivers" in c and "zone" not in c:
                out.add(0.0)
    return sorted(out)


def _within_rounded(
    river: BaseGeometry, planar: npt.NDArray[np.object_], limit: float
) -> npt.NDArray[np.bool_]:
    """``round(distance, 2) <= limit`` per footprint, as ``zoning.screening_rules`` rounds it: a
    prepared ``dwithin`` decides every footprint farther than 6 mm from the rounding edge, the exact
    rounded distance the few within it."""
    out = shapely.dwithin(river, planar, limit + 0.006)
    near = np.flatnonzero(out)
    if limit >= 0.006:
        out[near] = shapely.dwithin(river, planar[near], limit - 0.006)
    else:
        out[near] = False
    for i in near[~out[near]].tolist():
        out[i] = round(float(planar[i].distance(river)), 2) <= limit
    return out


_PLANAR: dict[int, tuple[Any, npt.NDArray[np.object_]]] = {}
_PLANAR_LOCK = threading.Lock()


def _planar(layer: Any) -> npt.NDArray[np.object_]:
    """A layer's EPSG:4548 geometries as an array, prepared once per worker (an unpickled snapshot
    arrives unprepared; in-place preparation from two threads aborts GEOS, hence the lock)."""
    found = _PLANAR.get(id(layer))
    if found is None or found[0] is not layer:  # the layer is kept in the entry: its id is not reused
        with _PLANAR_LOCK:
            found = _PLANAR.get(id(layer))
            if found is None or found[0] is not layer:
                geoms = np.array(layer.planar, dtype=object)
                shapely.prepare(geoms)
                if len(_PLANAR) > 64:
                    _PLANAR.clear()
                found = _PLANAR[id(layer)] = (layer, geoms)
    return found[1]


def _within(
    layer: Any, planar: npt.NDArray[np.object_], buffers: FloatArray, reach: npt.NDArray[np.object_]
) -> tuple[IntArray, IntArray]:
    """(row, record) pairs with ``dwithin(record, footprint, buffer)`` — the candidates of
    ``zoning.screening._area_hits`` — asked of the record's prepared geometry for the pairs whose
    boxes (the footprint's widened by its buffer) meet: the same predicate, without an unprepared
    distance per pair."""
    rows, recs = layer.planar_tree.query(reach)
    keep = shapely.dwithin(_planar(layer)[recs], planar[rows], buffers[rows])
    return rows[keep], recs[keep]


def _zone_facts(
    snapshot: ZoningSnapshot, planar: npt.NDArray[np.object_], buffers: FloatArray, key: U64
) -> dict[str, tuple[IntArray, IntArray]]:
    """XOR into ``key`` the records each footprint lies in and those only its buffer reaches (or it
    only touches), per screened layer; return the (row, record) pairs it lies in, per layer."""
    touched: dict[str, tuple[IntArray, IntArray]] = {}
    minx, miny, maxx, maxy = shapely.bounds(planar).T
    reach = shapely.box(minx - buffers, miny - buffers, maxx + buffers, maxy + buffers)
    for salt, name in enumerate(ZONE_LAYERS, start=1):
        layer = snapshot.layer(name)
        empty = np.zeros(0, dtype=np.int64)
        touched[name] = (empty, empty)
        if name in snapshot.missing_layers or not layer.records:
            continue  # no_data (or no record): the same for every footprint
        rows, recs = _within(layer, planar, buffers, reach)
        footprints, geoms = planar[rows], _planar(layer)[recs]
        # zoning.screening._area_hits: a hit is "footprint" when it intersects and does not only touch
        # (both predicates symmetric: asked of the record's prepared geometry).
        lies_in = shapely.intersects(geoms, footprints) & ~shapely.touches(geoms, footprints)
        words = _words(2 * len(layer.records), salt)
        _xor_rows(key, rows[lies_in], words[recs[lies_in]])
        if name != "units":  # a unit only the buffer reaches feeds no rule; a protected zone does
            _xor_rows(key, rows[~lies_in], words[len(layer.records) + recs[~lies_in]])
        touched[name] = (rows[lies_in], recs[lies_in])
    return touched


def _context_facts(snapshot: ZoningSnapshot, planar: npt.NDArray[np.object_], key: U64) -> None:
    """XOR into ``key`` the clause-context facts (``screening_rules.clause_context``): the parks the
    footprint lies in, the lakes it reaches, and per named river each threshold's side."""
    parks = snapshot.industrial_parks
    if "industrial_parks" not in snapshot.missing_layers and parks.records:
        rows, recs = parks.planar_tree.query(planar, predicate="intersects")
        inside = ~shapely.touches(_planar(parks)[recs], planar[rows])
        _xor_rows(key, rows[inside], _words(len(parks.records), 11)[recs[inside]])
    lakes = list((snapshot.lakes or {}).values())
    for k, lake in enumerate(lakes):
        key ^= np.where(shapely.intersects(lake, planar), _words(len(lakes), 12)[k], np.uint64(0))
    thresholds = _river_thresholds(snapshot)
    rivers = list((snapshot.rivers or {}).values())
    words = _words(len(rivers) * len(thresholds), 13)
    for r, river in enumerate(rivers):
        for t, limit in enumerate(thresholds):
            key ^= np.where(
                _within_rounded(river, planar, limit), words[r * len(thresholds) + t], np.uint64(0)
            )


def _specific_law_rows(
    snapshot: ZoningSnapshot, planar: npt.NDArray[np.object_], touched: dict[str, tuple[IntArray, IntArray]]
) -> npt.NDArray[np.bool_]:
    """Per footprint: its red-line part lies wholly in the water-source zones / reserves it lies in
    (``screening_rules.redline_under_specific_law``), asked only of those that lie in both."""
    out = np.zeros(planar.size, dtype=bool)
    red_rows, _ = touched["redlines"]
    candidates = np.intersect1d(
        red_rows, np.concatenate([touched["water_zones"][0], touched["reserve_zones"][0]])
    )

    wanted = set(candidates.tolist())
    by_row: dict[str, dict[int, list[int]]] = {}
    for name in ("redlines", "water_zones", "reserve_zones"):
        by_row[name] = {}
        for i, j in zip(*(a.tolist() for a in touched[name]), strict=True):
            if i in wanted:
                by_row[name].setdefault(i, []).append(j)

    def records(name: str, i: int) -> list[BaseGeometry]:
        # The snapshot's EPSG:4548 geometries: ``to_planar`` of the records, as screening computes them.
        planar_geoms = snapshot.layer(name).planar
        return [planar_geoms[j] for j in sorted(by_row[name].get(i, []))]

    covers: dict[tuple[tuple[int, ...], tuple[int, ...]], BaseGeometry | None] = {}
    for i in candidates.tolist():
        which = (
            tuple(sorted(by_row["water_zones"].get(i, []))),
            tuple(sorted(by_row["reserve_zones"].get(i, []))),
        )
        if which not in covers:
            cover = specific_law_cover(records("water_zones", i) + records("reserve_zones", i))
            if cover is not None:
                shapely.prepare(cover)  # a prepared ``covers`` gives the same answer, faster
            covers[which] = cover
        out[i] = redline_under_specific_law(planar[i], records("redlines", i), covers[which])
    return out


def place_keys(snapshot: ZoningSnapshot, geoms: npt.NDArray[np.object_], buffers: FloatArray) -> U64:
    """One 64-bit key per footprint (EPSG:4490): equal keys ⇔ equal place facts (up to 2^-64).

    Every input ``zoning.screening.screen`` reads about the place and turns into a bulk field
    (the verdict, finding codes, counts by severity, compliance counts):

    1. per screened areal layer (control units, water-source zones, red line, reserve zones) the
       records the footprint LIES IN — ``intersects`` and not only ``touches`` in EPSG:4548, the
       ``reached_by == "footprint"`` hits: the units choose the access-list clauses, the zones the
       statutory rows, their subjects and the clause context (grades, red line, reserve zones);
    2. per protected layer the records only the buffer reaches or the footprint only touches
       (``dwithin(buffer_m)`` minus 1., ``near`` at 0 m): one ``buffer_rules`` finding each;
    3. the industrial parks the footprint lies in (their names and chemical-park flag are clause
       facts), the lakes whose water it reaches, and per named river, for every distance a clause
       compares with (and 0 m for "reaches"), whether the distance rounded to the centimetre is
       within it (aliases such as 赣江 are the minimum of their parts: a function of these bits);
    4. whether any of it lies outside the city with a positive share (``coverage_rules``), decided
       by ``share_outside`` itself for every footprint not properly inside the city;
    5. for a footprint in the red line and in a water-source zone or reserve, whether its red-line
       part lies wholly in those (自然资发〔2022〕142号 一、（一）), by ``redline_under_specific_law``;
    6. the geometry type: a linear footprint is a linear project (``with_linear``).

    The industry and the project attributes are the caller's part of the key. Layers the version
    lacks (``no_data``) and the rule tables are the same for every footprint of a snapshot.
    """
    n = geoms.size
    key = np.zeros(n, dtype=np.uint64)
    if n == 0:
        return key
    planar = np.asarray(to_planar(cast(Any, geoms)), dtype=object)
    touched = _zone_facts(snapshot, planar, buffers, key)
    _context_facts(snapshot, planar, key)
    outside = ~shapely.contains_properly(snapshot.city, geoms)
    for i in np.flatnonzero(outside).tolist():
        outside[i] = share_outside(geoms[i], snapshot.city) is not None
    flags = _words(3, 14)
    key ^= np.where(outside, flags[0], np.uint64(0))
    key ^= np.where(_specific_law_rows(snapshot, planar, touched), flags[1], np.uint64(0))
    linear = np.isin(shapely.get_type_id(geoms), (1, 2, 5))  # LineString, LinearRing, MultiLineString
    key ^= np.where(linear, flags[2], np.uint64(0))
    return key


_CACHE: dict[tuple[str, int, str, int], SiteVerdict] = {}
_CACHE_LOCK = threading.Lock()


def _row_error(
    i: int,
    checks: dict[str, npt.NDArray[np.bool_]],
    buffer: float,
    industry_known: bool,
    project_code: int,
) -> str | None:
    """The row's error code, in the order a reader would fix them (first failing check wins)."""
    if not checks["present"][i]:
        return "missing_coordinate"
    if not checks["valid"][i]:
        return "invalid_geometry"
    if not checks["inside"][i]:
        return "outside_city"
    if not 0 <= buffer <= MAX_BUFFER_M:
        return "invalid_buffer"
    if not industry_known:
        return "unknown_industry"
    if project_code < 0:
        return "invalid_attribute"
    return None


def screen_footprints(
    snapshot: ZoningSnapshot,
    catalogue: IndustryCatalogue,
    ids: Sequence[Any],
    geometries: Sequence[BaseGeometry | None],
    industry: pa.Array | None = None,
    buffer_m: FloatArray | None = None,
    *,
    project: ProjectColumns | None = None,
) -> pa.Table:
    """Screen footprints (EPSG:4490) as ``screen_site`` screens each alone; one answer row per input row.

    The layers each footprint lies in are found with one tree query per layer for the whole
    partition; the verdict is screened once per distinct (place key, industry, project attributes)
    — :func:`place_keys` — and cached per worker. Rows without an industry are screened against
    the location only (``verdict`` null). ``project``: the per-row project-attribute columns
    (``zoning.bulk_project``).
    """
    _prepared(snapshot)
    n = len(geometries)
    geoms = np.array(list(geometries), dtype=object)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    valid = present & shapely.is_valid(geoms)
    inside = valid & shapely.intersects(snapshot.city, _only(geoms, valid))
    usable = _only(geoms, inside)
    hits = {name: _hits_per_row(getattr(snapshot, name), usable) for name in LOCATION_LAYERS}
    inside &= np.array([bool(h) for h in hits["units"]], dtype=bool)
    checks = {"present": present, "valid": valid, "inside": inside}
    centroids = shapely.centroid(_only(geoms, present))
    cx, cy = shapely.get_x(centroids), shapely.get_y(centroids)
    ind_codes, resolved, given = _resolve_industries(catalogue, industry, n)
    project_code = project_codes(project, n)
    buffers = np.zeros(n) if buffer_m is None else np.where(np.isfinite(buffer_m), buffer_m, 0.0)
    rows: list[dict[str, Any]] = []
    screened: list[int] = []
    for i in range(n):
        row: dict[str, Any] = dict.fromkeys(OUTPUT_COLUMNS)
        row["id"] = str(ids[i])
        industry_i = resolved[ind_codes[i]] if ind_codes[i] >= 0 else None
        row["industry"] = given[ind_codes[i]] if ind_codes[i] >= 0 else None
        if present[i]:
            row["lon"], row["lat"] = round(float(cx[i]), 7), round(float(cy[i]), 7)
        known = ind_codes[i] < 0 or industry_i is not None
        row["error"] = _row_error(i, checks, float(buffers[i]), known, int(project_code[i]))
        if row["error"] is None:
            _fill_location(row, snapshot, {name: layer_hits[i] for name, layer_hits in hits.items()})
            if industry_i is not None:
                screened.append(i)
        rows.append(row)
    todo = np.array(screened, dtype=np.int64)
    for i, answer in zip(
        todo.tolist(),
        _verdicts(snapshot, catalogue, geoms, buffers, todo, resolved, ind_codes, project_code),
        strict=True,
    ):
        _fill_verdict(rows[i], answer)
    return _rows_table(rows)


def _verdicts(
    snapshot: ZoningSnapshot,
    catalogue: IndustryCatalogue,
    geoms: npt.NDArray[np.object_],
    buffers: FloatArray,
    todo: IntArray,
    resolved: list[Any],
    ind_codes: IntArray,
    project_code: IntArray,
) -> list[SiteVerdict]:
    """The answer for each row of ``todo``: ``screen_site`` once per distinct (place key, industry,
    project attributes), on a footprint of that key, cached per worker and version."""
    if todo.size == 0:
        return []
    place = place_keys(snapshot, geoms[todo], buffers[todo])
    frame = pd.DataFrame({"place": place, "industry": ind_codes[todo], "project": project_code[todo]})
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(frame))
    first = np.zeros(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(codes.size - 1, -1, -1)
    answers: list[SiteVerdict] = []
    for r in first.tolist():
        i = int(todo[r])
        ind = resolved[int(ind_codes[i])]
        cache_key = (snapshot.version.checksum, int(place[r]), ind.code, int(project_code[i]))
        found = _CACHE.get(cache_key)
        if found is None:
            project = attributes(int(project_code[i]))
            found = screen_site(snapshot, catalogue, geoms[i], ind, float(buffers[i]), project=project)
            with _CACHE_LOCK:
                if len(_CACHE) > 200_000:
                    _CACHE.clear()
                _CACHE[cache_key] = found
        answers.append(found)
    return [answers[c] for c in codes.tolist()]


def _rows_table(rows: list[dict[str, Any]]) -> pa.Table:
    plain = pa.schema(
        [pa.field(f.name, pa.string() if f.type == DICT_TYPE else f.type) for f in OUTPUT_SCHEMA]
    )
    table = pa.Table.from_pylist(rows, schema=plain)
    return pa.table(
        [
            pc.dictionary_encode(c).cast(DICT_TYPE) if f.type == DICT_TYPE else c
            for c, f in zip(table.columns, OUTPUT_SCHEMA, strict=True)
        ],
        schema=OUTPUT_SCHEMA,
    )


def _fill_location(row: dict[str, Any], snapshot: ZoningSnapshot, found: dict[str, list[int]]) -> None:
    """The location columns: every record of each layer the footprint intersects (boundary included)."""
    units = [snapshot.units.records[i] for i in found["units"]]
    row["unit_code"] = units[0].code
    row["unit_name_zh"] = units[0].name_zh
    row["unit_class"] = units[0].control_class.value
    row["division_code"] = units[0].division_code
    row["boundary_units"] = ";".join(u.code for u in units[1:])
    row["water_protection_zones"] = ";".join(
        f"{z.source_code}:{z.grade.value}"
        for z in (snapshot.water_zones.records[i] for i in found["water_zones"])
    )
    row["ecological_redline"] = ";".join(snapshot.redlines.records[i].code for i in found["redlines"])
    row["nature_reserve_zones"] = ";".join(
        f"{z.reserve_code}:{z.zone.value}"
        for z in (snapshot.reserve_zones.records[i] for i in found["reserve_zones"])
    )
    row["industrial_parks"] = ";".join(
        snapshot.industrial_parks.records[i].code for i in found["industrial_parks"]
    )


def _fill_verdict(row: dict[str, Any], answer: Any) -> None:
    row["verdict"] = answer.verdict
    row["verdict_label_zh"] = answer.verdict_label_zh
    row["finding_codes"] = answer.finding_codes
    row["findings_prohibited"], row["findings_conditional"], row["findings_notice"] = answer.counts
    (
        row["compliance_non_compliant"],
        row["compliance_needs_review"],
        row["compliance_compliant"],
        row["compliance_not_applicable"],
    ) = answer.compliance_counts
