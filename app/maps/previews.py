"""Folium previews of single answers: a located point, a unit, a water source, a screening.

Each returns a whole HTML page: the map (offline assets, no basemap unless configured) with the
answer in a side panel. Geometries come in CGCS2000 (EPSG:4490) and are reprojected to EPSG:4326
by ``app.maps.layers.to_output_crs``; preview geometry is not simplified beyond ~1 m.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any, cast

import folium
import numpy as np
import shapely
from branca.element import Element, Figure
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from app.maps import layers as L
from app.maps.base import fit, new_map
from app.maps.style import (
    CLASS_COLOURS,
    GRADE_COLOURS,
    MONITORING_COLOURS,
    REDLINE_STYLE,
    legend_html,
    reserve_style,
    unit_style,
    water_zone_style,
)
from app.schemas_screening import ScreeningPublic
from zoning import layers
from zoning.crs import PLANAR_SRID, STORAGE_SRID, to_planar, transformer
from zoning.locate import LocateResult
from zoning.snapshot import UnitRecord, WaterZoneRecord, ZoningSnapshot
from zoning.vocabulary import ControlClass, MonitoringKind, ProtectionGrade, ReserveZoneKind, RuleDimension

PREVIEW_TOLERANCE_DEG = 0.00001  # ≈ 1 m
PANEL_WIDTH = 380

PANEL_CSS = f"""
.answer-panel{{position:absolute;z-index:1000;top:10px;right:10px;bottom:10px;width:{PANEL_WIDTH - 30}px;
 overflow:auto;
 background:rgba(255,255,255,.97);padding:10px 12px;border-radius:6px;box-shadow:0 1px 5px rgba(0,0,0,.35);
 font-size:12.5px;line-height:1.45}}
