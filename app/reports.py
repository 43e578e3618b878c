"""Human-readable renderings of a screening record: the HTML report (no external assets)."""

from __future__ import annotations

from html import escape
from typing import Any

from app.report_compliance import CSS as COMPLIANCE_CSS
from app.report_compliance import compliance_html
from app.schemas_screening import FindingPublic, LayerPublic, ScreeningPublic
from zoning import layers

SEVERITY_STYLE = {
    "prohibited": ("#b71c1c", "禁止 prohibited"),
    "conditional": ("#e65100", "有条件 conditional"),
    "notice": ("#546e7a", "提示 notice"),
}
VERDICT_COLOUR = {"prohibited": "#b71c1c", "conditional": "#e65100", "permitted": "#2e7d32"}
LAYER_TITLES = {spec.name: f"{spec.label_zh} {spec.label_en}" for spec in layers.LAYERS} | {
    "monitoring_points": "监测点位（缓冲区内） Monitoring points in the buffer",
}
STATUS_TEXT = {
    "hit": "已查，涉及 checked — hit",
    "near": "已查，缓冲区内邻近 checked — within buffer",
    "clear": "已查，未涉及 checked — clear",
    "no_data": "无数据，未能核查 not checked — the dataset version lacks this layer",
}

CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;margin:2em auto;
max-width:60em;color:#222;line-height:1.5}
h1{font-size:1.4em;margin-bottom:.2em} h2{font-size:1.1em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;width:100%;font-size:.9em} td,th{border:1px solid #ddd;padding:.3em .5em;
vertical-align:top;text-align:left} th{background:#f5f5f5}
.verdict{display:inline-block;color:#fff;padding:.3em .8em;border-radius:4px;font-weight:bold}
.meta td:first-child{width:12em;color:#555} .caveat{background:#fff8e1;border-left:4px solid #ffb300;
padding:.6em 1em;font-size:.9em} .sev{font-weight:bold;white-space:nowrap}
"""


def _rows(pairs: list[tuple[str, Any]]) -> str:
    return "".join(f"<tr><td>{escape(k)}</td><td>{escape(str(v))}</td></tr>" for k, v in pairs)


def _layer_table(name: str, layer: LayerPublic) -> str:
    features = layer.features
    head = f"<h2>{escape(LAYER_TITLES.get(name, name))} — {escape(STATUS_TEXT.get(layer.status, layer.status))}</h2>"
    if not features:
        return head
    if layers.get(name).geometry_type == "Point":
        body = "".join(
            f"<tr><td>{escape(p['code'])}</td><td>{escape(p['name_zh'])}</td><td>{escape(p['kind_label_zh'])}</td>"
            f"<td>{p['distance_m']:.1f}</td></tr>"
            for p in features
        )
        return (
            head
            + f"<table><tr><th>编码 code</th><th>名称 name</th><th>类型 kind</th><th>距离 distance (m)</th></tr>{body}</table>"
        )
    rows = []
    for f in features:
        label = f.get("code") or f"{f.get('source_code', f.get('reserve_code', ''))}"
        name = f.get("name_zh") or f.get("source_name_zh") or f.get("reserve_name_zh", "")
        kind = (
            f.get("class_label_zh")
            or f.get("grade_label_zh")
            or f.get("kind_label_zh")
            or f.get("zone_label_zh", "")
        )
        share_fp = "" if f["share_of_footprint"] is None else f"{100 * f['share_of_footprint']:.2f} %"
        share_ft = "" if f["share_of_feature"] is None else f"{100 * f['share_of_feature']:.4f} %"
        rows.append(
            f"<tr><td>{escape(label)}</td><td>{escape(name)}</td><td>{escape(kind)}</td>"
            f"<td>{escape(f['reached_by'])}</td><td>{f['overlap_area_m2']:.1f}</td><td>{share_fp}</td>"
            f"<td>{share_ft}</td><td>{f['distance_m']:.1f}</td></tr>"
        )
    return head + (
        "<table><tr><th>编码 code</th><th>名称 name</th><th>类别 class</th><th>涉及方式 reached by</th>"
        "<th>重叠面积 overlap (m²)</th><th>占项目 of footprint</th><th>占单元/区 of feature</th>"
        "<th>距离 distance (m)</th></tr>" + "".join(rows) + "</table>"
    )


def _findings(findings: list[FindingPublic]) -> str:
    rows = []
    for f in findings:
        colour, label = SEVERITY_STYLE[f.severity]
        c = f.citation
        source = c.get("source_zh") or f"{c.get('law_zh', '')} {c.get('article', '')}"
        rows.append(
            f"<tr><td>{f.n}</td><td class='sev' style='color:{colour}'>{escape(label)}</td>"
            f"<td>{escape(source)}</td><td>{escape(f.text_zh)}<br><small>{escape(f.basis)}</small></td></tr>"
        )
    return (
        "<h2>审查意见依据 Findings</h2><table><tr><th>#</th><th>结论 severity</th><th>依据 citation</th>"
        "<th>条文 text</th></tr>" + "".join(rows) + "</table>"
    )


def screening_html(record: ScreeningPublic, map_html: str = "") -> str:
    """The screening report as one self-contained HTML page."""
    result = record.result
    request = record.request
    dataset = result.dataset
    fp = result.footprint
    colour = VERDICT_COLOUR[result.verdict]
    meta = _rows(
        [
            ("筛查编号 Screening id", record.id),
            ("时间 Time (UTC)", record.created_at),
            ("项目名称 Project", result.project_name or "—"),
            (
                "行业 Industry (GB/T 4754-2017)",
                f"{result.industry.code} {result.industry.name_zh} ({result.industry.name_en})",
            ),
            ("缓冲距离 Buffer", f"{result.buffer_m} m"),
            (
                "项目范围 Footprint",
                f"{fp.geometry_type}, {fp.area_m2} m², {fp.length_m} m, {fp.vertices} vertices",
            ),
            ("输入 Input", f"{request.footprint_format}, {request.crs_used}"),
            (
                "数据版本 Dataset version",
                f"{dataset.label} (effective {dataset.effective_from}"
                f"{' – ' + dataset.effective_to if dataset.effective_to else ''})",
            ),
            ("数据校验值 Dataset checksum", dataset.checksum),
            ("量算方法 Measurement", result.measurement),
        ]
    )
    caveat = f"<p class='caveat'>{escape(record.caveat)}</p>" if record.caveat else ""
    tables = "".join(_layer_table(name, layer) for name, layer in result.layers.items())
    return (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>{escape(record.id)} 建设项目生态环境分区管控符合性筛查</title><style>{CSS}{COMPLIANCE_CSS}</style></head><body>"
        f"<h1>建设项目生态环境分区管控符合性筛查报告<br><small>Siting screening report — {escape(record.id)}</small></h1>"
        f"<p><span class='verdict' style='background:{colour}'>{escape(result.verdict_label_zh)} · "
        f"{escape(result.verdict_label_en)}</span></p>"
        f"{caveat}<table class='meta'>{meta}</table>{map_html}{_findings(result.findings)}{compliance_html(result)}{tables}"
        "</body></html>"
    )
