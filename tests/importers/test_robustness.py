"""Imports and seed runs that fail: a corrupt file is named with its line and changes nothing;
a run killed midway (SIGKILL from the test: no cleanup at all) leaves the previous data as it
was, and running it again completes. On both engines."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.core.config import PROJECT_ROOT
from app.core.db import CHANGES_LOCK_KEY, session_factory_for
from app.importers.files import Icd10cmFiles
from app.importers.hpo_files import HpoFileError
from app.importers.icd10cm_files import Icd10cmFileError
from app.importers.service import import_hpo, import_icd10cm
from tests.factories import condition, write_seed
from tests.helpers import FULL_CORPUS, HPO_FILES, ICD_FILES, run_imports, seed_database

TABLES = ("conditions", "codes", "terms", "phenotype_annotations", "code_entries",
          "source_imports", "condition_changes", "sections", "section_items")  # fmt: skip


def _state(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        state = {t: connection.scalar(text(f"SELECT COUNT(*) FROM {t}")) or 0 for t in TABLES}
        state["content_version"] = connection.scalar(text("SELECT version FROM content_version"))
    engine.dispose()
    return state


@pytest.fixture
def imported(fresh_db: str) -> str:
    """MMN seeded and both fixture releases imported: the previous data."""
    seed_database(fresh_db)
    run_imports(fresh_db)
    return fresh_db


def _cut(source: Path, to: Path, keep: int) -> Path:
    to.write_bytes(source.read_bytes()[:keep])
    return to


def test_a_corrupt_annotation_row_is_named_by_file_and_line(imported: str, tmp_path: Path) -> None:
    before = _state(imported)
    bad = tmp_path / "phenotype.hpoa"
    lines = HPO_FILES.annotations.read_text("utf-8").splitlines(keepends=True)
    bad.write_text("".join([*lines[:30], "OMIM:1\tonly three\tcolumns\n", *lines[30:]]), "utf-8")
    with session_factory_for(imported) as factory, pytest.raises(HpoFileError) as error:
        import_hpo(factory, replace(HPO_FILES, annotations=bad))
    assert str(error.value).startswith(f"{bad}:31:")
    assert _state(imported) == before


def test_a_corrupt_ontology_is_named(imported: str, tmp_path: Path) -> None:
    before = _state(imported)
    bad = tmp_path / "hp.obo"
    bad.write_text(HPO_FILES.ontology.read_text("utf-8") + "\n[Term]\nid: HP:broken {\n", "utf-8")
    with session_factory_for(imported) as factory, pytest.raises(HpoFileError) as error:
        import_hpo(factory, replace(HPO_FILES, ontology=bad))
    assert str(bad) in str(error.value) and "line" in str(error.value)
    assert _state(imported) == before


def test_a_truncated_icd_release_is_named_by_file_and_line(imported: str, tmp_path: Path) -> None:
    before = _state(imported)
    folder = tmp_path / "icd"
    folder.mkdir()
    bad = _cut(ICD_FILES.tabular, folder / ICD_FILES.tabular.name, 5000)
    with session_factory_for(imported) as factory, pytest.raises(Icd10cmFileError) as error:
        import_icd10cm(factory, Icd10cmFiles(bad, ICD_FILES.code_list))
    assert str(error.value).startswith(f"{bad}: not valid XML:")
    assert "line" in str(error.value)
    assert _state(imported) == before
    # The reader recovers: the good files import again.
    with session_factory_for(imported) as factory:
        import_icd10cm(factory, ICD_FILES)


def _run_until(args: list[str], url: str, marker: str, log: Path) -> subprocess.Popen[bytes]:
    """Start `python -m app …`, and return once its stderr shows `marker`."""
    env = {**os.environ, "DATABASE_URL": url}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", *args], cwd=PROJECT_ROOT, env=env, stderr=sink
        )
    deadline = time.monotonic() + 120
    while marker not in log.read_text("utf-8", errors="replace"):
        assert process.poll() is None, log.read_text("utf-8", errors="replace")[-2000:]
        assert time.monotonic() < deadline, f"{marker!r} never showed"
        time.sleep(0.05)
    return process


def _holds_the_write_lock(url: str) -> bool:
    """Whether some connection holds the lock a seed run or an import takes at the start of its
    transaction (SQLite's write lock; PostgreSQL's advisory lock for changes)."""
    if url.startswith("sqlite"):
        probe = sqlite3.connect(make_url(url).database or "", timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()
    engine = create_engine(url)
    with engine.connect() as connection:
        held = connection.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objid = :key"
            ),
            {"key": CHANGES_LOCK_KEY},
        )
    engine.dispose()
    return bool(held)


def _inside_its_transaction(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 60
    while not _holds_the_write_lock(url):
        assert process.poll() is None, "finished before it could be killed midway"
        assert time.monotonic() < deadline, "never took its lock"
        time.sleep(0.02)
    time.sleep(0.2)  # and into its writes


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def test_a_seed_run_killed_midway_changes_nothing(fresh_db: str, tmp_path: Path) -> None:
    seed_database(fresh_db)
    before = _state(fresh_db)
    many = [condition(f"bulk-record-{n:04d}") for n in range(1500)]
    path = write_seed(tmp_path / "bulk.yaml", many)
    process = _run_until(["seed", str(path)], fresh_db, "seed files valid", tmp_path / "log")
    _inside_its_transaction(process, fresh_db)
    _kill(process)
    assert _state(fresh_db) == before
    again = subprocess.run(
        [sys.executable, "-m", "app", "seed", str(path)],
        cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": fresh_db},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr[-2000:]
    assert "1500 created" in again.stdout
    assert _state(fresh_db)["conditions"] == before["conditions"] + 1500


@pytest.mark.skipif(not FULL_CORPUS, reason="set FULL_CORPUS=1 to import the real releases")
def test_an_import_killed_midway_keeps_the_previous_data(imported: str, tmp_path: Path) -> None:
    before = _state(imported)
    # The packaged release, far bigger than the fixtures: killed while it writes its terms.
    process = _run_until(["import", "hpo"], imported, "hpo terms", tmp_path / "log")
    _inside_its_transaction(process, imported)
    _kill(process)
    assert _state(imported) == before
    again = subprocess.run(
        [sys.executable, "-m", "app", "import", "hpo", "--quiet"],
        cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": imported},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr[-2000:]
    assert _state(imported)["terms"] > before["terms"]
