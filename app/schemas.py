"""Response models of the public API (``XPublic``): English field names, Chinese alongside."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from zoning.vocabulary import (
    ControlClass,
    MonitoringKind,
    ParkLevel,
    ProtectionGrade,
    RedlineKind,
    ReserveZoneKind,
)


class DatasetRef(BaseModel):
    """The dataset version an answer came from."""

    label: str
    title_zh: str
    title_en: str
    effective_from: date | None
    effective_to: date | None
    checksum: str = Field(description="sha256 of the canonical content of the version")
    reconstruction: bool = Field(description="true: the zoning geometry is a reconstruction, not official")


class DivisionPublic(BaseModel):
    code: str
    name_zh: str
    name_en: str
    level: str


class ControlUnitRef(BaseModel):
    code: str
    name_zh: str
    name_en: str
    control_class: ControlClass = Field(alias="class", serialization_alias="class")
    class_label_zh: str
    class_label_en: str

    model_config = {"populate_by_name": True}


class WaterZoneRef(BaseModel):
    source_code: str
    source_name_zh: str
    source_name_en: str
    grade: ProtectionGrade
    grade_label_zh: str


class RedlineRef(BaseModel):
    code: str
    name_zh: str
    kind: RedlineKind
    kind_label_zh: str


class ReserveZoneRef(BaseModel):
    reserve_code: str
    reserve_name_zh: str
    reserve_name_en: str
    zone: ReserveZoneKind
    zone_label_zh: str


class IndustrialParkRef(BaseModel):
    """A development zone / industrial park 开发区/工业园区."""

    code: str
    name_zh: str
    name_en: str
    level: ParkLevel
    level_label_zh: str = Field(description="国家级 / 省级")
    recognised_chemical_park: bool = Field(description="认定化工园区")
    industry_codes: list[str] = Field(description="leading industries 主导产业, GB/T 4754-2017 codes")


class NearestMonitoringPoint(BaseModel):
    code: str
    name_zh: str
    kind: MonitoringKind
    kind_label_zh: str
    level: str
    subtype: str
    distance_m: float


class LocationPublic(BaseModel):
    lon: float
    lat: float
    crs: str = "EPSG:4490"


class LocatePublic(BaseModel):
    """Where a point falls in the zoning, per layer, from one dataset version."""

    location: LocationPublic
    division: DivisionPublic
    named_areas: list[DivisionPublic] = Field(description="development zones / 管理局 holding the point")
    control_unit: ControlUnitRef
    boundary_units: list[ControlUnitRef] = Field(
        description="other units whose boundary the point lies on (it belongs to all of them)"
    )
    water_protection_zones: list[WaterZoneRef]
    ecological_redline: list[RedlineRef]
    nature_reserve_zones: list[ReserveZoneRef]
    industrial_parks: list[IndustrialParkRef] = Field(
        default_factory=list,
        description="development zones / industrial parks 开发区/工业园区 holding the point",
    )
    nearest_monitoring_points: list[NearestMonitoringPoint]
    distance_method: str = Field(description="how distances were measured")
    dataset: DatasetRef


class DatasetVersionPublic(BaseModel):
    label: str
    title_zh: str
    title_en: str
    document_no: str | None
    status: str
    in_force: bool
    effective_from: date | None
    effective_to: date | None
    checksum: str
    reconstruction: bool
    source: str
    provenance: dict[str, Any]
    created_at: datetime
    published_at: datetime | None
