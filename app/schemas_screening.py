"""The wire schema of a screening record (``ScreeningPublic``): what ``POST /v1/screenings`` answers,
what ``GET /v1/screenings/{id}`` re-reads, and what the GeoJSON, HTML, PDF and map renderers read.

The record is stored as it was answered (JSON, keys sorted), so a re-read gives the same bytes;
members this schema does not name are kept (``extra="allow"``), never dropped.
"""

from __future__ import annotations

import json
from typing import Any, Literal

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
        return canonical_json(self.model_dump(mode="json", by_alias=True))


def canonical_json(data: Any) -> bytes:
    """Keys sorted, no whitespace, UTF-8: the stored and served form."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
