"""A write checks If-Match by comparing tags and renders the resource once, for its answer."""

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.conditions import service
from tests.helpers import MMN, Editing


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """How many times a record or a section was turned into its response model."""
    counts: Counter[str] = Counter()

    def counting(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return real(*args, **kwargs)

        return counted

    for name in ("condition_record", "section_response"):
        monkeypatch.setattr(service, name, counting(name, getattr(service, name)))
    yield counts


def test_patch_renders_the_record_once(editing: Editing, renders: Counter[str]) -> None:
    etag = editing.etag(MMN)
    renders.clear()
    patched = editing.patch(MMN, {"synonyms": ["Test synonym"]}, etag)
    assert patched.status_code == 200, patched.text
    assert renders == Counter(condition_record=1)
    assert patched.json()["synonyms"] == ["Test synonym"]
    assert patched.headers["etag"] != etag


def test_put_renders_the_record_once(editing: Editing, renders: Counter[str]) -> None:
    document = editing.client.get(f"{MMN}/document").json()
    document.pop("imported")
    etag = editing.etag(MMN)
    renders.clear()
    replaced = editing.client.put(MMN, json=document, headers=editing.headers(etag))
    assert replaced.status_code == 200, replaced.text
    assert renders == Counter(condition_record=1)


def test_section_put_renders_the_section_once(editing: Editing, renders: Counter[str]) -> None:
    path = f"{MMN}/overview"
    section = editing.client.get(f"{MMN}/document").json()["sections"]["overview"]
    section["summary"] = "A new overview."
    etag = editing.etag(path)
    renders.clear()
    written = editing.client.put(path, json=section, headers=editing.headers(etag))
    assert written.status_code == 200, written.text
    assert renders == Counter(section_response=1)
    assert written.json()["summary"] == "A new overview."


def test_a_stale_tag_is_refused_without_rendering(editing: Editing, renders: Counter[str]) -> None:
    etag = editing.etag(MMN)
    assert editing.patch(MMN, {"synonyms": ["One"]}, etag).status_code == 200
    renders.clear()
    stale = editing.patch(MMN, {"synonyms": ["Two"]}, etag)
    assert stale.status_code == 412, stale.text
    assert renders == Counter()
