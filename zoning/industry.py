"""GB/T 4754-2017 国民经济行业分类: validating an applicant's industry code and matching rules to it.

Codes are a section letter A–T, a 2-digit division (01–97), a 3-digit group or a 4-digit class;
applicants often write the section in front ("C2614"). The catalogue the service holds has every
section and division and the groups and classes the access lists name; a finer code that the
catalogue does not list (e.g. 2619) is accepted when its division exists, and is named after its
nearest listed ancestor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from zoning.errors import InvalidInput

_CODE = re.compile(r"^(?:([A-T])|([A-T])?(\d{2}|\d{3}|\d{4}))$")


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
    """The entry for the code itself, or for its nearest listed ancestor."""

    @property
    def exact(self) -> bool:
        return self.listed.code == self.code


class IndustryCatalogue:
    """The GB/T 4754-2017 catalogue held by the service."""

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

    def entries(self) -> list[IndustryEntry]:
        return list(self._by_code.values())

    def get(self, code: str) -> IndustryEntry | None:
        return self._by_code.get(code)

    @staticmethod
    def normalize(code: str, *, field: str = "industry") -> str:
        """Upper-case, trimmed code without a section prefix on numeric codes ("c2614" → "2614")."""
        text = code.strip().upper().replace(" ", "")
        match = _CODE.match(text)
        if not match:
            raise InvalidInput(
                f"{code!r} is not a GB/T 4754-2017 code: expected a section letter A–T, or a 2-, 3- "
                "or 4-digit division, group or class code (e.g. C, 26, 261, 2614)",
                field=field,
            )
        section, _prefix, digits = match.groups()
        return section or digits

    def resolve(self, code: str, *, field: str = "industry") -> ResolvedIndustry:
        """Validate an applicant's code; raises InvalidInput naming the field when it is not one."""
        normal = self.normalize(code, field=field)
        listed = self._nearest(normal)
        if listed is None:
            raise InvalidInput(f"{code!r}: GB/T 4754-2017 has no division {normal[:2]}", field=field)
        section = self.section_of(listed.code)
        prefix = _CODE.match(code.strip().upper().replace(" ", ""))
        if prefix and prefix.group(2) and prefix.group(2) != section:
            raise InvalidInput(
                f"{code!r}: code {normal} belongs to section {section}, not {prefix.group(2)}", field=field
            )
        return ResolvedIndustry(code=normal, section=section, listed=listed)

    def _nearest(self, code: str) -> IndustryEntry | None:
        if code.isalpha():
            return self._by_code.get(code)
        for length in range(len(code), 1, -1):
            entry = self._by_code.get(code[:length])
            if entry is not None:
                return entry
        return None

    def section_of(self, code: str) -> str:
        """The section letter a code belongs to (by walking up its listed ancestors)."""
        entry = self._nearest(code)
        while entry is not None and entry.level != "section":
            entry = self._by_code.get(entry.parent) if entry.parent else None
        if entry is None:
            raise InvalidInput(f"{code!r} has no section in the catalogue", field="industry")
        return entry.code

    def covers(self, rule_code: str, project: ResolvedIndustry) -> bool:
        """Whether a rule naming ``rule_code`` applies to the project's industry.

        A section covers every code in it; a numeric code covers itself and every finer code
        that starts with it. A finer rule does not cover a coarser project code: a rule on 2614
        says nothing certain about a project declared only as division 26.
        """
        rule = self.normalize(rule_code, field="rule")
        if rule.isalpha():
            return project.section == rule
        if project.code.isalpha():
            return False
        return project.code.startswith(rule)

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
        order = {"section": 0, "division": 1, "group": 2, "class": 3}
        hits.sort(key=lambda e: (not e.code.startswith(upper), order.get(e.level, 9), e.code))
        return hits[:limit]
