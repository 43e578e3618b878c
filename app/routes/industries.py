"""The GB/T 4754-2017 catalogue: ``GET /v1/industries?q=``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from app.deps import get_snapshots
from geodata.snapshots import SnapshotCache

router = APIRouter(tags=["look-ups"])


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
    return {
        "count": len(hits),
        "industries": [
            {"code": e.code, "level": e.level, "parent": e.parent, "name_zh": e.name_zh, "name_en": e.name_en}
            for e in hits
        ],
    }
