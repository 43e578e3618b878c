"""Benchmark of map-preview generation (issue 5 budget: ≤ 200 ms). Run: `make bench` or `python bench/previews.py`.

Times the Folium previews the service renders for `?f=html` — a located point, a control unit with
its access list, a water source with its zones, a screening with its touched features — in process,
from the snapshot of the version in force, over a spread of real units and points.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from shapely import box

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ensure_dataset

RUNS = 40


def timed(render: Callable[[int], str]) -> tuple[float, float, float]:
    render(0)  # warm-up: Folium compiles its templates once
    times = []
    for i in range(RUNS):
        start = time.perf_counter()
        page = render(i)
        times.append((time.perf_counter() - start) * 1000)
        assert "/static/vendor/leaflet/" in page
    times.sort()
    return statistics.median(times), times[int(0.95 * RUNS) - 1], times[-1]


def main() -> None:
    url = ensure_dataset()
    from app.maps.previews import (
        render_locate_preview,
        render_unit_preview,
        render_water_source_preview,
        screening_preview_from_record,
    )
    from app.schemas_screening import ScreeningPublic, ScreeningResultPublic
    from geodata.database import make_engine
    from geodata.snapshots import SnapshotCache
    from zoning.locate import locate_point
    from zoning.screening import ScreeningRequest, screen

    engine = make_engine(url)
    cache = SnapshotCache(engine)
    cache.refresh()
    snapshot = cache.current()
    catalogue = cache.catalogue()
    units = snapshot.units.records
    points = [u.geometry.representative_point() for u in units]
    sources = [s for s in snapshot.water_sources]

    def locate(i: int) -> str:
        p = points[i % len(points)]
        return render_locate_preview(locate_point(snapshot, p.x, p.y), snapshot=snapshot)

    def unit(i: int) -> str:
        u = units[(i * 7) % len(units)]
        return render_unit_preview(u, list(snapshot.rules.get(u.code, ())), snapshot=snapshot)

    def water(i: int) -> str:
        s = sources[i % len(sources)]
        zones = [z for z in snapshot.water_zones.records if z.source_code == s.code]
        return render_water_source_preview(s, zones, intake=s.geometry)

    industry = catalogue.resolve("2614")

    def screening(i: int) -> str:
        p = points[(i * 3) % len(points)]
        footprint = box(p.x - 0.01, p.y - 0.01, p.x + 0.01, p.y + 0.01)
        result = screen(snapshot, ScreeningRequest(footprint, industry, buffer_m=500), catalogue)
        record = ScreeningPublic.model_construct(
            id="SCR-BENCH",
            footprint=footprint.__geo_interface__,
            result=ScreeningResultPublic.model_validate(result.to_dict()),
        )
        geometries = {
            "units": {u.code: u.geometry for u in units},
            "water_zones": {
                f"{z.source_code} {z.grade.value}": z.geometry for z in snapshot.water_zones.records
            },
            "redlines": {r.code: r.geometry for r in snapshot.redlines.records},
        }
        return screening_preview_from_record(record, geometries)

    print(f"{'preview':<34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}   budget")
    for name, render in (
        ("locate (GET /v1/locate?f=html)", locate),
        ("unit (/v1/units/{code}?f=html)", unit),
        ("water source (?f=html)", water),
        ("screening (incl. screening)", screening),
    ):
        p50, p95, top = timed(render)
        print(
            f"{name:<34} {p50:>8.1f} {p95:>8.1f} {top:>8.1f}   <= 200 ms {'OK' if p50 <= 200 else 'MISSED'}"
        )
    engine.dispose()


if __name__ == "__main__":
    main()
