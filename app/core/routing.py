"""How routes are declared and found: every router is built by `api_router` with its full path
and tag, its routes sit flat on the app, and `RouteIndex` finds a request's route among the few
whose literal start fits its path instead of trying every route in turn.

Why not `include_router`: FastAPI matches an included router through a wrapper that tries each
of its routes with per-route scope bookkeeping, so a request to the last router paid for about
seventy failed matches (about 100 µs, three times a minimal app's whole request)."""

from collections.abc import Iterable
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


def api_router(
    tag: str, prefix: str = API_PREFIX, route_class: type[APIRoute] = APIRoute
) -> APIRouter:
    """A domain's router: its paths under `prefix`, its operations under `tag`."""
    return APIRouter(
        prefix=prefix,
        tags=[tag],
        route_class=route_class,
        generate_unique_id_function=operation_id,
    )


def include_flat(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """The routers' routes appended to the app's own list, in order (see the module doc)."""
    for router in routers:
        app.router.routes.extend(router.routes)


Shape = tuple[tuple[str, ...], int | None]  # literal start, and segment count (None: any)


def _shape(route: BaseRoute) -> Shape | None:
    """The leading literal path segments (up to KEY_DEPTH) every path the route matches begins
    with, and how many segments such a path has (None when a mount or a `:path` parameter lets
    it have any number); None for a route not matched by path alone (tried for every path)."""
    path = getattr(route, "path", None)
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    segments = path[1:].split("/")
    literal = []
    for segment in segments[:KEY_DEPTH]:
        if "{" in segment:
            break
        literal.append(segment)
    if isinstance(route, Mount):
        if len(literal) == KEY_DEPTH:
            literal.pop()  # a mount's last segment may be followed by anything, even "x.js"
        return tuple(literal), None
    return tuple(literal), None if ":path}" in path else len(segments)


class RouteIndex(BaseRoute):
    """The first entry of the app's routes. For a request it tries, in their declared order,
    only the routes whose literal start is a start of the path and whose segment count is the
    path's (all the others cannot match), and on the first full match hands the request to that
    route. Otherwise it answers no match, and the router goes on through every route as it
    would without the index, so not-found, 405 and slash redirects are exactly what they were.
    The groups are rebuilt when routes are added."""

    CACHE_SIZE = 1024  # candidate lists kept, by the path's start and segment count

    def __init__(self, routes: list[BaseRoute]) -> None:
        self._routes = routes  # the app's own list, which this index is the first entry of
        self._built_for = -1  # the length of the list the groups were built from
        self._by_shape: dict[Shape, list[tuple[int, BaseRoute]]] = {}
        self._always: list[tuple[int, BaseRoute]] = []
        self._cache: dict[tuple[tuple[str, ...], int], list[BaseRoute]] = {}

    def _rebuild(self) -> None:
        by_shape: dict[Shape, list[tuple[int, BaseRoute]]] = {}
        always: list[tuple[int, BaseRoute]] = []
        for position, route in enumerate(self._routes):
            if route is self:
                continue
            shape = _shape(route)
            if shape is None:
                always.append((position, route))
            else:
                by_shape.setdefault(shape, []).append((position, route))
        self._by_shape, self._always, self._cache = by_shape, always, {}
        self._built_for = len(self._routes)

    def _candidates(self, path: str) -> list[BaseRoute]:
        if self._built_for != len(self._routes):  # routes are added, not swapped, once served
            self._rebuild()
        segments = path[1:].split("/")
        key = (tuple(segments[:KEY_DEPTH]), len(segments))
        found = self._cache.get(key)
        if found is None:
            start, count = key
            entries = list(self._always)
            for depth in range(len(start) + 1):
                for each in (count, None):
                    entries += self._by_shape.get((start[:depth], each), ())
            found = [route for _, route in sorted(entries, key=lambda entry: entry[0])]
            if len(self._cache) >= self.CACHE_SIZE:
                self._cache.clear()  # odd paths (scanners) must not grow it without bound
            self._cache[key] = found
        return found

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        for route in self._candidates(get_route_path(scope)):
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
