"""/docs and /redoc in a real browser: they render from local assets, "Try it out" works, the
pages' CSP blocks nothing they need, and no request leaves the machine."""

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from app.core.config import Settings
from app.main import create_app
from tests.helpers import live_server

# The pages render the whole OpenAPI document in the browser: on a busy machine that takes
# longer than expect's default 5 s.
expect.set_options(timeout=20_000)

CHROMIUM = Path("/usr/bin/chromium")
# In CI a missing browser fails the run instead of skipping it, as PostgreSQL does (conftest).
REQUIRE_BROWSER = os.environ.get("CI", "").lower() == "true"

# The pages do not depend on the engine: one run, on SQLite, is enough.
pytestmark = pytest.mark.parametrize("databases", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def base_url(seeded_url: str) -> Iterator[str]:
    """The real app under uvicorn, on a port the OS picks, in a background thread."""
    with live_server(create_app(Settings(database_url=seeded_url))) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def problems() -> list[str]:
    """What went wrong in the page: console errors (CSP violations are among them), uncaught
    errors and requests to other hosts."""
    return []


@pytest.fixture
def page(browser: Browser, base_url: str, problems: list[str]) -> Iterator[Page]:
    """A page that records its problems, and aborts every request to another host."""
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(10_000)

    def stay_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            problems.append(f"request left the machine: {route.request.url}")
            route.abort()

    context.route("**/*", stay_local)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield page
    context.close()
    if problems:  # shown beside a failure that happened before the test could assert on them
        print("page problems:", *problems, sep="\n  ")


def assert_no_problems(page: Page, problems: list[str]) -> None:
    page.wait_for_load_state("networkidle")  # late errors count too
    assert problems == []


def test_swagger_ui_runs_a_request(page: Page, problems: list[str]) -> None:
    page.goto("/docs")
    record = page.locator(".opblock-get").filter(
        has=page.locator('[data-path="/v1/conditions/{slug}"]')
    )
    expect(record).to_be_visible()
    listing = page.locator(".opblock-get").filter(has=page.locator('[data-path="/v1/conditions"]'))
    listing.locator(".opblock-summary").click()
    listing.get_by_role("button", name="Try it out").click()
    listing.get_by_role("button", name="Execute").click()
    live = listing.locator(".live-responses-table tr.response")
    expect(live.locator(".response-col_status")).to_have_text("200")
    expect(live).to_contain_text("multifocal-motor-neuropathy")
    assert_no_problems(page, problems)


def test_redoc_renders(page: Page, problems: list[str]) -> None:
    page.goto("/redoc")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Condition Content API")
    expect(page.get_by_text("/v1/conditions/{slug}/symptoms").first).to_be_attached()
    assert_no_problems(page, problems)
