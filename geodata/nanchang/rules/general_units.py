"""General control units 一般管控单元: the city-wide list plus farmland, livestock, non-point sources."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geodata.nanchang.rules.drafts import (
    DISCHARGE,
    PROHIBIT,
    REQUIRE,
    RESOURCE,
    RESTRICT,
    RISK,
    SPATIAL,
    _d,
    _Draft,
)
from geodata.nanchang.rules.key_units import _town_drafts
from geodata.nanchang.rules.water import _lake_drafts, _river_drafts, _water_source_drafts


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
