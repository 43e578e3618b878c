"""What the applicant declares about a project beyond its footprint and industry.

The law turns on these facts: 水污染防治法 art. 67 treats a rebuild (改建) differently from a new or
expanded project; art. 64 forbids any outfall; 自然资发〔2022〕142号 一、（一）6 admits linear
infrastructure only when it "必须且无法避让"; a 国家重大项目 has its own path into the red line;
the access-list clauses' ``new_or_expanded`` condition reads the project nature.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shapely.geometry.base import BaseGeometry


class ProjectNature(StrEnum):
    """建设性质 of a construction project."""

    NEW = "new"
    EXPANSION = "expansion"
    REBUILD = "rebuild"
    RELOCATION = "relocation"

    @property
    def label_zh(self) -> str:
        return {"new": "新建", "expansion": "扩建", "rebuild": "改建", "relocation": "迁建"}[self.value]

    @property
    def builds_new_capacity(self) -> bool:
        """新建/扩建 in the sense of the access lists and art. 67.

        A relocation (迁建) builds the whole project anew at the new site, so it is treated as new
        construction there (judgement: the EIA guidance treats 迁建 like 新建 at the receiving site).
        """
        return self is not ProjectNature.REBUILD


_LINEAR_TYPES = frozenset({"LineString", "MultiLineString", "LinearRing"})


@dataclass(frozen=True)
class ProjectAttributes:
    """The applicant's declarations; the defaults are the common case, never an assumption of innocence."""

    project_nature: ProjectNature = ProjectNature.NEW
    has_outfall: bool = False
    """A wastewater outfall (排污口) to surface water (水污染防治法 art. 64)."""
    cannot_avoid: bool = False
    """The project declares it cannot avoid the zone (142号 一、（一）6 "必须且无法避让")."""
    state_major_project: bool = False
    """Declared a 国家重大项目 (the red-line occupation path with an unavoidability demonstration)."""
    is_linear: bool = False
    """A linear project (road, pipeline, power line): recognised from a LineString footprint."""

    @classmethod
    def for_footprint(
        cls,
        footprint: BaseGeometry,
        *,
        project_nature: ProjectNature | str = ProjectNature.NEW,
        has_outfall: bool = False,
        cannot_avoid: bool = False,
        state_major_project: bool = False,
    ) -> ProjectAttributes:
        """Attributes with ``is_linear`` derived from the footprint's geometry type."""
        return cls(
            project_nature=ProjectNature(project_nature),
            has_outfall=has_outfall,
            cannot_avoid=cannot_avoid,
            state_major_project=state_major_project,
            is_linear=footprint.geom_type in _LINEAR_TYPES,
        )
