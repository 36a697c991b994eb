"""Errors as application/problem+json (RFC 9457): a title, a status, a detail that says what to do."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
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

    @app.exception_handler(Exception)
    async def _on_crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return _problem(500, "Internal error", "an unexpected error occurred; it has been logged", request)
