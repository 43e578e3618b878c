"""Reading applicants' coordinates and footprints (issue 4, item 1): CRS, DMS, formats, refusals.

Expected values are worked out independently of the code under test: DMS by hand, Gauss–Krüger
through a PROJ string and ``pyproj.Proj`` (not the EPSG ``Transformer`` the module uses), GCJ-02 via
``zoning.coords`` forward formulas, areas by the shoelace formula on the table's numbers.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import geopandas as gpd
import pyproj
import pytest
import shapely
from shapely.geometry import mapping

from tests import geometry_kit as kit
from zoning import coords
from zoning.crs import resolve_crs
from zoning.errors import InvalidCoordinate, InvalidInput, OutsideCity
from zoning.footprint import (
    MAX_NESTING,
    MAX_VERTICES,
    ParsedFootprint,
    check_inside,
    parse_degrees,
    parse_footprint,
    to_storage,
)

# CGCS2000 3-degree GK CM 117°E written out as PROJ parameters (GB/T 17798: k0 = 1, FE = 500 km).
GK117 = pyproj.Proj("+proj=tmerc +lat_0=0 +lon_0=117 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m")
GK114 = pyproj.Proj("+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m")
TO_4548 = pyproj.Transformer.from_crs("EPSG:4490", "EPSG:4548", always_xy=True)


def parse(data: bytes | str, *, crs: str | None = None, filename: str | None = None) -> ParsedFootprint:
    return parse_footprint(data, filename=filename, content_type=None, crs=crs)


def refused(
    exc_info: pytest.ExceptionInfo[InvalidInput], cls: type[InvalidInput], field: str, *words: str
) -> None:
    """The exact error class, the field, and every location word in the message (any case)."""
    assert type(exc_info.value) is cls
    assert exc_info.value.field == field
    for word in words:
        assert word.casefold() in exc_info.value.detail.casefold(), (word, exc_info.value.detail)


# --- resolve_crs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (None, "EPSG:4326"),
        ("EPSG:4326", "EPSG:4326"),
        ("OGC:CRS84", "EPSG:4326"),
        ("CRS84", "EPSG:4326"),
        ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", "EPSG:4326"),
        ("http://www.opengis.net/def/crs/EPSG/0/4326", "EPSG:4326"),
        ("urn:ogc:def:crs:EPSG::4490", "EPSG:4490"),
        ("epsg:4490", "EPSG:4490"),
        ("EPSG:4547", "EPSG:4547"),
        ("EPSG:4548", "EPSG:4548"),
        ("EPSG:4526", "EPSG:4526"),
        ("EPSG:4527", "EPSG:4527"),
        ("GCJ02", "GCJ-02"),
        ("gcj-02", "GCJ-02"),
        ("amap", "GCJ-02"),
        ("Tencent", "GCJ-02"),
        ("BD09", "BD-09"),
        ("BD-09", "BD-09"),
        ("baidu", "BD-09"),
    ],
)
def test_resolve_crs_accepts(text: str | None, name: str) -> None:
    assert resolve_crs(text).name == name


def test_resolve_crs_zone_prefix_and_meridian() -> None:
    assert (resolve_crs("EPSG:4526").zone_prefix, resolve_crs("EPSG:4526").central_meridian) == (38, 114.0)
    assert (resolve_crs("EPSG:4527").zone_prefix, resolve_crs("EPSG:4548").zone_prefix) == (39, None)


@pytest.mark.parametrize("text", ["EPSG:3857", "EPSG:2383", "WGS 84 / UTM 50N", "gcj", ""])
def test_resolve_crs_refuses_unknown_listing_accepted(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        resolve_crs(text)
    refused(info, InvalidInput, "crs", repr(text), "EPSG:4490", "EPSG:4548", "GCJ-02", "BD-09")


# --- parse_degrees --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("115.875", 115.875),
        ("-28.5", -28.5),
        ("115°52'30\"E", 115.875),  # 115 + 52/60 + 30/3600
        ("115°52′30″", 115.875),
        ("115 52 30", 115.875),
        ("115d52m30s", 115.875),
        ("115:52:30", 115.875),
        ("28°41'N", 28 + 41 / 60),
        ("N 28°41'", 28 + 41 / 60),
        ("北纬28°41′", 28 + 41 / 60),
        ("东经115°52′30.5″", 115 + 52 / 60 + 30.5 / 3600),
        ("115°52.5'", 115.875),
        ("28°30'S", -28.5),
        ("115°30'W", -115.5),
        ("西经115°30′", -115.5),
        ("  115°52'30''E ", 115.875),
        ("１１５．８７５", 115.875),
    ],
)
def test_parse_degrees(text: str, expected: float) -> None:
    assert parse_degrees(text) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("abc", "unexpected text"),
        ("115°72'", "minutes 72"),
        ("115°52'61\"", "seconds 61"),
        ("115.5°30'", "only the last"),
        ("-28°30'S", "minus sign and a hemisphere"),
        ("52'115°", "out of order"),
        ("200", "beyond"),
    ],
)
def test_parse_degrees_refuses(text: str, why: str) -> None:
    with pytest.raises(InvalidCoordinate) as info:
        parse_degrees(text, field="lon")
    refused(info, InvalidCoordinate, "lon", repr(text), why)


def test_parse_degrees_axis_mismatch() -> None:
    with pytest.raises(InvalidCoordinate) as info:
        parse_degrees("28°41'N", field="lon", axis="lon")
    refused(info, InvalidCoordinate, "lon", "latitude")
    with pytest.raises(InvalidCoordinate) as info:
        parse_degrees("95", field="lat", axis="lat")
    refused(info, InvalidCoordinate, "lat", "±90")


# --- to_storage -----------------------------------------------------------------------------


def test_gk_without_prefix_matches_proj_inverse() -> None:
    lon, lat = GK117(*kit.GK_WITHOUT_PREFIX, inverse=True)
    got = to_storage(shapely.Point(kit.GK_WITHOUT_PREFIX), "EPSG:4548")
    assert (got.x, got.y) == pytest.approx((lon, lat), abs=1e-9)
    assert 115.9 < got.x < 116.0 and 28.6 < got.y < 28.7  # Nanchang, by eye


def test_gk_with_prefix_equals_without() -> None:
    a = to_storage(shapely.Point(kit.GK_WITH_PREFIX), "EPSG:4527")
    lon, lat = GK117(*kit.GK_WITHOUT_PREFIX, inverse=True)
    assert (a.x, a.y) == pytest.approx((lon, lat), abs=1e-9)


def test_gk_cm114() -> None:
    point = (612_345.0, 3_170_000.0)
    lon, lat = GK114(*point, inverse=True)
    got = to_storage(shapely.Point(point), "EPSG:4547")
    assert (got.x, got.y) == pytest.approx((lon, lat), abs=1e-9)
    prefixed = to_storage(shapely.Point(38_000_000 + point[0], point[1]), "EPSG:4526")
    assert (prefixed.x, prefixed.y) == pytest.approx((lon, lat), abs=1e-9)


def test_gk_prefix_missing_for_4527() -> None:
    line = shapely.LineString([kit.GK_WITH_PREFIX, kit.GK_WITHOUT_PREFIX])
    with pytest.raises(InvalidCoordinate) as info:
        to_storage(line, "EPSG:4527", field="footprint")
    refused(info, InvalidCoordinate, "footprint", "vertex index 1", "zone prefix", "EPSG:4548")


def test_gk_prefix_present_for_4548_suggests_4527() -> None:
    with pytest.raises(InvalidCoordinate) as info:
        to_storage(shapely.Point(kit.GK_WITH_PREFIX), "EPSG:4548", location="feature 3")
    refused(info, InvalidCoordinate, "footprint", "feature 3", "vertex index 0", "EPSG:4527")


def test_gk_wrong_zone_prefix() -> None:
    with pytest.raises(InvalidCoordinate) as info:
        to_storage(shapely.Point(kit.GK_WITH_PREFIX), "EPSG:4526")
    refused(info, InvalidCoordinate, "footprint", "zone prefix 39", "EPSG:4527")


def test_gk_swapped_easting_northing() -> None:
    with pytest.raises(InvalidCoordinate) as info:
        to_storage(shapely.Point(kit.GK_NORTHING, kit.GK_EASTING), "EPSG:4548")
    refused(info, InvalidCoordinate, "footprint", "vertex index 0", "swapped?")


@pytest.mark.parametrize(
    ("crs", "forward"), [("GCJ-02", coords.wgs84_to_gcj02), ("baidu", coords.wgs84_to_bd09)]
)
def test_web_map_offsets_round_trip(crs: str, forward: object) -> None:
    lon, lat = forward(kit.NANCHANG_LON, kit.NANCHANG_LAT)  # type: ignore[operator]
    # The offset is hundreds of metres: the input really differs from the truth…
    assert abs(float(lon) - kit.NANCHANG_LON) > 1e-3
    got = to_storage(shapely.Point(float(lon), float(lat)), crs)
    # …and comes back to it within 1e-6° (BD-09's closed-form inverse is ~1e-6° exact).
    assert (got.x, got.y) == pytest.approx((kit.NANCHANG_LON, kit.NANCHANG_LAT), abs=1e-6)


def test_lonlat_is_identity() -> None:
    got = to_storage(shapely.Point(kit.NANCHANG_LON, kit.NANCHANG_LAT), "EPSG:4326")
    assert (got.x, got.y) == (kit.NANCHANG_LON, kit.NANCHANG_LAT)


# --- GeoJSON --------------------------------------------------------------------------------


def square_geojson(dx: float = 0.0) -> dict[str, object]:
    return mapping(shapely.affinity.translate(shapely.from_wkt(kit.SQUARE_WKT), xoff=dx))


def test_geojson_geometry_feature_collection() -> None:
    geom = json.dumps(square_geojson())
    assert parse(geom).geometry.equals(shapely.from_wkt(kit.SQUARE_WKT))
    feature = json.dumps({"type": "Feature", "properties": {}, "geometry": square_geojson()})
    result = parse(feature)
    assert result.source_format == "geojson"
    assert result.crs_used.name == "EPSG:4326"
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": square_geojson()},
            {"type": "Feature", "properties": {}, "geometry": square_geojson(0.1)},
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "LineString", "coordinates": [[116, 28.5], [116.1, 28.6]]},
            },
        ],
    }
    union = parse(json.dumps(collection)).geometry
    assert union.geom_type == "GeometryCollection"
    # Two disjoint 0.05° squares: 2 × 0.0025 square degrees.
    assert union.area == pytest.approx(0.005, abs=1e-12)
    assert union.length == pytest.approx(4 * 0.05 * 2 + math.hypot(0.1, 0.1), abs=1e-12)


def test_geojson_crs_member_honoured() -> None:
    lon, lat = GK117(*kit.GK_WITHOUT_PREFIX, inverse=True)
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4548"}},
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Point", "coordinates": list(kit.GK_WITHOUT_PREFIX)},
            }
        ],
    }
    result = parse(json.dumps(doc))
    assert result.crs_used.name == "EPSG:4548"
    assert (result.geometry.x, result.geometry.y) == pytest.approx((lon, lat), abs=1e-9)
    assert any("4548" in note for note in result.notes)
    with pytest.raises(InvalidInput) as info:
        parse(json.dumps(doc), crs="EPSG:4490")
    refused(info, InvalidInput, "crs", "EPSG:4490", "EPSG:4548")


def test_geojson_prefixed_gk_inferred_with_note() -> None:
    result = parse(json.dumps({"type": "Point", "coordinates": list(kit.GK_WITH_PREFIX)}))
    assert result.crs_used.name == "EPSG:4527"
    assert any("zone prefix 39" in note for note in result.notes)
    lon, lat = GK117(*kit.GK_WITHOUT_PREFIX, inverse=True)
    assert (result.geometry.x, result.geometry.y) == pytest.approx((lon, lat), abs=1e-9)


def test_geojson_unprefixed_metres_without_crs_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        parse(kit.WRONG_CRS_WKT)
    refused(info, InvalidInput, "crs", "metres", "EPSG:4548")


def test_geojson_unclosed_ring_names_feature_and_vertex() -> None:
    ring = json.loads(kit.UNCLOSED_GEOJSON)
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": square_geojson()},
            {"type": "Feature", "properties": {}, "geometry": ring},
        ],
    }
    with pytest.raises(InvalidInput) as info:
        parse(json.dumps(doc))
    refused(info, InvalidInput, "footprint", "feature 1", "exterior ring", "not closed", "vertex index 3")


def test_geojson_bad_position_and_null_geometry() -> None:
    doc = {"type": "LineString", "coordinates": [[115.9, 28.7], [115.95, "28.7"]]}
    with pytest.raises(InvalidCoordinate) as info:
        parse(json.dumps(doc))
    refused(info, InvalidCoordinate, "footprint", "vertex index 1")
    doc2 = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": None}],
    }
    with pytest.raises(InvalidInput) as info2:
        parse(json.dumps(doc2))
    refused(info2, InvalidInput, "footprint", "feature 0", "no geometry")


def test_geojson_non_finite() -> None:
    # Python's json accepts NaN/Infinity, as do some exporters.
    text = '{"type": "LineString", "coordinates": [[115.9, 28.7], [115.95, 28.7], [NaN, 28.8]]}'
    with pytest.raises(InvalidCoordinate) as info:
        parse(text)
    refused(info, InvalidCoordinate, "footprint", "vertex index 2", "not a finite number")


def test_geojson_empty_collection() -> None:
    with pytest.raises(InvalidInput) as info:
        parse('{"type": "FeatureCollection", "features": []}')
    refused(info, InvalidInput, "footprint", "no features")


# --- WKT and the kit's edge cases -----------------------------------------------------------


def test_ewkt_srid() -> None:
    result = parse(f"SRID=4548;POINT({kit.GK_EASTING} {kit.GK_NORTHING})")
    lon, lat = GK117(*kit.GK_WITHOUT_PREFIX, inverse=True)
    assert result.crs_used.name == "EPSG:4548"
    assert (result.geometry.x, result.geometry.y) == pytest.approx((lon, lat), abs=1e-9)


def test_wkt_unclosed_ring_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        parse(kit.UNCLOSED_WKT)
    refused(info, InvalidInput, "footprint", "exterior ring", "unclosed", "vertex index 3", "115.85 28.7")


def test_wkt_unclosed_hole_in_second_part() -> None:
    text = (
        "MULTIPOLYGON(((115.85 28.65, 115.86 28.65, 115.86 28.66, 115.85 28.65)),"
        "((115.9 28.7, 116 28.7, 116 28.8, 115.9 28.7),"
        "(115.95 28.72, 115.96 28.72, 115.96 28.73, 115.95 28.721)))"
    )
    with pytest.raises(InvalidInput) as info:
        parse(text)
    refused(info, InvalidInput, "footprint", "part 1", "interior ring 0", "vertex index 3")


def test_bowtie_refused_with_location_and_vertices() -> None:
    with pytest.raises(InvalidInput) as info:
        parse(kit.BOWTIE_WKT)
    x, y = kit.BOWTIE_CROSSING
    refused(info, InvalidInput, "footprint", f"Self-intersection[{x} {y}]", "vertices 0–1", "vertices 2–3")


def test_sliver_accepted() -> None:
    result = parse(kit.SLIVER_WKT)
    assert result.geometry.area == pytest.approx(0.05 * 0.00001, rel=1e-6)


def test_hole_and_multipart_kept() -> None:
    hole = parse(kit.HOLE_WKT).geometry
    assert len(hole.interiors) == 1
    assert hole.area == pytest.approx(0.05**2 - 0.01**2, abs=1e-12)
    multi = parse(kit.MULTIPART_WKT).geometry
    assert multi.geom_type == "MultiPolygon" and len(multi.geoms) == 2


def test_empty_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        parse(kit.EMPTY_WKT)
    refused(info, InvalidInput, "footprint", "geometry", "empty")


def test_3d_dropped_with_note() -> None:
    result = parse(kit.SQUARE_3D_WKT)
    assert not result.geometry.has_z
    assert result.geometry.equals(shapely.from_wkt(kit.SQUARE_WKT))
    assert any("Z (height)" in note for note in result.notes)


def test_swapped_point_refused() -> None:
    with pytest.raises(InvalidCoordinate) as info:
        parse(kit.SWAPPED_POINT_WKT)
    refused(info, InvalidCoordinate, "footprint", "vertex index 0", "swapped?")


def test_swapped_in_range_refused_by_china_extent() -> None:
    with pytest.raises(InvalidCoordinate) as info:
        parse(kit.SWAPPED_IN_RANGE_WKT, crs="EPSG:4490")
    refused(
        info, InvalidCoordinate, "footprint", "vertex index 0", "swapped?", "lon=80.000000, lat=45.000000"
    )


def test_points_lines_mixed_collection_allowed() -> None:
    text = (
        "GEOMETRYCOLLECTION(POINT(115.9 28.7), LINESTRING(115.8 28.6, 115.9 28.65), " + kit.SQUARE_WKT + ")"
    )
    geometry = parse(text).geometry
    assert geometry.geom_type == "GeometryCollection"
    assert parse("LINESTRING(115.8 28.6, 115.9 28.65, 115.95 28.7)").geometry.geom_type == "LineString"


def test_gcj02_footprint_round_trip() -> None:
    square = shapely.from_wkt(kit.SQUARE_WKT)
    offset = shapely.transform(
        square, lambda xy: __import__("numpy").column_stack(coords.wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
    )
    result = parse(offset.wkt, crs="amap")
    assert result.crs_used.name == "GCJ-02"
    for a, b in zip(result.geometry.exterior.coords, square.exterior.coords, strict=True):
        assert a == pytest.approx(b, abs=1e-6)


# --- 界址点 boundary-point tables -----------------------------------------------------------

# Four boundary points (X northing, Y easting, metres, CM 117°E), listed clockwise on the ground.
TABLE_POINTS = [
    ("J1", 3175000.0, 400000.0),
    ("J2", 3175000.0, 400250.0),
    ("J3", 3174800.0, 400300.0),
    ("J4", 3174850.0, 399980.0),
]


def shoelace(points: list[tuple[str, float, float]]) -> float:
    """Area from X/Y by the surveyor's formula: ½|Σ X_i (Y_{i+1} − Y_{i−1})|."""
    n = len(points)
    return abs(sum(points[i][1] * (points[(i + 1) % n][2] - points[i - 1][2]) for i in range(n))) / 2


