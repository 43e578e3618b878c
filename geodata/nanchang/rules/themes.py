"""What a unit's clauses are composed from: park lead industries 主导产业, rivers and lakes by place."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from geodata.nanchang.rules.drafts import _GB4287, _GB21904, _GB37822, _GB37823, _LAKES, _RIVERS


@dataclass(frozen=True)
class _Theme:
    """A lead industry of a park: its name, its GB/T codes and its own discharge clause."""

    label_zh: str
    codes: tuple[str, ...]
    discharge_zh: str
    discharge_codes: tuple[str, ...]


_THEMES: Final[dict[str, _Theme]] = {
    "auto": _Theme(
        "汽车及零部件",
        ("36",),
        f"汽车整车及零部件涂装工序应使用水性、高固体分等低VOCs含量涂料，喷涂、烘干废气密闭收集、高效处理，无组织排放执行{_GB37822}。",
        ("361", "367"),
    ),
    "food": _Theme(
        "绿色食品",
        ("13", "14", "15"),
        "食品加工项目高浓度有机废水应经厌氧等预处理达到园区污水处理厂接管要求后纳管，屠宰项目同步建设废水和恶臭处理设施。",
        ("13", "14", "15"),
    ),
    "pharma": _Theme(
        "生物医药",
        ("27",),
        f"化学合成类制药项目废水执行{_GB21904}，废气执行{_GB37823}，发酵、提取工序恶臭气体应收集处理。",
        ("271", "272"),
    ),
    "electronics": _Theme(
        "电子信息",
        ("39",),
        "电子电路、电子专用材料项目含重金属、含氰废水应单独收集、分质处理，第一类污染物在车间或生产设施排放口达标。",
        ("3982", "3985"),
    ),
    "materials": _Theme(
        "新材料",
        ("265", "3985"),
        "新材料项目涉有机溶剂使用的应密闭化生产，配套溶剂回收和VOCs高效治理设施。",
        ("265", "3985"),
    ),
    "aviation": _Theme(
        "航空制造",
        ("374",),
        "航空零部件表面处理、涂装工序应配套含铬等重金属废水分质处理设施和喷漆废气治理设施。",
        ("374", "3360"),
    ),
    "aluminium": _Theme(
        "铝型材加工",
        ("3252",),
        "铝型材阳极氧化、电泳、喷涂等表面处理工序废水应分类收集、分质处理，含镍、含氟废水不得稀释排放；熔铸炉应使用天然气等清洁能源。",
        ("3252", "3360"),
    ),
    "fine_chemicals": _Theme(
        "精细化工",
        ("264", "266"),
        "精细化工项目工艺废气全过程密闭收集，储罐、装卸和废水处理环节实施泄漏检测与修复（LDAR），高浓度有机废水单独预处理。",
        ("26",),
    ),
    "equipment": _Theme(
        "智能装备制造",
        ("34", "35"),
        "装备制造项目喷涂、焊接废气应收集处理，推广粉末、水性涂料替代溶剂型涂料。",
        ("34", "35"),
    ),
    "textiles": _Theme(
        "针纺服装",
        ("17", "18"),
        f"针纺服装项目原则上不配套印染、水洗工序，确需配套的应集中布局并执行{_GB4287}。",
        ("1713",),
    ),
    "medical_devices": _Theme(
        "医疗器械",
        ("358",),
        "医疗器械项目环氧乙烷灭菌废气应收集处理，注塑、清洗废水经预处理后纳管。",
        ("358",),
    ),
}

# Lead industries by park, matched on a keyword of the park's name (first match wins; 小蓝经济技术开发区
# must come before the generic 经开区). Positioning after the 14th five-year plan and the parks' own plans.
_PARK_THEMES: Final[tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = (
    (("小蓝",), ("auto", "food", "pharma")),
    (("高新",), ("electronics", "pharma", "aviation")),
    (("经开区", "经济技术开发区"), ("electronics", "materials", "food")),
    (("安义",), ("aluminium", "fine_chemicals")),
    (("进贤",), ("medical_devices", "food")),
    (("青山湖",), ("textiles", "food")),
    (("临空", "航空"), ("aviation", "electronics")),
    (("桑海",), ("pharma", "electronics")),
    (("长堎", "望城", "新建"), ("equipment", "electronics")),
)
_DEFAULT_THEMES: Final = ("equipment", "electronics")


def _themes_of(park: str) -> tuple[_Theme, ...]:
    for keywords, keys in _PARK_THEMES:
        if any(keyword in park for keyword in keywords):
            return tuple(_THEMES[key] for key in keys)
    return tuple(_THEMES[key] for key in _DEFAULT_THEMES)


def _park_of(unit: Mapping[str, Any]) -> str:
    for tag in unit.get("tags") or ():
        if tag.startswith("park:") and len(tag) > len("park:"):
            return str(tag[len("park:") :])
    return str(unit.get("name_zh") or "本园区")


# The main river of each county-level division, for units whose name names none (赣江 runs through the
# city districts, 新建区 and 南昌县; 抚河 through 南昌县 and 进贤县; 潦河 through 安义县).
_DIVISION_RIVERS: Final[dict[str, tuple[str, ...]]] = {
    "360102": ("赣江",),
    "360103": ("赣江",),
    "360104": ("赣江",),
    "360111": ("赣江",),
    "360112": ("赣江",),
    "360113": ("赣江",),
    "360121": ("赣江", "抚河"),
    "360123": ("潦河",),
    "360124": ("抚河",),
}


def _rivers_of(unit: Mapping[str, Any]) -> list[str]:
    name = str(unit.get("name_zh") or "")
    named = [river for river in _RIVERS if river in name]
    return named or list(_DIVISION_RIVERS.get(str(unit.get("division_code")), _RIVERS))


def _lakes_of(name: str) -> list[str]:
    return [lake for lake in _LAKES if lake in name]


def _unique(codes: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(codes))
