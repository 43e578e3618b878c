"""Key control units 重点管控单元: industrial and chemical parks, urban cores, towns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geodata.nanchang.rules.drafts import (
    _GB18918,
    _HIGH_ENERGY,
    _HJ610,
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
from geodata.nanchang.rules.themes import _park_of, _themes_of, _unique
from geodata.nanchang.rules.water import _lake_drafts, _river_drafts, _water_source_drafts


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
    drafts += _park_chemistry_drafts(park, chemical)
    return drafts


def _park_chemistry_drafts(park: str, chemical: bool) -> list[_Draft]:
    """Chemicals in a park: a recognised chemical park's own rules, or no chemical projects outside one."""
    if chemical:
        return [
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
    return [
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
