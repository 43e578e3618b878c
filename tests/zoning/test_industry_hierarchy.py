"""IndustryCatalogue.covers: the GB/T 4754-2017 hierarchy rules, without a database.

GB/T 4754-2017 § 4 (分类结构和代码): four levels — 门类 section (one letter A–T), 大类 division
(2 digits), 中类 group (3 digits), 小类 class (4 digits); each code begins with its parent's code
(a division's parent is a section). A rule naming a level covers every finer code under it; it
says nothing about a coarser or a sibling code.
"""

from __future__ import annotations

import pytest

from zoning.errors import InvalidInput
from zoning.industry import IndustryCatalogue

# GB/T 4754-2017 entries (codes and names as the standard lists them).
ROWS = [
    {"code": "C", "level": "section", "parent": None, "name_zh": "制造业", "name_en": "Manufacturing"},
    {
        "code": "26",
        "level": "division",
        "parent": "C",
        "name_zh": "化学原料和化学制品制造业",
        "name_en": "Chemicals",
    },
    {
        "code": "261",
        "level": "group",
        "parent": "26",
        "name_zh": "基础化学原料制造",
        "name_en": "Basic chemicals",
    },
    {
        "code": "2614",
        "level": "class",
        "parent": "261",
        "name_zh": "有机化学原料制造",
        "name_en": "Organic chemicals",
    },
    {"code": "262", "level": "group", "parent": "26", "name_zh": "肥料制造", "name_en": "Fertilisers"},
    {
        "code": "2621",
        "level": "class",
        "parent": "262",
        "name_zh": "氮肥制造",
        "name_en": "Nitrogen fertilisers",
    },
    {"code": "27", "level": "division", "parent": "C", "name_zh": "医药制造业", "name_en": "Pharmaceuticals"},
    {
        "code": "D",
        "level": "section",
        "parent": None,
        "name_zh": "电力、热力、燃气及水生产和供应业",
        "name_en": "Utilities",
    },
    {
        "code": "46",
        "level": "division",
        "parent": "D",
        "name_zh": "水的生产和供应业",
        "name_en": "Water supply",
    },
]
CATALOGUE = IndustryCatalogue(ROWS)


@pytest.mark.parametrize(
    ("rule", "project", "covered"),
    [
        ("C", "C", True),  # a section covers itself
        ("C", "26", True),  # … its divisions
        ("C", "261", True),  # … its groups
        ("C", "2614", True),  # … its classes
        ("D", "2614", False),  # another section does not
        ("26", "26", True),
        ("26", "261", True),  # a division covers its groups
        ("26", "2614", True),  # … and classes
        ("26", "27", False),  # not a sibling division
        ("26", "C", False),  # nor its section: a finer rule says nothing certain of a coarser code
        ("261", "2614", True),  # a group covers its classes
        ("261", "2621", False),  # not a class of a sibling group
        ("261", "26", False),
        ("2614", "2614", True),  # a class covers only itself
        ("2614", "261", False),
        ("c2614", "2614", True),  # a section-prefixed code is the same code
    ],
)
def test_covers_follows_the_hierarchy(rule: str, project: str, covered: bool) -> None:
    assert CATALOGUE.covers(rule, CATALOGUE.resolve(project)) is covered


def test_resolve_keeps_the_code_and_finds_the_section() -> None:
    resolved = CATALOGUE.resolve("2614")
    assert (resolved.code, resolved.section, resolved.listed.code) == ("2614", "C", "2614")
    # issue 11: a code the catalogue does not list is refused, naming the field (never a silent guess)
    with pytest.raises(InvalidInput) as refused:
        CATALOGUE.resolve("2619")
    assert refused.value.field == "industry"
