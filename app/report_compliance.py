"""The compliance table 三线一单符合性分析 in the HTML and PDF reports, as an EIA report carries it.

The table is read from ``result.compliance`` of a stored screening record: the rows of
``zoning.compliance.ComplianceRow.as_dict()`` (dimension, scopes, clause text, assessment, severity,
reason). It is shown grouped by scope — 全市总体准入要求 (the city-wide general requirements) first,
then each touched control unit (identical clauses of several units grouped under them all) — with
the columns 维度 dimension / 条款 clause / 符合性 assessment (zh + en) / 理由 reason, and rows to verify
(需核实 needs review) visibly marked.

A record stored before the table existed has no ``compliance`` member: it is rendered as
未评估 not assessed, and an empty list as "no clause assessed" — never as an empty table, which
would read as a clean bill.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from pydantic import BaseModel
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from zoning.vocabulary import RuleDimension

CITY = "city"
"""The scope name ``zoning.compliance`` gives the city-wide general requirements."""

TITLE_ZH = "三线一单符合性分析"
TITLE_EN = "Compliance with the zoning access lists"

ASSESSMENTS: dict[str, tuple[str, str, str, str]] = {
    # assessment: (zh, en, text colour, row background)
    "non_compliant": ("不符合", "non-compliant", "#b71c1c", "#ffebee"),
    "needs_review": ("需核实", "needs review", "#e65100", "#fff3e0"),
    "compliant": ("符合", "compliant", "#2e7d32", "#ffffff"),
    "not_applicable": ("不涉及", "not applicable", "#607d8b", "#ffffff"),
}
ASSESSMENT_ORDER = list(ASSESSMENTS)
SEVERITY_LABELS = {
    "prohibited": "禁止 prohibited",
    "conditional": "有条件 conditional",
    "notice": "提示 notice",
    "permitted": "允许 permitted",
}
DIMENSION_EN = {
    "spatial_layout": "Spatial layout",
    "pollutant_discharge": "Pollutant discharge",
    "environmental_risk": "Environmental risk",
    "resource_efficiency": "Resource efficiency",
}
_DIMENSIONS = [d.value for d in RuleDimension]

NOT_ASSESSED_ZH = "未评估"
NOT_ASSESSED_EN = "not assessed"
NOT_ASSESSED_DETAIL = (
    "本记录形成于逐条符合性分析之前，未逐条评估管控单元及全市总体准入要求条款；不得视为符合。"
    " This record was stored before clause-by-clause assessment: the access-list clauses of the "
    "touched units and the city-wide list were not assessed. This is not a clean bill — screen again "
    "for the table."
)
NO_CLAUSES_DETAIL = (
    "无可评估条款：数据版本未载有所涉单元或全市的准入清单条款；不得视为符合，请人工核对准入清单。"
    " No clause was assessed: the dataset version carries no access-list clauses for the touched units "
    "or the city. This is not a clean bill — check the access lists by hand."
)


@dataclass(frozen=True)
class Section:
    """The rows of one scope: the city-wide list, one unit, or the clauses several units share."""

    scopes: tuple[str, ...]
    title_zh: str
    title_en: str
    rows: tuple[Mapping[str, Any], ...]


def compliance_rows(result: Any) -> list[Mapping[str, Any]] | None:
    """The table rows of a screening result, or ``None`` if the record carries no table.

    Accepts the row list itself or a mapping holding it under ``rows``; rows may be mappings or
    pydantic models (should the wire schema type them).
    """
    raw = result.get("compliance") if isinstance(result, Mapping) else getattr(result, "compliance", None)
    if raw is None:
        return None
    if isinstance(raw, BaseModel):
        raw = raw.model_dump(mode="json")
    if isinstance(raw, Mapping):
        raw = raw.get("rows", [])
    return [r.model_dump(mode="json") if isinstance(r, BaseModel) else r for r in raw]


def unit_names(result: Any) -> dict[str, str]:
    """Unit code → name 单元名称 from the record's control-unit layer, to title the sections."""
    layers = getattr(result, "layers", None) or {}
    layer = layers.get("control_units")
    features = getattr(layer, "features", None) or []
    return {f["code"]: f.get("name_zh", "") for f in features if "code" in f}


