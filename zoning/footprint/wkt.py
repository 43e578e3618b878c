"""WKT and EWKT footprints (OGC 06-103r4), with bounded nesting and size."""

from __future__ import annotations

import re

import shapely
from shapely.errors import GEOSException

from zoning.crs import InputCrs, resolve_crs
from zoning.errors import InvalidInput
from zoning.footprint.model import MAX_NESTING, ParsedFootprint
from zoning.footprint.validation import check_size, finish, infer_lonlat_or_gk, pick_crs, ring_name

WKT_START = re.compile(
    r"^\s*(SRID=(-?\d{1,9})\s*;)?\s*(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION)\b",
    re.IGNORECASE,
)
_WKT_TOKEN = re.compile(r"[A-Za-z]+|\(|\)|[^()A-Za-z]+")
_POLYGONAL = {"POLYGON": 1, "MULTIPOLYGON": 2}  # paren depth below the keyword at which rings sit


def _wkt_unclosed_ring(text: str) -> str | None:
    """Find the first polygon ring in WKT text whose first and last coordinates differ.

    GEOS refuses such text with a bare "not closed" message; this names the ring instead.
    """
    stack: list[tuple[str, int]] = []  # (keyword, depth at its opening paren)
    counters: list[int] = [0]  # children seen at each open depth
    keyword_index = -1
    pending: str | None = None
    depth = 0
    for token in _WKT_TOKEN.findall(text):
        if token.isalpha():
            upper = token.upper()
            if upper in ("Z", "M", "ZM", "EMPTY"):
                continue
            pending = upper
            if (
                upper not in ("GEOMETRYCOLLECTION", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON")
                or upper == "MULTIPOLYGON"
            ):
                keyword_index += 1
        elif token == "(":
            counters[-1] += 1
            depth += 1
            counters.append(0)
            if pending is not None:
                stack.append((pending, depth))
                pending = None
        elif token == ")":
            depth -= 1
            counters.pop()
            while stack and stack[-1][1] > depth:
                stack.pop()
        elif stack and stack[-1][0] in _POLYGONAL and depth == stack[-1][1] + _POLYGONAL[stack[-1][0]]:
            numbers = [p.split() for p in token.split(",") if p.strip()]
            if numbers and numbers[0][:2] != numbers[-1][:2]:
                ring = counters[-2] - 1
                where = f"geometry {keyword_index}"
                if stack[-1][0] == "MULTIPOLYGON":
                    where += f", part {counters[-3] - 1}"
                return (
                    f"{where}, {ring_name(ring)}: first coordinate ({' '.join(numbers[0])}) and last "
                    f"coordinate ({' '.join(numbers[-1])}, vertex index {len(numbers) - 1}) differ"
                )
    return None


def _check_wkt_size(text: str, field: str) -> None:
    """Refuse WKT past the vertex limit or nested past MAX_NESTING before GEOS reads it.

    Positions within a ring are separated by commas and rings/parts by "),": the commas that do not
    follow ")" plus one bound the positions from below. A polygon sits 2 parentheses deep in a
    MultiPolygon's 3; each collection adds one.
    """
    check_size(text.count(",") - len(_WKT_PART_SEP.findall(text)) + 1, 0, field=field)
    depth = deepest = 0
    for ch in _WKT_PARENS.findall(text):
        depth += 1 if ch == "(" else -1
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING + 3:
        raise InvalidInput(
            f"The WKT nests {deepest} levels of parentheses; GEOMETRYCOLLECTIONs may nest at most "
            f"{MAX_NESTING} deep.",
            field=field,
            limit=MAX_NESTING,
        )


_WKT_PARENS = re.compile(r"[()]")
_WKT_PART_SEP = re.compile(r"\)\s*,")


def read_wkt(text: str, crs: InputCrs | None, notes: list[str], field: str) -> ParsedFootprint:
    _check_wkt_size(text, field)
    match = WKT_START.match(text)
    embedded: InputCrs | None = None
    body = text
    if match and match.group(1):
        srid = match.group(2)
        embedded = resolve_crs(f"EPSG:{srid}")
        body = text[match.end(1) :]
    try:
        geom = shapely.from_wkt(body.strip())
    except GEOSException as exc:
        unclosed = _wkt_unclosed_ring(body)
        if unclosed:
            raise InvalidInput(
                f"The WKT has an unclosed ring — {unclosed}. Repeat the first coordinate at the end.",
                field=field,
                location=unclosed.split(":")[0],
            ) from exc
        raise InvalidInput(f"The WKT cannot be parsed: {exc}", field=field) from exc
    chosen = pick_crs(crs, embedded, "the EWKT SRID", notes)
    if chosen is None:
        chosen = infer_lonlat_or_gk(shapely.get_coordinates(geom), notes, field=field)
    return finish([("geometry", geom)], chosen, "wkt", notes, field=field)
