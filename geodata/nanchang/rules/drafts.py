"""A clause before numbering, the shorthands the lists are written in, and the numbering."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from zoning.vocabulary import RuleDimension, RuleEffect

SPATIAL: Final = RuleDimension.SPATIAL_LAYOUT
DISCHARGE: Final = RuleDimension.POLLUTANT_DISCHARGE
RISK: Final = RuleDimension.ENVIRONMENTAL_RISK
RESOURCE: Final = RuleDimension.RESOURCE_EFFICIENCY

PROHIBIT: Final = RuleEffect.PROHIBIT
RESTRICT: Final = RuleEffect.RESTRICT
REQUIRE: Final = RuleEffect.REQUIRE

_RIVERS: Final = ("赣江", "抚河", "潦河")
_LAKES: Final = ("鄱阳湖", "青岚湖", "军山湖", "瑶湖", "艾溪湖", "青山湖", "象湖")

# Standards cited in clause texts (their numbers contain a space, kept out of the long text lines).
_GB18918: Final = "《城镇污水处理厂污染物排放标准》（GB 18918-2002）"
_GB37822: Final = "《挥发性有机物无组织排放控制标准》（GB 37822-2019）"
_GB21904: Final = "《化学合成类制药工业水污染物排放标准》（GB 21904-2008）"
_GB37823: Final = "《制药工业大气污染物排放标准》（GB 37823-2019）"
_GB18597: Final = "《危险废物贮存污染控制标准》（GB 18597-2023）"
_GB4287: Final = "《纺织染整工业水污染物排放标准》（GB 4287-2012）"
_HJ610: Final = "《环境影响评价技术导则 地下水环境》（HJ 610-2016）"

# "两高" capacity the 长江经济带 and national capacity-replacement rules single out.
_HIGH_ENERGY: Final = ("2511", "2521", "3110", "3120", "3011", "3041", "3216")


@dataclass(frozen=True)
class _Draft:
    """A clause before numbering."""

    dimension: RuleDimension
    effect: RuleEffect
    text_zh: str
    industry_codes: tuple[str, ...] = ()
    conditions: Mapping[str, Any] = field(default_factory=dict)


def _d(
    dimension: RuleDimension,
    effect: RuleEffect,
    text_zh: str,
    codes: Iterable[str] = (),
    **conditions: Any,
) -> _Draft:
    return _Draft(dimension, effect, text_zh, tuple(codes), dict(conditions))


def _number(drafts: Iterable[_Draft], unit_code: str | None) -> list[dict[str, Any]]:
    """Drop repeated texts, order by dimension and number the clauses 1..n within each dimension."""
    seen: set[str] = set()
    by_dimension: dict[RuleDimension, list[_Draft]] = {dimension: [] for dimension in RuleDimension}
    for draft in drafts:
        if draft.text_zh in seen:
            continue
        seen.add(draft.text_zh)
        by_dimension[draft.dimension].append(draft)
    clauses: list[dict[str, Any]] = []
    for dimension, items in by_dimension.items():
        for number, draft in enumerate(items, start=1):
            clauses.append(
                {
                    "unit_code": unit_code,
                    "dimension": dimension.value,
                    "clause_no": number,
                    "text_zh": draft.text_zh,
                    "effect": draft.effect.value,
                    "industry_codes": list(draft.industry_codes),
                    "conditions": dict(draft.conditions),
                }
            )
    return clauses
