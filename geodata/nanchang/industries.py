"""The GB/T 4754-2017 国民经济行业分类 catalogue, as data.

GB/T 4754-2017 (with its 2019 amendment 第1号修改单, which changed no section or division) has four
levels: 20 sections 门类 (A–T), 97 divisions 大类 (01–97), 473 groups 中类 (3 digits) and 1,380-odd
classes 小类 (4 digits). A group code starts with its division code and a class code with its group
code; a division belongs to the section whose range holds it (e.g. C = 13–43).

``CATALOGUE`` holds every section and every division with its official Chinese name, and the groups and
classes that the access rules in :mod:`geodata.nanchang.rules` name — not the whole of the lower two
levels. A finer code that is well formed but not listed still *belongs* to its division:
:func:`section_of` and :func:`covers` work on the code itself, and :func:`nearest` finds the most specific
listed entry above it.

English names follow the usage of the China Statistical Yearbook; the standard has no official English.
"""

from __future__ import annotations

import re
from typing import Final

_Row = tuple[str, str, str]  # (code, name_zh, name_en)

# --- Sections 门类 with their division ranges (GB/T 4754-2017 表1, "本门类包括……大类") -------------
_SECTIONS: Final[tuple[tuple[str, str, str, int, int], ...]] = (
    ("A", "农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery", 1, 5),
    ("B", "采矿业", "Mining", 6, 12),
    ("C", "制造业", "Manufacturing", 13, 43),
    (
        "D",
        "电力、热力、燃气及水生产和供应业",
        "Production and supply of electricity, heat, gas and water",
        44,
        46,
    ),
    ("E", "建筑业", "Construction", 47, 50),
    ("F", "批发和零售业", "Wholesale and retail trade", 51, 52),
    ("G", "交通运输、仓储和邮政业", "Transport, storage and postal services", 53, 60),
    ("H", "住宿和餐饮业", "Accommodation and catering", 61, 62),
    (
        "I",
        "信息传输、软件和信息技术服务业",
        "Information transmission, software and information technology",
        63,
        65,
    ),
    ("J", "金融业", "Finance", 66, 69),
    ("K", "房地产业", "Real estate", 70, 70),
    ("L", "租赁和商务服务业", "Leasing and business services", 71, 72),
    ("M", "科学研究和技术服务业", "Scientific research and technical services", 73, 75),
    (
        "N",
        "水利、环境和公共设施管理业",
        "Management of water conservancy, environment and public facilities",
        76,
        79,
    ),
    ("O", "居民服务、修理和其他服务业", "Resident services, repair and other services", 80, 82),
    ("P", "教育", "Education", 83, 83),
    ("Q", "卫生和社会工作", "Health and social work", 84, 85),
    ("R", "文化、体育和娱乐业", "Culture, sports and entertainment", 86, 90),
    (
        "S",
        "公共管理、社会保障和社会组织",
        "Public management, social security and social organizations",
        91,
        96,
    ),
    ("T", "国际组织", "International organizations", 97, 97),
)

