"""TypeScript types generated from our OpenAPI document (openapi-typescript) type-check a small
frontend-style file under `tsc --strict`, catch a misuse, and the compiled file reads the live API.

The tools are pinned in tests/clients/typescript/package-lock.json and installed there with
`npm ci` when missing (Node.js and npm are needed; .ci/run installs them)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import MMN

TOOLS = Path(__file__).parent / "typescript"
SLUG = MMN.rsplit("/", 1)[1]
# The compiler options a strict frontend project uses; @types/node gives fetch and process.
TSC_OPTIONS = [
    "--strict",
    "--noUncheckedIndexedAccess",
    "--target",
    "es2022",
    "--module",
    "nodenext",
    "--moduleResolution",
    "nodenext",
    "--types",
    "node",
    "--typeRoots",
    str(TOOLS / "node_modules" / "@types"),
]


def _run(*command: str, cwd: Path = TOOLS) -> str:
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


@pytest.fixture(scope="session")
def tools() -> Path:
    for program in ("node", "npm"):
        assert shutil.which(program), f"{program} is not installed (Debian: nodejs, npm)"
    installed = TOOLS / "node_modules" / ".package-lock.json"
    lock = TOOLS / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        _run("npm", "ci", "--no-audit", "--no-fund")
    return TOOLS / "node_modules" / ".bin"


@pytest.fixture(scope="session")
def project(tools: Path, openapi_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The usage file beside the types generated for it."""
    folder = tmp_path_factory.mktemp("typescript")
    (folder / "generated").mkdir()
    output = _run(
        str(tools / "openapi-typescript"),
        str(openapi_file),
        "--output",
        str(folder / "generated" / "api.d.ts"),
    )
    assert "warn" not in output.lower() and "error" not in output.lower(), output
    shutil.copy(TOOLS / "usage.ts", folder / "usage.ts")
    return folder


def test_the_usage_file_type_checks_and_reads_the_api(
    tools: Path, project: Path, base_url: str
) -> None:
    _run(str(tools / "tsc"), *TSC_OPTIONS, "--outDir", "build", "usage.ts", cwd=project)
    printed = _run("node", str(project / "build" / "usage.js"), base_url, SLUG, cwd=project)
    read = json.loads(printed.strip().splitlines()[-1])
    assert read["name"] == "Multifocal motor neuropathy"
    assert read["disclaimer"] and read["symptoms"] and read["listed"] == 3
    assert SLUG in read["carriers"] and read["ranked"] > 0


def test_the_types_are_not_any(tools: Path, project: Path) -> None:
    (project / "misuse.ts").write_text(
        'import type { components } from "./generated/api";\n'
        'declare const record: components["schemas"]["ConditionRecord"];\n'
        "export const count: number = record.name;\n"
        "export const missing = record.no_such_member;\n"
    )
    result = subprocess.run(
        [str(tools / "tsc"), *TSC_OPTIONS, "--noEmit", "misuse.ts"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
    assert "misuse.ts(3," in result.stdout and "TS2322" in result.stdout, result.stdout
    assert "misuse.ts(4," in result.stdout and "TS2339" in result.stdout, result.stdout