def area_4548(geometry: shapely.Geometry) -> float:
    return shapely.transform(
        geometry, lambda xy: __import__("numpy").column_stack(TO_4548.transform(xy[:, 0], xy[:, 1]))
    ).area


def test_table_chinese_header_area_equals_shoelace() -> None:
    text = (
        "点号,X坐标,Y坐标\n"
        + "\n".join(f"{n},{x},{y}" for n, x, y in TABLE_POINTS)
        + "\nJ1,3175000.0,400000.0\n"
    )
    result = parse(text, crs="EPSG:4548")
    assert result.source_format == "boundary_points"
    assert result.geometry.geom_type == "Polygon"
    expected = shoelace(TABLE_POINTS)
    # By hand, shifting the origin to (Y 399 980, X 3 174 800): J1 (20, 200), J2 (270, 200),
    # J3 (320, 0), J4 (0, 50) → ½|(4000−54000) + (0−64000) + (16000−0) + (0−1000)| = 49 500 m².
    assert expected == 49_500.0
    assert area_4548(result.geometry) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("sep", ["\t", "  ", ", ", "，"])
def test_table_separators_and_implicit_close(sep: str) -> None:
    text = "\n".join(sep.join([n, str(x), str(y)]) for n, x, y in TABLE_POINTS)
    result = parse(text, crs="EPSG:4548")
    assert area_4548(result.geometry) == pytest.approx(shoelace(TABLE_POINTS), abs=1e-3)


