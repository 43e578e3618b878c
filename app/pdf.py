"""The PDF screening report: reportlab, a CJK TrueType font embedded, a vector map drawn without a browser.

The font comes from Debian's ``fonts-wqy-microhei`` (installed by the project's setup) or from
``ZONING_PDF_FONT``; it is embedded (subset) so Chinese renders on any reader, never as blank boxes.
The map is drawn as vector paths in EPSG:4548 metres from the record's own geometries: footprint,
buffer, touched units coloured by class, water zones by grade, red line.
"""

from __future__ import annotations

import io
import itertools
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import shapely
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.graphics.shapes import Path as RLPath
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from app.report_compliance import compliance_flowables
from app.schemas_screening import ScreeningPublic
from zoning.crs import to_planar
from zoning.errors import ZoningError

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
FONT_NAME = "ZoningCJK"
CLASS_COLOURS = {"priority": "#2e7d32", "key": "#e53935", "general": "#fdd835"}
GRADE_COLOURS = {"I": "#0d47a1", "II": "#64b5f6", "quasi": "#bbdefb"}
SEVERITY_COLOURS = {"prohibited": "#b71c1c", "conditional": "#e65100", "notice": "#546e7a"}
VERDICT_COLOURS = {"prohibited": "#b71c1c", "conditional": "#e65100", "permitted": "#2e7d32"}


class PdfFontMissing(ZoningError):
    """No CJK TrueType font is installed for the PDF report."""

    code = "pdf_font_missing"
    title = "PDF font missing"


@lru_cache(maxsize=1)
def _register_font() -> str:
    configured = os.environ.get("ZONING_PDF_FONT")
    for candidate in ([configured] if configured else []) + list(FONT_CANDIDATES):
        if candidate and Path(candidate).exists():
            pdfmetrics.registerFont(TTFont(FONT_NAME, candidate, subfontIndex=0))
            return candidate
    raise PdfFontMissing(
        "no CJK TrueType font for the PDF report: install the Debian package fonts-wqy-microhei "
        "(`make install` does) or set ZONING_PDF_FONT to a .ttf/.ttc file"
    )


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "base", fontName=FONT_NAME, fontSize=9, leading=12.5, wordWrap="CJK", alignment=TA_LEFT
    )
    return {
        "base": base,
        "small": ParagraphStyle(
            "small", parent=base, fontSize=7.5, leading=10, textColor=colors.HexColor("#455a64")
        ),
        "title": ParagraphStyle("title", parent=base, fontSize=15, leading=20),
        "h2": ParagraphStyle("h2", parent=base, fontSize=11, leading=15, spaceBefore=8, spaceAfter=4),
    }


def _rgba(hex_colour: str, alpha: float) -> colors.Color:
    c = colors.HexColor(hex_colour)
    return colors.Color(c.red, c.green, c.blue, alpha)


def _paths(
    geometry: BaseGeometry,
    to_xy: Any,
    fill: str | None,
    stroke: str,
    width: float = 0.6,
    alpha: float = 0.55,
    dash: list[float] | None = None,
) -> list[RLPath]:
    out = []
    polygons = [g for g in getattr(geometry, "geoms", [geometry]) if g.geom_type == "Polygon"]
    for poly in polygons:
        path = RLPath(
            fillColor=_rgba(fill, alpha) if fill else None,
            strokeColor=colors.HexColor(stroke),
            strokeWidth=width,
            fillMode=0,
            strokeDashArray=dash,
        )
        for ring in [poly.exterior, *poly.interiors]:
            pts = [to_xy(x, y) for x, y in ring.coords]
            path.moveTo(*pts[0])
            for p in pts[1:]:
                path.lineTo(*p)
            path.closePath()
        out.append(path)
    return out


