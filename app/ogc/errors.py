"""The one error the OGC API adds: a query parameter it cannot use (OGC API – Features wants 400)."""

from __future__ import annotations

from zoning.errors import InvalidInput


class InvalidQuery(InvalidInput):
    """A query parameter of an OGC API request is unknown, malformed or out of range (HTTP 400)."""

    code = "invalid_query"
    title = "Invalid query parameter"
