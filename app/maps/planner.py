"""The planners' zoning map at ``/map``: every layer, legend, search, locate, screening, versions."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib.resources import files
from typing import Any, cast

import folium
from branca.element import Element, Figure
from folium.features import DivIcon, GeoJsonTooltip

from app.maps import layers as L
from app.maps.assets import OfflineDraw, OfflineMarkerCluster
from app.maps.base import Script, context_layer, fit, new_map
from app.maps.style import (
    CLASS_COLOURS,
    CLASS_LABELS_EN,
    DIVISION_STYLE,
    MONITORING_COLOURS,
    MONITORING_LABELS_EN,
    REDLINE_STYLE,
    legend_html,
    park_style,
    reserve_style,
    unit_style,
    water_zone_style,
)
from zoning.snapshot import ZoningSnapshot
from zoning.vocabulary import ControlClass, MonitoringKind, ProtectionGrade, ReserveZoneKind

SHOWN_MONITORING = {MonitoringKind.SURFACE_WATER, MonitoringKind.AIR}
"""Kinds shown on opening; the others are one click away in the layer control."""

PANEL_CSS = """
.zoning-panel{position:absolute;z-index:1000;left:54px;top:10px;width:300px;background:rgba(255,255,255,.96);
 padding:8px 10px;border-radius:6px;box-shadow:0 1px 5px rgba(0,0,0,.35);font-size:12px;line-height:1.4}
