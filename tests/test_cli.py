"""The command line as deployments use it: migrate, seed and serve over a real socket."""

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from app.core.config import PROJECT_ROOT
from tests.helpers import free_port, wait_until_serving


def test_migrate_seed_serve(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db' / 'api.sqlite3'}"}
    for command in ("migrate", "seed"):
        result = subprocess.run(
            [sys.executable, "-m", "app", command], env=env, cwd=PROJECT_ROOT,
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, server, "/healthz", timeout_s=30)
        response = httpx.get(f"{base}/v1/conditions/multifocal-motor-neuropathy/symptoms")
        assert response.status_code == 200
        assert response.json()["items"][0]["name"] == "Muscle weakness"
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    # Logs are JSON lines; the access log has the request id, route, status and duration.
    access = [
        json.loads(line)
        for line in output.splitlines()
        if line.startswith("{") and '"logger": "app.access"' in line
    ]
    symptoms = next(e for e in access if e["path"].endswith("/symptoms"))
    assert symptoms["route"] == "get_symptoms"
    assert symptoms["status"] == 200
    # One access line per request: app.access alone (uvicorn's own is switched off).
    about_the_request = [line for line in output.splitlines() if "/symptoms" in line]
    assert len(about_the_request) == 1, about_the_request
    assert symptoms["request_id"] == response.headers["x-request-id"]
    assert symptoms["duration_ms"] >= 0


def test_replicas_starting_together_migrate_and_seed_once(databases) -> None:
    """Like several containers starting at once: each runs migrate then seed on one database."""
    env = {**os.environ, "DATABASE_URL": databases.create()}
    starts = [
        subprocess.Popen(
            ["sh", "-c", f"{sys.executable} -m app migrate && {sys.executable} -m app seed"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [start.communicate(timeout=120)[0] for start in starts]
    assert [start.returncode for start in starts] == [0, 0, 0], outputs
    created = sum("1 created" in output for output in outputs)
    unchanged = sum("1 unchanged" in output for output in outputs)
    assert (created, unchanged) == (1, 2)


def test_an_installed_copy_migrates_from_any_directory(tmp_path: Path) -> None:
    """As the Docker image installs it (not editable), and run from elsewhere: the migrations
    come with the package, not from the working directory."""
    site = tmp_path / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
         str(PROJECT_ROOT)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(site),  # ahead of the editable install of this checkout
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
    }
    where = subprocess.run(
        [sys.executable, "-c", "import app; print(app.__file__)"],
        env=env, cwd=elsewhere, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert where.stdout.strip() == str(site / "app" / "__init__.py")
    migrated = subprocess.run(
        [sys.executable, "-m", "app", "migrate"],
        env=env, cwd=elsewhere, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    assert "database migrated to head" in migrated.stderr
