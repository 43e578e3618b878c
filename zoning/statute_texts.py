"""The statute texts the rules cite: instrument, article and a short quotation of each provision.

Checked against the published texts of 水污染防治法 (2017), 自然资发〔2022〕142号 and
自然保护区条例 (2017 revision). The State Council revised the regulations again in 2026
(国务院令第830号, in force 2026-03-15, 48 articles, with a core protection zone and a general control
zone); its article numbers were not checked, and the zoning plans screened here were made under the
2017 text. Quotations are abridged with "……" where long; a text marked 〔概述〕 is a summary, not a
quotation (its exact wording was not confirmed against the published text).
"""

from __future__ import annotations

from dataclasses import dataclass

WPPCL = (
    "中华人民共和国水污染防治法（2017修正）",
    "Water Pollution Prevention and Control Law of the PRC (2017)",
)
REDLINE = (
    "关于加强生态保护红线管理的通知（试行）（自然资发〔2022〕142号）",
    "Notice on strengthening the management of the ecological protection red line (trial), 2022 No. 142",
)
RESERVES = (
    "中华人民共和国自然保护区条例（2017修订）",
    "Regulations of the PRC on Nature Reserves (2017 revision)",
)


@dataclass(frozen=True)
class Statute:
    """A cited provision: the instrument, the article and a short quotation."""

    law_zh: str
    law_en: str
    article: str
    text_zh: str

    def as_dict(self) -> dict[str, str]:
        return {
            "law_zh": self.law_zh,
            "law_en": self.law_en,
            "article": self.article,
            "text_zh": self.text_zh,
        }


def _w(article: str, text: str) -> Statute:
    return Statute(*WPPCL, article, text)


def _r(article: str, text: str) -> Statute:
    return Statute(*REDLINE, article, text)


def _n(article: str, text: str) -> Statute:
    return Statute(*RESERVES, article, text)


ART64 = _w("第六十四条", "在饮用水水源保护区内，禁止设置排污口。")
ART65 = _w(
    "第六十五条第一款", "禁止在饮用水水源一级保护区内新建、改建、扩建与供水设施和保护水源无关的建设项目"
)
ART65_2 = _w(
    "第六十五条第二款",
    "禁止在饮用水水源一级保护区内从事网箱养殖、旅游、游泳、垂钓或者其他可能污染饮用水水体的活动。",
)
ART66 = _w("第六十六条第一款", "禁止在饮用水水源二级保护区内新建、改建、扩建排放污染物的建设项目")
ART66_2 = _w(
    "第六十六条第二款",
    "在饮用水水源二级保护区内从事网箱养殖、旅游等活动的，应当按照规定采取措施，防止污染饮用水水体。",
)
ART67 = _w(
    "第六十七条",
    "禁止在饮用水水源准保护区内新建、扩建对水体污染严重的建设项目；改建建设项目，不得增加排污量。",
)
RL = "一、（一）"
RL_RULE = _r(
    RL,
    "生态保护红线内自然保护地核心保护区外，禁止开发性、生产性建设活动，仅允许以下对生态功能不造成破坏的有限人为活动",
)
RL_SPECIFIC = _r(RL, "生态保护红线内自然保护区、风景名胜区、饮用水水源保护区等区域，依照法律法规执行。")
RL_ITEM = {
    1: _r(
        f"{RL}1", "管护巡护、保护执法、科学研究、调查监测、测绘导航、防灾减灾救灾……等活动及相关的必要设施修筑"
    ),
    2: _r(
        f"{RL}2",
        "原住居民和其他合法权益主体，允许在不扩大现有建设用地、……耕地、水产养殖规模和放牧强度……的前提下，开展种植、放牧、捕捞、养殖……等活动",
    ),
    3: _r(f"{RL}3", "经依法批准的考古调查发掘、古生物化石调查发掘、标本采集和文物保护活动"),
    4: _r(f"{RL}4", "按规定对人工商品林进行抚育采伐……依法开展的竹林采伐经营"),
    5: _r(
        f"{RL}5",
        "不破坏生态功能的适度参观旅游、科普宣教及符合相关规划的配套性服务设施和相关的必要公共设施建设及维护",
    ),
    6: _r(f"{RL}6", "必须且无法避让、符合县级以上国土空间规划的线性基础设施、通讯和防洪、供水设施建设"),
    7: _r(f"{RL}7", "地质调查与矿产资源勘查开采"),
    8: _r(
        f"{RL}8", "〔概述〕依据国土空间规划和生态保护修复专项规划开展的生态修复"
    ),  # wording not confirmed: a summary
}
# The 国家重大项目 occupation path (unavoidability demonstration by the provincial government, State
# Council approval) is in section 一 of the notice; its sub-section number was not confirmed against
# the published text, so the citation names the section only.
RL_MAJOR = _r(
    "一", "〔概述〕国家重大项目确需占用生态保护红线的，附省级人民政府出具的不可避让论证意见，报国务院批准"
)
ART18 = _n("第十八条", "核心区外围可以划定一定面积的缓冲区，只准进入从事科学研究观测活动。")
ART18_EXP = _n(
    "第十八条、第二十九条",
    "缓冲区外围划为实验区，可以进入从事科学试验、教学实习、参观考察、旅游以及驯化、繁殖珍稀、濒危野生动植物等活动。",
)
ART26 = _n(
    "第二十六条", "禁止在自然保护区内进行砍伐、放牧、狩猎、捕捞、采药、开垦、烧荒、开矿、采石、挖沙等活动"
)
ART27 = _n("第二十七条", "禁止任何人进入自然保护区的核心区。因科学研究的需要……经……批准")
ART27_32 = _n(
    "第十八条、第二十七条、第三十二条",
    "禁止任何人进入自然保护区的核心区；在自然保护区的核心区和缓冲区内，不得建设任何生产设施。",
)
ART28 = _n("第二十八条", "禁止在自然保护区的缓冲区开展旅游和生产经营活动。")
ART28_32 = _n(
    "第十八条、第二十八条、第三十二条",
    "缓冲区只准进入从事科学研究观测活动；禁止开展旅游和生产经营活动；不得建设任何生产设施。",
)
ART32_EXP = _n("第三十二条", "在自然保护区的实验区内，不得建设污染环境、破坏资源或者景观的生产设施")
ART32_OTHER = _n("第三十二条", "建设其他项目，其污染物排放不得超过国家和地方规定的污染物排放标准。")