def test_table_header_variant_prefix_inferred_and_gbk() -> None:
    text = "界址点号\t纵坐标X\t横坐标Y\n" + "\n".join(
        f"{n}\t{x}\t{39_000_000 + y}" for n, x, y in TABLE_POINTS
    )
    result = parse(text.encode("gb18030"), filename="界址点.txt")
    assert result.crs_used.name == "EPSG:4527"
    assert any("zone prefix 39" in note for note in result.notes)
    assert area_4548(result.geometry) == pytest.approx(shoelace(TABLE_POINTS), abs=1e-3)


def test_table_two_parcels_blank_line_and_ring_column() -> None:
    far = [(n.replace("J", "K"), x - 1000, y) for n, x, y in TABLE_POINTS]
    blank = (
        "\n".join(f"{n},{x},{y}" for n, x, y in TABLE_POINTS)
        + "\n\n"
        + "\n".join(f"{n},{x},{y}" for n, x, y in far)
    )
    by_blank = parse(blank, crs="EPSG:4548").geometry
    ring_col = "地块号,点号,X,Y\n" + "\n".join(
        [f"1,{n},{x},{y}" for n, x, y in TABLE_POINTS] + [f"2,{n},{x},{y}" for n, x, y in far]
    )
    by_column = parse(ring_col, crs="EPSG:4548").geometry
    assert by_blank.geom_type == by_column.geom_type == "MultiPolygon"
    assert by_blank.equals(by_column)
    assert area_4548(by_blank) == pytest.approx(2 * shoelace(TABLE_POINTS), abs=1e-3)


