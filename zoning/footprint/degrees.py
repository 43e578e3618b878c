"""Decimal and degree–minute–second (DMS) coordinates, in Chinese or Latin notation."""

from __future__ import annotations

import re
from typing import Literal

from zoning.errors import InvalidCoordinate

_HEMI_PREFIX = re.compile(r"^(北纬|南纬|东经|西经|[NSEW])\s*")
_HEMI_SUFFIX = re.compile(r"\s*(北纬|南纬|东经|西经|[NSEW])$")
_HEMI_SIGN = {"N": 1, "E": 1, "北纬": 1, "东经": 1, "S": -1, "W": -1, "南纬": -1, "西经": -1}
_HEMI_AXIS = {
    "N": "lat",
    "S": "lat",
    "北纬": "lat",
    "南纬": "lat",
    "E": "lon",
    "W": "lon",
    "东经": "lon",
    "西经": "lon",
}
# Unit marks → position (0 degrees, 1 minutes, 2 seconds). Double primes first so that '' and ′′
# are read as seconds, not two minute marks. ':' is positional (115:52:30).
_UNIT_POS = {
    "°": 0, "º": 0, "˚": 0, "d": 0, "度": 0,
    "'": 1, "′": 1, "’": 1, "m": 1, "分": 1,
    '"': 2, "″": 2, "”": 2, "''": 2, "′′": 2, "s": 2, "秒": 2,
}  # fmt: skip
_DMS_TOKEN = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(''|′′|[°º˚d度'′’m分\"″”s秒:])?")
_FULLWIDTH = str.maketrans("０１２３４５６７８９．－＋：", "0123456789.-+:")


def parse_degrees(text: str, *, field: str = "degrees", axis: Literal["lon", "lat"] | None = None) -> float:
    """Read an angle in decimal degrees or degrees-minutes-seconds as pasted by people.

    Accepts ``115.875``, ``-28.5``, ``115°52'30"E``, ``115°52′30″``, ``115 52 30``, ``115d52m30s``,
    ``115:52:30``, ``28°41'N``, ``N28°41'``, ``北纬28°41′`` and ``东经115°52′30.5″``; only the last
    component may carry decimals (``115°52.5'``). Hemisphere letters are upper case (a lower-case
    ``s`` is the seconds mark); S and W (南纬, 西经) make the value negative. With ``axis`` a
    hemisphere of the other axis, or a value beyond ±90° latitude / ±180° longitude, is refused.
    Bad text raises ``InvalidCoordinate(field=field)``.
    """
    raw = text
    s = text.strip().translate(_FULLWIDTH)

    def fail(why: str) -> InvalidCoordinate:
        return InvalidCoordinate(f"{field}={raw!r} cannot be read as degrees: {why}", field=field)

    if not s:
        raise fail("it is empty")
    sign = 1
    if s[0] in "+-":
        sign = -1 if s[0] == "-" else 1
        s = s[1:].lstrip()
    hemisphere: str | None = None
    for pattern in (_HEMI_PREFIX, _HEMI_SUFFIX):
        m = pattern.search(s)
        if m:
            if hemisphere is not None:
                raise fail("it has two hemisphere marks")
            hemisphere = m.group(1)
            s = (s[: m.start()] + s[m.end() :]).strip()
    if hemisphere is not None:
        if sign < 0:
            raise fail("it has both a minus sign and a hemisphere")
        sign = _HEMI_SIGN[hemisphere]
        if axis is not None and _HEMI_AXIS[hemisphere] != axis:
            other = "latitude" if axis == "lon" else "longitude"
            raise fail(
                f"{hemisphere} marks a {other}, but a "
                f"{'longitude' if axis == 'lon' else 'latitude'} is expected"
            )
    parts: list[tuple[int, str]] = []
    pos = 0
    next_slot = 0
    while pos < len(s):
        m = _DMS_TOKEN.match(s, pos)
        if not m or m.end() == pos:
            raise fail(f"unexpected text {s[pos:]!r}")
        number, unit = m.group(1), m.group(2)
        slot = _UNIT_POS.get(unit, next_slot) if unit and unit != ":" else next_slot
        if slot != next_slot or slot > 2:
            raise fail("degrees, minutes and seconds are out of order")
        parts.append((slot, number))
        next_slot = slot + 1
        pos = m.end()
        while pos < len(s) and s[pos].isspace():
            pos += 1
    if not parts:
        raise fail("no number in it")
    for _, number in parts[:-1]:
        if "." in number:
            raise fail("only the last of degrees, minutes, seconds may have decimals")
    values = [float(n) for _, n in parts]
    for name, value in zip(("minutes", "seconds"), values[1:], strict=False):
        if value >= 60:
            raise fail(f"{name} {value:g} is not below 60")
    degrees = (
        values[0]
        + (values[1] / 60 if len(values) > 1 else 0.0)
        + (values[2] / 3600 if len(values) > 2 else 0.0)
    )
    result = sign * degrees
    limit = {"lat": 90.0, "lon": 180.0}.get(axis or "", 180.0)
    if abs(result) > limit:
        raise fail(f"{result:g}° is beyond ±{limit:g}°")
    return result
