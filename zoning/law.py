"""The statutory rules a screening applies on top of the access lists, each with its citation.

- 水污染防治法 (2017) arts. 64–67: drinking-water source protection zones by grade.
- 生态保护红线管理办法（试行） / 自然资源部 生态环境部 国家林业和草原局《关于加强生态保护红线管理的通知（试行）》
  (2022): inside the red line, development and production construction is forbidden; only a listed
  set of limited human activities is allowed.
- 自然保护区条例 arts. 26–28, 32: core, buffer and experimental zones of nature reserves.

Each rule decides, from the project's GB/T 4754 industry, whether the hit is *prohibited* or
*conditional* (allowed only under conditions a reviewer must check). Which industries "discharge
pollutants" (art. 66) or "seriously pollute water" (art. 67) is a screening judgement by industry
class, named in every finding so that a reviewer can overrule it.
"""

from __future__ import annotations

from dataclasses import dataclass

from zoning.industry import IndustryCatalogue, ResolvedIndustry
from zoning.vocabulary import ProtectionGrade, ReserveZoneKind


@dataclass(frozen=True)
class Citation:
    law_zh: str
    law_en: str
    article: str

    def as_dict(self) -> dict[str, str]:
        return {"law_zh": self.law_zh, "law_en": self.law_en, "article": self.article}


WPPCL = ("中华人民共和国水污染防治法", "Water Pollution Prevention and Control Law of the PRC (2017)")
REDLINE = (
    "关于加强生态保护红线管理的通知（试行）（自然资发〔2022〕142号）",
    "Notice on strengthening the management of the ecological protection red line (trial, 2022)",
)
RESERVES = ("中华人民共和国自然保护区条例", "Regulations of the PRC on Nature Reserves")

WATER_SUPPLY = ("46",)
"""水的生产和供应业: the projects art. 65 lets into a grade I zone (water supply facilities)."""

DISCHARGING = ("03", "04", "B", "C", "44", "45", "772", "78")
"""Industries screened as discharging pollutants (art. 66): animal husbandry, fisheries, mining,
manufacturing, power and gas production, environmental treatment (waste disposal), public
facilities management (landfills, sewage works)."""

SERIOUSLY_POLLUTING = ("13", "17", "19", "22", "25", "26", "27", "28", "31", "32", "336", "772")
"""Industries screened as seriously polluting water (art. 67): agri-food processing, textiles
(dyeing), leather, paper, petroleum/coal, chemicals, pharmaceuticals, chemical fibres, ferrous and
non-ferrous smelting, electroplating, hazardous-waste treatment."""

LIMITED_ACTIVITIES = ("73", "74", "77")
"""Research, technical services (monitoring, survey) and ecological protection: the kinds of
limited human activity the 2022 red-line notice allows (科研、监测、生态修复)."""

RESEARCH = ("73",)

POLLUTING_FACILITIES = ("B", "C", "44", "45", "772", "78")
"""Production facilities that pollute or damage resources (自然保护区条例 art. 32)."""


@dataclass(frozen=True)
class LegalFinding:
    severity: str  # "prohibited" | "conditional"
    citation: Citation
    text_zh: str
    reason_en: str


def _any_covers(catalogue: IndustryCatalogue, codes: tuple[str, ...], industry: ResolvedIndustry) -> bool:
    return any(catalogue.covers(code, industry) for code in codes)


