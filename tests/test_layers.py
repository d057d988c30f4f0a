"""The packages of app/ stand on floors: a module imports only from its own package or from
packages on lower floors, so the ground (models, core) knows no domain and a domain knows
nothing of the packages that write to it or serve it."""

import ast
from pathlib import Path

from app.core.config import PROJECT_ROOT

APP = PROJECT_ROOT / "app"
FLOORS = [
    {"models", "core"},
    {"reads"},
    {"auth", "changes", "health"},
    {"conditions"},
    {"terms", "codes", "matching", "genes", "releases"},
    {"search"},
    {"fhir"},  # a facade over the read domains
    {"writing"},
    {"editing", "seeding", "importers"},
    {"docs", "migrations", "api", "main", "__main__"},
]
FLOOR = {package: number for number, packages in enumerate(FLOORS) for package in packages}


def _package(module: str) -> str | None:
    """`app.conditions.service` -> `conditions`; the package face `app` itself -> None."""
    parts = module.split(".")
    return parts[1] if parts[0] == "app" and len(parts) > 1 else None


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, node.module)]
            # `from app import conditions` names packages, not attributes
            if node.module == "app":
                found += [(node.lineno, f"app.{alias.name}") for alias in node.names]
    return found


def test_every_package_has_a_floor() -> None:
    packages = {path.stem if path.is_file() else path.name for path in APP.iterdir()}
    packages -= {"__init__", "__pycache__"}
    assert packages <= FLOOR.keys(), f"no floor for {sorted(packages - FLOOR.keys())}"


def test_no_import_runs_back_up() -> None:
    upward = []
    for path in sorted(APP.rglob("*.py")):
        relative = path.relative_to(PROJECT_ROOT).with_suffix("")
        own = _package(".".join(relative.parts))
        if own is None:
            continue
        for line, module in _imports(path):
            target = _package(module)
            if target is None or target == own or target not in FLOOR:
                continue
            if FLOOR[target] > FLOOR[own]:
                upward.append(f"{relative}.py:{line} ({own}) imports {module} ({target})")
    assert not upward, "imports that run back up:\n" + "\n".join(upward)
