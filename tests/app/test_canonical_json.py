"""The canonical form of a screening record is the standard library's JSON, byte for byte.

A stored record is re-read and served again, and the bytes must be the ones first answered (a
reviewer may have cited or hashed them). The reference is ``json.dumps(data, ensure_ascii=False,
sort_keys=True, separators=(",", ":"))``, the form records have always had; ``canonical_json``
takes orjson's faster path only where it writes those same bytes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.schemas_screening import canonical_json


def reference(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(min_value=1e-9, max_value=1e-3)
    | st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12)
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(
            st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=8), inner, max_size=5
        )
    ),
    max_leaves=40,
)


@settings(max_examples=2000, deadline=None)
@given(DOCUMENTS)
def test_random_documents_match_the_standard_library(data: Any) -> None:
    assert canonical_json(data) == reference(data)


@pytest.mark.parametrize(
    "value",
    [
        1e-05,  # Python: 1e-05; orjson: 0.00001
        1.234e-05,
        6.059441656784624e-07,  # Python: e-07; orjson: e-7
        0.0001,
        1e16,
        1.2345678901234568e17,
        9999999999999998.0,
        5e-324,
        1.7976931348623157e308,
        -0.0,
        2**64,  # beyond orjson's integers
        "0.00001 in a note",  # the pattern inside a string: the slow path, the same bytes
        "\u2028\u2029\x7f\x1f 南昌",
    ],
)
def test_number_forms_and_strings_match_the_standard_library(value: Any) -> None:
    data = {"z": value, "a": [value, {"k": value}], "南": 1}
    assert canonical_json(data) == reference(data)


def test_keys_that_are_not_strings_are_written_as_the_standard_library_writes_them() -> None:
    data = {1: "a", 2: {2.5: None, 1.5: True}}
    assert canonical_json(data) == reference(data)
