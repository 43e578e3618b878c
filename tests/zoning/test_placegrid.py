"""The place-cell index on hand-made snapshots (no database, no HTTP).

Expectations come from two independent sources: a literal map of pure and mixed cells drawn by
hand for two unit squares, and, on an irregular snapshot (Voronoi units, a park with long edges,
a lake, a river with a 1,000 m clause), the exact predicates on the same geometry — Shapely's
``covers`` in EPSG:4490 as ``zoning.locate`` asks it, the EPSG:4548 copy as ``zoning.screening``
asks it (a hit shares area with the site: ``intersects and not touches``), and the river distance
rounded to the centimetre and compared ``<=`` as ``zoning.screening_rules`` does.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import shapely
from shapely import LineString, Point, Polygon, box

from zoning.bulk import screen_points, screen_site
from zoning.crs import PLANAR_TRANSFORMER
from zoning.placegrid import PlaceGrid, locate_places, river_pairs
from zoning.snapshot import (
    DivisionRecord,
    IndustrialParkRecord,
    RedlineRecord,
    ReserveZoneRecord,
    RuleRecord,
    UnitRecord,
    VersionInfo,
    WaterZoneRecord,
    ZoningSnapshot,
)
from zoning.vocabulary import (
    ControlClass,
    ParkLevel,
    ProtectionGrade,
    RedlineKind,
    ReserveZoneKind,
    RuleDimension,
    RuleEffect,
)

VERSION = VersionInfo(1, "hand", "手工", "hand", "published", date(2024, 1, 1), None, "c" * 64, True)
CITY = box(115.9, 28.6, 116.1, 28.7)


def _two_squares() -> ZoningSnapshot:
    west, east = box(115.9, 28.6, 116.0, 28.7), box(116.0, 28.6, 116.1, 28.7)
    return ZoningSnapshot.build(
        VERSION,
        city=CITY,
        divisions=[DivisionRecord("360100", "南昌市", "Nanchang", "city", CITY)],
        units=[
            UnitRecord("ZH36010010001", "西单元", "West", ControlClass.PRIORITY, "360101", west),
            UnitRecord("ZH36010030001", "东单元", "East", ControlClass.GENERAL, "360102", east),
        ],
    )


# Cells of 0.02° over the city, north row first. By hand: a cell whose closed box touches a unit
# edge (x = 115.9, 116.0, 116.1; y = 28.6, 28.7) is mixed (M); the others lie inside one unit.
HAND_MAP = [
    "MMMMMMMMMM",
    "MWWWMMEEEM",
    "MWWWMMEEEM",
    "MWWWMMEEEM",
    "MMMMMMMMMM",
]


def test_two_squares_have_the_hand_drawn_pure_cells() -> None:
    grid = PlaceGrid.build(_two_squares(), cell_deg=0.02)
    expected_units = {"W": (0,), "E": (1,)}
    for row, line in enumerate(HAND_MAP):
        for col, mark in enumerate(line):
            lon, lat = 115.91 + 0.02 * col, 28.69 - 0.02 * row
            place = grid.place_of(lon, lat)
            assert int(grid.classify(np.array([lon]), np.array([lat]))[0]) == place
            if mark == "M":
                assert place == -1, (row, col)
            else:
                assert place >= 0 and grid.places[place].units == expected_units[mark], (row, col)
    # Exactly on the shared edge, on a corner, outside the grid, NaN: the exact path decides.
    for lon, lat in ((116.0, 28.65), (115.9, 28.6), (117.0, 28.65), (float("nan"), 28.65)):
        assert grid.place_of(lon, lat) == -1
    # Outside the city, in the grid's padding, clear of every edge: a pure cell with no unit at all.
    outside = grid.place_of(116.13, 28.65)
    assert outside >= 0 and grid.places[outside].units == () and grid.places[outside].divisions == ()


def _star(cx: float, cy: float, r: float, k: int, seed: int) -> Polygon:
    rng = np.random.default_rng(seed)
    angles = np.sort(rng.uniform(0, 2 * np.pi, k))
    radii = r * rng.uniform(0.4, 1.0, k)
    return Polygon(np.column_stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)]))


def _irregular() -> ZoningSnapshot:
    rng = np.random.default_rng(7)
    seeds = shapely.multipoints(np.column_stack([rng.uniform(115.9, 116.1, 14), rng.uniform(28.6, 28.7, 14)]))
    cells = [c.intersection(CITY) for c in shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=CITY))]
    units = [
        UnitRecord(f"ZH3601003{k:04d}", f"单元{k}", f"Unit {k}", ControlClass.GENERAL, "360101", cell)
        for k, cell in enumerate(cells)
    ]
    # a park with long straight edges (its EPSG:4548 copy bows away from it by up to ~1 m)
    park = Polygon([(115.905, 28.605), (116.095, 28.61), (116.05, 28.695), (115.93, 28.69)])
    park_hole = box(115.96, 28.63, 116.04, 28.67)
    return ZoningSnapshot.build(
        VERSION,
        city=CITY,
        divisions=[
            DivisionRecord("360100", "南昌市", "Nanchang", "city", CITY),
            DivisionRecord("360101", "甲区", "A", "district", box(115.9, 28.6, 116.0, 28.7)),
            DivisionRecord("360102", "乙区", "B", "district", box(116.0, 28.6, 116.1, 28.7)),
        ],
        units=units,
        water_zones=[
            WaterZoneRecord("WS1", "水源", "Source", ProtectionGrade("I"), _star(115.95, 28.65, 0.02, 9, 1))
        ],
        redlines=[RedlineRecord("RL1", "红线", RedlineKind.WETLAND, _star(116.03, 28.63, 0.025, 11, 2))],
        reserve_zones=[
            ReserveZoneRecord(
                "NR1", "保护区", "Reserve", ReserveZoneKind("core"), _star(116.07, 28.68, 0.015, 7, 3)
            )
        ],
        industrial_parks=[
            IndustrialParkRecord(
                "P1",
                "园区",
                "Park",
                ParkLevel("provincial"),
                True,
                ("26",),
                Polygon(park.exterior, [park_hole.exterior]),
            )
        ],
        lakes={"湖": _star(115.99, 28.66, 0.012, 10, 4)},
        rivers={"河": LineString([(115.9, 28.62), (115.97, 28.64), (116.02, 28.63), (116.1, 28.69)])},
        rules=[
            RuleRecord(
                None,
                RuleDimension.SPATIAL_LAYOUT,
                1,
                "距河 1000 米内禁止化工。",
                RuleEffect.PROHIBIT,
                ("26",),
                {"distance_to_river_m": 1000, "rivers": ["河"]},
            )
        ],
    )


IRREGULAR = _irregular()
GRID = PlaceGrid.build(IRREGULAR, cell_deg=0.001)


def _exact(lon: float, lat: float) -> tuple[object, ...]:
    """The place of one point by the exact predicates, in the order of :class:`Place`'s fields."""
    p = Point(lon, lat)
    layers = ("units", "divisions", "water_zones", "redlines", "reserve_zones", "industrial_parks")
    held = [
        tuple(j for j, r in enumerate(getattr(IRREGULAR, n).records) if r.geometry.covers(p)) for n in layers
    ]
    planar = Point(*PLANAR_TRANSFORMER.transform(lon, lat))
    lakes = tuple(name for name, g in (IRREGULAR.lakes or {}).items() if planar.intersects(g))
    rivers = IRREGULAR.rivers or {}
    sides = tuple(round(float(planar.distance(rivers[r])), 2) <= t for r, t in river_pairs(IRREGULAR))
    return (*held, lakes, sides)


