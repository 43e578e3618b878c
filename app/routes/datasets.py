"""Dataset versions: ``GET /v1/datasets``."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from app.deps import ConnectionDep
from app.schemas import DatasetVersionPublic
from geodata import repository

router = APIRouter(tags=["datasets"])


@router.get(
    "/datasets",
    response_model=list[DatasetVersionPublic],
    summary="Dataset versions, and which is in force",
    responses={503: {"content": {"application/problem+json": {}}}},
)
def list_datasets(conn: ConnectionDep) -> list[DatasetVersionPublic]:
    """Every dataset version with its status, effective range, checksum and provenance.

    `in_force` marks the version in force today. The bundled versions are reconstructions on real
    boundaries (`reconstruction: true`), not the official geometry.
    """
    today = date.today()
    out = []
    for v in repository.list_versions(conn):
        in_force = (
            v["status"] != "draft"
            and v["effective_from"] is not None
            and v["effective_from"] <= today
            and (v["effective_to"] is None or v["effective_to"] > today)
        )
        out.append(
            DatasetVersionPublic(
                in_force=in_force, **{k: v[k] for k in DatasetVersionPublic.model_fields if k != "in_force"}
            )
        )
    return out
