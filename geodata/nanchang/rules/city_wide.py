"""The city-wide 总体准入要求 of Nanchang (``unit_code`` null), in the four dimensions."""

from __future__ import annotations

from typing import Any

from geodata.nanchang.rules.drafts import (
    _GB18597,
    _GB18918,
    _HIGH_ENERGY,
    _RIVERS,
    DISCHARGE,
    PROHIBIT,
    REQUIRE,
    RESOURCE,
    RESTRICT,
    RISK,
    SPATIAL,
    _d,
    _Draft,
    _number,
)


def _spatial_drafts(rivers: list[str]) -> list[_Draft]:
    """总体准入要求 — 空间布局约束."""
    return [
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
    ]


def _discharge_drafts() -> list[_Draft]:
    """总体准入要求 — 污染物排放管控."""
    return [
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
    ]


def _risk_drafts(rivers: list[str]) -> list[_Draft]:
    """总体准入要求 — 环境风险防控."""
    return [
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
        # 《危险化学品安全管理条例》第五十四条: "禁止通过内河封闭水域运输剧毒化学品以及国家规定禁止
        # 通过内河运输的其他危险化学品。" The clause forbids carrying those chemicals on the rivers,
        # not shipping as such: the industry is GB/T 4754-2017 5523 内河货物运输 (not division 55,
        # which takes in passenger ships and ferries), and only a carrier of hazardous chemicals is
        # concerned (handles_hazardous_substances; an undeclared attribute leaves it conditional).
        _d(
            RISK,
            PROHIBIT,
            "禁止通过赣江、抚河等内河运输剧毒化学品以及国家规定禁止通过内河运输的其他危险化学品，严厉打击油污水、化学品洗舱水非法排放。",
            ("5523",),
            rivers=rivers,
            handles_hazardous_substances=True,
        ),
    ]


def _resource_drafts(rivers: list[str]) -> list[_Draft]:
    """总体准入要求 — 资源开发效率要求."""
    return [
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


def _general_drafts() -> list[_Draft]:
    rivers = list(_RIVERS)
    return [
        *_spatial_drafts(rivers),
        *_discharge_drafts(),
        *_risk_drafts(rivers),
        *_resource_drafts(rivers),
    ]


def general_requirements() -> list[dict[str, Any]]:
    """The city-wide 总体准入要求: clauses with ``unit_code`` null that apply to every unit.

    Four dimensions, numbered 1..n within each; keys as in ``FORMAT.md`` (``access_rules.json``).
    """
    return _number(_general_drafts(), None)
