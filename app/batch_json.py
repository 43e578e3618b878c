"""The JSON body of batch locate, written from per-place and per-record fragments (no per-point dicts).

A point's answer is a function of its batch key (unit, zones, red line, reserve zones: one fragment
per key, ``zoning.locate_index.BatchKey``), its id and coordinates, and per monitoring kind the
nearest record (one fragment per record) and a distance. The numbers are written by orjson in one
call per column and split on the commas, so they are the bytes ``orjson.dumps`` writes for each;
the pieces are interleaved by slice assignment into one list and joined once. The document is byte
for byte what ``orjson.dumps`` writes for the per-point dicts of ``app.routes.batch._answers``
(tests/app/test_batch_json.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from zoning.crs import PLANAR_CRS
from zoning.locate_index import BatchKey, PlacedBatch
from zoning.snapshot import ZoningSnapshot

OUTSIDE = orjson.dumps({"error": {"code": "outside_city", "detail": "the point lies outside Nanchang"}})


def _key_part(snapshot: ZoningSnapshot, key: BatchKey, has_kinds: bool) -> bytes:
    """``,"division_code": …, "nearest_monitoring_points":{`` of a key (or the error of an outside one)."""
    if key.unit < 0:
        return b"," + OUTSIDE[1:]
    unit = snapshot.units.records[key.unit]
    doc = orjson.dumps(
        {
            "division_code": unit.division_code,
            "unit": {"code": unit.code, "class": unit.control_class.value},
            "water_protection_zones": [
                {"source_code": z.source_code, "grade": z.grade.value}
                for z in (snapshot.water_zones.records[i] for i in key.water_zones)
            ],
            "ecological_redline": [snapshot.redlines.records[i].code for i in key.redlines],
            "nature_reserve_zones": [
                {"reserve_code": z.reserve_code, "zone": z.zone.value}
                for z in (snapshot.reserve_zones.records[i] for i in key.reserve_zones)
            ],
        }
    )
    return (
        b","
        + doc[1:-1]
        + (b',"nearest_monitoring_points":{' if has_kinds else b',"nearest_monitoring_points":{}}')
    )


def _numbers(values: np.ndarray, prefix: bytes = b"") -> list[bytes]:
    """``prefix`` + each float as orjson writes it: one orjson call for the column, the commas
    replaced by a newline (never in orjson's output) and the prefix, then one split."""
    if not values.size:
        return []
    text = orjson.dumps(values.tolist())[1:-1]
    if prefix:
        text = prefix + text.replace(b",", b"\n" + prefix)
        return text.split(b"\n")
    return text.split(b",")


def _id_texts(ids: list[str]) -> list[bytes]:
    """Each id as a JSON string; ids of digits only (the default: the point's index) in one call."""
    if not ids:
        return []
    text = orjson.dumps(ids)
    if text.count(b",") == len(ids) - 1:  # no id holds a comma: the commas separate the ids
        return text[1:-1].split(b",")
    return list(map(orjson.dumps, ids))


def json_body(snapshot: ZoningSnapshot, batch: PlacedBatch, ids: list[str]) -> bytes:
    """The ``POST /v1/locate`` JSON document for a batch (see the module docstring)."""
    n = batch.lon.size
    kinds = list(batch.nearest)
    key_parts = np.array([_key_part(snapshot, k, bool(kinds)) for k in batch.keys], dtype=object)
    outside_key = np.array([k.unit < 0 for k in batch.keys] or [False])
    outside = outside_key[batch.key]
    outside_at = np.flatnonzero(outside).tolist()
    # Each point is the join of its slots; constant text rides on a neighbouring slot (the next
    # point's '{"id":' on this point's closing braces) so that there are few pieces to join.
    slots: list[list[Any]] = [
        _id_texts(ids),
        _numbers(batch.lon, b',"lon":'),
        _numbers(batch.lat, b',"lat":'),
        key_parts[batch.key].tolist(),
    ]
    for j, kind in enumerate(kinds):
        index, distance = batch.nearest[kind]
        records = snapshot.monitoring[kind].records
        lead = b"}," if j else b""
        heads = [
            lead + orjson.dumps(kind.value) + b':{"code":' + orjson.dumps(r.code) + b',"distance_m":'
            for r in records
        ]
        head_of = np.array([*heads, b""], dtype=object)
        texts = _numbers(np.round(distance, 1))
        if outside_at:
            index = np.where(outside, len(records), index)
            for i in outside_at:  # points outside the city have no nearest points (few: a loop)
                texts[i] = b""
        slots.append(head_of[index].tolist())
        slots.append(texts)
    close = b"}}}" if kinds else b""  # the last kind's object, the nearest points, the point
    end = np.array([close + b',{"id":', b',{"id":'], dtype=object)  # inside, outside
    ends = end[outside.astype(np.int64)].tolist()
    if n:
        ends[-1] = ends[-1][: -len(b',{"id":')]
    slots.append(ends)
    version = snapshot.version
    head = orjson.dumps(
        {
            "dataset": {
                "label": version.label,
                "checksum": version.checksum,
                "reconstruction": version.reconstruction,
            },
            "distance_method": f"planar {PLANAR_CRS}",
            "count": n,
            "results": [],
        }
    )
    points = b"".join(map(b"".join, zip(*slots, strict=True)))
    return b"".join([head[:-2], b'{"id":' if n else b"", points, b"]}"])