def _map(
    features: list[dict[str, Any]], buffer_m: float, width: float = 170 * mm, height: float = 95 * mm
) -> Drawing:
    """A vector map of the record's features in EPSG:4548, fitted to the drawing, with a scale bar."""
    drawing = Drawing(width, height)
    drawing.add(
        Rect(
            0, 0, width, height, fillColor=colors.HexColor("#f7f9fa"), strokeColor=colors.HexColor("#90a4ae")
        )
    )
    footprint = next(
        to_planar(shape(f["geometry"])) for f in features if f["properties"]["role"] == "footprint"
    )
    zone = footprint.buffer(buffer_m) if buffer_m > 0 else footprint
    focus = zone.buffer(
        max(300.0, 0.25 * max(zone.bounds[2] - zone.bounds[0], zone.bounds[3] - zone.bounds[1]))
    )
    minx, miny, maxx, maxy = focus.bounds
    scale = min((width - 8) / (maxx - minx), (height - 8) / (maxy - miny))
    ox = (width - scale * (maxx - minx)) / 2
    oy = (height - scale * (maxy - miny)) / 2

    def to_xy(x: float, y: float) -> tuple[float, float]:
        return ox + (x - minx) * scale, oy + (y - miny) * scale

    clip = shapely.box(minx, miny, maxx, maxy)
    order = {"control_unit": 0, "ecological_redline": 1, "water_protection_zone": 2}
    for f in sorted(
        (f for f in features if f["properties"]["role"] != "footprint"),
        key=lambda f: order.get(f["properties"]["role"], 9),
    ):
        geom = to_planar(shape(f["geometry"])).intersection(clip)
        props = f["properties"]
        if props["role"] == "control_unit":
            for p in _paths(
                geom, to_xy, CLASS_COLOURS.get(props.get("class", ""), "#cfd8dc"), "#546e7a", alpha=0.45
            ):
                drawing.add(p)
        elif props["role"] == "water_protection_zone":
            for p in _paths(
                geom, to_xy, GRADE_COLOURS.get(props.get("grade", ""), "#90caf9"), "#0d47a1", alpha=0.6
            ):
                drawing.add(p)
        elif props["role"] == "ecological_redline":
            for p in _paths(geom, to_xy, None, "#c62828", width=1.2, dash=[3, 2]):
                drawing.add(p)
    if buffer_m > 0:
        for p in _paths(zone, to_xy, None, "#37474f", width=0.8, dash=[2, 2]):
            drawing.add(p)
    if footprint.area > 0:
        for p in _paths(footprint, to_xy, "#6a1b9a", "#4a148c", width=1.2, alpha=0.35):
            drawing.add(p)
    else:
        for part in getattr(footprint, "geoms", [footprint]):
            coords = list(part.coords)
            if len(coords) == 1:
                x, y = to_xy(*coords[0])
                drawing.add(
                    Rect(x - 2.5, y - 2.5, 5, 5, fillColor=colors.HexColor("#6a1b9a"), strokeColor=None)
                )
            else:
                for a, b in itertools.pairwise(coords):
                    drawing.add(
                        Line(*to_xy(*a), *to_xy(*b), strokeColor=colors.HexColor("#6a1b9a"), strokeWidth=1.6)
                    )
    # scale bar: a round length about a fifth of the width
    metres = (width / 5) / scale
    nice = max(
        v for v in (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000) if v <= max(metres, 10)
    )
    bar = nice * scale
    drawing.add(Line(8, 8, 8 + bar, 8, strokeColor=colors.black, strokeWidth=1.5))
    label = f"{nice / 1000:g} km" if nice >= 1000 else f"{nice} m"
    drawing.add(String(8, 11, f"{label} (EPSG:4548)", fontName=FONT_NAME, fontSize=7))
    drawing.add(String(width - 6, height - 12, "N ↑", fontName=FONT_NAME, fontSize=8, textAnchor="end"))
    return drawing


