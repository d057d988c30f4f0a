"""The real releases, imported whole from the installed packages (SQLite). Takes about a
minute, so it runs when FULL_CORPUS=1 (as .ci/run sets it) and is skipped otherwise."""

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core import migrations
from app.core.db import session_factory_for
from app.importers.service import import_hpo, import_icd10cm
from tests.helpers import make_client, seed_database

pytestmark = pytest.mark.skipif(
    os.environ.get("FULL_CORPUS") != "1", reason="set FULL_CORPUS=1 to import the real releases"
)


def test_full_corpus(tmp_path: Path) -> None:
    """On SQLite, the embedded default (bench/corpus.py measures both engines)."""
    url = f"sqlite:///{tmp_path / 'corpus.sqlite3'}"
    migrations.upgrade(url)
    seed_database(url)
    with session_factory_for(url) as factory:
        hpo = import_hpo(factory)
        icd = import_icd10cm(factory)
        again = [import_hpo(factory), import_icd10cm(factory)]
    assert hpo.version == "2025-01-16" and icd.version == "2026-04-01"
    assert hpo.counts["diseases"] == 12_687  # 4,281 ORPHA + 8,359 OMIM + 47 DECIPHER
    assert hpo.counts["conditions"] >= 12_000
    assert hpo.counts["terms"] >= 19_000
    assert hpo.counts["annotations"] == 271_702
    assert icd.counts["code_entries"] == 98_466  # 98,505 items less 39 blocks named as codes
    assert all(report.skipped for report in again)
    with make_client(url) as client:
        g6182 = client.get("/v1/codes/icd10cm/G61.82").json()
        assert [c["slug"] for c in g6182["conditions"]] == ["multifocal-motor-neuropathy"]
        listed = client.get("/v1/conditions", params={"limit": 1}).json()
        assert listed["total"] >= 12_000
        cf = client.get("/v1/conditions/cystic-fibrosis").json()
        assert {c["curie"] for c in cf["codes"]} >= {"ORPHA:586", "OMIM:219700"}
        # Every published record shows a summary: editors' (MMN), else composed (issue 14;
        # common-condition records quote their term's definition).
        kinds = Counter(item["summary_source"] for item in _published(client))
        assert kinds["editorial"] == 1 and kinds["computed"] >= 11_000
        assert kinds["definition"] >= 600  # the common conditions' (issue 14 target)
        assert None not in kinds
        cf = client.get("/v1/conditions/cystic-fibrosis").json()
        assert cf["summary_source"] == "computed"
        assert "Elevated sweat chloride" in cf["summary"]
        assert [item["category"] for item in cf["sections"]["prognosis"]["items"]] == [
            "Onset", "Onset",
        ]  # fmt: skip


def _published(client: TestClient) -> Iterator[dict[str, Any]]:
    """Every published record's list entry, following the pages' next links."""
    url: str | None = "/v1/conditions?status=published&limit=100"
    while url:
        page = client.get(url).json()
        yield from page["items"]
        url = page["links"]["next"]
