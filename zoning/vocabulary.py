"""The controlled vocabulary of 生态环境分区管控: every enumerated domain term, with its Chinese original.

Wire values (the enum values) are English and stable; ``label_zh`` gives the term a reviewer reads.
The database enums in ``migrations/`` use exactly these values.
"""

from __future__ import annotations

from enum import StrEnum


class ControlClass(StrEnum):
    """Class of an ecological-environment control unit 环境管控单元."""

    PRIORITY = "priority"
    KEY = "key"
    GENERAL = "general"

    @property
    def digit(self) -> str:
        """The class digit in a unit code (ZH + admin code + digit + sequence)."""
        return {"priority": "1", "key": "2", "general": "3"}[self.value]

    @property
    def label_zh(self) -> str:
        return {"priority": "优先保护单元", "key": "重点管控单元", "general": "一般管控单元"}[self.value]

    @property
    def label_en(self) -> str:
        return {
            "priority": "priority protection unit",
            "key": "key control unit",
            "general": "general control unit",
        }[self.value]

    @classmethod
    def from_digit(cls, digit: str) -> ControlClass:
        """The class a unit-code class digit stands for."""
        for member in cls:
            if member.digit == digit:
                return member
        raise ValueError(f"no control class has digit {digit!r}")


class RuleDimension(StrEnum):
    """The four dimensions of an access list 生态环境准入清单."""

    SPATIAL_LAYOUT = "spatial_layout"
    POLLUTANT_DISCHARGE = "pollutant_discharge"
    ENVIRONMENTAL_RISK = "environmental_risk"
    RESOURCE_EFFICIENCY = "resource_efficiency"

    @property
    def label_zh(self) -> str:
        return {
            "spatial_layout": "空间布局约束",
            "pollutant_discharge": "污染物排放管控",
            "environmental_risk": "环境风险防控",
            "resource_efficiency": "资源开发效率要求",
        }[self.value]


class RuleEffect(StrEnum):
    """What a clause does to a project it matches."""

    PROHIBIT = "prohibit"
    RESTRICT = "restrict"
    REQUIRE = "require"

    @property
    def label_zh(self) -> str:
        return {"prohibit": "禁止", "restrict": "限制", "require": "要求"}[self.value]


class ProtectionGrade(StrEnum):
    """Grade of a drinking-water source protection zone 饮用水水源保护区 (HJ 338-2018)."""

    GRADE_I = "I"
    GRADE_II = "II"
    QUASI = "quasi"

    @property
    def label_zh(self) -> str:
        return {"I": "一级保护区", "II": "二级保护区", "quasi": "准保护区"}[self.value]


class WaterSourceLevel(StrEnum):
    MUNICIPAL = "municipal"
    COUNTY = "county"

    @property
    def label_zh(self) -> str:
        return {"municipal": "市级", "county": "县级"}[self.value]


class WaterSourceKind(StrEnum):
    RIVER = "river"
    LAKE = "lake"
    RESERVOIR = "reservoir"
    CANAL = "canal"
    GROUNDWATER = "groundwater"

    @property
    def label_zh(self) -> str:
        return {
            "river": "河流型",
            "lake": "湖泊型",
            "reservoir": "水库型",
            "canal": "渠道型",
            "groundwater": "地下水型",
        }[self.value]


class WaterSourceStatus(StrEnum):
    IN_USE = "in_use"
    BACKUP = "backup"
    EMERGENCY = "emergency"

    @property
    def label_zh(self) -> str:
        return {"in_use": "在用", "backup": "备用", "emergency": "应急"}[self.value]


class RedlineKind(StrEnum):
    """Dominant ecological function of an ecological protection red line 生态保护红线 patch."""

    WETLAND = "wetland"
    WATER_CONSERVATION = "water_conservation"
    WATER_SOURCE = "water_source"
    BIODIVERSITY = "biodiversity"
    SOIL_CONSERVATION = "soil_conservation"

    @property
    def label_zh(self) -> str:
        return {
            "wetland": "湿地生态",
            "water_conservation": "水源涵养（森林）",
            "water_source": "饮用水水源保护",
            "biodiversity": "生物多样性维护",
            "soil_conservation": "水土保持",
        }[self.value]


class ReserveZoneKind(StrEnum):
    """Functional zone of a nature reserve 自然保护区 (自然保护区条例 art. 18)."""

    CORE = "core"
    BUFFER = "buffer"
    EXPERIMENTAL = "experimental"

    @property
    def label_zh(self) -> str:
        return {"core": "核心区", "buffer": "缓冲区", "experimental": "实验区"}[self.value]


class MonitoringKind(StrEnum):
    SURFACE_WATER = "surface_water"
    AIR = "air"
    GROUNDWATER = "groundwater"
    RURAL_NON_POINT = "rural_non_point"
    NOISE = "noise"

    @property
    def label_zh(self) -> str:
        return {
            "surface_water": "地表水",
            "air": "环境空气",
            "groundwater": "地下水",
            "rural_non_point": "农村面源",
            "noise": "声环境",
        }[self.value]


class MonitoringLevel(StrEnum):
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    CITY = "city"
    COUNTY = "county"

    @property
    def label_zh(self) -> str:
        return {"national": "国控", "provincial": "省控", "city": "市控", "county": "县控"}[self.value]


class DivisionLevel(StrEnum):
    CITY = "city"
    DISTRICT = "district"
    COUNTY = "county"
    DEVELOPMENT_ZONE = "development_zone"
    MANAGEMENT_AREA = "management_area"

    @property
    def label_zh(self) -> str:
        return {
            "city": "设区市",
            "district": "市辖区",
            "county": "县",
            "development_zone": "开发区",
            "management_area": "管理局",
        }[self.value]


class ParkLevel(StrEnum):
    """Approval level of a development zone / industrial park 开发区 (中国开发区审核公告目录)."""

    NATIONAL = "national"
    PROVINCIAL = "provincial"

    @property
    def label_zh(self) -> str:
        return {"national": "国家级", "provincial": "省级"}[self.value]


class VersionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


UNIT_CODE_PATTERN = r"^ZH\d{6}[123]\d{4}$"
"""Unit code: ZH + 6-digit county-level admin code + class digit + 4-digit sequence."""

ADMIN_CODE_PATTERN = r"^\d{6}$"
