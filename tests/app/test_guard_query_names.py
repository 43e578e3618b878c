"""The guard reads only the names of query parameters; they must be the names ``parse_qsl`` reads.

The reference is the standard library's parser (``urllib.parse.parse_qsl`` with
``keep_blank_values=True``, which FastAPI/Starlette's query parsing follows): a name the guard
decoded differently would refuse a valid parameter or let an unknown one through.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from starlette.datastructures import QueryParams

from app.guard import _query_param_names, query_values

QUERIES = [
    b"lon=115.9&lat=28.6",
    b"lon=115.9&&lat=28.6&",
    b"flag&lon=1",
    b"=x&lon=1",
    b"a+b=1&c%20d=2",
    b"%E7%BB%8F%E5%BA%A6=115",
    b"lon=1%262&lat=2",
    b"x%3Dy=1",
    b"l%6Fn=1",
    b"lon=a=b",
    b"%ZZ=1",
    b"lon=1&lon=2",
    b"lon=115%C2%B052'30%22E&lat=28%C2%B041'N",
    b"crs=EPSG%3A4548&f=",
]


@pytest.mark.parametrize("query", QUERIES)
def test_names_equal_parse_qsl(query: bytes) -> None:
    expected = [name for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)]
    assert list(_query_param_names(query)) == expected


@pytest.mark.parametrize("query", QUERIES)
def test_values_equal_starlette_query_params(query: bytes) -> None:
    """Locate reads its parameters with ``query_values``: the same names and values Starlette's
    ``request.query_params`` gives (blank values kept; of a repeated name, the last)."""
    reference = QueryParams(query)
    assert query_values(query) == {name: reference[name] for name in reference}
