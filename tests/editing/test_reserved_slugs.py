"""No record can take a slug that a route owns under /v1/conditions/ (app.core.urls)."""

from pathlib import Path

from app.core.urls import API_PREFIX, RESERVED_SLUGS
from app.seeding.loader import SeedError, load
from tests.factories import condition, write_seed
from tests.helpers import MMN, Editing, new_record


def test_a_write_cannot_take_a_reserved_slug(editing: Editing) -> None:
    for slug in sorted(RESERVED_SLUGS):
        created = editing.client.post(
            f"{API_PREFIX}/conditions", json=new_record(slug=slug), headers=editing.writer
        )
        assert created.status_code == 422, created.text
        [error] = created.json()["errors"]
        assert error["loc"] == ["body", "slug"]
        assert "reserved" in error["msg"]
        renamed = editing.patch(MMN, {"slug": slug}, editing.etag(MMN))
        assert renamed.status_code == 422, renamed.text
        assert [e["loc"] for e in renamed.json()["errors"]] == [["body", "slug"]]
    assert editing.client.get(MMN).status_code == 200  # nothing was written


def test_a_seed_file_cannot_take_a_reserved_slug(tmp_path: Path) -> None:
    seed = write_seed(tmp_path / "reserved.yaml", [condition("match")])
    try:
        load([seed])
    except SeedError as error:
        assert "reserved" in str(error)
    else:
        raise AssertionError("a seed record took the reserved slug 'match'")
