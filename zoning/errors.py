"""Domain exceptions: ``ZoningError`` and one-purpose subclasses.

Each carries a stable machine ``code``, a human ``detail`` and, where the fault is in the caller's
input, the ``field`` it is in. The HTTP layer maps classes to statuses in one table
(``app/errors.py``); nothing matches on message text.
"""

from __future__ import annotations

from typing import Any


class ZoningError(Exception):
    """Base of every error the domain and the store raise on purpose."""

    code: str = "zoning_error"
    title: str = "Zoning error"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra


class InvalidInput(ZoningError):
    """The caller's input cannot be read as what it claims to be."""

    code = "invalid_input"
    title = "Invalid input"


class MissingParameter(InvalidInput):
    """A required request parameter is absent."""

    code = "missing_parameter"
    title = "Missing parameter"


class InvalidParameter(InvalidInput):
    """A request parameter is not of its type or not one of its values."""

    code = "invalid_parameter"
    title = "Invalid parameter"


class InvalidCoordinate(InvalidInput):
    """A coordinate is missing, not a number, or outside its valid range."""

    code = "invalid_coordinate"
    title = "Invalid coordinate"


class OutsideCity(InvalidInput):
    """A location lies outside the city the zoning covers."""

    code = "outside_city"
    title = "Location outside Nanchang"


class NotFound(ZoningError):
    """A named thing (unit, version, screening) does not exist."""

    code = "not_found"
    title = "Not found"


class NoVersionInForce(ZoningError):
    """No published dataset version is in force on the asked date."""

    code = "no_version_in_force"
    title = "No dataset version in force"


class NoVersionOnDate(NotFound):
    """The caller asked for a date (``as_of``) on which no published version was in force."""

    code = "no_version_on_date"
    title = "No dataset version in force on that date"


class StoreUnavailable(ZoningError):
    """The PostGIS store cannot be reached or did not answer in time."""

    code = "store_unavailable"
    title = "Database unavailable"


class DataIntegrityError(ZoningError):
    """Data to be written breaks a rule of the schema (duplicate code, bad geometry, …)."""

    code = "data_integrity"
    title = "Data refused by the store"