def test_table_hole_by_repeated_point_number() -> None:
    outer = [
        ("J1", 3175000.0, 400000.0),
        ("J2", 3175000.0, 400300.0),
        ("J3", 3174700.0, 400300.0),
        ("J4", 3174700.0, 400000.0),
    ]
    inner = [
        ("N1", 3174900.0, 400100.0),
        ("N2", 3174900.0, 400200.0),
        ("N3", 3174800.0, 400200.0),
        ("N4", 3174800.0, 400100.0),
    ]
    rows = [*outer, outer[0], *inner, inner[0]]
    text = "\n".join(f"{n} {x} {y}" for n, x, y in rows)
    geometry = parse(text, crs="EPSG:4548").geometry
    assert geometry.geom_type == "Polygon" and len(geometry.interiors) == 1
    assert area_4548(geometry) == pytest.approx(300 * 300 - 100 * 100, abs=1e-3)


def test_table_unclosed_ring_names_point() -> None:
    text = "\n".join(f"{n},{x},{y}" for n, x, y in TABLE_POINTS) + "\nJ1,3175000.5,400000.0\n"
    with pytest.raises(InvalidInput) as info:
        parse(text, crs="EPSG:4548")
    refused(info, InvalidInput, "footprint", "not closed", "point J1", "line 5", "line 1")


