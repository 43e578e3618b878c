"""The wire schema of a screening record (``ScreeningPublic``): what ``POST /v1/screenings`` answers,
what ``GET /v1/screenings/{id}`` re-reads, and what the GeoJSON, HTML, PDF and map renderers read.

The record is stored as it was answered (JSON, keys sorted), so a re-read gives the same bytes;
members this schema does not name are kept (``extra="allow"``), never dropped.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ScreeningRequestEcho(_Open):
    """The request as the service read it."""

    project_name: str
    industry: str = Field(description="GB/T 4754-2017 code as given")
    buffer_m: float
    crs: str | None = Field(description="the crs given, if any")
    crs_used: str = Field(description="the CRS the footprint was read in")
    as_of: str | None
    footprint_format: str
    notes: list[str] = Field(description="how the input was read (CRS assumed, parts unioned…)")
    project_nature: Literal["new", "expansion", "rebuild", "relocation"] = Field(
        default="new", description="建设性质 新建/扩建/改建/迁建"
    )
    has_outfall: bool = Field(default=False, description="a wastewater outfall to surface water (排污口)")
    cannot_avoid: bool = Field(default=False, description="declared unable to avoid the zone (无法避让)")
    state_major_project: bool = Field(default=False, description="declared a 国家重大项目")


class IndustryPublic(_Open):
    code: str
    section: str = Field(description="GB/T 4754 门类 section letter")
    listed_code: str = Field(description="the code itself, or its nearest listed ancestor")
    name_zh: str
    name_en: str


class FootprintSummaryPublic(_Open):
    geometry_type: str
    area_m2: float
    length_m: float
    vertices: int
    bbox: list[float]


class LayerPublic(_Open):
    """A screened layer: ``hit`` (the footprint touches it), ``near`` (only the buffer reaches it),
    ``clear``, or ``no_data`` (the dataset version does not carry the layer)."""

    status: Literal["hit", "near", "clear", "no_data"]
    features: list[dict[str, Any]]


class FindingPublic(_Open):
    """One reason towards the verdict, with its citation (law and article, or access-list clause)."""

    n: int
    severity: Literal["prohibited", "conditional", "notice"]
    layer: str
    subject: str
    citation: dict[str, Any]
    text_zh: str
    basis: str


class ConditionPublic(_Open):
    key: str
    value: Any
    outcome: Literal["met", "not_met", "cannot_evaluate"]
    reason_en: str
    spatial: bool


class ComplianceRowPublic(_Open):
    """A line of the 三线一单符合性分析 table: a clause, the units carrying it, its assessment and why."""

    dimension: str = Field(
        description="spatial_layout / pollutant_discharge / environmental_risk / resource_efficiency"
    )
    dimension_zh: str
    scopes: list[str] = Field(description='unit codes carrying the identical clause; "city" for 总体准入要求')
    clause_nos: list[int | None]
    text_zh: str
    effect: str
    industry_codes: list[str] = Field(
        default_factory=list, description="GB/T 4754-2017 codes the clause names"
    )
    assessment: Literal["non_compliant", "needs_review", "compliant", "not_applicable"]
    assessment_zh: str = Field(description="不符合 / 需核实 / 符合 / 不涉及")
    severity: Literal["prohibited", "conditional", "notice", "permitted"]
    reason_en: str
    conditions: list[ConditionPublic]


class DatasetSummary(_Open):
    label: str
    checksum: str
    effective_from: str | None
    effective_to: str | None
    reconstruction: bool


class ScreeningResultPublic(_Open):
    """The verdict 结论 with its findings and every screened layer's hits."""

    verdict: Literal["prohibited", "conditional", "permitted"]
    verdict_label_zh: str
    verdict_label_en: str
    project_name: str
    industry: IndustryPublic
    footprint: FootprintSummaryPublic
    buffer_m: float
    measurement: str
    layers: dict[str, LayerPublic]
    priority_unit_overlap_m2: float
    findings: list[FindingPublic]
    compliance: list[ComplianceRowPublic] | None = Field(
        default=None,
        # Records stored before the table existed have none: they render "未评估 not assessed", never
        # an empty table that reads as a clean bill, and re-read byte-identical (the key stays absent).
        exclude_if=lambda value: value is None,
        description="三线一单符合性分析: every clause of the touched units and the city-wide list; "
        "absent on records made before the table existed (not assessed)",
    )
    dataset: DatasetSummary


class ScreeningLinks(_Open):
    self_: str = Field(alias="self")
    html: str
    geojson: str
    pdf: str


class ScreeningPublic(_Open):
    """A stored, citable screening record 筛查记录."""

    id: str = Field(description="SCR-YYYYMMDD-XXXXXXXX, citable and re-openable")
    created_at: str
    request: ScreeningRequestEcho
    footprint: dict[str, Any] = Field(description="the footprint as screened, GeoJSON in EPSG:4490")
    result: ScreeningResultPublic
    caveat: str | None
    links: ScreeningLinks

    def to_json_bytes(self) -> bytes:
        """The one serialisation of a record: answering and re-reading give the same bytes."""
        return self.serialised()[1]

    def serialised(self) -> tuple[dict[str, Any], bytes]:
        """The record's JSON form, as a dict and as the bytes of :meth:`to_json_bytes` (from one dump)."""
        data = self.model_dump(mode="json", by_alias=True)
        return data, canonical_json(data)


def _maybe_not_as_python(text: bytes) -> bool:
    """Whether orjson's text may hold a float written otherwise than Python's ``repr`` writes it:
    an exponent (orjson ``1e-7``, Python ``1e-07``; both always sign it) or a small number Python
    writes with one (orjson ``0.00001``, Python ``1e-05``). The same text inside a string only sends
    the record the slower way. Plain ``bytes.find``: a regular expression costs more than the JSON."""
    if b"0.0000" in text:
        return True
    for mark in (b"e-", b"e+"):
        i = text.find(mark)
        while i > 0:
            if 48 <= text[i - 1] <= 57:  # a digit before the 'e'
                return True
            i = text.find(mark, i + 2)
    return False


def canonical_json(data: Any) -> bytes:
    """Keys sorted, no whitespace, UTF-8: the stored and served form.

    The bytes are ``json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``,
    as records have always been written. orjson writes the same bytes about ten times faster except
    for the number forms of ``_maybe_not_as_python`` (and data it refuses): then the standard library
    writes them (tests/app/test_canonical_json.py compares the two on random documents)."""
    try:
        fast = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # orjson.JSONEncodeError: keys that are not strings, integers beyond 64 bits
        fast = None
    if fast is not None and not _maybe_not_as_python(fast):
        return fast
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
