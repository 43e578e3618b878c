"""The GB/T 4754-2017 国民经济行业分类 catalogue, as data, built from a committed source table.

Source: ``geodata/nanchang/gbt4754_2017.tsv`` (columns ``code``, ``name_zh``, ``name_en``), a
transcription of the standard's code table (GB/T 4754-2017 with its 2019 amendment 第1号修改单):
20 sections, 97 divisions, 473 groups and 1,381 classes, every level. No registry package ships the
table (PyPI ``patent-taxo-sdk`` 1.0.0, looked at, is a database client without the data), so it was
written by hand; see ``data/PROVENANCE.md`` for how it was checked and for the 1,380/1,381 question.
English names follow the China Statistical Yearbook usage for sections and divisions; the standard
has no official English below that level, so group and class names are our translations.

Levels and parents are not in the table: they follow from each code's shape by the standard's own
coding rules, as :mod:`zoning.industry` (the one GB/T 4754 matcher) states them.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Final

from zoning import industry

SOURCE: Final[Path] = Path(__file__).resolve().parent / "gbt4754_2017.tsv"


def read_source(path: Path = SOURCE) -> list[dict[str, str | None]]:
    """The catalogue rows ``{code, level, parent, name_zh, name_en}`` in the table's (standard) order.

    Raises ``ValueError`` when a row's code is malformed, duplicated, or has no parent row above it.
    """
    rows: list[dict[str, str | None]] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8", newline="") as fh:
        for n, rec in enumerate(csv.DictReader(fh, delimiter="\t"), start=2):
            code = rec["code"]
            if industry.normalize(code, field="code") != code or code in seen:
                raise ValueError(f"{path.name}:{n}: code {code!r} is not canonical or is repeated")
            parent = industry.parent_of(code)
            if parent is not None and parent not in seen:
                raise ValueError(f"{path.name}:{n}: {code} comes before its parent {parent}")
            seen.add(code)
            rows.append(
                {
                    "code": code,
                    "level": industry.level(code),
                    "parent": parent,
                    "name_zh": rec["name_zh"].strip(),
                    "name_en": rec["name_en"].strip(),
                }
            )
    return rows


CATALOGUE: Final[list[dict[str, str | None]]] = read_source()
"""Every section, division, group and class: ``{code, level, parent, name_zh, name_en}``, in the
standard's order (a section, then each of its divisions followed by its groups and classes)."""
