"""The previews of one control unit and of one drinking-water source with its protection zones."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import folium
import shapely
from shapely.geometry.base import BaseGeometry

from app.maps import layers as L
from app.maps.previews.common import (
    NEIGHBOUR_TOLERANCE_DEG,
    bounds_of,
    grade_chip,
    preview_feature,
    record_field,
    render_page,
    unit_chip,
    unit_layer,
    units_near,
    water_zone_layer,
)
from app.maps.style import REDLINE_STYLE
from zoning.snapshot import UnitRecord, WaterZoneRecord, ZoningSnapshot
from zoning.vocabulary import ProtectionGrade, RuleDimension


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
    bounds = bounds_of([unit.geometry])

    def draw(m: folium.Map) -> None:
        if snapshot is not None:
            neighbours = folium.FeatureGroup(name="相邻单元 Neighbouring units").add_to(m)
            near_units = units_near(snapshot, shapely.box(*bounds).buffer(0.02), {unit.code})
            unit_layer(near_units, emphasis=False, group=neighbours, tolerance=NEIGHBOUR_TOLERANCE_DEG)
        unit_layer([unit], emphasis=True, group=m)
        if snapshot is not None:
            water_zone_layer(
                [z for z in snapshot.water_zones.records if z.geometry.intersects(unit.geometry)], m
            )
            for r in snapshot.redlines.records:
                if r.geometry.intersects(unit.geometry):
                    folium.GeoJson(
                        preview_feature(r.geometry),
                        style_function=lambda _f: REDLINE_STYLE,
                        tooltip=r.name_zh,
                    ).add_to(m)

    c = unit.control_class
    rows = [
        "<h2>环境管控单元 Control unit</h2>",
        f'<div>{unit_chip(c)}<span class="code">{escape(unit.code)}</span> {escape(c.label_zh)} '
        f"<i>{escape(c.label_en)}</i></div>",
        f"<div><b>{escape(unit.name_zh)}</b><br><span class='muted'>{escape(unit.name_en)}</span></div>",
        f"<div class='muted'>行政区 division {escape(unit.division_code)}</div>",
        "<h3>生态环境准入清单 Access list</h3>",
    ]
    for dim in RuleDimension:
        clauses = [r for r in rules if str(record_field(r, "dimension")) == dim.value]
        if not clauses:
            continue
        rows.append(f"<div><b>{escape(dim.label_zh)}</b></div><ol>")
        for r in sorted(
            clauses,
            key=lambda r: (record_field(r, "unit_code") is not None, record_field(r, "clause_no") or 0),
        ):
            scope = "全市 city-wide" if record_field(r, "unit_code") is None else "本单元 this unit"
            effect = record_field(r, "effect")
            rows.append(
                f"<li value='{int(record_field(r, 'clause_no') or 0)}'>{escape(str(record_field(r, 'text_zh', '')))} "
                f"<span class='muted'>[{escape(str(effect or ''))} · {scope}]</span></li>"
            )
        rows.append("</ol>")
    if not rules:
        rows.append("<div class='muted'>无条款 no clauses</div>")
    return render_page(bounds, "".join(rows), draw, tile_url=tile_url, tile_attribution=tile_attribution)


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
    bounds = bounds_of(geoms)
    order = {ProtectionGrade.QUASI: 0, ProtectionGrade.GRADE_II: 1, ProtectionGrade.GRADE_I: 2}

    def draw(m: folium.Map) -> None:
        water_zone_layer(sorted(zones, key=lambda z: order[z.grade]), m)  # grade I drawn last, on top
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
        f"<div><span class='code'>{escape(str(record_field(source, 'code')))}</span> "
        f"<b>{escape(str(record_field(source, 'name_zh')))}</b></div>",
        f"<div class='muted'>{escape(str(record_field(source, 'name_en') or ''))}</div>",
    ]
    for field, label in (("level", "级别 level"), ("kind", "类型 kind"), ("status", "状态 status")):
        value = record_field(source, field)
        if value is not None:
            zh = getattr(value, "label_zh", "")
            rows.append(
                f"<div>{label}: {escape(str(zh or value))} "
                f"<span class='muted'>{escape(str(value))}</span></div>"
            )
    rows.append("<h3>保护区 Protection zones</h3>")
    for z in sorted(zones, key=lambda z: -order[z.grade]):
        rows.append(f"<div>{grade_chip(z.grade)}{escape(z.grade.label_zh)}</div>")
    return render_page(bounds, "".join(rows), draw, tile_url=tile_url, tile_attribution=tile_attribution)