# --- Divisions 大类, 01–97, all present --------------------------------------------------------------
_DIVISIONS: Final[tuple[_Row, ...]] = (
    ("01", "农业", "Agriculture"),
    ("02", "林业", "Forestry"),
    ("03", "畜牧业", "Animal husbandry"),
    ("04", "渔业", "Fishery"),
    (
        "05",
        "农、林、牧、渔专业及辅助性活动",
        "Professional and support activities for agriculture, forestry, animal husbandry and fishery",
    ),
    ("06", "煤炭开采和洗选业", "Mining and washing of coal"),
    ("07", "石油和天然气开采业", "Extraction of petroleum and natural gas"),
    ("08", "黑色金属矿采选业", "Mining and processing of ferrous metal ores"),
    ("09", "有色金属矿采选业", "Mining and processing of non-ferrous metal ores"),
    ("10", "非金属矿采选业", "Mining and processing of non-metal ores"),
    ("11", "开采专业及辅助性活动", "Professional and support activities for mining"),
    ("12", "其他采矿业", "Other mining"),
    ("13", "农副食品加工业", "Processing of food from agricultural products"),
    ("14", "食品制造业", "Manufacture of foods"),
    ("15", "酒、饮料和精制茶制造业", "Manufacture of liquor, beverages and refined tea"),
    ("16", "烟草制品业", "Manufacture of tobacco products"),
    ("17", "纺织业", "Manufacture of textiles"),
    ("18", "纺织服装、服饰业", "Manufacture of textile wearing apparel and accessories"),
    (
        "19",
        "皮革、毛皮、羽毛及其制品和制鞋业",
        "Manufacture of leather, fur, feather and related products and footwear",
    ),
    (
        "20",
        "木材加工和木、竹、藤、棕、草制品业",
        "Processing of timber and manufacture of wood, bamboo, rattan, palm and straw products",
    ),
    ("21", "家具制造业", "Manufacture of furniture"),
    ("22", "造纸和纸制品业", "Manufacture of paper and paper products"),
    ("23", "印刷和记录媒介复制业", "Printing and reproduction of recording media"),
    (
        "24",
        "文教、工美、体育和娱乐用品制造业",
        "Manufacture of articles for culture, education, arts and crafts, sport and entertainment",
    ),
    ("25", "石油、煤炭及其他燃料加工业", "Processing of petroleum, coal and other fuels"),
    ("26", "化学原料和化学制品制造业", "Manufacture of raw chemical materials and chemical products"),
    ("27", "医药制造业", "Manufacture of medicines"),
    ("28", "化学纤维制造业", "Manufacture of chemical fibres"),
    ("29", "橡胶和塑料制品业", "Manufacture of rubber and plastic products"),
    ("30", "非金属矿物制品业", "Manufacture of non-metallic mineral products"),
    ("31", "黑色金属冶炼和压延加工业", "Smelting and pressing of ferrous metals"),
    ("32", "有色金属冶炼和压延加工业", "Smelting and pressing of non-ferrous metals"),
    ("33", "金属制品业", "Manufacture of metal products"),
    ("34", "通用设备制造业", "Manufacture of general-purpose machinery"),
    ("35", "专用设备制造业", "Manufacture of special-purpose machinery"),
    ("36", "汽车制造业", "Manufacture of automobiles"),
    (
        "37",
        "铁路、船舶、航空航天和其他运输设备制造业",
        "Manufacture of railway, ship, aerospace and other transport equipment",
    ),
    ("38", "电气机械和器材制造业", "Manufacture of electrical machinery and apparatus"),
    (
        "39",
        "计算机、通信和其他电子设备制造业",
        "Manufacture of computers, communication and other electronic equipment",
    ),
    ("40", "仪器仪表制造业", "Manufacture of measuring instruments"),
    ("41", "其他制造业", "Other manufacturing"),
    ("42", "废弃资源综合利用业", "Comprehensive utilization of waste resources"),
    ("43", "金属制品、机械和设备修理业", "Repair of metal products, machinery and equipment"),
    ("44", "电力、热力生产和供应业", "Production and supply of electric power and heat"),
    ("45", "燃气生产和供应业", "Production and supply of gas"),
    ("46", "水的生产和供应业", "Production and supply of water"),
    ("47", "房屋建筑业", "Construction of buildings"),
    ("48", "土木工程建筑业", "Civil engineering"),
    ("49", "建筑安装业", "Construction installation"),
    ("50", "建筑装饰、装修和其他建筑业", "Building decoration, renovation and other construction"),
    ("51", "批发业", "Wholesale trade"),
    ("52", "零售业", "Retail trade"),
    ("53", "铁路运输业", "Rail transport"),
    ("54", "道路运输业", "Road transport"),
    ("55", "水上运输业", "Water transport"),
    ("56", "航空运输业", "Air transport"),
    ("57", "管道运输业", "Pipeline transport"),
    ("58", "多式联运和运输代理业", "Multimodal transport and transport agency"),
    ("59", "装卸搬运和仓储业", "Loading, unloading, handling and storage"),
    ("60", "邮政业", "Postal services"),
    ("61", "住宿业", "Accommodation"),
    ("62", "餐饮业", "Catering services"),
    (
        "63",
        "电信、广播电视和卫星传输服务",
        "Telecommunications, broadcasting and satellite transmission services",
    ),
    ("64", "互联网和相关服务", "Internet and related services"),
    ("65", "软件和信息技术服务业", "Software and information technology services"),
    ("66", "货币金融服务", "Monetary financial services"),
    ("67", "资本市场服务", "Capital market services"),
    ("68", "保险业", "Insurance"),
    ("69", "其他金融业", "Other financial activities"),
    ("70", "房地产业", "Real estate"),
    ("71", "租赁业", "Leasing"),
    ("72", "商务服务业", "Business services"),
    ("73", "研究和试验发展", "Research and experimental development"),
    ("74", "专业技术服务业", "Professional technical services"),
    ("75", "科技推广和应用服务业", "Technology promotion and application services"),
    ("76", "水利管理业", "Water conservancy management"),
    ("77", "生态保护和环境治理业", "Ecological protection and environmental governance"),
    ("78", "公共设施管理业", "Public facilities management"),
    ("79", "土地管理业", "Land management"),
    ("80", "居民服务业", "Resident services"),
    (
        "81",
        "机动车、电子产品和日用产品修理业",
        "Repair of motor vehicles, electronic products and household goods",
    ),
    ("82", "其他服务业", "Other services"),
    ("83", "教育", "Education"),
    ("84", "卫生", "Health"),
    ("85", "社会工作", "Social work"),
    ("86", "新闻和出版业", "News and publishing"),
    ("87", "广播、电视、电影和录音制作业", "Radio, television, film and sound recording production"),
    ("88", "文化艺术业", "Culture and arts"),
    ("89", "体育", "Sports"),
    ("90", "娱乐业", "Entertainment"),
    ("91", "中国共产党机关", "Organs of the Communist Party of China"),
    ("92", "国家机构", "State organs"),
    ("93", "人民政协、民主党派", "CPPCC and democratic parties"),
    ("94", "社会保障", "Social security"),
    (
        "95",
        "群众团体、社会团体和其他成员组织",
        "Mass organizations, social organizations and other membership organizations",
    ),
    (
        "96",
        "基层群众自治组织及其他组织",
        "Grassroots mass self-governing organizations and other organizations",
    ),
    ("97", "国际组织", "International organizations"),
)