def test_table_self_intersection_names_points() -> None:
    rows = [TABLE_POINTS[0], TABLE_POINTS[2], TABLE_POINTS[1], TABLE_POINTS[3]]  # J1 J3 J2 J4: crossed
    text = "\n".join(f"{n},{x},{y}" for n, x, y in rows)
    with pytest.raises(InvalidInput) as info:
        parse(text, crs="EPSG:4548")
    refused(info, InvalidInput, "footprint", "Self-intersection", "J1–J3", "J2–J4")


def test_table_needs_gk_crs() -> None:
    text = "\n".join(f"{n},{x},{y}" for n, x, y in TABLE_POINTS)
    with pytest.raises(InvalidInput) as info:
        parse(text)
    refused(info, InvalidInput, "crs", "EPSG:4548")
    with pytest.raises(InvalidInput) as info:
        parse(text, crs="EPSG:4490")
    refused(info, InvalidInput, "crs", "EPSG:4490", "Gauss–Krüger")


def test_table_swapped_columns() -> None:
    text = "\n".join(f"{n},{39_000_000 + y},{x}" for n, x, y in TABLE_POINTS)
    with pytest.raises(InvalidCoordinate) as info:
        parse(text)
    refused(info, InvalidCoordinate, "footprint", "point J1", "swapped?")


