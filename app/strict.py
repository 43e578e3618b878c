"""The base of every request body model: unknown fields, non-finite numbers and unstorable text refused.

A misspelt field (``{"bufer_m": 5000}``) would otherwise be dropped without a word and the request
answered as if it had not been sent; NaN and ±Infinity are not JSON numbers (RFC 8259 §6) though
Python's parser reads them; and PostgreSQL text holds neither NUL nor a lone UTF-16 surrogate
(which JSON's ``\\ud800`` escapes can produce), so such text is refused where it enters, with 422
naming the field, rather than failing at the database.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from zoning.errors import InvalidInput


def unstorable(text: str) -> str | None:
    """Why a text cannot be stored (a NUL character, a lone surrogate), or None."""
    if "\x00" in text:
        return "contains a NUL character (U+0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone UTF-16 surrogate, which is not a character"
    return None


def _check_text(value: Any) -> None:
    """Refuse unstorable text anywhere in a value, nested dicts and lists included (iteratively: the
    nesting of a JSON body is the caller's to choose)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            why = unstorable(item)
            if why:
                raise ValueError(f"the text {why}")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def storable_text(value: str | None, field: str) -> str | None:
    """A form field's text, or ``InvalidInput`` naming the field when it cannot be stored."""
    if value is not None and (why := unstorable(value)):
        raise InvalidInput(f"{field} {why}", field=field)
    return value


class StrictModel(BaseModel):
    """A request body: unknown fields → 422 naming them; NaN/Infinity and NUL/surrogate text → 422."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _text_is_storable(cls, value: Any) -> Any:
        _check_text(value)
        return value
