"""zoning.crs: storage SRID, GK zones, transformers and geodesy — expected values by hand or pyproj.

No database. Ellipsoidal areas are checked against the closed form of the area of a
latitude–longitude quadrangle on an ellipsoid of revolution (authalic ``q`` function, e.g. Snyder,
*Map Projections — A Working Manual*, USGS PP 1395, eq. 3-12), with GRS80's a and f
(Moritz 1980, Geodetic Reference System 1980: a = 6 378 137 m, 1/f = 298.257222101).
"""

from __future__ import annotations

import math

import pyproj
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from zoning import crs
from zoning.errors import InvalidInput

A = 6_378_137.0
F = 1 / 298.257222101
E2 = F * (2 - F)
E = math.sqrt(E2)


def _q(phi_deg: float) -> float:
    s = math.sin(math.radians(phi_deg))
    return (1 - E2) * (s / (1 - E2 * s * s) - (1 / (2 * E)) * math.log((1 - E * s) / (1 + E * s)))


def quadrangle_m2(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    """Area of the quadrangle on the GRS80 ellipsoid: a²·Δλ·(q(φ1) − q(φ0))/2 (Snyder eq. 3-12)."""
    return A * A * math.radians(lon1 - lon0) * (_q(lat1) - _q(lat0)) / 2


def test_storage_and_planar_srids_are_the_documented_ones() -> None:
    # DESIGN.md: stored in CGCS2000 (EPSG:4490); planar metres in EPSG:4548 (GK CM 117°E).
    assert crs.STORAGE_SRID == 4490 and crs.STORAGE_CRS == "EPSG:4490"
    assert crs.PLANAR_SRID == 4548
    planar = pyproj.CRS.from_epsg(crs.PLANAR_SRID).to_dict()
    assert planar["lon_0"] == 117 and planar["x_0"] == 500000 and planar["k"] == 1


@pytest.mark.parametrize("epsg", sorted(crs.GK_PROJECTIONS))
def test_gk_table_agrees_with_the_epsg_definitions(epsg: int) -> None:
    # 3-degree zone n has CM 3n°E; the prefixed variant's false easting is n·10⁶ + 500 000 m.
    cm, zone = crs.GK_PROJECTIONS[epsg]
    params = pyproj.CRS.from_epsg(epsg).to_dict()
    assert params["lon_0"] == cm
    assert params["x_0"] == (zone * 1_000_000 if zone else 0) + 500_000
    if zone is not None:
        assert cm == 3 * zone
        assert crs.GK_PLAIN_BY_ZONE[zone] != epsg
        assert crs.GK_PROJECTIONS[crs.GK_PLAIN_BY_ZONE[zone]] == (cm, None)


@pytest.mark.parametrize(
    ("eastings", "zone"),
    [
        ([39_512_345.6, 39_498_000.0], 39),
        ([38_600_000.0], 38),
        ([512_345.6], None),  # no prefix
        ([38_600_000.0, 39_400_000.0], None),  # mixed prefixes
        ([40_500_000.0], None),  # zone 40 (CM 120°E) does not cover Nanchang
        ([], None),
    ],
)
def test_zone_is_read_from_the_easting_prefix(eastings: list[float], zone: int | None) -> None:
    assert crs.gk_prefix_zone(eastings) == zone


def test_gk_epsg_from_central_meridian_and_prefix() -> None:
    import numpy as np

    assert crs.gk_epsg(117.0, np.array([39_500_000.0])) == 4527
    assert crs.gk_epsg(117.0, np.array([500_000.0])) == 4548
    assert crs.gk_epsg(114.0, np.array([38_500_000.0])) == 4526
    # a zone-39 prefix does not belong to CM 114°E: the plain projection is named
    assert crs.gk_epsg(114.0, np.array([39_500_000.0])) == 4547
    assert crs.gk_epsg(120.0, np.array([500_000.0])) is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (None, "EPSG:4326"),
        ("amap", "GCJ-02"),
        ("Baidu", "BD-09"),
        ("urn:ogc:def:crs:EPSG::4548", "EPSG:4548"),
        ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", "EPSG:4326"),
        ("4527", "EPSG:4527"),
    ],
)
def test_input_crs_aliases(text: str | None, name: str) -> None:
    assert crs.resolve_crs(text).name == name


