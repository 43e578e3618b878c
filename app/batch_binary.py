"""Binary bodies of batch locate: Apache Arrow IPC streams and Parquet files, in and out.

In: a table with float columns ``lon``, ``lat`` (degrees; or ``x``, ``y`` in the ``crs`` query
parameter) and an optional ``id`` column of any type; any other column is refused by name.
Out: the same format, one row per input row in input order: ``id`` (when given), ``lon``/``lat``
(EPSG:4490), ``division_code``, ``unit_code``, ``unit_class``, the water-source protection zones,
red-line patches and nature-reserve zones holding the point (``code:grade`` joined by ``;``, null
when none), ``nearest_<kind>_code`` and ``nearest_<kind>_distance_m`` per monitoring kind
(planar EPSG:4548, metres, 0.1 m) and ``error`` (``outside_city`` or null). The dataset version
(label, checksum) and the distance method travel in the schema metadata.

Columns are built from the batch's index arrays without a Python loop per point: codes and
classes are dictionary arrays over the snapshot's records, and the zone columns dictionary arrays
over the batch keys (``zoning.locate_index``: one string per distinct unit-and-zones answer).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from zoning.crs import PLANAR_CRS
from zoning.errors import InvalidCoordinate, InvalidInput
from zoning.locate_index import PlacedBatch
from zoning.snapshot import ZoningSnapshot
from zoning.vocabulary import MonitoringKind

ARROW_STREAM = "application/vnd.apache.arrow.stream"
PARQUET = "application/vnd.apache.parquet"
BINARY_TYPES = (ARROW_STREAM, PARQUET)
MAX_BINARY_POINTS = 1_000_000
"""Binary bodies carry 16 bytes a point: a million points is a 16 MB body."""


def read_table(body: bytes, media_type: str) -> pa.Table:
    """The request body as an Arrow table; a body that is not one is a 422 naming ``body``."""
    try:
        if media_type == ARROW_STREAM:
            return ipc.open_stream(pa.py_buffer(body)).read_all()
        return pq.read_table(pa.BufferReader(body))
    except (pa.ArrowException, OSError) as exc:
        kind = "an Arrow IPC stream" if media_type == ARROW_STREAM else "a Parquet file"
        raise InvalidInput(f"the body is not {kind}: {exc}", field="body") from None


def _float_column(table: pa.Table, name: str) -> np.ndarray:
    column = table.column(name)
    if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
        raise InvalidInput(f"column {name!r} is {column.type}, not a number", field=name)
    if column.null_count:
        row = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
        raise InvalidCoordinate(f"{name}[{row}] is null", field=f"{name}[{row}]")
    values = column.cast(pa.float64()).to_numpy()
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        row = int(bad[0])
        raise InvalidCoordinate(f"{name}[{row}] is not a finite number", field=f"{name}[{row}]")
    return values


def table_points(table: pa.Table, crs: str | None) -> tuple[pa.ChunkedArray | None, np.ndarray, np.ndarray]:
    """(ids or None, first coordinate, second coordinate) from the input table, checked."""
    names = set(table.column_names)
    if {"lon", "lat"} <= names:
        first, second = "lon", "lat"
    elif {"x", "y"} <= names:
        if not crs:
            raise InvalidInput("columns x, y need the crs query parameter (e.g. EPSG:4548)", field="crs")
        first, second = "x", "y"
    else:
        raise InvalidInput(
            f"the table needs columns lon, lat (or x, y with crs); it has {sorted(names)}", field="body"
        )
    unknown = sorted(names - {first, second, "id"})
    if unknown:
        raise InvalidInput(
            f"unknown columns {unknown}: only id, {first}, {second} are read", field=unknown[0]
        )
    if table.num_rows == 0:
        raise InvalidInput("no points given", field="body")
    if table.num_rows > MAX_BINARY_POINTS:
        raise InvalidInput(f"{table.num_rows} points: at most {MAX_BINARY_POINTS} per request", field="body")
    ids = table.column("id") if "id" in names else None
    return ids, _float_column(table, first), _float_column(table, second)


def _dictionary(indices: np.ndarray, values: list[str]) -> pa.DictionaryArray:
    """Per-point codes as a dictionary array: indices into the records' values, null where -1.

    The indices are as narrow as the dictionary allows (a few hundred codes: int16), which halves
    the bytes of the answer's code columns against int32."""
    width = np.int8 if len(values) <= 127 else np.int16 if len(values) <= 32767 else np.int32
    return pa.DictionaryArray.from_arrays(
        pa.array(indices.astype(width), mask=indices < 0), pa.array(values, pa.string())
    )


