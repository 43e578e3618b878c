"""Tag clauses shared by every class: drinking-water sources, rivers and lakes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geodata.nanchang.rules.drafts import DISCHARGE, PROHIBIT, REQUIRE, RESOURCE, RISK, SPATIAL, _d, _Draft
from geodata.nanchang.rules.themes import _lakes_of, _rivers_of


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