def test_unknown_input_crs_names_the_field() -> None:
    with pytest.raises(InvalidInput) as exc:
        crs.resolve_crs("EPSG:3857")
    assert exc.value.field == "crs"


def test_point_on_the_central_meridian_projects_to_the_false_easting() -> None:
    # On the CM a transverse Mercator with k0 = 1 gives x = FE and y = the meridian arc length.
    p = crs.to_planar(Point(117.0, 28.0))
    _, _, arc = pyproj.Geod(a=A, f=F).inv(117.0, 0.0, 117.0, 28.0)
    assert p.x == pytest.approx(500_000.0, abs=1e-6)
    assert p.y == pytest.approx(arc, abs=1e-3)


def test_transformers_are_cached() -> None:
    assert crs.transformer(4548, 4490) is crs.transformer(4548, 4490)


def cell(lon0: float, lat0: float, lon1: float, lat1: float) -> Polygon:
    """The quadrangle with its parallels densified (a polygon's edges are geodesics, which bow
    poleward of a parallel: 1 000 vertices per 0.1° bring the difference below 1e-5 m²)."""
    return shapely.segmentize(box(lon0, lat0, lon1, lat1), 0.0001)


def test_geodesic_area_of_a_quadrangle_matches_the_closed_form() -> None:
    cell_ = cell(115.9, 28.6, 116.0, 28.7)
    assert crs.geodesic_area_m2(cell_) == pytest.approx(quadrangle_m2(115.9, 28.6, 116.0, 28.7), rel=1e-9)


def test_geodesic_area_orients_rings_of_a_multipolygon() -> None:
    # One part counter-clockwise, one clockwise: both count positively, the hole subtracts.
    ccw = cell(115.9, 28.6, 116.0, 28.7)
    cw = Polygon(list(cell(116.1, 28.6, 116.2, 28.7).exterior.coords)[::-1])
    assert not cw.exterior.is_ccw
    hole = cell(115.92, 28.62, 115.93, 28.63)
    with_hole = Polygon(ccw.exterior.coords, [list(hole.exterior.coords)])  # hole given CCW on purpose
    expected = (
        quadrangle_m2(115.9, 28.6, 116.0, 28.7)
        + quadrangle_m2(116.1, 28.6, 116.2, 28.7)
        - quadrangle_m2(115.92, 28.62, 115.93, 28.63)
    )
    assert crs.geodesic_area_m2(MultiPolygon([with_hole, cw])) == pytest.approx(expected, rel=1e-9)


def test_geodesic_area_of_lines_points_and_empty_is_zero() -> None:
    assert crs.geodesic_area_m2(shapely.LineString([(116, 28), (116.1, 28)])) == 0.0
    assert crs.geodesic_area_m2(Point(116, 28)) == 0.0
    assert crs.geodesic_area_m2(Polygon()) == 0.0
    assert crs.geodesic_area_m2(None) == 0.0


def test_geodesic_length_and_distance_agree_with_the_inverse_problem() -> None:
    # One degree of the equator: 2πa/360 exactly (the equator is a circle of radius a).
    assert crs.geodesic_length_m(shapely.LineString([(0, 0), (1, 0)])) == pytest.approx(
        2 * math.pi * A / 360, rel=1e-12
    )
    _, _, expected = pyproj.Geod(a=A, f=F).inv(115.9, 28.6, 116.0, 28.7)
    assert crs.geodesic_distance_m(115.9, 28.6, 116.0, 28.7) == pytest.approx(expected, abs=1e-6)


def test_no_other_module_declares_the_srid_gk_table_or_an_ellipsoid() -> None:
    """grep proves it: the definitions live in zoning/crs.py only."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    patterns = [
        re.compile(r"^\s*STORAGE_(SRID|EPSG)\s*=\s*4490", re.M),
        re.compile(r"Geod\(ellps="),
        re.compile(r"\{\s*38:\s*45(26|47)"),
        re.compile(r"geometry_area_perimeter"),
    ]
    offenders = []
    for package in ("app", "zoning", "geodata"):
        for path in (root / package).rglob("*.py"):
            if path.name == "crs.py" and path.parent.name == "zoning":
                continue
            text = path.read_text(encoding="utf-8")
            offenders += [f"{path.relative_to(root)}: {p.pattern}" for p in patterns if p.search(text)]
    assert offenders == []
