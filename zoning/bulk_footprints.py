"""Bulk screening of footprints (and of points with a buffer): one partition → one answer table.

The location columns come from one tree query per layer for the whole partition (a footprint
lies in every record it intersects, boundary included, as a point does in ``zoning.bulk``). The
verdict of each row is :func:`zoning.bulk.screen_site` on that footprint alone.

No rule lives here: a verdict is whatever ``zoning.screening.screen`` says for that site.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from shapely.geometry.base import BaseGeometry

from zoning.bulk import (
    DICT_TYPE,
    OUTPUT_COLUMNS,
    OUTPUT_SCHEMA,
    FloatArray,
    _prepared,
    _resolve_industries,
    screen_site,
)
from zoning.bulk_project import ProjectColumns, attributes, project_codes
from zoning.industry import IndustryCatalogue
from zoning.screening import MAX_BUFFER_M
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
    partition. Rows without an industry are screened against the location only (``verdict`` null).
    ``project``: the per-row project-attribute columns (``zoning.bulk_project``).
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
                answer = screen_site(
                    snapshot,
                    catalogue,
                    geoms[i],
                    industry_i,
                    float(buffers[i]),
                    project=attributes(int(project_code[i])),
                )
                _fill_verdict(row, answer)
        rows.append(row)
    return _rows_table(rows)


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
