"""Plain HTML pages of the OGC API (the ``html`` conformance class): no script, no CDN."""

from __future__ import annotations

import json
from html import escape
from typing import Any


def _links(links: list[dict[str, Any]]) -> str:
    items = "".join(
        f'<li><a href="{escape(link["href"])}">{escape(link.get("title") or link["rel"])}</a>'
        f" <small>({escape(link['rel'])}, {escape(link.get('type', ''))})</small></li>"
        for link in links
    )
    return f"<ul>{items}</ul>"


def page(title: str, body: dict[str, Any]) -> str:
    """A page for any OGC API JSON body: its title, description, links, and what else it holds."""
    parts = [f"<h1>{escape(title)}</h1>"]
    if body.get("description"):
        parts.append(f"<p>{escape(str(body['description']))}</p>")
    if body.get("links"):
        parts.append("<h2>Links</h2>" + _links(body["links"]))
    if "collections" in body:
        rows = "".join(
            f'<tr><td><a href="{escape(_href(c, "self"))}">{escape(c["id"])}</a></td><td>{escape(c["title"])}</td></tr>'
            for c in body["collections"]
        )
        parts.append(f"<h2>Collections</h2><table border=1><tr><th>id</th><th>title</th></tr>{rows}</table>")
    if "features" in body:
        parts.append(
            f"<p>{body.get('numberReturned')} of {body.get('numberMatched')} features</p>"
            + _feature_table(body["features"])
        )
    if body.get("type") == "Feature":
        parts.append(_feature_table([body]))
    rest = {
        k: v for k, v in body.items() if k not in {"links", "collections", "features", "description", "type"}
    }
    if rest and "features" not in body and body.get("type") != "Feature":
        parts.append(f"<pre>{escape(json.dumps(rest, ensure_ascii=False, indent=2))}</pre>")
    return (
        '<!doctype html><html lang="zh"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body>{''.join(parts)}</body></html>"
    )


def _href(obj: dict[str, Any], rel: str) -> str:
    for link in obj.get("links", []):
        if link["rel"] == rel:
            return str(link["href"])
    return ""


def _feature_table(features: list[dict[str, Any]]) -> str:
    if not features:
        return "<p>No features.</p>"
    keys = list(features[0]["properties"])
    head = "<tr><th>id</th>" + "".join(f"<th>{escape(k)}</th>" for k in keys) + "</tr>"
    rows = "".join(
        f"<tr><td>{escape(str(f['id']))}</td>"
        + "".join(f"<td>{escape(str(f['properties'].get(k, '')))}</td>" for k in keys)
        + "</tr>"
        for f in features
    )
    return f"<table border=1>{head}{rows}</table>"