# --- Groups 中类 and classes 小类 named by the access rules ------------------------------------------
# Where a group has a single class (e.g. 061 / 0610), GB/T 4754 gives both the same name; both are listed
# so every class has its group as parent.
_GROUPS: Final[tuple[_Row, ...]] = (
    ("024", "木材和竹材采运", "Logging and transport of timber and bamboo"),
    ("031", "牲畜饲养", "Livestock farming"),
    ("032", "家禽饲养", "Poultry farming"),
    ("041", "水产养殖", "Aquaculture"),
    ("042", "水产捕捞", "Fishing"),
    ("061", "烟煤和无烟煤开采洗选", "Mining and washing of bituminous coal and anthracite"),
    ("093", "稀有稀土金属矿采选", "Mining and processing of rare and rare-earth metal ores"),
    ("101", "土砂石开采", "Quarrying of stone, sand and clay"),
    ("135", "屠宰及肉类加工", "Slaughtering and meat processing"),
    ("171", "棉纺织及印染精加工", "Cotton textiles, printing and dyeing"),
    ("191", "皮革鞣制加工", "Tanning of leather"),
    ("221", "纸浆制造", "Manufacture of pulp"),
    ("231", "印刷", "Printing"),
    ("251", "精炼石油产品制造", "Manufacture of refined petroleum products"),
    ("252", "煤炭加工", "Coal processing"),
    ("261", "基础化学原料制造", "Manufacture of basic chemical raw materials"),
    ("262", "肥料制造", "Manufacture of fertilizers"),
    ("263", "农药制造", "Manufacture of pesticides"),
    ("264", "涂料、油墨、颜料及类似产品制造", "Manufacture of paints, inks, pigments and similar products"),
    ("265", "合成材料制造", "Manufacture of synthetic materials"),
    ("266", "专用化学产品制造", "Manufacture of special chemical products"),
    ("271", "化学药品原料药制造", "Manufacture of chemical active pharmaceutical ingredients"),
    ("272", "化学药品制剂制造", "Manufacture of chemical pharmaceutical preparations"),
    ("274", "中成药生产", "Manufacture of proprietary Chinese medicines"),
    ("276", "生物药品制品制造", "Manufacture of biological medicines"),
    ("301", "水泥、石灰和石膏制造", "Manufacture of cement, lime and gypsum"),
    ("303", "砖瓦、石材等建筑材料制造", "Manufacture of bricks, tiles, stone and other building materials"),
    ("304", "玻璃制造", "Manufacture of glass"),
    ("311", "炼铁", "Iron making"),
    ("312", "炼钢", "Steel making"),
    ("314", "铁合金冶炼", "Smelting of ferroalloys"),
    ("321", "常用有色金属冶炼", "Smelting of common non-ferrous metals"),
    ("323", "稀有稀土金属冶炼", "Smelting of rare and rare-earth metals"),
    ("325", "有色金属压延加工", "Rolling and pressing of non-ferrous metals"),
    ("336", "金属表面处理及热处理加工", "Metal surface treatment and heat treatment"),
    ("358", "医疗仪器设备及器械制造", "Manufacture of medical instruments and apparatus"),
    ("361", "汽车整车制造", "Manufacture of complete vehicles"),
    ("367", "汽车零部件及配件制造", "Manufacture of automobile parts and accessories"),
    ("374", "航空、航天器及设备制造", "Manufacture of aircraft, spacecraft and related equipment"),
    ("384", "电池制造", "Manufacture of batteries"),
    ("397", "电子器件制造", "Manufacture of electronic devices"),
    (
        "398",
        "电子元件及电子专用材料制造",
        "Manufacture of electronic components and special electronic materials",
    ),
    ("441", "电力生产", "Electric power generation"),
    ("443", "热力生产和供应", "Production and supply of heat"),
    ("462", "污水处理及其再生利用", "Sewage treatment and reuse"),
    (
        "526",
        "汽车、摩托车、零配件和燃料及其他动力销售",
        "Retail sale of motor vehicles, parts, fuel and other power",
    ),
    ("772", "环境治理业", "Environmental governance"),
)

