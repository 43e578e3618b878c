"""Shared footprint verdicts against the exact path, on the bundled Nanchang dataset in PostGIS.

The footprint kernel screens one footprint per PLACE KEY and gives its answer to every footprint
of that key. The source of truth is ``zoning.screening.screen`` (the function of
``POST /v1/screenings``) on each footprint alone, through the adapter ``screen_site`` with the
row's industry, buffer and project attributes: every bulk field derived from the answer must be
equal, row by row, on random footprints of 0.01–1 km² across the city — squares and rotated
rectangles anywhere, ones centred on unit-boundary vertices (straddling units), on the city
boundary (partly outside), on water-zone / red-line / industrial-park vertices, within ~2 km of the named rivers
(both sides of the 1 km clauses), on lake shores (鄱阳湖 clauses), triangles sharing an edge with a zone from outside (touch
only), linear footprints, points with a buffer — mixed with industries and project attributes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import shapely
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from geodata import repository
from geodata.database import make_engine
from zoning import bulk_footprints
from zoning.bulk import _prepared, screen_site
from zoning.bulk_footprints import place_keys, screen_footprints
from zoning.bulk_project import ProjectColumns, attributes, project_codes
from zoning.crs import PLANAR_TRANSFORMER, to_planar
from zoning.industry import IndustryCatalogue
from zoning.snapshot import ZoningSnapshot

INDUSTRIES = ["2614", "3011", "C", "2614", "2614"]
NATURES = ["new", "new", "new", "rebuild", "expansion"]
FIELDS = (
    "verdict",
    "verdict_label_zh",
    "finding_codes",
    "findings_prohibited",
    "findings_conditional",
    "findings_notice",
    "compliance_non_compliant",
    "compliance_needs_review",
    "compliance_compliant",
    "compliance_not_applicable",
)


@pytest.fixture(scope="module")
def dataset(nanchang_url: str) -> Iterator[tuple[ZoningSnapshot, IndustryCatalogue]]:
    engine = make_engine(nanchang_url)
    with engine.connect() as conn:
        info = repository.version_in_force(conn, date.today())
        snapshot = repository.read_snapshot(conn, info)
        catalogue = IndustryCatalogue(repository.read_industries(conn))
    engine.dispose()
    _prepared(snapshot)
    yield snapshot, catalogue


def _from_planar(geometry: BaseGeometry) -> BaseGeometry:
    return shapely.transform(
        geometry,
        lambda xy: np.column_stack(PLANAR_TRANSFORMER.transform(xy[:, 0], xy[:, 1], direction="INVERSE")),
    )


def _rect(rng: np.random.Generator, x: float, y: float) -> BaseGeometry:
    """A rectangle of 0.01–1 km² (planar x, y centre), rotated at random, back in EPSG:4490."""
    area = rng.uniform(0.01e6, 1e6)
    ratio = rng.uniform(0.3, 3.0)
    w, h = (area * ratio) ** 0.5, (area / ratio) ** 0.5
    rect = affinity.rotate(box(x - w / 2, y - h / 2, x + w / 2, y + h / 2), rng.uniform(0, 90))
    return _from_planar(rect)


def _inside(rng: np.random.Generator, polygon: BaseGeometry) -> tuple[float, float]:
    """A uniform random point inside a (planar) polygon, by rejection from its bounding box."""
    minx, miny, maxx, maxy = polygon.bounds
    while True:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if polygon.contains(Point(x, y)):
            return x, y


def _vertices(geometries: list[BaseGeometry]) -> np.ndarray:
    return np.concatenate([shapely.get_coordinates(to_planar(g.boundary)) for g in geometries])


def _sites(snapshot: ZoningSnapshot, rng: np.random.Generator) -> list[tuple[BaseGeometry, float]]:
    """(footprint in EPSG:4490, buffer m) of every kind listed in the module docstring."""
    city = to_planar(snapshot.city)
    minx, miny, maxx, maxy = city.bounds
    out: list[tuple[BaseGeometry, float]] = []
    while len(out) < 120:  # anywhere in the city (some partly outside)
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if city.contains(Point(x, y)):
            out.append((_rect(rng, x, y), 0.0 if rng.random() < 0.8 else float(rng.uniform(10, 800))))
    for geoms, k in (
        ([u.geometry for u in snapshot.units.records], 60),  # straddling unit boundaries
        ([snapshot.city], 30),  # crossing the city edge
        ([z.geometry for z in (*snapshot.water_zones.records, *snapshot.redlines.records)], 40),
        ([p.geometry for p in snapshot.industrial_parks.records], 40),  # in / partly in / by a park
    ):
        vertices = _vertices(geoms)
        for x, y in vertices[rng.choice(len(vertices), size=k)]:
            out.append((_rect(rng, x, y), 0.0))
    rivers = list((snapshot.rivers or {}).values())
    lakes = list((snapshot.lakes or {}).values())  # EPSG:4548 already
    shore = np.concatenate([shapely.get_coordinates(lake.boundary) for lake in lakes])
    for x, y in shore[rng.choice(len(shore), size=40)]:  # on the water, on the shore, on land
        out.append((_rect(rng, x, y), 0.0))
    for _ in range(60):  # within ~2 km of a named river: both sides of the 1 km clauses
        river = rivers[int(rng.integers(len(rivers)))]
        p = river.interpolate(rng.uniform(0, river.length))
        angle = rng.uniform(0, 2 * np.pi)
        d = rng.uniform(0, 2000)
        out.append((_rect(rng, p.x + d * np.cos(angle), p.y + d * np.sin(angle)), 0.0))
    zones = [z.geometry for z in (*snapshot.water_zones.records, *snapshot.redlines.records)]
    for _ in range(20):  # a triangle on an outer edge of a zone: touches it only
        zone = zones[int(rng.integers(len(zones)))]
        ring = np.asarray(shapely.get_exterior_ring(shapely.get_parts(zone)[0]).coords)
        i = int(rng.integers(len(ring) - 1))
        (ax, ay), (bx, by) = ring[i], ring[i + 1]
        mx, my = (ax + bx) / 2, (ay + by) / 2
        # The outward side of a counter-clockwise ring is on the right of the edge.
        sign = 1.0 if shapely.is_ccw(shapely.linearrings(ring)) else -1.0
        apex = (mx + sign * (by - ay), my - sign * (bx - ax))
        out.append((Polygon([(ax, ay), (bx, by), apex]), 0.0))
    specific = [z.geometry for z in (*snapshot.water_zones.records, *snapshot.reserve_zones.records)]
    for _ in range(40):  # small sites inside water-source zones / reserves (red line under their law?)
        zone = to_planar(specific[int(rng.integers(len(specific)))])
        x, y = _inside(rng, zone)
        half = rng.uniform(0.01e6, 0.03e6) ** 0.5 / 2
        out.append((_from_planar(box(x - half, y - half, x + half, y + half)), 0.0))
    red = [to_planar(r.geometry) for r in snapshot.redlines.records]
    for _ in range(25):  # lines across the red line (linear + cannot_avoid: 142号 一、（一）6)
        zone = red[int(rng.integers(len(red)))]
        x, y = _inside(rng, zone)
        length, angle = rng.uniform(200, 3000), rng.uniform(0, np.pi)
        dx, dy = length / 2 * np.cos(angle), length / 2 * np.sin(angle)
        out.append((_from_planar(LineString([(x - dx, y - dy), (x + dx, y + dy)])), 0.0))
    for _ in range(25):  # linear footprints, 0.2–3 km
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        length, angle = rng.uniform(200, 3000), rng.uniform(0, np.pi)
        line = LineString([(x, y), (x + length * np.cos(angle), y + length * np.sin(angle))])
        out.append((_from_planar(line), 0.0 if rng.random() < 0.5 else 100.0))
    for _ in range(15):  # points with a buffer
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        out.append((_from_planar(Point(x, y)), float(rng.uniform(50, 1500))))
    return out


def test_each_footprint_row_equals_screen_on_that_footprint_alone(
    dataset: tuple[ZoningSnapshot, IndustryCatalogue],
) -> None:
    snapshot, catalogue = dataset
    rng = np.random.default_rng(20261130)
    sites = _sites(snapshot, rng)
    # Every site twice: once as is, once moved 1 m (same place facts unless a boundary lies in
    # between) — keys are shared across rows, which is what must not change any answer.
    shifted = [(affinity.translate(g, 1e-5, 0), b) for g, b in sites]
    sites = sites + shifted
    n, half = len(sites), len(sites) // 2
    assert n >= 600
    # A site and its shifted copy (index + half) carry the same industry and attributes.
    industry = [INDUSTRIES[(i % half) % len(INDUSTRIES)] for i in range(n)]
    nature = [NATURES[((i % half) // 3) % len(NATURES)] for i in range(n)]
    outfall = ["yes" if (i % half) % 11 == 0 else "" for i in range(n)]
    avoid = ["是" if (i % half) % 2 == 0 else "否" for i in range(n)]
    project = ProjectColumns(
        project_nature=pa.array(nature), has_outfall=pa.array(outfall), cannot_avoid=pa.array(avoid)
    )
    bulk_footprints._CACHE.clear()
    table = screen_footprints(
        snapshot,
        catalogue,
        [str(i) for i in range(n)],
        [g for g, _ in sites],
        pa.array(industry),
        np.array([b for _, b in sites]),
        project=project,
    )
    rows = table.to_pylist()
    codes = project_codes(project, n)
    compared = 0
    kinds: dict[str, int] = {}
    for i, row in enumerate(rows):
        if row["error"] is not None:
            assert row["error"] == "outside_city" and not sites[i][0].intersects(snapshot.city), i
            continue
        geometry, buffer = sites[i]
        alone = screen_site(
            snapshot,
            catalogue,
            geometry,
            catalogue.resolve(industry[i]),
            buffer,
            project=attributes(int(codes[i])),
        )
        expected: dict[str, Any] = {
            "verdict": alone.verdict,
            "verdict_label_zh": alone.verdict_label_zh,
            "finding_codes": alone.finding_codes,
            "findings_prohibited": alone.counts[0],
            "findings_conditional": alone.counts[1],
            "findings_notice": alone.counts[2],
            "compliance_non_compliant": alone.compliance_counts[0],
            "compliance_needs_review": alone.compliance_counts[1],
            "compliance_compliant": alone.compliance_counts[2],
            "compliance_not_applicable": alone.compliance_counts[3],
        }
        assert {f: row[f] for f in FIELDS} == expected, (i, geometry.wkt[:200], buffer)
        compared += 1
        for code in alone.finding_codes.split(";"):
            kinds[code.split(":")[0]] = kinds.get(code.split(":")[0], 0) + 1
    assert compared >= 500
    # The sample reaches what the key must tell apart (else the comparison proves little).
    for layer in ("access_list", "ecological_redline", "water_protection_zone", "city_coverage"):
        assert kinds.get(layer, 0) > 0, (layer, kinds)
    # … and footprints did share screenings (a site and its copy, mostly).
    assert len(bulk_footprints._CACHE) < 0.6 * compared


def test_keys_separate_a_touch_from_a_lie_in_and_sides_of_a_river_threshold(
    dataset: tuple[ZoningSnapshot, IndustryCatalogue],
) -> None:
    snapshot, _ = dataset
    zone = snapshot.redlines.records[0].geometry
    ring = np.asarray(shapely.get_exterior_ring(shapely.get_parts(zone)[0]).coords)
    (ax, ay), (bx, by) = ring[0], ring[1]
    sign = 1.0 if shapely.is_ccw(shapely.linearrings(ring)) else -1.0
    mx, my = (ax + bx) / 2, (ay + by) / 2
    outside = Polygon([(ax, ay), (bx, by), (mx + sign * (by - ay), my - sign * (bx - ax))])
    inside = Polygon([(ax, ay), (bx, by), (mx - sign * (by - ay) * 0.01, my + sign * (bx - ax) * 0.01)])
    keys = place_keys(snapshot, np.array([outside, inside], dtype=object), np.zeros(2))
    assert to_planar(outside).touches(to_planar(zone))  # the hand-built case is a touch
    assert keys[0] != keys[1]
