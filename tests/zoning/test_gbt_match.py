"""GB/T 4754-2017 code matching: covers, too coarse, none (structure of the standard, 表 1)."""

from __future__ import annotations

import pytest

from zoning.gbt_match import CodeMatch, covers, match, section_of, too_coarse


@pytest.mark.parametrize(
    ("code", "section"),
    [("01", "A"), ("05", "A"), ("06", "B"), ("12", "B"), ("13", "C"), ("2614", "C"), ("43", "C"),
     ("44", "D"), ("4620", "D"), ("47", "E"), ("70", "K"), ("7724", "N"), ("97", "T"), ("C", "C")],
)  # fmt: skip
def test_section_of(code: str, section: str) -> None:
    assert section_of(code) == section


def test_covers_and_too_coarse() -> None:
    assert covers("C", "2614") and covers("26", "2614") and covers("261", "C2614")
    assert not covers("2614", "26") and not covers("4610", "4620")
    assert too_coarse("C", "2614") and too_coarse("26", "2614") and too_coarse("46", "4610")
    assert not too_coarse("2614", "26") and not too_coarse("D", "2614") and not too_coarse("26", "26")
    assert match(("251", "252", "26"), "2614") is CodeMatch.COVERED
    assert match(("251", "252", "26"), "C") is CodeMatch.TOO_COARSE
    assert match(("251", "252", "26"), "6513") is CodeMatch.NONE
    with pytest.raises(ValueError, match="no division 98"):
        section_of("98")
