"""The OpenAPI document as a client generator meets it, and the API served for generated
clients: the document is written once per run; the server runs per engine over the corpus."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.config import Settings
from app.main import create_app
from app.models.kinds import SectionKind
from tests.factories import condition, write_seed
from tests.helpers import MMN_SEED, Databases, live_server, run_imports, seed_database


@pytest.fixture(scope="session")
def openapi_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """/openapi.json as the service serves it (it does not depend on the database)."""
    folder = tmp_path_factory.mktemp("openapi")
    app = create_app(Settings(database_url=f"sqlite:///{folder / 'unused.sqlite3'}"))
    path = folder / "openapi.json"
    path.write_text(json.dumps(app.openapi()))
    return path


# A record with a section of every kind, for the kinds the MMN record has not.
EVERY_SECTION = "every-section"


@pytest.fixture(scope="module")
def base_url(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API over MMN, a record with every section kind and the fixture imports, under
    uvicorn on a free port."""
    url = databases.fresh()
    sections = {kind.value: {"summary": f"The {kind.value} section."} for kind in SectionKind}
    fixture = write_seed(
        tmp_path_factory.mktemp("seed") / "every.yaml",
        [condition(EVERY_SECTION, sections=sections)],
    )
    seed_database(url, MMN_SEED, fixture)
    run_imports(url)
    with live_server(create_app(Settings(database_url=url))) as served:
        yield served