_CLASSES: Final[tuple[_Row, ...]] = (
    ("0313", "猪的饲养", "Pig farming"),
    ("0412", "内陆养殖", "Inland aquaculture"),
    ("0610", "烟煤和无烟煤开采洗选", "Mining and washing of bituminous coal and anthracite"),
    ("0932", "稀土金属矿采选", "Mining and processing of rare-earth metal ores"),
    ("1011", "石灰石、石膏开采", "Quarrying of limestone and gypsum"),
    ("1019", "粘土及其他土砂石开采", "Quarrying of clay, sand and other stone"),
    ("1351", "牲畜屠宰", "Slaughtering of livestock"),
    ("1713", "棉印染精加工", "Printing and dyeing of cotton textiles"),
    ("1910", "皮革鞣制加工", "Tanning of leather"),
    ("2211", "木竹浆制造", "Manufacture of wood and bamboo pulp"),
    ("2212", "非木竹浆制造", "Manufacture of non-wood pulp"),
    ("2319", "包装装潢及其他印刷", "Packaging and other printing"),
    ("2511", "原油加工及石油制品制造", "Crude oil processing and manufacture of petroleum products"),
    ("2521", "炼焦", "Coking"),
    ("2611", "无机酸制造", "Manufacture of inorganic acids"),
    ("2612", "无机碱制造", "Manufacture of inorganic alkalis"),
    ("2613", "无机盐制造", "Manufacture of inorganic salts"),
    ("2614", "有机化学原料制造", "Manufacture of organic chemical raw materials"),
    ("2621", "氮肥制造", "Manufacture of nitrogen fertilizers"),
    ("2622", "磷肥制造", "Manufacture of phosphate fertilizers"),
    ("2631", "化学农药制造", "Manufacture of chemical pesticides"),
    ("2641", "涂料制造", "Manufacture of paints"),
    ("2645", "染料制造", "Manufacture of dyes"),
    ("2661", "化学试剂和助剂制造", "Manufacture of chemical reagents and auxiliaries"),
    ("2710", "化学药品原料药制造", "Manufacture of chemical active pharmaceutical ingredients"),
    ("2720", "化学药品制剂制造", "Manufacture of chemical pharmaceutical preparations"),
    ("2740", "中成药生产", "Manufacture of proprietary Chinese medicines"),
    ("2761", "生物药品制造", "Manufacture of biochemical medicines"),
    ("2762", "基因工程药物和疫苗制造", "Manufacture of genetically engineered medicines and vaccines"),
    ("3011", "水泥制造", "Manufacture of cement"),
    ("3012", "石灰和石膏制造", "Manufacture of lime and gypsum"),
    ("3031", "粘土砖瓦及建筑砌块制造", "Manufacture of clay bricks, tiles and building blocks"),
    ("3041", "平板玻璃制造", "Manufacture of flat glass"),
    ("3110", "炼铁", "Iron making"),
    ("3120", "炼钢", "Steel making"),
    ("3140", "铁合金冶炼", "Smelting of ferroalloys"),
    ("3216", "铝冶炼", "Aluminium smelting"),
    ("3232", "稀土金属冶炼", "Smelting of rare-earth metals"),
    ("3252", "铝压延加工", "Rolling and extrusion of aluminium"),
    ("3360", "金属表面处理及热处理加工", "Metal surface treatment and heat treatment"),
    ("3612", "新能源车整车制造", "Manufacture of new-energy vehicles"),
    ("3670", "汽车零部件及配件制造", "Manufacture of automobile parts and accessories"),
    ("3741", "飞机制造", "Manufacture of aircraft"),
    ("3744", "航空相关设备制造", "Manufacture of aviation-related equipment"),
    ("3841", "锂离子电池制造", "Manufacture of lithium-ion batteries"),
    ("3843", "铅蓄电池制造", "Manufacture of lead-acid batteries"),
    ("3982", "电子电路制造", "Manufacture of electronic circuits"),
    ("3985", "电子专用材料制造", "Manufacture of special electronic materials"),
    ("4411", "火力发电", "Thermal power generation"),
    ("4412", "热电联产", "Combined heat and power generation"),
    ("4417", "生物质能发电", "Biomass power generation"),
    ("4430", "热力生产和供应", "Production and supply of heat"),
    ("4620", "污水处理及其再生利用", "Sewage treatment and reuse"),
    ("5265", "机动车燃油零售", "Retail sale of motor fuel"),
    ("7723", "固体废物治理", "Solid waste treatment"),
    ("7724", "危险废物治理", "Hazardous waste treatment"),
)

