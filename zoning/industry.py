"""GB/T 4754-2017 国民经济行业分类: the one matcher for industry codes.

The standard (with its 2019 amendment 第1号修改单) codes an activity at four levels (GB/T 4754-2017
§4 编码方法和代码结构):

- a section 门类 is one capital letter A–T;
- a division 大类 is two digits, 01–97, and belongs to the section whose range in 表1 holds it
  (e.g. 制造业 C = divisions 13–43);
- a group 中类 is three digits whose first two are its division ("261" is in division 26);
- a class 小类 is four digits whose first three are its group ("2614" is in group 261).

Applicants often write the section in front of a numeric code ("C2614"); :func:`normalize` drops it
after checking it is the right section. The functions here work on the code alone (its shape and 表1);
:class:`IndustryCatalogue` adds the list of codes that exist — the complete catalogue, built from
``geodata/nanchang/gbt4754_2017.tsv`` — so that a well-formed code the standard does not have
(2618, 4699, 7788) is refused rather than silently matched.

Every other module (the dataset build, the rules, screening) matches codes through this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Final

from zoning.errors import InvalidInput

_CODE: Final = re.compile(r"^(?:([A-T])|([A-T])?(\d{2}|\d{3}|\d{4}))$")

SECTION_DIVISIONS: Final[Mapping[str, tuple[int, int]]] = {
    # GB/T 4754-2017 表1, "本门类包括 NN～MM 大类": first and last division of each section.
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

_DIVISION_SECTION: Final[dict[str, str]] = {
    f"{n:02d}": letter for letter, (low, high) in SECTION_DIVISIONS.items() for n in range(low, high + 1)
}

LEVELS: Final[tuple[str, ...]] = ("section", "division", "group", "class")
_LEVEL_BY_LENGTH: Final[dict[int, str]] = {1: "section", 2: "division", 3: "group", 4: "class"}


def normalize(code: str, *, field: str = "industry") -> str:
    """Canonical form of a code: upper-case, trimmed, without a section prefix ("c2614" → "2614").

    Raises :class:`InvalidInput` naming ``field`` when the text is not a GB/T 4754-2017 code shape,
    when its division is outside 01–97, or when a section prefix is not the division's section
    ("D2614": division 26 is in section C).
    """
    try:
        return _normalized(code)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from None


@lru_cache(maxsize=4096)
def _normalized(code: str) -> str:
    """``normalize`` without the field (a screening normalises the same few hundred codes of the
    access lists again and again: cached); a code that is not one raises ValueError (not cached)."""
    text = code.strip().upper().replace(" ", "")
    match = _CODE.match(text)
    if not match:
        raise ValueError(
            f"{code!r} is not a GB/T 4754-2017 code: expected a section letter A–T, or a 2-, 3- "
            "or 4-digit division, group or class code (e.g. C, 26, 261, 2614)"
        )
    section, prefix, digits = match.groups()
    if section:
        return str(section)
    division_section = _DIVISION_SECTION.get(digits[:2])
    if division_section is None:
        raise ValueError(f"{code!r}: GB/T 4754-2017 has no division {digits[:2]} (01–97)")
    if prefix and prefix != division_section:
        raise ValueError(f"{code!r}: code {digits} belongs to section {division_section}, not {prefix}")
    return str(digits)


def level(code: str) -> str:
    """The level a code stands at — ``section``, ``division``, ``group`` or ``class`` — by its shape.

    GB/T 4754-2017 §4: one letter is a 门类, two digits a 大类, three a 中类, four a 小类.
    """
    return _LEVEL_BY_LENGTH[len(normalize(code))]


def section_of(code: str) -> str:
    """The section letter of a code; a numeric code's section is the 表1 range holding its division."""
    text = normalize(code)
    return text if text.isalpha() else _DIVISION_SECTION[text[:2]]


def parent_of(code: str) -> str | None:
    """The code one level up: a class's group, a group's division, a division's section; None for a section."""
    text = normalize(code)
    if text.isalpha():
        return None
    if len(text) == 2:
        return _DIVISION_SECTION[text]
    return text[:-1]


def contains(outer: str, inner: str) -> bool:
    """Whether ``outer`` is ``inner`` or an ancestor of it (a section contains its divisions' codes)."""
    a, b = normalize(outer, field="rule"), normalize(inner, field="rule")
    if a.isalpha():
        return section_of(b) == a
    return not b.isalpha() and b.startswith(a)


def covers(rule_code: str, project_code: str) -> bool:
    """Whether a rule naming ``rule_code`` certainly applies to a project declared as ``project_code``.

    A section covers every code in it; a numeric code covers itself and every finer code that starts
    with it. A finer rule does not cover a coarser declaration: a rule on 2614 says nothing certain
    about a project declared only as division 26 (see :func:`may_fall_under` for that case).
    """
    return contains(rule_code, project_code)


