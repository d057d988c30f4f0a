"""How routes are declared and found: every router is built by `api_router` with its full path
and tag, its routes sit flat on the app, and `RouteIndex` finds a request's route among the few
whose literal start fits its path instead of trying every route in turn.

Why not `include_router`: FastAPI matches an included router through a wrapper that tries each
of its routes with per-route scope bookkeeping, so a request to the last router paid for about
seventy failed matches (about 100 µs, three times a minimal app's whole request)."""

from bisect import insort
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette._utils import get_route_path  # what Starlette's routes match on
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, Mount, NoMatchFound
from starlette.types import Receive, Scope, Send

from app.core.urls import API_PREFIX

_SELECTED = "app.route_index.selected"  # the scope key that carries the route found to handle
KEY_DEPTH = 2  # routes are grouped by up to this many leading literal path segments


def operation_id(route: APIRoute) -> str:
    """Readable client method names: conditions-get_condition, conditions-get_symptoms, ..."""
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def api_router(tag: str, prefix: str = API_PREFIX) -> APIRouter:
    """A domain's router: its paths under `prefix`, its operations under `tag`."""
    return APIRouter(prefix=prefix, tags=[tag], generate_unique_id_function=operation_id)


def include_flat(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """The routers' routes appended to the app's own list, in order (see the module doc)."""
    for router in routers:
        app.router.routes.extend(router.routes)


def _literal_start(route: BaseRoute) -> tuple[str, ...] | None:
    """The leading path segments every path the route matches begins with (up to KEY_DEPTH);
    None for a route that is not matched by path alone (it is tried for every request)."""
    path = getattr(route, "path", None)
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    literal = []
    for segment in path[1:].split("/")[:KEY_DEPTH]:
        if "{" in segment:
            break
        literal.append(segment)
    if isinstance(route, Mount) and len(literal) == KEY_DEPTH:
        literal.pop()  # a mount's last segment may be followed by anything, even "x.js"
    return tuple(literal)


def _request_keys(path: str) -> tuple[tuple[str, ...], ...]:
    segments = path[1:].split("/", KEY_DEPTH)[:KEY_DEPTH]
    return tuple(tuple(segments[:depth]) for depth in range(len(segments), -1, -1))


class RouteIndex(BaseRoute):
    """The first entry of the app's routes. For a request it tries, in their declared order,
    only the routes whose literal start is a start of the path (all the others cannot match),
    and on the first full match hands the request to that route. Otherwise it answers no match,
    and the router goes on through every route as it would without the index, so not-found,
    405 and slash redirects are exactly what they were. The groups are rebuilt when routes are
    added."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self._routes = routes  # the app's own list, which this index is the first entry of
        self._built_for = -1  # the length of the list the groups were built from
        self._groups: dict[tuple[str, ...], list[tuple[int, BaseRoute]]] = {}
        self._always: list[tuple[int, BaseRoute]] = []

    def _rebuild(self) -> None:
        grouped: dict[tuple[str, ...], list[tuple[int, BaseRoute]]] = {}
        always: list[tuple[int, BaseRoute]] = []
        for position, route in enumerate(self._routes):
            if route is self:
                continue
            start = _literal_start(route)
            if start is None:
                always.append((position, route))
            else:
                grouped.setdefault(start, []).append((position, route))
        # Each key's candidates: its own routes and those of every shorter start of it.
        groups: dict[tuple[str, ...], list[tuple[int, BaseRoute]]] = {}
        for start in grouped:
            for depth in range(len(start) + 1):
                groups.setdefault(start[:depth], [])
        for key, candidates in groups.items():
            for depth in range(len(key) + 1):
                for entry in grouped.get(key[:depth], ()):
                    insort(candidates, entry, key=lambda item: item[0])
            for entry in always:
                insort(candidates, entry, key=lambda item: item[0])
        self._groups, self._always = groups, always
        self._built_for = len(self._routes)

    def _candidates(self, path: str) -> Sequence[tuple[int, BaseRoute]]:
        if self._built_for != len(self._routes):  # routes are added, not swapped, once served
            self._rebuild()
        for key in _request_keys(path):
            if key in self._groups:
                return self._groups[key]
        return self._always

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        for _, route in self._candidates(get_route_path(scope)):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return Match.FULL, {**child_scope, _SELECTED: route}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute = scope.pop(_SELECTED)
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)  # the routes themselves answer, further down


def install_route_index(app: FastAPI) -> None:
    app.router.routes.insert(0, RouteIndex(app.router.routes))