def _screening_view(lon: float, lat: float) -> tuple[tuple[int, ...], ...]:
    """Which records the screening counts as hit: EPSG:4548 copies sharing area with the point."""
    planar = Point(*PLANAR_TRANSFORMER.transform(lon, lat))
    layers = ("units", "water_zones", "redlines", "reserve_zones", "industrial_parks")
    return tuple(
        tuple(
            j
            for j, g in enumerate(getattr(IRREGULAR, n).planar)
            if g.intersects(planar) and not g.touches(planar)
        )
        for n in layers
    )


def _check(lon: np.ndarray, lat: np.ndarray) -> int:
    """Every classified point's place equals the exact one; return how many were classified."""
    found = GRID.classify(lon, lat)
    for i in np.flatnonzero(found >= 0).tolist():
        place = GRID.places[int(found[i])]
        x, y = float(lon[i]), float(lat[i])
        got = (
            *(getattr(place, f) for f in ("units", "divisions", "water_zones", "redlines", "reserve_zones")),
            place.industrial_parks,
            place.lakes,
            place.river_sides,
        )
        assert got == _exact(x, y), (x, y)
        assert _screening_view(x, y) == (
            place.units,
            place.water_zones,
            place.redlines,
            place.reserve_zones,
            place.industrial_parks,
        ), (x, y)
        assert GRID.place_of(x, y) == int(found[i])
    return int(np.sum(found >= 0))


def test_irregular_snapshot_has_rivers_and_a_clause_threshold() -> None:
    assert river_pairs(IRREGULAR) == (("河", 1000.0),)
    sides = {p.river_sides for p in GRID.places}
    assert sides == {(True,), (False,)}  # both sides of the 1,000 m line have pure cells


def test_random_points_agree_with_the_exact_predicates() -> None:
    rng = np.random.default_rng(20261130)
    lon, lat = rng.uniform(115.89, 116.11, 4000), rng.uniform(28.59, 28.71, 4000)
    # most points are answered by the grid, so the comparison is not vacuous
    assert _check(lon, lat) > 0.6 * len(lon)


