"""Fixture imports: the small files in tests/fixtures, cut verbatim from the real releases."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.db import session_factory_for
from app.importers.files import HpoFiles, Icd10cmFiles
from app.importers.service import ImportReport, import_hpo, import_icd10cm
from tests.conftest import Databases, make_client, seed_database

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HPO_FILES = HpoFiles(
    ontology=FIXTURES / "hpo" / "hp.obo",
    annotations=FIXTURES / "hpo" / "phenotype.hpoa",
    genes=FIXTURES / "hpo" / "genes_to_phenotype.txt",
)
ICD_FILES = Icd10cmFiles(
    tabular=FIXTURES / "icd10cm" / "icd10c-tabular-April-1-2026.xml",
    code_list=FIXTURES / "icd10cm" / "code-list-April-2026.txt",
)


def run_imports(
    url: str, hpo: HpoFiles = HPO_FILES, icd: Icd10cmFiles = ICD_FILES
) -> list[ImportReport]:
    with session_factory_for(url) as factory:
        return [import_hpo(factory, hpo), import_icd10cm(factory, icd)]


@pytest.fixture(scope="module")
def corpus_url(databases: Databases) -> str:
    """MMN seeded, then both fixture sources imported."""
    url = databases.fresh()
    seed_database(url)
    run_imports(url)
    return url


@pytest.fixture(scope="module")
def corpus(corpus_url: str) -> Iterator[TestClient]:
    with make_client(corpus_url) as client:
        yield client