def screening_pdf(record: ScreeningPublic, features: list[dict[str, Any]]) -> bytes:
    """Render a stored screening record (with its features as GeoJSON, EPSG:4490) as a PDF."""
    _register_font()
    s = _styles()
    result = record.result
    dataset = result.dataset
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"{record.id} 生态环境分区管控符合性筛查",
        author="南昌市生态环境分区管控服务",
        subject="siting screening report",
    )
    story: list[Any] = [
        Paragraph("建设项目生态环境分区管控符合性筛查报告", s["title"]),
        Paragraph(f"Siting screening report · {record.id}", s["base"]),
        Spacer(1, 4 * mm),
    ]
    verdict = Table(
        [
            [
                Paragraph(
                    f"<font color='white'><b>{result.verdict_label_zh} · "
                    f"{result.verdict_label_en}</b></font>",
                    s["base"],
                )
            ]
        ],
        colWidths=[174 * mm],
    )
    verdict.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(VERDICT_COLOURS[result.verdict])),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    story += [verdict, Spacer(1, 3 * mm)]
    ind = result.industry
    meta = [
        ("筛查编号 Screening id", record.id),
        ("时间 Time (UTC)", record.created_at),
        ("项目 Project", result.project_name or "—"),
        ("行业 Industry", f"{ind.code} {ind.name_zh} ({ind.name_en})"),
        ("缓冲 Buffer", f"{result.buffer_m} m"),
        (
            "数据版本 Dataset",
            f"{dataset.label} (effective {dataset.effective_from}"
            f"{' – ' + dataset.effective_to if dataset.effective_to else ''})",
        ),
        ("校验值 Checksum", dataset.checksum),
        ("量算 Measurement", result.measurement),
    ]
    table = Table(
        [[Paragraph(k, s["small"]), Paragraph(str(v), s["base"])] for k, v in meta],
        colWidths=[38 * mm, 136 * mm],
    )
    table.setStyle(
        TableStyle(
            [("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#cfd8dc")), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        )
    )
    story += [table, Spacer(1, 3 * mm)]
    if record.caveat:
        story += [Paragraph(record.caveat, s["small"]), Spacer(1, 3 * mm)]
    story += [
        Paragraph(
            "位置示意图 Map (footprint purple, buffer dashed; units: green priority, red key, "
            "yellow general; blue water-source zones; red dashed line: ecological red line)",
            s["small"],
        ),
        _map(features, float(result.buffer_m)),
        Spacer(1, 2 * mm),
    ]

    story.append(Paragraph("审查意见依据 Findings", s["h2"]))
    rows = [
        [
            Paragraph("#", s["small"]),
            Paragraph("结论 Severity", s["small"]),
            Paragraph("依据 Citation", s["small"]),
            Paragraph("条文 Text", s["small"]),
        ]
    ]
    for f in result.findings:
        c = f.citation
        source = c.get("source_zh") or f"{c.get('law_zh', '')} {c.get('article', '')}"
        rows.append(
            [
                Paragraph(str(f.n), s["small"]),
                Paragraph(f"<font color='{SEVERITY_COLOURS[f.severity]}'>{f.severity}</font>", s["small"]),
                Paragraph(source, s["small"]),
                Paragraph(f.text_zh, s["base"]),
            ]
        )
    findings = Table(rows, colWidths=[8 * mm, 20 * mm, 46 * mm, 100 * mm], repeatRows=1)
    findings.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#cfd8dc")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eceff1")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(findings)
    story += compliance_flowables(result, s)

    story.append(Paragraph("分层核查 Layers checked", s["h2"]))
    for name, layer in result.layers.items():
        items = layer.features
        names = ", ".join(
            (i.get("code") or i.get("source_code") or i.get("reserve_code", ""))
            + (f" {i['grade']}" if "grade" in i else "")
            for i in items[:12]
        )
        more = f" … (+{len(items) - 12})" if len(items) > 12 else ""
        story.append(Paragraph(f"{name}: <b>{layer.status}</b> {names}{more}", s["base"]))
    doc.build(story)
    return buffer.getvalue()
