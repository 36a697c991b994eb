"""/api/v1/brands: the brands a workspace watches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict

from app.api.deps import ReadConn, WorkspaceId, WriteConn
from app.api.errors import conflict_if_taken, not_found, validated
from app.specs import BrandSpec, brand_spec_of
from app.storage import brands as store

router = APIRouter(prefix="/brands", tags=["brands"])


class BrandOut(BaseModel):
    id: int
    name: str
    query: str
    languages: list[str]
    competitor: bool
    detection: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class BrandPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    query: str | None = None
    languages: list[str] | None = None
    competitor: bool | None = None
    detection: dict[str, Any] | None = None


def brand_out(row: dict[str, Any]) -> BrandOut:
    return BrandOut(**{**row, "competitor": row["is_competitor"]})


@router.get("", response_model=list[BrandOut])
def list_brands(conn: ReadConn, workspace_id: WorkspaceId) -> list[BrandOut]:
    """Every brand of the workspace."""
    return [brand_out(b) for b in store.list_brands(conn, workspace_id=workspace_id)]


@router.post("", response_model=BrandOut, status_code=201)
def create_brand(spec: BrandSpec, conn: WriteConn, workspace_id: WorkspaceId) -> BrandOut:
    """Create a brand; its query is checked and refused with the position of the problem."""
    conflict_if_taken(store.get_brand_by_name(conn, workspace_id=workspace_id, name=spec.name), "brand", spec.name)
    return brand_out(store.create_brand(conn, workspace_id=workspace_id, values=spec.to_row()))


@router.get("/{brand_id}", response_model=BrandOut)
def get_brand(brand_id: int, conn: ReadConn, workspace_id: WorkspaceId) -> BrandOut:
    """One brand."""
    row = store.get_brand(conn, workspace_id=workspace_id, brand_id=brand_id)
    if row is None:
        raise not_found("brand", brand_id)
    return brand_out(row)


@router.patch("/{brand_id}", response_model=BrandOut)
def update_brand(brand_id: int, patch: BrandPatch, conn: WriteConn, workspace_id: WorkspaceId) -> BrandOut:
    """Change some fields of a brand (new mentions are matched with the new query)."""
    row = store.get_brand(conn, workspace_id=workspace_id, brand_id=brand_id)
    if row is None:
        raise not_found("brand", brand_id)
    merged = {**brand_spec_of(row), **patch.model_dump(exclude_unset=True)}
    spec = validated(BrandSpec, merged)
    conflict_if_taken(
        store.get_brand_by_name(conn, workspace_id=workspace_id, name=spec.name), "brand", spec.name, brand_id
    )
    return brand_out(store.update_brand(conn, workspace_id=workspace_id, brand_id=brand_id, values=spec.to_row()))


@router.delete("/{brand_id}", status_code=204)
def delete_brand(brand_id: int, conn: WriteConn, workspace_id: WorkspaceId) -> Response:
    """Delete a brand; its mentions stay, unlinked from it."""
    if not store.delete_brand(conn, workspace_id=workspace_id, brand_id=brand_id):
        raise not_found("brand", brand_id)
    return Response(status_code=204)