.answer-panel h2{{font-size:16px;margin:0 0 6px}}
.answer-panel h3{{font-size:13px;margin:10px 0 3px;border-bottom:1px solid #ddd}}
.answer-panel table{{border-collapse:collapse;width:100%}}
.answer-panel td{{padding:1px 4px;vertical-align:top}}
.answer-panel .code{{font-family:monospace;font-weight:700}} .answer-panel .muted{{color:#666}}
.answer-panel .chip{{display:inline-block;width:11px;height:11px;border:1px solid #555;margin-right:4px;
 vertical-align:-1px}}
.answer-panel .verdict{{font-size:20px;font-weight:800}} .verdict.PROHIBITED{{color:#b71c1c}}
.verdict.CONDITIONAL{{color:#e65100}} .verdict.PERMITTED{{color:#2e7d32}}
.answer-panel ol{{padding-left:18px;margin:2px 0}}
.zoning-legend{{right:{PANEL_WIDTH + 10}px !important}}
"""


def _get(obj: Any, name: str, default: Any = None) -> Any:
    """A field of a record given as a dataclass/ORM row or as a mapping."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _bounds(geoms: Sequence[BaseGeometry]) -> tuple[float, float, float, float]:
    return L.to_output_crs(shapely.GeometryCollection(list(geoms))).bounds


def _geojson(geometry: BaseGeometry, properties: dict[str, Any] | None = None) -> dict[str, Any]:
    return L.feature("f", geometry, properties or {}, PREVIEW_TOLERANCE_DEG)


def _page(
    bounds: tuple[float, float, float, float],
    panel: str,
    draw: Any,
    *,
    tile_url: str | None,
    tile_attribution: str,
) -> str:
    m = new_map(bounds, tile_url=tile_url, tile_attribution=tile_attribution)
    draw(m)
    fit(m, bounds, top_left=(30, 30), bottom_right=(PANEL_WIDTH + 20, 30))
    folium.LayerControl(collapsed=True, position="topleft").add_to(m)
    root = cast(Figure, m.get_root())
    root.html.add_child(Element(f"<style>{PANEL_CSS}</style>{legend_html(monitoring=True)}"), name="legend")
    root.html.add_child(Element(f'<div class="answer-panel" id="answer-panel">{panel}</div>'), name="panel")
    return root.render()


def _unit_layer(
    units: Sequence[UnitRecord], *, emphasis: bool, group: Any, tolerance: float = PREVIEW_TOLERANCE_DEG
) -> None:
    """Units as one GeoJSON layer (one Folium element, whatever the count: rendering cost is per element)."""
    if not units:
        return
    fc = L.collection(
        L.feature(
            u.code,
            u.geometry,
            {
                "code": u.code,
                "name_zh": u.name_zh,
                "class": u.control_class.value,
                "class_zh": u.control_class.label_zh,
            },
            tolerance,
        )
        for u in units
    )
    folium.GeoJson(
        fc,
        style_function=lambda f, e=emphasis: unit_style(ControlClass(f["properties"]["class"]), emphasis=e),
        tooltip=folium.GeoJsonTooltip(
            fields=["code", "name_zh", "class_zh"], aliases=["编码", "名称", "类别"]
        ),
    ).add_to(group)


def _water_zone_layer(zones: Sequence[WaterZoneRecord], group: Any) -> None:
    if not zones:
        return
    fc = L.collection(
        L.feature(
            f"{z.source_code}-{z.grade.value}",
            z.geometry,
            {"source": z.source_name_zh, "grade": z.grade.value, "grade_zh": z.grade.label_zh},
            PREVIEW_TOLERANCE_DEG,
        )
        for z in zones
    )
    folium.GeoJson(
        fc,
        style_function=lambda f: water_zone_style(ProtectionGrade(f["properties"]["grade"])),
        tooltip=folium.GeoJsonTooltip(fields=["source", "grade_zh"], aliases=["水源地", "级别"]),
    ).add_to(group)


def _neighbours(snapshot: ZoningSnapshot, around: BaseGeometry, exclude: set[str]) -> list[UnitRecord]:
    """Units near ``around`` (EPSG:4490), found through the snapshot's STRtree."""
    hits = sorted(int(i) for i in snapshot.units.tree.query(around))
    return [snapshot.units.records[i] for i in hits if snapshot.units.records[i].code not in exclude]


NEIGHBOUR_TOLERANCE_DEG = 0.00005  # ≈ 5 m: context only


def _unit_chip(c: ControlClass) -> str:
    return f'<span class="chip" style="background:{CLASS_COLOURS[c]}"></span>'


def _grade_chip(g: ProtectionGrade) -> str:
    return f'<span class="chip" style="background:{GRADE_COLOURS[g]}"></span>'


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
    bounds = _bounds(focus + close)

    def draw(m: folium.Map) -> None:
        if snapshot is not None:
            neighbours = folium.FeatureGroup(name="相邻单元 Neighbouring units").add_to(m)
            own = {result.unit.code, *(b.code for b in result.boundary_units)}
            near_units = _neighbours(snapshot, shapely.box(*bounds).buffer(0.02), own)
            _unit_layer(near_units, emphasis=False, group=neighbours, tolerance=NEIGHBOUR_TOLERANCE_DEG)
        units = folium.FeatureGroup(name="所在单元 Unit").add_to(m)
        _unit_layer([result.unit, *result.boundary_units], emphasis=True, group=units)
        zones = folium.FeatureGroup(name="水源保护区 Water-source zones").add_to(m)
        _water_zone_layer(result.water_zones, zones)
        for r in result.redlines:
            folium.GeoJson(
                _geojson(r.geometry),
                style_function=lambda _f: REDLINE_STYLE,
                tooltip=r.name_zh,
                name="生态保护红线 Red line",
            ).add_to(m)
        for z in result.reserve_zones:
            folium.GeoJson(
                _geojson(z.geometry),
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

    u = result.unit
    rows = [
        "<h2>点位查询 Point location</h2>",
        f'<div class="muted">{result.lon:.6f}°E, {result.lat:.6f}°N · CGCS2000</div>',
        "<h3>环境管控单元 Control unit</h3>",
        f'<div>{_unit_chip(u.control_class)}<span class="code">{escape(u.code)}</span> '
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
        f"<div>{_grade_chip(z.grade)}{escape(z.source_name_zh)} {escape(z.grade.label_zh)}</div>"
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
    return _page(bounds, "".join(rows), draw, tile_url=tile_url, tile_attribution=tile_attribution)


def render_unit_preview(
    unit: UnitRecord,
    rules: Sequence[Any],
    *,
    snapshot: ZoningSnapshot | None = None,
    tile_url: str | None = None,
    tile_attribution: str = "",
) -> str:
    """A control unit on the map with its access list (生态环境准入清单) beside it.

    ``rules`` are the clauses that apply to the unit (its own and the city-wide ones), as records or
    mappings with ``dimension``, ``clause_no``, ``text_zh``, ``effect`` and optionally ``unit_code``.
    With ``snapshot``, neighbouring units and the zones and red line overlapping the unit are drawn.
    """
    bounds = _bounds([unit.geometry])

    def draw(m: folium.Map) -> None:
        if snapshot is not None:
            neighbours = folium.FeatureGroup(name="相邻单元 Neighbouring units").add_to(m)
            near_units = _neighbours(snapshot, shapely.box(*bounds).buffer(0.02), {unit.code})
            _unit_layer(near_units, emphasis=False, group=neighbours, tolerance=NEIGHBOUR_TOLERANCE_DEG)
        _unit_layer([unit], emphasis=True, group=m)
        if snapshot is not None:
            _water_zone_layer(
                [z for z in snapshot.water_zones.records if z.geometry.intersects(unit.geometry)], m
            )
            for r in snapshot.redlines.records:
                if r.geometry.intersects(unit.geometry):
                    folium.GeoJson(
                        _geojson(r.geometry), style_function=lambda _f: REDLINE_STYLE, tooltip=r.name_zh
                    ).add_to(m)

    c = unit.control_class
    rows = [
        "<h2>环境管控单元 Control unit</h2>",
        f'<div>{_unit_chip(c)}<span class="code">{escape(unit.code)}</span> {escape(c.label_zh)} '
        f"<i>{escape(c.label_en)}</i></div>",
        f"<div><b>{escape(unit.name_zh)}</b><br><span class='muted'>{escape(unit.name_en)}</span></div>",
        f"<div class='muted'>行政区 division {escape(unit.division_code)}</div>",
        "<h3>生态环境准入清单 Access list</h3>",
    ]
    for dim in RuleDimension:
        clauses = [r for r in rules if str(_get(r, "dimension")) == dim.value]
        if not clauses:
            continue
        rows.append(f"<div><b>{escape(dim.label_zh)}</b></div><ol>")
        for r in sorted(clauses, key=lambda r: (_get(r, "unit_code") is not None, _get(r, "clause_no") or 0)):
            scope = "全市 city-wide" if _get(r, "unit_code") is None else "本单元 this unit"
            effect = _get(r, "effect")
            rows.append(
                f"<li value='{int(_get(r, 'clause_no') or 0)}'>{escape(str(_get(r, 'text_zh', '')))} "
                f"<span class='muted'>[{escape(str(effect or ''))} · {scope}]</span></li>"
            )
        rows.append("</ol>")
    if not rules:
        rows.append("<div class='muted'>无条款 no clauses</div>")
    return _page(bounds, "".join(rows), draw, tile_url=tile_url, tile_attribution=tile_attribution)


def render_water_source_preview(
    source: Any,
    zones: Sequence[WaterZoneRecord],
    *,
    intake: BaseGeometry | None = None,
    tile_url: str | None = None,
    tile_attribution: str = "",
) -> str:
    """A drinking-water source with its protection zones by grade (I / II / quasi) and intake point.

    ``source`` is a record or mapping with ``code``, ``name_zh`` and optionally ``name_en``,
    ``level``, ``kind``, ``status``; ``intake`` an EPSG:4490 point.
    """
    geoms = [z.geometry for z in zones] + ([intake] if intake is not None else [])
    if not geoms:
        raise ValueError("a water-source preview needs a zone or an intake point")
    bounds = _bounds(geoms)
    order = {ProtectionGrade.QUASI: 0, ProtectionGrade.GRADE_II: 1, ProtectionGrade.GRADE_I: 2}

    def draw(m: folium.Map) -> None:
        _water_zone_layer(sorted(zones, key=lambda z: order[z.grade]), m)  # grade I drawn last, on top
        if intake is not None:
            p = L.to_output_crs(intake)
            folium.CircleMarker(
                [p.y, p.x],
                radius=6,
                color="#000",
                weight=2,
                fill=True,
                fill_color="#fff",
                fill_opacity=1,
                tooltip="取水口 intake",
            ).add_to(m)

    rows = [
        "<h2>饮用水水源地 Drinking-water source</h2>",
        f"<div><span class='code'>{escape(str(_get(source, 'code')))}</span> "
        f"<b>{escape(str(_get(source, 'name_zh')))}</b></div>",
        f"<div class='muted'>{escape(str(_get(source, 'name_en') or ''))}</div>",
    ]
    for field, label in (("level", "级别 level"), ("kind", "类型 kind"), ("status", "状态 status")):
        value = _get(source, field)
        if value is not None:
            zh = getattr(value, "label_zh", "")
            rows.append(
                f"<div>{label}: {escape(str(zh or value))} "
                f"<span class='muted'>{escape(str(value))}</span></div>"
            )
    rows.append("<h3>保护区 Protection zones</h3>")
    for z in sorted(zones, key=lambda z: -order[z.grade]):
        rows.append(f"<div>{_grade_chip(z.grade)}{escape(z.grade.label_zh)}</div>")
    return _page(bounds, "".join(rows), draw, tile_url=tile_url, tile_attribution=tile_attribution)


_LAYER_LABELS = {
    "units": "环境管控单元 Control units",
    "water_zones": "饮用水水源保护区 Water-source zones",
    "redlines": "生态保护红线 Ecological red line",
    "reserve_zones": "自然保护区 Nature reserve zones",
    "monitoring": "监测点位 Monitoring points",
}


def render_screening_preview(
    footprint: BaseGeometry,
    buffer_geom: BaseGeometry | None,
    result: Mapping[str, Any],
    *,
    tile_url: str | None = None,
    tile_attribution: str = "",
) -> str:
    """A siting screening: footprint, buffer, the features it touches, the verdict in a panel.

    ``footprint`` and ``buffer_geom`` are EPSG:4490 geometries. ``result`` holds ``verdict``
    (PROHIBITED / CONDITIONAL / PERMITTED), optionally ``reasons`` (list of str), ``project_name``,
    ``industry``, ``id``, and ``touched``: a list of mappings with ``layer`` (units / water_zones /
    redlines / reserve_zones / monitoring), ``code``, ``name_zh``, ``geometry`` (EPSG:4490) and the
    layer's ``class`` / ``grade`` / ``kind`` / ``zone``; optional ``share``, ``distance_m``.
    """
    touched = list(result.get("touched", []))
    outer = buffer_geom if buffer_geom is not None else footprint
    bounds = _bounds([outer, footprint])

    def draw(m: folium.Map) -> None:
        groups = {k: folium.FeatureGroup(name=v).add_to(m) for k, v in _LAYER_LABELS.items()}
        for layer in ("units", "reserve_zones", "water_zones", "redlines", "monitoring"):
            for t in (t for t in touched if t.get("layer") == layer):
                g = t["geometry"]
                tip = f"{t.get('code', '')} {t.get('name_zh', '')}"
                if layer == "units":
                    style = unit_style(ControlClass(t["class"]))
                elif layer == "water_zones":
                    style = water_zone_style(ProtectionGrade(t["grade"]))
                elif layer == "redlines":
                    style = REDLINE_STYLE
                elif layer == "reserve_zones":
                    style = reserve_style(ReserveZoneKind(t.get("zone", "experimental")))
                else:
                    p = L.to_output_crs(g)
                    colour = (
                        MONITORING_COLOURS.get(MonitoringKind(t["kind"]), "#333") if t.get("kind") else "#333"
                    )
                    folium.CircleMarker(
                        [p.y, p.x],
                        radius=6,
                        color="#fff",
                        weight=1.5,
                        fill=True,
                        fill_color=colour,
                        fill_opacity=1,
                        tooltip=tip,
                    ).add_to(groups[layer])
                    continue
                folium.GeoJson(_geojson(g), style_function=lambda _f, s=style: s, tooltip=tip).add_to(
                    groups[layer]
                )
        if buffer_geom is not None:
            folium.GeoJson(
                _geojson(buffer_geom),
                name="缓冲区 Buffer",
                style_function=lambda _f: {"color": "#000", "weight": 1.5, "dashArray": "6 4", "fill": False},
            ).add_to(m)
        folium.GeoJson(
            _geojson(footprint),
            name="项目范围 Footprint",
            style_function=lambda _f: {
                "color": "#000",
                "weight": 3,
                "fillColor": "#000",
                "fillOpacity": 0.15,
            },
        ).add_to(m)

    verdict = str(result.get("verdict", ""))
    rows = ["<h2>选址筛查 Siting screening</h2>"]
    if result.get("project_name"):
        rows.append(f"<div><b>{escape(str(result['project_name']))}</b></div>")
    if result.get("industry"):
        rows.append(f"<div class='muted'>行业 industry {escape(str(result['industry']))}</div>")
    rows.append(f'<div class="verdict {escape(verdict)}" id="verdict">{escape(verdict)}</div>')
    if result.get("reasons"):
        rows.append("<ol>" + "".join(f"<li>{escape(str(r))}</li>" for r in result["reasons"]) + "</ol>")
    for layer, label in _LAYER_LABELS.items():
        items = [t for t in touched if t.get("layer") == layer]
        if not items:
            continue
        rows.append(f"<h3>{label}</h3>")
        for t in items:
            extra = t.get("class") or t.get("grade") or t.get("kind") or t.get("zone") or ""
            if layer == "units" and extra:
                chip = _unit_chip(ControlClass(extra))
                extra = ControlClass(extra).label_zh
            elif layer == "water_zones" and extra:
                chip = _grade_chip(ProtectionGrade(extra))
                extra = ProtectionGrade(extra).label_zh
            else:
                chip = ""
            share = f" · {t['share'] * 100:.1f}%" if t.get("share") is not None else ""
            dist = f" · {t['distance_m']:,.0f} m" if t.get("distance_m") is not None else ""
            rows.append(
                f"<div>{chip}<span class='code'>{escape(str(t.get('code', '')))}</span> "
                f"{escape(str(t.get('name_zh', '')))} "
                f"<span class='muted'>{escape(str(extra))}{share}{dist}</span></div>"
            )
    return _page(bounds, "".join(rows), draw, tile_url=tile_url, tile_attribution=tile_attribution)


def _buffered(footprint: BaseGeometry, buffer_m: float) -> BaseGeometry:
    """The footprint buffered by ``buffer_m`` metres in EPSG:4548, back in EPSG:4490."""
    back = transformer(PLANAR_SRID, STORAGE_SRID)
    planar = to_planar(footprint).buffer(buffer_m)
    return shapely.transform(planar, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))


def _touched_features(
    record: ScreeningPublic, geometries: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The record's hits of every screened layer (registry order) with their EPSG:4490 geometry."""

    def geom(g: Any) -> BaseGeometry:
        return g if isinstance(g, BaseGeometry) else shape(g)

    touched: list[dict[str, Any]] = []
    for spec in layers.screened():
        result = record.result.layers.get(spec.name)
        if result is None:
            continue
        point = spec.geometry_type == "Point"
        for f in result.features:
            if point:
                if "lon" not in f or "lat" not in f:
                    continue
                g: BaseGeometry | None = Point(f["lon"], f["lat"])
            else:
                found = geometries.get(spec.dataset_key, {}).get(" ".join(str(f[k]) for k in spec.key))
                g = None if found is None else geom(found)
            if g is None:
                continue
            entry: dict[str, Any] = {
                "layer": "monitoring" if point else spec.dataset_key,
                "code": f[spec.key[0]],
                "name_zh": f.get(spec.name_field, ""),
                "geometry": g,
            }
            if spec.style_by is not None:
                entry[spec.style_by] = f[spec.style_by]
            if point:
                entry["distance_m"] = f.get("distance_m")
            elif spec.name == "control_units":
                entry["share"] = f.get("share_of_footprint")
            touched.append(entry)
    return touched


def screening_preview_from_record(
    record: ScreeningPublic,
    geometries: Mapping[str, Mapping[str, Any]],
    **kwargs: Any,
) -> str:
    """The screening preview of a stored screening record (``POST /v1/screenings`` answer).

    ``geometries`` are the touched features' EPSG:4490 geometries (GeoJSON mappings or Shapely) by
    dataset key and feature key, as ``geodata.repository.feature_geometries`` returns them:
    ``units`` by code, ``water_zones`` by ``"<source_code> <grade>"``, ``redlines`` by code.
    """
    result = record.result
    footprint = shape(record.footprint)
    buffer_m = float(result.buffer_m or 0)
    return render_screening_preview(
        footprint,
        _buffered(footprint, buffer_m) if buffer_m > 0 else None,
        {
            "verdict": result.verdict.upper(),
            "reasons": list(dict.fromkeys(f.text_zh for f in result.findings))[:8],
            "project_name": result.project_name,
            "industry": f"{result.industry.code} {result.industry.name_zh}",
            "touched": _touched_features(record, geometries),
        },
        **kwargs,
    )


def embed_page(page: str, *, height_px: int = 520, title: str = "map") -> str:
    """A whole map page as an ``<iframe srcdoc>`` fragment, to put inside another HTML page.

    A srcdoc document resolves ``/static/vendor/...`` against its parent's address, so the map stays
    served by this app (e.g. ``app.reports.screening_html(record, map_html=embed_page(...))``).
    """
    return (
        f'<iframe title="{escape(title)}" srcdoc="{escape(page, quote=True)}" '
        f'style="width:100%;height:{height_px}px;border:1px solid #ccc;border-radius:4px"></iframe>'
    )
