"""Browser tests: Playwright drives the system's Chromium (Debian's package), headless."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is needed for the browser tests: install Debian's chromium ({CHROMIUM} not found).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: object, live_server: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """Pages in fresh browser contexts (separate cookies, like separate people); screenshots kept on failure."""
    contexts = []

    def make(locale: str = "pt-BR") -> object:
        context = browser.new_context(base_url=live_server.url, locale=locale, accept_downloads=True)  # type: ignore[attr-defined]
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    ARTIFACTS.mkdir(exist_ok=True)
    for index, context in enumerate(contexts):
        for page in context.pages:
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{index}.png"), full_page=True)
        context.close()
