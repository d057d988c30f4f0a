"""The API's URLs: its prefix and the paths to records, sections and terms, built in one place."""

API_PREFIX = "/v1"


def condition_list_path() -> str:
    return f"{API_PREFIX}/conditions"


def condition_path(slug: str) -> str:
    return f"{API_PREFIX}/conditions/{slug}"


def section_path(slug: str, kind: str) -> str:
    return f"{condition_path(slug)}/{kind}"


def symptom_path(key: str) -> str:
    """A symptom term by its HPO id or slug."""
    return f"{API_PREFIX}/symptoms/{key}"
