"""Priority protection units 优先保护单元: no industrial development; red line, reserves, wetlands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geodata.nanchang.rules.drafts import DISCHARGE, PROHIBIT, REQUIRE, RESOURCE, RISK, SPATIAL, _d, _Draft
from geodata.nanchang.rules.water import _lake_drafts, _river_drafts, _water_source_drafts


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
        drafts += _forest_drafts(name)
    if "lake" in tags:
        drafts += _lake_drafts(name)
    if "river_corridor" in tags:
        drafts += _river_drafts(unit, industrial=False)
    return drafts


def _forest_drafts(name: str) -> list[_Draft]:
    """山地丘陵 forests: 森林法 art. 39, fire and pests, 水土保持法 art. 20."""
    hills = "梅岭等山地丘陵区" if "梅岭" in name else "山地丘陵区"
    return [
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
