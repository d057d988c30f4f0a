"""The API's URLs: its prefix and the paths to records, sections and terms, built in one place."""

from starlette.convertors import StringConvertor, register_url_convertor

API_PREFIX = "/v1"
FHIR_PREFIX = "/fhir"  # the FHIR terminology facade (app.fhir), a FHIR server's base

# Reads sent as POST (a body holds what a URL would not): read limits count them as reads.
READ_POSTS = frozenset({f"{API_PREFIX}/conditions/match", f"{API_PREFIX}/codes/lookup"})


def serves_content(path: str) -> bool:
    """Whether the path is under the API or the FHIR facade (what read keys and read limits
    guard), not the docs, health probes or the root."""
    return path.startswith((API_PREFIX + "/", FHIR_PREFIX + "/"))


def is_read(method: str, path: str) -> bool:
    """Whether a request to content reads it: GET and HEAD, and the reads sent as POST."""
    if method in ("GET", "HEAD"):
        return True
    return method == "POST" and (path in READ_POSTS or path.startswith(FHIR_PREFIX + "/"))


def condition_list_path() -> str:
    return f"{API_PREFIX}/conditions"


def condition_path(slug: str) -> str:
    return f"{API_PREFIX}/conditions/{slug}"


def section_path(slug: str, kind: str) -> str:
    return f"{condition_path(slug)}/{kind}"


def symptom_path(key: str) -> str:
    """A symptom term by its HPO id or slug."""
    return f"{API_PREFIX}/symptoms/{key}"


# Path segments that routes own right under /v1/conditions/: no record may take one as its slug
# (a write that tries is a 422), and the `{slug}` routes do not match them, so the methods a
# path allows are those of the route that owns it.
RESERVED_SLUGS = frozenset({"match"})


class ConditionSlug(StringConvertor):
    regex = "(?!(?:" + "|".join(sorted(RESERVED_SLUGS)) + ")$)[^/]+"


register_url_convertor("condition_slug", ConditionSlug())
# The path of a record, as the routers declare it (relative to API_PREFIX).
CONDITION_ROUTE = "/conditions/{slug:condition_slug}"
