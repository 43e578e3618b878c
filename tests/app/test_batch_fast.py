"""Batch locate by lookup (place grid + per-block nearest candidates) gives the exact path's answers.

The reference is the exact path kept beside it: ``zoning.locate.locate_many`` (a prepared
``intersects_xy`` per polygon, the covers rule; the KD-tree for nearest points) written by the
per-point dicts of ``app.routes.batch._answers`` and ``orjson.dumps`` — the JSON body before the
fragments. Points: random across and beyond the city, every tenth vertex of every unit, zone,
red line and reserve zone (on the boundary: covered by both neighbours), and points on the place
grid's cell edges and the candidate blocks' edges, with ids that need JSON escaping.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
import shapely
from fastapi.testclient import TestClient

from app.batch_json import json_body
from app.main import create_app
from app.routes.batch import _answers
from app.routes.locate import fragments_of
from tests.conftest import settings_for
from zoning.crs import PLANAR_CRS
from zoning.locate import locate_many
from zoning.locate_index import BLOCK, SPLIT_AT, LocateIndex
from zoning.snapshot import ZoningSnapshot

ARROW = "application/vnd.apache.arrow.stream"
PARQUET = "application/vnd.apache.parquet"


@pytest.fixture(scope="module")
def client(nanchang_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(nanchang_url))) as c:
        yield c


def _points(snapshot: ZoningSnapshot, index: LocateIndex) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1405)
    minx, miny, maxx, maxy = snapshot.city.bounds
    lon = [rng.uniform(minx - 0.05, maxx + 0.05, 20_000)]
    lat = [rng.uniform(miny - 0.05, maxy + 0.05, 20_000)]
    for layer in (snapshot.units, snapshot.water_zones, snapshot.redlines, snapshot.reserve_zones):
        for record in layer.records:
            coords = shapely.get_coordinates(record.geometry)[::10]
            lon.append(coords[:, 0])
            lat.append(coords[:, 1])
    grid = index.grid
    for step in (grid.cell_deg, grid.cell_deg * BLOCK):
        k = rng.integers(0, int((maxx - grid.x0) / step), 2000)
        m = rng.integers(0, int((maxy - grid.y0) / step), 2000)
        lon += [grid.x0 + k * step, rng.uniform(minx, maxx, 2000)]
        lat += [rng.uniform(miny, maxy, 2000), grid.y0 + m * step]
    return np.concatenate(lon), np.concatenate(lat)


def _exact_document(snapshot: ZoningSnapshot, lon: np.ndarray, lat: np.ndarray, ids: list[str]) -> bytes:
    answers = _answers(snapshot, locate_many(snapshot, lon, lat), ids)
    version = snapshot.version
    return orjson.dumps(
        {
            "dataset": {
                "label": version.label,
                "checksum": version.checksum,
                "reconstruction": version.reconstruction,
            },
            "distance_method": f"planar {PLANAR_CRS}",
            "count": len(answers),
            "results": answers,
        }
    )


def test_json_body_is_the_exact_paths_document(client: TestClient) -> None:
    snapshot = client.app.state.snapshots.current()  # type: ignore[attr-defined]
    index = fragments_of(client.app.state.locate_fragments, snapshot).build_index()  # type: ignore[attr-defined]
    lon, lat = _points(snapshot, index)
    ids = [f"site-{i}" for i in range(lon.size)]
    ids[:4] = ['a"b', "c,d", "e\\nf", "南昌 1"]
    fast = index.locate_many(lon, lat)
    assert np.mean(index.grid.classify(lon, lat) >= 0) > 0.5  # the lookup path did most of the work
    expected = _exact_document(snapshot, lon, lat, ids)
    assert json_body(snapshot, fast, ids) == expected
    # The nearest points found for the two halves in a pool's threads: the same document.
    assert lon.size >= SPLIT_AT
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert json_body(snapshot, index.locate_many(lon, lat, pool), ids) == expected


def test_served_json_and_arrow_equal_the_exact_path(client: TestClient) -> None:
    snapshot = client.app.state.snapshots.current()  # type: ignore[attr-defined]
    index = fragments_of(client.app.state.locate_fragments, snapshot).build_index()  # type: ignore[attr-defined]
    lon, lat = _points(snapshot, index)
    lon, lat = lon[:30_000], lat[:30_000]
    r = client.post("/v1/locate", json={"points": np.column_stack([lon, lat]).tolist()})
    assert r.status_code == 200, r.text
    ids = [str(i) for i in range(lon.size)]
    assert r.content == _exact_document(snapshot, lon, lat, ids)
    expected = orjson.loads(r.content)["results"]
    sink = pa.BufferOutputStream()
    table = pa.table({"lon": lon, "lat": lat})
    with ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    for media, read in ((ARROW, lambda b: ipc.open_stream(b).read_all()), (PARQUET, None)):
        body = sink.getvalue().to_pybytes()
        if media == PARQUET:
            buffer = io.BytesIO()
            pq.write_table(table, buffer)
            body = buffer.getvalue()
        r = client.post("/v1/locate", content=body, headers={"content-type": media})
        assert r.status_code == 200, r.text
        out = read(r.content) if read else pq.read_table(io.BytesIO(r.content))
        columns = out.to_pydict()
        for i, answer in enumerate(expected):
            if "error" in answer:
                assert columns["error"][i] == "outside_city" and columns["unit_code"][i] is None
                continue
            assert columns["unit_code"][i] == answer["unit"]["code"]
            assert columns["division_code"][i] == answer["division_code"]
            zones = ";".join(f"{z['source_code']}:{z['grade']}" for z in answer["water_protection_zones"])
            assert columns["water_protection_zones"][i] == (zones or None)
            assert columns["ecological_redline"][i] == (";".join(answer["ecological_redline"]) or None)
            for kind, near in answer["nearest_monitoring_points"].items():
                assert columns[f"nearest_{kind}_code"][i] == near["code"]
                assert columns[f"nearest_{kind}_distance_m"][i] == near["distance_m"]