.zoning-panel h3{margin:0 0 4px;font-size:15px}
.zoning-panel .sub{color:#555;margin-bottom:6px}
.zoning-panel label{display:block;margin-top:6px;font-weight:600}
.zoning-panel input,.zoning-panel select,.zoning-panel button{font:inherit;box-sizing:border-box}
.zoning-panel input[type=text],.zoning-panel input[type=number],.zoning-panel select{
 width:100%;padding:2px 4px}
.zoning-panel .inline{display:flex;gap:4px}.zoning-panel .inline input{flex:1}
.zoning-panel details{margin-top:6px}.zoning-panel summary{cursor:pointer;font-weight:600}
.zoning-panel .msg{margin-top:4px;color:#333}.zoning-panel .err{color:#b71c1c}
.verdict{font-weight:700}.verdict.PROHIBITED{color:#b71c1c}.verdict.CONDITIONAL{color:#e65100}.verdict.PERMITTED{color:#2e7d32}
.locate-popup .code{font-family:monospace;font-weight:700}
"""


@dataclass(frozen=True)
class _Overlay:
    """How the /map page draws one registered map layer: its entry in the layer control, its style
    and its tooltip (``(field, label)`` pairs, none for a non-interactive layer)."""

    title: str
    style: Callable[[dict[str, Any]], dict[str, object]]
    tooltip: tuple[tuple[str, str], ...] = ()
    highlight: bool = False
    """Outline the feature under the pointer."""

    def add(self, m: folium.Map, collection: dict[str, Any]) -> Element:
        extra: dict[str, Any] = {"interactive": False}
        if self.tooltip:
            fields, aliases = zip(*self.tooltip, strict=True)
            extra = {"tooltip": GeoJsonTooltip(fields=list(fields), aliases=list(aliases))}
        if self.highlight:
            extra["highlight_function"] = lambda _f: {"weight": 2.5, "color": "#212121"}
        return folium.GeoJson(collection, name=self.title, style_function=self.style, **extra).add_to(m)


OVERLAYS: dict[str, _Overlay] = {
    "units": _Overlay(
        "环境管控单元 Control units",
        lambda f: unit_style(ControlClass(f["properties"]["class"])),
        (("code", "编码"), ("name_zh", "名称"), ("class_zh", "类别")),
        highlight=True,
    ),
    "reserve_zones": _Overlay(
        "自然保护区 Nature reserve zones",
        lambda f: reserve_style(ReserveZoneKind(f["properties"]["zone"])),
        (("reserve_name_zh", "保护区"), ("zone_zh", "功能区")),
    ),
    "industrial_parks": _Overlay(
        "开发区/工业园区 Industrial parks",
        lambda f: park_style(bool(f["properties"]["chemical_zh"])),
        (
            ("name_zh", "园区"),
            ("level_zh", "级别"),
            ("chemical_zh", "化工园区"),
            ("industry_codes", "主导产业 GB/T 4754"),
        ),
    ),
    "water_zones": _Overlay(
        "饮用水水源保护区 Water-source zones",
        lambda f: water_zone_style(ProtectionGrade(f["properties"]["grade"])),
        (("source_name_zh", "水源地"), ("grade_zh", "级别")),
    ),
    "redlines": _Overlay(
        "生态保护红线 Ecological red line",
        lambda _f: REDLINE_STYLE,
        (("code", "编码"), ("name_zh", "名称"), ("kind_zh", "类型")),
    ),
    "divisions": _Overlay("行政区界 Division boundaries", lambda _f: DIVISION_STYLE),
}
"""Every map layer of the registry (``app.maps.layers.LAYERS``), in drawing order (bottom first)."""


def _panel_html(snapshot: ZoningSnapshot, industries: Sequence[dict[str, Any]]) -> str:
    v = snapshot.version
    options = "".join(
        f'<option value="{escape(i["code"])}">{escape(i["code"])} {escape(i["name_zh"])}</option>'
        for i in industries
        if i["level"] in ("group", "class")
    )
    return f"""
<style>{PANEL_CSS}</style>
<div class="zoning-panel" id="zoning-panel">
 <h3>南昌市生态环境分区管控图</h3>
 <div class="sub">Nanchang ecological-environment zoning · 三线一单<br>
  {escape(v.title_zh)}{"（重建数据 reconstruction）" if v.reconstruction else ""}</div>
 <div class="sub" id="zoning-session"></div>
 <label for="zoning-version">版本 Version (as of)</label>
 <select id="zoning-version"><option value="">{escape(v.label)}</option></select>
 <label for="zoning-search">查找单元 Find a unit (code or name)</label>
 <form id="zoning-search-form" class="inline"><input type="text" id="zoning-search" list="zoning-units"
   placeholder="ZH3601… / 东湖区…" autocomplete="off"><button type="submit">查找</button></form>
 <datalist id="zoning-units"></datalist>
 <div class="msg" id="zoning-search-msg"></div>
 <div class="sub" style="margin-top:6px">点击地图查询所在单元 · Click the map to locate a point.</div>
 <details id="zoning-screening"><summary>选址筛查 Siting screening</summary>
  <div class="sub">用左侧工具绘制项目范围，或上传文件（GeoJSON、Shapefile zip、GeoPackage、KML、界址点表）·
   Draw the footprint with the tools on the left, or upload a file.</div>
  <input type="file" id="zoning-upload"
   accept=".geojson,.json,.zip,.gpkg,.kml,.kmz,.csv,.txt,.xlsx">
  <label for="zoning-industry">行业 Industry (GB/T 4754)</label>
  <input type="text" id="zoning-industry" list="zoning-industries" placeholder="2614">
  <datalist id="zoning-industries">{options}</datalist>
  <label for="zoning-buffer">缓冲 Buffer (m)</label>
  <input type="number" id="zoning-buffer" value="500" min="0" max="20000">
  <label for="zoning-project">项目名称 Project name</label><input type="text" id="zoning-project">
  <div style="margin-top:6px"><button type="button" id="zoning-screen">筛查 Screen</button></div>
  <div class="msg" id="zoning-screening-msg"></div>
 </details>
</div>"""


def _units_index(snapshot: ZoningSnapshot) -> list[dict[str, Any]]:
    out = []
    for u in snapshot.units.records:
        g = L.to_output_crs(u.geometry)
        p = g.representative_point()
        out.append(
            {
                "c": u.code,
                "n": u.name_zh,
                "k": u.control_class.value,
                "b": [round(x, 5) for x in g.bounds],
                "p": [round(p.y, 6), round(p.x, 6)],
            }
        )
    return out


@cache
def _planner_js() -> str:
    """The page script (search, locate on click, detail on zoom, versions, screening)."""
    return (files("app") / "maps" / "planner.js").read_text(encoding="utf-8")


_POINT_CALLBACK = """
function (row) {
  var m = L.circleMarker([row[0], row[1]], {radius: 5, color: '#fff', weight: 1, fillColor: '%s',
                                            fillOpacity: 0.95, bubblingMouseEvents: false});
  m.bindPopup('<b>' + row[3] + '</b><br><span style="font-family:monospace">' + row[2] +
              '</span> · ' + row[4]);
  return m;
}"""

_CLUSTER_ICON = """
function (cluster) {
  var n = cluster.getChildCount();
  var size = n < 10 ? 26 : n < 100 ? 32 : 38;
  return L.divIcon({html: '<div style="background:%s;color:#fff;border-radius:50%%;width:' + size +
    'px;height:' + size + 'px;line-height:' + size +
    'px;text-align:center;font:600 11px sans-serif;border:2px solid #fff;opacity:.9">' + n + '</div>',
    className: 'zoning-cluster', iconSize: L.point(size, size)});
}"""


def render_planner_map(
    snapshot: ZoningSnapshot,
    *,
    industries: Sequence[dict[str, Any]] = (),
    as_of: str | None = None,
    tile_url: str | None = None,
    tile_attribution: str = "",
) -> str:
    """The whole /map page for one snapshot, as HTML; geometry simplified to the overview tolerance."""
    city = L.to_output_crs(snapshot.city)
    m = new_map(city.bounds, tile_url=tile_url, tile_attribution=tile_attribution)
    fit(m, city.bounds, top_left=(330, 10), bottom_right=(250, 10))  # clear of the panel and the legend
    context_layer().add_to(m)

    names: dict[str, str] = {}
    for key, overlay in OVERLAYS.items():
        if overlay.tooltip and not snapshot.layer(key).records:
            continue  # a tooltip needs at least one feature to read its fields
        names[key] = overlay.add(m, L.layer_collection(snapshot, key)).get_name()

    labels = folium.FeatureGroup(name="行政区名称 Division names").add_to(m)
    for d in snapshot.divisions.records:
        if d.level not in ("district", "county"):
            continue
        p = L.to_output_crs(d.geometry).representative_point()
        folium.Marker(
            [p.y, p.x],
            icon=DivIcon(
                html=f"<div>{escape(d.name_zh)}<span>{escape(d.name_en)}</span></div>",
                class_name="division-label",
                icon_size=(120, 30),
                icon_anchor=(60, 15),
            ),
            interactive=False,
        ).add_to(labels)

    hidden: list[str] = []
    for kind, layer in snapshot.monitoring.items():
        rows = []
        for r in layer.records:
            g = L.to_output_crs(r.geometry)
            rows.append([round(g.y, 6), round(g.x, 6), r.code, r.name_zh, kind.label_zh])
        colour = MONITORING_COLOURS[kind]
        cluster = OfflineMarkerCluster(
            rows,
            callback=_POINT_CALLBACK % colour,
            name=f"监测点·{kind.label_zh} Monitoring: {MONITORING_LABELS_EN[kind]} ({len(rows)})",
            show=kind in SHOWN_MONITORING,
            icon_create_function=_CLUSTER_ICON % colour,
            showCoverageOnHover=False,
            maxClusterRadius=50,
        ).add_to(m)
        if kind not in SHOWN_MONITORING:
            # FastMarkerCluster adds itself to the map whatever ``show`` says; the page removes it.
            hidden.append(cluster.get_name())

    draw = OfflineDraw(
        export=False,
        show_geometry_on_click=False,
        draw_options={"polyline": False, "circle": False, "circlemarker": False, "marker": False},
        edit_options={"edit": False},
    ).add_to(m)
    folium.LayerControl(collapsed=True, position="topright").add_to(m)

    root = cast(Figure, m.get_root())
    root.html.add_child(Element(_panel_html(snapshot, industries)), name="zoning_panel")
    root.html.add_child(Element(legend_html()), name="zoning_legend")
    config = {
        "map": m.get_name(),
        "layers": names,
        "draw": draw.get_name(),
        "hidden": hidden,
        "asOf": as_of,
        "version": snapshot.version.label,
        "detailMinZoom": L.DETAIL_MIN_ZOOM,
        "units": _units_index(snapshot),
        "classColours": {c.value: col for c, col in CLASS_COLOURS.items()},
        "classEn": {c.value: CLASS_LABELS_EN[c] for c in ControlClass},
    }
    Script("var ZONING = " + json.dumps(config, ensure_ascii=False) + ";\n" + _planner_js()).add_to(m)
    return root.render()
