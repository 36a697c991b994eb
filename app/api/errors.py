"""Errors as application/problem+json (RFC 9457): a title, a status, a detail that says what to do."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


class Problem(Exception):
    """An API error with an HTTP status and a message for the user."""

    def __init__(self, status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra
        self.headers = headers or {}


def not_found(what: str, ident: object) -> Problem:
    """The standard 404 for a resource of this workspace."""
    return Problem(404, "Not found", f"no {what} with id {ident} in this workspace")


def conflict_if_taken(existing: dict[str, Any] | None, what: str, name: str, own_id: int | None = None) -> None:
    """409 when another resource of the workspace already has this name."""
    if existing and existing["id"] != own_id:
        raise Problem(409, "Conflict", f"a {what} named {name!r} already exists (id {existing['id']})")


def _field_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"field": _location(tuple(e["loc"])), "message": e["msg"].removeprefix("Value error, ")} for e in errors]


def validated(model: type, data: dict[str, Any]) -> Any:
    """Validate merged data (a partial update) with `model`, failing like request validation does."""
    try:
        return model(**data)
    except ValidationError as exc:
        errors = _field_errors(exc.errors())
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        raise Problem(422, "Invalid request", detail, errors=errors) from None


def _problem(
    status: int, title: str, detail: str, request: Request, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body["instance"] = request.url.path
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _location(loc: tuple) -> str:
    # Drop the leading "body"/"query"/... part: a field called "query" must stay visible.
    parts = [str(p) for p in (loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc)]
    return ".".join(parts) or "request"


def install_error_handlers(app: FastAPI) -> None:
    """Turn every error into problem+json; never a stack trace."""

    @app.exception_handler(Problem)
    async def _on_problem(request: Request, exc: Problem) -> JSONResponse:
        return _problem(exc.status, exc.title, exc.detail, request, exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(list(exc.errors()))
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return _problem(422, "Invalid request", detail, request, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _problem(exc.status_code, str(exc.detail), str(exc.detail), request, exc.headers)

    @app.exception_handler(OverflowError)
    async def _on_huge_number(request: Request, exc: OverflowError) -> JSONResponse:
        # An id or count beyond 64 bits reaches the driver (SQLite refuses it in Python): the client's error.
        return _problem(422, "Invalid request", "a number in the request is out of range", request)

    @app.exception_handler(sa.exc.DataError)
    async def _on_bad_value(request: Request, exc: sa.exc.DataError) -> JSONResponse:
        # PostgreSQL's way of saying the same ("value out of range for type bigint"); never its SQL text.
        return _problem(422, "Invalid request", "a value in the request is out of range", request)

    @app.exception_handler(Exception)
    async def _on_crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return _problem(500, "Internal error", "an unexpected error occurred; it has been logged", request)


class FieldError(BaseModel):
    field: str
    message: str


class ProblemOut(BaseModel):
    """An error, as RFC 9457 problem details (application/problem+json)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None
    model_config = ConfigDict(extra="allow")


def _documented(description: str) -> dict:
    return {"model": ProblemOut, "description": description, "content": {"application/problem+json": {}}}


# Every /api/v1 operation may answer these (documented once, for clients and for the schemathesis run).
COMMON_RESPONSES: dict[int | str, dict] = {
    400: _documented("Malformed request"),
    401: _documented("Missing, unknown or revoked API key"),
    403: _documented("The API key's scope does not allow this"),
    404: _documented("No such resource in this workspace"),
    409: _documented("Conflicts with the current state (a taken name, an action that does not apply)"),
    413: _documented("Request body too large"),
    422: _documented("Invalid request: `errors` lists each field"),
    429: _documented("Too many requests for this API key; see Retry-After"),
    503: _documented("The database is not ready"),
}
