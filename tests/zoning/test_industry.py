"""GB/T 4754-2017 国民经济行业分类: the one matcher (zoning.industry) and the bundled catalogue.

No database, no HTTP. Expectations come from the standard itself: §4 编码方法和代码结构 (a section is a
letter, a division two digits, a group three digits starting with its division, a class four digits
starting with its group), 表1 (the division range of each section), and the code table for the named
codes below.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import pytest

from geodata.nanchang.industries import CATALOGUE
from zoning.errors import InvalidInput
from zoning.industry import (
    SECTION_DIVISIONS,
    IndustryCatalogue,
    covers,
    level,
    may_fall_under,
    normalize,
    parent_of,
    section_of,
)

BY_CODE = {str(r["code"]): r for r in CATALOGUE}
CAT = IndustryCatalogue(CATALOGUE)


# ------------------------------------------------------------------------------ the catalogue


def test_totals_per_level() -> None:
    """20 门类, 97 大类, 473 中类 as the standard states them.

    Classes: the figure usually quoted is 1,380 (issue 11; a provincial statistics bureau quotes
    1,382). Counted code by code, the transcribed table and an independent complete listing both have
    1,381 — see geodata/nanchang/data/PROVENANCE.md. The test pins the count of the table as
    transcribed, so an accidental addition or deletion fails.
    """
    levels = Counter(r["level"] for r in CATALOGUE)
    assert (levels["section"], levels["division"], levels["group"], levels["class"]) == (20, 97, 473, 1381)
    assert len(BY_CODE) == len(CATALOGUE)


def test_sections_and_divisions_are_exactly_a_to_t_and_01_to_97() -> None:
    assert [c for c, r in BY_CODE.items() if r["level"] == "section"] == list("ABCDEFGHIJKLMNOPQRST")
    assert sorted(c for c, r in BY_CODE.items() if r["level"] == "division") == [
        f"{n:02d}" for n in range(1, 98)
    ]


def test_section_ranges_of_table_1_tile_01_to_97() -> None:
    """表1: each section covers a contiguous run of divisions; together they cover 01–97 once."""
    runs = sorted(SECTION_DIVISIONS.values())
    assert runs[0][0] == 1 and runs[-1][1] == 97
    for (_, high), (low, _) in pairwise(runs):
        assert low == high + 1


@pytest.mark.parametrize(
    ("section", "first", "last"),
    # 表1: A 01–05, B 06–12, C 13–43, D 44–46, E 47–50, F 51–52, G 53–60, H 61–62, I 63–65, J 66–69,
    # K 70, L 71–72, M 73–75, N 76–79, O 80–82, P 83, Q 84–85, R 86–90, S 91–96, T 97.
    [("A", "01", "05"), ("B", "06", "12"), ("C", "13", "43"), ("D", "44", "46"), ("E", "47", "50"),
     ("F", "51", "52"), ("G", "53", "60"), ("H", "61", "62"), ("I", "63", "65"), ("J", "66", "69"),
     ("K", "70", "70"), ("L", "71", "72"), ("M", "73", "75"), ("N", "76", "79"), ("O", "80", "82"),
     ("P", "83", "83"), ("Q", "84", "85"), ("R", "86", "90"), ("S", "91", "96"), ("T", "97", "97")],
)  # fmt: skip
def test_each_division_hangs_under_its_table_1_section(section: str, first: str, last: str) -> None:
    divisions = [c for c, r in BY_CODE.items() if r["parent"] == section]
    assert divisions == [f"{n:02d}" for n in range(int(first), int(last) + 1)]
    assert section_of(first) == section_of(last) == section


def test_groups_start_with_their_division_and_classes_with_their_group() -> None:
    """§4: 中类 = 大类 code + one digit; 小类 = 中类 code + one digit; every level is subdivided."""
    for code, row in BY_CODE.items():
        if row["level"] == "group":
            assert row["parent"] == code[:2] and code[:2] in BY_CODE
        if row["level"] == "class":
            assert row["parent"] == code[:3] and code[:3] in BY_CODE
    parents = Counter(str(r["parent"]) for r in CATALOGUE if r["parent"] is not None)
    for code, row in BY_CODE.items():
        if row["level"] != "class":
            assert parents[code] >= 1, f"{code} has no subdivision"


def test_an_undivided_group_has_one_class_coded_with_a_0_and_the_same_name() -> None:
    """As 061 烟煤和无烟煤开采洗选 → 0610, 462 污水处理及其再生利用 → 4620, 970 国际组织 → 9700."""
    children: dict[str, list[str]] = {}
    for code, row in BY_CODE.items():
        if row["level"] == "class":
            children.setdefault(code[:3], []).append(code)
    singles = {g: cs[0] for g, cs in children.items() if len(cs) == 1}
    for group, only in singles.items():
        assert only == group + "0"
        assert BY_CODE[only]["name_zh"] == BY_CODE[group]["name_zh"]
    assert {"061", "462", "970"} <= set(singles)


@pytest.mark.parametrize(
    ("code", "name_zh"),
    [
        ("C", "制造业"),
        ("26", "化学原料和化学制品制造业"),
        ("261", "基础化学原料制造"),
        ("2614", "有机化学原料制造"),
        ("0313", "猪的饲养"),
        ("1713", "棉印染精加工"),
        ("2211", "木竹浆制造"),
        ("3011", "水泥制造"),
        ("3041", "平板玻璃制造"),
        ("3843", "铅蓄电池制造"),
        ("4411", "火力发电"),
        ("4610", "自来水生产和供应"),
        ("4620", "污水处理及其再生利用"),
        ("6513", "应用软件开发"),
        ("7723", "固体废物治理"),
        ("7724", "危险废物治理"),
        ("9700", "国际组织"),
    ],
)
def test_named_codes_of_the_standard(code: str, name_zh: str) -> None:
    assert BY_CODE[code]["name_zh"] == name_zh
    assert BY_CODE[code]["name_en"]


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("2618", "group 261 has 2611–2614 and 2619"),
        ("4699", "group 469 is undivided: only 4690"),
        ("7788", "division 77 has groups 771 and 772 only"),
        ("6510", "the 2011 code; 2017 divides 651 into 6511–6513 and 6519"),
    ],
)
def test_well_formed_codes_the_standard_lacks_are_absent_and_refused(code: str, why: str) -> None:
    assert code not in BY_CODE, why
    with pytest.raises(InvalidInput) as err:
        CAT.resolve(code)
    assert err.value.field == "industry"


# ------------------------------------------------------------------------------ the matcher


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2614", "2614"), ("c2614", "2614"), (" C26 ", "26"), ("D4411", "4411"), ("k", "K"), ("C 2614", "2614")],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    "text", ["98", "00", "Z", "U", "B2614", "26145", "", "1", "A26", "2 6 1 4 5", "C-26"]
)
def test_normalize_refuses_what_is_no_code_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        normalize(text, field="industry")
    assert err.value.field == "industry"


@pytest.mark.parametrize(
    ("code", "expected"),
    [("C", "section"), ("26", "division"), ("261", "group"), ("2614", "class"), ("C2614", "class")],
)
def test_level_by_shape(code: str, expected: str) -> None:
    assert level(code) == expected
    assert BY_CODE[normalize(code)]["level"] == expected


@pytest.mark.parametrize(
    ("code", "parent"),
    [("2614", "261"), ("261", "26"), ("26", "C"), ("C", None), ("0610", "061"), ("05", "A")],
)
def test_parent_of(code: str, parent: str | None) -> None:
    assert parent_of(code) == parent
    assert BY_CODE[code]["parent"] == parent


@pytest.mark.parametrize(
    ("rule", "project", "expected"),
    [
        ("C", "26", True),
        ("C", "2614", True),
        ("C", "C", True),
        ("C", "44", False),
        ("B", "0610", True),
        ("D", "4411", True),
        ("26", "2614", True),
        ("26", "C2614", True),
        ("26", "2710", False),
        ("261", "2614", True),
        ("261", "2621", False),
        ("2614", "2614", True),
        ("2614", "261", False),  # a finer rule says nothing certain about a coarser declaration
        ("2614", "26", False),
        ("26", "C", False),
    ],
)
def test_covers(rule: str, project: str, expected: bool) -> None:
    assert covers(rule, project) is expected


@pytest.mark.parametrize(
    ("declared", "rule", "expected"),
    [
        ("C", "2614", True),  # a manufacturer might be an organic-chemicals plant
        ("26", "2614", True),
        ("261", "2614", True),
        ("C2614", "2614", False),  # as fine as the rule: covers() decides
        ("2619", "2614", False),  # a sibling class
        ("27", "2614", False),
        ("B", "2614", False),  # another section
        ("C", "26", True),
        ("C", "C", False),
        ("2614", "26", False),  # finer than the rule: covered, not "may fall under"
    ],
)
def test_may_fall_under(declared: str, rule: str, expected: bool) -> None:
    assert may_fall_under(declared, rule) is expected


def test_covered_and_may_fall_under_never_both_hold() -> None:
    codes = ["C", "B", "26", "27", "261", "262", "2614", "2619", "0610"]
    for declared in codes:
        for rule in codes:
            assert not (covers(rule, declared) and may_fall_under(declared, rule)), (declared, rule)


def test_resolve_returns_the_exact_entry() -> None:
    resolved = CAT.resolve("C2614")
    assert (resolved.code, resolved.section, resolved.level, resolved.exact) == ("2614", "C", "class", True)
    assert resolved.listed.name_zh == "有机化学原料制造"
    assert CAT.may_fall_under(CAT.resolve("26"), "2614")
    assert CAT.covers("26", resolved)
    with pytest.raises(InvalidInput):
        CAT.resolve("D2614")  # 26 is in section C (表1: C = 13–43)
