"""Conditional requests (RFC 9110 §13): strong ETags (from the bytes sent, or from a record's
revision), If-None-Match and If-Modified-Since answered with 304, and the caching headers every
cacheable response carries."""

import base64
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request, Response
from pydantic import BaseModel

from app import __version__

# A compressed response gets its encoding appended to the ETag (as Apache does), so gzip and
# identity bytes never share a strong validator; matching ignores the suffix. The "." is not
# in the digest's base64url alphabet, so a digest can never look like it has a suffix.
ENCODING_SUFFIXES = (".gzip", ".br", ".zstd")


_STRONG_TAG = re.compile(r'"[A-Za-z0-9_-]{16}(\.(gzip|br|zstd))?"')


def _held(matched: str, etag: str) -> str:
    """The strong tag the client holds, which may name an encoding, written as we write it
    (a weak or unquoted form of it gets its quotes back); for `*`, the identity tag."""
    candidate = matched.strip().removeprefix("W/").strip('"')
    return f'"{candidate}"' if _STRONG_TAG.fullmatch(f'"{candidate}"') else etag


def entity_tag(body: bytes) -> str:
    """A strong ETag derived from the content alone: equal bytes, equal tags, on any worker."""
    digest = hashlib.blake2b(body, digest_size=12).digest()
    return '"' + base64.urlsafe_b64encode(digest).decode() + '"'


def _opaque(tag: str) -> str:
    tag = tag.strip().removeprefix("W/").strip('"')
    for suffix in ENCODING_SUFFIXES:
        if tag.endswith(suffix):
            return tag.removesuffix(suffix)
    return tag


def matching_tag(if_none_match: str, etag: str) -> str | None:
    """The client's tag that matches `etag` by weak comparison (as If-None-Match requires), or
    None. `*` matches any current representation."""
    wanted = _opaque(etag)
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return etag
        if candidate and _opaque(candidate) == wanted:
            return candidate
    return None


_ANY_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')


def strong_tags(if_match: str) -> list[str] | None:
    """The strong tags of an If-Match value, without quotes or encoding suffix (weak tags never
    match there, RFC 9110 §13.1.1); None when the value is not a list of entity tags."""
    value, tags, position = if_match.strip(), [], 0
    while position < len(value):
        found = _ANY_TAG.match(value, position)
        if found is None or found.end() == position:
            return None
        if not found.group(1):
            tags.append(_opaque(found.group(2)))
        position = found.end()
    return tags if value else None


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def _not_modified_since(request: Request, last_modified: datetime | None) -> bool:
    since = request.headers.get("if-modified-since")
    if last_modified is None or not since:
        return False
    try:
        moment = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False  # an unparsable date is ignored, as RFC 9110 says
    if moment.tzinfo is None:
        return False
    return last_modified.replace(microsecond=0) <= moment


@dataclass(frozen=True)
class Rendered:
    """One representation's bytes with its media type and strong validator."""

    body: bytes
    media_type: str
    etag: str
    headers: dict[str, str] = field(default_factory=dict)  # e.g. a list's Link header

    @classmethod
    def of(
        cls,
        body: bytes,
        media_type: str,
        headers: dict[str, str] | None = None,
        *,
        etag: str | None = None,
    ) -> "Rendered":
        """`etag` when the tag is known without the bytes (see revision_tag); else from them."""
        return cls(body, media_type, etag or entity_tag(body), headers or {})


def revision_tag(*variant: object) -> str:
    """A strong ETag for one representation of one revision of a record, derived from what the
    record's row carries (id, revision, time of change) and the variant (format, fields,
    section), so a write checks If-Match by comparing tags, without rendering anything. Every
    change of a record's content raises its revision, as the response cache's keys assume. The
    release is part of it: a release that changes the JSON changes every tag."""
    return entity_tag(":".join(map(str, (__version__, *variant))).encode())


@dataclass(frozen=True)
class CachePolicy:
    max_age: int

    @property
    def cache_control(self) -> str:
        return f"public, max-age={self.max_age}"


def validators(
    policy: CachePolicy,
    etag: str,
    last_modified: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, str]:
    """The caching headers of one representation, the same on its 200 and its 304."""
    out = {
        "ETag": etag,
        "Cache-Control": policy.cache_control,
        # The same on the 304: a cache replaces the stored headers with the 304's.
        "Vary": "Accept, Accept-Encoding",
        **(headers or {}),
    }
    if last_modified is not None:
        out["Last-Modified"] = http_date(last_modified)
    return out


def unchanged(
    request: Request, headers: dict[str, str], last_modified: datetime | None = None
) -> Response | None:
    """304 when the client's copy is current (If-None-Match wins over If-Modified-Since), else
    None. `headers` are the representation's validators."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        matched = matching_tag(if_none_match, headers["ETag"])
        if matched is not None:
            held = _held(matched, headers["ETag"])
            return Response(status_code=304, headers={**headers, "ETag": held})
    elif _not_modified_since(request, last_modified):
        return Response(status_code=304, headers=headers)
    return None


def representation(
    request: Request,
    body: bytes,
    *,
    media_type: str,
    policy: CachePolicy,
    etag: str | None = None,
    last_modified: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The response for one representation: 200 with the body and its validators, or 304 with
    no body when the client's copy is current."""
    out = validators(policy, etag or entity_tag(body), last_modified, headers)
    return unchanged(request, out, last_modified) or Response(
        content=body, media_type=media_type, headers=out
    )


def served(
    request: Request, rendered: Rendered, last_modified: datetime | None, policy: CachePolicy
) -> Response:
    return representation(
        request,
        rendered.body,
        media_type=rendered.media_type,
        policy=policy,
        etag=rendered.etag,
        last_modified=last_modified,
        headers=rendered.headers,
    )


def json_representation(request: Request, model: BaseModel, policy: CachePolicy) -> Response:
    """A JSON response of `model` (as its response model documents it) with validators and
    caching headers, for routes whose bytes are built on every request."""
    body = model.model_dump_json().encode()
    return representation(request, body, media_type="application/json", policy=policy)


NOT_MODIFIED: dict[int | str, dict[str, str]] = {
    304: {"description": "Not modified: the `If-None-Match` tag is current; no body."}
}