_DIVISION_SECTION: Final[dict[str, str]] = {
    f"{number:02d}": letter for letter, _zh, _en, low, high in _SECTIONS for number in range(low, high + 1)
}

_CODE_PATTERN: Final = re.compile(r"^(?:[A-T]|\d{2}|\d{3}|\d{4})$")
_LEVEL_BY_LENGTH: Final[dict[int, str]] = {1: "section", 2: "division", 3: "group", 4: "class"}


def _build_catalogue() -> list[dict[str, str | None]]:
    rows: list[dict[str, str | None]] = []
    for letter, name_zh, name_en, _low, _high in _SECTIONS:
        rows.append(
            {"code": letter, "level": "section", "parent": None, "name_zh": name_zh, "name_en": name_en}
        )
    for code, name_zh, name_en in _DIVISIONS:
        parent = _DIVISION_SECTION[code]
        rows.append(
            {"code": code, "level": "division", "parent": parent, "name_zh": name_zh, "name_en": name_en}
        )
    for code, name_zh, name_en in _GROUPS:
        rows.append(
            {"code": code, "level": "group", "parent": code[:2], "name_zh": name_zh, "name_en": name_en}
        )
    for code, name_zh, name_en in _CLASSES:
        rows.append(
            {"code": code, "level": "class", "parent": code[:3], "name_zh": name_zh, "name_en": name_en}
        )
    return rows


