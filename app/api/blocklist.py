"""/api/v1/brands/{id}/blocklist: authors, domains and terms whose mentions are never linked to the brand."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import ReadConn, WorkspaceId, WriteConn
from app.api.errors import Problem, not_found
from app.api.mentions import BlockOut
from app.blocklist import normalize_entry
from app.db.schema import utcnow
from app.storage import curation as store
from app.storage.brands import get_brand
from app.storage.reprocess import create_job

router = APIRouter(prefix="/brands", tags=["curation"])


class BlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["author", "domain", "term"]
    value: str = Field(
        min_length=1,
        max_length=300,
        description="An author name, a domain (sub-domains included) "
        "or a term (matched as a phrase, case and accent blind)",
    )


class BlockAdded(BaseModel):
    entry: BlockOut
    created: bool = Field(description="False when the entry was already there")
    reprocess_job: int | None = Field(description="The re-match job applying the change to stored mentions")


ApplyToStored = Annotated[
    bool, Query(description="Re-match the brand's stored mentions in the background (a reprocess job)")
]


def _brand(conn, workspace_id: int, brand_id: int) -> None:  # noqa: ANN001
    if get_brand(conn, workspace_id=workspace_id, brand_id=brand_id) is None:
        raise not_found("brand", brand_id)


@router.get("/{brand_id}/blocklist", response_model=list[BlockOut])
def list_blocklist(brand_id: int, conn: ReadConn, workspace_id: WorkspaceId) -> list[BlockOut]:
    """The brand's blocklist, oldest entry first."""
    _brand(conn, workspace_id, brand_id)
    return [BlockOut(**r) for r in store.list_blocks(conn, workspace_id=workspace_id, brand_id=brand_id)]


@router.post("/{brand_id}/blocklist", response_model=BlockAdded, status_code=201)
def add_to_blocklist(
    brand_id: int, body: BlockIn, conn: WriteConn, workspace_id: WorkspaceId, apply_to_stored: ApplyToStored = True
) -> BlockAdded:
    """Block an author, a domain or a term for the brand: new mentions at once, stored ones by a background job."""
    _brand(conn, workspace_id, brand_id)
    try:
        value = normalize_entry(body.kind, body.value)
    except ValueError as exc:
        raise Problem(422, "Invalid blocklist entry", str(exc)) from None
    now = utcnow()
    row, created = store.add_block(
        conn, workspace_id=workspace_id, brand_id=brand_id, kind=body.kind, value=value, now=now
    )
    job = None
    if created and apply_to_stored:
        job = create_job(
            conn, workspace_id=workspace_id, brand_id=brand_id, rematch=True, rescore=False, since=None, now=now
        )["id"]
    return BlockAdded(entry=BlockOut(**row), created=created, reprocess_job=job)


@router.delete("/{brand_id}/blocklist/{entry_id}", status_code=204)
def remove_from_blocklist(
    brand_id: int, entry_id: int, conn: WriteConn, workspace_id: WorkspaceId, apply_to_stored: ApplyToStored = True
) -> Response:
    """Unblock: new mentions match again at once; stored ones are linked back by a background re-match job (its
    id is in the `Vigie-Reprocess-Job` header). Mentions marked spam or irrelevant by hand stay out."""
    _brand(conn, workspace_id, brand_id)
    if not store.delete_block(conn, workspace_id=workspace_id, brand_id=brand_id, block_id=entry_id):
        raise not_found("blocklist entry", entry_id)
    headers = {}
    if apply_to_stored:
        job = create_job(
            conn, workspace_id=workspace_id, brand_id=brand_id, rematch=True, rescore=False, since=None, now=utcnow()
        )
        headers["Vigie-Reprocess-Job"] = str(job["id"])
    return Response(status_code=204, headers=headers)
