"""A parser for CQL2 text, basic class plus ``S_INTERSECTS``, into SQLAlchemy expressions.

Supported (OGC 21-065 "Basic CQL2" and one spatial function): comparisons ``= <> < <= > >=``,
``AND``/``OR``/``NOT``, parentheses, ``[NOT] LIKE`` (``%`` and ``_``), ``[NOT] IN (...)``,
``[NOT] BETWEEN … AND …``, ``IS [NOT] NULL``, ``TRUE``/``FALSE``, and
``S_INTERSECTS(geometry, BBOX(…) | POINT(…) | LINESTRING(…) | POLYGON(…) | MULTIPOLYGON(…))``.

Property names are looked up in the collection's queryables (the allowlist); every literal
becomes a bound parameter; geometry literals are read with Shapely and transformed with pyproj
into EPSG:4490 (the literal, not the indexed column). Nothing is ever pasted into SQL text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shapely
from shapely import box, from_wkt
from shapely.geometry.base import BaseGeometry
from sqlalchemy import LargeBinary, and_, bindparam, false, func, not_, or_, true
from sqlalchemy.sql.elements import ColumnElement

from app.ogc.crs import SupportedCrs, to_storage_xy, transformer_to_storage
from app.ogc.errors import InvalidQuery
from geodata.models import STORAGE_SRID
from geodata.ogc.collections import Collection

FIELD = "filter"
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
      | (?P<string>'(?:[^']|'')*')
      | (?P<quoted>"[^"]+")
      | (?P<op><>|<=|>=|=|<|>|\(|\)|,)
      | (?P<word>[A-Za-z_][A-Za-z0-9_:.\-]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"AND", "OR", "NOT", "LIKE", "IN", "IS", "NULL", "BETWEEN", "TRUE", "FALSE"}
_GEOMETRY_WORDS = {"POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON"}


@dataclass(frozen=True)
class Token:
    kind: str  # number | string | name | op | keyword | end
    value: str
    pos: int


def tokenize(text: str) -> list[Token]:
    """Split CQL2 text into tokens; an unreadable character is a 400 naming its position."""
    tokens: list[Token] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise InvalidQuery(
                f"cannot read the filter at character {pos + 1}: {text[pos : pos + 20]!r}", field=FIELD
            )
        kind = m.lastgroup or ""
        value = m.group(kind)
        start = m.start(kind) + 1
        if kind == "word":
            kind = "keyword" if value.upper() in _KEYWORDS else "name"
            if kind == "keyword":
                value = value.upper()
        elif kind == "quoted":
            kind, value = "name", value[1:-1]
        elif kind == "string":
            value = value[1:-1].replace("''", "'")
        tokens.append(Token(kind, value, start))
        pos = m.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


MAX_NESTING = 32
"""Levels of parentheses and NOT a filter may nest: far beyond any hand-written filter, well short of
the recursion a deeply nested one would cost the parser and the SQL compiler."""


class _Parser:
    """Recursive descent over the token list: or → and → not → predicate."""

    def __init__(self, text: str, collection: Collection, filter_crs: SupportedCrs) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.collection = collection
        self.filter_crs = filter_crs
        self.n_params = 0

    # -- token helpers
    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def accept(self, kind: str, value: str | None = None) -> bool:
        tok = self.peek()
        if tok.kind == kind and (value is None or tok.value == value):
            self.i += 1
            return True
        return False

    def expect(self, kind: str, value: str | None = None) -> Token:
        tok = self.peek()
        if tok.kind != kind or (value is not None and tok.value != value):
            self.fail(f"expected {value or kind}", tok)
        return self.take()

    def fail(self, what: str, tok: Token | None = None) -> None:
        tok = tok or self.peek()
        found = "end of filter" if tok.kind == "end" else repr(tok.value)
        raise InvalidQuery(f"filter: {what} at character {tok.pos}, found {found}", field=FIELD)

    # -- grammar
    def parse(self) -> ColumnElement[bool]:
        expr = self.or_()
        if self.peek().kind != "end":
            self.fail("expected AND, OR or the end of the filter")
        return expr

    def or_(self) -> ColumnElement[bool]:
        parts = [self.and_()]
        while self.accept("keyword", "OR"):
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else or_(*parts)

    def and_(self) -> ColumnElement[bool]:
        parts = [self.not_()]
        while self.accept("keyword", "AND"):
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else and_(*parts)

    def nest(self) -> None:
        """Count one level of parentheses or NOT; refuse a filter nested past MAX_NESTING."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.fail(f"the filter nests parentheses and NOT deeper than {MAX_NESTING} levels")

    def not_(self) -> ColumnElement[bool]:
        if self.accept("keyword", "NOT"):
            self.nest()
            inner = self.not_()
            self.depth -= 1
            return not_(inner)
        return self.predicate()

    def predicate(self) -> ColumnElement[bool]:
        tok = self.peek()
        if self.accept("op", "("):
            self.nest()
            inner = self.or_()
            self.expect("op", ")")
            self.depth -= 1
            return inner
        if tok.kind == "keyword" and tok.value in {"TRUE", "FALSE"}:
            self.take()
            return true() if tok.value == "TRUE" else false()
        if tok.kind == "name" and tok.value.upper() == "S_INTERSECTS" and self.peek(1).value == "(":
            return self.s_intersects()
        if tok.kind != "name":
            self.fail("expected a property name", tok)
        return self.comparison()

    def property(self) -> tuple[Any, str]:
        tok = self.expect("name")
        q = self.collection.queryable(tok.value)
        if q is None:
            names = ", ".join(p.name for p in self.collection.properties)
            raise InvalidQuery(
                f"filter: {tok.value!r} is not a queryable of {self.collection.id} (queryables: {names})",
                field=FIELD,
            )
        if q.type == "array":
            raise InvalidQuery(
                f"filter: {tok.value!r} is an array; basic CQL2 cannot compare it", field=FIELD
            )
        return q.column(self.collection.table), q.type

    def literal(self, type_: str) -> Any:
        tok = self.take()
        if tok.kind == "number" and type_ == "number":
            return self.bind(float(tok.value))
        if tok.kind == "string" and type_ == "string":
            return self.bind(tok.value)
        expected = "a number" if type_ == "number" else "a 'quoted string'"
        self.i -= 1
        self.fail(f"expected {expected}", tok)
        raise AssertionError  # unreachable: fail raises

    def bind(self, value: Any) -> Any:
        self.n_params += 1
        return bindparam(f"cql{self.n_params}", value)

    def comparison(self) -> ColumnElement[bool]:
        column, type_ = self.property()
        negate = self.accept("keyword", "NOT")
        tok = self.peek()
        expr: ColumnElement[bool]
        if self.accept("keyword", "LIKE"):
            if type_ != "string":
                self.fail("LIKE needs a text property", tok)
            expr = column.like(self.literal("string"))
        elif self.accept("keyword", "IN"):
            self.expect("op", "(")
            values = [self.literal(type_)]
            while self.accept("op", ","):
                values.append(self.literal(type_))
            self.expect("op", ")")
            expr = or_(*[column == v for v in values])
        elif self.accept("keyword", "BETWEEN"):
            low = self.literal(type_)
            self.expect("keyword", "AND")
            expr = column.between(low, self.literal(type_))
        elif not negate and self.accept("keyword", "IS"):
            is_not = self.accept("keyword", "NOT")
            self.expect("keyword", "NULL")
            return column.is_not(None) if is_not else column.is_(None)
        elif not negate and tok.kind == "op" and tok.value in _COMPARE:
            self.take()
            return _COMPARE[tok.value](column, self.literal(type_))
        else:
            self.fail("expected a comparison, LIKE, IN, BETWEEN or IS NULL", tok)
            raise AssertionError
        return not_(expr) if negate else expr

    # -- spatial
    def s_intersects(self) -> ColumnElement[bool]:
        self.take()
        self.expect("op", "(")
        first = self.peek()
        if first.kind == "name" and first.value.upper() in _GEOMETRY_WORDS | {"BBOX"}:
            geom = self.geometry_literal()
            self.expect("op", ",")
            self.geometry_property()
        else:
            self.geometry_property()
            self.expect("op", ",")
            geom = self.geometry_literal()
        self.expect("op", ")")
        wkb = bindparam(f"cqlgeom{self.n_params}", shapely.to_wkb(geom), type_=LargeBinary)
        self.n_params += 1
        return func.ST_Intersects(self.collection.geometry, func.ST_GeomFromWKB(wkb, STORAGE_SRID))

    def geometry_property(self) -> None:
        tok = self.expect("name")
        if tok.value not in {"geometry", "geom", self.collection.geometry_key}:
            self.fail("expected the geometry property 'geometry'", tok)

    def geometry_literal(self) -> BaseGeometry:
        tok = self.expect("name")
        word = tok.value.upper()
        if word == "BBOX":
            self.expect("op", "(")
            nums = [self.number()]
            while self.accept("op", ","):
                nums.append(self.number())
            self.expect("op", ")")
            if len(nums) not in (4, 6):
                self.fail("BBOX takes 4 (or 6) numbers", tok)
            half = len(nums) // 2
            (ax, ay), (bx, by) = (nums[0], nums[1]), (nums[half], nums[half + 1])
            x0, y0 = to_storage_xy(self.filter_crs, ax, ay)
            x1, y1 = to_storage_xy(self.filter_crs, bx, by)
            return box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        # Re-read the WKT of the literal from the token stream: coordinates, commas and parentheses.
        parts = [word]
        depth = 0
        while True:
            t = self.take()
            if t.kind == "end":
                self.fail("unterminated geometry literal", t)
            if t.value == "(":
                depth += 1
            elif t.value == ")":
                depth -= 1
            elif t.kind not in {"number"} and t.value != ",":
                self.fail("expected a coordinate", t)
            parts.append(t.value)
            if depth == 0:
                break
        wkt = " ".join(parts)
        try:
            geom = from_wkt(wkt)
        except shapely.errors.GEOSException:
            raise InvalidQuery(f"filter: cannot read the geometry {wkt[:60]!r}", field=FIELD) from None
        return self._to_storage(geom)

    def _to_storage(self, geom: BaseGeometry) -> BaseGeometry:
        """The literal, read in the filter CRS's axis order, as EPSG:4490 lon/lat."""
        crs = self.filter_crs
        transformer = transformer_to_storage(crs)

        def apply(coords: Any) -> Any:
            xy = coords[:, ::-1].copy() if crs.yx else coords.copy()
            if crs.srid != STORAGE_SRID:
                xy[:, 0], xy[:, 1] = transformer.transform(xy[:, 0], xy[:, 1])
            return xy

        return shapely.transform(geom, apply)

    def number(self) -> float:
        tok = self.expect("number")
        value = float(tok.value)
        if not math.isfinite(value):
            self.fail("expected a finite number", tok)
        return value


_COMPARE: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "=": lambda c, v: c == v,
    "<>": lambda c, v: c != v,
    "<": lambda c, v: c < v,
    "<=": lambda c, v: c <= v,
    ">": lambda c, v: c > v,
    ">=": lambda c, v: c >= v,
}


def parse(text: str, collection: Collection, filter_crs: SupportedCrs) -> ColumnElement[bool]:
    """The SQLAlchemy boolean expression of a CQL2-text filter over a collection's queryables."""
    if not text.strip():
        raise InvalidQuery("filter is empty", field=FIELD)
    return _Parser(text, collection, filter_crs).parse()