CATALOGUE: Final[list[dict[str, str | None]]] = _build_catalogue()
"""Sections, all 97 divisions, and the groups/classes the access rules name: ``{code, level, parent,
name_zh, name_en}``, in code order within each level."""

_BY_CODE: Final[dict[str, dict[str, str | None]]] = {str(row["code"]): row for row in CATALOGUE}


def normalize_code(code: str) -> str:
    """Canonical form of an industry code: ``"C2614"`` / ``" c26 "`` → ``"2614"`` / ``"26"``.

    Applicants often write a division, group or class with its section letter in front (as in
    "C2614"); the letter is dropped after checking that it is the right section. A bare section
    letter is returned upper-cased. Raises ``ValueError`` for anything that is not a GB/T 4754-2017
    code shape or whose division does not exist.
    """
    text = code.strip().upper()
    if len(text) > 2 and text[0].isalpha() and text[1:].isdigit():
        letter, text = text[0], text[1:]
        if _DIVISION_SECTION.get(text[:2]) != letter:
            raise ValueError(f"industry code {code!r}: {text!r} is not in section {letter}")
    if not _CODE_PATTERN.match(text):
        raise ValueError(f"industry code {code!r} is not a GB/T 4754-2017 code")
    if text[0].isdigit() and text[:2] not in _DIVISION_SECTION:
        raise ValueError(f"industry code {code!r}: there is no division {text[:2]!r}")
    return text


def level_of(code: str) -> str:
    """The level a code stands at — ``section``, ``division``, ``group`` or ``class`` — by its shape."""
    return _LEVEL_BY_LENGTH[len(normalize_code(code))]


def section_of(code: str) -> str:
    """The section letter (A–T) a code belongs to; a division's section comes from the section ranges."""
    text = normalize_code(code)
    if text.isalpha():
        return text
    return _DIVISION_SECTION[text[:2]]


def by_code(code: str) -> dict[str, str | None] | None:
    """The catalogue entry for ``code`` (letter-prefixed forms accepted), or ``None`` if not listed.

    Malformed codes give ``None`` too, so the function can be used directly to validate input.
    """
    try:
        return _BY_CODE.get(normalize_code(code))
    except ValueError:
        return None


def nearest(code: str) -> dict[str, str | None] | None:
    """The most specific catalogue entry at or above ``code``: itself, else its group, else its division.

    The catalogue lists only the groups and classes the rules name, so a valid class such as ``"2619"``
    resolves to its group ``261``. Returns ``None`` for a malformed code.
    """
    try:
        text = normalize_code(code)
    except ValueError:
        return None
    if text.isalpha():
        return _BY_CODE.get(text)
    for length in range(len(text), 1, -1):
        entry = _BY_CODE.get(text[:length])
        if entry is not None:
            return entry
    return None


def covers(rule_code: str, project_code: str) -> bool:
    """Whether a rule naming ``rule_code`` applies to a project classified as ``project_code``.

    A section covers every code in its section (C covers "26", "261", "2614"); a numeric code covers
    itself and every finer code that starts with it ("26" covers "2614", "261" does not cover "2621").
    A finer rule never covers a coarser project code: a rule on 2614 says nothing about a project
    declared only as division 26. Both codes may carry a section-letter prefix. Raises ``ValueError``
    for malformed codes.
    """
    rule = normalize_code(rule_code)
    project = normalize_code(project_code)
    if rule.isalpha():
        return section_of(project) == rule
    if project.isalpha():
        return False
    return project.startswith(rule)
