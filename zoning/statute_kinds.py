"""The kinds the statutory table speaks in: what a finding does to the verdict (``Severity``) and the
protected-zone kinds a statute governs (``ZoneKind``). Split from ``zoning.statutes``, which re-exports them.
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """What a finding does to the verdict; the worst finding wins."""

    PROHIBITED = "prohibited"
    CONDITIONAL = "conditional"
    NOTICE = "notice"
    PERMITTED = "permitted"

    @property
    def rank(self) -> int:
        """0 is the worst."""
        return ("prohibited", "conditional", "notice", "permitted").index(self.value)

    @property
    def label_zh(self) -> str:
        return {"prohibited": "禁止", "conditional": "有条件准入", "notice": "提示", "permitted": "准入"}[
            self.value
        ]


class ZoneKind(StrEnum):
    """The protected-zone kinds a statute governs."""

    WATER_GRADE_I = "water_grade_i"
    WATER_GRADE_II = "water_grade_ii"
    WATER_QUASI = "water_quasi"
    REDLINE = "redline"
    RESERVE_CORE = "reserve_core"
    RESERVE_BUFFER = "reserve_buffer"
    RESERVE_EXPERIMENTAL = "reserve_experimental"

    @property
    def label_zh(self) -> str:
        return {
            "water_grade_i": "饮用水水源一级保护区",
            "water_grade_ii": "饮用水水源二级保护区",
            "water_quasi": "饮用水水源准保护区",
            "redline": "生态保护红线",
            "reserve_core": "自然保护区核心区",
            "reserve_buffer": "自然保护区缓冲区",
            "reserve_experimental": "自然保护区实验区",
        }[self.value]


WATER_ZONES = frozenset({ZoneKind.WATER_GRADE_I, ZoneKind.WATER_GRADE_II, ZoneKind.WATER_QUASI})
RESERVE_ZONES = frozenset({ZoneKind.RESERVE_CORE, ZoneKind.RESERVE_BUFFER, ZoneKind.RESERVE_EXPERIMENTAL})
