"""The project classes the statutes name, as GB/T 4754-2017 code sets, reviewed class by class.

A set holds sections, divisions, groups or classes; a code covers everything under it
(``zoning.industry``). Each code carries its standard name and why it belongs; "judgement" marks a
class where the law's words (排放污染物, 对水体污染严重, 污染环境、破坏资源或者景观的生产设施) do not
decide by themselves and the screening takes a side a reviewer can overrule.
"""

from __future__ import annotations

WATER_SUPPLY: frozenset[str] = frozenset(
    {
        "4610",  # 自来水生产和供应: waterworks and intakes, the "供水设施" of 水污染防治法 art. 65.
        "4821",  # 水源及供水设施工程建筑: building the intake and supply works themselves.
        # NOT 4620 污水处理及其再生利用: sewage treatment is unrelated to supply in art. 65's sense.
        # NOT 4690 其他水的处理、利用与分配 (judgement): industrial water reuse is no public supply.
    }
)
"""Projects related to water-supply facilities (水污染防治法 art. 65 "与供水设施…有关")."""

SOURCE_PROTECTION: frozenset[str] = frozenset(
    {
        "7620",  # 水资源管理: managing the source itself.
        "7640",  # 水文服务: hydrological gauging of the source.
        "7461",  # 环境保护监测: water-quality monitoring stations of the source.
        "7711",  # 自然生态系统保护管理: conservation works (protective forest, wetland) of the source.
        "4863",  # 生态保护工程施工: building those conservation works (judgement: only when for the source).
    }
)
"""Projects for protecting the water source (art. 65 "与…保护水源有关")."""

DISCHARGING: frozenset[str] = frozenset(
    {
        "031",  # 牲畜饲养: manure and wastewater.
        "032",  # 家禽饲养: manure and wastewater.
        "B",  # 采矿业: mine water, tailings, dust — every class.
        "C",  # 制造业: process wastewater or emissions (judgement for dry assembly classes, whose only
        # discharge may be domestic sewage: art. 66 forbids projects that discharge any pollutant).
        "4411",  # 火力发电: flue gas, cooling and ash water.
        "4412",  # 热电联产: as 4411.
        "4414",  # 核力发电: radioactive effluent.
        "4417",  # 生物质能发电: flue gas and leachate.
        "4419",  # 其他电力生产 (judgement: e.g. waste-to-energy).
        "4430",  # 热力生产和供应: boiler flue gas.
        "4513",  # 煤气生产和供应业: coal-gas works discharge phenolic wastewater.
        "4520",  # 生物质燃气生产和供应业: digester effluent.
        "4620",  # 污水处理及其再生利用: effluent — an outfall by purpose.
        "4630",  # 海水淡化处理: brine.
        "5265",  # 机动车燃油零售: filling stations, VOCs and oily runoff (judgement).
        "62",  # 餐饮业: oily wastewater and cooking fumes (judgement: connected to a sewer they still discharge).
        "772",  # 环境治理业: treatment plants discharge what they treat (7721–7729).
        "7820",  # 环境卫生管理: landfills and transfer stations, leachate.
        "8030",  # 洗染服务: dry-cleaning solvents, detergent wastewater.
        "841",  # 医院: medical wastewater.
        # NOT 041 水产养殖: art. 66 para 2 admits cage culture in grade II with measures (a statutes row).
        # NOT 01 农业 (judgement): cropping is non-point runoff, not a construction project's discharge.
        # NOT 61 住宿业 (judgement): domestic sewage only; art. 66 is read as industrial-type discharge.
        # NOT 4420 电力供应, 4511 天然气生产和供应业 (distribution networks discharge nothing).
    }
)
"""Projects that discharge pollutants (水污染防治法 art. 66)."""

SERIOUSLY_POLLUTING: frozenset[str] = frozenset(
    {
        "031",  # 牲畜饲养: scale livestock farms — high-strength manure wastewater.
        "032",  # 家禽饲养: as 031.
        "06",  # 煤炭开采和洗选业: acid mine water.
        "07",  # 石油和天然气开采业.
        "08",  # 黑色金属矿采选业.
        "09",  # 有色金属矿采选业, including 0932 稀土金属矿采选 (in-situ leaching, ammonia nitrogen).
        "101",  # 土砂石开采 (judgement: turbidity; sand dredging in the source river).
        "133",  # 植物油加工: high-COD wastewater.
        "134",  # 制糖业: high-COD wastewater.
        "135",  # 屠宰及肉类加工: blood and fat wastewater.
        "136",  # 水产品加工.
        "1391",  # 淀粉及淀粉制品制造: high-COD wastewater.
        "146",  # 调味品、发酵制品制造 (e.g. 1461 味精).
        "151",  # 酒的制造: distillery and brewery wastewater.
        "1713",  # 棉印染精加工: dyeing.
        "1723",  # 毛染整精加工.
        "1733",  # 麻染整精加工.
        "1743",  # 丝印染精加工.
        "1752",  # 化纤织物染整精加工.
        "1762",  # 针织或钩针编织物印染精加工.
        "1910",  # 皮革鞣制加工: chromium.
        "1931",  # 毛皮鞣制加工: chromium.
        "221",  # 纸浆制造.
        "222",  # 造纸 (judgement: paper from purchased pulp still carries high-COD white water).
        "25",  # 石油、煤炭及其他燃料加工业.
        "26",  # 化学原料和化学制品制造业 (judgement: the whole division; 268 日用化学品 discharges less).
        "271",  # 化学药品原料药制造.
        "276",  # 生物药品制品制造: fermentation wastewater.
        "28",  # 化学纤维制造业: viscose and synthetic fibre.
        "31",  # 黑色金属冶炼和压延加工业.
        "32",  # 有色金属冶炼和压延加工业: heavy metals.
        "3360",  # 金属表面处理及热处理加工: electroplating.
        "3843",  # 铅蓄电池制造: lead.
        "3982",  # 电子电路制造: copper, nickel, cyanide (judgement).
        "7723",  # 固体废物治理: landfill leachate.
        "7724",  # 危险废物治理.
        "7725",  # 放射性废物治理.
        "7820",  # 环境卫生管理: landfills.
        # NOT 4620 污水处理 (judgement): a treatment plant reduces pollution; its outfall meets art. 64.
    }
)
"""Projects that seriously pollute water bodies (水污染防治法 art. 67)."""

