"""The fixture corpus (MMN seeded, the fixture cuts of HPO and ICD-10-CM imported) for genes."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Databases, make_client, seed_database
from tests.importers.conftest import run_imports


@pytest.fixture(scope="module")
def corpus(databases: Databases) -> Iterator[TestClient]:
    url = databases.fresh()
    seed_database(url)
    run_imports(url)
    with make_client(url) as client:
        yield client
