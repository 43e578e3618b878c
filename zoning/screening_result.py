"""The typed screening request and result: what is screened, each layer's hits, findings, verdict.

Frozen dataclasses, no behaviour beyond their JSON form (:meth:`ScreeningResult.to_dict`, the form
a screening record stores and the wire schema ``app.schemas_screening.ScreeningPublic`` reads).
``zoning.screening.screen`` makes them; ``zoning.screening_rules`` holds the rule sources.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from shapely.geometry.base import BaseGeometry

from zoning.compliance import ComplianceRow
from zoning.crs import PLANAR_CRS
from zoning.industry import IndustryCatalogue, ResolvedIndustry
from zoning.project import ProjectAttributes
from zoning.snapshot import VersionInfo, ZoningSnapshot
from zoning.vocabulary import ControlClass

MEASUREMENT = f"planar {PLANAR_CRS} (CGCS2000 / 3-degree Gauss-Kruger CM 117E), metres and square metres"
VERDICT_LABELS = {
    "prohibited": ("禁止", "prohibited"),
    "conditional": ("有条件准入", "conditional"),
    "permitted": ("准入（须依法开展环境影响评价）", "permitted (subject to EIA)"),
}

Severity = Literal["prohibited", "conditional", "notice"]
Verdict = Literal["prohibited", "conditional", "permitted"]
LayerStatus = Literal["hit", "near", "clear", "no_data"]
"""``hit``: the footprint touches a feature; ``near``: only the buffer reaches one; ``clear``:
none; ``no_data``: the dataset version does not carry the layer, so nothing can be said."""
ReachedBy = Literal["footprint", "buffer"]


@dataclass(frozen=True)
class ScreeningRequest:
    """What is screened: the footprint, the project's industry, a buffer, the project's attributes."""

    footprint: BaseGeometry
    """The footprint in EPSG:4490 lon/lat."""
    industry: ResolvedIndustry
    buffer_m: float = 0.0
    project_name: str = ""
    project: ProjectAttributes = field(default_factory=ProjectAttributes)
    """What the applicant declares (project nature, outfall, cannot avoid, 国家重大项目); ``screen``
    sets ``is_linear`` from the footprint's geometry type."""


@dataclass(frozen=True)
class Overlap:
    """How much of the footprint lies on a feature, in EPSG:4548 metres."""

    area_m2: float
    length_m: float
    share_of_footprint: float | None
    share_of_feature: float | None


@dataclass(frozen=True)
class LayerHit:
    """One feature of a layer the footprint touches (``overlap`` set) or only its buffer reaches."""

    layer: str
    record: Any
    """The snapshot record (``UnitRecord``, ``WaterZoneRecord``…)."""
    properties: Mapping[str, Any]
    """The record's descriptive fields in wire form (code, names, class / grade / kind with labels)."""
    distance_m: float
    reached_by: ReachedBy | None = None
    """None for point layers, whose features are collected by the buffer zone as a whole."""
    overlap: Overlap | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the hit, as stored in a screening record."""
        if self.reached_by is None:
            return {**self.properties, "distance_m": self.distance_m}
        o = self.overlap
        return {
            **self.properties,
            "reached_by": self.reached_by,
            "overlap_area_m2": o.area_m2 if o else 0.0,
            "overlap_length_m": o.length_m if o else 0.0,
            "share_of_footprint": o.share_of_footprint if o else None,
            "share_of_feature": o.share_of_feature if o else None,
            "distance_m": self.distance_m,
        }


@dataclass(frozen=True)
class LayerResult:
    """A layer's hits and its status."""

    layer: str
    status: LayerStatus
    hits: tuple[LayerHit, ...] = ()

    @property
    def touched(self) -> tuple[LayerHit, ...]:
        """The hits the footprint itself touches (not only the buffer)."""
        return tuple(h for h in self.hits if h.reached_by == "footprint")

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "features": [h.to_dict() for h in self.hits]}