def sections(rows: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> list[Section]:
    """Rows grouped by scope: the city-wide list first, then units in code order; by dimension within."""
    groups: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        scopes = tuple(row.get("scopes") or (CITY,))
        groups.setdefault(scopes, []).append(row)
    out = []
    for scopes in sorted(groups, key=lambda s: (CITY not in s, len(s) > 1, s)):
        items = sorted(
            groups[scopes],
            key=lambda r: (
                _DIMENSIONS.index(r["dimension"]) if r.get("dimension") in _DIMENSIONS else 99,
                min((n for n in r.get("clause_nos") or () if n is not None), default=0),
            ),
        )
        out.append(Section(scopes, *_titles(scopes, names), tuple(items)))
    return out


def _titles(scopes: tuple[str, ...], names: Mapping[str, str]) -> tuple[str, str]:
    def one(code: str) -> str:
        return "全市总体准入要求" if code == CITY else f"{code} {names.get(code, '')}".strip()

    if len(scopes) == 1:
        en = "City-wide general requirements" if scopes[0] == CITY else f"Control unit {scopes[0]}"
        return one(scopes[0]), en
    return (
        "、".join(one(s) for s in scopes) + " 共有条款",
        f"Clauses common to {len(scopes)} units: " + ", ".join(scopes),
    )


def counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many rows carry each assessment, in table order."""
    return {a: sum(1 for r in rows if r.get("assessment") == a) for a in ASSESSMENT_ORDER}


def _summary(rows: Sequence[Mapping[str, Any]]) -> str:
    return " · ".join(f"{ASSESSMENTS[a][0]} {ASSESSMENTS[a][1]}: {n}" for a, n in counts(rows).items())


def _dimension(row: Mapping[str, Any]) -> tuple[str, str]:
    key = str(row.get("dimension", ""))
    zh = row.get("dimension_zh") or (RuleDimension(key).label_zh if key in _DIMENSIONS else key)
    return str(zh), DIMENSION_EN.get(key, key)


def _clause_nos(row: Mapping[str, Any]) -> str:
    nos = list(dict.fromkeys(n for n in row.get("clause_nos") or () if n is not None))
    return f"第{'、'.join(str(n) for n in nos)}条 " if nos else ""


def _assessment(row: Mapping[str, Any]) -> tuple[str, str, str, str]:
    key = str(row.get("assessment", ""))
    return ASSESSMENTS.get(key, (key, key, "#000000", "#ffffff"))


# --- HTML --------------------------------------------------------------------------------------

CSS = """
.compliance tr.needs_review td{background:#fff3e0} .compliance tr.non_compliant td{background:#ffebee}
.compliance tr.needs_review td.assess{border-left:4px solid #e65100}
.compliance tr.non_compliant td.assess{border-left:4px solid #b71c1c}
.compliance .assess{white-space:nowrap;font-weight:bold} .compliance h3{font-size:1em;margin:1em 0 .3em}
.not-assessed{background:#fff3e0;border-left:4px solid #e65100;padding:.6em 1em}
"""


def compliance_html(result: Any) -> str:
    """The 三线一单符合性分析 section of the HTML report (``result``: the record's result)."""
    head = f"<h2>{TITLE_ZH} {TITLE_EN}</h2>"
    rows = compliance_rows(result)
    if rows is None:
        return (
            f"<section class='compliance' data-assessed='false'>{head}<p class='not-assessed'>"
            f"<b>{NOT_ASSESSED_ZH} {NOT_ASSESSED_EN}</b> — {escape(NOT_ASSESSED_DETAIL)}</p></section>"
        )
    if not rows:
        return (
            f"<section class='compliance' data-assessed='empty'>{head}<p class='not-assessed'>"
            f"<b>无条款 no clause assessed</b> — {escape(NO_CLAUSES_DETAIL)}</p></section>"
        )
    parts = [f"<section class='compliance' data-assessed='true'>{head}<p>{escape(_summary(rows))}</p>"]
    names = unit_names(result)
    for section in sections(rows, names):
        body = "".join(_html_row(r) for r in section.rows)
        parts.append(
            f"<h3 data-scopes='{escape(' '.join(section.scopes))}'>{escape(section.title_zh)}"
            f" <small>{escape(section.title_en)}</small></h3>"
            "<table><tr><th>维度 Dimension</th><th>条款 Clause</th><th>符合性 Assessment</th>"
            f"<th>理由 Reason</th></tr>{body}</table>"
        )
    return "".join(parts) + "</section>"


def _html_row(row: Mapping[str, Any]) -> str:
    dim_zh, dim_en = _dimension(row)
    zh, en, colour, _bg = _assessment(row)
    key = escape(str(row.get("assessment", "")))
    mark = "⚠ " if row.get("assessment") == "needs_review" else ""
    severity = SEVERITY_LABELS.get(str(row.get("severity", "")), str(row.get("severity", "")))
    return (
        f"<tr class='{key}' data-assessment='{key}'><td>{escape(dim_zh)}<br><small>{escape(dim_en)}</small></td>"
        f"<td>{escape(_clause_nos(row))}{escape(str(row.get('text_zh', '')))}</td>"
        f"<td class='assess' style='color:{colour}'>{mark}{escape(zh)}<br>{escape(en)}"
        f"<br><small>→ {escape(severity)}</small></td>"
        f"<td>{escape(str(row.get('reason_en', '')))}</td></tr>"
    )


# --- PDF ---------------------------------------------------------------------------------------

PDF_WIDTHS = (25 * mm, 64 * mm, 30 * mm, 55 * mm)


def compliance_flowables(result: Any, styles: Mapping[str, ParagraphStyle]) -> list[Flowable]:
    """The 三线一单符合性分析 section of the PDF report (``styles``: base, small, h2 of ``app.pdf``)."""
    story: list[Flowable] = [Paragraph(f"{TITLE_ZH} {TITLE_EN}", styles["h2"])]
    rows = compliance_rows(result)
    if rows is None or not rows:
        label = f"{NOT_ASSESSED_ZH} {NOT_ASSESSED_EN}" if rows is None else "无条款 no clause assessed"
        detail = NOT_ASSESSED_DETAIL if rows is None else NO_CLAUSES_DETAIL
        box = Table(
            [[Paragraph(f"<b>{label}</b> — {xml_escape(detail)}", styles["base"])]], colWidths=[174 * mm]
        )
        box.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fff3e0")),
                    ("LINEBEFORE", (0, 0), (0, -1), 3, colors.HexColor("#e65100")),
                ]
            )
        )
        return [*story, box]
    story.append(Paragraph(xml_escape(_summary(rows)), styles["base"]))
    for section in sections(rows, unit_names(result)):
        story.append(
            Paragraph(f"<b>{xml_escape(section.title_zh)}</b> {xml_escape(section.title_en)}", styles["base"])
        )
        story += [_pdf_table(section.rows, styles), Spacer(1, 2 * mm)]
    return story


def _pdf_table(rows: Sequence[Mapping[str, Any]], s: Mapping[str, ParagraphStyle]) -> Table:
    data: list[list[Any]] = [
        [
            Paragraph("维度 Dimension", s["small"]),
            Paragraph("条款 Clause", s["small"]),
            Paragraph("符合性 Assessment", s["small"]),
            Paragraph("理由 Reason", s["small"]),
        ]
    ]
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#cfd8dc")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eceff1")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    for i, row in enumerate(rows, start=1):
        dim_zh, dim_en = _dimension(row)
        zh, en, colour, background = _assessment(row)
        severity = SEVERITY_LABELS.get(str(row.get("severity", "")), str(row.get("severity", "")))
        review = row.get("assessment") == "needs_review"
        data.append(
            [
                Paragraph(f"{xml_escape(dim_zh)}<br/>{xml_escape(dim_en)}", s["small"]),
                Paragraph(xml_escape(_clause_nos(row) + str(row.get("text_zh", ""))), s["small"]),
                Paragraph(
                    f"<font color='{colour}'><b>{'【' if review else ''}{xml_escape(zh)}"
                    f"{'】' if review else ''}</b><br/>{xml_escape(en)}</font><br/>→ {xml_escape(severity)}",
                    s["small"],
                ),
                Paragraph(xml_escape(str(row.get("reason_en", ""))), s["small"]),
            ]
        )
        if background != "#ffffff":
            commands.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor(background)))
            commands.append(("LINEBEFORE", (2, i), (2, i), 2.5, colors.HexColor(colour)))
    table = Table(data, colWidths=list(PDF_WIDTHS), repeatRows=1)
    table.setStyle(TableStyle(commands))
    return table
