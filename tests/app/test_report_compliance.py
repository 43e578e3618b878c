"""The compliance table 三线一单符合性分析 in the HTML and PDF reports (no DB, no HTTP).

The records are built as a screening stores them: the table from ``zoning.compliance`` on the
bundled 2024 access lists (``access_rules.json``) for a chemical plant (GB/T 4754 2614 有机化学原料
制造), a new build 500 m from the 赣江, outside any park. The expected assessments come from the
clause texts, quoted below; the renderers must show each row with its scope, dimension, clause,
assessment (zh + en) and reason, and a record without a table must say 未评估 / not assessed.
"""

from __future__ import annotations

import io
import json
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from app.pdf import screening_pdf
from app.reports import screening_html
from app.schemas_screening import ScreeningPublic
from zoning.compliance import Clause, ComplianceRow, assess_clauses
from zoning.conditions import ClauseContext
from zoning.project import ProjectAttributes

DATA = Path(__file__).resolve().parents[2] / "geodata" / "nanchang" / "data" / "2024-update"
UNITS = ("ZH36011220004", "ZH36011220005")  # two township units of 新建区 sharing the coal-boiler clause
CLAUSE_1 = (
    "禁止在长江干支流岸线一公里范围内新建、扩建化工园区和化工项目；"
    "赣江、抚河、潦河干流岸线一公里范围内禁止新建、扩建化工项目。"
)
BOILER = "城镇建成区推广天然气、电等清洁能源，逐步淘汰每小时10蒸吨以下燃煤锅炉。"
SQUARE = [[115.80, 28.75], [115.801, 28.75], [115.801, 28.751], [115.80, 28.751], [115.80, 28.75]]


@pytest.fixture(scope="module")
def table() -> list[ComplianceRow]:
    rows = json.loads((DATA / "access_rules.json").read_text(encoding="utf-8"))
    by_unit: dict[str | None, list[Clause]] = defaultdict(list)
    for row in rows:
        by_unit[row["unit_code"]].append(Clause.from_mapping(row))
    assert len(rows) == 1156 and len(by_unit[None]) == 23
    context = ClauseContext(
        river_distances_m={"赣江": 500.0, "抚河": 9000.0, "潦河": 30000.0},
        parks=frozenset(),
        in_chemical_park=False,
        lakes=frozenset(),
        protection_grades=frozenset(),
        in_redline=False,
        reserve_zones=frozenset(),
        urban_built_up=True,
        max_slope_deg=2.0,
    )
    clauses = by_unit[None] + [c for u in UNITS for c in by_unit[u]]
    return assess_clauses(clauses, "2614", ProjectAttributes(), context)


def _record(compliance: Any = None, *, with_table: bool = True) -> ScreeningPublic:
    unit = {
        "reached_by": "footprint",
        "overlap_area_m2": 9000.0,
        "share_of_footprint": 1.0,
        "share_of_feature": 0.0001,
        "distance_m": 0.0,
        "class": "general",
        "class_label_zh": "一般管控单元",
    }
    result: dict[str, Any] = {
        "verdict": "prohibited",
        "verdict_label_zh": "禁止",
        "verdict_label_en": "Prohibited",
        "project_name": "年产5万吨有机化学原料项目",
        "industry": {
            "code": "2614",
            "section": "C",
            "listed_code": "2614",
            "name_zh": "有机化学原料制造",
            "name_en": "Manufacture of organic chemical raw materials",
        },
        "footprint": {
            "geometry_type": "Polygon",
            "area_m2": 10800.0,
            "length_m": 420.0,
            "vertices": 5,
            "bbox": [115.80, 28.75, 115.801, 28.751],
        },
        "buffer_m": 0.0,
        "measurement": "EPSG:4548",
        "layers": {
            "control_units": {
                "status": "hit",
                "features": [
                    unit | {"code": UNITS[0], "name_zh": "新建区一般管控单元4"},
                    unit | {"code": UNITS[1], "name_zh": "新建区一般管控单元5"},
                ],
            }
        },
        "priority_unit_overlap_m2": 0.0,
        "findings": [
            {
                "n": 1,
                "severity": "prohibited",
                "layer": "access_rules",
                "subject": "city",
                "citation": {"source_zh": "南昌市生态环境总体准入要求 第1条"},
                "text_zh": CLAUSE_1,
                "basis": "city-wide clause 1",
            }
        ],
        "dataset": {
            "label": "2024-update",
            "checksum": "0" * 64,
            "effective_from": "2024-06-01",
            "effective_to": None,
            "reconstruction": True,
        },
    }
    if with_table:
        result["compliance"] = compliance
    return ScreeningPublic.model_validate(
        {
            "id": "SCR-20261130-ABCDEF12",
            "created_at": "2026-11-30T21:00:00Z",
            "request": {
                "project_name": result["project_name"],
                "industry": "2614",
                "buffer_m": 0.0,
                "crs": None,
                "crs_used": "EPSG:4490",
                "as_of": None,
                "footprint_format": "geojson",
                "notes": [],
            },
            "footprint": {"type": "Polygon", "coordinates": [SQUARE]},
            "result": result,
            "caveat": None,
            "links": {
                "self": "/v1/screenings/x",
                "html": "x?f=html",
                "geojson": "x?f=geojson",
                "pdf": "x?f=pdf",
            },
        }
    )