def water_zone_rule(
    grade: ProtectionGrade, industry: ResolvedIndustry, catalogue: IndustryCatalogue
) -> LegalFinding:
    """水污染防治法 arts. 65–67: what a drinking-water protection zone of a grade allows."""
    if grade is ProtectionGrade.GRADE_I:
        cite = Citation(*WPPCL, "第六十五条")
        if _any_covers(catalogue, WATER_SUPPLY, industry):
            return LegalFinding(
                "conditional",
                cite,
                "饮用水水源一级保护区内禁止新建、改建、扩建与供水设施和保护水源无关的建设项目；本项目属水的生产和供应业，须论证与供水设施直接相关。",
                "Grade I zone: only projects related to water supply or source protection; this industry may "
                "qualify, the link to the water supply must be shown.",
            )
        return LegalFinding(
            "prohibited",
            cite,
            "饮用水水源一级保护区内禁止新建、改建、扩建与供水设施和保护水源无关的建设项目。",
            "Grade I zone: new, rebuilt or expanded projects unrelated to water supply or source protection "
            "are prohibited.",
        )
    if grade is ProtectionGrade.GRADE_II:
        cite = Citation(*WPPCL, "第六十六条")
        if _any_covers(catalogue, DISCHARGING, industry):
            return LegalFinding(
                "prohibited",
                cite,
                "饮用水水源二级保护区内禁止新建、改建、扩建排放污染物的建设项目。",
                "Grade II zone: new, rebuilt or expanded projects that discharge pollutants are prohibited; "
                f"industry {industry.code} is screened as discharging.",
            )
        return LegalFinding(
            "conditional",
            cite,
            "饮用水水源二级保护区内禁止新建、改建、扩建排放污染物的建设项目；本项目须不排放污染物（生活污水收集处理后不得排入保护区）。",
            "Grade II zone: allowed only if the project discharges no pollutants.",
        )
    cite = Citation(*WPPCL, "第六十七条")
    if _any_covers(catalogue, SERIOUSLY_POLLUTING, industry):
        return LegalFinding(
            "prohibited",
            cite,
            "饮用水水源准保护区内禁止新建、扩建对水体污染严重的建设项目；改建建设项目，不得增加排污量。",
            "Quasi-protection zone: new or expanded projects that seriously pollute water are prohibited; "
            f"industry {industry.code} is screened as seriously polluting.",
        )
    return LegalFinding(
        "conditional",
        cite,
        "饮用水水源准保护区内禁止新建、扩建对水体污染严重的建设项目；改建建设项目，不得增加排污量。",
        "Quasi-protection zone: allowed if the project does not seriously pollute water; a rebuilt project "
        "may not increase its discharge.",
    )


def redline_rule(industry: ResolvedIndustry, catalogue: IndustryCatalogue) -> LegalFinding:
    """The 2022 red-line notice: no development or production construction inside the red line."""
    cite = Citation(*REDLINE, "一、（二）")
    if _any_covers(catalogue, LIMITED_ACTIVITIES, industry):
        return LegalFinding(
            "conditional",
            cite,
            "生态保护红线内严格禁止开发性、生产性建设活动，仅允许对生态功能不造成破坏的有限人为活动（科研、监测、生态修复等），须按规定报批。",
            "Ecological red line: only limited activities that do not damage ecological functions (research, "
            "monitoring, restoration) are allowed, with approval.",
        )
    return LegalFinding(
        "prohibited",
        cite,
        "生态保护红线内，自然保护地核心保护区原则上禁止人为活动，其他区域严格禁止开发性、生产性建设活动。",
        "Ecological red line: development and production construction are prohibited.",
    )


def reserve_rule(
    zone: ReserveZoneKind, industry: ResolvedIndustry, catalogue: IndustryCatalogue
) -> LegalFinding:
    """自然保护区条例 arts. 27–28 and 32 by functional zone."""
    if zone in (ReserveZoneKind.CORE, ReserveZoneKind.BUFFER):
        cite = Citation(
            *RESERVES, "第三十二条" if zone is ReserveZoneKind.BUFFER else "第二十七条、第三十二条"
        )
        if _any_covers(catalogue, RESEARCH, industry):
            return LegalFinding(
                "conditional",
                cite,
                "自然保护区核心区、缓冲区内不得建设任何生产设施；科学研究活动须经自然保护区管理机构批准。",
                "Nature-reserve core/buffer zone: no production facilities; research needs the reserve "
                "authority's approval.",
            )
        return LegalFinding(
            "prohibited",
            cite,
            "在自然保护区的核心区和缓冲区内，不得建设任何生产设施。",
            "Nature-reserve core/buffer zone: no production facilities may be built.",
        )
    cite = Citation(*RESERVES, "第三十二条")
    if _any_covers(catalogue, POLLUTING_FACILITIES, industry):
        return LegalFinding(
            "prohibited",
            cite,
            "在自然保护区的实验区内，不得建设污染环境、破坏资源或者景观的生产设施。",
            "Nature-reserve experimental zone: production facilities that pollute or damage resources or "
            "landscape are prohibited.",
        )
    return LegalFinding(
        "conditional",
        cite,
        "在自然保护区的实验区内建设其他项目，其污染物排放不得超过国家和地方规定的污染物排放标准。",
        "Nature-reserve experimental zone: other projects may not exceed the discharge standards.",
    )
