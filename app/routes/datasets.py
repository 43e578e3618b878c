"""Dataset versions: ``GET /v1/datasets``."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter

from app.deps import ConnectionDep
from app.schemas import DatasetVersionPublic
from app.security import PrincipalDep
from geodata import repository

router = APIRouter(tags=["datasets"])


@router.get(
    "/datasets",
    response_model=list[DatasetVersionPublic],
    summary="Dataset versions, and which is in force",
    responses={503: {"content": {"application/problem+json": {}}}},
)
def list_datasets(conn: ConnectionDep, principal: PrincipalDep) -> list[DatasetVersionPublic]:
    """Every published dataset version with its status, effective range, checksum and provenance.

    `in_force` marks the version in force today. The bundled versions are reconstructions on real
    boundaries (`reconstruction: true`), not the official geometry. Drafts, and who imported a
    version from which server-side files, are listed to `admin` keys only.
    """
    today = date.today()
    admin = principal.has("admin")
    out = []
    for v in repository.list_versions(conn):
        if not admin:
            if v["status"] == "draft":
                continue
            v = {**v, "provenance": public_provenance(v["provenance"])}
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


PRIVATE_PROVENANCE = frozenset({"import", "bundled_folder"})
"""Provenance entries naming the operator and server-side paths (the import's actor, files and
mapping; the bundled folder): for administrators only."""


def public_provenance(provenance: dict[str, Any]) -> dict[str, Any]:
    """A version's provenance as shown to non-administrators."""
    return {k: v for k, v in provenance.items() if k not in PRIVATE_PROVENANCE}