def test_table_bad_number_names_point_and_line() -> None:
    text = "J1,3175000,400000\nJ2,31750O0,400250\nJ3,3174800,400300\n"
    with pytest.raises(InvalidCoordinate) as info:
        parse(text, crs="EPSG:4548")
    refused(info, InvalidCoordinate, "footprint", "Point J2", "line 2")


def test_table_too_few_points() -> None:
    with pytest.raises(InvalidInput) as info:
        parse("J1,3175000,400000\nJ2,3175000,400250\n", crs="EPSG:4548")
    refused(info, InvalidInput, "footprint", "ring 0", "point J1", "2 distinct points")


# --- KML / KMZ ------------------------------------------------------------------------------

KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>厂址</name><Polygon><outerBoundaryIs><LinearRing><coordinates>
115.85,28.65,0 115.90,28.65,0 115.90,28.70,0 115.85,28.70,0 115.85,28.65,0
</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
<Placemark><name>管线</name>
<LineString><coordinates>115.95,28.7 116.0,28.75</coordinates></LineString></Placemark>
</Document></kml>"""


def test_kml() -> None:
    result = parse(KML, filename="site.kml")
    assert result.source_format == "kml"
    assert result.crs_used.name == "EPSG:4326"
    polygon = next(g for g in result.geometry.geoms if g.geom_type == "Polygon")
    assert polygon.equals(shapely.from_wkt(kit.SQUARE_WKT))
    assert any("Z (height)" in note for note in result.notes)


def test_kmz(tmp_path: Path) -> None:
    path = tmp_path / "site.kmz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("doc.kml", KML)
    result = parse(path.read_bytes(), filename="site.kmz")
    assert result.source_format == "kmz"
    assert result.geometry.area == pytest.approx(0.0025, abs=1e-12)


def test_kml_refuses_offset_crs_and_unclosed_ring() -> None:
    with pytest.raises(InvalidInput) as info:
        parse(KML, crs="GCJ-02")
    refused(info, InvalidInput, "crs", "GCJ-02", "WGS84")
    bad = KML.replace("115.85,28.65,0\n</coordinates>", "115.85,28.66,0\n</coordinates>")
    with pytest.raises(InvalidInput) as info:
        parse(bad)
    refused(info, InvalidInput, "footprint", "placemark 0 '厂址'", "exterior ring", "vertex index 4")


# --- zipped shapefile and GeoPackage --------------------------------------------------------


def gk_square() -> shapely.Polygon:
    e, n = kit.GK_WITHOUT_PREFIX
    return shapely.box(e, n, e + 200, n + 100)


def zipped_shapefile(tmp_path: Path, *, prj: bool) -> bytes:
    frame = gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=[gk_square(), shapely.affinity.translate(gk_square(), 500)],
        crs="EPSG:4548",
    )
    frame.to_file(tmp_path / "site.shp")
    zpath = tmp_path / "site.zip"
    with zipfile.ZipFile(zpath, "w") as archive:
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            f = tmp_path / f"site.{ext}"
            if f.exists() and (prj or ext != "prj"):
                archive.write(f, f"site.{ext}")
    return zpath.read_bytes()


def test_shapefile_with_prj(tmp_path: Path) -> None:
    result = parse(zipped_shapefile(tmp_path, prj=True), filename="site.zip")
    assert result.source_format == "shapefile"
    assert result.crs_used.name == "EPSG:4548"
    assert result.geometry.geom_type == "MultiPolygon"
    assert area_4548(result.geometry) == pytest.approx(2 * 200 * 100, abs=1e-3)


def test_shapefile_without_prj_needs_crs(tmp_path: Path) -> None:
    data = zipped_shapefile(tmp_path, prj=False)
    with pytest.raises(InvalidInput) as info:
        parse(data, filename="site.zip")
    refused(info, InvalidInput, "crs", "site.shp", ".prj")
    result = parse(data, filename="site.zip", crs="EPSG:4548")
    assert area_4548(result.geometry) == pytest.approx(2 * 200 * 100, abs=1e-3)


def test_shapefile_prj_conflicts_with_crs(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as info:
        parse(zipped_shapefile(tmp_path, prj=True), crs="EPSG:4547")
    refused(info, InvalidInput, "crs", "EPSG:4547", "EPSG:4548", "site.prj")


def test_geopackage(tmp_path: Path) -> None:
    path = tmp_path / "site.gpkg"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[gk_square()], crs="EPSG:4548").to_file(path, layer="parcels")
    result = parse(path.read_bytes(), filename="site.gpkg")
    assert result.source_format == "geopackage"
    assert result.crs_used.name == "EPSG:4548"
    assert area_4548(result.geometry) == pytest.approx(200 * 100, abs=1e-3)


def test_zip_without_geodata_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(InvalidInput) as info:
        parse(path.read_bytes(), filename="x.zip")
    refused(info, InvalidInput, "footprint", "shapefile", "KML")


# --- check_inside ---------------------------------------------------------------------------

CITY = shapely.box(115.45, 28.15, 116.57, 29.18)  # a stand-in with Nanchang's extent


def test_check_inside_accepts_touching() -> None:
    check_inside(shapely.from_wkt(kit.SQUARE_WKT), CITY, field="footprint")
    check_inside(shapely.LineString([(115.0, 28.5), (115.5, 28.5)]), CITY, field="footprint")


def test_check_inside_refuses_with_distance() -> None:
    # 0.5° of latitude north of the box: 0.5 × 110.9 km ≈ 55.5 km (meridian arc at ~29.4°N).
    point = shapely.Point(116.0, 29.68)
    with pytest.raises(OutsideCity) as info:
        check_inside(point, CITY, field="lat")
    refused(info, OutsideCity, "lat", "55.", "115.450–116.570°E", "28.150–29.180°N")
    assert info.value.extra["distance_km"] == pytest.approx(55.4, abs=0.2)


# ---------------------------------------------------------------------------------------------
# Parts checked as a whole, and the size limits (issue 12, item 3)
# ---------------------------------------------------------------------------------------------

_A = [[115.95, 28.62], [115.96, 28.62], [115.96, 28.63], [115.95, 28.63], [115.95, 28.62]]
_B = [[115.955, 28.62], [115.965, 28.62], [115.965, 28.63], [115.955, 28.63], [115.955, 28.62]]
_C = [[115.96, 28.62], [115.97, 28.62], [115.97, 28.63], [115.96, 28.63], [115.96, 28.62]]  # touches _A


def test_duplicate_parts_are_refused_naming_both() -> None:
    # OGC 06-103r4 §6.1.14: the polygons of a MultiPolygon have disjoint interiors
    with pytest.raises(InvalidInput) as info:
        parse(json.dumps({"type": "MultiPolygon", "coordinates": [[_A], [_B], [_A]]}))
    refused(info, InvalidInput, "footprint", "part 0 and geometry, part 2 (identical)", "part 1")
    assert ["geometry, part 0", "geometry, part 2"] in info.value.extra["overlapping_parts"]


def test_overlapping_parts_unioned_on_repair() -> None:
    text = json.dumps({"type": "MultiPolygon", "coordinates": [[_A], [_B]]})
    parsed = parse_footprint(text, filename=None, content_type=None, crs=None, repair=True)
    # by hand: 0.015° × 0.01° once, not 2 × 0.01° × 0.01°
    assert parsed.geometry.area == pytest.approx(0.015 * 0.01, rel=1e-9)
    assert any("unioned" in note for note in parsed.notes)


def test_parts_touching_along_an_edge_are_not_overlapping() -> None:
    parsed = parse(json.dumps({"type": "MultiPolygon", "coordinates": [[_A], [_C]]}))
    assert parsed.geometry.area == pytest.approx(2 * 0.01 * 0.01, rel=1e-9)


def test_vertex_limit_is_checked_while_reading() -> None:
    ring = [[115.9 + i * 1e-7, 28.7 + (i % 2) * 1e-7] for i in range(MAX_VERTICES + 1)]
    for text in (
        json.dumps({"type": "LineString", "coordinates": ring}),
        "LINESTRING(" + ",".join(f"{x} {y}" for x, y in ring) + ")",
    ):
        with pytest.raises(InvalidInput) as info:
            parse(text)
        assert info.value.extra["limit"] == MAX_VERTICES


def test_collection_nesting_limit() -> None:
    geometry: dict = {"type": "Point", "coordinates": [115.9, 28.7]}
    for _ in range(MAX_NESTING):
        geometry = {"type": "GeometryCollection", "geometries": [geometry]}
    assert parse(json.dumps(geometry)).geometry.geom_type == "GeometryCollection"
    deeper = {"type": "GeometryCollection", "geometries": [geometry]}
    with pytest.raises(InvalidInput) as info:
        parse(json.dumps(deeper))
    assert "nest deeper" in info.value.detail
