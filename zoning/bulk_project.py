"""Per-row project attributes of a bulk job: text cells → one small code per row.

A bulk input may carry, per row, what ``POST /v1/screenings`` takes as ``project``
(``zoning.project.ProjectAttributes``): the project nature (建设性质), a wastewater outfall
(水污染防治法 art. 64), "cannot avoid" (自然资发〔2022〕142号 一、（一）6) and 国家重大项目. An empty
cell is undeclared and takes the API's default (new, no, no, no) — exactly what the API does when
the field is omitted; a cell that is not one of the accepted words makes the row's error
``invalid_attribute``: never a silent default for a value someone wrote.

The four facts of a row are packed into one code (nature × 8 + outfall × 4 + cannot-avoid × 2 +
state-major), so that the kernels key verdicts by an integer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from zoning.project import ProjectAttributes, ProjectNature

ATTRIBUTE_FIELDS = ("project_nature", "has_outfall", "cannot_avoid", "state_major_project")
"""The per-row attributes, in the order of :class:`ProjectColumns` and of the packed code."""

NATURE_WORDS: dict[str, ProjectNature] = {
    **{n.value: n for n in ProjectNature},
    **{n.label_zh: n for n in ProjectNature},
}
"""Accepted project-nature cells (case-insensitive): new/expansion/rebuild/relocation, 新建/扩建/改建/迁建."""

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "是", "有"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "否", "无"})
"""Accepted yes/no cells (case-insensitive)."""

_NATURES = list(ProjectNature)
INVALID = -1


@dataclass(frozen=True)
class ProjectColumns:
    """The input's attribute columns of one partition (None: the input has no such column)."""

    project_nature: pa.Array | None = None
    has_outfall: pa.Array | None = None
    cannot_avoid: pa.Array | None = None
    state_major_project: pa.Array | None = None


def _cells(column: pa.Array) -> npt.NDArray[np.object_]:
    text = pc.utf8_lower(pc.utf8_trim_whitespace(pc.cast(column, pa.string())))
    return np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)


def _codes(cells: npt.NDArray[np.object_], words: dict[str, int]) -> npt.NDArray[np.int64]:
    """Per cell its word's value; 0 for an empty cell, INVALID for anything else."""
    out = np.zeros(cells.size, dtype=np.int64)
    for i, cell in enumerate(cells.tolist()):
        if cell is None or cell == "":
            continue
        out[i] = words.get(cell, INVALID)
    return out


_NATURE_CODES = {word: _NATURES.index(nature) for word, nature in NATURE_WORDS.items()}
_BOOL_CODES = {**dict.fromkeys(TRUE_WORDS, 1), **dict.fromkeys(FALSE_WORDS, 0)}


def project_codes(columns: ProjectColumns | None, n: int) -> npt.NDArray[np.int64]:
    """One packed attribute code per row (0 = the defaults), ``INVALID`` (-1) where a cell is unreadable."""
    code = np.zeros(n, dtype=np.int64)
    if columns is None:
        return code
    bad = np.zeros(n, dtype=bool)
    for name, weight, words in (
        ("project_nature", 8, _NATURE_CODES),
        ("has_outfall", 4, _BOOL_CODES),
        ("cannot_avoid", 2, _BOOL_CODES),
        ("state_major_project", 1, _BOOL_CODES),
    ):
        column = getattr(columns, name)
        if column is None:
            continue
        values = _codes(_cells(column), words)
        bad |= values == INVALID
        code += np.where(values == INVALID, 0, values) * weight
    return np.where(bad, INVALID, code)


def attributes(code: int) -> ProjectAttributes:
    """The attributes a packed code stands for (``is_linear`` left to ``screen``, which reads the footprint)."""
    return ProjectAttributes(
        project_nature=_NATURES[code // 8],
        has_outfall=bool(code & 4),
        cannot_avoid=bool(code & 2),
        state_major_project=bool(code & 1),
    )