@dataclass(frozen=True)
class Finding:
    """One reason towards the verdict, with its citation.

    ``citation`` is the law's name and article (``law_zh``, ``law_en``, ``article``) or the
    access-list clause (``source_zh``, ``unit_code``, ``dimension``, ``clause_no``…).
    """

    severity: Severity
    layer: str
    subject: str
    citation: Mapping[str, Any]
    text_zh: str
    basis: str
    details: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """Extra members of the finding (an access-list clause's effect, codes and conditions)."""
    n: int = 0
    """Position in the ordered list of findings, from 1."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "layer": self.layer,
            "subject": self.subject,
            "citation": dict(self.citation),
            **self.details,
            "text_zh": self.text_zh,
            "basis": self.basis,
            "n": self.n,
        }


@dataclass(frozen=True)
class RuleContext:
    """What a rule source sees: the request, the snapshot, the catalogue and every layer's result."""

    snapshot: ZoningSnapshot
    request: ScreeningRequest
    catalogue: IndustryCatalogue
    layers: Mapping[str, LayerResult]
    memo: dict[str, Any] = field(default_factory=dict, compare=False)
    """Results rule sources share within one screening (the rulebook outcome, computed once)."""


RuleSource = Callable[[RuleContext], list[Finding]]
"""A source of findings; ``screen`` calls each in order, so statute comes before the access lists."""


@dataclass(frozen=True)
class FootprintSummary:
    geometry_type: str
    area_m2: float
    length_m: float
    vertices: int
    bbox: tuple[float, float, float, float]


@dataclass(frozen=True)
class ScreeningResult:
    """The verdict, its findings, and every screened layer's hits, from one dataset version."""

    verdict: Verdict
    project_name: str
    industry: ResolvedIndustry
    footprint: FootprintSummary
    buffer_m: float
    layers: tuple[LayerResult, ...]
    findings: tuple[Finding, ...]
    dataset: VersionInfo
    measurement: str = MEASUREMENT
    compliance: tuple[ComplianceRow, ...] = ()
    """The 三线一单符合性分析 table: every clause of the touched units and the city-wide list, assessed."""

    @property
    def verdict_labels(self) -> tuple[str, str]:
        """(zh, en) label of the verdict."""
        return VERDICT_LABELS[self.verdict]

    def layer(self, name: str) -> LayerResult:
        """The result of one layer by its registry name."""
        return next(r for r in self.layers if r.layer == name)

    @property
    def priority_unit_overlap_m2(self) -> float:
        """Area of the footprint on priority-protection units 优先保护单元, m²."""
        units = self.layer("control_units").hits
        total = sum(
            h.overlap.area_m2 for h in units if h.overlap and h.record.control_class is ControlClass.PRIORITY
        )
        return round(float(total), 2)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form stored with the screening record."""
        zh, en = self.verdict_labels
        v = self.dataset
        fp = self.footprint
        return {
            "verdict": self.verdict,
            "verdict_label_zh": zh,
            "verdict_label_en": en,
            "project_name": self.project_name,
            "industry": {
                "code": self.industry.code,
                "section": self.industry.section,
                "listed_code": self.industry.listed.code,
                "name_zh": self.industry.listed.name_zh,
                "name_en": self.industry.listed.name_en,
            },
            "footprint": {
                "geometry_type": fp.geometry_type,
                "area_m2": fp.area_m2,
                "length_m": fp.length_m,
                "vertices": fp.vertices,
                "bbox": list(fp.bbox),
            },
            "buffer_m": self.buffer_m,
            "measurement": self.measurement,
            "layers": {r.layer: r.to_dict() for r in self.layers},
            "priority_unit_overlap_m2": self.priority_unit_overlap_m2,
            "findings": [f.to_dict() for f in self.findings],
            "compliance": [r.as_dict() for r in self.compliance],
            "dataset": {
                "label": v.label,
                "checksum": v.checksum,
                "effective_from": v.effective_from.isoformat() if v.effective_from else None,
                "effective_to": v.effective_to.isoformat() if v.effective_to else None,
                "reconstruction": v.reconstruction,
            },
        }