class _Rows(HTMLParser):
    """(section title, assessment, cells) of every compliance-table row of a report."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, str, list[str]]] = []
        self._section = ""
        self._in_h3 = False
        self._row: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "h3":
            self._in_h3, self._section = True, ""
        elif tag == "tr" and a.get("data-assessment"):
            self._row = (str(a["data-assessment"]), [])
        elif tag == "td" and self._row is not None:
            self._row[1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h3":
            self._in_h3 = False
        elif tag == "tr" and self._row is not None:
            self.rows.append((self._section, *self._row))
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._in_h3:
            self._section += data
        elif self._row is not None and self._row[1]:
            self._row[1][-1] += data


def _html_rows(html: str) -> list[tuple[str, str, list[str]]]:
    parser = _Rows()
    parser.feed(html)
    return parser.rows


def _pdf_text(record: ScreeningPublic) -> str:
    features = [
        {"type": "Feature", "properties": {"role": "footprint"}, "geometry": record.footprint},
    ]
    reader = PdfReader(io.BytesIO(screening_pdf(record, features)))
    return "".join(page.extract_text() for page in reader.pages).replace("\n", "").replace(" ", "")


def test_the_table_built_from_the_access_lists_has_what_the_clauses_say(table) -> None:
    # The premises of the rendering tests, from the clause texts themselves:
    # city-wide clause 1 "赣江、抚河、潦河干流岸线一公里范围内禁止新建、扩建化工项目" — a new chemical plant
    # 500 m from the 赣江 is non-compliant; the coal-boiler clause, repeated in both units, is one
    # grouped row to verify (the plant has declared no boiler).
    (first,) = [r for r in table if r.text_zh == CLAUSE_1]
    assert (first.scopes, first.assessment.value) == (("city",), "non_compliant")
    (boiler,) = [r for r in table if r.text_zh == BOILER]
    assert (boiler.scopes, boiler.assessment.value) == (UNITS, "needs_review")


def test_html_report_carries_every_row_grouped_by_scope(table) -> None:
    record = _record([r.as_dict() for r in table])
    html = screening_html(record)
    assert "三线一单符合性分析" in html and "data-assessed='true'" in html
    rows = _html_rows(html)
    assert len(rows) == len(table)
    # every row of the table, with its dimension, clause text, assessment (zh + en) and reason
    for expected in table:
        (got,) = [r for r in rows if expected.text_zh in r[2][1] and expected.dimension == _dim(r)]
        section, assessment, (dimension, _clause, assess, reason) = got
        assert assessment == expected.assessment.value
        assert expected.as_dict()["dimension_zh"] in dimension
        assert expected.assessment.label_zh in assess
        assert expected.reason_en == reason
        if expected.scopes == ("city",):
            assert section.startswith("全市总体准入要求")
        else:
            assert all(u in section for u in expected.scopes)
    (clause_1,) = [r for r in rows if CLAUSE_1 in r[2][1]]
    assert clause_1[0].startswith("全市总体准入要求") and clause_1[1] == "non_compliant"
    assert "不符合" in clause_1[2][2] and "non-compliant" in clause_1[2][2]
    assert clause_1[2][1].startswith("第1条")
    # identical clause of two units: one row, under a section naming both units and their names
    (boiler,) = [r for r in rows if r[2][1].endswith(BOILER)]
    assert boiler[0].startswith(
        "ZH36011220004 新建区一般管控单元4、ZH36011220005 新建区一般管控单元5 共有条款"
    )
    # rows to verify are marked: a warning sign, the zh + en label and the row class that colours them
    assert boiler[1] == "needs_review" and boiler[2][2].startswith("⚠ 需核实needs review")
    assert "<tr class='needs_review' data-assessment='needs_review'>" in html
    assert "未评估" not in html


def _dim(row: tuple[str, str, list[str]]) -> str:
    en = {"空间布局约束": "spatial_layout", "污染物排放管控": "pollutant_discharge"}
    en |= {"环境风险防控": "environmental_risk", "资源开发效率要求": "resource_efficiency"}
    return next(v for k, v in en.items() if row[2][0].startswith(k))


def test_html_report_of_a_record_without_a_table_says_not_assessed() -> None:
    # Records stored before the table existed: never an empty table that reads as a clean bill.
    html = screening_html(_record(with_table=False))
    assert "三线一单符合性分析" in html
    assert "未评估 not assessed" in html and "data-assessed='false'" in html
    assert _html_rows(html) == []
    empty = screening_html(_record([]))
    assert "无条款 no clause assessed" in empty and "not a clean bill" in empty
    assert _html_rows(empty) == []


def test_pdf_report_carries_the_table(table) -> None:
    text = _pdf_text(_record([r.as_dict() for r in table]))
    assert "三线一单符合性分析" in text and "全市总体准入要求" in text
    assert "第1条" + CLAUSE_1 in text
    for label in ("不符合", "non-compliant", "【需核实】", "needsreview", "空间布局约束", "资源开发效率要求"):
        assert label in text, label
    assert "ZH36011220004新建区一般管控单元4、ZH36011220005新建区一般管控单元5共有条款" in text
    assert BOILER in text
    # as many marked rows to verify as the table has
    review = sum(1 for r in table if r.assessment.value == "needs_review")
    assert review > 0 and text.count("【需核实】") == review
    assert "未评估" not in text


def test_pdf_report_of_a_record_without_a_table_says_not_assessed() -> None:
    text = _pdf_text(_record(with_table=False))
    assert "三线一单符合性分析" in text and "未评估notassessed" in text and "不得视为符合" in text
    assert "【需核实】" not in text and "不符合" not in text.replace("不得视为符合", "")


def test_clause_text_from_an_office_file_is_shown_as_text(table) -> None:
    # Imported clause texts are an office's words: markup in them is shown, never interpreted
    # (HTML) nor allowed to break the PDF's paragraph markup.
    row = table[0].as_dict() | {"text_zh": "禁止<script>x</script>&<b>", "reason_en": "a < b & c"}
    html = screening_html(_record([row]))
    assert "禁止&lt;script&gt;x&lt;/script&gt;&amp;&lt;b&gt;" in html and "<script>" not in html
    assert "禁止<script>x</script>&<b>" in _pdf_text(_record([row]))


def test_a_table_under_rows_or_as_models_is_read_the_same(table) -> None:
    from pydantic import BaseModel, ConfigDict

    from app.report_compliance import compliance_rows

    class Row(BaseModel):
        model_config = ConfigDict(extra="allow")

    plain = [r.as_dict() for r in table]
    assert compliance_rows({"compliance": {"rows": plain}}) == plain
    assert compliance_rows({"compliance": [Row(**r) for r in plain]}) == plain
    assert compliance_rows({}) is None and compliance_rows({"compliance": None}) is None
