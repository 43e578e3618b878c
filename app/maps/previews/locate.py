"""The preview of a located point: the point, the division, unit, zones and red line holding it."""

from __future__ import annotations

from html import escape

import folium
import shapely

from app.maps import layers as L
from app.maps.previews.common import (
    NEIGHBOUR_TOLERANCE_DEG,
    bounds_of,
    grade_chip,
    preview_feature,
    render_page,
    unit_chip,
    unit_layer,
    units_near,
    water_zone_layer,
)
from app.maps.style import MONITORING_COLOURS, REDLINE_STYLE, reserve_style
from zoning.locate import LocateResult
from zoning.snapshot import ZoningSnapshot


def render_locate_preview(
    result: LocateResult,
    *,
    snapshot: ZoningSnapshot | None = None,
    tile_url: str | None = None,
    tile_attribution: str = "",
) -> str:
    """A located point: its unit, neighbours, zones, red line, nearest monitoring points, and the answer."""
    point = shapely.Point(result.lon, result.lat)
    near = [n.point.geometry for n in result.nearest_monitoring.values()]
    focus = [result.unit.geometry, point]
    # Frame the unit and the monitoring points within ~5 km: one 30 km away would shrink the unit to a dot.
    planar_point = L.to_output_crs(point)
    close = [g for g, n in zip(near, result.nearest_monitoring.values(), strict=True) if n.distance_m <= 5000]
    bounds = bounds_of(focus + close)

    def draw(m: folium.Map) -> None:
        if snapshot is not None:
            neighbours = folium.FeatureGroup(name="相邻单元 Neighbouring units").add_to(m)
            own = {result.unit.code, *(b.code for b in result.boundary_units)}
            near_units = units_near(snapshot, shapely.box(*bounds).buffer(0.02), own)
            unit_layer(near_units, emphasis=False, group=neighbours, tolerance=NEIGHBOUR_TOLERANCE_DEG)
        units = folium.FeatureGroup(name="所在单元 Unit").add_to(m)
        unit_layer([result.unit, *result.boundary_units], emphasis=True, group=units)
        zones = folium.FeatureGroup(name="水源保护区 Water-source zones").add_to(m)
        water_zone_layer(result.water_zones, zones)
        for r in result.redlines:
            folium.GeoJson(
                preview_feature(r.geometry),
                style_function=lambda _f: REDLINE_STYLE,
                tooltip=r.name_zh,
                name="生态保护红线 Red line",
            ).add_to(m)
        for z in result.reserve_zones:
            folium.GeoJson(
                preview_feature(z.geometry),
                style_function=lambda _f, k=z.zone: reserve_style(k),
                tooltip=f"{z.reserve_name_zh} {z.zone.label_zh}",
            ).add_to(m)
        points = folium.FeatureGroup(name="最近监测点 Nearest monitoring points").add_to(m)
        for kind, n in result.nearest_monitoring.items():
            g = L.to_output_crs(n.point.geometry)
            colour = MONITORING_COLOURS[kind]
            folium.PolyLine(
                [[planar_point.y, planar_point.x], [g.y, g.x]],
                color=colour,
                weight=1.5,
                dash_array="4 4",
                opacity=0.8,
            ).add_to(points)
            folium.CircleMarker(
                [g.y, g.x],
                radius=6,
                color="#fff",
                weight=1.5,
                fill=True,
                fill_color=colour,
                fill_opacity=1,
                tooltip=f"{kind.label_zh} {n.point.name_zh} · {n.distance_m:,.0f} m",
            ).add_to(points)
        folium.CircleMarker(
            [planar_point.y, planar_point.x],
            radius=7,
            color="#000",
            weight=3,
            fill=True,
            fill_color="#fff",
            fill_opacity=1,
            tooltip=f"{result.lon:.6f}, {result.lat:.6f}",
        ).add_to(m)

    return render_page(bounds, _panel(result), draw, tile_url=tile_url, tile_attribution=tile_attribution)


def _panel(result: LocateResult) -> str:
    """The answer panel: unit, division, zones, red line, reserve, nearest monitoring, dataset."""
    u = result.unit
    rows = [
        "<h2>点位查询 Point location</h2>",
        f'<div class="muted">{result.lon:.6f}°E, {result.lat:.6f}°N · CGCS2000</div>',
        "<h3>环境管控单元 Control unit</h3>",
        f'<div>{unit_chip(u.control_class)}<span class="code">{escape(u.code)}</span> '
        f"{escape(u.control_class.label_zh)} <i>{escape(u.control_class.label_en)}</i></div>",
        f"<div><b>{escape(u.name_zh)}</b><br><span class='muted'>{escape(u.name_en)}</span></div>",
        f'<div><a href="/v1/units/{escape(u.code)}">单元记录与准入清单 Unit record and access list</a></div>',
    ]
    for b in result.boundary_units:
        rows.append(
            f'<div class="muted">边界相邻 On the boundary with <span class="code">{escape(b.code)}</span> '
            f"{escape(b.name_zh)}</div>"
        )
    rows.append("<h3>行政区 Division</h3>")
    rows.append(
        f"<div>{escape(result.division.name_zh)} {escape(result.division.name_en)} "
        f"({escape(result.division.code)})</div>"
    )
    for a in result.named_areas:
        rows.append(f"<div class='muted'>{escape(a.name_zh)} {escape(a.name_en)}</div>")
    rows.append("<h3>饮用水水源保护区 Water-source zones</h3>")
    rows += [
        f"<div>{grade_chip(z.grade)}{escape(z.source_name_zh)} {escape(z.grade.label_zh)}</div>"
        for z in result.water_zones
    ] or ["<div class='muted'>无 none</div>"]
    rows.append("<h3>生态保护红线 Ecological red line</h3>")
    rows += [f"<div>{escape(r.name_zh)} ({escape(r.kind.label_zh)})</div>" for r in result.redlines] or [
        "<div class='muted'>不在红线内 not inside</div>"
    ]
    if result.reserve_zones:
        rows.append("<h3>自然保护区 Nature reserve</h3>")
        rows += [
            f"<div>{escape(z.reserve_name_zh)} {escape(z.zone.label_zh)}</div>" for z in result.reserve_zones
        ]
    rows.append("<h3>最近监测点 Nearest monitoring points</h3><table>")
    for kind, n in result.nearest_monitoring.items():
        rows.append(
            f'<tr><td><span class="chip" '
            f'style="background:{MONITORING_COLOURS[kind]};border-radius:50%"></span>'
            f"{escape(kind.label_zh)}</td><td>{escape(n.point.name_zh)}</td>"
            f"<td style='text-align:right'>{n.distance_m:,.0f}&nbsp;m</td></tr>"
        )
    rows.append("</table><div class='muted'>距离 distance: planar, EPSG:4548 (CGCS2000 GK CM 117°E)</div>")
    v = result.version
    rows.append(f"<h3>数据版本 Dataset</h3><div>{escape(v.label)} · {escape(v.title_zh)}</div>")
    if v.reconstruction:
        rows.append("<div class='muted'>重建数据，非官方矢量 reconstruction, not the official geometry</div>")
    return "".join(rows)
