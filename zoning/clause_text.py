"""Reading the official access-list texts of an office's shapefile into machine clauses.

The 三线一单 attribute fields hold free text per dimension: ``KJBJYS`` 空间布局约束, ``PWWPFGK``
污染物排放管控, ``HJFXFK`` 环境风险防控, ``ZYKFXLYQ`` 资源开发效率要求. A text is split into clauses at
"；" "。" line breaks and numbered items, and each clause is read for its effect — 禁止/严禁/不得 →
``prohibit``, 限制/严格控制 → ``restrict``, 应/须/鼓励/执行… → ``require`` — and for the industries it
names, through the reviewed keyword table below (each keyword → GB/T 4754-2017 codes, with why).
A clause that forbids or restricts without a recognisable industry, or has no recognisable effect,
is ``needs_review`` and keeps its text: it is stored as ``restrict`` so that it can never pass
as a notice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

FIELD_DIMENSIONS: dict[str, str] = {
    "KJBJYS": "spatial_layout",
    "PWWPFGK": "pollutant_discharge",
    "HJFXFK": "environmental_risk",
    "ZYKFXLYQ": "resource_efficiency",
}

# keyword → GB/T 4754-2017 codes. Longer keywords are matched first and mask the shorter ones they
# contain ("有色金属冶炼" is not also read as "冶炼").
KEYWORDS: dict[str, tuple[str, ...]] = {
    "石油化工": ("251", "26"),  # 精炼石油产品制造 + 化学原料和化学制品制造业.
    "石化": ("251", "26"),  # as 石油化工.
    "炼油": ("2511",),  # 原油加工及石油制品制造.
    "煤化工": ("252", "26"),  # 煤炭加工 + chemical products of coal.
    "炼焦": ("2521",),  # 炼焦.
    "焦化": ("2521",),  # 炼焦.
    "化工": ("26",),  # 化学原料和化学制品制造业 (the plans' "化工项目").
    "农药": ("263",),  # 农药制造.
    "化肥": ("262",),  # 肥料制造.
    "染料": ("2645",),  # 染料制造.
    "原料药": ("271",),  # 化学药品原料药制造.
    "医药": ("27",),  # 医药制造业.
    "钢铁": ("31",),  # 黑色金属冶炼和压延加工业.
    "有色金属冶炼": ("321", "322", "323"),  # 常用 / 贵 / 稀有稀土金属冶炼 (not 325 压延).
    "有色冶炼": ("321", "322", "323"),
    "电解铝": ("3216",),  # 铝冶炼.
    "水泥熟料": ("3011",),  # 水泥制造.
    "水泥": ("3011",),  # 水泥制造 (judgement: 3021 水泥制品 is not what the plans mean).
    "平板玻璃": ("3041",),  # 平板玻璃制造.
    "砖瓦": ("3031",),  # 粘土砖瓦及建筑砌块制造.
    "陶瓷": ("307",),  # 陶瓷制品制造.
    "电镀": ("3360",),  # 金属表面处理及热处理加工 (judgement: the class also holds heat treatment).
    "印染": ("1713", "1723", "1733", "1743", "1752", "1762"),  # the dyeing classes of division 17.
    "制浆造纸": ("221", "222"),  # 纸浆制造 + 造纸.
    "化学制浆": ("221",),  # 纸浆制造.
    "造纸": ("221", "222"),
    "制革": ("1910", "1931"),  # 皮革鞣制加工 + 毛皮鞣制加工.
    "鞣制": ("1910", "1931"),
    "铅蓄电池": ("3843",),  # 铅蓄电池制造.
    "稀土": ("0932", "323"),  # 稀土金属矿采选 + 稀有稀土金属冶炼.
    "危险废物": ("7724",),  # 危险废物治理 (the disposal business; producers are any industry).
    "畜禽养殖": ("031", "032"),  # 牲畜饲养 + 家禽饲养.
    "网箱养殖": ("0412",),  # 内陆养殖.
    "屠宰": ("135",),  # 屠宰及肉类加工.
    "酿造": ("151",),  # 酒的制造 (judgement: 146 调味品 brewing of soy sauce is not meant).
    "火电": ("4411", "4412"),  # 火力发电 + 热电联产.
    "燃煤电厂": ("4411", "4412"),
    "采砂": ("101",),  # 土砂石开采.
    "挖沙": ("101",),
    "采石": ("101",),
    "矿产资源开发": ("B",),  # 采矿业.
    "采矿": ("B",),
    "开矿": ("B",),
    "居民住宅": ("47", "701"),  # 房屋建筑业 + 房地产开发经营.
    "房地产": ("701",),
    "工业项目": ("C",),  # 制造业 (judgement: "工业" in the plans means manufacturing; mining is named apart).
}
_KEYWORD_ORDER = sorted(KEYWORDS, key=len, reverse=True)

_PROHIBIT = re.compile(r"禁止|严禁|不得|不予|一律不|不再新建")
_RESTRICT = re.compile(r"限制|严格控制|严控|从严控制|控制规模")
_REQUIRE = re.compile(r"应|须|必须|鼓励|执行|实行|实施|落实|推进|推广|加强|开展|建立|提高|优先|引导|确保")
_NEW_OR_EXPANDED = re.compile(r"新建|扩建|新增")
_NUMBERED = re.compile(r"(?:(?<=^)|(?<=\s)|(?<=[：:]))(?:\d{1,2}[\.．、](?!\d)|[（(]\d{1,2}[)）]|[①-⑳])")
_SPLIT = re.compile(r"[；;。\n]+")


class ParseStatus(StrEnum):
    PARSED = "parsed"
    NEEDS_REVIEW = "needs_review"


@dataclass(frozen=True)
class ParsedClause:
    """One clause read from an official text."""

    text_zh: str
    effect: str | None
    industry_codes: tuple[str, ...]
    keywords: tuple[str, ...]
    conditions: dict[str, Any]
    status: ParseStatus
    reason_en: str

    @property
    def stored_effect(self) -> str:
        """The effect to store: a clause needing review is stored as ``restrict``, never a notice."""
        if self.status is ParseStatus.NEEDS_REVIEW:
            return "restrict"
        return self.effect or "restrict"


def split_clauses(text: str) -> list[str]:
    """Split an official text into clauses at ；。 line breaks and numbered items (1. （1） ①)."""
    parts: list[str] = []
    for chunk in _SPLIT.split(text or ""):
        pieces = _NUMBERED.split(chunk)
        parts.extend(p.strip(" \t，,、：:") for p in pieces)
    return [p for p in parts if p]


GENERIC = frozenset({"工业项目"})
"""Keywords that name a whole sector: used only when nothing more specific is named and no qualifier
(高污染/重污染 工业项目) narrows them to an unnamed subset."""
_QUALIFIED = re.compile(r"污染工业项目|涉\S{1,6}工业项目|两高")


def industry_keywords(text: str) -> list[str]:
    """The table's keywords found in a text, longest first, none counted inside a longer one."""
    found = []
    masked = text
    for keyword in _KEYWORD_ORDER:
        if keyword in masked:
            found.append(keyword)
            masked = masked.replace(keyword, "□" * len(keyword))
    specific = [k for k in found if k not in GENERIC]
    if specific or _QUALIFIED.search(text):
        return specific
    return found


