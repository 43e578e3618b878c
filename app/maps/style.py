"""The map palette and the bilingual legend.

Colours follow the convention of the provincial 三线一单 atlases (and of Nanchang's published
分区管控图): priority protection units green, key control units red, general control units yellow;
drinking-water source protection zones in blues darkening with the grade; the ecological red line as
a red outline. Each colour is chosen to stay apart from its neighbours for common colour-vision
deficiencies when read together with the outline weight and dash.
"""

from __future__ import annotations

from html import escape

from zoning import layers
from zoning.vocabulary import ControlClass, MonitoringKind, ProtectionGrade, ReserveZoneKind

CLASS_COLOURS: dict[ControlClass, str] = {
    ControlClass.PRIORITY: "#2e7d32",  # green 800: 优先保护单元
    ControlClass.KEY: "#e53935",  # red 600: 重点管控单元
    ControlClass.GENERAL: "#fdd835",  # yellow 600: 一般管控单元
}
CLASS_LABELS_EN: dict[ControlClass, str] = {
    ControlClass.PRIORITY: "Priority protection",
    ControlClass.KEY: "Key control",
    ControlClass.GENERAL: "General control",
}
GRADE_COLOURS: dict[ProtectionGrade, str] = {
    ProtectionGrade.GRADE_I: "#0d47a1",  # dark blue: 一级保护区
    ProtectionGrade.GRADE_II: "#42a5f5",  # light blue: 二级保护区
    ProtectionGrade.QUASI: "#bbdefb",  # pale blue: 准保护区
}
GRADE_LABELS_EN: dict[ProtectionGrade, str] = {
    ProtectionGrade.GRADE_I: "Water source zone, grade I",
    ProtectionGrade.GRADE_II: "Water source zone, grade II",
    ProtectionGrade.QUASI: "Water source zone, quasi",
}
RESERVE_COLOURS: dict[ReserveZoneKind, str] = {
    ReserveZoneKind.CORE: "#4a148c",
    ReserveZoneKind.BUFFER: "#7b1fa2",
    ReserveZoneKind.EXPERIMENTAL: "#ba68c8",
}
MONITORING_COLOURS: dict[MonitoringKind, str] = {
    MonitoringKind.SURFACE_WATER: "#1565c0",
    MonitoringKind.AIR: "#6d4c41",
    MonitoringKind.GROUNDWATER: "#00838f",
    MonitoringKind.RURAL_NON_POINT: "#558b2f",
    MonitoringKind.NOISE: "#8e24aa",
}
MONITORING_LABELS_EN: dict[MonitoringKind, str] = {
    MonitoringKind.SURFACE_WATER: "surface water",
    MonitoringKind.AIR: "air",
    MonitoringKind.GROUNDWATER: "groundwater",
    MonitoringKind.RURAL_NON_POINT: "rural non-point",
    MonitoringKind.NOISE: "noise",
}
REDLINE_COLOUR = "#b71c1c"
DIVISION_COLOUR = "#37474f"
WATER_COLOUR = "#9ecae1"
RIVER_COLOUR = "#4f8fc0"
BACKGROUND = "#f3f1ea"


def unit_style(control_class: ControlClass, *, emphasis: bool = False) -> dict[str, object]:
    colour = CLASS_COLOURS[control_class]
    return {
        "color": "#333333" if emphasis else "#ffffff",
        "weight": 2.5 if emphasis else 0.6,
        "fillColor": colour,
        "fillOpacity": 0.7 if emphasis else 0.55,
    }


def water_zone_style(grade: ProtectionGrade) -> dict[str, object]:
    return {
        "color": GRADE_COLOURS[grade],
        "weight": 1,
        "fillColor": GRADE_COLOURS[grade],
        "fillOpacity": 0.75,
    }


REDLINE_STYLE = {
    "color": REDLINE_COLOUR,
    "weight": 2,
    "dashArray": "6 3",
    "fillColor": REDLINE_COLOUR,
    "fillOpacity": 0.08,
}
DIVISION_STYLE = {"color": DIVISION_COLOUR, "weight": 1.6, "fill": False, "dashArray": "8 4 2 4"}
LAKE_STYLE = {"color": RIVER_COLOUR, "weight": 0.5, "fillColor": WATER_COLOUR, "fillOpacity": 0.8}
RIVER_STYLE = {"color": RIVER_COLOUR, "weight": 1.5}


