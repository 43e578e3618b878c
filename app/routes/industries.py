"""The GB/T 4754-2017 catalogue: ``GET /v1/industries?q=`` and ``GET /v1/industries/{code}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from app.deps import get_snapshots
from geodata.snapshots import SnapshotCache
from zoning import industry
from zoning.errors import NotFound
from zoning.industry import IndustryEntry

router = APIRouter(tags=["look-ups"])


def _public(e: IndustryEntry) -> dict[str, Any]:
    return {"code": e.code, "level": e.level, "parent": e.parent, "name_zh": e.name_zh, "name_en": e.name_en}


@router.get("/industries", summary="Look up GB/T 4754-2017 industries by code or zh/en words")
def search_industries(
    snapshots: Annotated[SnapshotCache, Depends(get_snapshots)],
    q: Annotated[
        str, Query(min_length=1, max_length=50, description="code prefix, or words: 化学, chemical")
    ],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """国民经济行业分类 entries whose code starts with `q` or whose Chinese or English name contains it."""
    hits = snapshots.catalogue().search(q, limit=limit)
    return {"count": len(hits), "industries": [_public(e) for e in hits]}


@router.get("/industries/{code}", summary="One GB/T 4754-2017 industry with its ancestors and children")
def get_industry(
    snapshots: Annotated[SnapshotCache, Depends(get_snapshots)],
    code: Annotated[str, Path(max_length=8, description="C, 26, 261, 2614 or C2614")],
) -> dict[str, Any]:
    """门类/大类/中类/小类 by code: 422 for a malformed code, 404 for one the standard does not have."""
    catalogue = snapshots.catalogue()
    normal = industry.normalize(code, field="code")
    entry = catalogue.get(normal)
    if entry is None:
        raise NotFound(f"GB/T 4754-2017 has no {industry.level(normal)} {normal}", field="code")
    ancestors: list[dict[str, Any]] = []
    parent = entry.parent
    while parent is not None:
        up = catalogue.get(parent)
        if up is None:
            break
        ancestors.insert(0, _public(up))
        parent = up.parent
    children = [_public(e) for e in catalogue.entries() if e.parent == entry.code]
    return {**_public(entry), "ancestors": ancestors, "children": children}
