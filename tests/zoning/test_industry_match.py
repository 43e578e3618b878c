"""A rule's code set against a declared code: covered, too coarse, none (GB/T 4754-2017 §4 and 表1).

Ported from the former second matcher ``zoning.gbt_match``: ``zoning.industry`` is the one matcher.
"""

from __future__ import annotations

import pytest

from zoning.errors import InvalidInput
from zoning.industry import CodeMatch, covers, match, may_fall_under, section_of


@pytest.mark.parametrize(
    ("code", "section"),
    [("01", "A"), ("05", "A"), ("06", "B"), ("12", "B"), ("13", "C"), ("2614", "C"), ("43", "C"),
     ("44", "D"), ("4620", "D"), ("47", "E"), ("70", "K"), ("7724", "N"), ("97", "T"), ("C", "C")],
)  # fmt: skip
def test_section_of_follows_table_1(code: str, section: str) -> None:
    # 表1: A 01–05, B 06–12, C 13–43, D 44–46, E 47–50, K 70, N 76–79, T 97.
    assert section_of(code) == section


def test_match_covered_too_coarse_none() -> None:
    # §4: a class's first three digits are its group, its first two its division.
    assert covers("C", "2614") and covers("26", "2614") and covers("261", "C2614")
    assert not covers("2614", "26") and not covers("4610", "4620")
    assert may_fall_under("C", "2614") and may_fall_under("26", "2614") and may_fall_under("46", "4610")
    assert not may_fall_under("2614", "26") and not may_fall_under("D", "2614")
    assert not may_fall_under("26", "26")
    assert match(("251", "252", "26"), "2614") is CodeMatch.COVERED
    assert match(("251", "252", "26"), "C") is CodeMatch.TOO_COARSE
    assert match(("251", "252", "26"), "6513") is CodeMatch.NONE
    with pytest.raises(InvalidInput, match="no division 98"):
        section_of("98")