PARK_STYLE: dict[str, object] = dict(layers.get("industrial_parks").style)
CHEMICAL_PARK_STYLE: dict[str, object] = {**PARK_STYLE, "color": "#bf360c", "fillColor": "#bf360c"}
"""A recognised chemical park 认定化工园区 is outlined in deep orange, other parks in violet."""


def park_style(recognised_chemical_park: bool) -> dict[str, object]:
    return CHEMICAL_PARK_STYLE if recognised_chemical_park else PARK_STYLE


def reserve_style(zone: ReserveZoneKind) -> dict[str, object]:
    colour = RESERVE_COLOURS[zone]
    return {"color": colour, "weight": 2, "fillColor": colour, "fillOpacity": 0.15, "dashArray": "2 4"}


LEGEND_CSS = """
.zoning-legend{position:absolute;z-index:1000;right:10px;bottom:24px;background:rgba(255,255,255,.94);
 padding:8px 10px;border-radius:6px;box-shadow:0 1px 5px rgba(0,0,0,.35);
 font:12px/1.45 "Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei","PingFang SC",sans-serif;max-width:300px}
.zoning-legend h4{margin:0 0 4px;font-size:13px}
.zoning-legend .row{display:flex;align-items:center;gap:6px}
.zoning-legend .sw{display:inline-block;width:18px;height:12px;border:1px solid #555;flex:none}
.zoning-legend .ln{display:inline-block;width:18px;height:0;border-top:2px dashed;flex:none}
.zoning-legend .dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin:0 4px;flex:none}
.zoning-legend .en{color:#555}
"""


def _swatch(colour: str, zh: str, en: str, data: str = "") -> str:
    attr = f' data-legend="{escape(data)}"' if data else ""
    return (
        f'<div class="row"{attr}><span class="sw" style="background:{colour}"></span>'
        f'<span>{escape(zh)} <span class="en">{escape(en)}</span></span></div>'
    )


def legend_html(*, monitoring: bool = True) -> str:
    """The bilingual legend box (HTML + CSS), placed over the map's bottom-right corner."""
    rows = ["<h4>图例 Legend</h4>"]
    for cls, colour in CLASS_COLOURS.items():
        rows.append(_swatch(colour, cls.label_zh, CLASS_LABELS_EN[cls], data=cls.value))
    for grade, colour in GRADE_COLOURS.items():
        rows.append(_swatch(colour, "饮用水水源" + grade.label_zh, GRADE_LABELS_EN[grade]))
    rows.append(
        f'<div class="row"><span class="ln" style="border-color:{REDLINE_COLOUR}"></span>'
        '<span>生态保护红线 <span class="en">Ecological red line</span></span></div>'
    )
    rows.append(
        f'<div class="row"><span class="sw" style="background:{RESERVE_COLOURS[ReserveZoneKind.BUFFER]}33;'
        f'border:2px dotted {RESERVE_COLOURS[ReserveZoneKind.BUFFER]}"></span>'
        '<span>自然保护区 <span class="en">Nature reserve zones</span></span></div>'
    )
    for park_style_, zh, en in (
        (PARK_STYLE, "开发区/工业园区", "Industrial parks"),
        (CHEMICAL_PARK_STYLE, "认定化工园区", "Recognised chemical park"),
    ):
        rows.append(
            f'<div class="row" data-legend="industrial_parks"><span class="sw" '
            f'style="background:{park_style_["fillColor"]}22;border:2px dashed {park_style_["color"]}"></span>'
            f'<span>{zh} <span class="en">{en}</span></span></div>'
        )
    rows.append(
        f'<div class="row"><span class="ln" style="border-color:{DIVISION_COLOUR}"></span>'
        '<span>县级行政区界 <span class="en">County-level boundary</span></span></div>'
    )
    rows.append(_swatch(WATER_COLOUR, "湖泊、河流", "Lakes and rivers"))
    if monitoring:
        dots = "".join(
            f'<span class="dot" title="{escape(k.label_zh)}" style="background:{c}"></span>'
            for k, c in MONITORING_COLOURS.items()
        )
        rows.append(
            f'<div class="row">{dots}<span>监测点位 <span class="en">Monitoring points</span></span></div>'
        )
    return f'<style>{LEGEND_CSS}</style><div class="zoning-legend" id="zoning-legend">{"".join(rows)}</div>'