def test_points_on_boundaries_and_vertices_are_never_misplaced() -> None:
    geoms = [
        r.geometry
        for n in ("units", "water_zones", "redlines", "reserve_zones", "industrial_parks")
        for r in getattr(IRREGULAR, n).records
    ]
    vertices = shapely.get_coordinates(np.array(geoms, dtype=object))
    rings = shapely.boundary(np.array(geoms, dtype=object))
    along = shapely.get_coordinates(
        shapely.line_interpolate_point(
            np.repeat(rings, 50), np.tile(np.linspace(0, 1, 50), len(rings)), normalized=True
        )
    )
    pts = np.vstack([vertices, along])
    assert _check(pts[:, 0], pts[:, 1]) >= 0
    for x, y in pts.tolist():  # a point on a unit edge or vertex is in a mixed cell: the exact path decides
        if any(r.geometry.boundary.intersects(Point(x, y)) for r in IRREGULAR.units.records):
            assert GRID.place_of(x, y) == -1


def test_points_on_cell_edges_and_corners_agree() -> None:
    d = GRID.cell_deg
    ix = np.arange(0, GRID.nx, 7)
    iy = np.arange(0, GRID.ny, 5)
    gx, gy = np.meshgrid(GRID.x0 + ix * d, GRID.y0 + iy * d)  # cell corners
    lon = np.concatenate([gx.ravel(), gx.ravel() + d / 2, gx.ravel()])
    lat = np.concatenate([gy.ravel(), gy.ravel(), gy.ravel() + d / 2])  # corners, then edge midpoints
    assert _check(lon, lat) > 0


def test_bulk_kernel_gives_the_exact_paths_answers_with_the_grid() -> None:
    """``screen_points`` through the grid == the exact per-polygon path, row for row, on random
    points, unit vertices and boundary points; a sample of verdicts == ``screen()`` on the row alone."""
    from tests.zoning.test_bulk_kernel import CATALOGUE

    rng = np.random.default_rng(13)
    lon, lat = rng.uniform(115.89, 116.11, 3000), rng.uniform(28.59, 28.71, 3000)
    vertices = shapely.get_coordinates(np.array([r.geometry for r in IRREGULAR.units.records], dtype=object))
    lon = np.concatenate([lon, vertices[:, 0], [np.nan]])
    lat = np.concatenate([lat, vertices[:, 1], [28.65]])
    n = lon.size
    ids = pa.array([str(i) for i in range(n)])
    industry = pa.array([("2614", "M", None, "2614")[i % 4] for i in range(n)], pa.string())
    fast = screen_points(IRREGULAR, CATALOGUE, ids, lon, lat, industry)
    exact = screen_points(IRREGULAR, CATALOGUE, ids, lon, lat, industry, use_grid=False)
    answers = [c for c in fast.column_names if c not in ("lon", "lat")]  # NaN != NaN in a list
    assert fast.select(answers).to_pylist() == exact.select(answers).to_pylist()
    assert fast.to_pylist()[-1]["error"] == "invalid_coordinate"
    assert np.mean(GRID.classify(lon, lat) >= 0) > 0.6  # most rows did take the grid path
    rows = fast.to_pylist()
    for row in rows[::97]:
        if row["verdict"] is None:
            continue
        alone = screen_site(
            IRREGULAR, CATALOGUE, Point(row["lon"], row["lat"]), CATALOGUE.resolve(row["industry"])
        )
        assert (row["verdict"], row["finding_codes"]) == (alone.verdict, alone.finding_codes), row["id"]
    assert {r["verdict"] for r in rows} >= {"prohibited", None}


def test_a_nan_point_is_nowhere() -> None:
    """NaN coordinates hold no record and stand within no river distance (GEOS refuses the distance)."""
    nan = np.array([np.nan])
    (place,) = locate_places(IRREGULAR, river_pairs(IRREGULAR), nan, np.array([28.65]))
    assert place.units == place.divisions == place.industrial_parks == () and place.river_sides == (False,)
    assert GRID.classify(nan, np.array([28.65]))[0] == -1


def test_first_cell_of_each_component() -> None:
    """By hand: label k's first cell in raster order; labels out of raster order take the general way."""
    from zoning.placegrid import _first_cells

    assert _first_cells(np.array([1, 1, 0, 2, 0, 3], dtype=np.int32), 3).tolist() == [0, 3, 5]
    assert _first_cells(np.array([0, 0, 1, 2, 2, 1], dtype=np.int32), 2).tolist() == [2, 3]
    assert _first_cells(np.array([2, 2, 0, 1], dtype=np.int32), 2).tolist() == [3, 0]
