"""Matching GB/T 4754-2017 codes against the code sets a rule names, without the catalogue.

The structure of the standard is fixed: a section letter A–T groups the 2-digit divisions by range
(GB/T 4754-2017 表 1: A 01–05 … T 97), a 3-digit group starts with its division, a 4-digit class
with its group. That is all a rule needs to know whether it *covers* an industry (the rule's code
is the industry's code or an ancestor of it) or whether the industry is declared too coarsely to
tell (the industry's code is an ancestor of one of the rule's codes: "C" or "26" might be 2614).
Whether a code exists at all is the catalogue's business (``zoning.industry``), checked before.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

# GB/T 4754-2017 门类 → 大类 ranges.
_SECTION_DIVISIONS: dict[str, tuple[int, int]] = {
    "A": (1, 5),
    "B": (6, 12),
    "C": (13, 43),
    "D": (44, 46),
    "E": (47, 50),
    "F": (51, 52),
    "G": (53, 60),
    "H": (61, 62),
    "I": (63, 65),
    "J": (66, 69),
    "K": (70, 70),
    "L": (71, 72),
    "M": (73, 75),
    "N": (76, 79),
    "O": (80, 82),
    "P": (83, 83),
    "Q": (84, 85),
    "R": (86, 90),
    "S": (91, 96),
    "T": (97, 97),
}


class CodeMatch(StrEnum):
    """How a rule's code set relates to a declared industry code."""

    COVERED = "covered"
    """A rule code is the industry's code or an ancestor of it."""
    TOO_COARSE = "too_coarse"
    """The industry is an ancestor of a rule code: it might fall under the rule."""
    NONE = "none"


def normalize(code: str) -> str:
    """Upper-case code without blanks or a section prefix on digits ("c2614" → "2614")."""
    text = code.strip().upper().replace(" ", "")
    if len(text) > 1 and text[0].isalpha() and text[1:].isdigit():
        return text[1:]
    return text


def section_of(code: str) -> str:
    """The section letter (门类) a normalized code belongs to."""
    if code.isalpha():
        return code
    division = int(code[:2])
    for section, (low, high) in _SECTION_DIVISIONS.items():
        if low <= division <= high:
            return section
    raise ValueError(f"GB/T 4754-2017 has no division {code[:2]}")


def covers(rule_code: str, industry_code: str) -> bool:
    """Whether a rule naming ``rule_code`` certainly applies to ``industry_code``."""
    rule, industry = normalize(rule_code), normalize(industry_code)
    if rule.isalpha():
        return section_of(industry) == rule
    return not industry.isalpha() and industry.startswith(rule)


def too_coarse(industry_code: str, rule_code: str) -> bool:
    """Whether ``industry_code`` is a strict ancestor of ``rule_code`` (it might fall under it)."""
    rule, industry = normalize(rule_code), normalize(industry_code)
    if industry == rule:
        return False
    if industry.isalpha():
        return section_of(rule) == industry and rule != industry
    return not rule.isalpha() and len(rule) > len(industry) and rule.startswith(industry)


def match(rule_codes: Iterable[str], industry_code: str) -> CodeMatch:
    """COVERED if any code covers the industry, else TOO_COARSE if it might, else NONE."""
    codes = list(rule_codes)
    if any(covers(code, industry_code) for code in codes):
        return CodeMatch.COVERED
    if any(too_coarse(industry_code, code) for code in codes):
        return CodeMatch.TOO_COARSE
    return CodeMatch.NONE


def matches_any(rule_codes: Iterable[str], industry_code: str) -> bool:
    """Whether any code of the set certainly covers the industry."""
    return match(rule_codes, industry_code) is CodeMatch.COVERED
