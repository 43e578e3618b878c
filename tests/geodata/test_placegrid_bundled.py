"""The place grid on the bundled Nanchang dataset, checked against PostGIS.

Where the grid answers a point (a pure cell), the units and water-source zones of its place are
exactly those PostGIS finds with ``ST_Covers`` (boundary included, the rule of ``zoning.locate``)
on the stored polygons of the version in force — an independent engine on the same data. The
points: random over the city's bounding box, a sample of unit vertices, and cell corners.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import pytest
import shapely
from sqlalchemy import Engine, text

from geodata import repository
from geodata.database import make_engine
from zoning.placegrid import PlaceGrid

COVERING = text(
    """
    SELECT p.i, array_agg(t.code ORDER BY t.code) AS codes
    FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) WITH ORDINALITY AS p(x, y, i)
    JOIN {table} t ON t.version_id = :version
     AND ST_Covers(t.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4490))
    GROUP BY p.i
    """
)


@pytest.fixture(scope="module")
def engine(nanchang_url: str) -> Iterator[Engine]:
    engine = make_engine(nanchang_url)
    yield engine
    engine.dispose()


def _covering(
    engine: Engine, table: str, code: str, version: int, x: np.ndarray, y: np.ndarray
) -> list[list[str]]:
    sql = text(COVERING.text.replace("{table}", table).replace("t.code", f"t.{code}"))
    out: list[list[str]] = [[] for _ in range(len(x))]
    with engine.connect() as conn:
        for i, codes in conn.execute(sql, {"xs": x.tolist(), "ys": y.tolist(), "version": version}):
            out[int(i) - 1] = list(codes)
    return out


def test_grid_places_agree_with_postgis_covers(engine: Engine) -> None:
    with engine.connect() as conn:
        info = repository.version_in_force(conn, date.today())
        snap = repository.read_snapshot(conn, info)
    grid = PlaceGrid.build(snap)
    rng = np.random.default_rng(2024)
    minx, miny, maxx, maxy = snap.city.bounds
    vertices = shapely.get_coordinates(np.array([u.geometry for u in snap.units.records], dtype=object))[::29]
    ix, iy = rng.integers(0, grid.nx, 1500), rng.integers(0, grid.ny, 1500)
    x = np.concatenate([rng.uniform(minx, maxx, 6000), vertices[:, 0], grid.x0 + ix * grid.cell_deg])
    y = np.concatenate([rng.uniform(miny, maxy, 6000), vertices[:, 1], grid.y0 + iy * grid.cell_deg])
    found = grid.classify(x, y)
    answered = np.flatnonzero(found >= 0)
    inside = shapely.contains_xy(snap.city, x[:6000], y[:6000])
    assert np.mean(found[:6000][inside] >= 0) > 0.9  # the grid answers most city points
    units = _covering(engine, "control_unit", "code", info.id, x[answered], y[answered])
    zones = _covering(engine, "water_protection_zone", "source_code", info.id, x[answered], y[answered])
    for k, i in enumerate(answered.tolist()):
        place = grid.places[int(found[i])]
        assert [snap.units.records[j].code for j in place.units] == units[k], (x[i], y[i])
        assert sorted(snap.water_zones.records[j].source_code for j in place.water_zones) == zones[k]