def may_fall_under(declared_code: str, rule_code: str) -> bool:
    """Whether a project declared with a coarser code might still be under a finer rule.

    True when ``declared_code`` is strictly coarser than ``rule_code`` and contains it: a project
    declared "C" or "26" might be an 有机化学原料制造 plant (2614), so a rule on 2614 may apply and the
    screening must ask for the class (4-digit) code instead of clearing the project. False when the
    declaration is as fine as the rule or finer (then :func:`covers` decides), or elsewhere in the tree.
    """
    declared = normalize(declared_code)
    rule = normalize(rule_code, field="rule")
    return declared != rule and contains(declared, rule)


class CodeMatch(StrEnum):
    """How the code set a rule names relates to a declared industry code."""

    COVERED = "covered"
    """A rule code is the industry's code or an ancestor of it (:func:`covers`)."""
    TOO_COARSE = "too_coarse"
    """The declaration is an ancestor of a rule code: it may fall under the rule (:func:`may_fall_under`)."""
    NONE = "none"


def match(rule_codes: Iterable[str], project_code: str) -> CodeMatch:
    """COVERED if any rule code covers the project, else TOO_COARSE if it may fall under one, else NONE."""
    codes = list(rule_codes)
    if any(covers(code, project_code) for code in codes):
        return CodeMatch.COVERED
    if any(may_fall_under(project_code, code) for code in codes):
        return CodeMatch.TOO_COARSE
    return CodeMatch.NONE


@dataclass(frozen=True)
class IndustryEntry:
    code: str
    level: str
    parent: str | None
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class ResolvedIndustry:
    """An applicant's industry code, checked against the catalogue."""

    code: str
    section: str
    listed: IndustryEntry
    """The catalogue entry for the code."""

    @property
    def exact(self) -> bool:
        return self.listed.code == self.code

    @property
    def level(self) -> str:
        return self.listed.level


class IndustryCatalogue:
    """The GB/T 4754-2017 catalogue held by the service: which codes exist, and their names."""

    def __init__(self, rows: Iterable[Mapping[str, object]]) -> None:
        self._by_code: dict[str, IndustryEntry] = {}
        for row in rows:
            entry = IndustryEntry(
                code=str(row["code"]),
                level=str(row["level"]),
                parent=None if row.get("parent") is None else str(row["parent"]),
                name_zh=str(row["name_zh"]),
                name_en=str(row["name_en"]),
            )
            self._by_code[entry.code] = entry

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    def entries(self) -> list[IndustryEntry]:
        return list(self._by_code.values())

    def get(self, code: str) -> IndustryEntry | None:
        return self._by_code.get(code)

    @staticmethod
    def normalize(code: str, *, field: str = "industry") -> str:
        """See the module function :func:`normalize`."""
        return normalize(code, field=field)

    def resolve(self, code: str, *, field: str = "industry") -> ResolvedIndustry:
        """Validate an applicant's code; raises InvalidInput naming the field when the standard lacks it.

        A well-formed code must also exist: GB/T 4754-2017 has group 261 but no class 2618, group 469
        but only its class 4690 (no 4699), division 77 but no group 778 (so no class 7788).
        """
        normal = normalize(code, field=field)
        entry = self._by_code.get(normal)
        if entry is None:
            kind = _LEVEL_BY_LENGTH[len(normal)]
            raise InvalidInput(
                f"{code!r}: GB/T 4754-2017 has no {kind} {normal} (look codes up at /v1/industries?q=)",
                field=field,
            )
        return ResolvedIndustry(code=normal, section=section_of(normal), listed=entry)

    def section_of(self, code: str) -> str:
        """The section letter a code belongs to (by 表1's division ranges)."""
        return section_of(code)

    def covers(self, rule_code: str, project: ResolvedIndustry) -> bool:
        """Whether a rule naming ``rule_code`` applies to the project's industry (module :func:`covers`)."""
        return covers(rule_code, project.code)

    def may_fall_under(self, project: ResolvedIndustry, rule_code: str) -> bool:
        """Whether the project's coarse declaration might be under the rule (module :func:`may_fall_under`)."""
        return may_fall_under(project.code, rule_code)

    def search(self, query: str, limit: int = 50) -> list[IndustryEntry]:
        """Entries whose code starts with the query or whose zh/en name contains it."""
        q = query.strip()
        if not q:
            return []
        upper = q.upper()
        lower = q.lower()
        hits = [
            e
            for e in self._by_code.values()
            if e.code.startswith(upper) or q in e.name_zh or lower in e.name_en.lower()
        ]
        order = {name: i for i, name in enumerate(LEVELS)}
        hits.sort(key=lambda e: (not e.code.startswith(upper), order.get(e.level, 9), e.code))
        return hits[:limit]
