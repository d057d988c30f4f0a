"""The examples in README.md and docs/*.md are true: every ```console block is run, in order,
against a live server on the open data imported whole (FULL_CORPUS=1, as .ci/run sets it), and
each output must have the shape the doc shows.

Shape, not bytes, since answers grow members and carry values of the moment: a JSON member the
doc shows must be present (extra members are fine), with the value it shows unless that value
is volatile (timestamps, scores, feed positions, ETags, keys); `…` abridges (a member, an
element, the rest of a string). Other lines (headers, CSV, text) must appear in order, headers
compared by name and, where stable, value. A key or ETag the doc shows is replaced in the
commands after it by the one the live run printed, so the write examples run as written.

Each doc runs against its own copy of the imported database, so its writes (keys, PATCH, a
rename, a retirement) happen in documented order and touch nothing else. A block right after a
line `<!-- not run: why -->` is skipped; say why there. On a failure, the message shows the live
output of each failing command: paste it over the doc's to refresh an example.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.core.config import PROJECT_ROOT, Settings
from app.main import create_app
from tests.helpers import Databases, live_server

DOCS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
ELLIPSIS = "…"
NOT_RUN = re.compile(r"^<!-- not run: .+ -->$")
# Values of the moment: compared by presence only.
VOLATILE_MEMBERS = {"created_at", "updated_at", "score", "seq", "next_since"}
VOLATILE_HEADERS = {"etag", "last-modified", "date", "x-request-id", "content-length"}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
# Tokens a later command reuses: an API key, an ETag (as a header line shows it).
TOKENS = re.compile(r'cck_[A-Za-z0-9]+_[A-Za-z0-9_-]+|(?<=^etag: )"[^"]+"', re.I | re.M)
HEADER = re.compile(r"^([A-Za-z][A-Za-z0-9-]*): (.*)$")


@dataclass
class Example:
    doc: Path
    line: int
    command: str
    expected: str

    def __str__(self) -> str:
        return f"{self.doc.relative_to(PROJECT_ROOT)}:{self.line}: $ {self.command}"


def examples(doc: Path) -> list[Example]:
    """The `$ command` lines of the doc's console blocks (a trailing backslash continues a
    command), each with the output printed under it."""
    found: list[Example] = []
    lines = doc.read_text().splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() != "```console":
            index += 1
            continue
        skipped = index > 0 and NOT_RUN.match(lines[index - 1].strip())
        index += 1
        current: Example | None = None
        while lines[index].strip() != "```":
            line = lines[index]
            if line.startswith("$ "):
                start = index + 1
                command = line[2:]
                while command.endswith("\\"):
                    index += 1
                    command += "\n" + lines[index]
                current = Example(doc, start, command, "")
                if not skipped:
                    found.append(current)
            elif current is not None:
                current.expected += line + "\n"
            index += 1
        index += 1
    return found


# JSON with abridgements: a tolerant reader of what the docs show.


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def _skip(self) -> None:
        while self.at < len(self.text) and self.text[self.at] in " \t\r\n":
            self.at += 1

    def _peek(self) -> str:
        self._skip()
        return self.text[self.at : self.at + 1]

    def _expect(self, char: str) -> None:
        if self._peek() != char:
            raise ValueError(f"expected {char!r} at {self.at}")
        self.at += 1

    def value(self) -> Any:
        char = self._peek()
        if char == ELLIPSIS:
            self.at += 1
            return ELLIPSIS
        if char == "{":
            return self._object()
        if char == "[":
            return self._array()
        decoder = json.JSONDecoder()
        parsed, end = decoder.raw_decode(self.text, self.at)
        self.at = end
        return parsed

    def _object(self) -> dict[str, Any]:
        self._expect("{")
        members: dict[str, Any] = {}
        while self._peek() != "}":
            if self._peek() == ELLIPSIS:
                self.at += 1
            else:
                key = self.value()
                if not isinstance(key, str):
                    raise ValueError(f"a member name at {self.at}")
                self._expect(":")
                members[key] = self.value()
            if self._peek() == ",":
                self.at += 1
        self._expect("}")
        return members

    def _array(self) -> list[Any]:
        self._expect("[")
        elements: list[Any] = []
        while self._peek() != "]":
            elements.append(self.value())
            if self._peek() == ",":
                self.at += 1
        self._expect("]")
        return elements


def abridged_json(text: str) -> Any:
    """The value `text` shows, `…` kept where it abridges; ValueError if it is not JSON."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "{[":
        raise ValueError("not JSON")
    reader = _Reader(stripped)
    parsed = reader.value()
    if reader.at != len(stripped):
        raise ValueError("more after the JSON value")
    return parsed


def _text_matches(expected: str, live: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in expected.split(ELLIPSIS))
    return re.fullmatch(pattern, live, flags=re.DOTALL) is not None


def mismatches(expected: Any, live: Any, where: str = "") -> list[str]:
    """What in `live` differs from the shape `expected` shows."""
    if expected == ELLIPSIS:
        return []
    if isinstance(expected, dict):
        if not isinstance(live, dict):
            return [f"{where or '.'}: an object was shown, got {type(live).__name__}"]
        problems = []
        for key, value in expected.items():
            if key not in live:
                problems.append(f"{where}.{key}: missing")
            elif key not in VOLATILE_MEMBERS:
                problems += mismatches(value, live[key], f"{where}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(live, list):
            return [f"{where or '.'}: an array was shown, got {type(live).__name__}"]
        shown = [element for element in expected if element != ELLIPSIS]
        if len(shown) == len(expected):  # not abridged: element by element
            if len(live) != len(expected):
                return [f"{where}: {len(expected)} elements shown, got {len(live)}"]
            return [
                problem
                for index, (want, got) in enumerate(zip(expected, live, strict=True))
                for problem in mismatches(want, got, f"{where}[{index}]")
            ]
        rest = iter(enumerate(live))  # abridged: what is shown, in order, among the rest
        for want in shown:
            if not any(not mismatches(want, got) for _, got in rest):
                return [f"{where}: no element (in order) like {json.dumps(want)[:200]}"]
        return []
    if isinstance(expected, str) and isinstance(live, str):
        if ELLIPSIS in expected:
            ok = _text_matches(expected, live)
        else:
            ok = expected == live or bool(TIMESTAMP.match(expected) and TIMESTAMP.match(live))
        return [] if ok else [f"{where}: {expected!r} shown, got {live!r}"]
    if expected != live or type(expected) is not type(live):
        return [f"{where}: {expected!r} shown, got {live!r}"]
    return []


def _json_mismatches(expected: str, live: str) -> list[str] | None:
    """None when `expected` shows no JSON; else what `live` lacks of it."""
    try:
        shown = abridged_json(expected)
    except ValueError:
        return None
    try:
        return mismatches(shown, json.loads(live))
    except ValueError:
        return ["JSON was shown; the output is not JSON"]


def _line_matches(expected: str, live: str) -> bool:
    problems = _json_mismatches(expected, live)
    if problems is not None:
        return not problems
    header, got = HEADER.match(expected), HEADER.match(live)
    if header and got and header[1].lower() == got[1].lower():
        return header[1].lower() in VOLATILE_HEADERS or _text_matches(header[2], got[2])
    return _text_matches(TOKENS.sub("<token>", expected), TOKENS.sub("<token>", live))


def output_mismatches(expected: str, live: str) -> list[str]:
    problems = _json_mismatches(expected, live)
    if problems is not None:
        return problems
    live_lines = iter(live.splitlines())
    for line in expected.splitlines():
        if not line.strip() or line.strip() == ELLIPSIS:
            continue
        if not any(_line_matches(line, got) for got in live_lines):
            return [f"no line (in order) like {line[:200]!r}"]
    return []


@pytest.fixture(scope="module")
def corpus_template(full_corpus_url: str) -> str:
    tools = [tool for tool in ("curl", "jq", "bash") if shutil.which(tool) is None]
    if tools:
        message = f"the docs' examples need {', '.join(tools)}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return full_corpus_url


def _run_doc(doc: Path, url: str, workdir: Path) -> Iterator[str]:
    """Runs the doc's examples against a server on `url`; yields a report per failure."""
    settings = Settings(database_url=url)
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "warning"}
    with live_server(create_app(settings)) as base:
        host = base.removeprefix("http://")
        replaced: dict[str, str] = {}
        state = workdir / "shell-variables"
        state.write_text("")
        for example in examples(doc):
            command = example.command.replace("localhost:8000", host)
            command = command.replace(".venv/bin/python", sys.executable)
            for shown, live in replaced.items():
                command = command.replace(shown, live)
            # Variables the examples set (single capitals: K, M, S) carry over to later ones.
            script = (
                f"source {state}\nset -o pipefail\n{command}\nstatus=$?\n"
                "names=$(compgen -v | grep -E '^[A-Z]$')\n"
                f'[ -z "$names" ] || declare -p $names > {state}\nexit $status\n'
            )
            result = subprocess.run(
                ["bash", "-c", script], cwd=workdir, env=env,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120,
            )  # fmt: skip
            live = result.stdout
            for shown, got in zip(
                TOKENS.findall(example.expected), TOKENS.findall(live), strict=False
            ):
                replaced.setdefault(shown, got)
            problems = output_mismatches(example.expected, live)
            if problems:
                yield f"{example}\n  " + "\n  ".join(problems) + f"\nlive output:\n{live}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.name)
def test_the_docs_examples_are_live_output(
    doc: Path, corpus_template: str, databases: Databases, tmp_path: Path
) -> None:
    assert examples(PROJECT_ROOT / "README.md"), "README shows console examples"
    url = databases.create(template=corpus_template)
    failures = list(_run_doc(doc, url, tmp_path))
    assert not failures, "\n\n".join(failures)