def _effect(text: str) -> str | None:
    if _PROHIBIT.search(text):
        return "prohibit"
    if _RESTRICT.search(text):
        return "restrict"
    if _REQUIRE.search(text):
        return "require"
    return None


def parse_clause(text: str) -> ParsedClause:
    """Read one clause: its effect, the industries it names and a ``new_or_expanded`` condition."""
    effect = _effect(text)
    keywords = industry_keywords(text)
    codes = tuple(dict.fromkeys(code for k in keywords for code in KEYWORDS[k]))
    conditions: dict[str, Any] = {}
    if effect in ("prohibit", "restrict") and _NEW_OR_EXPANDED.search(text) and "改建" not in text:
        conditions["new_or_expanded"] = True
    if effect is None:
        return ParsedClause(
            text,
            None,
            codes,
            tuple(keywords),
            conditions,
            ParseStatus.NEEDS_REVIEW,
            "no effect word (禁止/限制/应…) recognised",
        )
    if effect in ("prohibit", "restrict") and not codes:
        return ParsedClause(
            text,
            effect,
            codes,
            tuple(keywords),
            conditions,
            ParseStatus.NEEDS_REVIEW,
            f"{effect} without an industry the keyword table recognises: which projects it binds needs review",
        )
    if "除外" in text:
        return ParsedClause(
            text,
            effect,
            codes,
            tuple(keywords),
            conditions,
            ParseStatus.NEEDS_REVIEW,
            "the clause states an exception (…除外) that a reviewer must apply",
        )
    named = f" naming {', '.join(keywords)}" if keywords else ""
    return ParsedClause(
        text, effect, codes, tuple(keywords), conditions, ParseStatus.PARSED, f"{effect}{named}"
    )


def parse_field(field: str, text: str) -> list[tuple[str, ParsedClause]]:
    """Parse one attribute field of an office's shapefile into (dimension, clause) pairs."""
    dimension = FIELD_DIMENSIONS[field.upper()]
    return [(dimension, parse_clause(part)) for part in split_clauses(text)]


def parse_report(parsed: list[ParsedClause]) -> dict[str, Any]:
    """The import report's summary: how many clauses were parsed and which need review."""
    review = [p for p in parsed if p.status is ParseStatus.NEEDS_REVIEW]
    return {
        "clauses": len(parsed),
        "parsed": len(parsed) - len(review),
        "needs_review": [{"text_zh": p.text_zh, "reason_en": p.reason_en} for p in review],
    }
