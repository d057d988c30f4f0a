"""A renamed record's old slug answers 308 to the new one, on every route under it (the
record, its sections, document and revisions, and writes, which 308 lets clients re-send)."""

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.conditions import repository
from app.core.errors import ConditionNotFound, app_error, problem_response
from app.core.urls import condition_path


def _target(factory: sessionmaker[Session], slug: str) -> str | None:
    with factory() as session:
        return repository.redirect_target(session, slug)


async def _moved_or_not_found(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConditionNotFound)
    slug = exc.extensions.get("slug")
    prefix = condition_path(str(slug))
    path = request.url.path
    if slug and (path == prefix or path.startswith(prefix + "/")):
        target = await run_in_threadpool(_target, request.app.state.session_factory, slug)
        if target is not None:
            location = condition_path(target) + path.removeprefix(prefix)
            if request.url.query:
                location += "?" + request.url.query
            return problem_response(
                request, HTTPStatus.PERMANENT_REDIRECT, "moved", "Moved permanently",
                f"{slug!r} was renamed {target!r}.", headers={"Location": location}, slug=target,
            )  # fmt: skip
    return await app_error(request, exc)


def install_redirects(app: FastAPI) -> None:
    app.add_exception_handler(ConditionNotFound, _moved_or_not_found)