POLLUTING_FACILITIES: frozenset[str] = frozenset(
    {
        "B",  # 采矿业: destroys resources and landscape.
        "C",  # 制造业 (judgement: every factory is a production facility that pollutes or scars the landscape).
        "441",  # 电力生产: plants, dams, wind and solar farms change the landscape (judgement for 4415/4416).
        "4430",  # 热力生产和供应.
        "45",  # 燃气生产和供应业 (judgement: gas works; a distribution pipe alone is 4852 工程).
        "772",  # 环境治理业.
        "7820",  # 环境卫生管理.
        "031",  # 牲畜饲养 (scale farms).
        "032",  # 家禽饲养.
    }
)
"""Production facilities that pollute or damage resources or landscape (自然保护区条例 art. 32)."""

RESEARCH_MONITORING: frozenset[str] = frozenset(
    {
        "73",  # 研究和试验发展.
        "746",  # 环境与生态监测: 7461 环境保护监测, 7462 生态资源监测, 7463 野生动物疫源疫病防控监测.
        "744",  # 测绘地理信息服务.
        "7640",  # 水文服务.
        "7711",  # 自然生态系统保护管理: patrol and protection (管护巡护).
        "7713",  # 野生动物保护.
        "7714",  # 野生植物保护.
    }
)
"""142号 一、（一）1: patrol, enforcement, research, survey and monitoring; 自然保护区条例 art. 18 research."""

RESIDENT_FARMING: frozenset[str] = frozenset(
    {
        "01",  # 农业: planting.
        "03",  # 畜牧业: grazing and husbandry.
        "041",  # 水产养殖: aquaculture.
        "042",  # 水产捕捞: fishing.
    }
)
"""142号 一、（一）2: residents' planting, grazing, fishing and aquaculture, scale not enlarged."""

HERITAGE: frozenset[str] = frozenset({"8840"})  # 文物及非物质文化遗产保护 — 142号 一、（一）3.

FOREST_TENDING: frozenset[str] = frozenset(
    {
        "022",  # 造林和更新.
        "023",  # 森林经营、管护和改培.
        "0242",  # 竹材采运: bamboo harvesting (item 4 "竹林采伐经营").
    }
)
"""142号 一、（一）4: tending of plantation forests, tree-species renewal, bamboo harvesting."""

TOURISM: frozenset[str] = frozenset(
    {
        "786",  # 游览景区管理: 7861 名胜风景区管理, 7862 森林公园管理, 7869 其他游览景区管理.
        "7850",  # 城市公园管理.
        "7716",  # 植物园管理服务 (judgement: a garden with visitor facilities).
    }
)
"""142号 一、（一）5 moderate sightseeing and nature education; 自然保护区条例 arts. 18/29 tourism."""

LINEAR_INFRASTRUCTURE: frozenset[str] = frozenset(
    {
        "481",  # 铁路、道路、隧道和桥梁工程建筑.
        "4821",  # 水源及供水设施工程建筑: water-supply facilities.
        "4822",  # 河湖治理及防洪设施工程建筑: flood-control facilities.
        "4823",  # 港口及航运设施工程建筑 (judgement: shipping and waterway works of item 6).
        "485",  # 架线和管道工程建筑: power lines, pipelines, utility tunnels.
        "4420",  # 电力供应: transmission lines.
        "4610",  # 自来水生产和供应: water-supply facilities.
        "57",  # 管道运输业.
        "631",  # 电信: communications.
        "5443",  # 公路管理与养护: upkeep of existing roads.
        "7610",  # 防洪除涝设施管理: flood-control works.
    }
)
"""142号 一、（一）6: linear infrastructure, communications, flood-control and water-supply facilities."""

GEOLOGICAL_SURVEY: frozenset[str] = frozenset({"747"})  # 地质勘查 — 142号 一、（一）7.

RESTORATION: frozenset[str] = frozenset(
    {
        "4863",  # 生态保护工程施工.
        "7726",  # 土壤污染治理与修复服务 (judgement: restoration of a polluted patch).
        "7719",  # 其他自然保护.
    }
)
"""142号 一、（一）8: ecological restoration under the spatial and restoration plans."""

RESERVE_BANNED_ACTIVITIES: frozenset[str] = frozenset(
    {
        "024",  # 木材和竹材采运: 砍伐.
        "025",  # 林产品采集: 采药 (judgement: non-wood forest products include herbs).
        "03",  # 畜牧业: 放牧 (judgement: stall-fed husbandry is a production facility under art. 32 anyway).
        "0330",  # 狩猎和捕捉动物: 狩猎.
        "042",  # 水产捕捞: 捕捞.
        "B",  # 采矿业: 开矿、采石、挖沙.
    }
)
"""自然保护区条例 art. 26: logging, grazing, hunting, fishing, herb gathering, mining, quarrying, sand."""
