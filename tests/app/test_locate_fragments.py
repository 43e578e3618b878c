"""GET /v1/locate assembles its answer from per-record JSON fragments (issue 14 item 3).

The reference is the public schema itself: for random points across the city, the bytes served
must parse to exactly the document ``LocatePublic`` (the pydantic model the OpenAPI describes)
writes for the same domain result, and validate against that model.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import orjson
import pytest
import shapely
from fastapi.testclient import TestClient

from app.main import create_app
from app.routes.locate import fragments_of, locate_public
from app.schemas import LocatePublic
from app.settings import SecuritySettings
from tests.conftest import settings_for
from zoning.errors import OutsideCity
from zoning.locate import locate_point
from zoning.locate_index import BLOCK
from zoning.snapshot import ZoningSnapshot


@pytest.fixture(scope="module")
def client(nanchang_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(nanchang_url))) as c:
        yield c


def test_fragments_equal_the_public_model_on_random_points(client: TestClient) -> None:
    rng = np.random.default_rng(1414)
    snapshot = client.app.state.snapshots.current()  # type: ignore[attr-defined]
    lon = rng.uniform(115.55, 116.45, 400)
    lat = rng.uniform(28.25, 29.05, 400)
    answered = 0
    zones_seen = 0
    for x, y in zip(lon.tolist(), lat.tolist(), strict=True):
        r = client.get("/v1/locate", params={"lon": repr(x), "lat": repr(y)})
        if r.status_code == 422:  # outside the city: a problem, as before
            assert r.json()["code"] == "outside_city"
            continue
        assert r.status_code == 200, r.text
        expected = orjson.loads(locate_public(locate_point(snapshot, x, y)).model_dump_json(by_alias=True))
        assert orjson.loads(r.content) == expected
        LocatePublic.model_validate_json(r.content)
        answered += 1
        zones_seen += bool(expected["water_protection_zones"] or expected["ecological_redline"])
    assert answered > 150 and zones_seen > 0


def _probe_points(
    snapshot: ZoningSnapshot, grid_x0: float, grid_y0: float, cell: float
) -> list[tuple[float, float]]:
    """Random points across the city, every vertex of every unit, water zone, red line and reserve
    zone (on the boundary: the exact rule says both neighbours), points on place-grid cell edges and
    corners and on nearest-candidate block edges (where float rounding could pick the wrong cell)."""
    rng = np.random.default_rng(2014)
    minx, miny, maxx, maxy = snapshot.city.bounds
    points = list(
        zip(rng.uniform(minx, maxx, 3000).tolist(), rng.uniform(miny, maxy, 3000).tolist(), strict=True)
    )
    for layer in (snapshot.units, snapshot.water_zones, snapshot.redlines, snapshot.reserve_zones):
        for record in layer.records:
            coords = shapely.get_coordinates(record.geometry)
            take = coords[rng.choice(len(coords), size=min(len(coords), 40), replace=False)]
            points += [(float(x), float(y)) for x, y in take]
    ix = rng.integers(0, int((maxx - grid_x0) / cell), 800)
    iy = rng.integers(0, int((maxy - grid_y0) / cell), 800)
    on_x = grid_x0 + ix * cell  # a cell's west edge (and, every BLOCK cells, a block's)
    on_y = grid_y0 + iy * cell
    points += list(zip(on_x.tolist(), rng.uniform(miny, maxy, 800).tolist(), strict=True))
    points += list(zip(rng.uniform(minx, maxx, 800).tolist(), on_y.tolist(), strict=True))
    points += list(zip(on_x.tolist(), on_y.tolist(), strict=True))
    bx = grid_x0 + rng.integers(0, int((maxx - grid_x0) / cell / BLOCK), 400) * cell * BLOCK
    by = grid_y0 + rng.integers(0, int((maxy - grid_y0) / cell / BLOCK), 400) * cell * BLOCK
    points += list(zip(bx.tolist(), by.tolist(), strict=True))
    return points


@pytest.fixture(scope="module")
def unlimited(nanchang_url: str) -> Iterator[TestClient]:
    """The service without its rate limit: the test below asks ~8,000 questions in a minute."""
    settings = settings_for(nanchang_url)
    settings = settings.model_copy(update={"security": SecuritySettings(rate_limit_per_minute=0)})
    with TestClient(create_app(settings)) as c:
        yield c


def test_lookup_answers_are_the_exact_paths_bytes(unlimited: TestClient) -> None:
    """With the place grid built, every answer — fast (pure cell) or exact (mixed cell) — is byte for
    byte what the exact path (``locate_point`` written by the same fragments) gives."""
    snapshot = unlimited.app.state.snapshots.current()  # type: ignore[attr-defined]
    fragments = fragments_of(unlimited.app.state.locate_fragments, snapshot)  # type: ignore[attr-defined]
    index = fragments.build_index()
    fast = 0
    for x, y in _probe_points(snapshot, index.grid.x0, index.grid.y0, index.grid.cell_deg):
        try:
            expected = fragments.body(locate_point(snapshot, x, y))
        except OutsideCity:
            expected = None
        fast += fragments.fast_body(x, y) is not None
        r = unlimited.get("/v1/locate", params={"lon": repr(x), "lat": repr(y)})
        if expected is None:
            assert r.status_code == 422 and r.json()["code"] == "outside_city", (x, y)
            continue
        assert r.status_code == 200, r.text
        assert r.content == expected, (x, y)
    assert fast > 1500  # most random points lie in pure cells: the fast path was exercised
