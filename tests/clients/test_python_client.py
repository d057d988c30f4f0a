"""A Python client generated from our OpenAPI document, as a frontend team would make one
(openapi-python-client), builds without a warning and parses every read it is used for into its
typed models: the list, a record, each section, search, autocomplete, a code look-up, a
symptom's conditions and the symptom match."""

import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from app.models.kinds import SectionKind
from tests.clients.conftest import EVERY_SECTION
from tests.helpers import MMN

PACKAGE = "condition_client"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
SLUG = MMN.rsplit("/", 1)[1]


@pytest.fixture(scope="session")
def generated(openapi_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("python-client")
    tools = Path(sys.executable).parent  # the generator and the ruff it formats with
    result = subprocess.run(
        [
            str(tools / "openapi-python-client"),
            "generate",
            "--path",
            str(openapi_file),
            "--output-path",
            str(folder / PACKAGE),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}"},
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # The generator reports every schema or operation it had to drop as a warning.
    assert "warning" not in output.lower(), output
    assert "unable to" not in output.lower(), output
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))


def _api(generated: Any, name: str) -> ModuleType:
    return importlib.import_module(f"{generated.__name__}.api.{name}")


def _models(generated: Any) -> ModuleType:
    return importlib.import_module(f"{generated.__name__}.models")


@pytest.fixture
def api_client(generated: Any, base_url: str) -> Iterator[Any]:
    with generated.client.Client(base_url=base_url, raise_on_unexpected_status=True) as client:
        yield client


def _parsed(response: Any, model: type) -> Any:
    """The typed body of a 200, which must hold everything the JSON held."""
    assert response.status_code == 200, response.content[:300]
    assert isinstance(response.parsed, model), type(response.parsed)
    assert response.parsed.to_dict() == _timestamps_as_python_writes_them(
        json.loads(response.content)
    ), model.__name__
    return response.parsed


def _timestamps_as_python_writes_them(value: Any) -> Any:
    """The models hold timestamps as datetimes, which write `+00:00` where we wrote `Z`."""
    if isinstance(value, dict):
        return {key: _timestamps_as_python_writes_them(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_timestamps_as_python_writes_them(item) for item in value]
    if isinstance(value, str) and TIMESTAMP.match(value):
        return datetime.fromisoformat(value).isoformat()
    return value


def test_the_list_and_a_record(generated: Any, api_client: Any) -> None:
    models = _models(generated)
    listing = _api(generated, "conditions.conditions_list_conditions")
    page = _parsed(listing.sync_detailed(client=api_client, limit=5), models.ConditionSummaryPage)
    assert len(page.items) == 5 and page.total >= 5
    assert all(isinstance(item, models.ConditionSummary) for item in page.items)

    record_api = _api(generated, "conditions.conditions_get_condition")
    record = _parsed(record_api.sync_detailed(slug=SLUG, client=api_client), models.ConditionRecord)
    assert record.slug == SLUG and record.name == "Multifocal motor neuropathy"
    assert isinstance(record.sections.symptoms, models.SymptomsSection)
    assert record.disclaimer

    # A sparse fieldset is its own documented shape, and the client reads it as that one.
    sparse = record_api.sync_detailed(slug=SLUG, client=api_client, fields="name")
    assert isinstance(sparse.parsed, models.ConditionRecordFields)
    assert sparse.parsed.name == record.name


@pytest.mark.parametrize("kind", [kind.value for kind in SectionKind])
def test_each_section(generated: Any, api_client: Any, kind: str) -> None:
    models = _models(generated)
    name = kind.replace("-", "_")
    section_api = _api(generated, f"conditions.conditions_get_{name}")
    record = _api(generated, "conditions.conditions_get_condition")
    mmn = record.sync_detailed(slug=SLUG, client=api_client).parsed
    slug = SLUG if kind in mmn.links.sections.additional_properties else EVERY_SECTION
    response = section_api.sync_detailed(slug=slug, client=api_client)
    model_name = "".join(part.title() for part in kind.split("-")) + "SectionResponse"
    section = _parsed(response, getattr(models, model_name))
    assert section.condition.slug == slug and section.kind == kind


def test_search_and_autocomplete(generated: Any, api_client: Any) -> None:
    models = _models(generated)
    search = _api(generated, "search.search_search")
    found = _parsed(
        search.sync_detailed(client=api_client, q="multifocal motor"), models.SearchResponse
    )
    assert found.items[0].slug == SLUG

    complete = _api(generated, "search.search_autocomplete")
    suggestions = _parsed(
        complete.sync_detailed(client=api_client, q="multif"), models.AutocompleteResponse
    )
    assert any(s.slug == SLUG for s in suggestions.items)


def test_code_look_up_and_a_symptoms_conditions(generated: Any, api_client: Any) -> None:
    models = _models(generated)
    codes = _api(generated, "codes.codes_get_code")
    looked_up = _parsed(
        codes.sync_detailed(models.CodeSystem.ICD10CM, "G61.82", client=api_client),
        models.CodeLookup,
    )
    assert any(c.slug == SLUG for c in looked_up.conditions)

    term = _api(generated, "terms.terms_list_symptom_conditions")
    page = _parsed(term.sync_detailed("HP:0003690", client=api_client), models.TermConditionPage)
    assert SLUG in {item.slug for item in page.items}


def test_match(generated: Any, api_client: Any) -> None:
    models = _models(generated)
    match = _api(generated, "search.search_match_get")
    ranked = _parsed(
        match.sync_detailed(client=api_client, symptoms="HP:0012078,HP:0003690"),
        models.MatchResponse,
    )
    assert ranked.items and all(isinstance(i, models.ConditionMatch) for i in ranked.items)

    post = _api(generated, "search.search_match_post")
    body = models.MatchRequest(symptoms=["HP:0012078", "HP:0003690"])
    posted = _parsed(post.sync_detailed(client=api_client, body=body), models.MatchResponse)
    assert [i.slug for i in posted.items] == [i.slug for i in ranked.items]


def test_batch_reads_and_releases(generated: Any, api_client: Any) -> None:
    models = _models(generated)
    batch = _api(generated, "codes.codes_look_up_codes")
    body = models.CodeBatchRequest(
        codes=[
            models.CodeQuery(system=models.CodeSystem.ICD10CM, code="G6182"),
            models.CodeQuery(system=models.CodeSystem.ORPHA, code="9999999"),
        ]
    )
    answered = _parsed(batch.sync_detailed(client=api_client, body=body), models.CodeBatchResponse)
    assert [item.found for item in answered.items] == [True, False]

    listing = _api(generated, "conditions.conditions_list_conditions")
    page = _parsed(
        listing.sync_detailed(client=api_client, slug=f"{SLUG},no-such-record"),
        models.ConditionSummaryPage,
    )
    assert [item.slug for item in page.items] == [SLUG]
    assert [missing.slug for missing in page.not_found] == ["no-such-record"]

    releases = _api(generated, "releases.releases_list_releases")
    listed = _parsed(releases.sync_detailed(client=api_client), models.ReleaseList)
    assert listed.items[0].current and listed.items[0].version == listed.current
    dump = _api(generated, "releases.releases_download_dump").sync_detailed(
        "latest", client=api_client
    )
    lines = dump.parsed.payload.read().splitlines()  # a File: httpx undid the gzip coding
    assert SLUG in {json.loads(line)["slug"] for line in lines}
