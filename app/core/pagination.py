"""Page parameters and opaque keyset cursors shared by every list endpoint."""

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import Depends, Query, Request, Response

from app.core.errors import InvalidParameter
from app.core.schemas import PageLinks

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
MAX_OFFSET = 100_000

Direction = Literal["after", "before"]


MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class Cursor:
    """A position in a list ordered by a unique string key: the page starts after (or ends
    before) `key`, or at `key` itself when `inclusive`."""

    direction: Direction
    key: str
    inclusive: bool = False

    def encode(self) -> str:
        data: dict[str, object] = {"d": self.direction, "k": self.key}
        if self.inclusive:
            data["i"] = True
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _invalid_cursor(reason: str) -> InvalidParameter:
    return InvalidParameter(
        f"Invalid cursor: {reason}. Use the cursor from a links.next or links.prev URL.",
        errors=[{"loc": ["query", "cursor"], "msg": reason, "type": "cursor_invalid"}],
    )


def decode_cursor(value: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise _invalid_cursor("not a cursor this API issued") from exc
    if not isinstance(data, dict) or data.get("d") not in ("after", "before"):
        raise _invalid_cursor("not a cursor this API issued")
    key, inclusive = data.get("k"), data.get("i", False)
    # Keys are slugs: printable, bounded. Anything else (NUL, lone surrogates...) is forged.
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise _invalid_cursor("not a cursor this API issued")
    if not isinstance(inclusive, bool):
        raise _invalid_cursor("not a cursor this API issued")
    return Cursor(direction=data["d"], key=key, inclusive=inclusive)


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: Cursor | None
    offset: int | None


async def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}.")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=1000, description="Opaque cursor from links.next or links.prev."),
    ] = None,
    offset: Annotated[
        int | None,
        Query(ge=0, le=MAX_OFFSET, description="Skip this many items (instead of a cursor)."),
    ] = None,
) -> PageParams:
    if cursor is not None and offset is not None:
        raise InvalidParameter(
            "Give either cursor or offset, not both.",
            errors=[
                {
                    "loc": ["query", "offset"],
                    "msg": "cannot be combined with cursor",
                    "type": "parameter_conflict",
                }
            ],
        )
    return PageParams(limit, decode_cursor(cursor) if cursor else None, offset)


PageDep = Annotated[PageParams, Depends(page_params)]


def explicit_limit(request: Request, page: PageParams) -> int | None:
    """The page size if the client asked for one, else None: exports run to the end."""
    return page.limit if "limit" in request.query_params else None


def page_url(request: Request, **params: str | int | None) -> str:
    """This request's path and query with `params` replaced (None removes one); a repeated
    parameter (e.g. inheritance=) keeps every value."""
    query = [(key, value) for key, value in request.query_params.multi_items() if key not in params]
    query += [(key, str(value)) for key, value in params.items() if value is not None]
    encoded = urlencode(query)
    return f"{request.url.path}?{encoded}" if encoded else request.url.path


def page_links(
    request: Request,
    next_params: dict[str, str | int | None] | None,
    prev_params: dict[str, str | int | None] | None,
) -> PageLinks:
    self_url = f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path
    return PageLinks(
        self=self_url,
        next=page_url(request, **next_params) if next_params is not None else None,
        prev=page_url(request, **prev_params) if prev_params is not None else None,
    )


def link_header(links: PageLinks) -> dict[str, str]:
    """RFC 8288 Link header with the page's next and prev links, beside those in the body."""
    parts = [f'<{url}>; rel="{rel}"' for rel, url in (("next", links.next), ("prev", links.prev))
             if url]  # fmt: skip
    return {"Link": ", ".join(parts)} if parts else {}


def set_link_header(response: Response, links: PageLinks) -> None:
    response.headers.update(link_header(links))


LinkParams = dict[str, str | int | None] | None


def offset_links(offset: int, limit: int, total: int) -> tuple[LinkParams, LinkParams]:
    next_params: LinkParams = None
    prev_params: LinkParams = None
    if offset + limit < total:
        next_params = {"offset": offset + limit, "cursor": None}
    if offset >= total > 0:
        # Past the end: back to the last page that has rows.
        prev_params = {"offset": max(total - limit, 0), "cursor": None}
    elif offset > 0:
        prev_params = {"offset": max(offset - limit, 0), "cursor": None}
        if offset < limit:  # a shorter first page, so it does not overlap this one
            prev_params["limit"] = offset
    return next_params, prev_params