def _per_key(key: np.ndarray, labels: list[str | None]) -> pa.DictionaryArray:
    """A column whose value is a function of the point's batch key: one string per key, indexed by
    the points (null where the key has none: most points lie in no zone)."""
    has = np.array([label is not None for label in labels] or [False])
    indices = np.where(has[key], key, -1)
    return _dictionary(indices, [label or "" for label in labels])


def answer_table(snapshot: ZoningSnapshot, batch: PlacedBatch, ids: pa.ChunkedArray | None) -> pa.Table:
    """The answer columns for every point, in input order."""
    n = batch.lon.size
    units = snapshot.units.records
    keys, key = batch.keys, batch.key
    unit = np.array([k.unit for k in keys] or [-1], dtype=np.int64)[key]
    division_codes = sorted({u.division_code for u in units})
    division_of_unit = np.array([division_codes.index(u.division_code) for u in units] + [-1])
    columns: dict[str, Any] = {}
    if ids is not None:
        columns["id"] = ids
    columns["lon"] = pa.array(batch.lon)
    columns["lat"] = pa.array(batch.lat)
    columns["division_code"] = _dictionary(division_of_unit[unit], division_codes)
    columns["unit_code"] = _dictionary(unit, [u.code for u in units])
    columns["unit_class"] = _dictionary(unit, [u.control_class.value for u in units])
    zones, redlines, reserves = (
        snapshot.water_zones.records,
        snapshot.redlines.records,
        snapshot.reserve_zones.records,
    )
    columns["water_protection_zones"] = _per_key(
        key,
        [
            ";".join(f"{zones[i].source_code}:{zones[i].grade.value}" for i in k.water_zones) or None
            for k in keys
        ],
    )
    columns["ecological_redline"] = _per_key(
        key, [";".join(redlines[i].code for i in k.redlines) or None for k in keys]
    )
    columns["nature_reserve_zones"] = _per_key(
        key,
        [
            ";".join(f"{reserves[i].reserve_code}:{reserves[i].zone.value}" for i in k.reserve_zones) or None
            for k in keys
        ],
    )
    outside = unit < 0
    for kind in MonitoringKind:
        if kind in batch.nearest:
            index, distance = batch.nearest[kind]
            index = np.where(outside, -1, index)
            codes = [p.code for p in snapshot.monitoring[kind].records]
            columns[f"nearest_{kind.value}_code"] = _dictionary(index, codes)
            columns[f"nearest_{kind.value}_distance_m"] = pa.array(np.round(distance, 1), mask=outside)
        else:
            columns[f"nearest_{kind.value}_code"] = pa.nulls(n, pa.string())
            columns[f"nearest_{kind.value}_distance_m"] = pa.nulls(n, pa.float64())
    columns["error"] = _dictionary(np.where(outside, 0, -1), ["outside_city"])
    version = snapshot.version
    metadata = {
        "dataset_label": version.label,
        "dataset_checksum": version.checksum,
        "reconstruction": str(version.reconstruction).lower(),
        "distance_method": f"planar {PLANAR_CRS}",
    }
    return pa.table(columns, metadata=metadata)


def write_table(table: pa.Table, media_type: str) -> memoryview:
    """The table as an Arrow IPC stream or a Parquet file (Snappy, dictionary-encoded codes): a view
    of Arrow's buffer, which the response sends as it is (no copy of tens of megabytes)."""
    sink = pa.BufferOutputStream()
    if media_type == ARROW_STREAM:
        with ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    else:
        # No column statistics (min/max of a million answer rows cost as much as the encoding and
        # serve no reader of a one-off answer file), and a dictionary only for the code columns:
        # tried on coordinates and distances, which hardly repeat, it is built and then dropped.
        codes = [f.name for f in table.schema if pa.types.is_dictionary(f.type)]
        pq.write_table(table, sink, compression="snappy", write_statistics=False, use_dictionary=codes)
    return memoryview(sink.getvalue())
