"""The ecological-environment access lists 生态环境准入清单 of the Nanchang dataset.

Two sources of clauses:

* :func:`general_requirements` — the city-wide 总体准入要求 (``unit_code`` null) that apply on top of
  every control unit;
* :func:`unit_rules` — the list of one control unit 环境管控单元, composed from its class (priority /
  key / general) and its tags (see ``FORMAT.md``).

Every clause is machine-readable: ``effect`` (prohibit / restrict / require), ``industry_codes`` (GB/T
4754-2017 sections or codes it names, all present in :data:`geodata.nanchang.industries.CATALOGUE`;
empty when it applies to every project) and ``conditions``, a flat JSON object with these keys:

===========================  ==================================================================
``new_or_expanded``          true: only new or expanded (新建、扩建) projects are concerned
``rivers`` / ``lakes``       names of the water bodies a clause is about
``distance_to_river_m``      the clause applies within this distance of the river bank (岸线)
``in_redline``               true: applies inside the ecological protection red line
``reserve_zones``            nature-reserve zones concerned (``ReserveZoneKind`` wire values)
``protection_grades``        water-source protection grades concerned (``ProtectionGrade`` values)
``pollutants``               pollutants an offset or limit is about (``VOCs``, ``NOx``, ``SO2``,
                             ``PM``, ``TP``, ``TN``, ``NH3-N``, ``heavy_metals``)
``offset_ratio``             required reduction per unit of new discharge (1 等量, 2 倍量)
``zone`` / ``area``          a named zone (Chinese) / ``urban_built_up`` for 城市建成区
``outside_chemical_park``    true: applies to projects outside a recognised chemical park
``capacity_replacement``     ``equal_or_reduced``: 产能等量或减量置换
``fuel``                     ``coal`` / ``high_pollution_fuel``
``boiler_t_per_h_below`` /   boiler capacity thresholds in t/h (蒸吨/小时)
``boiler_t_per_h_from``
``park`` / ``positioning``   the industrial park a clause is about / ``lead_industry``
``refer``                    ``general_requirements``: the clause refers to the city-wide list
``land_use_change_to``       land uses (``residential``, ``public_service``) a change of use is to
``handles_hazardous_``       true: applies to units producing, storing or using hazardous
``substances``               chemicals or toxic substances
``produces_hazardous_waste`` true: applies to producers of hazardous waste
``slope_deg_above``          applies on slopes steeper than this many degrees
===========================  ==================================================================

The texts are reconstructions in the style of Jiangxi's published 三线一单 lists and of the Nanchang
14th five-year eco-environment plan; legal citations are to the national laws and regulations named.
Everything here is deterministic: the output depends only on the arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from zoning.vocabulary import ControlClass, RuleDimension, RuleEffect

SPATIAL: Final = RuleDimension.SPATIAL_LAYOUT
DISCHARGE: Final = RuleDimension.POLLUTANT_DISCHARGE
RISK: Final = RuleDimension.ENVIRONMENTAL_RISK
RESOURCE: Final = RuleDimension.RESOURCE_EFFICIENCY

PROHIBIT: Final = RuleEffect.PROHIBIT
RESTRICT: Final = RuleEffect.RESTRICT
REQUIRE: Final = RuleEffect.REQUIRE

_RIVERS: Final = ("赣江", "抚河", "潦河")
_LAKES: Final = ("鄱阳湖", "青岚湖", "军山湖", "瑶湖", "艾溪湖", "青山湖", "象湖")

# Standards cited in clause texts (their numbers contain a space, kept out of the long text lines).
_GB18918: Final = "《城镇污水处理厂污染物排放标准》（GB 18918-2002）"
_GB37822: Final = "《挥发性有机物无组织排放控制标准》（GB 37822-2019）"
_GB21904: Final = "《化学合成类制药工业水污染物排放标准》（GB 21904-2008）"
_GB37823: Final = "《制药工业大气污染物排放标准》（GB 37823-2019）"
_GB18597: Final = "《危险废物贮存污染控制标准》（GB 18597-2023）"
_GB4287: Final = "《纺织染整工业水污染物排放标准》（GB 4287-2012）"
_HJ610: Final = "《环境影响评价技术导则 地下水环境》（HJ 610-2016）"

# "两高" capacity the 长江经济带 and national capacity-replacement rules single out.
_HIGH_ENERGY: Final = ("2511", "2521", "3110", "3120", "3011", "3041", "3216")


@dataclass(frozen=True)
class _Draft:
    """A clause before numbering."""

    dimension: RuleDimension
    effect: RuleEffect
    text_zh: str
    industry_codes: tuple[str, ...] = ()
    conditions: Mapping[str, Any] = field(default_factory=dict)


def _d(
    dimension: RuleDimension,
    effect: RuleEffect,
    text_zh: str,
    codes: Iterable[str] = (),
    **conditions: Any,
) -> _Draft:
    return _Draft(dimension, effect, text_zh, tuple(codes), dict(conditions))


def _number(drafts: Iterable[_Draft], unit_code: str | None) -> list[dict[str, Any]]:
    """Drop repeated texts, order by dimension and number the clauses 1..n within each dimension."""
    seen: set[str] = set()
    by_dimension: dict[RuleDimension, list[_Draft]] = {dimension: [] for dimension in RuleDimension}
    for draft in drafts:
        if draft.text_zh in seen:
            continue
        seen.add(draft.text_zh)
        by_dimension[draft.dimension].append(draft)
    clauses: list[dict[str, Any]] = []
    for dimension, items in by_dimension.items():
        for number, draft in enumerate(items, start=1):
            clauses.append(
                {
                    "unit_code": unit_code,
                    "dimension": dimension.value,
                    "clause_no": number,
                    "text_zh": draft.text_zh,
                    "effect": draft.effect.value,
                    "industry_codes": list(draft.industry_codes),
                    "conditions": dict(draft.conditions),
                }
            )
    return clauses


# ------------------------------------------------------------------------------ 总体准入要求


def _general_drafts() -> list[_Draft]:
    rivers = list(_RIVERS)
    return [
        # ---- 空间布局约束
        # 长江保护法 art. 26: no new or expanded chemical parks/projects within 1 km of the banks.
        _d(
            SPATIAL,
            PROHIBIT,
            "禁止在长江干支流岸线一公里范围内新建、扩建化工园区和化工项目；赣江、抚河、潦河干流岸线一公里范围内禁止新建、扩建化工项目。",
            ("251", "252", "26"),
            distance_to_river_m=1000,
            rivers=rivers,
            new_or_expanded=True,
        ),
        # 生态保护红线 management (自然资源部 生态环境部 国家林草局 2022 trial notice).
        _d(
            SPATIAL,
            PROHIBIT,
            "生态保护红线内，自然保护地核心保护区原则上禁止人为活动；其他区域严格禁止开发性、生产性建设活动，在符合法律法规的前提下仅允许对生态功能不造成破坏的有限人为活动。",
            in_redline=True,
        ),
        _d(
            SPATIAL,
            PROHIBIT,
            "新建化工项目一律进入依法合规设立、环保基础设施完善的化工园区，化工园区外禁止新建、扩建化工项目（安全、环保、节能和智能化改造项目除外）。",
            ("26",),
            outside_chemical_park=True,
            new_or_expanded=True,
        ),
        _d(
            SPATIAL,
            REQUIRE,
            "新建有工业废水、废气排放的工业项目原则上应进入工业园区或工业集聚区，现有园区外工业企业逐步退城入园。",
            ("C",),
            new_or_expanded=True,
        ),
        _d(
            SPATIAL,
            PROHIBIT,
            "鄱阳湖滨湖控制开发带内禁止新建、扩建化学制浆造纸、制革、印染、电镀、有色金属冶炼等排放重金属或高浓度有机废水的项目。",
            ("221", "1910", "1713", "3360", "321"),
            zone="鄱阳湖滨湖控制开发带",
            lakes=["鄱阳湖"],
            new_or_expanded=True,
        ),
        _d(
            SPATIAL,
            RESTRICT,
            "严格“两高”项目环境准入，新建、扩建炼油、炼焦、钢铁、水泥熟料、平板玻璃、电解铝等项目严格执行产能等量或减量置换，并符合国家产业政策和规划环评要求。",
            _HIGH_ENERGY,
            capacity_replacement="equal_or_reduced",
            new_or_expanded=True,
        ),
        # 畜禽规模养殖污染防治条例 art. 11: no farms in the prohibited-breeding zones.
        _d(
            SPATIAL,
            PROHIBIT,
            "畜禽养殖禁养区内禁止建设畜禽养殖场、养殖小区，已建成的依法关闭或搬迁（《畜禽规模养殖污染防治条例》第十一条）。",
            ("031", "032"),
            zone="畜禽养殖禁养区",
        ),
        # ---- 污染物排放管控
        _d(
            DISCHARGE,
            REQUIRE,
            "新建、改建、扩建涉VOCs排放项目，实行区域内VOCs排放等量或倍量削减替代；重点区域和环境空气质量未达标的县（区）实行倍量削减替代。",
            pollutants=["VOCs"],
            offset_ratio=1,
        ),
        _d(
            DISCHARGE,
            REQUIRE,
            "新增二氧化硫、氮氧化物、颗粒物排放的建设项目，实行区域内现役源等量削减替代，未完成环境空气质量改善目标的县（区）实行倍量削减替代。",
            pollutants=["SO2", "NOx", "PM"],
            offset_ratio=1,
        ),
        _d(
            DISCHARGE,
            RESTRICT,
            "严格控制新建燃煤锅炉，城市建成区禁止新建每小时35蒸吨以下燃煤锅炉，其他区域原则上不再新建每小时10蒸吨以下燃煤锅炉；65蒸吨/小时以上燃煤锅炉实施超低排放改造，燃气锅炉实施低氮燃烧改造。",
            fuel="coal",
            boiler_t_per_h_below=35,
        ),
        _d(
            DISCHARGE,
            REQUIRE,
            "新建、改建、扩建涉重金属重点行业建设项目，严格遵循重点重金属污染物排放“等量置换”或“减量替代”原则，替代来源应明确、可核查。",
            ("09", "321", "3360", "1910", "3843"),
            pollutants=["heavy_metals"],
            offset_ratio=1,
            new_or_expanded=True,
        ),
        _d(
            DISCHARGE,
            REQUIRE,
            "鄱阳湖及其入湖河流汇水范围内新建、扩建排放总磷、氨氮的建设项目，实行总磷、氨氮排放等量或倍量削减替代，环湖区域实施总磷污染物总量控制。",
            pollutants=["TP", "NH3-N"],
            offset_ratio=1,
            lakes=["鄱阳湖"],
            new_or_expanded=True,
        ),
        _d(
            DISCHARGE,
            REQUIRE,
            f"城镇污水处理厂出水执行{_GB18918}一级A标准，工业园区应配套建设污水集中处理设施并实现稳定达标排放。",
            ("4620",),
        ),
        # ---- 环境风险防控
        _d(
            RISK,
            REQUIRE,
            "生产、储存、使用危险化学品或排放有毒有害污染物的企业事业单位，应编制突发环境事件应急预案并报生态环境部门备案，落实事故应急池等环境风险防范设施。",
            handles_hazardous_substances=True,
        ),
        _d(
            RISK,
            REQUIRE,
            "以沿河沿江化工园区为重点，实施“一园一方案”，落实地下水污染防渗、监测和管控措施，化工、医药企业周边开展土壤和地下水环境监测。",
            ("26", "27"),
        ),
        # 土壤污染防治法 arts. 59, 66: survey before a change of use; no unrelated works on unremediated land.
        _d(
            RISK,
            PROHIBIT,
            "用途变更为住宅、公共管理与公共服务用地的地块，应依法开展土壤污染状况调查；未达到土壤污染风险评估报告确定的风险管控、修复目标的地块，禁止开工建设任何与风险管控、修复无关的项目。",
            land_use_change_to=["residential", "public_service"],
        ),
        _d(
            RISK,
            REQUIRE,
            f"产生危险废物的单位应按规定分类贮存、依法转移和利用处置危险废物，贮存设施执行{_GB18597}，严格执行危险废物转移联单制度。",
            produces_hazardous_waste=True,
        ),
        # 危险化学品安全管理条例 art. 54: no toxic chemicals by inland waterway.
        _d(
            RISK,
            PROHIBIT,
            "禁止通过赣江、抚河等内河运输剧毒化学品以及国家规定禁止通过内河运输的其他危险化学品，严厉打击油污水、化学品洗舱水非法排放。",
            ("55",),
            rivers=rivers,
        ),
        # ---- 资源开发效率要求
        _d(
            RESOURCE,
            REQUIRE,
            "严格执行高耗能行业产能和能耗等量减量替代制度，新建“两高”项目单位产品能耗应达到国内先进水平，鼓励现有企业燃煤设施改用天然气或由周边电厂集中供热。",
            ("25", "26", "30", "31", "32", "4411"),
            new_or_expanded=True,
        ),
        # 大气污染防治法 art. 38: 高污染燃料禁燃区.
        _d(
            RESOURCE,
            PROHIBIT,
            "高污染燃料禁燃区内禁止销售、燃用高污染燃料，禁止新建、扩建燃用高污染燃料的设施，已建成的应在规定期限内改用天然气、电等清洁能源（《中华人民共和国大气污染防治法》第三十八条）。",
            fuel="high_pollution_fuel",
            zone="高污染燃料禁燃区",
        ),
        _d(
            RESOURCE,
            REQUIRE,
            "落实用水总量和强度双控，新建、扩建高耗水项目用水效率应达到国内先进水平，工业园区推进废水循环利用和再生水利用。",
            ("17", "22", "25", "26"),
            new_or_expanded=True,
        ),
        _d(
            RESOURCE,
            RESTRICT,
            "严格河道采砂管理，赣江、抚河、潦河及鄱阳湖禁采区内禁止采砂，可采区实行总量控制和采砂许可管理。",
            ("101",),
            zone="河道采砂禁采区",
            rivers=rivers,
            lakes=["鄱阳湖"],
        ),
        _d(
            RESOURCE,
            REQUIRE,
            "工业项目用地应符合投资强度、容积率等土地集约利用控制指标，优先利用园区存量用地和闲置厂房。",
            ("C",),
        ),
    ]


def general_requirements() -> list[dict[str, Any]]:
    """The city-wide 总体准入要求: clauses with ``unit_code`` null that apply to every unit.

    Four dimensions, numbered 1..n within each; keys as in ``FORMAT.md`` (``access_rules.json``).
    """
    return _number(_general_drafts(), None)


# ------------------------------------------------------------------------------ unit lists


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


# ---- tag clauses shared by every class -------------------------------------------------------------


def _water_source_drafts() -> list[_Draft]:
    # 水污染防治法 arts. 64–67 and 《饮用水水源保护区污染防治管理规定》.
    return [
        _d(
            SPATIAL,
            PROHIBIT,
            "饮用水水源一级保护区内禁止新建、改建、扩建与供水设施和保护水源无关的建设项目，禁止从事网箱养殖、旅游、游泳、垂钓或者其他可能污染饮用水水体的活动（《中华人民共和国水污染防治法》第六十五条）。",
            protection_grades=["I"],
        ),
        _d(
            SPATIAL,
            PROHIBIT,
            "饮用水水源二级保护区内禁止新建、改建、扩建排放污染物的建设项目（《中华人民共和国水污染防治法》第六十六条）；准保护区内禁止新建、扩建对水体污染严重的建设项目，改建项目不得增加排污量（第六十七条）。",
            protection_grades=["II", "quasi"],
        ),
        _d(
            DISCHARGE,
            PROHIBIT,
            "饮用水水源保护区内禁止设置排污口，已设置的依法拆除或者关闭（《中华人民共和国水污染防治法》第六十四条）；禁止堆置和存放工业废渣、城市垃圾、粪便和其他废弃物（《饮用水水源保护区污染防治管理规定》）。",
            protection_grades=["I", "II", "quasi"],
        ),
        _d(
            RISK,
            REQUIRE,
            "排查水源保护区及上游汇水区风险源，穿越保护区的道路、桥梁设置防撞护栏、事故导流槽和应急池，禁止运输剧毒化学品的车辆、船舶进入一级保护区；编制饮用水水源地突发环境事件应急预案并定期演练。",
            protection_grades=["I", "II", "quasi"],
        ),
    ]


def _river_drafts(unit: Mapping[str, Any], *, industrial: bool) -> list[_Draft]:
    rivers = _rivers_of(unit)
    river_text = "、".join(rivers)
    drafts = [
        _d(
            SPATIAL,
            PROHIBIT,
            f"{river_text}岸线保护区内禁止新建、扩建与防洪、供水、航运和生态保护无关的建设项目，河道管理范围内禁止弃置、堆放阻碍行洪的物体和非法采砂。",
            ("101",),
            rivers=rivers,
            zone="岸线保护区",
        ),
        _d(
            RESOURCE,
            REQUIRE,
            f"保障{river_text}生态流量，严格取水许可管理，新增取水项目不得挤占河道生态用水。",
            rivers=rivers,
        ),
    ]
    if industrial:
        # 长江保护法 art. 26, applied to the unit's own river.
        drafts.append(
            _d(
                SPATIAL,
                PROHIBIT,
                f"本单元{river_text}岸线一公里范围内禁止新建、扩建化工项目，现有化工企业不得扩大产能并逐步搬迁入合规化工园区。",
                ("251", "252", "26"),
                distance_to_river_m=1000,
                rivers=rivers,
                new_or_expanded=True,
            )
        )
    return drafts


def _lake_drafts(name: str) -> list[_Draft]:
    lakes = _lakes_of(name)
    lake_text = "、".join(lakes) if lakes else "湖泊"
    drafts = [
        _d(
            SPATIAL,
            PROHIBIT,
            f"禁止围湖造田、围垦{lake_text}，禁止在湖泊保护范围内新建、扩建排放污染物的建设项目和设置入湖排污口。",
            lakes=lakes,
        ),
        _d(
            DISCHARGE,
            REQUIRE,
            f"实施{lake_text}入湖总磷、总氮负荷控制，环湖区域推进化肥农药减量和农村生活污水收集处理，禁止养殖尾水未经处理直接排入湖体。",
            ("01", "04"),
            pollutants=["TP", "TN"],
            lakes=lakes,
        ),
    ]
    if "鄱阳湖" in lakes:
        # 长江十年禁渔: Poyang Lake's protected waters are closed to fishing from 2021.
        drafts.append(
            _d(
                SPATIAL,
                PROHIBIT,
                "鄱阳湖禁捕水域实行常年禁捕，禁止一切天然渔业资源生产性捕捞。",
                ("042",),
                lakes=["鄱阳湖"],
            )
        )
    return drafts


# ---- priority protection units 优先保护单元 --------------------------------------------------------------


def _priority_drafts(unit: Mapping[str, Any], tags: set[str]) -> list[_Draft]:
    name = str(unit.get("name_zh") or "")
    drafts = [
        _d(
            SPATIAL,
            PROHIBIT,
            "执行优先保护单元管控要求，禁止新建、扩建工业项目和矿产资源开发项目，现有不符合管控要求的工业企业依法有序退出。",
            ("B", "C"),
            new_or_expanded=True,
        ),
        _d(
            DISCHARGE,
            REQUIRE,
            "单元内不得新增工业污染物排放，农村生活污水和生活垃圾应收集处理，生活污水处理设施出水执行江西省农村生活污水处理设施水污染物排放标准。",
        ),
        _d(
            RISK,
            PROHIBIT,
            "禁止在单元内新建危险化学品生产、储存设施和危险废物集中贮存、利用处置设施。",
            ("26", "7724"),
        ),
        _d(
            RESOURCE,
            REQUIRE,
            "严格控制开发强度，确保自然生态空间面积不减少、生态功能不降低、用地性质不改变。",
        ),
    ]
    if "redline" in tags:
        drafts.append(
            _d(
                SPATIAL,
                PROHIBIT,
                "单元涉及生态保护红线，红线内严格禁止开发性、生产性建设活动，仅允许国家重大项目、原住居民必要生产生活设施、科研监测和不破坏生态功能的适度生态旅游等有限人为活动。",
                in_redline=True,
            )
        )
    if "nature_reserve" in tags:
        # 自然保护区条例 arts. 26, 27, 32.
        drafts += [
            _d(
                SPATIAL,
                PROHIBIT,
                "自然保护区核心区和缓冲区内不得建设任何生产设施；实验区内不得建设污染环境、破坏资源或者景观的生产设施（《中华人民共和国自然保护区条例》第三十二条）。",
                reserve_zones=["core", "buffer", "experimental"],
            ),
            _d(
                SPATIAL,
                PROHIBIT,
                "禁止在自然保护区内进行砍伐、放牧、狩猎、捕捞、采药、开垦、烧荒、开矿、采石、挖沙等活动（《中华人民共和国自然保护区条例》第二十六条）。",
                ("024", "03", "042", "B"),
                reserve_zones=["core", "buffer", "experimental"],
            ),
            _d(
                RISK,
                REQUIRE,
                "加强保护区候鸟栖息地、珍稀濒危物种生境巡护监测，防范外来物种入侵和野生动物疫源疫病风险。",
                reserve_zones=["core", "buffer", "experimental"],
            ),
        ]
    if "water_source" in tags:
        drafts += _water_source_drafts()
    if "wetland" in tags:
        drafts += [
            # 湿地保护法: no reclamation, draining or filling of natural wetlands.
            _d(
                SPATIAL,
                PROHIBIT,
                "禁止开（围）垦、排干、填埋自然湿地，禁止擅自改变湿地用途和永久性截断湿地水源（《中华人民共和国湿地保护法》）。",
            ),
            _d(
                DISCHARGE,
                PROHIBIT,
                "禁止向湿地排放不符合排放标准的废水，禁止向湿地倾倒、堆放固体废物。",
            ),
            _d(
                RESOURCE,
                REQUIRE,
                "保障湿地生态用水，在枯水期优先满足候鸟栖息地和湿地植被的生态需水。",
            ),
        ]
    if "mountain_forest" in tags:
        hills = "梅岭等山地丘陵区" if "梅岭" in name else "山地丘陵区"
        drafts += [
            # 森林法 art. 39.
            _d(
                SPATIAL,
                PROHIBIT,
                f"{hills}禁止毁林开垦、采石、采砂、采土以及其他毁坏林木和林地的行为（《中华人民共和国森林法》第三十九条）。",
                ("101", "024"),
            ),
            _d(
                RISK,
                REQUIRE,
                "加强森林火灾防控和松材线虫病等林业有害生物防治，严控林区野外用火。",
            ),
            # 水土保持法 art. 20.
            _d(
                RESOURCE,
                PROHIBIT,
                "禁止在二十五度以上陡坡地开垦种植农作物，坡耕地逐步退耕还林（《中华人民共和国水土保持法》第二十条）。",
                ("01",),
                slope_deg_above=25,
            ),
        ]
    if "lake" in tags:
        drafts += _lake_drafts(name)
    if "river_corridor" in tags:
        drafts += _river_drafts(unit, industrial=False)
    return drafts


# ---- key control units 重点管控单元 -------------------------------------------------------------------


def _park_drafts(unit: Mapping[str, Any], tags: set[str]) -> list[_Draft]:
    park = _park_of(unit)
    themes = _themes_of(park)
    chemical = "chemical_park" in tags
    lead_codes = _unique(code for theme in themes for code in theme.codes)
    lead_text = "、".join(theme.label_zh for theme in themes)
    drafts = [
        _d(
            SPATIAL,
            REQUIRE,
            f"{park}重点发展{lead_text}等主导产业，新引进项目应符合园区产业定位、规划环评结论及审查意见要求。",
            lead_codes,
            park=park,
            positioning="lead_industry",
        ),
        _d(
            SPATIAL,
            PROHIBIT,
            "禁止新建炼油、炼焦、钢铁、水泥熟料、平板玻璃、电解铝等高耗能、高排放项目。",
            _HIGH_ENERGY,
            new_or_expanded=True,
        ),
        _d(
            DISCHARGE,
            REQUIRE,
            "新建、改建、扩建涉VOCs排放项目实行区域内VOCs排放倍量削减替代。",
            pollutants=["VOCs"],
            offset_ratio=2,
        ),
        _d(
            DISCHARGE,
            REQUIRE,
            "新增氮氧化物排放的项目实行区域内等量削减替代，园区工业炉窑优先使用天然气、电等清洁能源。",
            pollutants=["NOx"],
            offset_ratio=1,
        ),
        _d(
            DISCHARGE,
            REQUIRE,
            f"园区企业生产废水经预处理达到接管标准后纳入园区污水集中处理设施，集中处理设施出水执行{_GB18918}一级A及以上标准，园区内企业不得自设入河排污口。",
            ("C",),
        ),
        _d(
            RISK,
            REQUIRE,
            "园区编制突发环境事件应急预案并定期演练，建立“企业—园区—水体”三级环境风险防控体系，配套建设事故应急池和雨水排口截断设施。",
            park=park,
        ),
        _d(
            RISK,
            REQUIRE,
            f"涉及有毒有害物质的生产装置、储罐区、危险废物贮存库和污水处理设施按{_HJ610}分区防渗，并设置地下水监控井。",
            handles_hazardous_substances=True,
        ),
        _d(
            RESOURCE,
            PROHIBIT,
            "园区实行集中供热，集中供热管网覆盖范围内禁止新建分散燃煤锅炉。",
            fuel="coal",
            zone="集中供热管网覆盖范围",
        ),
        _d(
            RESOURCE,
            REQUIRE,
            "新建项目单位产品能耗、水耗应达到国内同行业先进水平，园区推进企业间废水、余热和副产物循环利用。",
            new_or_expanded=True,
        ),
    ]
    drafts += [
        _d(DISCHARGE, REQUIRE, theme.discharge_zh, theme.discharge_codes, park=park) for theme in themes
    ]
    if chemical:
        drafts += [
            _d(
                SPATIAL,
                REQUIRE,
                f"{park}化工集中区新建化工项目须符合化工园区总体规划和产业定位，满足化工园区认定和安全、环保准入条件。",
                ("26",),
                park=park,
                new_or_expanded=True,
            ),
            _d(
                SPATIAL,
                PROHIBIT,
                "化工集中区内禁止新建、扩建农药原药、染料及染料中间体等高污染、高环境风险项目。",
                ("2631", "2645"),
                new_or_expanded=True,
            ),
            _d(
                SPATIAL,
                PROHIBIT,
                "化工集中区环境防护距离内不得新建居民住宅、学校、医院等环境敏感建筑。",
                ("47",),
                zone="化工集中区环境防护距离",
            ),
            _d(
                RISK,
                REQUIRE,
                "化工集中区建设有毒有害气体环境风险预警体系和地下水环境监测网络，对园区及周边土壤、地下水开展长期跟踪监测。",
                ("26",),
            ),
        ]
    else:
        drafts += [
            _d(
                SPATIAL,
                PROHIBIT,
                f"{park}不属于化工园区，禁止新建、扩建化工项目（为园区主导产业配套的专用化学品项目经论证后除外）。",
                ("26",),
                outside_chemical_park=True,
                new_or_expanded=True,
            ),
            _d(
                SPATIAL,
                RESTRICT,
                "限制引入制革、印染、化学制浆等高水污染项目；为主导产业配套的电镀、表面处理工序应集中布局，实行废水分质处理。",
                ("1910", "1713", "221", "3360"),
                new_or_expanded=True,
            ),
        ]
    return drafts


def _urban_drafts(name: str) -> list[_Draft]:
    place = name or "本单元"
    return [
        _d(
            SPATIAL,
            PROHIBIT,
            "禁止新建、扩建石化、化工、钢铁、有色金属冶炼、水泥、平板玻璃、制革、电镀等高污染工业项目，现有工业企业实施退城入园或转型升级。",
            ("25", "26", "31", "32", "3011", "3041", "1910", "3360"),
            area="urban_built_up",
            new_or_expanded=True,
        ),
        # 大气污染防治法 art. 81.
        _d(
            SPATIAL,
            PROHIBIT,
            "禁止在居民住宅楼、未配套设立专用烟道的商住综合楼以及商住综合楼内与居住层相邻的商业楼层内新建、改建、扩建产生油烟、异味、废气的餐饮服务项目（《中华人民共和国大气污染防治法》第八十一条）。",
            ("62",),
        ),
        _d(
            DISCHARGE,
            REQUIRE,
            "新建、改建、扩建涉VOCs排放项目实行VOCs排放倍量削减替代，新增氮氧化物排放实行倍量削减替代。",
            pollutants=["VOCs", "NOx"],
            offset_ratio=2,
        ),
        _d(
            DISCHARGE,
            REQUIRE,
            "营业面积100平方米以上的餐饮经营场所安装高效油烟净化设施并保持正常运行，城市建成区依法禁止露天烧烤。",
            ("62",),
            area="urban_built_up",
        ),
        _d(
            DISCHARGE,
            REQUIRE,
            "施工工地落实围挡、覆盖、路面硬化、冲洗、湿法作业和渣土车密闭运输等扬尘防治措施，5000平方米以上施工工地安装视频在线监控设施并与主管部门联网。",
            ("E",),
        ),
        _d(
            RISK,
            REQUIRE,
            "加油站、储油库落实油气回收和地下油罐双层罐或防渗池改造，纳入突发环境事件风险源管理。",
            ("5265",),
        ),
        _d(
            RISK,
            REQUIRE,
            f"{place}内退出工业企业原址再开发前依法开展土壤污染状况调查和风险评估，达到相应用地标准后方可开发利用。",
        ),
        _d(
            RESOURCE,
            PROHIBIT,
            "城市建成区全域为高污染燃料禁燃区，禁止燃用煤炭及其制品、重油、渣油等高污染燃料。",
            fuel="high_pollution_fuel",
            area="urban_built_up",
        ),
        _d(
            RESOURCE,
            REQUIRE,
            "推进海绵城市建设和雨污分流改造，园林绿化、道路清扫等优先使用再生水。",
        ),
    ]


def _town_drafts() -> list[_Draft]:
    return [
        _d(
            SPATIAL,
            RESTRICT,
            "城镇开发边界内不再新建排放有毒有害污染物的工业项目，工业项目向县（区）工业园区集中；居住区与工业用地之间设置绿化隔离带。",
            ("C",),
            new_or_expanded=True,
        ),
        _d(
            DISCHARGE,
            REQUIRE,
            "加快城镇污水管网建设和雨污分流改造，乡镇污水处理设施稳定运行、达标排放。",
            ("4620",),
        ),
        _d(
            RISK,
            REQUIRE,
            "城镇集中式饮用水水源地、加油站等风险源落实风险防范措施，乡镇建立突发环境事件应急处置机制。",
        ),
        _d(
            RESOURCE,
            REQUIRE,
            "城镇建成区推广天然气、电等清洁能源，逐步淘汰每小时10蒸吨以下燃煤锅炉。",
            fuel="coal",
            boiler_t_per_h_below=10,
        ),
    ]


def _key_drafts(unit: Mapping[str, Any], tags: set[str]) -> list[_Draft]:
    name = str(unit.get("name_zh") or "")
    industrial = bool(tags & {"industrial_park", "chemical_park"})
    drafts: list[_Draft] = []
    if industrial:
        drafts += _park_drafts(unit, tags)
    if "urban_core" in tags:
        drafts += _urban_drafts(name)
    if not industrial and "urban_core" not in tags:
        drafts += _town_drafts()
    if "water_source" in tags:
        drafts += _water_source_drafts()
    if "river_corridor" in tags:
        drafts += _river_drafts(unit, industrial=industrial)
    if "lake" in tags:
        drafts += _lake_drafts(name)
    if "redline" in tags:
        drafts.append(
            _d(
                SPATIAL,
                PROHIBIT,
                "单元内涉及的生态保护红线区域按优先保护单元要求管理，禁止开发性、生产性建设活动。",
                in_redline=True,
            )
        )
    return drafts


# ---- general control units 一般管控单元 ---------------------------------------------------------------


def _general_unit_drafts(unit: Mapping[str, Any], tags: set[str]) -> list[_Draft]:
    name = str(unit.get("name_zh") or "")
    drafts = [
        _d(
            SPATIAL,
            REQUIRE,
            "执行南昌市总体准入要求中的空间布局约束；单元内新建工业项目应进入县（区）工业园区或乡镇工业集聚区。",
            ("C",),
            refer="general_requirements",
            new_or_expanded=True,
        ),
        _d(
            DISCHARGE,
            REQUIRE,
            "执行南昌市总体准入要求中的污染物排放管控要求；推进农村生活污水和生活垃圾治理，提高农村生活污水收集处理率。",
            refer="general_requirements",
        ),
        _d(
            RISK,
            REQUIRE,
            "执行南昌市总体准入要求中的环境风险防控要求；加强农用地土壤环境保护，防范工矿企业污染周边农用地。",
            refer="general_requirements",
        ),
        _d(
            RESOURCE,
            REQUIRE,
            "执行南昌市总体准入要求中的资源开发效率要求；落实用水、用地和能源消耗总量与强度控制。",
            refer="general_requirements",
        ),
    ]
    if "farmland" in tags:
        drafts += [
            # 基本农田保护条例 art. 17.
            _d(
                SPATIAL,
                PROHIBIT,
                "禁止占用永久基本农田建窑、建房、建坟、挖砂、采石、采矿、取土、堆放固体废弃物或者进行其他破坏基本农田的活动（《基本农田保护条例》第十七条）。",
                ("B", "3031"),
            ),
            # 畜禽规模养殖污染防治条例 art. 11.
            _d(
                SPATIAL,
                PROHIBIT,
                "畜禽养殖禁养区内禁止建设畜禽养殖场、养殖小区；限养区内严格控制养殖规模，不得新建、扩建规模化生猪养殖场（《畜禽规模养殖污染防治条例》第十一条）。",
                ("031", "032", "0313"),
                zone="畜禽养殖禁养区",
            ),
            # 畜禽规模养殖污染防治条例 art. 13.
            _d(
                DISCHARGE,
                REQUIRE,
                "规模化畜禽养殖场（小区）应配套建设粪便污水贮存、处理、利用设施，实行雨污分流和粪污资源化利用（《畜禽规模养殖污染防治条例》第十三条）。",
                ("031", "032"),
            ),
            _d(
                DISCHARGE,
                REQUIRE,
                "控制农业面源污染，推进化肥农药减量增效、秸秆综合利用和农田退水生态沟渠净化，水产养殖尾水处理后达标排放或循环利用。",
                ("01", "0412"),
            ),
            _d(
                RISK,
                RESTRICT,
                "受污染耕地实施分类管理，安全利用类耕地采取农艺调控、替代种植等措施，严格管控类耕地禁止种植食用农产品（《中华人民共和国土壤污染防治法》）。",
                ("01",),
            ),
            _d(
                RISK,
                REQUIRE,
                "推广高效低风险农药，开展农药包装废弃物和废旧农膜回收处置。",
                ("01",),
            ),
            _d(
                RESOURCE,
                REQUIRE,
                "落实耕地保护制度，推进高标准农田建设和节水灌溉，提高农田灌溉水有效利用系数。",
                ("01",),
            ),
        ]
    if "town" in tags:
        drafts += _town_drafts()
    if "water_source" in tags:
        drafts += _water_source_drafts()
    if "river_corridor" in tags:
        drafts += _river_drafts(unit, industrial=False)
    if "lake" in tags:
        drafts += _lake_drafts(name)
    if "mountain_forest" in tags:
        drafts.append(
            _d(
                RESOURCE,
                PROHIBIT,
                "禁止在二十五度以上陡坡地开垦种植农作物，林地内禁止采石、采砂、取土（《中华人民共和国水土保持法》第二十条）。",
                ("01", "101"),
                slope_deg_above=25,
            )
        )
    return drafts


def unit_rules(unit: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The access list of one control unit, from its class and tags.

    ``unit`` carries the unit's properties ``{code, name_zh, class, division_code, tags}``. Priority
    units forbid industrial development and add red-line, nature-reserve, water-source, wetland,
    forest, lake and river clauses as tagged; key units carry their park's industry positioning,
    emission offsets and risk rules (industrial parks, chemical parks) or urban-core controls; general
    units refer to the city-wide requirements plus farmland, livestock and non-point-source clauses.
    Every unit gets at least one clause in each of the four dimensions, numbered 1..n per dimension.
    Raises ``ValueError`` for an unknown class.
    """
    control_class = ControlClass(unit["class"])
    tags = {str(tag) for tag in unit.get("tags") or ()}
    if control_class is ControlClass.PRIORITY:
        drafts = _priority_drafts(unit, tags)
    elif control_class is ControlClass.KEY:
        drafts = _key_drafts(unit, tags)
    else:
        drafts = _general_unit_drafts(unit, tags)
    return _number(drafts, str(unit["code"]))
